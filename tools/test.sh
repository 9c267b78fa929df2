#!/usr/bin/env bash
# Python tooling tests (Debian's PyTorch, run as /usr/bin/python3 — not a pyenv python on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}  # OpenBLAS threads fight torch threads on 2 cores
PY=${NEXTSCALE_PYTHON:-/usr/bin/python3}
"$PY" -m unittest discover -s tools/tests -t . -v
