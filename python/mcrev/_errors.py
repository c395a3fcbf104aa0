"""Exceptions and warnings of the mcrev package (docs/python.md, "Errors")."""

__all__ = ["ScenarioError", "BackendError", "ScenarioWarning"]


class ScenarioError(ValueError):
    """An invalid scenario, keyword or parameter: the CLI's exit code 2.

    ``str(e)`` is the CLI's message (``"mechanisms[0].reserve: must be ..."``); ``e.key_path`` names
    the offending key as a path into the scenario (``"bidders[1].value.low"``), or the keyword of
    :func:`mcrev.run` (``"samples"``, ``"seed"``, ``"threads"``, ...); it is ``""`` when the problem
    has no single key (a TOML syntax error, which names file, line and column instead).
    """

    def __init__(self, message, key_path=""):
        super().__init__(message)
        self.key_path = key_path

    def __reduce__(self):  # keep key_path through pickling (multiprocessing)
        return (type(self), (str(self), self.key_path))


class BackendError(RuntimeError):
    """A backend cannot run (``backend="cuda"`` without a usable device, a CUDA error, GPU out of
    memory): the CLI's exit code 3."""

    def __init__(self, message, key_path=""):
        super().__init__(message)
        self.key_path = key_path

    def __reduce__(self):
        return (type(self), (str(self), self.key_path))


class ScenarioWarning(UserWarning):
    """A valid scenario the CLI warns about (for example correlated values with equilibrium bidding,
    whose derivation assumes independence). Also listed in ``Result.warnings``."""
