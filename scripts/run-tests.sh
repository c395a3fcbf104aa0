#!/usr/bin/env bash
# One command: install what is missing, build, and run the whole test suite (GPU tests skip without
# a device, saying why).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 900
cd ..
# The Python module: pip install ".[test]" and pytest (docs/python.md)
scripts/python-tests.sh
