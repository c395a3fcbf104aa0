"""mcrev.run: closed forms, the CLI's bits, determinism, dict scenarios (docs/python.md, "Tests")."""

import json
import os
import signal
import subprocess
import threading
import time
import warnings

import pytest

import mcrev
from conftest import EXAMPLES, REPO, bits, without_timing


def second_price(n, reserve=None):
    mech = {"kind": "second_price"}
    if reserve is not None:
        mech["reserve"] = reserve
    return {
        "samples": 200_000,
        "seed": 11,
        "backend": "cpu",
        "bidders": [{"count": n, "value": {"dist": "uniform", "low": 0.0, "high": 1.0}}],
        "mechanisms": [mech],
    }


@pytest.mark.parametrize("n", [2, 5])
def test_second_price_closed_form(n):
    # n iid U[0,1] bidders, second price, no reserve: revenue E[V(2)] = (n-1)/(n+1) (the
    # second-highest of n uniforms is Beta(n-1, 2)); welfare E[V(1)] = n/(n+1); the item always sells.
    r = mcrev.run(second_price(n))
    m = r["mechanisms"][0]
    for metric, truth in (("revenue", (n - 1) / (n + 1)), ("welfare", n / (n + 1))):
        est = m[metric]
        assert est["stderr"] > 0
        assert abs(est["mean"] - truth) <= 5 * est["stderr"], (metric, est, truth)
        assert est["ci_low"] < est["mean"] < est["ci_high"]
    assert m["no_sale"]["mean"] == 0.0
    assert r["run"]["samples"] == 200_000 and r["run"]["seed"] == 11 and r["run"]["backend"] == "cpu"


def test_reserve_closed_form():
    # Two U[0,1] bidders, second price with reserve r: revenue = 1/3 + r^2 - (4/3) r^3 (Myerson:
    # E[max(V(2), r); V(1) >= r]); at r = 0.5 that is 5/12.
    r = mcrev.run(second_price(2, reserve=0.5), samples=400_000)
    est = r["mechanisms"][0]["revenue"]
    assert abs(est["mean"] - 5 / 12) <= 5 * est["stderr"]


SCENARIO_TOML = """\
samples = 100_000
seed = 5
backend = "cpu"
confidence = 0.9

[[bidders]]
name = "a"
count = 2
value = { dist = "uniform", low = 0.0, high = 1.0 }

[[bidders]]
name = "b"
count = 1
value = { dist = "uniform", low = 0.0, high = 2.0 }

[[mechanisms]]
kind = "second_price"
reserve = 0.25

[[mechanisms]]
kind = "first_price"
name = "fp_shade"
strategy = "shade"
factor = 0.7
"""

SCENARIO_DICT = {
    "samples": 100_000,
    "seed": 5,
    "backend": "cpu",
    "confidence": 0.9,
    "bidders": [
        {"name": "a", "count": 2, "value": {"dist": "uniform", "low": 0.0, "high": 1.0}},
        {"name": "b", "count": 1, "value": {"dist": "uniform", "low": 0.0, "high": 2.0}},
    ],
    "mechanisms": [
        {"kind": "second_price", "reserve": 0.25},
        {"kind": "first_price", "name": "fp_shade", "strategy": "shade", "factor": 0.7},
    ],
}


def test_dict_equals_toml_file(tmp_path):
    path = tmp_path / "scen.toml"
    path.write_text(SCENARIO_TOML)
    from_file = mcrev.run(path)
    from_str = mcrev.run(str(path))
    from_dict = mcrev.run(SCENARIO_DICT)
    assert bits(without_timing(from_file)) == bits(without_timing(from_dict))
    assert bits(without_timing(from_file)) == bits(without_timing(from_str))
    assert from_file.csv == from_dict.csv
    assert from_dict.mechanisms == ["second_price", "fp_shade"]
    assert from_dict["run"]["confidence"] == 0.9


