#!/usr/bin/env bash
# Checkpoint and resume (docs/state_format.md): a run killed with SIGKILL at several points and
# resumed each time from its checkpoint gives the uninterrupted run's CSV and JSON byte for byte
# (timing fields aside); corrupted and foreign checkpoints are refused with exit 2.
# Usage: MCREV=path/to/mcrev checkpoint_test.sh SOURCE_DIR
set -u
src=$1
bin=${MCREV:?}
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/cli_lib.sh"
# The profile the checkpoint has reached (bytes 48..55, little-endian).
reached() { python3 -c "import sys; b=open(sys.argv[1],'rb').read(); print(int.from_bytes(b[48:56],'little'))" "$1"; }

n=${CHECKPOINT_TEST_SAMPLES:-20000000}
base=(-n "$n" --threads 1 --chunk-profiles 65536 -q)
args=("${base[@]}" --seed 17)
"$bin" run "${args[@]}" --format json -o "$tmp/ref.json"
"$bin" run "${args[@]}" --format csv -o "$tmp/ref.csv"

# Kill points: when the checkpoint has passed 20 %, 45 % and 70 % of the profiles (polled), plus a
# random delay of up to 0.3 s so that kills also land between checkpoints and during their writes.
ck="$tmp/run.ckpt"
last=0
kills=0
for pct in 20 45 70; do
  resume=()
  [ -e "$ck" ] && resume=(--resume "$ck")
  # The killed runs take the generic path (the fast path finishes 20M profiles before a kill lands);
  # the references and the last resume take the fast path, so the comparison below also shows that a
  # checkpoint of one path resumed by the other gives the same bits.
  MCREV_FAST_PATH=off "$bin" run "${args[@]}" --format json -o "$tmp/out.json" --checkpoint "$ck" --checkpoint-every 0.2 "${resume[@]}" &
  pid=$!
  target=$((n / 100 * pct))
  while kill -0 "$pid" 2>/dev/null; do
    if [ -s "$ck" ] && [ "$(reached "$ck")" -ge "$target" ]; then break; fi
    sleep 0.1
  done
  sleep "0.$((RANDOM % 4))"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null
  pid=""
  check "a checkpoint exists after kill $kills" test -s "$ck"
  now=$(reached "$ck")
  echo "killed with the checkpoint at profile $now of $n"
  check "the checkpoint advanced ($last -> $now) and is not complete" test "$now" -gt "$last" -a "$now" -lt "$n"
  check "no result written by a killed run" test ! -e "$tmp/out.json"
  last=$now
done
check "the run was really killed three times" test "$kills" -eq 3
"$bin" run "${args[@]}" --format json -o "$tmp/out.json" --checkpoint "$ck" --checkpoint-every 0.2 --resume "$ck"
check "the last resume exits 0" test $? -eq 0
check "resumed JSON = uninterrupted JSON (timing aside)" cmp -s <(untimed "$tmp/ref.json") <(untimed "$tmp/out.json")
check "the final checkpoint is complete" test "$(reached "$ck")" -eq "$n"
"$bin" run "${args[@]}" --format csv -o "$tmp/out.csv" --resume "$ck"
check "resumed CSV = uninterrupted CSV" cmp -s "$tmp/ref.csv" "$tmp/out.csv"
check "a different run's CSV differs (the comparison can fail)" bash -c \
  "'$bin' run -n 300000 --seed 17 -q --format csv | cmp -s - '$tmp/ref.csv'; test \$? -ne 0"

# A partial checkpoint resumed with another chunk size and thread count gives the same bits.
"$bin" run -n 3000000 --seed 17 --threads 1 -q --format csv -o "$tmp/small.ref.csv"
"$bin" run -n 3000000 --seed 17 --threads 1 -q --format csv --profiles 0:1048576 --partial-out "$tmp/half.ckpt"
"$bin" run -n 3000000 --seed 17 --threads 2 --chunk-profiles 4096 -q --format csv -o "$tmp/small.csv" --resume "$tmp/half.ckpt"
check "resume from a prefix partial, other chunking = one run" cmp -s "$tmp/small.ref.csv" "$tmp/small.csv"

# Refusals: exit 2, the reason named, nothing written.
echo precious > "$tmp/keep.csv"
"$bin" run "${base[@]}" --seed 18 --format csv -o "$tmp/keep.csv" --resume "$ck" 2> "$tmp/err"
check "a checkpoint of another seed exits 2" test $? -eq 2
check "another seed is named" grep -q 'seed 17' "$tmp/err"
"$bin" run "$src/examples/asymmetric_reserves.toml" "${args[@]}" --format csv -o "$tmp/keep.csv" --resume "$ck" 2> "$tmp/err"
check "a checkpoint of another scenario exits 2" test $? -eq 2
check "another scenario is named" grep -q 'another scenario' "$tmp/err"
python3 - "$ck" "$tmp/bad.ckpt" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) - 100] ^= 1
open(sys.argv[2], "wb").write(b)
PY
"$bin" run "${args[@]}" --format csv -o "$tmp/keep.csv" --resume "$tmp/bad.ckpt" 2> "$tmp/err"
check "a corrupted checkpoint exits 2" test $? -eq 2
check "corruption names a byte" grep -q 'bad.ckpt: byte [0-9]*:' "$tmp/err"
head -c 1000 "$ck" > "$tmp/short.ckpt"
"$bin" run "${args[@]}" --format csv -o "$tmp/keep.csv" --resume "$tmp/short.ckpt" 2> "$tmp/err"
check "a truncated checkpoint exits 2" test $? -eq 2
"$bin" run "${args[@]}" --format csv -o "$tmp/keep.csv" --resume "$tmp/none.ckpt" 2> "$tmp/err"
check "a missing checkpoint exits 2" test $? -eq 2
check "output untouched after refused checkpoints" grep -qx precious "$tmp/keep.csv"
"$bin" run -n 1000 -q --checkpoint "$tmp/x.ckpt" --checkpoint-every 0 2> "$tmp/err"
check "--checkpoint-every 0 exits 2" test $? -eq 2
check "--checkpoint-every is named" grep -q -- '--checkpoint-every' "$tmp/err"

echo "checkpoint: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
