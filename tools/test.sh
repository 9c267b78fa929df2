#!/usr/bin/env bash
# Python tooling tests (Debian's PyTorch, run as /usr/bin/python3 — not a pyenv python on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${NEXTSCALE_PYTHON:-/usr/bin/python3}
"$PY" -m unittest discover -s tools/tests -t . -v
