#!/usr/bin/env bash
# Fuzz smoke run (docs/robustness.md): builds the libFuzzer targets with Clang, ASan and UBSan
# (`cmake --preset fuzz`), seeds their corpora from examples/ (scenario files, and partial-state
# files computed from them), and fuzzes the scenario parser and the partial-state reader for
# FUZZ_SECONDS (default 60) in all, half each. Exits non-zero when a target finds a crash, a
# sanitizer report, a leak, an escaping exception or a timeout; the reproducer is left in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if ! command -v clang++ >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends clang >/dev/null
fi
total=${FUZZ_SECONDS:-60}
each=$((total / 2))
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "${FUZZ_JOBS:-$(nproc)}"
corpus=build-fuzz/corpus
rm -rf "$corpus"
mkdir -p "$corpus/scenario" "$corpus/state"
find examples -name '*.toml' -exec cp {} "$corpus/scenario/" \;
# Partial states of a few examples: whole runs, ranges, a checkpoint.
export ASAN_OPTIONS=detect_leaks=0
i=0
for scen in "" examples/incentives.toml examples/multi_unit.toml examples/llg.toml examples/bilateral_trade.toml; do
  build-fuzz/bin/mcrev run $scen -n 600 -q --profiles 256:600 --partial-out "$corpus/state/range$i.mcp"
  build-fuzz/bin/mcrev run $scen -n 300 -q --partial-out "$corpus/state/whole$i.mcp"
  i=$((i + 1))
done
build-fuzz/bin/mcrev run -n 5000 -q --chunk-profiles 256 --checkpoint "$corpus/state/run.ckpt" --checkpoint-every 0.001 -o /dev/null
unset ASAN_OPTIONS
status=0
for t in scenario state; do
  echo "fuzz: mcrev_${t}_fuzz for ${each} s"
  (cd build-fuzz && bin/mcrev_${t}_fuzz -max_total_time="$each" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
     "corpus/$t" 2>&1 | tail -n 25) || status=1
done
[ "$status" -eq 0 ] && echo "fuzz: no crash in ${total} s" || echo "fuzz: a target failed (see above; reproducer in build-fuzz/)"
exit "$status"
