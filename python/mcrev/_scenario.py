"""Scenario dicts: checks, conversion to TOML text, and the built-in default (docs/python.md)."""

import copy
import numbers
import os

from ._errors import ScenarioError

# The built-in default scenario (mcrev::default_scenario, host/engine.cpp; the same as
# examples/revenue_equivalence.toml). python/tests check that running it gives the bits of run(None).
_DEFAULT = {
    "samples": 10_000_000,
    "seed": 1,
    "backend": "auto",
    "confidence": 0.95,
    "bidders": [{"name": "bidders", "count": 5, "value": {"dist": "uniform", "low": 0.0, "high": 1.0}}],
    "mechanisms": [
        {"kind": "second_price", "name": "second_price"},
        {"kind": "second_price", "name": "second_price_r0.5", "reserve": 0.5},
        {"kind": "first_price", "name": "first_price_bne", "strategy": "bne"},
        {"kind": "all_pay", "name": "all_pay_bne", "strategy": "bne"},
        {"kind": "posted_price", "name": "posted_price_0.5", "price": 0.5},
    ],
}


def default_scenario():
    """The built-in default scenario as a dict (5 iid U[0, 1] bidders; second price, second price
    with reserve 0.5, first price and all-pay at their Bayes-Nash equilibria, posted price 0.5;
    10^7 profiles, seed 1). A fresh copy: edit it and pass it to :func:`mcrev.run`."""
    return copy.deepcopy(_DEFAULT)


def _join(path, key):
    return key if not path else f"{path}.{key}"


def _plain(value, path):
    """A copy of `value` holding only what TOML can say (dicts with str keys, lists, str, bool,
    int, float); numpy scalars and os.PathLike values are converted. Otherwise ScenarioError."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ScenarioError(f"{path or 'scenario'}: keys must be strings, got {k!r}", path)
            out[k] = _plain(v, _join(path, k))
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (str, bool)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if value is None:
        raise ScenarioError(f"{path}: None has no TOML form (leave the key out for its default)", path)
    tolist = getattr(value, "tolist", None)  # numpy arrays
    if callable(tolist):
        return _plain(tolist(), path)
    raise ScenarioError(f"{path}: a {type(value).__name__} has no TOML form", path)


def to_toml(scenario):
    """TOML text of a scenario dict (the structure of a scenario file, README "Scenario reference")."""
    if not isinstance(scenario, dict):
        raise TypeError(f"a scenario dict must be a dict, got {type(scenario).__name__}")
    try:
        import tomli_w
    except ImportError as e:  # pragma: no cover - tomli_w is a dependency of the package
        raise ImportError("mcrev: a dict scenario needs tomli_w (pip install tomli_w)") from e
    return tomli_w.dumps(_plain(scenario, ""))
