#!/usr/bin/env python3
"""What a user would otherwise write: a vectorized numpy estimate of second-price revenue for n iid
U[0,1] bidders (mean and standard error). Two variants:
  sort       the natural one-liner: sort each profile, take the second-highest value (all in memory)
  partition  a tuned version: np.partition in chunks of 10^6 profiles (memory bounded)
Prints one line per variant: variant, profiles, seconds, profiles/s, estimate, stderr.
"""
import argparse
import time

import numpy as np


def sort_variant(n, samples, seed):
    rng = np.random.default_rng(seed)
    v = rng.random((samples, n))
    second = np.sort(v, axis=1)[:, -2]
    return second.mean(), second.std(ddof=1) / np.sqrt(samples)


def partition_variant(n, samples, seed, chunk=1_000_000):
    rng = np.random.default_rng(seed)
    s1 = s2 = 0.0
    done = 0
    while done < samples:
        m = min(chunk, samples - done)
        second = np.partition(rng.random((m, n)), n - 2, axis=1)[:, n - 2]
        s1 += second.sum()
        s2 += (second * second).sum()
        done += m
    mean = s1 / samples
    var = (s2 - samples * mean * mean) / (samples - 1)
    return mean, np.sqrt(var / samples)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bidders", type=int, default=5)
    ap.add_argument("--samples", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--variant", choices=["sort", "partition", "both"], default="both")
    a = ap.parse_args()
    variants = ["sort", "partition"] if a.variant == "both" else [a.variant]
    for name in variants:
        f = sort_variant if name == "sort" else partition_variant
        t = time.perf_counter()
        mean, se = f(a.bidders, a.samples, a.seed)
        dt = time.perf_counter() - t
        print(f"{name} {a.samples} {dt:.4f} {a.samples / dt:.6g} {mean:.6f} {se:.6f}")


if __name__ == "__main__":
    main()
