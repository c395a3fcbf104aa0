#!/usr/bin/env bash
# Installs what mcrev needs and the machine lacks (Debian/Ubuntu packages; python numpy/matplotlib
# for the baseline and plots). Safe to re-run: installs only what is missing.
set -euo pipefail
pkgs=(cmake ninja-build g++ ccache pkg-config libgtest-dev libbenchmark-dev libcli11-dev libtomlplusplus-dev
      nlohmann-json3-dev librandom123-dev libboost-dev python3 libopenmpi-dev openmpi-bin)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "mcrev: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v nvcc >/dev/null 2>&1 && [ ! -x /usr/local/cuda/bin/nvcc ]; then
  echo "mcrev: no CUDA toolkit found: building the CPU backend only (install the CUDA Toolkit for the GPU backend)" >&2
fi
# numpy for the baseline benchmark, matplotlib for plots (optional: failures only warn)
if ! python3 -c "import numpy, matplotlib" 2>/dev/null; then
  python3 -m pip install -q numpy matplotlib 2>/dev/null || echo "mcrev: note: could not pip install numpy/matplotlib (only the baseline benchmark and plots need them)" >&2
fi
# The Python module (docs/python.md; scripts/python-tests.sh pip-installs it with its test extras):
# the interpreter's headers and pip. A pyenv/venv Python has both; Debian's needs python3-dev, python3-pip.
if ! python3 -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null ||
   ! python3 -m pip --version >/dev/null 2>&1; then
  echo "mcrev: installing python3-dev python3-pip (for the Python module)" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-dev python3-pip >/dev/null
fi
