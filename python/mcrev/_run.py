"""mcrev.run and the argument handling a bound function shares (docs/python.md)."""

import numbers
import os
import sys
import warnings as _warnings

from . import _mcrev
from ._errors import ScenarioError, ScenarioWarning
from ._result import Result, SweepResult
from ._scenario import to_toml


def _source_args(scenario):
    """(path, text, base_dir, source_name) for the extension from run()'s `scenario` argument."""
    if scenario is None:
        return None, None, ".", "scenario"
    if isinstance(scenario, (str, os.PathLike)):
        path = os.fspath(scenario)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        return path, None, ".", path
    if isinstance(scenario, dict):
        # Relative `file = ...` keys of a dict resolve against the current directory.
        return None, to_toml(scenario), os.getcwd(), "scenario dict"
    raise TypeError(
        f"mcrev: scenario must be a path to a TOML file, a dict or None (the default scenario), "
        f"got {type(scenario).__name__}")


def _count_text(value, key):
    """A count keyword as text for the extension's parse_count (exact for any int)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, numbers.Real, str)):
        raise ScenarioError(f"{key}: expected a whole number, got {value!r}", key)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    return value


def _override_args(samples, seed, backend, threads, confidence):
    """(samples, seed, backend, threads, confidence) for the extension, with Python-side type checks
    named by the keyword (range checks happen in C++, as for the CLI's options)."""
    if backend is not None and not isinstance(backend, str):
        raise ScenarioError(f"backend: expected \"auto\", \"cpu\" or \"cuda\", got {backend!r}", "backend")
    if backend == "auto":
        backend = None  # keep the scenario's own `backend` key (itself "auto" by default)
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral):
        raise ScenarioError(f"threads: expected a whole number (0 = all cores), got {threads!r}", "threads")
    threads = int(threads)
    if threads > 2**31 - 1:
        raise ScenarioError(f"threads: too large, got {threads}", "threads")
    if confidence is not None:
        if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real):
            raise ScenarioError(f"confidence: expected a number in (0, 1), got {confidence!r}", "confidence")
        confidence = float(confidence)
    return _count_text(samples, "samples"), _count_text(seed, "seed"), backend, threads, confidence


class _ProgressBar:
    """Progress on sys.stderr (quiet=False): share done, profiles/s, time left; cleared at the end."""

    def __init__(self, stream):
        self.stream = stream
        self.shown = False

    def __call__(self, done, total, seconds):
        frac = done / total if total else 1.0
        rate = done / seconds if seconds > 0 else 0.0
        left = (total - done) / rate if rate > 0 else 0.0
        filled = int(frac * 30)
        self.stream.write(f"\r[{'#' * filled}{' ' * (30 - filled)}] {100 * frac:5.1f}%  "
                          f"{rate:.3g} profiles/s  {left:.0f} s left ")
        self.stream.flush()
        self.shown = True

    def clear(self):
        if self.shown:
            self.stream.write("\r" + " " * 80 + "\r")
            self.stream.flush()


def _emit(note, warns, quiet, stacklevel):
    if note and not quiet:
        print(f"mcrev: {note}", file=sys.stderr)
    for w in warns:
        _warnings.warn(w, ScenarioWarning, stacklevel=stacklevel + 1)


def run(scenario=None, *, samples=None, seed=None, backend="auto", threads=0, confidence=None, quiet=True):
    """Estimates every mechanism of a scenario on common random profiles, like ``mcrev run``.

    Args:
        scenario: a path (``str`` or ``os.PathLike``) to a TOML scenario file; a ``dict`` with the
            structure of a scenario file (README "Scenario reference"; relative data paths such as
            an empirical distribution's ``file`` resolve against the current directory); or ``None``
            for the built-in default scenario (:func:`mcrev.default_scenario`).
        samples: number of valuation profiles (1 to 10^17; ``1e6`` is accepted), overriding the
            scenario's ``samples``, as ``--samples``.
        seed: random seed (0 to 2^64 - 1), overriding the scenario's ``seed``.
        backend: ``"auto"`` (default: the scenario's ``backend`` key decides, itself ``"auto"`` by
            default: CUDA when a device is usable, else the CPU), ``"cpu"`` or ``"cuda"``.
        threads: CPU threads, 0 = all cores. The result does not depend on it.
        confidence: level of the intervals in (0, 1), overriding the scenario's (default 0.95).
        quiet: when False, print a progress bar (runs over a second) and the note (e.g. why
            ``"auto"`` fell back to the CPU) on ``sys.stderr``.

    Returns:
        :class:`mcrev.Result`: exactly the JSON of ``mcrev run --format json`` at the same scenario,
        seed and samples (the same keys and the same float bits; ``seconds`` and
        ``profiles_per_second`` are timings).

    Raises:
        mcrev.ScenarioError: an invalid scenario or keyword (``.key_path`` names it, e.g.
            ``"mechanisms[0].reserve"``), a missing file: the CLI's exit code 2.
        mcrev.BackendError: ``backend="cuda"`` without a usable device, a CUDA failure: exit code 3.
        KeyboardInterrupt: Ctrl-C during the run (checked about every 0.2 s).

    The GIL is released while the profiles are computed, so other Python threads run meanwhile.
    Warnings about a valid scenario are emitted as :class:`mcrev.ScenarioWarning` (as the CLI
    prints them even with ``-q``) and listed in ``Result.warnings``.
    """
    source = _source_args(scenario)
    over = _override_args(samples, seed, backend, threads, confidence)
    bar = None if quiet else _ProgressBar(sys.stderr)
    try:
        json_text, csv_text, note, warns = _mcrev.run(*source, *over, bar)
    finally:
        if bar is not None:
            bar.clear()
    _emit(note, warns, quiet, stacklevel=2)
    return Result(json_text, csv_text, note, warns)


