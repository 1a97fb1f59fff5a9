#!/usr/bin/env python3
"""Frame measurements, blosc2-rs next to python-blosc2 in one run.

    .venv/bin/python scripts/bench_frames.py [--nchunks 100000] [--mib 1024] [--runs 3]

1. Builds a contiguous frame of NCHUNKS chunks on disk (800-byte chunks of float64, zstd
   5 shuffle; written by the Rust side because C-Blosc2's to_cframe is quadratic in the
   number of chunks), then times opening it (python: blosc2.open; ours:
   SChunk::open) and walking every chunk's metadata (python: SChunk.iterchunks_info();
   ours: SChunk::chunk_infos). Medians of RUNS, warm page cache.
2. Appends MIB MiB of smooth float64 (i/3 + i mod 17) in 8 MiB chunks, zstd clevel 5
   shuffle, nthreads 1 and 2, to a contiguous frame on disk (python:
   blosc2.SChunk(chunksize=..., urlpath=..., contiguous=True, cparams=...) then append_data
   per chunk; ours: SChunk::new(..).into_file(..) then append_buffer). Best of RUNS, data
   generated before the clock starts.

The Rust side is the example crates/blosc2-core/examples/bench_frames.rs, built in release
mode by this script. Prints a markdown table with ratios ours/python (time ratios: below 1
means ours is faster).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import blosc2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rust(*args):
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "-p", "blosc2-core", "--example", "bench_frames", "--", *map(str, args)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    lines = out.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def median(v):
    v = sorted(v)
    return v[len(v) // 2]


def cparams(nthreads):
    return blosc2.CParams(codec=blosc2.Codec.ZSTD, clevel=5, typesize=8,
                          filters=[blosc2.Filter.SHUFFLE], nthreads=nthreads)


def smooth(start, n):
    i = np.arange(start, start + n, dtype=np.int64)
    return i / 3.0 + (i % 17).astype(np.float64)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nchunks", type=int, default=100_000)
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--chunk-mib", type=int, default=8)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default=None, help="where the frames go (default: a temporary directory)")
    a = ap.parse_args()
    tmp = a.dir or tempfile.mkdtemp(prefix="bench-frames-")
    os.makedirs(tmp, exist_ok=True)
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "blosc2-core", "--example", "bench_frames"],
                   cwd=ROOT, check=True)
    rows = []
    try:
        # 1. Open and metadata walk.
        path = os.path.join(tmp, f"open-{a.nchunks}.b2frame")
        rust("make", path, a.nchunks)
        opens, walks = [], []
        for _ in range(a.runs):
            t = time.perf_counter()
            s = blosc2.open(path, mode="r")
            opens.append(time.perf_counter() - t)
            t = time.perf_counter()
            nb = sum(1 for info in s.iterchunks_info())
            walks.append(time.perf_counter() - t)
            assert nb == a.nchunks == s.nchunks
            del s
        r = rust("open", path, a.runs)
        assert r["nchunks"] == a.nchunks
        rows.append((f"open a {a.nchunks:,}-chunk frame (ms)", r["open_s"] * 1e3, median(opens) * 1e3))
        rows.append(("metadata walk, per chunk (us)", r["walk_s"] / a.nchunks * 1e6,
                     median(walks) / a.nchunks * 1e6))
        os.remove(path)
        # 2. Append throughput.
        n = (a.chunk_mib << 20) // 8
        nchunks = a.mib // a.chunk_mib
        data = [smooth(k * n, n) for k in range(nchunks)]
        for nthreads in (1, 2):
            best = float("inf")
            p = os.path.join(tmp, f"py-append-{nthreads}.b2frame")
            for _ in range(a.runs):
                if os.path.exists(p):
                    os.remove(p)
                t = time.perf_counter()
                s = blosc2.SChunk(chunksize=n * 8, urlpath=p, contiguous=True, cparams=cparams(nthreads))
                for c in data:
                    s.append_data(c)
                del s
                best = min(best, time.perf_counter() - t)
            os.remove(p)
            r = rust("append", tmp, a.mib, a.chunk_mib, nthreads, a.runs)
            mb = a.mib * (1 << 20) / 1e6
            rows.append((f"append {a.mib} MiB, nthreads {nthreads} (MB/s)", mb / r["seconds"], mb / best))
    finally:
        if a.dir is None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"python-blosc2 {blosc2.__version__}, C-Blosc2 {blosc2.blosclib_version}, {os.cpu_count()} CPUs")
    print()
    print("| measurement | blosc2-rs | python-blosc2 | ours/python |")
    print("|---|---:|---:|---:|")
    for name, ours, py in rows:
        print(f"| {name} | {ours:.3f} | {py:.3f} | {ours / py:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
