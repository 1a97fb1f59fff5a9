"""Read speed of blosc2rs against python-blosc2, from Python, same session, same file.

    .venv/bin/python python/bench/bench_read.py [--n 400] [--rounds 5] [--dir DIR]

Writes an n^3 float64 array (smooth values with noise, python-blosc2's default chunks,
blocks and compression) with python-blosc2 once (kept in DIR for the next run), then times,
alternating the libraries round after round (medians over the rounds):

  element  random single elements a[i, j, k]
  box      random 10^3 boxes
  plane    random planes across each axis: a[i], a[:, j], a[:, :, k]
  whole    the whole array, a[...]
  threads  10^3 boxes from 4 threads at once (one shared array object) against 1 thread:
           throughput of each, and the 4-thread / 1-thread scaling

Medians over the rounds, ratios of each side's best round (on a loaded machine the
least disturbed one) and of the process CPU time each read took (user + system, all
threads: what a loaded machine disturbs least).

blosc2rs reads the file with positioned reads (`open`) and through a memory map
(`open(..., mmap=True)`); python-blosc2 with `blosc2.open(path, mode="r")`. Ratios are
time(python-blosc2) / time(blosc2rs): above 1 blosc2rs is faster.
"""

import argparse
import os
import pathlib
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import blosc2
import blosc2rs


def make(path, n):
    if path.exists():
        return
    print(f"writing {path} ({n}^3 float64 with python-blosc2)...", flush=True)
    x = np.linspace(0, 8 * np.pi, n)
    rng = np.random.default_rng(0)
    data = np.empty((n, n, n))
    for i in range(n):  # a plane at a time: bounded memory
        data[i] = np.sin(x[i]) * np.cos(x)[:, None] * np.sin(x)[None, :] + rng.standard_normal((n, n)) * 1e-3
    tmp = path.with_suffix(".tmp")
    blosc2.asarray(data, urlpath=str(tmp), mode="w")
    os.replace(tmp, path)


CPU = {}