def test_numpy_values_and_to_toml(tmp_path):
    np = pytest.importorskip("numpy", reason="numpy is not installed")
    scen = {
        "samples": np.int64(100_000),
        "seed": 5,
        "backend": "cpu",
        "bidders": [{"name": "a", "count": np.int32(2), "value": {"dist": "uniform", "low": np.float64(0.0), "high": 1.0}},
                    {"name": "b", "count": 1, "value": {"dist": "uniform", "low": 0.0, "high": 2.0}}],
        "mechanisms": [{"kind": "second_price", "reserve": np.array([0.25, 0.5])}],
    }
    plain = {
        "samples": 100_000, "seed": 5, "backend": "cpu",
        "bidders": [{"name": "a", "count": 2, "value": {"dist": "uniform", "low": 0.0, "high": 1.0}},
                    {"name": "b", "count": 1, "value": {"dist": "uniform", "low": 0.0, "high": 2.0}}],
        "mechanisms": [{"kind": "second_price", "reserve": [0.25, 0.5]}],
    }
    a, b = mcrev.run(scen), mcrev.run(plain)
    assert bits(without_timing(a)) == bits(without_timing(b))
    path = tmp_path / "saved.toml"
    path.write_text(mcrev.to_toml(scen))
    assert bits(without_timing(mcrev.run(path))) == bits(without_timing(a))


def test_dict_relative_file_resolves_against_cwd(monkeypatch):
    # examples/empirical.toml names data/observed_values.csv relative to examples/; the same dict run
    # from examples/ reads the same file.
    scen = {
        "samples": 50_000,
        "seed": 3,
        "backend": "cpu",
        "bidders": [{"name": "observed", "count": 4,
                     "value": {"dist": "empirical", "file": "data/observed_values.csv"}}],
        "mechanisms": [{"kind": "second_price"}, {"kind": "second_price", "name": "second_price_r1", "reserve": 1.0},
                       {"kind": "first_price", "name": "first_price_r1", "reserve": 1.0, "strategy": "bne"}],
    }
    from_file = mcrev.run(EXAMPLES / "empirical.toml", samples=50_000, backend="cpu")
    monkeypatch.chdir(EXAMPLES)
    from_dict = mcrev.run(scen)
    assert bits(without_timing(from_file)) == bits(without_timing(from_dict))
    monkeypatch.chdir(REPO)
    with pytest.raises(mcrev.ScenarioError) as e:
        mcrev.run(scen)
    assert e.value.key_path.startswith("bidders[0].value")


def test_default_scenario_dict_is_the_default():
    a = mcrev.run(None, samples=65_536, seed=9, backend="cpu")
    b = mcrev.run(mcrev.default_scenario(), samples=65_536, seed=9, backend="cpu")
    assert bits(without_timing(a)) == bits(without_timing(b))
    assert a.mechanisms == [m["name"] for m in mcrev.default_scenario()["mechanisms"]]
    assert mcrev.default_scenario() is not mcrev.default_scenario()


def test_threads_do_not_change_bits():
    scen = dict(SCENARIO_DICT, samples=300_000)
    one = mcrev.run(scen, threads=1)
    two = mcrev.run(scen, threads=2)
    assert bits(without_timing(one, drop=("device",))) == bits(without_timing(two, drop=("device",)))
    assert one.csv == two.csv


def test_overrides_follow_the_cli_rules():
    r = mcrev.run(SCENARIO_DICT, samples=1e4, seed=2**64 - 1, confidence=0.5)
    assert r["run"]["samples"] == 10_000 and r["run"]["seed"] == 2**64 - 1 and r["run"]["confidence"] == 0.5
    m = r["mechanisms"][0]["revenue"]
    narrow = m["ci_high"] - m["ci_low"]
    wide = mcrev.run(SCENARIO_DICT, samples=1e4, seed=2**64 - 1)["mechanisms"][0]["revenue"]
    # Same profiles, so the same mean and stderr; the 50 % interval is narrower than the 90 % one.
    assert wide["mean"] == m["mean"] and wide["stderr"] == m["stderr"]
    assert narrow < wide["ci_high"] - wide["ci_low"]


