#!/usr/bin/env bash
# Partial states from the command line (docs/state_format.md): `run --profiles A:B --partial-out`
# and `merge` of 1, 2 and 7 partials give the one-shot run's CSV and JSON byte for byte (timing
# fields aside); gaps, overlaps, foreign, corrupted and truncated partials are refused with exit 2,
# naming the ranges or the byte, and nothing is written.
# Usage: MCREV=path/to/mcrev state_cli_test.sh SOURCE_DIR
set -u
src=$1
bin=${MCREV:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/cli_lib.sh"

# parts NAME SCENARIO SAMPLES CUT... : partials of [0, SAMPLES) cut at the given points, each with its
# own chunk size; prints their file names.
parts() {
  local name=$1 scen=$2 n=$3
  shift 3
  local cuts=(0 "$@" "$n") i files=()
  for ((i = 0; i + 1 < ${#cuts[@]}; i++)); do
    local f="$tmp/$name.$i.mcp" chunk=$((256 << (i % 5)))
    "$bin" run $scen -n "$n" --seed 5 --threads 2 --chunk-profiles "$chunk" -q \
      --profiles "${cuts[$i]}:${cuts[$((i + 1))]}" --partial-out "$f" || echo "FAIL: part $name $i exit $?" >&2
    files+=("$f")
  done
  echo "${files[@]}"
}

for scen in "" "$src/examples/incentives.toml"; do
  tag=$([ -z "$scen" ] && echo default || echo incentives)
  n=$([ -z "$scen" ] && echo 300007 || echo 20000)
  "$bin" run $scen -n "$n" --seed 5 --threads 2 --format csv -q -o "$tmp/$tag.one.csv"
  "$bin" run $scen -n "$n" --seed 5 --threads 2 --format json -q -o "$tmp/$tag.one.json"
  if [ "$tag" = default ]; then
    sets=("1:" "2:150016" "7:256 33280 66304 66560 199936 299520")
  else
    sets=("1:" "2:9984" "7:256 2560 2816 7936 15104 19968")
  fi
  for s in "${sets[@]}"; do
    k=${s%%:*}
    read -r -a cuts <<< "${s#*:}"
    files=$(parts "$tag$k" "$scen" "$n" "${cuts[@]}")
    # shellcheck disable=SC2086
    "$bin" merge $(echo $files | tr ' ' '\n' | tac) --format csv -q -o "$tmp/$tag.m$k.csv"
    check "$tag: merge of $k partials exits 0" test $? -eq 0
    # shellcheck disable=SC2086
    "$bin" merge $files --format json -q -o "$tmp/$tag.m$k.json"
    check "$tag: merge of $k partials = one run (CSV bytes)" cmp -s "$tmp/$tag.one.csv" "$tmp/$tag.m$k.csv"
    check "$tag: merge of $k partials = one run (JSON bytes, timing aside)" same_json "$tmp/$tag.one.json" "$tmp/$tag.m$k.json"
  done
done
check "merged json differs from a different seed (the comparison can fail)" bash -c \
  "'$bin' run -n 300007 --seed 6 --threads 2 --format csv -q | cmp -s - '$tmp/default.one.csv'; test \$? -ne 0"

# Gap and overlap: exit 2, the ranges named, -o untouched.
echo precious > "$tmp/keep.json"
p=($(parts d7 "" 300007 256 33280 66304 66560 199936 299520))
"$bin" merge "${p[0]}" "${p[1]}" "${p[3]}" "${p[4]}" "${p[5]}" "${p[6]}" -o "$tmp/keep.json" 2> "$tmp/err"
check "gap exits 2" test $? -eq 2
check "gap names the missing range" grep -q 'gap: profiles \[33280, 66304)' "$tmp/err"
check "output untouched after a gap" grep -qx precious "$tmp/keep.json"
"$bin" run -n 300007 --seed 5 --threads 2 -q --profiles 30208:70144 --partial-out "$tmp/over.mcp"
"$bin" merge "${p[@]}" "$tmp/over.mcp" -o "$tmp/keep.json" 2> "$tmp/err"
check "overlap exits 2" test $? -eq 2
check "overlap names both ranges" grep -q 'overlap: .*\[.*).* and .*over.mcp \[30208, 70144)' "$tmp/err"
check "output untouched after an overlap" grep -qx precious "$tmp/keep.json"

# Foreign partials: another seed, another scenario, another sample count.
"$bin" run -n 300007 --seed 6 --threads 2 -q --profiles 33280:66304 --partial-out "$tmp/seed6.mcp"
"$bin" merge "${p[0]}" "${p[1]}" "$tmp/seed6.mcp" "${p[3]}" "${p[4]}" "${p[5]}" "${p[6]}" -o "$tmp/keep.json" 2> "$tmp/err"
check "another seed exits 2" test $? -eq 2
check "another seed is named" grep -q 'seed6.mcp: seed 6, but .* has seed 5' "$tmp/err"
"$bin" run "$src/examples/asymmetric_reserves.toml" -n 300007 --seed 5 -q --profiles 33280:66304 --partial-out "$tmp/other.mcp"
"$bin" merge "${p[0]}" "${p[1]}" "$tmp/other.mcp" "${p[3]}" "${p[4]}" "${p[5]}" "${p[6]}" 2> "$tmp/err" > /dev/null
check "another scenario exits 2" test $? -eq 2
check "another scenario is named" grep -q 'other.mcp: computed for another scenario' "$tmp/err"

# Corrupted and truncated files: exit 2 with the byte offset.
python3 - "${p[2]}" "$tmp/flip.mcp" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x40
open(sys.argv[2], "wb").write(b)
PY
"$bin" merge "${p[0]}" "${p[1]}" "$tmp/flip.mcp" "${p[3]}" "${p[4]}" "${p[5]}" "${p[6]}" -o "$tmp/keep.json" 2> "$tmp/err"
check "corrupted partial exits 2" test $? -eq 2
check "corruption names the file and a byte" grep -q 'flip.mcp: byte [0-9]*:' "$tmp/err"
head -c 300 "${p[2]}" > "$tmp/short.mcp"
"$bin" merge "${p[0]}" "${p[1]}" "$tmp/short.mcp" -o "$tmp/keep.json" 2> "$tmp/err"
check "truncated partial exits 2" test $? -eq 2
check "truncation names a byte" grep -q 'short.mcp: byte [0-9]*: truncated' "$tmp/err"
echo "not a state" > "$tmp/text.mcp"
"$bin" merge "$tmp/text.mcp" 2> "$tmp/err" > /dev/null
check "a text file exits 2" test $? -eq 2
"$bin" merge "$tmp/missing.mcp" 2> "$tmp/err" > /dev/null
check "a missing partial exits 2" test $? -eq 2
check "output untouched after bad partials" grep -qx precious "$tmp/keep.json"

# Bad --profiles: exit 2 naming the flag; no partial written.
for bad in 100:1024 0:1000 512:512 0:400000 abc 5; do
  "$bin" run -n 300007 -q --profiles "$bad" --partial-out "$tmp/none.mcp" 2> "$tmp/err"
  check "--profiles $bad exits 2" test $? -eq 2
  check "--profiles $bad names the flag" grep -q -- '--profiles' "$tmp/err"
done
check "no partial written on error" test ! -e "$tmp/none.mcp"
"$bin" run -n 300007 -q --profiles 0:256 2> "$tmp/err"
check "--profiles without --partial-out exits 2" test $? -eq 2
"$bin" run -n 1000 -q --partial-out "$tmp/none.mcp" -o "$tmp/x.json" 2> "$tmp/err"
check "--partial-out with -o exits 2" test $? -eq 2
check "no partial written with -o" test ! -e "$tmp/none.mcp"
# Ranges, checkpoints and MPI run on the CUDA backend too (docs/gpu.md); without a device that is
# exit 3 and nothing written, as for a whole run.
if "$bin" run -n 1000 -q --backend cuda --partial-out "$tmp/none.mcp" 2> "$tmp/err"; then
  echo "note: a CUDA device is present; its ranges are checked by the GPU tests"
else
  check "--partial-out with --backend cuda and no device exits 3" test $? -eq 3
  check "its message names the missing device" grep -q "no usable CUDA device" "$tmp/err"
  check "no partial written without a device" test ! -e "$tmp/none.mcp"
  "$bin" run -n 1000 -q --devices 0 --checkpoint "$tmp/none.ckpt" 2> "$tmp/err"
  check "--devices with a checkpoint and no device exits 3" test $? -eq 3
  check "no checkpoint written without a device" test ! -e "$tmp/none.ckpt"
fi

echo "state_cli: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
