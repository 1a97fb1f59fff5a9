#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS (default 20), seeded with the fixtures.
#   fuzz/run.sh [SECONDS] [TARGET...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`); runs on stable with --sanitizer none, and
# links LeakSanitizer's runtime into every target (clang's compiler-rt, on Debian 12 the
# package libclang-rt-14-dev; LSAN_RUNTIME=/path/to/libclang_rt.lsan-ARCH.a picks another),
# so that libFuzzer checks every input for leaks.
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
# The block streams of the chunk fixtures. codec_decode: the first stream of each chunk, as
# format byte, expected size (u16), dictionary flag and stream. blosclz_decode: every BloscLZ
# stream of the first blocks of each chunk (not the ones stored raw), as expected size (u16)
# and stream, the layout that target reads.
seed_streams() {
    [ -n "$(ls -A "$1")" ] && return 0
    ../.venv/bin/python - "$fixtures"/chunks "$1" "$2" <<'PY'
import hashlib, pathlib, struct, sys
src, dst, layout = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
seen = set()
for f in sorted(src.glob("*/*.chunk")):
    b = f.read_bytes()
    if len(b) < 32:
        continue
    flags, typesize = b[2], b[3]
    nbytes, blocksize, cbytes = struct.unpack_from("<iii", b, 4)
    if flags & 0x02 or nbytes <= 0 or blocksize <= 0:
        continue  # memcpyed or empty: no codec stream
    hlen = 32 if flags & 0x05 == 0x05 else 16
    if hlen == 32 and b[31] & 0x70:
        continue  # special chunk
    if layout == "blosclz" and hlen == 32 and (b[31] & 0x01 or b[30] & 1):
        continue  # dictionary or VL blocks: streams of another layout
    codec = flags >> 5
    nblocks = -(-nbytes // blocksize)
    for k in range(min(nblocks, 4) if layout == "blosclz" else 1):
        bsize = min(blocksize, nbytes - k * blocksize)
        nstreams = typesize if not flags & 0x10 and typesize > 1 and bsize == blocksize else 1
        neblock = bsize // nstreams
        try:
            (pos,) = struct.unpack_from("<i", b, hlen + 4 * k)
        except struct.error:
            break
        for j in range(nstreams if layout == "blosclz" else 1):
            try:
                (csize,) = struct.unpack_from("<i", b, pos)
            except struct.error:
                break
            pos += 4
            if csize <= 0:
                pos += csize < 0  # a run of one byte
                continue
            stream = b[pos:pos + csize]
            pos += csize
            if len(stream) != csize:
                break
            if layout == "blosclz":
                if codec != 0 or csize >= neblock or neblock > 0xFFFF:
                    continue  # another codec, a stream stored raw, or too big for the prefix
                seed = struct.pack("<H", neblock) + stream
            else:
                seed = bytes([codec]) + struct.pack("<H", min(neblock, 0xFFFF)) + b"\0" + stream
            h = hashlib.sha256(seed).hexdigest()
            if layout == "codec" or h not in seen:
                seen.add(h)
                name = f"{f.parent.name}-{f.stem}" + (f"-{k}-{j}" if layout == "blosclz" else "")
                dst.joinpath(name).write_bytes(seed)
if not seen:
    sys.exit(f"no {layout} streams found in {src}")
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
        blosclz_decode) seed_streams "$dir" blosclz ;;
        chunk_roundtrip) cp -n "$fixtures"/chunks/doc/*.chunk "$dir"/ ;;
        nd_open)
            # The first input byte picks the boxes read; the rest is the frame.
            for f in "$fixtures"/b2nd/*.b2nd; do
                [ -e "$dir/$(basename "$f")" ] || { printf '\000'; cat "$f"; } >"$dir/$(basename "$f")"
            done ;;
        msgpack_meta) seed_msgpack "$dir" ;;
        codec_decode) seed_streams "$dir" codec ;;
        sparse_frame) seed_sparse "$dir" ;;
        zfp_decode) seed_zfp "$dir" ;;
        ndlz|ndcell|ndmean|nd_chunk) seed_plugins "$1" "$dir" ;;
    esac
}
# LeakSanitizer without compiler instrumentation: its runtime replaces malloc and free, and
# libFuzzer (-detect_leaks=1) reruns an input whose mallocs and frees do not balance under a
# leak check. Linked as clang links it: the whole archive, its symbols exported (a dynamic
# list where the runtime has one, else all), so that libc's own allocations go through it.
arch=$(uname -m)
lsan=${LSAN_RUNTIME:-$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.lsan-"$arch".a 2>/dev/null | sort -V | tail -1)}
if [ -z "$lsan" ] || [ ! -f "$lsan" ]; then
    echo "error: LeakSanitizer runtime libclang_rt.lsan-$arch.a not found: install it" \
        "(Debian 12: apt-get install libclang-rt-14-dev) or set LSAN_RUNTIME to its path" >&2
    exit 1
fi
lsan_flags="-Clink-arg=-Wl,--whole-archive -Clink-arg=$lsan -Clink-arg=-Wl,--no-whole-archive"
if [ -f "$lsan.syms" ]; then
    lsan_flags+=" -Clink-arg=-Wl,--dynamic-list=$lsan.syms"
else
    lsan_flags+=" -Clink-arg=-Wl,--export-dynamic"
fi
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }$lsan_flags -Clink-arg=-ldl -Clink-arg=-lpthread -Clink-arg=-lrt"
cargo fuzz build -s none -O
status=0
for t in "${targets[@]}"; do
    seed "$t"
    echo "== $t: $secs s"
    log=$(mktemp)
    rc=0
    cargo fuzz run -s none -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=4096 -timeout="${FUZZ_TIMEOUT:-30}" \
        -detect_leaks=1 -print_final_stats=1 >"$log" 2>&1 || rc=$?
    grep -E "^#[0-9]+ *DONE|Done [0-9]+ runs|stat::number_of_executed_units|ERROR|panicked|SUMMARY|leak" "$log" || true
    if [ "$rc" -ne 0 ]; then
        tail -40 "$log" >&2
        echo "$t failed (exit $rc): inputs in fuzz/artifacts/$t" >&2
        status=1
    fi
    rm -f "$log"
done
exit $status