def test_gil_released():
    # A Python thread counts (1 ms sleeps) while a run of at least half a second is computed: with the
    # GIL held through the run it could not count inside the run's window at all.
    scen = second_price(5)
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    th = threading.Thread(target=count)
    th.start()
    try:
        samples = 4_000_000
        while True:  # grow the run until it lasts at least 0.5 s on this machine
            t_start = time.perf_counter()
            mcrev.run(scen, samples=samples, threads=1)
            t_end = time.perf_counter()
            if t_end - t_start >= 0.5 or samples >= 10**10:
                break
            samples *= 4
    finally:
        stop.set()
        th.join()
    assert t_end - t_start >= 0.5, "the run was too short to test"
    inside = [t for t in ticks if t_start + 0.1 < t < t_end - 0.05]
    assert len(inside) >= 20, (len(inside), t_end - t_start)


def test_concurrent_runs_from_threads():
    # Runs in two Python threads at once (the GIL is released) give the bits of the same runs one
    # after the other.
    from concurrent.futures import ThreadPoolExecutor

    seeds = (101, 202, 303, 404)
    alone = [mcrev.run(SCENARIO_DICT, seed=s, threads=1) for s in seeds]
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(pool.map(lambda s: mcrev.run(SCENARIO_DICT, seed=s, threads=1), seeds))
    for a, b in zip(alone, together):
        assert bits(without_timing(a)) == bits(without_timing(b))
    assert len({bits(without_timing(a)) for a in alone}) == len(seeds)


def test_ctrl_c_stops_a_run():
    # SIGINT 0.3 s into a run of 10^9 profiles on one thread (tens of seconds): KeyboardInterrupt
    # within a few seconds (the run checks for signals about every 0.2 s).
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    t0 = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            mcrev.run(second_price(5), samples=10**9, threads=1)
    finally:
        timer.cancel()
    assert time.perf_counter() - t0 < 5.0
    # The module still works afterwards.
    assert mcrev.run(second_price(2), samples=1000)["run"]["samples"] == 1000


def test_quiet_prints_nothing(capfd):
    mcrev.run(SCENARIO_DICT, samples=10_000, backend="auto")
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_not_quiet_prints_the_note(capfd):
    r = mcrev.run(SCENARIO_DICT, samples=10_000, backend="auto", quiet=False)
    _, err = capfd.readouterr()
    if r.note:
        assert r.note in err
    assert r.note == r["run"].get("note", "")


def test_version():
    text = (REPO / "CMakeLists.txt").read_text()
    assert f"project(mcrev VERSION {mcrev.__version__} " in text
    assert mcrev.version_text.startswith(f"mcrev {mcrev.__version__} (git ")


# --- the CLI's JSON and CSV -------------------------------------------------------------------------

def cli_output(cli, args, fmt):
    p = subprocess.run([cli, "run", *args, "--format", fmt, "-q"], capture_output=True, text=True, check=True)
    return p.stdout


@pytest.mark.parametrize("scenario", [None, "single_item.toml", "revenue_equivalence.toml", "bilateral_trade.toml",
                                      "llg.toml", "quantized.toml", "correlated.toml"])
def test_equals_cli_json(cli, scenario):
    path = None if scenario is None else EXAMPLES / scenario
    args = ([] if path is None else [str(path)]) + ["-n", "100000", "--seed", "77", "--backend", "cpu", "--threads", "2"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = mcrev.run(path, samples=100_000, seed=77, backend="cpu", threads=2)
    cli_json = json.loads(cli_output(cli, args, "json"))
    # The CLI's warnings (stderr and the JSON) come as ScenarioWarning, also in Result.warnings.
    assert [str(w.message) for w in caught if w.category is mcrev.ScenarioWarning] == cli_json.get("warnings", [])
    assert r.warnings == cli_json.get("warnings", [])
    assert list(cli_json) == list(r)
    assert bits(without_timing(cli_json)) == bits(without_timing(r))
    assert cli_output(cli, args, "csv") == r.csv


def test_version_matches_cli(cli):
    p = subprocess.run([cli, "--version"], capture_output=True, text=True, check=True)
    line = p.stdout.strip()
    assert line.split(" (git ")[0] == f"mcrev {mcrev.__version__}"
