#!/usr/bin/env bash
# `mcrev sweep` and precision targets from the command line (docs/sweeps.md): CSV header and row
# count (points × mechanisms × metrics), JSON rows with the keys, the [sweep] table, the plot (a PNG
# when matplotlib is importable), errors with exit 2 naming the --set / option and no output written;
# `run --target-halfwidth` gives the plain run of its final count byte for byte (target rows aside)
# for 1 and 2 threads and two chunk sizes.
# Usage: MCREV=path/to/mcrev sweep_cli_test.sh SOURCE_DIR
set -u
src=$1
bin=${MCREV:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/cli_lib.sh"

cat > "$tmp/s.toml" <<'TOML'
samples = 4096
seed = 3
backend = "cpu"
[[bidders]]
count = 2
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "second_price"
[[mechanisms]]
kind = "second_price"
name = "reserve"
reserve = 0.5
TOML
# 9 metrics per mechanism and point: revenue welfare seller_utility efficiency no_sale revenue_diff
# win[bidders] payment[bidders] utility[bidders].
"$bin" sweep "$tmp/s.toml" --set 'mechanisms[1].reserve=0:1:3' --set 'bidders[0].count=2,3' --format csv -q \
  -o "$tmp/rows.csv" --threads 2
check "sweep csv exits 0" test $? -eq 0
check "csv header" test "$(head -1 "$tmp/rows.csv")" = \
  "point,mechanisms[1].reserve,bidders[0].count,mechanism,metric,mean,stderr,ci_low,ci_high,profiles"
check "csv rows = 6 points x 2 mechanisms x 9 metrics" test "$(($(wc -l < "$tmp/rows.csv") - 1))" -eq 108
check "first set varies slowest" test "$(awk -F, 'NR>1{print $2":"$3}' "$tmp/rows.csv" | uniq | tr '\n' ' ')" = \
  "0:2 0:3 0.5:2 0.5:3 1:2 1:3 "
# A point equals the stand-alone run of the modified scenario (CSV values of the same estimates).
sed 's/^reserve = 0.5/reserve = 1/; s/^count = 2/count = 3/' "$tmp/s.toml" > "$tmp/p5.toml"
"$bin" run "$tmp/p5.toml" --format csv -q > "$tmp/p5.csv"
check "point 5 = run of its scenario" python3 -c '
import csv, sys
sweep = [(r["mechanism"], r["metric"], r["mean"], r["stderr"], r["ci_low"], r["ci_high"])
         for r in csv.DictReader(open(sys.argv[1])) if r["point"] == "5"]
run = [(r["mechanism"], r["metric"] + ("[%s]" % r["group"] if r["group"] else ""), r["mean"], r["stderr"], r["ci_low"],
        r["ci_high"]) for r in csv.DictReader(open(sys.argv[2]))]
assert len(sweep) == 18 and sorted(sweep) == sorted(run), (sweep, run)
' "$tmp/rows.csv" "$tmp/p5.csv"

"$bin" sweep "$tmp/s.toml" --set 'mechanisms[1].reserve=0.25,0.75' --format json -q -o "$tmp/rows.json"
check "sweep json exits 0" test $? -eq 0
check "json is a list of rows with the keys" python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
assert isinstance(rows, list) and len(rows) == 2 * 2 * 9, len(rows)
keys = ["point", "mechanisms[1].reserve", "mechanism", "metric", "mean", "stderr", "ci_low", "ci_high", "profiles"]
assert all(list(r.keys()) == keys for r in rows), rows[0].keys()
assert [r["mechanisms[1].reserve"] for r in rows if r["metric"] == "revenue" and r["mechanism"] == "reserve"] == [0.25, 0.75]
' "$tmp/rows.json"

# The [sweep] table: mcrev sweep uses it, --set overrides the same key, mcrev run notes and ignores it.
{ cat "$tmp/s.toml"; printf '[sweep]\nset = ["mechanisms[1].reserve=0:1:5"]\n'; } > "$tmp/t.toml"
"$bin" sweep "$tmp/t.toml" --format csv -q > "$tmp/t.csv"
check "[sweep] table: 5 points" test "$(awk -F, 'NR>1{print $1}' "$tmp/t.csv" | sort -u | wc -l)" -eq 5
"$bin" sweep "$tmp/t.toml" --set 'mechanisms[1].reserve=0.5' --format csv -q > "$tmp/t1.csv"
check "--set overrides the table" test "$(awk -F, 'NR>1{print $1}' "$tmp/t1.csv" | sort -u | wc -l)" -eq 1
"$bin" run "$tmp/t.toml" --format csv > "$tmp/run.csv" 2> "$tmp/err"
check "run on a [sweep] file exits 0" test $? -eq 0
check "run notes the ignored [sweep] table" grep -q 'ignores the \[sweep\] table' "$tmp/err"
"$bin" run "$tmp/s.toml" --format csv -q > "$tmp/run0.csv"
check "run of a [sweep] file = run without the table" cmp -s "$tmp/run.csv" "$tmp/run0.csv"

# Errors: exit 2, the --set or option named, nothing written.
err_case() {  # NAME PATTERN ARGS...
  local name=$1 pat=$2
  shift 2
  rm -f "$tmp/out.csv" "$tmp/out.png"
  "$bin" sweep "$tmp/s.toml" "$@" -q -o "$tmp/out.csv" 2> "$tmp/err"
  check "$name exits 2" test $? -eq 2
  check "$name message" grep -qF -- "$pat" "$tmp/err"
  check "$name writes nothing" test ! -e "$tmp/out.csv" -a ! -e "$tmp/out.png"
}
err_case "unknown path" "--set market.supply=1: unknown key path: 'market' is not in the scenario" --set 'market.supply=1'
err_case "index out of range" "--set mechanisms[5].reserve=0,1: index out of range: 'mechanisms' has 2 entries" \
  --set 'mechanisms[5].reserve=0,1'
err_case "bad range" "--set mechanisms[1].reserve=0:1:1: LOW:HIGH:COUNT: COUNT = 1 needs LOW == HIGH" \
  --set 'mechanisms[1].reserve=0:1:1'
err_case "2.5 bidders" "bidders[0].count: must be a whole number, got 2.5" --set 'bidders[0].count=2,2.5'
err_case "negative reserve" "sweep point 0 (mechanisms[1].reserve = -1): mechanisms[1].reserve" \
  --set 'mechanisms[1].reserve=-1,0'
err_case "no set" "nothing to sweep" --format csv
err_case "bad plot metric" "--plot-metric" --set 'mechanisms[1].reserve=0,1' --plot "$tmp/out.png" --plot-metric nope
err_case "bad target" "--target-halfwidth" --set 'mechanisms[1].reserve=0,1' --target-halfwidth 0
err_case "samples and target" "--samples" --set 'mechanisms[1].reserve=0,1' --target-halfwidth 0.01 -n 1000

# The plot: a PNG (magic bytes) when matplotlib is importable.
if python3 -c 'import matplotlib' 2>/dev/null; then
  "$bin" sweep "$tmp/s.toml" --set 'mechanisms[1].reserve=0:1:5' --set 'bidders[0].count=2,3' -q \
    --plot "$tmp/p.png" --format csv -o "$tmp/p.csv"
  check "plot exits 0" test $? -eq 0
  check "plot is a PNG" test "$(head -c 8 "$tmp/p.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a"
  check "plot keeps -o" test -s "$tmp/p.csv"
  check "no temporary files left" test -z "$(ls "$tmp" | grep mcrev-)"
  rm -f "$tmp/nopy.png"
  MCREV_PYTHON=/nonexistent/python3 "$bin" sweep "$tmp/s.toml" --set 'mechanisms[1].reserve=0,1' -q \
    --plot "$tmp/nopy.png" -o "$tmp/nopy.csv" 2> "$tmp/err"
  check "no python exits 2" test $? -eq 2
  check "no python says how to install" grep -q 'install' "$tmp/err"
  check "no python writes nothing" test ! -e "$tmp/nopy.png" -a ! -e "$tmp/nopy.csv"
else
  echo "sweep_cli: SKIP plot checks (python3 cannot import matplotlib; scripts/install-deps.sh installs it)"
fi

# Precision targets: the result is the plain run of the final count, byte for byte (target rows
# aside), for 1 and 2 threads and two chunk sizes; the output says how many profiles it took.
for threads in 1 2; do
  for chunk in 256 65536; do
    "$bin" run "$tmp/s.toml" --target-halfwidth 0.004 --threads $threads --chunk-profiles $chunk --format csv -q \
      > "$tmp/tg.$threads.$chunk.csv"
    check "target run exits 0 ($threads threads, chunk $chunk)" test $? -eq 0
  done
done
n=$(awk -F, '$3=="target.samples"{print $5}' "$tmp/tg.1.256.csv")
check "target met" grep -q '^,,target.met,,1,' "$tmp/tg.1.256.csv"
check "target took a power-of-two multiple of 65536" python3 -c "import sys; n=int(float('$n')); assert n >= 65536 and (n // 65536) & (n // 65536 - 1) == 0 and n % 65536 == 0"
for f in "$tmp"/tg.*.csv; do check "same bits $(basename "$f")" cmp -s "$f" "$tmp/tg.1.256.csv"; done
"$bin" run "$tmp/s.toml" -n "${n%.*}" --format csv -q > "$tmp/plain.csv"
check "target = plain run of N_final" cmp -s <(grep -v '^,,target\.' "$tmp/tg.1.256.csv") "$tmp/plain.csv"
"$bin" run "$tmp/s.toml" --target-halfwidth 1e-6 --max-samples 70000 --format json -q > "$tmp/cap.json"
check "cap: json reports samples 70000, not met" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["run"]
t = r["precision_target"]
assert r["samples"] == 70000 and t["samples"] == 70000 and t["met"] is False and t["boundaries"] == [65536, 70000], t
' "$tmp/cap.json"
"$bin" run "$tmp/s.toml" --target-halfwidth 0.004 -q > "$tmp/tg.txt"
check "table says the profiles it took" grep -q "precision target: half-width <= 0.004 met after $n profiles" "$tmp/tg.txt"
for bad in 0 -1 nan inf abc; do
  "$bin" run "$tmp/s.toml" --target-halfwidth "$bad" -q -o "$tmp/bad.csv" 2> "$tmp/err"
  check "--target-halfwidth $bad exits 2" test $? -eq 2
  check "--target-halfwidth $bad named" grep -q -- '--target-halfwidth' "$tmp/err"
done
"$bin" run "$tmp/s.toml" --target-halfwidth 0.01 --target-metric revenue,nope -q -o "$tmp/bad.csv" 2> "$tmp/err"
check "unknown --target-metric exits 2" test $? -eq 2
check "unknown --target-metric named" grep -q -- "--target-metric: unknown metric 'nope'" "$tmp/err"
"$bin" run "$tmp/s.toml" --max-samples 1000 -q -o "$tmp/bad.csv" 2> "$tmp/err"
check "--max-samples without a target exits 2" test $? -eq 2
check "no output written on target errors" test ! -e "$tmp/bad.csv"
"$bin" sweep "$tmp/s.toml" --set 'mechanisms[1].reserve=0,1' --target-halfwidth 0.004 --format csv -q > "$tmp/st.csv"
check "sweep with a target has target_met" grep -q ',profiles,target_met$' "$tmp/st.csv"

echo "sweep_cli: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
