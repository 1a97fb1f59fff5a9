#!/usr/bin/env python3
"""Speed of `milkyway serve` on a synthetic galaxy of 10^7 rows.

usage: scripts/bench_serve.py [DIR] [--stars N] [--files K] [--runs R] [--clients C]
                              [--requests N] [--page-rounds P] [--screenshots DIR] [--no-ingest]
                              [--server-bin BINARY] [--out FILE.json] [--think MS...] [--no-build]

1. Synthesizes the catalogue into DIR/cat when missing (`milkyway synth --stars 10000000
   --files 20`, the catalogue of scripts/bench_galaxy_queries.sh; default DIR target/bench-pyr).
2. Ingests it R times with and R times without the pyramid (`--no-pyramid`), alternating,
   into DIR/galaxy-with and DIR/galaxy-without: wall time, peak RSS, and the pyramid's own
   phase as timed inside the ingest (summary.json `cube.pyramid.build_s`). Skipped with
   --no-ingest (DIR/galaxy-with must exist).
3. Starts `milkyway serve DIR/galaxy-with` (release build) and:
   * loads the page P times in headless Chromium (scripts/bench_serve_page.js through
     playwright-core, fresh context each time): time from the start of the navigation to
     the first density map drawn and to all three;
   * sends a list of representative requests from one client, 5 times each: median time
     and the server's CPU time per request;
   * fires N requests from C concurrent clients, once per --think value (closed loop: each
     client sends its next request when the last answer is in, after a random think time of
     that mean, exponential; default 0, saturating the server, and 1000 ms, people clicking
     about once a second; one keep-alive connection per client): projections
     along every axis at sizes 64-2048 of the whole cube, of slabs, of windows 100-8000 ly
     (with and without a slab), PNG (as the page asks) and f32; region queries (spheres of
     radius 20-2000 ly, boxes 50-3000 ly, limits 100-5000); the page's own first requests.
     p50/p95/p99 per kind (latencies of every answer; those not 200, e.g. 408 after the
     server's 10 s request timeout, counted apart);
   * reads the server's CPU time per request (user + system over the phase, /proc/PID/stat:
     what the requests cost whatever the other load of the machine) and its peak RSS
     (/proc/PID/status VmHWM).
The load average is printed (the machine is shared: compare figures of one run). To compare
two builds of the server, run it alternately with `--no-ingest --server-bin A` and
`--server-bin B` (a copy of target/release/milkyway of each build), several rounds.
Needs cargo, node, Chromium (CHROMIUM names another binary) and playwright-core from
`npm ci --prefix crates/blosc2-server/tests/browser`. A JSON record goes to DIR/bench_serve.json
(or --out).
"""
import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MW = os.path.join(ROOT, "target/release/milkyway")


