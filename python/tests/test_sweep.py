"""mcrev.sweep: the C++ sweep API (include/mcrev/sweep.hpp) behind ``mcrev sweep`` (docs/sweeps.md)."""

import json
import subprocess

import pytest

import mcrev

from conftest import EXAMPLES


def two_bidders(reserve=0.0):
    return {
        "samples": 200_000,
        "seed": 3,
        "bidders": [{"count": 2, "value": {"dist": "uniform", "low": 0.0, "high": 1.0}}],
        "mechanisms": [{"kind": "second_price", "name": "sp", "reserve": reserve}],
    }


def revenue_rows(rows):
    return [r for r in rows if r["metric"] == "revenue"]


def test_revenue_along_the_reserve_matches_the_closed_form():
    # Second price, 2 iid U[0,1], reserve r: R(r) = 1/3 + r^2 - (4/3) r^3 (docs/sweeps.md).
    res = mcrev.sweep(two_bidders(), {"mechanisms[0].reserve": "0:0.8:5"}, threads=2)
    rows = revenue_rows(res)
    # (LOW (COUNT-1-i) + HIGH i) / (COUNT-1): both ends exact, the inner points within an ulp.
    assert [r["mechanisms[0].reserve"] for r in rows] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8], rel=1e-15)
    assert rows[0]["mechanisms[0].reserve"] == 0.0 and rows[-1]["mechanisms[0].reserve"] == 0.8
    for row in rows:
        r = row["mechanisms[0].reserve"]
        truth = 1 / 3 + r**2 - 4 / 3 * r**3
        assert abs(row["mean"] - truth) <= 5 * row["stderr"], (r, row["mean"], truth, row["stderr"])
        assert row["profiles"] == 200_000


def test_each_point_is_bitwise_the_run_of_the_modified_scenario():
    res = mcrev.sweep(two_bidders(), {"mechanisms[0].reserve": [0.25, 0.5]}, threads=1)
    for reserve in (0.25, 0.5):
        alone = mcrev.run(two_bidders(reserve), threads=2)["mechanisms"][0]
        row = next(r for r in revenue_rows(res) if r["mechanisms[0].reserve"] == reserve)
        assert row["mean"] == alone["revenue"]["mean"]
        assert row["stderr"] == alone["revenue"]["stderr"]


def test_sets_as_dict_list_or_strings_give_the_same_rows():
    a = mcrev.sweep(two_bidders(), {"mechanisms[0].reserve": [0.1, 0.3], "bidders[0].count": [2, 3]}, samples=4096)
    b = mcrev.sweep(two_bidders(), ["mechanisms[0].reserve=0.1,0.3", "bidders[0].count=2,3"], samples=4096)
    assert a.json == b.json
    counts = [r["bidders[0].count"] for r in revenue_rows(a)]
    assert counts == [2, 3, 2, 3]  # the first key varies slowest


def test_to_pandas_has_one_row_per_point_mechanism_metric():
    pd = pytest.importorskip("pandas")
    res = mcrev.sweep(two_bidders(), {"mechanisms[0].reserve": "0:0.5:3"}, samples=4096)
    df = res.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == len(res)
    assert list(df.columns[:3]) == ["point", "mechanisms[0].reserve", "mechanism"]
    assert sorted(df["point"].unique()) == [0, 1, 2]


def test_precision_target_per_point():
    res = mcrev.sweep(two_bidders(), {"mechanisms[0].reserve": [0.0, 0.5]}, target_halfwidth=2e-3, threads=2)
    for row in revenue_rows(res):
        assert row["target_met"] is True
        assert row["profiles"] % 65536 == 0
        assert (row["ci_high"] - row["ci_low"]) / 2 <= 2e-3


def test_errors_name_the_set():
    with pytest.raises(mcrev.ScenarioError) as e:
        mcrev.sweep(two_bidders(), {"mechanisms[3].reserve": [0.1]})
    assert "mechanisms[3].reserve" in str(e.value)
    with pytest.raises(mcrev.ScenarioError) as e:
        mcrev.sweep(two_bidders(), ["mechanisms[0].reserve=0:1:0"])
    assert e.value.key_path == "sets"
    assert "mechanisms[0].reserve=0:1:0" in str(e.value)
    with pytest.raises(mcrev.ScenarioError) as e:
        mcrev.sweep(None, {"mechanisms[0].reserve": [0.1]})
    assert e.value.key_path == "scenario"
    with pytest.raises(mcrev.ScenarioError) as e:
        mcrev.sweep(two_bidders(), {"mechanisms[0].reserve": [-1.0]})  # the parser's own check, per point
    assert e.value.key_path == "mechanisms[0].reserve"
    assert str(e.value).startswith("sweep point 0 (mechanisms[0].reserve = -1")
    with pytest.raises(mcrev.ScenarioError):
        mcrev.sweep(two_bidders(), {"mechanisms[0].reserve": [0.1]}, samples=1000, target_halfwidth=1e-3)


def test_equals_the_cli(cli, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(mcrev.to_toml(two_bidders()))
    out = subprocess.run([cli, "sweep", str(path), "--set", "mechanisms[0].reserve=0:0.6:4", "-n", "8192", "-q",
                          "--format", "json"], check=True, capture_output=True, text=True).stdout
    res = mcrev.sweep(str(path), {"mechanisms[0].reserve": "0:0.6:4"}, samples=8192)
    assert res.json == out
    assert json.loads(out) == list(res)
