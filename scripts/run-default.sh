#!/usr/bin/env bash
# One command: install what is missing, build, and run the built-in default comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/bin/mcrev run "$@"
