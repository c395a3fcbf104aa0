"""Shared helpers of the Python module's tests (docs/python.md, "Tests").

The tests import the installed package (`pip install ".[test]"`), or the copy a CMake build with
-DMCREV_BUILD_PYTHON=ON leaves in <build>/python (PYTHONPATH=<build>/python). The CLI comparisons
use the executable named by MCREV_CLI, else build/bin/mcrev or build-cpu/bin/mcrev of this checkout,
and skip (saying so) when there is none.
"""

import json
import os
import pathlib
import shutil

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def find_cli():
    env = os.environ.get("MCREV_CLI")
    if env:
        return env if os.access(env, os.X_OK) else None
    for cand in (REPO / "build" / "bin" / "mcrev", REPO / "build-cpu" / "bin" / "mcrev"):
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return shutil.which("mcrev")


@pytest.fixture(scope="session")
def cli():
    path = find_cli()
    if path is None:
        pytest.skip("no mcrev CLI: set MCREV_CLI to the built executable (e.g. build/bin/mcrev)")
    return path


TIMING = ("seconds", "profiles_per_second")


def without_timing(d, drop=()):
    """A copy of a result dict without the timings (every "seconds" and "profiles_per_second", at any
    depth: the run's and the interim-loss estimator's) and without the `drop` keys of "run"."""
    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in TIMING}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    d = strip(dict(d))
    for k in drop:
        d["run"].pop(k, None)
    return d


def bits(d):
    """A text that differs whenever any float's bits differ (repr is the shortest round trip)."""
    return json.dumps(d, sort_keys=True)
