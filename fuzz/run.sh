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
[ ${#targets[@]} -gt 0 ] || targets=(chunk_decompress blosclz_decode frame_open chunk_roundtrip nd_open msgpack_meta)
fixtures=../testdata/fixtures
# The metalayers (fixed and variable-length) of the b2nd fixtures, one file each.
seed_msgpack() {
    [ -n "$(ls -A "$1")" ] && return 0
    ../.venv/bin/python - "$fixtures"/b2nd "$1" <<'PY'
import pathlib, sys, blosc2, msgpack
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for f in sorted(src.glob("*.b2nd")):
    a = blosc2.open(str(f))  # keep the array alive while its schunk is used
    s = a.schunk
    for kind, layers in (("meta", s.meta), ("vlmeta", s.vlmeta.getall())):
        for name in layers.keys():
            (dst / f"{f.stem}-{kind}-{name}").write_bytes(msgpack.packb(layers[name]))
PY
}
seed() {
    local dir=corpus/$1
    mkdir -p "$dir"
    case $1 in
        chunk_decompress) cp -n "$fixtures"/chunks/*/*.chunk "$dir"/ ;;
        frame_open) cp -n "$fixtures"/frames/*.b2frame "$fixtures"/b2nd/*.b2nd "$dir"/ ;;
        blosclz_decode|chunk_roundtrip) cp -n "$fixtures"/chunks/doc/*.chunk "$dir"/ ;;
        nd_open)
            # The first input byte picks the boxes read; the rest is the frame.
            for f in "$fixtures"/b2nd/*.b2nd; do
                [ -e "$dir/$(basename "$f")" ] || { printf '\000'; cat "$f"; } >"$dir/$(basename "$f")"
            done ;;
        msgpack_meta) seed_msgpack "$dir" ;;
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
