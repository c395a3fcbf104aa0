#!/usr/bin/env python3
"""Profiles needed for a half-width of 1e-4 (95 %) on the default scenario, per variance-reduction method.

Runs `mcrev run --variance-reduction M -n N --format json` for M in none, antithetic, control_variate,
rqmc and prints a Markdown table (docs/variance_reduction.md). For each metric the method's variance
per profile is sigma2 = N * SE^2 (SE as the run reports it: pair means, the control-variate residual,
or the rqmc replicate means), and the profiles needed are (z * sigma / 1e-4)^2 with z = 1.96.

Quasi-Monte Carlo error falls faster than 1/sqrt(N), so for rqmc the extrapolation from one N is only
an upper-bound-like guide; the script also runs rqmc at N = 2^10, 2^11, ..., N (16 replicates) and
reports the smallest N whose measured half-width (Student t, 15 d.f.) is <= 1e-4 ("scan").

Usage: profiles_needed.py path/to/mcrev [N] [--threads T]
"""
import json
import subprocess
import sys

mcrev = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1 << 24
threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "0"
z, h = 1.959963984540054, 1e-4
methods = ["none", "antithetic", "control_variate", "rqmc"]
runs = {}
for m in methods:
    out = subprocess.run([mcrev, "run", "-n", str(n), "--seed", "1", "--threads", threads, "-q",
                          "--variance-reduction", m, "--format", "json"], check=True, capture_output=True, text=True)
    runs[m] = json.loads(out.stdout)
    print(f"# {m}: {runs[m]['run']['seconds']:.1f} s", file=sys.stderr)


def run_json(method, samples):
    out = subprocess.run([mcrev, "run", "-n", str(samples), "--seed", "1", "--threads", threads, "-q",
                          "--variance-reduction", method, "--format", "json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


scan = {}  # (mechanism index, metric) -> smallest N reaching the half-width
k = 10
while (1 << k) <= n:
    r = run_json("rqmc", 1 << k)
    for i, mech in enumerate(r["mechanisms"]):
        for metric in ("revenue", "welfare"):
            e = mech[metric]
            if (i, metric) not in scan and e["ci_high"] - e["mean"] <= h:
                scan[(i, metric)] = 1 << k
    k += 1


def needed(se):
    return n * (z * se / h) ** 2


def fmt(x):
    return "exact" if x == 0 else f"{x:.3g}"


print(f"| mechanism | metric | " + " | ".join(methods) + " | rqmc (scan) |")
print("| --- | --- | " + " | ".join("---:" for _ in methods) + " | ---: |")
for i, mech in enumerate(runs["none"]["mechanisms"]):
    for metric in ("revenue", "welfare"):
        cells = []
        for m in methods:
            e = runs[m]["mechanisms"][i][metric]
            cell = fmt(needed(e["stderr"]))
            vr = runs[m]["mechanisms"][i].get("variance_reduction", {}).get(metric)
            if vr is not None and vr["variance_ratio"] is not None:
                cell += f" (×{vr['variance_ratio']:.3g})"
            cells.append(cell)
        found = scan.get((i, metric))
        cells.append(f"{found:.3g}" if found else f"> {n:.3g}")
        print(f"| {mech['name']} | {metric} | " + " | ".join(cells) + " |")