def timed(f, name=None):
    """Wall time of f(); its process CPU time (all threads, user + system) goes to CPU[name]."""
    c0, t0 = time.process_time(), time.perf_counter()
    f()
    t = time.perf_counter() - t0
    if name:
        CPU[name] = time.process_time() - c0
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=400, help="side of the cube (default 400: 512 MB of float64)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--dir", default="target/bench-python")
    ap.add_argument("--elements", type=int, default=2000)
    ap.add_argument("--boxes", type=int, default=300)
    ap.add_argument("--planes", type=int, default=6, help="planes per axis per round")
    args = ap.parse_args()
    d = pathlib.Path(args.dir)
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"cube{args.n}.b2nd"
    make(path, args.n)
    n = args.n

    libs = {
        "python-blosc2": lambda: blosc2.open(str(path), mode="r"),
        "blosc2rs": lambda: blosc2rs.open(path),
        "blosc2rs mmap": lambda: blosc2rs.open(path, mmap=True),
    }
    arrays = {k: f() for k, f in libs.items()}
    a0 = arrays["blosc2rs"]
    print(f"file: {path} ({path.stat().st_size / 1e6:.1f} MB, cratio {a0.cratio:.2f}), shape {a0.shape}, "
          f"chunks {a0.chunks}, blocks {a0.blocks}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"python-blosc2 {blosc2.__version__} (C-Blosc2 {blosc2.VERSION_STRING}), nthreads {blosc2.nthreads}; "
          f"blosc2rs {blosc2rs.__version__}", flush=True)

    rng = np.random.default_rng(1)
    want = arrays["python-blosc2"][3:13, 5:15, 7:17]
    for k, a in arrays.items():
        assert np.array_equal(a[3:13, 5:15, 7:17], want), k

    def ops(rng):
        elems = [tuple(int(v) for v in rng.integers(0, n, 3)) for _ in range(args.elements)]
        boxes = [tuple(slice(int(s), int(s) + 10) for s in rng.integers(0, n - 10, 3)) for _ in range(args.boxes)]
        planes = []
        for axis in range(3):
            for i in rng.integers(0, n, args.planes):
                key = [slice(None)] * 3
                key[axis] = int(i)
                planes.append(tuple(key))
        return elems, boxes, planes

    def run(a, elems, boxes, planes):
        r, c = {}, {}

        def per(name, f, count, unit):
            r[name] = timed(f, name) / count * unit
            c[name] = CPU[name] / count * unit

        per("element (us)", lambda: [a[k] for k in elems], len(elems), 1e6)
        per("10^3 box (us)", lambda: [a[k] for k in boxes], len(boxes), 1e6)
        for axis, name in enumerate(["plane a[i] (ms)", "plane a[:, j] (ms)", "plane a[:, :, k] (ms)"]):
            ks = planes[axis * args.planes:(axis + 1) * args.planes]
            per(name, lambda: [a[k] for k in ks], len(ks), 1e3)
        per("whole a[...] (s)", lambda: a[...], 1, 1)
        t1 = timed(lambda: [a[k] for k in boxes])
        with ThreadPoolExecutor(4) as pool:
            t4 = timed(lambda: list(pool.map(a.__getitem__, boxes)))
        r["boxes/s, 1 thread"] = len(boxes) / t1
        r["boxes/s, 4 threads"] = len(boxes) / t4
        r["4-thread scaling (x)"] = t1 / t4
        return r, c

    results = {k: [] for k in arrays}
    cpu = {k: [] for k in arrays}
    order = list(arrays)
    for rnd in range(args.rounds):
        elems, boxes, planes = ops(rng)
        for k in order:
            r, c = run(arrays[k], elems, boxes, planes)
            results[k].append(r)
            cpu[k].append(c)
        order = order[1:] + order[:1]
        print(f"round {rnd + 1}/{args.rounds} done", flush=True)

    rows = list(results["blosc2rs"][0])
    higher_is_better = {"boxes/s, 1 thread", "boxes/s, 4 threads", "4-thread scaling (x)"}
    med = {k: {r: statistics.median(x[r] for x in v) for r in rows} for k, v in results.items()}
    # The best run of each (least disturbed by other processes on a loaded machine).
    best = {k: {r: (max if r in higher_is_better else min)(x[r] for x in v) for r in rows} for k, v in results.items()}
    cmed = {k: {r: statistics.median(x[r] for x in v) for r in v[0]} for k, v in cpu.items()}

    def ratio(stats, r, lib):
        t, o = stats["python-blosc2"][r], stats[lib][r]
        return o / t if r in higher_is_better else t / o

    libs2 = ("blosc2rs", "blosc2rs mmap")
    print()
    print("| read | python-blosc2 | blosc2rs | blosc2rs mmap | ratio | ratio mmap | best-run ratio | best-run ratio mmap "
          "| CPU ratio | CPU ratio mmap |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        fmt = (lambda v: f"{v:.0f}") if "boxes/s" in r else (lambda v: f"{v:.3g}")
        cells = [fmt(med[k][r]) for k in ("python-blosc2", "blosc2rs", "blosc2rs mmap")]
        cells += [f"{ratio(st, r, lib):.2f}" for st in (med, best) for lib in libs2]
        cells += [f"{cmed['python-blosc2'][r] / cmed[lib][r]:.2f}" if r in cmed[lib] else "" for lib in libs2]
        print(f"| {r} | " + " | ".join(cells) + " |")
    print(f"(wall-time medians of {args.rounds} rounds; best-run ratios compare each side's fastest round; CPU ratios "
          "compare the median process CPU time, user + system, all threads)")
    gb = n**3 * 8 / 1e9
    print(f"\nwhole-array read: python-blosc2 {gb / med['python-blosc2']['whole a[...] (s)']:.2f} GB/s, "
          f"blosc2rs {gb / med['blosc2rs']['whole a[...] (s)']:.2f} GB/s, "
          f"mmap {gb / med['blosc2rs mmap']['whole a[...] (s)']:.2f} GB/s")
    print("ratios: python-blosc2 time / blosc2rs time (for rates: blosc2rs / python-blosc2); above 1 = blosc2rs faster")


if __name__ == "__main__":
    main()
