#!/usr/bin/env bash
# CLI contract: exit codes, error messages naming the key, output files never clobbered on error,
# JSON/CSV keys, options overriding the file. Usage: MCREV=path/to/mcrev cli_test.sh SOURCE_DIR
set -u
src=$1
bin=${MCREV:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
passes=0
check() {  # check NAME CONDITION...
  local name=$1
  shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}

# 1. Default scenario, JSON, every documented key present.
"$bin" run -n 20000 --seed 3 --format json -q -o "$tmp/out.json"
check "default run exits 0" test $? -eq 0
check "json parses and has the contract keys" python3 - "$tmp/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
run = d["run"]
for k in ["samples", "seed", "backend", "device", "seconds", "profiles_per_second"]:
    assert k in run, k
assert run["samples"] == 20000 and run["seed"] == 3 and run["backend"] == "cpu"
ms = d["mechanisms"]
assert [m["name"] for m in ms] == ["second_price", "second_price_r0.5", "first_price_bne", "all_pay_bne", "posted_price_0.5"]
for m in ms:
    assert m["kind"] in ["second_price", "first_price", "all_pay", "posted_price"]
    for k in ["revenue", "welfare", "seller_utility", "efficiency", "no_sale", "revenue_diff"]:
        e = m[k]
        assert set(e) == {"mean", "stderr", "ci_low", "ci_high"}, (k, e)
        assert e["ci_low"] <= e["mean"] <= e["ci_high"]
    for b in m["bidders"]:
        for k in ["win", "payment", "utility"]:
            assert set(b[k]) == {"mean", "stderr", "ci_low", "ci_high"}
assert ms[0]["revenue_diff"]["mean"] == 0.0
PY

# 2. Same seed, same bytes (apart from timing), for 1 and 2 threads.
"$bin" run -n 50000 --threads 1 --format csv -q -o "$tmp/a.csv"
"$bin" run -n 50000 --threads 2 --format csv -q -o "$tmp/b.csv"
check "csv identical across thread counts" cmp -s "$tmp/a.csv" "$tmp/b.csv"
check "csv header" grep -q '^mechanism,kind,metric,group,mean,stderr,ci_low,ci_high$' "$tmp/a.csv"

# 3. Errors: exit 2, key path in the message, existing output untouched.
echo "precious" > "$tmp/keep.json"
cat > "$tmp/bad.toml" <<'T'
[[bidders]]
count = 2
value = { dist = "uniform", low = 1.0, high = 0.5 }
[[mechanisms]]
kind = "second_price"
T
"$bin" run "$tmp/bad.toml" -o "$tmp/keep.json" 2> "$tmp/err.txt"
check "bad scenario exits 2" test $? -eq 2
check "message names the key" grep -q 'bidders\[0\].value.low' "$tmp/err.txt"
check "output file untouched" grep -qx precious "$tmp/keep.json"
"$bin" run /nonexistent.toml 2> "$tmp/err.txt"
check "missing file exits 2" test $? -eq 2
check "missing file message" grep -q "cannot open scenario file" "$tmp/err.txt"
"$bin" run --samples 0 -q 2> "$tmp/err.txt"
check "--samples 0 exits 2" test $? -eq 2
"$bin" run --format xml -q 2> "$tmp/err.txt"
check "--format xml exits 2" test $? -eq 2
"$bin" run --confidence 2 -q 2> "$tmp/err.txt"
check "--confidence 2 exits 2" test $? -eq 2
"$bin" run --bogus 2> /dev/null
check "unknown option exits 2" test $? -eq 2

# 4. --backend cuda without a device: a clear error (exit 3) and nothing written; auto falls back.
if "$bin" run -n 1000 --backend cuda -q -o "$tmp/keep.json" 2> "$tmp/err.txt"; then
  echo "note: a CUDA device is present; skipping the no-device checks"
else
  check "cuda without device exits 3" test $? -eq 3
  check "cuda message" grep -q "no usable CUDA device" "$tmp/err.txt"
  check "output untouched after backend error" grep -qx precious "$tmp/keep.json"
  "$bin" run -n 1000 --backend auto 2> "$tmp/err.txt" > /dev/null
  check "auto falls back and says so" grep -q "running on the CPU backend" "$tmp/err.txt"
fi

# 5. Options override the file; --version names the commit; --help works.
cat > "$tmp/s.toml" <<'T'
samples = 5000
seed = 11
backend = "cpu"
[[bidders]]
count = 2
value = { dist = "uniform", low = 0, high = 1 }
[[mechanisms]]
kind = "second_price"
T
"$bin" run "$tmp/s.toml" --seed 12 --format json -q | python3 -c "import json,sys; d=json.load(sys.stdin)['run']; assert d['seed']==12 and d['samples']==5000, d"
check "command line overrides the file" test $? -eq 0
"$bin" --version | grep -qE 'mcrev [0-9]+\.[0-9]+\.[0-9]+ \(git [0-9a-f]{7,}(-dirty)?\)'
check "--version names a commit" test $? -eq 0
"$bin" run --help | grep -q -- "--samples"
check "--help lists options" test $? -eq 0

# Two-sided markets: gains_from_trade, trade_prob, ir_violation and the host solutions in the JSON.
"$bin" run "$src/examples/bilateral_trade.toml" -n 4000 -q --backend cpu --format json | python3 -c "
import json, sys
d = json.load(sys.stdin)
m = {x['name']: x for x in d['mechanisms']}
assert d['market']['kind'] == 'double_auction', d['market']
for x in m.values():
    for k in ('gains_from_trade', 'budget_surplus', 'deficit_prob', 'trade_prob'):
        assert k in x, k
    assert 'ir_violation' in x['bidders'][1]
assert m['dagva']['budget_surplus']['mean'] == 0.0 and 'table_interp_error' in m['dagva']['solved']
assert abs(m['second_best']['solved']['a'] - 1 / 3) < 1e-6
"
check "double auction json keys" test $? -eq 0
"$bin" run "$src/examples/public_project.toml" -n 4000 -q --backend cpu --format csv | grep -q '^vcg,vcg,build_prob,'
check "public project csv build_prob" test $? -eq 0

# 6. Every example runs.
for f in "$src"/examples/*.toml; do
  "$bin" run "$f" -n 2000 -q --backend cpu > /dev/null 2> "$tmp/err.txt"
  check "example $(basename "$f")" test $? -eq 0
done

echo "cli: $passes passed, $fails failed"
test $fails -eq 0
