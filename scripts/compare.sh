#!/usr/bin/env bash
# Compares blosc2-rs with C-Blosc2 (python-blosc2 4.14.1) on the codecs workload:
# sets up .venv, builds the release CLI, then runs scripts/compare.py with the given options
# (see `scripts/compare.sh --help`). The reference harness is bench/anchor.py
# unless --anchor PATH is given.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh
# BLOSC2_FEATURES=zlib-ng measures the build with that cargo feature (needs cmake).
cargo build --release -p blosc2-cli ${BLOSC2_FEATURES:+--features "$BLOSC2_FEATURES"}
exec .venv/bin/python scripts/compare.py "$@"
