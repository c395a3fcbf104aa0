#!/usr/bin/env bash
# One-command device check (docs/gpu.md): on a machine with a CUDA device, builds mcrev for the local
# architecture, runs the GPU tests, compute-sanitizer (memcheck, racecheck, synccheck) on small runs,
# the CPU-vs-GPU comparison of the default, an incentives and two multi-unit scenarios (the
# generic kernel's and the multi-unit fast kernel's), the static
# resource check and the benchmarks (CUDA throughput, the PyTorch baseline when torch with CUDA is
# importable), and writes one report, REPORT.md and report.json, into OUT_DIR.
#   scripts/gpu-check.sh OUT_DIR
# Exit 0 when every check passed, 1 when one failed (the report says which), 2 on bad usage or when
# there is no device.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: scripts/gpu-check.sh OUT_DIR" >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd) || { echo "gpu-check: cannot create $1" >&2; exit 2; }
[ -x /usr/local/cuda/bin/nvcc ] && export PATH="/usr/local/cuda/bin:$PATH"
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu-check: no CUDA device (nvidia-smi finds none); nothing to check here" >&2
  exit 2
fi
start=$(date +%s)
log="$out/log.txt"
: > "$log"
results="$out/steps.tsv"
: > "$results"
step() {  # step NAME COMMAND...: runs it, logs its output, records pass/fail and seconds
  local name=$1; shift
  local t0=$(date +%s)
  echo "== $name: $*" >> "$log"
  if "$@" >> "$log" 2>&1; then s=pass; else s=FAIL; fi
  printf '%s\t%s\t%s\n' "$name" "$s" "$(( $(date +%s) - t0 ))" >> "$results"
  echo "gpu-check: $name: $s" >&2
}

nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv,noheader > "$out/device.txt" 2>&1
step install scripts/install-deps.sh
step configure cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=native
step build cmake --build build-gpu -j "$(nproc)"
bin=build-gpu/bin
step gpu_tests "$bin/mcrev_tests" --gtest_filter='Gpu.*:KernelBody.*:FastUnitsKernel.*' --gtest_output="xml:$out/gpu_tests.xml"
for tool in memcheck racecheck synccheck; do
  step "sanitizer_$tool" compute-sanitizer --tool "$tool" --error-exitcode 1 \
    "$bin/mcrev" run examples/incentives.toml -n 40000 --backend cuda -q --format json -o "$out/sanitizer_$tool.json"
done
# CPU vs GPU: JSON minus timing and backend fields, compared value by value (bitwise when the
# scenario's arithmetic is basic, docs/determinism.md).
compare() {
  local name=$1 scenario=$2 n=$3
  local args=(-n "$n" --seed 7 -q --format json)
  [ -n "$scenario" ] && args=("$scenario" "${args[@]}")
  "$bin/mcrev" run "${args[@]}" --backend cpu -o "$out/$name.cpu.json" &&
    "$bin/mcrev" run "${args[@]}" --backend cuda -o "$out/$name.cuda.json" &&
    python3 - "$out/$name.cpu.json" "$out/$name.cuda.json" "$out/$name.compare.json" <<'EOF'
import json, sys
skip = {"seconds", "profiles_per_second", "backend", "device", "note", "path"}
def flat(x, p=""):
    if isinstance(x, dict):
        for k, v in x.items():
            if k not in skip: yield from flat(v, p + "/" + k)
    elif isinstance(x, list):
        for i, v in enumerate(x): yield from flat(v, p + f"[{i}]")
    else:
        yield p, x
a, b = dict(flat(json.load(open(sys.argv[1])))), dict(flat(json.load(open(sys.argv[2]))))
diff, worst = [], 0.0
for k in sorted(set(a) | set(b)):
    x, y = a.get(k), b.get(k)
    if x == y: continue
    if isinstance(x, float) and isinstance(y, float):
        worst = max(worst, abs(x - y) / max(1.0, abs(x)))
    diff.append(k)
json.dump({"entries": len(a), "different": len(diff), "max_rel_diff": worst, "first": diff[:20]}, open(sys.argv[3], "w"))
print(f"{len(a)} entries, {len(diff)} differ, max relative difference {worst:.3g}")
sys.exit(0 if worst <= 1e-12 and all(isinstance(a.get(k), float) for k in diff) else 1)
EOF
}
step compare_default compare default "" 10000000
step compare_incentives compare incentives examples/incentives.toml 2000000
step compare_multi_unit compare multi_unit examples/multi_unit.toml 10000000
step compare_multi_unit_fast compare multi_unit_fast examples/multi_unit_fast.toml 10000000  # units_kernel (fast_units.cu)
step resources python3 scripts/check_kernel_resources.py --arch "$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d .)" --json "$out/resources.json"
step bench_cuda "$bin/mcrev_bench_cuda" --benchmark_format=json --benchmark_out="$out/bench_cuda.json" --benchmark_min_time=0.5
step bench_cpu "$bin/mcrev_bench_cpu" --benchmark_filter='SecondPrice/n:5|FirstPriceBne/n:5|DefaultScenario|Philox|Roofline' --benchmark_format=json --benchmark_out="$out/bench_cpu.json"
step torch_baseline sh -c "python3 bench/baseline/torch_second_price.py --n 5 > '$out/torch.json'"

