#!/usr/bin/env bash
# variance_reduction from the command line (docs/variance_reduction.md): the option overrides the file,
# the JSON and CSV carry the measured ratios, unsupported values and combinations exit 2 naming the
# key, and nothing is written.
# Usage: MCREV=path/to/mcrev vr_cli_test.sh SOURCE_DIR
set -u
src=$1
bin=${MCREV:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/cli_lib.sh"

for m in antithetic control_variate rqmc; do
  "$bin" run -n 65536 --seed 3 -q --threads 2 --variance-reduction "$m" --format json -o "$tmp/$m.json"
  check "$m runs" test $? -eq 0
  check "$m JSON names the method" grep -q "\"method\": \"$m\"" "$tmp/$m.json"
  check "$m JSON has the revenue ratio" grep -q '"variance_ratio"' "$tmp/$m.json"
  "$bin" run -n 65536 --seed 3 -q --threads 2 --chunk-profiles 256 --variance-reduction "$m" --format json -o "$tmp/$m.1.json"
  check "$m JSON identical for 256-profile chunks" same_json "$tmp/$m.json" "$tmp/$m.1.json"
  "$bin" run -n 65536 --seed 3 -q --variance-reduction "$m" --format csv > "$tmp/$m.csv"
  check "$m CSV has variance_ratio.revenue rows" grep -q "^second_price,second_price,variance_ratio.revenue," "$tmp/$m.csv"
done
# The file's key, and the option overriding it.
"$bin" run "$src/examples/variance_reduction/rqmc.toml" -n 4096 -q --format json > "$tmp/file.json"
check "the file's variance_reduction = rqmc applies" grep -q '"method": "rqmc"' "$tmp/file.json"
"$bin" run "$src/examples/variance_reduction/rqmc.toml" -n 4096 -q --variance-reduction none --format json > "$tmp/none.json"
check "--variance-reduction none overrides the file" bash -c "! grep -q '\"variance_reduction\"' '$tmp/none.json'"

echo keep > "$tmp/keep"
refused() {  # refused NAME KEY ARGS...: exit 2, KEY in the message, -o file untouched
  local name=$1 key=$2
  shift 2
  "$bin" run "$@" -q -o "$tmp/keep" 2> "$tmp/err"
  local rc=$?
  check "$name exits 2" test $rc -eq 2
  check "$name names $key" grep -q -- "$key" "$tmp/err"
  check "$name leaves -o untouched" grep -qx keep "$tmp/keep"
}
refused "unknown method" "--variance-reduction" -n 1000 --variance-reduction sobol
refused "antithetic with odd samples" "samples" -n 1001 --variance-reduction antithetic
refused "rqmc with samples not a multiple of the replicates" "samples" -n 1000 --variance-reduction rqmc
refused "rqmc with correlated values" "correlation" "$src/examples/correlated.toml" -n 4096 --variance-reduction rqmc
refused "incentives" "incentives" "$src/examples/incentives.toml" -n 4096 --variance-reduction antithetic
"$bin" run -n 4096 -q --variance-reduction antithetic --profiles 0:2048 --partial-out "$tmp/p.mcp" 2> "$tmp/err"
check "--profiles with a method exits 2" test $? -eq 2
check "--profiles with a method names variance_reduction" grep -q variance_reduction "$tmp/err"
check "--profiles with a method writes no partial" test ! -e "$tmp/p.mcp"
printf 'variance_reduction = "quasi"\n' > "$tmp/bad.toml"
refused "an unknown method in the file" "variance_reduction" "$tmp/bad.toml"

echo "vr_cli: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
