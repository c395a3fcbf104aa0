#!/usr/bin/env bash
# Side-by-side CPU comparison of this checkout against an earlier revision (default: the last commit
# before the general outcome model, a8f2f0d), in one run:
#  * instruction counts (valgrind --tool=callgrind; stable on noisy machines) of `mcrev run` on second
#    price with 5 U[0,1] bidders and on the built-in default scenario, single-threaded;
#  * wall-clock throughput of mcrev_bench_cpu's BM_SecondPrice/n:5, the two binaries interleaved.
# Usage: bench/compare_versions.sh [BASE_REV] [NEW_BUILD_DIR]   (builds BASE_REV in /tmp, CPU only)
set -euo pipefail
cd "$(dirname "$0")/.."
base_rev=${1:-a8f2f0d}
new=${2:-build-cpu}
base_dir=/tmp/mcrev-base-$base_rev
if [ ! -x "$base_dir/build/bin/mcrev" ]; then
  rm -rf "$base_dir" && git worktree add --detach "$base_dir" "$base_rev" >/dev/null
  cmake -S "$base_dir" -B "$base_dir/build" -G Ninja -DMCREV_ENABLE_CUDA=OFF -DMCREV_BUILD_TESTS=OFF \
        -DMCREV_BUILD_EXAMPLES=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$base_dir/build" -j "$(nproc)" --target mcrev_cli mcrev_bench_cpu >/dev/null
fi
cmake --build "$new" --target mcrev_cli mcrev_bench_cpu >/dev/null
sp5=$(mktemp --suffix=.toml)
printf '[[bidders]]\ncount = 5\nvalue = { dist = "uniform", low = 0.0, high = 1.0 }\n[[mechanisms]]\nkind = "second_price"\n' > "$sp5"
ir() {  # instructions of `mcrev run` on $2 profiles (marginal: 2n − n cancels the set-up)
  local exe=$1 n=$2; shift 2
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$exe" run "$@" -n "$n" --backend cpu --threads 1 -q \
    --format csv -o /dev/null 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
echo "instructions per profile (callgrind, marginal over 131072 profiles, 1 thread):"
for what in sp5 default; do
  args=(); [ $what = sp5 ] && args=("$sp5")
  for tag in base new; do
    exe=$base_dir/build/bin/mcrev; [ $tag = new ] && exe=$new/bin/mcrev
    a=$(ir "$exe" 131072 "${args[@]}"); b=$(ir "$exe" 262144 "${args[@]}")
    per=$(( (b - a) / 131072 )); eval "${what}_$tag=$per"
  done
  eval "echo \"  $what: base \$${what}_base, new \$${what}_new, ratio \$(awk -v a=\$${what}_base -v b=\$${what}_new 'BEGIN{printf \"%.3f\", b/a}')\""
done
echo "BM_SecondPrice/n:5 profiles/s (interleaved, 3 rounds each):"
for r in 1 2 3; do
  for tag in base new; do
    exe=$base_dir/build/bin/mcrev_bench_cpu; [ $tag = new ] && exe=$new/bin/mcrev_bench_cpu
    echo "  $tag $($exe --benchmark_filter='SecondPrice/n:5/' --benchmark_min_time=1 2>/dev/null | grep -oE 'profiles/s=[0-9.]+[kMG]?')"
  done
done
rm -f "$sp5"
