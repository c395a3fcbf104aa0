#!/usr/bin/env python3
"""Side-by-side: mcrev's CPU backend vs the numpy baseline on the same machine, in one go.

Second-price revenue, n iid U[0,1] bidders (default n = 5, 10^7 profiles). Prints both throughputs
and their ratios (ratios, not absolute times, are what to compare across machines), checks that the
estimates agree, and shows mcrev's peak memory for 10^6 and 10^8 profiles (flat: nothing per profile).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def mcrev_run(binary, scenario, samples, extra=()):
    """Runs mcrev; returns its JSON and its own peak resident memory in KiB (wait4's rusage)."""
    with tempfile.TemporaryFile("w+") as out:
        p = subprocess.Popen([binary, "run", scenario, "--samples", str(samples), "--backend", "cpu", "--format",
                              "json", "-q", *extra], stdout=out)
        _pid, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            raise SystemExit(f"mcrev failed with exit code {p.returncode}")
        out.seek(0)
        return json.load(out), usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mcrev", default=os.path.join(HERE, "..", "build", "bin", "mcrev"))
    ap.add_argument("--bidders", type=int, default=5)
    ap.add_argument("--samples", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=3, help="best of N for each side")
    a = ap.parse_args()

    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(f"seed = 1\n[[bidders]]\ncount = {a.bidders}\n"
                "value = { dist = \"uniform\", low = 0.0, high = 1.0 }\n"
                "[[mechanisms]]\nkind = \"second_price\"\n")
        scenario = f.name
    try:
        truth = (a.bidders - 1) / (a.bidders + 1)
        mc_rate, mc = 0.0, None
        np_rates = {"sort": 0.0, "partition": 0.0}
        np_est = {}
        for _ in range(a.repeats):  # interleaved, so background load hits both sides alike
            d, _rss = mcrev_run(a.mcrev, scenario, a.samples)
            if d["run"]["profiles_per_second"] > mc_rate:
                mc_rate, mc = d["run"]["profiles_per_second"], d
            out = subprocess.run([sys.executable, os.path.join(HERE, "baseline", "numpy_second_price.py"),
                                  "--bidders", str(a.bidders), "--samples", str(a.samples)],
                                 check=True, capture_output=True, text=True).stdout
            for line in out.splitlines():
                name, _n, _sec, rate, mean, se = line.split()
                np_rates[name] = max(np_rates[name], float(rate))
                np_est[name] = (float(mean), float(se))
        _d, rss_small = mcrev_run(a.mcrev, scenario, 1_000_000)
        _d, rss_large = mcrev_run(a.mcrev, scenario, 100_000_000)

        rev = mc["mechanisms"][0]["revenue"]
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
              f"mcrev device: {mc['run']['device']}")
        print(f"second price, n = {a.bidders} iid U[0,1], {a.samples:.3g} profiles; truth (n-1)/(n+1) = {truth:.6f}")
        print(f"  mcrev cpu          {mc_rate:12.4g} profiles/s   revenue {rev['mean']:.6f} ± {rev['stderr']:.6f}")
        for name in ["sort", "partition"]:
            m, se = np_est[name]
            print(f"  numpy {name:<12} {np_rates[name]:12.4g} profiles/s   revenue {m:.6f} ± {se:.6f}   "
                  f"mcrev/numpy = {mc_rate / np_rates[name]:.1f}x")
        print(f"  mcrev peak memory: {rss_small / 1024:.1f} MiB at 1e6 profiles, {rss_large / 1024:.1f} MiB at 1e8")
    finally:
        os.unlink(scenario)


if __name__ == "__main__":
    main()