def run_timed(cmd):
    """Runs cmd; returns (wall s, peak RSS KiB) of the child."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err}")
    return wall, ru.ru_maxrss


def ingest(d, runs):
    cat = os.path.join(d, "cat")
    rows = {"with": [], "without": []}
    for r in range(runs):
        for mode in ("with", "without"):
            out = os.path.join(d, f"galaxy-{mode}")
            cmd = [MW, "ingest", cat, "-o", out, "--force", "--quiet"] + (["--no-pyramid"] if mode == "without" else [])
            wall, rss = run_timed(cmd)
            with open(os.path.join(out, "summary.json")) as f:
                s = json.load(f)
            build = ((s.get("cube") or {}).get("pyramid") or {}).get("build_s")
            rows[mode].append({"wall_s": round(wall, 2), "peak_rss_mib": round(rss / 1024, 1), "pyramid_build_s": build})
            extra = f", pyramid phase {build:.2f} s" if build is not None else ""
            print(f"ingest round {r + 1} {mode:7} pyramid: {wall:6.2f} s, peak RSS {rss / 1024:.0f} MiB{extra}", flush=True)
    w = statistics.median(x["wall_s"] for x in rows["with"])
    wo = statistics.median(x["wall_s"] for x in rows["without"])
    shares = [x["pyramid_build_s"] / (x["wall_s"] - x["pyramid_build_s"]) for x in rows["with"]]
    res = {
        "runs": rows,
        "median_with_s": w,
        "median_without_s": wo,
        "added_by_wall": (w - wo) / wo,
        "pyramid_phase_share_median": statistics.median(shares),
    }
    print(f"ingest median with {w:.2f} s, without {wo:.2f} s: the pyramid adds {100 * res['added_by_wall']:.1f} % "
          f"by wall time; its phase is {100 * res['pyramid_phase_share_median']:.1f} % of the rest of the ingest "
          f"(median of {runs})", flush=True)
    return res


def requests(n, seed, extent):
    """(kind, path) pairs: n requests spread over the kinds."""
    rng = random.Random(seed)
    lo, hi = extent
    axes = "xyz"
    sizes = [64, 128, 256, 320, 512, 1024, 2048]

    def proj(axis, size, slab=None, window=None, fmt=None):
        q = f"/api/projection?axis={axis}&size={size}"
        if slab:
            q += f"&slab={slab[0]:g}:{slab[1]:g}"
        if window:
            q += f"&window={window[0][0]:g}:{window[0][1]:g},{window[1][0]:g}:{window[1][1]:g}"
        if fmt:
            q += f"&format={fmt}"
        return q

    def centre(spread):
        # Half the centres near the Sun, where the stars are.
        return [rng.uniform(-spread, spread) * (0.2 if rng.random() < 0.5 else 1.0) for _ in range(3)]

    def make(kind):
        if kind == "proj_whole":
            return proj(rng.choice(axes), rng.choice(sizes), fmt=rng.choice([None, None, "f32"]))
        if kind == "proj_slab":
            s = rng.choice([50, 100, 250, 500, 1000, 2000, 5000])
            c = rng.uniform(-1000, 1000) if rng.random() < 0.5 else 0.0
            return proj(rng.choice(axes), rng.choice(sizes), slab=(c - s, c + s), fmt=rng.choice([None, None, "f32"]))
        if kind == "proj_window":
            w = rng.choice([100, 300, 1000, 3000, 8000])
            c = centre(max(0.0, hi - w))
            axis = rng.randrange(3)
            ua, va = [a for a in range(3) if a != axis]
            window = [(c[ua] - w / 2, c[ua] + w / 2), (c[va] - w / 2, c[va] + w / 2)]
            slab = (c[axis] - w / 2, c[axis] + w / 2) if rng.random() < 0.5 else None
            return proj(axes[axis], rng.choice(sizes[2:]), slab=slab, window=window, fmt=rng.choice([None, None, "f32"]))
        if kind == "stars_sphere":
            r = rng.choice([20, 100, 300, 1000, 2000])
            c = centre(hi - r)
            return f"/api/stars?sphere={c[0]:.1f},{c[1]:.1f},{c[2]:.1f},{r}&limit={rng.choice([100, 1000, 5000])}"
        if kind == "stars_box":
            s = rng.choice([50, 200, 1000, 3000])
            c = centre(hi - s)
            half = [s / 2 * rng.choice([0.2, 1.0, 1.0]) for _ in range(3)]
            b = ",".join(f"{c[a] - half[a]:.1f}:{c[a] + half[a]:.1f}" for a in range(3))
            return f"/api/stars?box={b}&limit={rng.choice([100, 1000, 5000])}"
        if kind == "page_first":
            # What every visitor's page asks first: the summary, the three maps, the overview.
            return rng.choice(["/api/summary", "/api/overview?side=64"] + [
                proj(a, 320, window=((lo, hi), (lo, hi))) for a in axes])
        raise ValueError(kind)

    kinds = ["proj_whole", "proj_slab", "proj_window", "stars_sphere", "stars_box", "page_first"]
    out = [(kinds[i % len(kinds)], None) for i in range(n)]
    out = [(k, make(k)) for k, _ in out]
    rng.shuffle(out)
    return out


SINGLE = [
    "/api/projection?axis=z&size=320&window=-10000:10000,-10000:10000",
    "/api/projection?axis=z&size=2048",
    "/api/projection?axis=z&size=2048&format=f32",
    "/api/projection?axis=x&size=1024",
    "/api/projection?axis=z&size=1024&slab=-500:500",
    "/api/projection?axis=y&size=320&slab=-2000:2000",
    "/api/projection?axis=x&size=1024&slab=-1000:1000&window=-1000:1000,-1000:1000",
    "/api/projection?axis=x&size=2048&window=-2500:500,-5000:-2000",
    "/api/projection?axis=y&size=2048&slab=-100:100&window=-100:100,-100:100",
    "/api/stars?sphere=0,0,0,300&limit=1000",
    "/api/stars?sphere=3000,0,0,1000&limit=1000",
    "/api/stars?sphere=0,0,0,2000&limit=100",
    "/api/stars?sphere=0,0,0,2000&limit=5000",
    "/api/stars?box=-1000:1000,-1000:1000,-200:200&limit=1000",
    "/api/overview?side=64",
]


def single(port, pid, rounds):
    """One client, one request at a time: median wall time and mean server CPU time of each
    of SINGLE (after one request to warm up)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    rows = []
    for path in SINGLE:
        walls = []
        c0 = None
        for r in range(rounds + 1):
            if r == 1:
                c0 = cpu_s(pid)
            t = time.perf_counter()
            conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
            resp = conn.getresponse()
            body = resp.read()
            if r > 0:
                walls.append(time.perf_counter() - t)
        cpu = (cpu_s(pid) - c0) / rounds * 1000
        rows.append({"path": path, "status": resp.status, "level": resp.getheader("x-level"), "kb": round(len(body) / 1000, 1),
                     "wall_ms": round(statistics.median(walls) * 1000, 1), "cpu_ms": round(cpu, 1)})
    conn.close()
    return rows


