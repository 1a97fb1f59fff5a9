#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS (default 20), seeded with the fixtures.
#   fuzz/run.sh [SECONDS] [TARGET...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`); runs on stable with --sanitizer none.
# Crashes land in fuzz/artifacts/TARGET/; copy each into testdata/regressions/ and add it
# to a normal test so it is replayed forever.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(chunk_decompress blosclz_decode frame_open chunk_roundtrip)
fixtures=../testdata/fixtures
seed() {
    local dir=corpus/$1
    mkdir -p "$dir"
    case $1 in
        chunk_decompress) cp -n "$fixtures"/chunks/*/*.chunk "$dir"/ ;;
        frame_open) cp -n "$fixtures"/frames/*.b2frame "$fixtures"/b2nd/*.b2nd "$dir"/ ;;
        blosclz_decode|chunk_roundtrip) cp -n "$fixtures"/chunks/doc/*.chunk "$dir"/ ;;
    esac
}
cargo fuzz build -s none -O
for t in "${targets[@]}"; do
    seed "$t"
    echo "== $t: $secs s"
    cargo fuzz run -s none -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=4096 -timeout=10 2>&1 \
        | grep -E "^#[0-9]+ *DONE|Done [0-9]+ runs|ERROR|panicked|SUMMARY" || true
    if ls "artifacts/$t"/crash-* >/dev/null 2>&1; then
        echo "crash found in $t: see fuzz/artifacts/$t" >&2
        exit 1
    fi
done
