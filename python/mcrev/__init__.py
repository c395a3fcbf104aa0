"""mcrev: Monte Carlo revenue, welfare and incentives of auctions and mechanisms, on CPU and GPU.

    import mcrev
    r = mcrev.run("examples/single_item.toml", samples=10**6, seed=7)
    r["mechanisms"][0]["revenue"]["mean"]       # the CLI's JSON, as a mapping
    r.to_pandas()                               # tidy frame: mechanism, kind, metric, group, mean, ...

See docs/python.md.
"""

from ._errors import BackendError, ScenarioError, ScenarioWarning
from ._mcrev import __version__, version_text
from ._result import FRAME_COLUMNS, Result, SweepResult
from ._run import run, sweep
from ._scenario import default_scenario, to_toml

__all__ = [
    "BackendError",
    "FRAME_COLUMNS",
    "Result",
    "ScenarioError",
    "ScenarioWarning",
    "SweepResult",
    "__version__",
    "default_scenario",
    "run",
    "sweep",
    "to_toml",
    "version_text",
]
