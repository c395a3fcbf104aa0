#!/usr/bin/env bash
# The Python module's tests (docs/python.md): `pip install ".[test]"` (the extension with the CPU
# backend only: the Python tests run on the CPU, and the CUDA build is the CLI's to test), then
# pytest against the CLI in build/bin (MCREV_CLI overrides). Run by scripts/run-tests.sh after ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
start=$(date +%s)
"$PY" -m pip install -q --root-user-action=ignore ".[test]" -C cmake.define.MCREV_ENABLE_CUDA=OFF
echo "mcrev: Python module built and installed in $(( $(date +%s) - start )) s" >&2
MCREV_CLI="${MCREV_CLI:-$PWD/build/bin/mcrev}" "$PY" -m pytest -q -p no:cacheprovider python/tests
