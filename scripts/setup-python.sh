#!/usr/bin/env bash
# Creates .venv with the pinned python-blosc2 the interoperability tests compare against.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
if ! .venv/bin/python -c "import blosc2, numpy, sys; sys.exit(blosc2.__version__ != '4.14.1')" 2>/dev/null; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
fi
.venv/bin/python -c "import blosc2; print('python-blosc2', blosc2.__version__, '(C-Blosc2', blosc2.VERSION_STRING + ')')"
