"""python-blosc2's ZFP codecs on a smooth float32 cube, one thread: the reference numbers for
`cargo run --release -p blosc2-core --example zfp_speed -- FILE N` (which reads the cube this
script writes to FILE).

    .venv/bin/python bench/zfp_speed.py [N=256] [FILE=/tmp/zfp-cube.f32]

Two measures, best of 5 each:

* "per block": the zfp 1.0.1 inside python-blosc2's libblosc2 (its exported zfp functions,
  through ctypes), called per 32^3 block exactly as the C-Blosc2 plugin calls it (stream
  parameters, `zfp_compress` / `zfp_decompress` on a 3-D float field), on the same
  contiguous blocks the Rust example times: the like-for-like comparison;
* "asarray": the whole array, one chunk of N^3 with 32^3 blocks, through `blosc2.asarray`
  and `arr[...]` (b2nd's copies between the array and the chunk's block order included;
  the ratio counts the chunk's header and block offsets too).
"""

import ctypes
import math
import pathlib
import sys
import time

import blosc2
import numpy as np

B = 32

n = int(sys.argv[1]) if len(sys.argv) > 1 else 256
path = sys.argv[2] if len(sys.argv) > 2 else "/tmp/zfp-cube.f32"
x = np.linspace(0, 4 * np.pi, n, dtype="f8")
cube = (
    np.sin(x)[:, None, None] * np.cos(0.7 * x)[None, :, None] + 0.5 * np.sin(1.3 * x + 0.2)[None, None, :]
).astype("<f4")
cube.tofile(path)
print(f"{n}^3 float32 ({cube.nbytes / 1e6:.1f} MB) written to {path}; python-blosc2 {blosc2.__version__}, one thread")
lib = ctypes.CDLL(str(next(pathlib.Path(blosc2.__file__).parent.glob("lib/libblosc2.so*"))))
vp, sz = ctypes.c_void_p, ctypes.c_size_t
for name, res, args in (
    ("stream_open", vp, [vp, sz]),
    ("stream_close", None, [vp]),
    ("zfp_stream_open", vp, [vp]),
    ("zfp_stream_close", None, [vp]),
    ("zfp_stream_set_accuracy", ctypes.c_double, [vp, ctypes.c_double]),
    ("zfp_stream_set_precision", ctypes.c_uint, [vp, ctypes.c_uint]),
    ("zfp_stream_set_rate", ctypes.c_double, [vp, ctypes.c_double, ctypes.c_int, ctypes.c_uint, ctypes.c_int]),
    ("zfp_stream_set_bit_stream", None, [vp, vp]),
    ("zfp_stream_rewind", None, [vp]),
    ("zfp_field_3d", vp, [vp, ctypes.c_int, sz, sz, sz]),
    ("zfp_field_free", None, [vp]),
    ("zfp_compress", sz, [vp, vp]),
    ("zfp_decompress", sz, [vp, vp]),
):
    f = getattr(lib, name)
    f.restype, f.argtypes = res, args
ZFP_FLOAT = 3

nb = n // B
blocks = [
    np.ascontiguousarray(cube[z * B : (z + 1) * B, y * B : (y + 1) * B, x * B : (x + 1) * B])
    for z in range(nb)
    for y in range(nb)
    for x in range(nb)
]
blockbytes = B * B * B * 4


def per_block(mode, meta):
    """Compress and decompress every block with the wheel's zfp; (ratio, comp s, decomp s)."""

    def stream(buf, size):
        zfp = lib.zfp_stream_open(None)
        if mode == "acc":
            lib.zfp_stream_set_accuracy(zfp, math.pow(10, meta))
        elif mode == "prec":
            lib.zfp_stream_set_precision(zfp, meta + 9)
        else:
            lib.zfp_stream_set_rate(zfp, meta / 100.0 * 4 * 8, ZFP_FLOAT, 3, 0)
        bs = lib.stream_open(buf, size)
        lib.zfp_stream_set_bit_stream(zfp, bs)
        lib.zfp_stream_rewind(zfp)
        return zfp, bs

    outs = [ctypes.create_string_buffer(2 * blockbytes) for _ in blocks]
    sizes = [0] * len(blocks)
    best_c = best_d = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for i, b in enumerate(blocks):
            zfp, bs = stream(ctypes.addressof(outs[i]), 2 * blockbytes)
            field = lib.zfp_field_3d(b.ctypes.data, ZFP_FLOAT, B, B, B)
            sizes[i] = lib.zfp_compress(zfp, field)
            lib.zfp_field_free(field)
            lib.zfp_stream_close(zfp)
            lib.stream_close(bs)
        best_c = min(best_c, time.perf_counter() - t)
    dec = np.empty((B, B, B), dtype="<f4")
    for _ in range(5):
        t = time.perf_counter()
        for i in range(len(blocks)):
            if sizes[i] < blockbytes:
                zfp, bs = stream(ctypes.addressof(outs[i]), sizes[i])
                field = lib.zfp_field_3d(dec.ctypes.data, ZFP_FLOAT, B, B, B)
                lib.zfp_decompress(zfp, field)
                lib.zfp_field_free(field)
                lib.zfp_stream_close(zfp)
                lib.stream_close(bs)
        best_d = min(best_d, time.perf_counter() - t)
    stored = sum(s if s < blockbytes else blockbytes for s in sizes)
    return cube.nbytes / stored, best_c, best_d


print(f"{'codec':<10} {'meta':>5} {'how':<10} {'ratio':>8} {'comp MB/s':>12} {'decomp MB/s':>12}")
for mode, codec, meta in (("acc", blosc2.Codec.ZFP_ACC, -3), ("prec", blosc2.Codec.ZFP_PREC, 12), ("rate", blosc2.Codec.ZFP_RATE, 25)):
    ratio, c, d = per_block(mode, meta)
    name = codec.name.lower()
    print(f"{name:<10} {meta:>5} {'per block':<10} {ratio:>8.2f} {cube.nbytes / c / 1e6:>12.1f} {cube.nbytes / d / 1e6:>12.1f}")
    cparams = blosc2.CParams(codec=codec, codec_meta=meta & 0xFF, filters=[], filters_meta=[], nthreads=1)
    dparams = blosc2.DParams(nthreads=1)
    best_c = best_d = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        arr = blosc2.asarray(cube, chunks=(n, n, n), blocks=(B, B, B), cparams=cparams, dparams=dparams)
        best_c = min(best_c, time.perf_counter() - t)
        t = time.perf_counter()
        arr[...]
        best_d = min(best_d, time.perf_counter() - t)
    ratio = cube.nbytes / arr.schunk.cbytes
    print(f"{name:<10} {meta:>5} {'asarray':<10} {ratio:>8.2f} {cube.nbytes / best_c / 1e6:>12.1f} {cube.nbytes / best_d / 1e6:>12.1f}")
