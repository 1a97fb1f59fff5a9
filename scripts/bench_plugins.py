#!/usr/bin/env python3
"""Ratio and speed of the plugin codecs and filters (NDLZ, NDCELL, NDMEAN), ours against
python-blosc2 4.14.1 on the same arrays, in one run, one thread each.

    cargo build --release -p blosc2-nd --example plugin_bench
    .venv/bin/python scripts/bench_plugins.py [REPS]

Ours: `target/release/examples/plugin_bench` (NdArray::from_bytes and to_bytes, one rayon
thread); python: blosc2.asarray and a[:] with nthreads=1. Both write and read whole arrays
through the b2nd layer with the same chunks, blocks and parameters. Each side runs REPS
(default 10, more for fast cases: about a second of decompression) times per round, the two
sides alternate for ROUNDS (default 3) rounds; the
speeds are from the CPU time per run (process user + system time: what a machine loaded by
other work distorts least), the lowest over the rounds; the best wall times are printed too.
The compressed size is the sum of the chunks' sizes.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import blosc2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = os.path.join(ROOT, "target/release/examples/plugin_bench")
F, C, S = blosc2.Filter, blosc2.Codec, blosc2.SplitMode


def image_u1(shape):
    rng = np.random.default_rng(1)
    i, j = np.indices(shape)
    base = (((i // 16) * 7 + (j // 16) * 3) % 11 * 23).astype(np.uint8)
    return np.where(rng.random(shape) < 0.02, rng.integers(0, 256, shape, dtype=np.uint8), base).astype(np.uint8)


def smooth_f4(shape):
    i, j = np.indices(shape, dtype=np.float64)
    rng = np.random.default_rng(2)
    return (np.sin(i / 50.0) * np.cos(j / 70.0) * 100 + rng.normal(0, 0.01, shape)).astype(np.float32)


# name, data, chunks, blocks, codec, codec_meta, filters [(filter, meta)], split always
CASES = [
    ("ndlz4 u1", image_u1, (500, 500), (100, 100), C.NDLZ, 4, [], False),
    ("ndlz8 u1", image_u1, (500, 500), (100, 100), C.NDLZ, 8, [], False),
    ("ndlz4 f4 (shuffle, split)", smooth_f4, (500, 500), (100, 100), C.NDLZ, 4, [(F.SHUFFLE, 0)], True),
    ("zstd+ndcell:4 f4", smooth_f4, (500, 500), (100, 100), C.ZSTD, 0, [(F.NDCELL, 4)], False),
    ("zstd+ndcell:4+shuffle f4", smooth_f4, (500, 500), (100, 100), C.ZSTD, 0, [(F.NDCELL, 4), (F.SHUFFLE, 0)], False),
    ("zstd+ndmean:4 f4", smooth_f4, (500, 500), (100, 100), C.ZSTD, 0, [(F.NDMEAN, 4)], False),
    ("lz4+ndmean:4+shuffle f4", smooth_f4, (500, 500), (100, 100), C.LZ4, 0, [(F.NDMEAN, 4), (F.SHUFFLE, 0)], False),
]


def python_times(a, chunks, blocks, cparams, reps):
    best_c = best_d = float("inf")
    cpu_c = cpu_d = 0.0
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        b = blosc2.asarray(a, chunks=chunks, blocks=blocks, cparams=cparams)
        best_c, cpu_c = min(best_c, time.perf_counter() - t), cpu_c + time.process_time() - c
        t, c = time.perf_counter(), time.process_time()
        b[:]
        best_d, cpu_d = min(best_d, time.perf_counter() - t), cpu_d + time.process_time() - c
    cbytes = sum(len(b.schunk.get_chunk(i)) for i in range(b.schunk.nchunks))
    return {"compress_s": best_c, "decompress_s": best_d, "compress_cpu_s": cpu_c / reps,
            "decompress_cpu_s": cpu_d / reps, "cbytes": cbytes}


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    shape = (2000, 2000)
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    print(f"arrays {shape}, chunks 500x500, blocks 100x100, one thread, {rounds} rounds of {reps} runs")
    print(f"{'case':27} {'ratio':>6} {'ratio':>6} | {'compression MB/s':^22} | {'decompression MB/s':^22} | {'best wall ms c/d':^23}")
    print(f"{'':27} {'ours':>6} {'py':>6} | {'ours':>7} {'py':>7} {'x':>6} | {'ours':>7} {'py':>7} {'x':>6} | {'ours':>11} {'py':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, make, chunks, blocks, codec, meta, filters, split in CASES:
            a = make(shape)
            path = os.path.join(tmp, "a.npy")
            np.save(path, a)
            fl = [f for f, _ in filters] or [F.NOFILTER]
            fm = [m for _, m in filters] or [0]
            cparams = blosc2.CParams(codec=codec, codec_meta=meta, filters=fl, filters_meta=fm, nthreads=1,
                                     splitmode=S.ALWAYS_SPLIT if split else S.AUTO_SPLIT)
            spec = "+".join([f"{f.name.lower()}:{m}" for f, m in filters] + (["always"] if split else [])) or "-"
            cmd = [OURS, path, ",".join(map(str, chunks)), ",".join(map(str, blocks)), codec.name.lower(), str(meta),
                   spec, str(reps)]
            # Enough runs for about a second of decompression per round (the CPU clock read by
            # the Rust side ticks every 10 ms).
            first = python_times(a, chunks, blocks, cparams, 2)
            n = max(reps, int(1.0 / max(first["decompress_s"], 1e-4)))
            cmd[-1] = str(n)
            py, ours = [], []
            for _ in range(rounds):
                py.append(python_times(a, chunks, blocks, cparams, n))
                ours.append(json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout))
            best = lambda runs, k: min(r[k] for r in runs)
            mb = a.nbytes / 1e6
            oc, pc = best(ours, "compress_cpu_s"), best(py, "compress_cpu_s")
            od, pd = best(ours, "decompress_cpu_s"), best(py, "decompress_cpu_s")
            walls = lambda runs: f"{best(runs, 'compress_s') * 1e3:5.1f}/{best(runs, 'decompress_s') * 1e3:5.1f}"
            print(f"{name:27} {a.nbytes / ours[0]['cbytes']:6.2f} {a.nbytes / py[0]['cbytes']:6.2f} | "
                  f"{mb / oc:7.0f} {mb / pc:7.0f} {pc / oc:6.2f} | {mb / od:7.0f} {mb / pd:7.0f} {pd / od:6.2f} | "
                  f"{walls(ours):>11} {walls(py):>11}")


if __name__ == "__main__":
    main()
