"""The result of mcrev.run: the CLI's JSON, as a mapping, and a tidy pandas frame (docs/python.md)."""

import collections.abc
import csv
import io
import json as _json

# The tidy frame's columns: the CLI's CSV columns (`mcrev run --format csv`), in order.
FRAME_COLUMNS = ("mechanism", "kind", "metric", "group", "mean", "stderr", "ci_low", "ci_high")


def _import_pandas():
    try:
        import pandas
    except ImportError as e:
        raise ImportError(
            "mcrev: Result.to_pandas() needs pandas, which is not installed: pip install pandas "
            "(or pip install \"mcrev[pandas]\"); Result.to_dict() and Result.json need nothing"
        ) from e
    return pandas


class Result(collections.abc.Mapping):
    """The result of a run: exactly what ``mcrev run --format json`` writes.

    A read-only mapping over the JSON's top-level keys (``"run"``, ``"groups"``, ``"mechanisms"``,
    and where they apply ``"market"``, ``"correlation"``, ``"warnings"``; README "JSON output").
    Non-finite numbers are ``None``, as ``null`` in the JSON.

    Attributes:
        json: the JSON text, byte for byte what the CLI writes for the same run.
        csv: the CSV text of ``--format csv`` for the same run (the rows of :meth:`to_pandas`).
        note: the CLI's note on stderr (e.g. why ``backend="auto"`` ran on the CPU), or ``""``.
        warnings: the scenario's warnings (also emitted as :class:`mcrev.ScenarioWarning`).
    """

    def __init__(self, json_text, csv_text, note="", warnings=()):
        self.json = json_text
        self.csv = csv_text
        self.note = note
        self.warnings = list(warnings)
        self._data = _json.loads(json_text)

    # Mapping protocol over the top-level keys.
    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def to_dict(self):
        """A fresh ``dict`` of the JSON (``json.loads(self.json)``): safe to modify."""
        return _json.loads(self.json)

    @property
    def mechanisms(self):
        """The mechanisms' names, in scenario order (the first is the baseline of ``revenue_diff``)."""
        return [m["name"] for m in self._data["mechanisms"]]

    def mechanism(self, name):
        """The JSON object of the mechanism called `name` (KeyError if there is none)."""
        for m in self._data["mechanisms"]:
            if m["name"] == name:
                return m
        raise KeyError(f"no mechanism named {name!r}; the result has {self.mechanisms}")

    def rows(self):
        """The tidy rows as a list of dicts with the keys FRAME_COLUMNS (no pandas needed)."""
        reader = csv.reader(io.StringIO(self.csv))
        header = next(reader)
        if tuple(header) != FRAME_COLUMNS:
            raise RuntimeError(f"mcrev: unexpected CSV header {header}")
        out = []
        for line in reader:
            if len(line) != len(FRAME_COLUMNS):
                raise ValueError(
                    "mcrev: a mechanism or group name contains a comma, which the tidy rows cannot hold: "
                    + ",".join(line))
            mech, kind, metric, group = line[:4]
            mean, stderr, lo, hi = (float(x) for x in line[4:])
            out.append({"mechanism": mech, "kind": kind, "metric": metric, "group": group or None,
                        "mean": mean, "stderr": stderr, "ci_low": lo, "ci_high": hi})
        return out

    def to_pandas(self):
        """A tidy ``pandas.DataFrame``: one row per (mechanism, metric) and per (mechanism, metric,
        bidder group), the rows of ``mcrev run --format csv`` in the same order.

        Columns: ``mechanism`` (name), ``kind``, ``metric`` (``revenue``, ``welfare``,
        ``seller_utility``, ``efficiency``, ``no_sale``, ``revenue_diff``, the market's extra metrics,
        ``solved.<name>`` host-solved values, then per group ``win``, ``payment``, ``utility``, and
        incentive and quantized rows where the scenario asks for them), ``group`` (the bidder group's
        name for per-bidder rows, ``None`` for mechanism-level rows), ``mean``, ``stderr``, ``ci_low``,
        ``ci_high`` (floats; NaN where the JSON has ``null``). Needs pandas (imported here only).
        """
        pd = _import_pandas()
        return pd.DataFrame(self.rows(), columns=list(FRAME_COLUMNS))

    def __repr__(self):
        run = self._data.get("run", {})
        head = f"<mcrev.Result: {run.get('samples')} profiles, seed {run.get('seed')}, {run.get('backend')} backend"
        lines = [head + ">"]
        for m in self._data.get("mechanisms", []):
            rev = m.get("revenue") or {}
            mean, se = rev.get("mean"), rev.get("stderr")
            if mean is not None and se is not None:
                lines.append(f"  {m['name']}: revenue {mean:.6g} ± {se:.2g}")
        return "\n".join(lines)


class SweepResult(collections.abc.Sequence):
    """The rows of a sweep: exactly what ``mcrev sweep --format json`` writes (a list of objects).

    A read-only sequence of dicts, one per (point, mechanism, metric), with the keys ``point``, one
    per swept key path, ``mechanism``, ``metric``, ``mean``, ``stderr``, ``ci_low``, ``ci_high``,
    ``profiles`` (and ``target_met`` with a precision target). Non-finite numbers are ``None``.

    Attributes:
        json, csv: the texts of ``--format json`` and ``--format csv`` for the same sweep.
        note, warnings: as for :class:`mcrev.Result`.
    """

    def __init__(self, json_text, csv_text, note="", warnings=()):
        self.json = json_text
        self.csv = csv_text
        self.note = note
        self.warnings = list(warnings)
        self._rows = _json.loads(json_text)

    def __getitem__(self, i):
        return self._rows[i]

    def __len__(self):
        return len(self._rows)

    def to_pandas(self):
        """The rows as a pandas DataFrame (columns in the JSON's key order)."""
        try:
            import pandas as pd
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("mcrev.SweepResult.to_pandas needs pandas: pip install pandas") from e
        return pd.DataFrame(self._rows)
