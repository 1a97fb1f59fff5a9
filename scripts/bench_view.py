#!/usr/bin/env python3
"""Latency of `blosc2 view`'s 2-D views: p50/p95 with 1 and with 20 clients, time to the
first picture of a freshly opened array, peak resident memory of the server.

usage: scripts/bench_view.py [--nd-read DIR] [--cube GALAXY/cube.b2nd] [--requests N]
                             [--reduce stride|mean|max|min] [--binary PATH]

--nd-read DIR: the 640^3 float32 array of the nd-read workload (shared/bench/WORKLOADS.md,
b2nd-explicit: chunks 100^3, blocks 20^3, zstd 5 + shuffle) is written there with
python-blosc2 when missing (smooth values; the venv of scripts/setup-python.sh).
--cube: the Milky Way cube of `cargo run --release -p milkyway -- demo milkyway-demo`.
Needs `cargo build --release -p blosc2-cli` (or --binary). Every view is at most 1024 x 1024
values: a random window of a random axis pair and position, with the step the page would use
(and `--reduce`: one value per step box, as the page asks for sparse arrays). Memory: the
server's peak resident size (VmHWM: pages of the memory-mapped file count) and its peak
anonymous memory (RssAnon sampled every 5 ms: what the server allocates).
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_nd_read(d):
    path = os.path.join(d, "nd_read_640.b2nd")
    if os.path.exists(path):
        return path
    os.makedirs(d, exist_ok=True)
    code = f"""
import blosc2, numpy as np
n = 640
x = np.linspace(0, 6 * np.pi, n, dtype=np.float32)
a = (np.sin(x)[:, None, None] * np.cos(1.3 * x)[None, :, None] + np.sin(0.7 * x)[None, None, :]).astype(np.float32)
a += np.random.default_rng(1).standard_normal(a.shape, dtype=np.float32) * 0.01
cp = blosc2.CParams(codec=blosc2.Codec.ZSTD, clevel=5, filters=[blosc2.Filter.SHUFFLE], nthreads=2)
blosc2.asarray(a, chunks=(100, 100, 100), blocks=(20, 20, 20), cparams=cp, urlpath={path!r}, mode="w")
"""
    py = os.environ.get("BLOSC2_PYTHON", os.path.join(ROOT, ".venv/bin/python"))
    subprocess.run([py, "-c", code], check=True)
    return path


def get(url):
    t = time.perf_counter()
    with urllib.request.urlopen(url) as r:
        body = r.read()
        status = r.status
    return time.perf_counter() - t, status, len(body)


def views(name, shape, n, seed, reduce="stride"):
    rng = random.Random(seed)
    nd = len(shape)
    out = []
    for _ in range(n):
        ay, ax = rng.sample(range(nd), 2)
        idx, step = [], []
        for d in range(nd):
            if d in (ay, ax):
                full = rng.random() < 0.5
                length = shape[d] if full else rng.randint(min(64, shape[d]), shape[d])
                s0 = rng.randint(0, shape[d] - length)
                k = max(1, -(-length // 1024))
                idx.append(f"{s0}:{s0 + length}")
                step.append(k)
            else:
                idx.append(str(rng.randrange(shape[d])))
                step.append(1)
        red = f"&reduce={reduce}" if reduce != "stride" and any(k > 1 for k in step) else ""
        out.append(f"/api/slice?array={name}&index={','.join(idx)}&step={','.join(map(str, step))}{red}&format=f32")
    return out


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def wait_listening(port, srv):
    for _ in range(600):
        if srv.poll() is not None:
            raise SystemExit(f"the server exited with {srv.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/arrays").read()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the server did not answer")


def bench(path, requests, reduce, binary):
    port = 18000 + os.getpid() % 1000
    srv = subprocess.Popen([binary, "view", path, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    anon = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                anon[0] = max(anon[0], status_kib(srv.pid, "RssAnon"))
            except OSError:
                return
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        wait_listening(port, srv)
        base = f"http://127.0.0.1:{port}"
        name = os.path.basename(path)
        # Time to the first picture: the page's requests in order (list, meta, first view).
        t0 = time.perf_counter()
        arrays = json.loads(urllib.request.urlopen(base + "/api/arrays").read())
        urllib.request.urlopen(f"{base}/api/meta?array={name}").read()
        shape = arrays[0]["shape"]
        first = views(name, shape, 1, 0)[0]
        nd = len(shape)
        k = [max(1, -(-shape[d] // 1024)) for d in range(nd)]
        red = f"&reduce={reduce}" if reduce != "stride" and max(k[1:]) > 1 else ""
        first = f"/api/slice?array={name}&index=0,:,:&step=1,{k[1]},{k[2]}{red}&format=f32"
        get(base + first)
        first_s = time.perf_counter() - t0
        urls = [base + u for u in views(name, shape, requests, 1, reduce)]
        for u in urls[:5]:
            get(u)
        one = sorted(get(u)[0] for u in urls)
        with ThreadPoolExecutor(20) as pool:
            many = sorted(r[0] for r in pool.map(get, urls * 2))
        pct = lambda v, p: v[min(len(v) - 1, int(p * len(v)))] * 1000
        done.set()
        sampler.join()
        return {
            "array": path,
            "reduce": reduce,
            "shape": shape,
            "first_picture_ms": round(first_s * 1000, 1),
            "1_client": {"n": len(one), "p50_ms": round(pct(one, 0.5), 1), "p95_ms": round(pct(one, 0.95), 1)},
            "20_clients": {"n": len(many), "p50_ms": round(pct(many, 0.5), 1), "p95_ms": round(pct(many, 0.95), 1)},
            "peak_rss_mib": round(status_kib(srv.pid, "VmHWM") / 1024, 1),
            "peak_anon_mib": round(anon[0] / 1024, 1),
        }
    finally:
        done.set()
        srv.terminate()
        srv.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nd-read", default=os.path.join(ROOT, "out/bench-view"))
    ap.add_argument("--cube")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--reduce", default="stride", choices=["stride", "mean", "max", "min"])
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/release/blosc2"))
    ap.add_argument("--skip-nd-read", action="store_true")
    a = ap.parse_args()
    paths = ([] if a.skip_nd_read else [make_nd_read(a.nd_read)]) + ([a.cube] if a.cube else [])
    for p in paths:
        print(json.dumps(bench(p, a.requests, a.reduce, a.binary)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
