#!/usr/bin/env python3
"""Static resource check of the CUDA kernels (no device needed).

Compiles each kernels/*.cu to SASS for one architecture with `ptxas -v`, prints registers, stack
frame and spill bytes of every kernel (and of every out-of-line device function with spills), and
fails (exit 1) when a kernel breaks its bound in kernels/resource_bounds.txt. Exit 2: nvcc missing
or a compile error.

  scripts/check_kernel_resources.py [--arch 90] [--nvcc PATH] [--bounds FILE] [--json OUT]

Bounds file: one line per kernel pattern (a regular expression matched against the demangled
kernel name, first match wins):  PATTERN  MAX_REGISTERS  MAX_STACK_BYTES  MAX_SPILL_BYTES.
A kernel no pattern matches fails the check (every kernel must have a stated bound).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def demangle(names):
    cxxfilt = shutil.which("c++filt")
    if not cxxfilt or not names:
        return {n: n for n in names}
    out = subprocess.run([cxxfilt], input="\n".join(names), capture_output=True, text=True).stdout.splitlines()
    return dict(zip(names, out)) if len(out) == len(names) else {n: n for n in names}


def compile_and_parse(nvcc, src, arch, tmp):
    cmd = [nvcc, "-std=c++17", "-O3", "-DNDEBUG", "--fmad=false", "-I" + os.path.join(ROOT, "include"),
           "-I" + os.path.join(ROOT, "host"), "-arch=sm_" + arch, "-cubin", "-Xptxas", "-v", src, "-o",
           os.path.join(tmp, os.path.basename(src) + ".cubin")]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        sys.exit(2)
    funcs, entries, current = {}, set(), None
    for line in (p.stdout + p.stderr).splitlines():
        m = re.search(r"Compiling entry function '(\S+)'", line)
        if m:
            entries.add(m.group(1))
            continue
        m = re.search(r"Function properties for (\S+)", line)
        if m:
            current = m.group(1)
            funcs.setdefault(current, {"registers": None, "stack": 0, "spill_stores": 0, "spill_loads": 0})
            continue
        m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", line)
        if m and current:
            funcs[current].update(stack=int(m.group(1)), spill_stores=int(m.group(2)), spill_loads=int(m.group(3)))
            continue
        m = re.search(r"Used (\d+) registers", line)
        if m and current:
            funcs[current]["registers"] = int(m.group(1))
            m2 = re.search(r"(\d+) bytes cumulative stack size", line)
            if m2:
                funcs[current]["cumulative_stack"] = int(m2.group(1))
    return funcs, entries


def read_bounds(path):
    bounds = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.rsplit(None, 3)
            if len(parts) != 4:
                sys.exit(f"{path}:{n}: expected PATTERN MAX_REGISTERS MAX_STACK_BYTES MAX_SPILL_BYTES")
            bounds.append((re.compile(parts[0]), int(parts[1]), int(parts[2]), int(parts[3]), parts[0]))
    return bounds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default=os.environ.get("MCREV_CHECK_ARCH", "90"))
    ap.add_argument("--nvcc", default=shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc")
    ap.add_argument("--bounds", default=os.path.join(ROOT, "kernels", "resource_bounds.txt"))
    ap.add_argument("--json", help="also write the table as JSON here")
    a = ap.parse_args()
    if not os.path.exists(a.nvcc):
        print(f"check_kernel_resources: nvcc not found ({a.nvcc}); nothing checked", file=sys.stderr)
        return 2
    bounds = read_bounds(a.bounds)
    sources = sorted(os.path.join(ROOT, "kernels", f) for f in os.listdir(os.path.join(ROOT, "kernels")) if f.endswith(".cu"))
    rows, failures = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for src in sources:
            funcs, entries = compile_and_parse(a.nvcc, src, a.arch, tmp)
            names = demangle(sorted(funcs))
            for mangled, r in sorted(funcs.items(), key=lambda kv: names[kv[0]]):
                kind = "kernel" if mangled in entries else "function"
                spill = r["spill_stores"] + r["spill_loads"]
                if kind == "function" and spill == 0:
                    continue
                row = dict(file=os.path.basename(src), kind=kind, name=names[mangled], **r)
                rows.append(row)
                if kind != "kernel":
                    continue
                for pat, max_reg, max_stack, max_spill, text in bounds:
                    if pat.search(names[mangled]):
                        stack = r.get("cumulative_stack", r["stack"])
                        why = []
                        if r["registers"] is not None and r["registers"] > max_reg:
                            why.append(f"{r['registers']} registers > {max_reg}")
                        if stack > max_stack:
                            why.append(f"{stack} B stack > {max_stack}")
                        if spill > max_spill:
                            why.append(f"{spill} B spills > {max_spill}")
                        if why:
                            failures.append(f"{names[mangled]} ({text}): " + ", ".join(why))
                        break
                else:
                    failures.append(f"{names[mangled]}: no bound in {os.path.relpath(a.bounds, ROOT)}")
    print(f"sm_{a.arch}: registers, stack frame (cumulative for kernels) and spill bytes (stores + loads)")
    print(f"{'kind':8} {'regs':>5} {'stack B':>8} {'spill B':>8}  name")
    for r in rows:
        stack = r.get("cumulative_stack", r["stack"])
        regs = "" if r["registers"] is None else str(r["registers"])
        print(f"{r['kind']:8} {regs:>5} {stack:>8} {r['spill_stores'] + r['spill_loads']:>8}  {r['name'][:140]}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"arch": a.arch, "rows": rows, "failures": failures}, f, indent=2)
    if failures:
        print("\nFAILED bounds:", *failures, sep="\n  ")
        return 1
    print("\nall kernels within their bounds (" + os.path.relpath(a.bounds, ROOT) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
