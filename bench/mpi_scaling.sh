#!/usr/bin/env bash
# MPI speed-up of `mcrev run` from 1 to R ranks (docs/scaling.md): the default scenario, --threads 1
# per rank, wall time of mpirun, next to the single process with 1 and R threads. Prints the load
# average before and after: on a shared machine, other jobs set the ceiling.
#   bench/mpi_scaling.sh [SAMPLES] [RANKS] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${MCREV:-build/bin/mcrev}
n=${1:-4e7}
R=${2:-2}
reps=${3:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); -n $n; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 0; i < reps; i++)); do
  for np in 1 "$R"; do
    /usr/bin/time -f "mpirun -np $np (--threads 1 each): %e s" mpirun --oversubscribe -np "$np" "$bin" run -n "$n" --threads 1 -q --format csv -o "$tmp/$np.csv"
  done
  /usr/bin/time -f "one process --threads 1: %e s" "$bin" run -n "$n" --threads 1 -q --format csv -o "$tmp/s1.csv"
  /usr/bin/time -f "one process --threads $R: %e s" "$bin" run -n "$n" --threads "$R" -q --format csv -o "$tmp/s$R.csv"
  cmp -s "$tmp/1.csv" "$tmp/$R.csv" && cmp -s "$tmp/1.csv" "$tmp/s1.csv" && echo "outputs identical"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
