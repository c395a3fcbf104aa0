#!/usr/bin/env bash
# One command: install what is missing, build the library and the CLI (tests and benchmarks are built
# by scripts/run-tests.sh), and run the built-in default comparison. Arguments go to `mcrev run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh mcrev_cli
exec build/bin/mcrev run "$@"
