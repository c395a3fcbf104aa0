#!/usr/bin/env bash
# Configures and builds mcrev in build/ (CUDA backend when nvcc is found; sm_90 by default,
# override with MCREV_CUDA_ARCH="80;90"; MCREV_ENABLE_CUDA=OFF builds the CPU backend alone, e.g. on a
# machine with nvcc but no GPU). The CLI lands at build/bin/mcrev.
#   scripts/build.sh                 everything (library, CLI, tests, benchmarks, examples)
#   scripts/build.sh mcrev_cli ...   only the named targets (and what they need)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/local/cuda/bin/nvcc ] && export PATH="/usr/local/cuda/bin:$PATH"
args=(--preset default)
[ -n "${MCREV_CUDA_ARCH:-}" ] && args+=("-DCMAKE_CUDA_ARCHITECTURES=${MCREV_CUDA_ARCH}")
[ -n "${MCREV_ENABLE_CUDA:-}" ] && args+=("-DMCREV_ENABLE_CUDA=${MCREV_ENABLE_CUDA}")
cmake "${args[@]}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j "$(nproc)" "${targets[@]}"
