#!/usr/bin/env bash
# MPI (docs/scaling.md): `mpirun --oversubscribe -np R mcrev run ...` for R = 1, 2, 3 gives the
# single-process CSV and JSON byte for byte (timing fields aside) for the default scenario, an
# incentives scenario and a multi-unit one; an error on the ranks exits 2 with one message.
# Usage: MCREV=path/to/mcrev MPIRUN=path/to/mpirun mpi_test.sh SOURCE_DIR
set -u
src=$1
bin=${MCREV:?}
mpirun=${MPIRUN:-mpirun}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl=self,vader  # one machine: shared memory only
. "$(dirname "$0")/cli_lib.sh"
mpi() { local np=$1; shift; "$mpirun" --oversubscribe -np "$np" "$bin" "$@"; }

cases=("default::200000" "incentives:$src/examples/incentives.toml:20000" "multi_unit:$src/examples/multi_unit.toml:3000")
for c in "${cases[@]}"; do
  IFS=: read -r tag scen n <<< "$c"
  common=(run $scen -n "$n" --seed 9 --threads 1 --chunk-profiles 1024 -q)
  "$bin" "${common[@]}" --format csv -o "$tmp/$tag.csv"
  "$bin" "${common[@]}" --format json -o "$tmp/$tag.json"
  for np in 1 2 3; do
    mpi "$np" "${common[@]}" --format csv -o "$tmp/$tag.$np.csv"
    check "$tag: -np $np exits 0" test $? -eq 0
    mpi "$np" "${common[@]}" --format json -o "$tmp/$tag.$np.json"
    check "$tag: -np $np CSV = single process" cmp -s "$tmp/$tag.csv" "$tmp/$tag.$np.csv"
    check "$tag: -np $np JSON = single process (timing aside)" cmp -s <(untimed "$tmp/$tag.json") <(untimed "$tmp/$tag.$np.json")
  done
done
check "another seed differs (the comparison can fail)" bash -c \
  "'$bin' run -n 200000 --seed 10 --threads 1 -q --format csv | cmp -s - '$tmp/default.csv'; test \$? -ne 0"

# Ranks also split a range: partials written under MPI merge like any other.
mpi 3 run -n 200000 --seed 9 --threads 1 -q --profiles 0:100096 --partial-out "$tmp/a.mcp"
"$bin" run -n 200000 --seed 9 --threads 1 -q --profiles 100096:200000 --partial-out "$tmp/b.mcp"
"$bin" merge "$tmp/b.mcp" "$tmp/a.mcp" --format csv -q -o "$tmp/merged.csv"
check "MPI partial + single-process partial merge = one run" cmp -s "$tmp/default.csv" "$tmp/merged.csv"

# Errors: exit 2 from every rank, one message, nothing written.
echo precious > "$tmp/keep.csv"
cat > "$tmp/bad.toml" <<'T'
[[bidders]]
count = 2
value = { dist = "uniform", low = 1.0, high = 0.5 }
[[mechanisms]]
kind = "second_price"
T
mpi 3 run "$tmp/bad.toml" -q -o "$tmp/keep.csv" 2> "$tmp/err"
check "bad scenario under MPI exits 2" test $? -eq 2
check "the message names the key" grep -q 'bidders\[0\].value.low' "$tmp/err"
check "the message is printed once" test "$(grep -c 'bidders\[0\].value.low' "$tmp/err")" -eq 1
check "output untouched" grep -qx precious "$tmp/keep.csv"
mpi 2 run -n 1000 -q --checkpoint "$tmp/c.ckpt" 2> "$tmp/err"
check "--checkpoint under MPI exits 2" test $? -eq 2
check "--checkpoint under MPI is named" grep -q -- '--checkpoint' "$tmp/err"

echo "mpi: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
