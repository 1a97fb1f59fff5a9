#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit, property, fixture and python-blosc2
# interoperability tests. Creates .venv (python-blosc2 from PyPI) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh
export BLOSC2_PYTHON="$PWD/.venv/bin/python"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace
