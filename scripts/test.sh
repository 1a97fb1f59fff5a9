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
# The viewer's page test (crates/blosc2-server/tests/viewer_browser.rs) drives Chromium with
# npm's playwright-core, installed from the committed lockfile on first use.
if [ ! -d crates/blosc2-server/tests/browser/node_modules/playwright-core ]; then
    command -v npm >/dev/null 2>&1 || {
        echo "error: npm not found; the viewer's page test needs node and npm (apt-get install nodejs npm)" >&2
        exit 1
    }
    npm ci --prefix crates/blosc2-server/tests/browser --no-audit --no-fund --silent
fi
# The Python package (python/, a workspace member) is checked by clippy with this
# interpreter's configuration (pyo3's build script asks it; no libpython is linked: the
# crate has no Rust tests, pytest below tests it).
export PYO3_PYTHON="$PWD/.venv/bin/python"
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
# The Python package blosc2rs, installed into .venv by setup-python.sh: slicing against
# NumPy, python-blosc2 interoperability, threads, hostile files, Dask, and blosc2rs.milkyway
# against the `milkyway` command (the one cargo test built) (python/tests).
MILKYWAY_BIN="$PWD/target/debug/milkyway" .venv/bin/python -m pytest -q python/tests
# The Slurm recipe of apps/milkyway/README.md (array job of shard ingests, then the merge) on
# a one-node Slurm started for the test, compared with one ingest. Needs root, slurm-wlm and
# munge (.ci/run installs them).
if command -v slurmctld >/dev/null 2>&1 && command -v munged >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    MILKYWAY_BIN="$PWD/target/debug/milkyway" scripts/slurm-test.sh
else
    echo "note: slurm-wlm, munge or root missing: the Slurm recipe test (scripts/slurm-test.sh) not run" >&2
fi
