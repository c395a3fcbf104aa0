#!/usr/bin/env python3
"""What a GPU-minded user would otherwise write: PyTorch on the same device, second-price revenue for n
iid U[0,1] bidders (mean and standard error), in chunks of profiles so memory stays bounded:
torch.rand -> topk(2) -> the second-highest value -> running sums in float64.

Prints one JSON line: {"device", "n", "profiles", "seconds", "profiles_per_s", "estimate", "stderr"}.
Exit 0 with {"skipped": reason} when torch with CUDA is not importable (the device check reports it).
"""
import argparse
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--profiles", type=float, default=2**30)
    ap.add_argument("--chunk", type=int, default=2**24)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - any import failure means "not available"
        print(json.dumps({"skipped": f"torch not importable: {e}"}))
        return 0
    if not torch.cuda.is_available():
        print(json.dumps({"skipped": "torch has no CUDA device"}))
        return 0
    dev = torch.device("cuda")
    gen = torch.Generator(device=dev)
    gen.manual_seed(a.seed)
    total = int(a.profiles)

    def run(count):
        s1 = torch.zeros((), dtype=torch.float64, device=dev)
        s2 = torch.zeros((), dtype=torch.float64, device=dev)
        done = 0
        while done < count:
            m = min(a.chunk, count - done)
            v = torch.rand((m, a.n), generator=gen, device=dev, dtype=torch.float64)
            second = torch.topk(v, 2, dim=1).values[:, 1]
            s1 += second.sum()
            s2 += (second * second).sum()
            done += m
        return s1, s2

    run(min(total, a.chunk))  # warm-up (kernels, allocator)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    s1, s2 = run(total)
    torch.cuda.synchronize()
    sec = time.perf_counter() - t0
    mean = s1.item() / total
    var = max(0.0, s2.item() / total - mean * mean) * total / (total - 1)
    print(json.dumps({"device": torch.cuda.get_device_name(0), "n": a.n, "profiles": total, "seconds": sec,
                      "profiles_per_s": total / sec, "estimate": mean, "stderr": (var / total) ** 0.5}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