def load(port, reqs, clients, think_ms=0.0, seed=3):
    """Closed loop: `clients` threads, each with its keep-alive connection, waiting a random
    time (exponential, mean think_ms) before each request when think_ms > 0."""
    results = []
    lock = threading.Lock()
    share = [reqs[i::clients] for i in range(clients)]
    failures = []
    start = threading.Barrier(clients)

    def client(mine, rng):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local = []
        start.wait()
        for kind, path in mine:
            if think_ms > 0:
                time.sleep(rng.expovariate(1000.0 / think_ms))
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
                r = conn.getresponse()
                body = r.read()
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                body, status = str(e).encode(), 0
            dt = time.perf_counter() - t
            if status != 200:
                failures.append((status, path, body[:200]))
            local.append((kind, dt, len(body), status))
        conn.close()
        with lock:
            results.extend(local)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(m, random.Random(seed * 1000 + i))) for i, m in enumerate(share)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    for f in failures[:5]:
        print("not 200:", f, file=sys.stderr)
    return results, wall


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))] * 1000


def cpu_s(pid):
    """User + system CPU seconds of process pid (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS"):
                out[k] = int(v.split()[0])
    return out


def page_times(base, rounds, shots):
    env = dict(os.environ, NODE_PATH=os.path.join(ROOT, "crates/blosc2-server/tests/browser/node_modules"))
    cmd = ["node", os.path.join(ROOT, "scripts/bench_serve_page.js"), base, str(rounds)] + ([shots] if shots else [])
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"page benchmark failed:\n{r.stdout}\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", nargs="?", default=os.path.join(ROOT, "target/bench-pyr"))
    ap.add_argument("--stars", type=int, default=10_000_000)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--runs", type=int, default=2, help="ingest rounds (each: with and without the pyramid)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=3000, help="requests per phase")
    ap.add_argument("--think", type=float, nargs="+", default=[0.0, 1000.0],
                    help="one load phase per value: mean think time of a client between requests, ms (0: none)")
    ap.add_argument("--page-rounds", type=int, default=5)
    ap.add_argument("--screenshots", help="directory for a screenshot of the page")
    ap.add_argument("--no-ingest", action="store_true")
    ap.add_argument("--no-build", action="store_true", help="use target/release/milkyway as it is")
    ap.add_argument("--port", type=int, default=18500 + os.getpid() % 400)
    ap.add_argument("--server-bin", default=MW, help="the milkyway binary that serves (default: the release build)")
    ap.add_argument("--out", help="the JSON record (default DIR/bench_serve.json)")
    a = ap.parse_args()

    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "milkyway", "--bin", "milkyway"], cwd=ROOT, check=True)
    os.makedirs(a.dir, exist_ok=True)
    cat = os.path.join(a.dir, "cat")
    if not os.path.isdir(cat):
        print(f"synthesizing {a.stars} rows into {cat} ...", flush=True)
        subprocess.run([MW, "synth", "-o", cat, "--stars", str(a.stars), "--files", str(a.files)], check=True)
    record = {"load_before": open("/proc/loadavg").read().split()[:3]}
    if not a.no_ingest:
        record["ingest"] = ingest(a.dir, a.runs)

    galaxy = os.path.join(a.dir, "galaxy-with")
    t_open = time.perf_counter()
    errlog = open(os.path.join(a.dir, "serve.stderr"), "w+")
    srv = subprocess.Popen([a.server_bin, "serve", galaxy, "--port", str(a.port)], stdout=subprocess.PIPE, stderr=errlog, text=True)
    record["server_bin"] = a.server_bin
    try:
        line = srv.stdout.readline()
        if not line.startswith("serving on"):
            errlog.seek(0)
            sys.exit(f"serve did not start: {line}{errlog.read()}")
        record["open_s"] = round(time.perf_counter() - t_open, 2)
        base = f"http://127.0.0.1:{a.port}"
        summary = json.loads(urllib.request.urlopen(base + "/api/summary").read())
        print(f"server up in {record['open_s']} s: {summary['stars']} stars, levels "
              f"{[lv['k'] for lv in summary['levels']]}; RSS after open {rss(srv.pid)['VmRSS'] / 1024:.0f} MiB", flush=True)

        pages = page_times(base, a.page_rounds, a.screenshots)
        record["page"] = pages
        firsts = [p["first_ms"] for p in pages]
        alls = [p["all_maps_ms"] for p in pages]
        print(f"first picture (Chromium, {len(pages)} fresh loads): median {statistics.median(firsts):.0f} ms, "
              f"max {max(firsts):.0f} ms; all three maps: median {statistics.median(alls):.0f} ms; "
              f"runs {[round(x) for x in firsts]}", flush=True)

        one = single(a.port, srv.pid, 5)
        record["single"] = one
        print(f"\none client, {5} times each (load average {open('/proc/loadavg').read().split()[0]}):")
        print("| request | level | kB | median ms | server CPU ms |")
        print("|---|---:|---:|---:|---:|")
        for r in one:
            print(f"| `{r['path']}` | {r['level'] or ''} | {r['kb']} | {r['wall_ms']} | {r['cpu_ms']} |", flush=True)
        warm = requests(min(200, a.requests), 2, tuple(summary["extent_ly"]))
        load(a.port, warm, min(a.clients, 10))
        record["phases"] = []
        for think in a.think:
            reqs = requests(a.requests, 1, tuple(summary["extent_ly"]))
            c0, me0 = cpu_s(srv.pid), os.times()
            results, wall = load(a.port, reqs, a.clients, think)
            cpu_ms = (cpu_s(srv.pid) - c0) / len(results) * 1000
            me = os.times()
            client_ms = (me.user + me.system - me0.user - me0.system) / len(results) * 1000
            during = open("/proc/loadavg").read().split()[:3]
            kinds = sorted({r[0] for r in results})
            table = []
            what = "no think time (saturating)" if think == 0 else f"think time {think:g} ms (mean, exponential)"
            print(f"\n{len(results)} requests from {a.clients} clients, {what}, in {wall:.1f} s "
                  f"({len(results) / wall:.0f} req/s); load average {' '.join(during)}; server CPU {cpu_ms:.1f} ms "
                  f"a request (mean), client {client_ms:.1f} ms")
            print("| kind | n | p50 ms | p95 ms | p99 ms | max ms | mean kB | not 200 |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|")
            for k in kinds + ["all projections", "all region queries"]:
                if k == "all projections":
                    sel = [r for r in results if r[0].startswith("proj")]
                elif k == "all region queries":
                    sel = [r for r in results if r[0].startswith("stars")]
                else:
                    sel = [r for r in results if r[0] == k]
                lat = [r[1] for r in sel]
                row = {"kind": k, "n": len(sel), "p50_ms": round(pct(lat, 0.5), 1), "p95_ms": round(pct(lat, 0.95), 1),
                       "p99_ms": round(pct(lat, 0.99), 1), "max_ms": round(max(lat) * 1000, 1),
                       "mean_kb": round(statistics.mean(r[2] for r in sel) / 1000, 1),
                       "not_200": sum(r[3] != 200 for r in sel)}
                table.append(row)
                print(f"| {k} | {row['n']} | {row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} | {row['max_ms']} | "
                      f"{row['mean_kb']} | {row['not_200']} |",
                      flush=True)
            record["phases"].append({"think_ms": think, "requests": len(results), "wall_s": round(wall, 2),
                                     "server_cpu_ms_per_request": round(cpu_ms, 2), "client_cpu_ms_per_request": round(client_ms, 2),
                                     "load": during, "latency": table})
        m = rss(srv.pid)
        record.update({"clients": a.clients, "server_peak_rss_mib": round(m["VmHWM"] / 1024, 1),
                       "server_rss_end_mib": round(m["VmRSS"] / 1024, 1)})
        print(f"\nserver peak RSS (VmHWM) {m['VmHWM'] / 1024:.0f} MiB, at the end {m['VmRSS'] / 1024:.0f} MiB")
    finally:
        srv.terminate()
        srv.wait()
    with open(a.out or os.path.join(a.dir, "bench_serve.json"), "w") as f:
        json.dump(record, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
