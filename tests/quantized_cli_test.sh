#!/usr/bin/env bash
# CLI contract of kind = "quantized": the example runs, JSON carries the thresholds and the exact
# seller utility, bad keys exit with code 2 and name the key path.
set -euo pipefail
src="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$MCREV" run "$src/examples/quantized.toml" -n 20000 --backend cpu -q --format json -o "$tmp/out.json"
python3 - "$tmp/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = {x["name"]: x for x in d["mechanisms"]}
assert m["binary_half"]["thresholds"] == [0.5, 0.5, 0.5], m["binary_half"]["thresholds"]
assert m["binary_half"]["exact_seller_utility"] == 0.4375
assert abs(m["binary_symmetric"]["thresholds"][0] - 4 ** (-1 / 3)) < 1e-7  # (n+1)^(-1/n), n = 3
assert m["binary_random"]["thresholds"] == "random"
assert len(m["two_level"]["thresholds"][0]) == 2
assert m["explicit"]["thresholds"] == [[0.6], [0.4, 0.8], [0.7]]
PY

cat > "$tmp/bad.toml" <<'TOML'
[[bidders]]
count = 2
value = { dist = "uniform", low = 0, high = 1 }
[[mechanisms]]
kind = "quantized"
thresholds = [0.5, 1.5]
TOML
set +e
"$MCREV" run "$tmp/bad.toml" -q > "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "expected exit code 2, got $rc"; exit 1; }
grep -q "mechanisms\[0\].thresholds\[1\]: threshold 1.5" "$tmp/stderr" || { cat "$tmp/stderr"; exit 1; }
echo "quantized CLI contract ok"
