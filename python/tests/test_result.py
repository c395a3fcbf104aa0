"""Result: mapping, to_dict, tidy rows and to_pandas (docs/python.md, "The tidy frame")."""

import json

import pytest

import mcrev


SCEN = {
    "samples": 50_000,
    "seed": 4,
    "backend": "cpu",
    "bidders": [{"name": "low", "count": 2, "value": {"dist": "uniform", "low": 0.0, "high": 1.0}},
                {"name": "high", "count": 1, "value": {"dist": "uniform", "low": 0.0, "high": 2.0}}],
    "mechanisms": [{"kind": "second_price", "name": "sp"}, {"kind": "first_price", "name": "fp", "strategy": "bne"},
                   {"kind": "posted_price", "name": "post", "price": 0.8}],
}

MECH_METRICS = ["revenue", "welfare", "seller_utility", "efficiency", "no_sale", "revenue_diff"]
GROUP_METRICS = ["win", "payment", "utility"]


@pytest.fixture(scope="module")
def result():
    return mcrev.run(SCEN)


def expected_rows(r):
    # single_item without incentives: 6 mechanism-level metrics, the host-solved values, and 3
    # per-bidder metrics for every group (host/output/output.cpp format_csv).
    return sum(len(MECH_METRICS) + len(m.get("solved", {})) + len(GROUP_METRICS) * len(m["bidders"])
               for m in r["mechanisms"])


def test_mapping_and_dict(result):
    d = result.to_dict()
    assert d == json.loads(result.json)
    assert list(result) == list(d) and len(result) == len(d)
    assert result["mechanisms"][1]["name"] == "fp" and result.mechanism("fp") == d["mechanisms"][1]
    d["mechanisms"].clear()
    assert len(result["mechanisms"]) == 3  # to_dict is a copy
    with pytest.raises(KeyError):
        result.mechanism("nope")
    assert "sp: revenue" in repr(result)


def test_rows_match_json(result):
    rows = result.rows()
    assert len(rows) == expected_rows(result) == 3 * (6 + 3 * 2)
    for m in result["mechanisms"]:
        for metric in MECH_METRICS:
            (row,) = [x for x in rows if x["mechanism"] == m["name"] and x["metric"] == metric]
            assert row["group"] is None and row["kind"] == m["kind"]
            for k in ("mean", "stderr", "ci_low", "ci_high"):
                assert row[k] == m[metric][k]  # same doubles as the JSON
        for g in m["bidders"]:
            for metric in GROUP_METRICS:
                (row,) = [x for x in rows if x["mechanism"] == m["name"] and x["metric"] == metric
                          and x["group"] == g["group"]]
                assert row["mean"] == g[metric]["mean"] and row["stderr"] == g[metric]["stderr"]


def test_to_pandas(result):
    pd = pytest.importorskip("pandas", reason="pandas is not installed (pip install pandas)")
    df = result.to_pandas()
    assert list(df.columns) == list(mcrev.FRAME_COLUMNS) == ["mechanism", "kind", "metric", "group", "mean",
                                                            "stderr", "ci_low", "ci_high"]
    assert len(df) == expected_rows(result)
    assert df["group"].isna().sum() == 3 * 6
    assert set(df.loc[df["group"].notna(), "group"]) == {"low", "high"}
    rev = df[(df.metric == "revenue")].set_index("mechanism")["mean"]
    assert [rev[m["name"]] for m in result["mechanisms"]] == [m["revenue"]["mean"] for m in result["mechanisms"]]
    for col in ("mean", "stderr", "ci_low", "ci_high"):
        assert df[col].dtype == "float64"


def test_to_pandas_without_pandas(result, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *a, **k):
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match="pip install pandas"):
        result.to_pandas()
