#!/usr/bin/env bash
# CLI contract: exit codes, error messages naming the key, output files never clobbered on error,
# JSON/CSV keys, options overriding the file. Usage: MCREV=path/to/mcrev cli_test.sh SOURCE_DIR
set -u
src=$1
bin=${MCREV:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/cli_lib.sh"

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
  "$bin" run -n 1000 --devices all -q -o "$tmp/keep.json" 2> "$tmp/err.txt"
  check "--devices without a device exits 3" test $? -eq 3
  check "--devices message" grep -q -- "--devices: no usable CUDA device" "$tmp/err.txt"
  check "output untouched after --devices error" grep -qx precious "$tmp/keep.json"
fi
# --devices: malformed lists and the CPU backend are input errors (exit 2), device or not.
for bad in "x" "0,,1" "-1" "" "1.5"; do
  "$bin" run -n 1000 --devices "$bad" -q -o "$tmp/keep.json" 2> "$tmp/err.txt"
  check "--devices '$bad' exits 2" test $? -eq 2
  check "--devices '$bad' names the flag" grep -q -- "--devices" "$tmp/err.txt"
done
"$bin" run -n 1000 --devices 0 --backend cpu -q 2> "$tmp/err.txt"
check "--devices with --backend cpu exits 2" test $? -eq 2
check "output untouched after --devices input errors" grep -qx precious "$tmp/keep.json"

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

# 7. Numbers on the command line follow the file's rules (issue 8): sign, integer-ness, finiteness,
#    the largest sample count (1e17); the same messages as the file's keys; nothing runs.
expect_err() {  # expect_err NAME MESSAGE ARGS...: exit 2 and exactly this message on stderr
  local name=$1 msg=$2
  shift 2
  "$bin" "$@" > "$tmp/out.txt" 2> "$tmp/err.txt"
  local rc=$?
  check "$name exits 2" test $rc -eq 2
  check "$name message" test "$(cat "$tmp/err.txt")" = "mcrev: error: $msg"
  check "$name prints no result" test ! -s "$tmp/out.txt"
}
expect_err "-n -1" "--samples: must be at least 1, got -1" run -n -1 -q
expect_err "-n 0" "--samples: must be at least 1, got 0" run -n 0 -q
expect_err "-n 2.5" "--samples: must be a whole number, got 2.5" run -n 2.5 -q
expect_err "-n 1e30" "--samples: too large (the largest supported is 100000000000000000 = 1e17), got 1e+30" run -n 1e30 -q
expect_err "-n 2^64" "--samples: too large (the largest supported is 100000000000000000 = 1e17), got 18446744073709551616" run -n 18446744073709551616 -q
expect_err "-n 1e17+1" "--samples: too large (the largest supported is 100000000000000000 = 1e17), got 100000000000000001" run -n 100000000000000001 -q
expect_err "-n inf" "--samples: must be finite, got inf" run -n inf -q
expect_err "-n nan" "--samples: must be finite, got nan" run -n nan -q
expect_err "-n abc" "--samples: expected a whole number, got 'abc'" run -n abc -q
expect_err "--seed -1" "--seed: must be at least 0, got -1" run --seed -1 -q
expect_err "--seed 2^64" "--seed: too large (the largest supported is 2^64 - 1), got 18446744073709551616" run --seed 18446744073709551616 -q
expect_err "--chunk-profiles -1" "--chunk-profiles: must be at least 256, got -1" run --chunk-profiles -1 -q
expect_err "--chunk-profiles 768" "--chunk-profiles: must be 256 profiles times a power of two (256, 512, 1024, ...), got 768" run --chunk-profiles 768 -q
MCREV_FAST_PATH=bogus expect_err "MCREV_FAST_PATH=bogus" "MCREV_FAST_PATH: environment variable must be on, off, 1, 0, true, false, yes or no; got 'bogus'" run -n 1000 -q
# [market] keys: a misspelled required key is named as such; numbers come back in the message.
printf 'samples = 1000\n[market]\nkind = "divisible"\nsuply = 10\n[[bidders]]\ncount = 3\nvalue = { dist = "uniform", low = 0.0, high = 1.0 }\nutility = { kind = "steps", steps = 2, width = 1 }\n[[mechanisms]]\nkind = "vcg"\n' > "$tmp/div.toml"
expect_err "market typo" "market.suply: unknown key (did you mean 'supply'? 'supply' is required)" run "$tmp/div.toml" -q
sed 's/^suply = 10/supply = -10/' "$tmp/div.toml" > "$tmp/div2.toml"
expect_err "negative supply" "market.supply: must be a finite number > 0, got -10" run "$tmp/div2.toml" -q
sed 's/^suply = 10/supply = 10/; s/^kind = "vcg"/kind = "vcg"\nreserve = -1/' "$tmp/div.toml" > "$tmp/div3.toml"
expect_err "divisible reserve -1" "mechanisms[0].reserve: must be at least 0 (the seller never pays to sell), got -1" run "$tmp/div3.toml" -q
sed 's/^suply = 10/supply = 10/; s/width = 1 }/width = 0 }/' "$tmp/div.toml" > "$tmp/div4.toml"
expect_err "divisible width 0" "bidders[0].utility.width: must be a finite number > 0, got 0" run "$tmp/div4.toml" -q
sed 's/^suply = 10/supply = 10/; s/kind = "steps", steps = 2, width = 1/kind = "quadratic", slope = -2/' "$tmp/div.toml" > "$tmp/div5.toml"
expect_err "divisible slope -2" "bidders[0].utility.slope: must be a finite number > 0, got -2" run "$tmp/div5.toml" -q
"$bin" run --bogus > "$tmp/out.txt" 2> "$tmp/err.txt"
check "unknown option exits 2" test $? -eq 2
check "unknown option: mcrev: error: prefix" test "$(head -1 "$tmp/err.txt")" = "mcrev: error: The following argument was not expected: --bogus"
expect_err "reserve-search -n -1" "--samples: must be at least 1, got -1" reserve-search "$tmp/s.toml" -n -1 -q
"$bin" run -n 1e3 --seed 18446744073709551615 --format json -q | python3 -c "import json,sys; d=json.load(sys.stdin)['run']; assert d['samples']==1000 and d['seed']==18446744073709551615, d"
check "-n 1e3 accepted like the file's 1e7; the largest seed too" test $? -eq 0

# The file gives the same messages for the same keys.
for kv in "samples = -5|samples: must be at least 1, got -5" \
          "samples = 1e30|samples: too large (the largest supported is 100000000000000000 = 1e17), got 1e+30" \
          "samples = 2.5|samples: must be a whole number, got 2.5" \
          "samples = inf|samples: must be finite, got inf" \
          "seed = -1|seed: must be at least 0, got -1"; do
  printf '%s\n[[bidders]]\ncount = 2\nvalue = { dist = "uniform", low = 0, high = 1 }\n[[mechanisms]]\nkind = "second_price"\n' "${kv%%|*}" > "$tmp/k.toml"
  expect_err "file ${kv%%|*}" "${kv#*|}" run "$tmp/k.toml" -q
done

# 8. Input refused for the right reason (issue 8): non-finite numbers, negative reserves and prices,
#    directories given as files.
for kv in 'uniform, low = 0.0, high = inf|bidders[0].value.high: must be finite, got inf' \
          'uniform, low = nan, high = 1.0|bidders[0].value.low: must be finite, got nan' \
          'normal, mean = 0.5, sd = 0.1, low = 0.0, high = -inf|bidders[0].value.high: must be finite, got -inf'; do
  spec=${kv%%|*}
  printf '[[bidders]]\ncount = 2\nvalue = { dist = "%s }\n[[mechanisms]]\nkind = "second_price"\n' "${spec/, /\", }" > "$tmp/k.toml"
  expect_err "value ${spec}" "${kv#*|}" run "$tmp/k.toml" -q
done
for kv in 'kind = "second_price"\nreserve = -1.0|mechanisms[0].reserve: must be at least 0 (the seller never pays to sell), got -1' \
          'kind = "first_price"\nreserve = -0.5|mechanisms[0].reserve: must be at least 0 (the seller never pays to sell), got -0.5' \
          'kind = "all_pay"\nreserve = -0.5|mechanisms[0].reserve: must be at least 0 (the seller never pays to sell), got -0.5' \
          'kind = "second_price"\nreserve = [0.5, -0.25]|mechanisms[0].reserve[1]: must be at least 0 (the seller never pays to sell), got -0.25' \
          'kind = "posted_price"\nprice = -1.0|mechanisms[0].price: must be at least 0 (the seller never pays to sell), got -1' \
          'kind = "random_offer"\nprice = -1.0|mechanisms[0].price: must be at least 0 (the seller never pays to sell), got -1'; do
  printf "[[bidders]]\ncount = 1\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n[[bidders]]\nname = \"b\"\ncount = 1\nvalue = { dist = \"uniform\", low = 0, high = 1 }\n[[mechanisms]]\n${kv%%|*}\n" > "$tmp/k.toml"
  expect_err "mechanism $(echo "${kv%%|*}" | tr '\n' ' ')" "${kv#*|}" run "$tmp/k.toml" -q
done
mkdir -p "$tmp/adir"
expect_err "scenario directory" "scenario file '$tmp/adir' is not a readable file (it is a directory)" run "$tmp/adir" -q
printf '[[bidders]]\ncount = 2\nvalue = { dist = "uniform", low = 0, high = 1 }\n[[mechanisms]]\nkind = "first_price"\nstrategy = "table"\nfile = "adir"\n' > "$tmp/t.toml"
expect_err "table directory" "mechanisms[0].file: strategy table '$tmp/adir' is not a readable file (it is a directory)" run "$tmp/t.toml" -q

# Heavy tails: a finite ± SE is printed, with a warning on stderr and in the JSON.
for kv in "1|<= 1: the values have an infinite mean" "1.5|<= 2: the values have an infinite variance"; do
  printf '[[bidders]]\ncount = 2\nvalue = { dist = "pareto", scale = 1.0, shape = %s }\n[[mechanisms]]\nkind = "second_price"\n' "${kv%%|*}" > "$tmp/p.toml"
  "$bin" run "$tmp/p.toml" -n 1000 --format json -o "$tmp/p.json" 2> "$tmp/err.txt"
  check "pareto ${kv%%|*} runs" test $? -eq 0
  check "pareto ${kv%%|*} warns on stderr" grep -qF "mcrev: warning: bidders[0].value has a Pareto tail with shape ${kv%%|*} ${kv#*|}" "$tmp/err.txt"
  check "pareto ${kv%%|*} warns in the JSON" python3 -c "import json,sys; w=json.load(open('$tmp/p.json'))['warnings']; assert any('${kv#*|}' in x and 'not valid' in x for x in w), w"
done
printf '[[bidders]]\ncount = 2\nvalue = { dist = "pareto", scale = 1.0, shape = 2.5 }\n[[mechanisms]]\nkind = "second_price"\n' > "$tmp/p.toml"
"$bin" run "$tmp/p.toml" -n 1000 -q --format json -o "$tmp/p.json" 2> "$tmp/err.txt"
check "pareto 2.5 does not warn" python3 -c "import json; assert 'warnings' not in json.load(open('$tmp/p.json'))"

# Equilibrium tables report their size and measured error bound; iid uniform values use the closed forms.
"$bin" run -n 1000 --format json -q | python3 -c "
import json, sys
ms = {m['name']: m for m in json.load(sys.stdin)['mechanisms']}
for name in ['first_price_bne', 'all_pay_bne']:
    t = ms[name]['bid_tables']
    assert len(t) == 1 and t[0]['method'] == 'closed_form' and t[0]['table_nodes'] == 0, t
    assert t[0]['table_max_error'] == 0, t
assert 'bid_tables' not in ms['second_price']
"
check "json bid_tables: closed forms for uniform values" test $? -eq 0
printf '[[bidders]]\ncount = 4\nvalue = { dist = "exponential", rate = 1.0 }\n[[mechanisms]]\nkind = "first_price"\nstrategy = "bne"\n[[mechanisms]]\nkind = "all_pay"\nstrategy = "bne"\n' > "$tmp/e.toml"
"$bin" run "$tmp/e.toml" -n 1000 --format json -q | python3 -c "
import json, sys
for m in json.load(sys.stdin)['mechanisms']:
    t = m['bid_tables']
    assert len(t) == 1 and t[0]['method'] == 'symmetric' and t[0]['table_nodes'] >= 4097, t
    assert 0 <= t[0]['table_max_error'] < 1e-9, t
"
check "json bid_tables with the error bound" test $? -eq 0

# Issue 15: k-th price and lazy reserves — errors name the key (exit 2), the bid table is reported.
printf '[[bidders]]\ncount = 3\nvalue = { dist = "uniform", low = 0, high = 1 }\n[[mechanisms]]\nkind = "kth_price"\n' > "$tmp/k.toml"
expect_err "kth_price without k" "mechanisms[0].k: is required for kth_price (the winner pays the k-th highest bid; an integer >= 2)" run "$tmp/k.toml" -q
printf '[[bidders]]\ncount = 3\nvalue = { dist = "uniform", low = 0, high = 1 }\n[[mechanisms]]\nkind = "first_price"\nreserve_mode = "lazy"\n' > "$tmp/k.toml"
expect_err "reserve_mode on first_price" 'mechanisms[0].reserve_mode: applies to kind = "second_price" only' run "$tmp/k.toml" -q
printf '[[bidders]]\ncount = 4\nvalue = { dist = "exponential", rate = 1.0 }\n[[mechanisms]]\nkind = "third_price"\n' > "$tmp/k.toml"
"$bin" run "$tmp/k.toml" -n 1000 --format json -q | python3 -c "
import json, sys
m = json.load(sys.stdin)['mechanisms'][0]
assert m['kind'] == 'third_price', m['kind']
t = m['bid_tables']
assert len(t) == 1 and t[0]['method'] == 'symmetric' and t[0]['table_nodes'] >= 4097, t
"
check "third_price json bid_tables" test $? -eq 0

# Risk-averse bidders and asymmetric all-pay: key errors (exit 2).
printf '[[bidders]]\ncount = 2\nvalue = { dist = "uniform", low = 0, high = 1 }\nrisk = { kind = "crra", rho = 0 }\n[[mechanisms]]\nkind = "second_price"\n' > "$tmp/k.toml"
expect_err "crra rho 0" "bidders[0].risk.rho: must lie in (0, 1] (1: risk neutral), got 0" run "$tmp/k.toml" -q
printf '[[bidders]]\nvalue = { dist = "uniform", low = 0, high = 1 }\n[[bidders]]\nvalue = { dist = "uniform", low = 0, high = 2 }\n[[mechanisms]]\nkind = "all_pay"\nreserve = 0.1\n' > "$tmp/k.toml"
expect_err "asymmetric all-pay with a minimum bid" "mechanisms[0].strategy: the asymmetric all-pay equilibrium is implemented without a minimum bid (reserve = 0) only" run "$tmp/k.toml" -q

# [values] is echoed: a `values` object in JSON and a header line in the table.
"$bin" run "$src/examples/interdependent.toml" -n 2000 -q --backend cpu --format json > "$tmp/iv.json"
check "[values] kind and gamma in JSON" python3 -c "
import json, sys; v = json.load(open('$tmp/iv.json'))['values']; sys.exit(0 if v['kind'] == 'interdependent' and v['gamma'] == 0.5 else 1)"
check "[values] in the table header" bash -c "'$bin' run '$src/examples/interdependent.toml' -n 2000 --backend cpu 2>/dev/null | grep -q '^values: interdependent, v_i = s_i + 0.5 x'"
check "no values key for private values" bash -c "'$bin' run -n 2000 -q --backend cpu --format json | python3 -c 'import json,sys; sys.exit(1 if \"values\" in json.load(sys.stdin) else 0)'"

echo "cli: $passes passed, $fails failed"
test $fails -eq 0
