#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS (default 20), seeded with the fixtures.
#   fuzz/run.sh [SECONDS] [TARGET...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`); runs on stable with --sanitizer none.
# Crashing, leaking, slow or memory-hungry inputs land in fuzz/artifacts/TARGET/; copy each into testdata/regressions/ and add it
# to a normal test so it is replayed forever.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(chunk_decompress blosclz_decode codec_decode frame_open sparse_frame chunk_roundtrip nd_open msgpack_meta zfp_decode ndlz ndcell ndmean nd_chunk)
fixtures=../testdata/fixtures
plugins=../testdata/plugins
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
# The first block stream of each chunk fixture, in codec_decode's input layout.
seed_codec() {
    [ -n "$(ls -A "$1")" ] && return 0
    ../.venv/bin/python - "$fixtures"/chunks "$1" <<'PY'
import pathlib, struct, sys
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for f in sorted(src.glob("*/*.chunk")):
    b = f.read_bytes()
    if len(b) < 16:
        continue
    flags, typesize = b[2], b[3]
    nbytes, blocksize, cbytes = struct.unpack_from("<iii", b, 4)
    if flags & 0x02 or nbytes == 0 or blocksize <= 0:
        continue  # memcpyed or empty: no codec stream
    hlen = 32 if flags & 0x05 == 0x05 else 16
    if hlen == 32 and b[31] & 0x70:
        continue  # special chunk
    nstreams = 1 if flags & 0x10 or typesize <= 1 else typesize
    bsize = min(blocksize, nbytes)
    try:
        (start,) = struct.unpack_from("<i", b, hlen)
        (csize,) = struct.unpack_from("<i", b, start)
    except struct.error:
        continue
    if csize <= 0 or start + 4 + csize > len(b):
        continue
    expected = min(bsize // nstreams, 0xFFFF)
    stream = b[start + 4:start + 4 + csize]
    dst.joinpath(f"{f.parent.name}-{f.stem}").write_bytes(bytes([flags >> 5]) + struct.pack("<H", expected) + b"\0" + stream)
PY
}
# The zfp streams of the ZFP golden chunks (testdata/zfp), in zfp_decode's input layout.
seed_zfp() {
    [ -n "$(ls -A "$1")" ] && return 0
    ../.venv/bin/python - ../testdata/zfp "$1" <<'PY'
import json, pathlib, struct, sys
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for case in json.loads((src / "manifest.json").read_text())["cases"]:
    blob = (src / case["file"]).read_bytes()
    blocks = case["blocks"]
    if max(blocks) > 16:
        continue
    head = bytes([(case["codec"] - 33) | (4 if case["typesize"] == 8 else 0) | ((len(blocks) - 1) << 3), case["codec_meta"]])
    head += bytes(d - 1 for d in blocks)
    for i, e in enumerate(case["chunk_entries"]):
        off, n = e["chunk"]
        chunk = blob[off:off + n]
        nbytes, blocksize = struct.unpack_from("<ii", chunk, 4)
        if chunk[2] & 0x02 or chunk[31] & 0x70:
            continue
        start = struct.unpack_from("<i", chunk, 32)[0]
        csize = struct.unpack_from("<i", chunk, start)[0]
        if 0 < csize < blocksize:
            dst.joinpath(f"{case['name']}-{i}").write_bytes(head + chunk[start + 4:start + 4 + csize])
PY
}
# Sparse frames written by python-blosc2, in sparse_frame's input layout.
seed_sparse() {
    [ -n "$(ls -A "$1")" ] && return 0
    ../.venv/bin/python - "$1" <<'PY'
import pathlib, struct, sys, tempfile
import blosc2, numpy as np
dst = pathlib.Path(sys.argv[1])
def pack(name, d):
    d = pathlib.Path(d)
    index = (d / "chunks.b2frame").read_bytes()
    files = [p.read_bytes() for p in sorted(d.glob("*.chunk"))][:4]
    out = struct.pack("<H", min(len(index), 0xFFFF)) + bytes([len(files)]) + index
    for i, f in enumerate(files):
        out += f if i + 1 == len(files) else struct.pack("<H", min(len(f), 0xFFFF)) + f
    (dst / name).write_bytes(out)
with tempfile.TemporaryDirectory() as tmp:
    for k, (codec, n) in enumerate([(blosc2.Codec.ZSTD, 3), (blosc2.Codec.LZ4, 2), (blosc2.Codec.BLOSCLZ, 1)]):
        d = f"{tmp}/s{k}"
        data = np.linspace(0, 1, 1000 * n, dtype="f8")
        s = blosc2.SChunk(chunksize=8000, data=data, urlpath=d, contiguous=False, cparams={"codec": codec})
        s.vlmeta["note"] = "seed"
        del s
        pack(f"schunk-{codec.name.lower()}", d)
    d = f"{tmp}/nd"
    a = blosc2.arange(0, 600, shape=(20, 30), chunks=(10, 10), blocks=(5, 5), urlpath=d, contiguous=False)
    del a
    pack("b2nd-arange", d)
    d = f"{tmp}/zeros"
    a = blosc2.zeros((40, 40), dtype="u1", chunks=(20, 20), urlpath=d, contiguous=False)
    del a
    pack("b2nd-zeros", d)
PY
}
# The plugin fixtures' chunks: their geometry in nd_chunk's input layout, or their first
# NDLZ stream in ndlz's; blocks of their arrays for ndcell/ndmean.
seed_plugins() {
    [ -n "$(ls -A "$2")" ] && return 0
    ../.venv/bin/python - "$plugins" "$2" "$1" <<'PY'
import json, pathlib, struct, sys
import blosc2, numpy as np
src, dst, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
for e in json.load(open(src / "manifest.json"))["files"]:
    name = pathlib.Path(e["path"]).stem
    if e["kind"] == "chunk":
        b = (src / e["path"]).read_bytes()
        bs = e["blockshape"]
        if target == "nd_chunk":
            dst.joinpath(name).write_bytes(bytes([len(bs)]) + b"".join(struct.pack("<H", x) for x in bs) + b)
        elif target == "ndlz" and b[22] == 32:
            (start,) = struct.unpack_from("<i", b, 32)
            (csize,) = struct.unpack_from("<i", b, start)
            if 0 < csize < len(b) - start - 4:
                dst.joinpath(name).write_bytes(bytes([0 if b[23] == 4 else 1]) + struct.pack("<H", bs[0] * bs[1]) + b[start + 4:start + 4 + csize])
    elif target in ("ndcell", "ndmean") and e["kind"] == "b2nd" and len(e["blocks"]) <= 3:
        a = np.load(src / e["npy"])
        bs = [min(b, s, 31) for b, s in zip(e["blocks"], e["shape"])]
        block = a[tuple(slice(0, b) for b in bs)].tobytes()
        meta = e["cparams"]["filters_meta"][0] or 4
        dst.joinpath(name).write_bytes(bytes([len(bs), meta, a.dtype.itemsize]) + bytes(bs) + block)
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
        codec_decode) seed_codec "$dir" ;;
        sparse_frame) seed_sparse "$dir" ;;
        zfp_decode) seed_zfp "$dir" ;;
        ndlz|ndcell|ndmean|nd_chunk) seed_plugins "$1" "$dir" ;;
    esac
}
cargo fuzz build -s none -O
status=0
for t in "${targets[@]}"; do
    seed "$t"
    echo "== $t: $secs s"
    log=$(mktemp)
    rc=0
    cargo fuzz run -s none -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=4096 -timeout="${FUZZ_TIMEOUT:-30}" \
        -print_final_stats=1 >"$log" 2>&1 || rc=$?
    grep -E "^#[0-9]+ *DONE|Done [0-9]+ runs|stat::number_of_executed_units|ERROR|panicked|SUMMARY" "$log" || true
    if [ "$rc" -ne 0 ]; then
        tail -40 "$log" >&2
        echo "$t failed (exit $rc): inputs in fuzz/artifacts/$t" >&2
        status=1
    fi
    rm -f "$log"
done
exit $status