def _value_text(value, key):
    """One swept value as parse_set reads it: integers and floats exactly, booleans as true/false,
    strings quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, str):
        if '"' in value:
            raise ScenarioError(f"sets: {key}: a string value cannot contain '\"', got {value!r}", "sets")
        return '"' + value + '"'
    raise ScenarioError(f"sets: {key}: expected numbers, booleans or strings, got {value!r}", "sets")


def _set_texts(sets):
    """The extension's "KEY=VALUES" texts from sweep()'s `sets`."""
    if sets is None:
        return []
    if isinstance(sets, str):
        sets = [sets]
    if isinstance(sets, dict):
        out = []
        for key, values in sets.items():
            if not isinstance(key, str):
                raise ScenarioError(f"sets: keys must be key paths such as 'mechanisms[1].reserve', got {key!r}", "sets")
            if isinstance(values, str):
                out.append(f"{key}={values}")  # "LOW:HIGH:COUNT" or a comma list, as on the command line
            else:
                try:
                    items = list(values)
                except TypeError:
                    items = [values]
                if not items:
                    raise ScenarioError(f"sets: {key}: no values", "sets")
                out.append(f"{key}=" + ",".join(_value_text(v, key) for v in items))
        return out
    out = []
    for item in sets:
        if not isinstance(item, str):
            raise ScenarioError(f"sets: expected 'KEY=VALUES' strings or a dict, got {item!r}", "sets")
        out.append(item)
    return out


def sweep(scenario, sets=None, *, samples=None, seed=None, backend="auto", threads=0, confidence=None,
          target_halfwidth=None, target_metric=None, max_samples=None, quiet=True):
    """Sweeps scenario keys over values on common random numbers, like ``mcrev sweep``.

    Args:
        scenario: a path to a TOML scenario file or a ``dict`` (as for :func:`mcrev.run`; the default
            scenario is ``mcrev.default_scenario()``). Its ``[sweep]`` table, if any, gives sets too.
        sets: what to sweep: a dict ``{KEY: VALUES}`` where KEY is a key path
            (``"mechanisms[1].reserve"``, ``"bidders[0].count"``, ``"market.supply"``; several paths
            separated by commas take the same value) and VALUES a list (``[2, 3, 5]``) or a string
            ``"LOW:HIGH:COUNT"`` (COUNT evenly spaced points, both ends included); or a list of
            ``"KEY=VALUES"`` strings as given to ``--set``. Several keys form a Cartesian product,
            the first varying slowest.
        samples, seed, backend, threads, confidence: as for :func:`mcrev.run`, applied to every point.
        target_halfwidth: run each point to a precision target (``--target-halfwidth``): batches of
            2^16 * 2^k profiles until every targeted interval's half-width is at most this.
        target_metric: the targeted metrics (``"revenue"``, ``"MECHANISM.METRIC"``, or a list);
            default revenue of every mechanism.
        max_samples: the cap of a precision target (default 2^30).
        quiet: when False, print the note on ``sys.stderr``.

    Returns:
        :class:`mcrev.SweepResult`: the rows of ``mcrev sweep --format json`` (one per point,
        mechanism and metric: ``point``, one entry per swept key, ``mechanism``, ``metric``,
        ``mean``, ``stderr``, ``ci_low``, ``ci_high``, ``profiles``); ``.to_pandas()`` gives them as
        a frame. Each point's numbers are bitwise those of :func:`mcrev.run` on the modified scenario.

    Raises:
        mcrev.ScenarioError: a malformed set, an unknown key path, a point the scenario parser
            rejects (``.key_path`` names it), a bad keyword.
        mcrev.BackendError, KeyboardInterrupt: as for :func:`mcrev.run`.
    """
    source = _source_args(scenario)
    if source[0] is None and source[1] is None:
        raise ScenarioError("scenario: a sweep needs a scenario: a TOML file or a dict "
                            "(e.g. mcrev.default_scenario())", "scenario")
    texts = _set_texts(sets)
    over = _override_args(samples, seed, backend, threads, confidence)
    eps = 0.0
    if target_halfwidth is not None:
        if isinstance(target_halfwidth, bool) or not isinstance(target_halfwidth, numbers.Real):
            raise ScenarioError(f"target_halfwidth: expected a number > 0, got {target_halfwidth!r}", "target_halfwidth")
        eps = float(target_halfwidth)
        if not eps > 0 or eps != eps or eps == float("inf"):
            raise ScenarioError(f"target_halfwidth: must be a finite number > 0, got {target_halfwidth!r}",
                                "target_halfwidth")
    elif target_metric is not None or max_samples is not None:
        raise ScenarioError("target_metric and max_samples need target_halfwidth", "target_halfwidth")
    metrics = [] if target_metric is None else ([target_metric] if isinstance(target_metric, str) else list(target_metric))
    json_text, csv_text, note, warns = _mcrev.sweep(*source, texts, *over, eps, metrics,
                                                    _count_text(max_samples, "max_samples"), None)
    _emit(note, warns, quiet, stacklevel=2)
    return SweepResult(json_text, csv_text, note, warns)
