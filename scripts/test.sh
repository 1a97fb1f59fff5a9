#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit, property, fixture and python-blosc2
# interoperability tests. Creates .venv (python-blosc2 from PyPI) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
# apps/milkyway/tests/plot.rs loads a page in headless Chromium: without a browser that test
# fails, so say what is missing before building anything.
if [ -n "${CHROMIUM:-}" ]; then
    "$CHROMIUM" --version >/dev/null 2>&1 || { echo "error: CHROMIUM=$CHROMIUM does not run" >&2; exit 1; }
elif ! command -v chromium chromium-browser google-chrome google-chrome-stable >/dev/null 2>&1; then
    echo "error: Chromium not found; the plot test needs it: install it (Debian/Ubuntu:" \
        "apt-get install chromium) or set CHROMIUM to a Chromium or Chrome binary" >&2
    exit 1
fi
scripts/setup-python.sh
export BLOSC2_PYTHON="$PWD/.venv/bin/python"
cargo fmt --all --check
# No import cycle between the core's modules (python3 standard library only).
python3 scripts/check_layers.py
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace
# The optional zlib-ng feature (C zlib-ng built with cmake): the core's suite again with it.
if command -v cmake >/dev/null 2>&1; then
    cargo clippy -p blosc2-core --features zlib-ng --all-targets --quiet -- -D warnings
    cargo test -p blosc2-core --features zlib-ng
else
    echo "note: cmake not found, blosc2-core's zlib-ng feature not tested" >&2
fi
