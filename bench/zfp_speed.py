"""python-blosc2's ZFP codecs on a smooth float32 cube, one thread: the reference numbers for
`cargo run --release -p blosc2-core --example zfp_speed -- FILE N` (which reads the cube this
script writes to FILE).

    .venv/bin/python bench/zfp_speed.py [N=256] [FILE=/tmp/zfp-cube.f32]

The cube is one chunk of N^3 with 32^3 blocks; compression is `blosc2.asarray`, decompression
`arr[...]` (both include b2nd's copies between the array and the chunk's block order, which
the Rust example leaves out); best of 3. The ratio counts the chunk's bytes (header and block
offsets too, a few KB).
"""

import sys
import time

import blosc2
import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 256
path = sys.argv[2] if len(sys.argv) > 2 else "/tmp/zfp-cube.f32"
x = np.linspace(0, 4 * np.pi, n, dtype="f8")
cube = (
    np.sin(x)[:, None, None] * np.cos(0.7 * x)[None, :, None] + 0.5 * np.sin(1.3 * x + 0.2)[None, None, :]
).astype("<f4")
cube.tofile(path)
print(f"{n}^3 float32 ({cube.nbytes / 1e6:.1f} MB) written to {path}; python-blosc2 {blosc2.__version__}, one thread")
print(f"{'codec':<10} {'meta':>5} {'ratio':>8} {'comp MB/s':>12} {'decomp MB/s':>12}")
for codec, meta in ((blosc2.Codec.ZFP_ACC, -3), (blosc2.Codec.ZFP_PREC, 12), (blosc2.Codec.ZFP_RATE, 25)):
    cparams = blosc2.CParams(codec=codec, codec_meta=meta & 0xFF, filters=[], filters_meta=[], nthreads=1)
    dparams = blosc2.DParams(nthreads=1)
    best_c = best_d = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        arr = blosc2.asarray(cube, chunks=(n, n, n), blocks=(32, 32, 32), cparams=cparams, dparams=dparams)
        best_c = min(best_c, time.perf_counter() - t)
        t = time.perf_counter()
        arr[...]
        best_d = min(best_d, time.perf_counter() - t)
    ratio = cube.nbytes / arr.schunk.cbytes
    print(f"{codec.name.lower():<10} {meta:>5} {ratio:>8.2f} {cube.nbytes / best_c / 1e6:>12.1f} {cube.nbytes / best_d / 1e6:>12.1f}")
