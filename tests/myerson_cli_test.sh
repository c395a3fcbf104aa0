#!/usr/bin/env bash
# CLI contract of the optimal-auction features: `mcrev run` JSON keys for myerson and optimal reserves,
# `mcrev reserve-search` CSV output, exit code 2 and untouched output files on bad input.
# Usage: MCREV=path/to/mcrev myerson_cli_test.sh SOURCE_DIR
set -u
MCREV=${MCREV:?set MCREV to the mcrev binary}
SRC=${1:?source directory}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$MCREV" run "$SRC/examples/myerson_asymmetric.toml" -n 20000 --backend cpu --format json -q -o "$tmp/a.json" ||
  fail "run myerson_asymmetric.toml"
grep -q '"optimal": {' "$tmp/a.json" || fail "no \"optimal\" key"
grep -q '"rule": "myerson"' "$tmp/a.json" || fail "no myerson rule"
grep -q '"rule": "optimal_personalized"' "$tmp/a.json" || fail "no optimal_personalized rule"
grep -q '"reserve": 10.5' "$tmp/a.json" || fail "reserve (3 + 18)/2 = 10.5 missing"
grep -q '"kind": "myerson"' "$tmp/a.json" || fail "kind myerson missing"

"$MCREV" run "$SRC/examples/ironing_mixture.toml" -n 20000 --backend cpu --format json -q > "$tmp/m.json" ||
  fail "run ironing_mixture.toml"
grep -q '"ironed_intervals": \[' "$tmp/m.json" || fail "no ironed_intervals"
grep -q '"low": 0.87799153207' "$tmp/m.json" || fail "ironed interval low end (7 - sqrt 3)/6 missing"

"$MCREV" reserve-search "$SRC/examples/ironing_mixture.toml" -n 20000 --grid 5 --refine 3 --backend cpu -q \
  -o "$tmp/curve.csv" || fail "reserve-search"
head -1 "$tmp/curve.csv" | grep -q '^stage,reserve,revenue,revenue_stderr,' || fail "curve header"
[ "$(grep -c '^grid,' "$tmp/curve.csv")" = 5 ] || fail "5 grid rows expected"
grep -q '^monopoly,0.6666666666' "$tmp/curve.csv" || fail "monopoly reserve row"

"$MCREV" reserve-search "$SRC/examples/ironing_mixture.toml" --grid 1 -o "$tmp/bad.csv" 2> "$tmp/err"
[ $? = 2 ] || fail "--grid 1 must exit 2"
[ ! -e "$tmp/bad.csv" ] || fail "output written on error"
grep -q -- '--grid' "$tmp/err" || fail "error names --grid"

cat > "$tmp/bad.toml" <<'TOML'
[[bidders]]
value = { dist = "uniform", low = 0.0, high = 1.0 }
[[mechanisms]]
kind = "myerson"
reserve = 0.5
TOML
"$MCREV" run "$tmp/bad.toml" -q -o "$tmp/out.json" 2> "$tmp/err"
[ $? = 2 ] || fail "myerson with a reserve must exit 2"
grep -q 'mechanisms\[0\].reserve' "$tmp/err" || fail "error names mechanisms[0].reserve"
[ ! -e "$tmp/out.json" ] || fail "output written on error"
echo "myerson CLI checks passed"
