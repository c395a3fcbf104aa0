#!/usr/bin/env bash
# Bitwise check of the divisible market's CPU paths between two mcrev binaries (docs/divisible.md,
# "Performance"): scenario files covering the batched / fused step clearing and the markets it
# declines, each run with seeds 1, 2, 7 (2 threads) and seed 5 (1 thread, --chunk-profiles 256);
# the CSV results (every metric's mean, SE and interval, 17 significant digits) must be identical.
# Usage: bench/divisible_bitwise.sh BASE_MCREV NEW_MCREV [SAMPLES]   (exit 1 on any difference)
set -euo pipefail
base=$1 new=$2 samples=${3:-30000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
U='{ dist = "uniform", low = 0.0, high = 1.0 }'
ATOMS='{ dist = "empirical", points = [[0.0, 0.0], [0.4, 0.3], [0.4, 0.5], [1.0, 1.0]] }'
ZERO='{ dist = "empirical", points = [[0.0, 0.0], [0.0, 0.5], [0.5, 0.5], [1.0, 1.0]] }'
SIX='[[mechanisms]]
kind = "uniform_price"
[[mechanisms]]
kind = "pay_as_bid"
[[mechanisms]]
kind = "vcg"
[[mechanisms]]
name = "up_r"
kind = "uniform_price"
reserve = 0.5
[[mechanisms]]
name = "vcg_r"
kind = "vcg"
reserve = 0.3
seller_value = 0.3
[[mechanisms]]
name = "pab_r"
kind = "pay_as_bid"
reserve = 0.7
seller_value = 0.1'
SHADE='[[mechanisms]]
name = "pab_shade"
kind = "pay_as_bid"
strategy = "shade"
factor = 0.8'
steps() {  # name count steps width value supply market_extra mechanisms
  printf 'samples = %s\n[market]\nkind = "divisible"\nsupply = %s\n%s\n[[bidders]]\ncount = %s\nvalue = %s\nutility = { kind = "steps", steps = %s, width = %s }\n%s\n' \
    "$samples" "$6" "$7" "$2" "$5" "$3" "$4" "$8" > "$dir/$1.toml"
}
one() { printf '[[mechanisms]]\nkind = "%s"\n' "$1"; }
steps bench_up 10 4 1.0 "$U" 10.0 "" "$(one uniform_price)"
steps bench_pab 10 4 1.0 "$U" 10.0 "" "$(one pay_as_bid)"
steps bench_vcg 10 4 1.0 "$U" 10.0 "" "$(one vcg)"
steps bench_six 10 4 1.0 "$U" 10.0 "" "$SIX"
steps bench_shade 10 4 1.0 "$U" 10.0 "" "$SIX
$SHADE"
steps width07 6 3 0.7 '{ dist = "exponential", rate = 2.0 }' 4.1 "cap = 100.0" "$SIX"
steps cap19 6 3 0.7 "$U" 4.1 "cap = 1.9" "$SIX"
steps atoms 6 3 0.7 "$ATOMS" 4.1 "" "$SIX"
steps atoms_vcg 10 4 1.0 "$ATOMS" 10.0 "" "$(one vcg)"
steps zero 6 3 1.0 "$ZERO" 7.0 "" "$SIX"
steps supply50 8 4 1.0 "$U" 50.0 "" "$SIX"
steps supply05 7 2 1.0 "$U" 0.5 "" "$SIX"
steps onestep 13 1 1.0 "$U" 4.0 "" "$SIX"
steps eight 9 8 0.25 '{ dist = "beta", alpha = 2.0, beta = 3.0 }' 5.0 "" "$SIX"
steps many 30 3 1.0 "$U" 20.0 "" "$SIX"
steps supply125 10 4 1.0 "$U" 12.5 "" "$SIX"
steps shifted 10 4 1.0 '{ dist = "uniform", low = 0.5, high = 2.0 }' 10.0 "" "$SIX"
steps five 11 5 0.5 "$ATOMS" 6.0 "" "$SIX"
UPPAB="$(one uniform_price)
$(one pay_as_bid)
$(one vcg)"
# the whole-step clearing (docs/divisible.md): U[0, 2^k], q = w a power of two, S = (K* - 1) q
steps whole_k2 10 4 1.0 "$U" 1.0 "" "$UPPAB"
steps whole_one 13 1 1.0 "$U" 4.0 "" "$UPPAB"
steps whole_q05 5 3 0.5 '{ dist = "uniform", low = 0.0, high = 4.0 }' 3.0 "" "$UPPAB"
steps whole_w2 6 2 2.0 '{ dist = "uniform", low = 0.0, high = 0.5 }' 6.0 "" "$UPPAB"
steps whole_vcg 12 3 1.0 "$U" 20.0 "" "$(one vcg)"
steps regret 6 3 1.0 "$U" 7.0 "" '[[mechanisms]]
kind = "vcg"
incentives = { expost_regret = true, deviations = 8 }'
cp "$(dirname "$0")/../examples/divisible_market.toml" "$dir/example.toml"
sed -i "s/^samples = .*/samples = 4000/" "$dir/example.toml"
fail=0 total=0
for f in "$dir"/*.toml; do
  for setting in "--seed 1 --threads 2" "--seed 2 --threads 2" "--seed 7 --threads 2" "--seed 5 --threads 1 --chunk-profiles 256"; do
    # shellcheck disable=SC2086
    a=$("$base" run "$f" $setting --backend cpu --format csv -q | md5sum)
    # shellcheck disable=SC2086
    b=$("$new" run "$f" $setting --backend cpu --format csv -q | md5sum)
    total=$((total + 1))
    if [ "$a" != "$b" ]; then echo "DIFFERENT: $(basename "$f") $setting"; fail=$((fail + 1)); fi
  done
done
echo "$((total - fail)) of $total CSV results identical"
[ "$fail" -eq 0 ]
