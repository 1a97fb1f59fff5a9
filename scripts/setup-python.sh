#!/usr/bin/env bash
# Creates .venv with the pinned python-blosc2 the interoperability tests compare against
# (plus pytest and maturin; dask, distributed, pandas and plotly for blosc2rs's Dask and
# explorer tests and example), then builds and installs this repository's Python package
# blosc2rs (python/) into it. The package is rebuilt on every run: maturin's release build
# through cargo recompiles only what changed (a few seconds when nothing did).
# SKIP_BLOSC2RS=1 leaves the package as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
if ! .venv/bin/python -c "import blosc2, numpy, pytest, maturin, dask, distributed, pandas, plotly, sys; sys.exit(blosc2.__version__ != '4.14.1' or dask.__version__ != '2026.8.0')" 2>/dev/null; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
fi
.venv/bin/python -c "import blosc2; print('python-blosc2', blosc2.__version__, '(C-Blosc2', blosc2.VERSION_STRING + ')')"
if [ "${SKIP_BLOSC2RS:-0}" != 1 ]; then
    # No build isolation: maturin comes from .venv (with isolation pip would fetch it from
    # PyPI on every run); the PEP 517 backend runs the `maturin` of PATH.
    PATH="$PWD/.venv/bin:$PATH" .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        --no-build-isolation ./python
    .venv/bin/python -c "import blosc2rs; print('blosc2rs', blosc2rs.__version__, '(python/, installed in .venv)')"
fi
