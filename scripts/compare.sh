#!/usr/bin/env bash
# Compares blosc2-rs with C-Blosc2 (python-blosc2 4.14.1) on the codecs workload:
# sets up .venv, builds the release CLI, then runs scripts/compare.py with the given options
# (see `scripts/compare.sh --help`). The reference harness is bench/anchor.py
# unless --anchor PATH is given.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh
# libzstd builds with clang where it is installed (scripts/cc, asked here which compiler it
# picks for libzstd); docs/benchmarks.md's figures are of such a build.
if [ -z "${CC:-}" ] && ! CARGO_PKG_NAME=zstd-sys scripts/cc --version 2>/dev/null | grep clang >/dev/null; then
    echo "note: no clang here, libzstd builds with cc (its compression 4-15 % slower than in docs/benchmarks.md; apt-get install clang-19)" >&2
fi
# BLOSC2_FEATURES=zlib-ng measures the build with that cargo feature (needs cmake).
cargo build --release -p blosc2-cli ${BLOSC2_FEATURES:+--features "$BLOSC2_FEATURES"}
exec .venv/bin/python scripts/compare.py "$@"