python3 - "$out" "$(( $(date +%s) - start ))" <<'EOF'
import json, os, sys
out, total = sys.argv[1], int(sys.argv[2])
steps = [l.rstrip("\n").split("\t") for l in open(os.path.join(out, "steps.tsv"))]
def load(name):
    try: return json.load(open(os.path.join(out, name)))
    except Exception: return None
report = {"device": open(os.path.join(out, "device.txt")).read().strip(), "seconds": total,
          "steps": [{"name": n, "result": r, "seconds": int(s)} for n, r, s in steps],
          "compare": {k: load(f"{k}.compare.json") for k in ("default", "incentives", "multi_unit", "multi_unit_fast")},
          "resources": load("resources.json"), "torch": load("torch.json")}
bench = load("bench_cuda.json")
if bench:
    report["bench_cuda"] = {b["name"]: b.get("profiles/s") for b in bench.get("benchmarks", []) if "profiles/s" in b}
torch = report["torch"] or {}
sp5 = (report.get("bench_cuda") or {}).get("BM_CudaSecondPrice/n:5/real_time")
if sp5 and torch.get("profiles_per_s"):
    report["ratio_vs_torch_second_price_n5"] = sp5 / torch["profiles_per_s"]
json.dump(report, open(os.path.join(out, "report.json"), "w"), indent=2)
with open(os.path.join(out, "REPORT.md"), "w") as f:
    f.write(f"# mcrev device check\n\nDevice: {report['device']}  \nTotal time: {total} s\n\n")
    f.write("| step | result | seconds |\n| --- | --- | ---: |\n")
    for s in report["steps"]: f.write(f"| {s['name']} | {s['result']} | {s['seconds']} |\n")
    f.write("\n## CPU vs GPU\n\n| scenario | entries | different | max relative difference |\n| --- | ---: | ---: | ---: |\n")
    for k, c in report["compare"].items():
        if c: f.write(f"| {k} | {c['entries']} | {c['different']} | {c['max_rel_diff']:.3g} |\n")
    if report.get("bench_cuda"):
        f.write("\n## CUDA throughput (profiles/s)\n\n")
        for k, v in report["bench_cuda"].items(): f.write(f"- {k}: {v:.4g}\n")
    f.write(f"\nPyTorch baseline: {json.dumps(report['torch'])}\n")
    if "ratio_vs_torch_second_price_n5" in report:
        f.write(f"\nmcrev / PyTorch, second price n = 5: {report['ratio_vs_torch_second_price_n5']:.2f}x\n")
print(open(os.path.join(out, "REPORT.md")).read())
EOF
grep -q FAIL "$results" && exit 1
exit 0
