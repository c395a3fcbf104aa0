#!/usr/bin/env bash
# Installs the build into a temporary prefix and builds + runs tests/find-package against it.
set -euo pipefail
src=$1 build=$2 flags=${3:-}  # the build's CMAKE_CXX_FLAGS: a sanitized library needs a sanitized consumer
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$src/tests/find-package" -B "$tmp/b" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_CXX_FLAGS="$flags" >/dev/null
cmake --build "$tmp/b" >/dev/null
"$tmp/b/consumer"
