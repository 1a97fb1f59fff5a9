#!/usr/bin/env python3
"""Whole-command benchmark of `blosc2 compress` / `blosc2 decompress` against the CLI of
blosc2-pure-rs (the other Rust Blosc2 implementation) and python-blosc2, on the five data
sets of WORKLOADS.md as raw files.

For every data set and codec, each round runs ours, the peer and python-blosc2 compressing
(in an order that turns from round to round), then the three decompressing their own
frames. Ours and the peer are timed
as whole commands (process start to exit: wall clock, and user + system CPU of the process
from wait4); python-blosc2 is timed inside its process (opening the input, SChunk appends
to a frame file, or reading the frame and writing every decompressed chunk), without the
interpreter's start and `import blosc2` (0.2-0.4 s, which would swamp the comparison).
Same settings everywhere: codec, clevel, one filter (shuffle by default) with the data
set's element size as typesize, split mode auto, chunk size, thread count. Outputs are
removed before each run (none of the three then replaces an existing file), and every
decompressed file is compared with the input once per cell.

Prints per cell the median wall times and the speed ratios peer / ours and python / ours
(> 1: ours faster), with the CPU times, the compressed sizes, and a summary; --markdown
writes the table for docs/benchmarks.md, --out the raw records (JSON lines).

The peer is a benchmark-only tool, not a test dependency; install it outside the repository:

    cargo install --locked blosc2-pure-rs --features cli --root /work/peer-tools
    cargo build --release -p blosc2-cli
    .venv/bin/python scripts/bench_cli.py --peer /work/peer-tools/bin/blosc2 --rounds 5

Data sets are written once to --data (default /tmp/blosc2-bench-data) by
`blosc2 bench --workload datasets --save DIR`, which checks their SHA-256.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OURS = os.path.join(ROOT, "target", "release", "blosc2")
DEFAULT_PEER = "/work/peer-tools/bin/blosc2"
DEFAULT_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
DATASETS = {"linspace_f64": 8, "smooth_noise_f32": 4, "arange_i64": 8, "galaxy_u8": 1, "random_bytes": 1}
CODECS = ["blosclz", "lz4", "lz4hc", "zlib", "zstd"]
TOOLS = ["ours", "peer", "python"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# python-blosc2 worker (runs in its own interpreter; prints one JSON line)
# --------------------------------------------------------------------------


def py_worker(argv):
    import blosc2

    op, src, dst, codec, clevel, filt, typesize, chunksize, nthreads = argv
    clevel, typesize, chunksize, nthreads = int(clevel), int(typesize), int(chunksize), int(nthreads)
    t0, c0 = time.perf_counter(), time.process_time()
    if op == "compress":
        cparams = blosc2.CParams(
            codec=getattr(blosc2.Codec, codec.upper()),
            clevel=clevel,
            typesize=typesize,
            nthreads=nthreads,
            filters=[getattr(blosc2.Filter, filt.upper())],
            filters_meta=[0],
            splitmode=blosc2.SplitMode.AUTO_SPLIT,
        )
        s = blosc2.SChunk(
            chunksize=chunksize, urlpath=dst, contiguous=True, mode="w", cparams=cparams,
            dparams=blosc2.DParams(nthreads=nthreads),
        )
        with open(src, "rb") as f:
            while True:
                buf = f.read(chunksize)
                if buf:
                    s.append_data(buf)
                if len(buf) < chunksize:
                    break
        del s
    else:
        s = blosc2.open(src, mode="r", dparams=blosc2.DParams(nthreads=nthreads))
        with open(dst, "wb") as f:
            for i in range(s.nchunks):
                f.write(s.decompress_chunk(i))
        del s
    print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}))


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------


def run_timed(cmd):
    """Runs `cmd`; returns (wall seconds, user + system CPU seconds) of the whole process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    out, err = p.stdout.read(), p.stderr.read()
    if p.returncode != 0:
        raise SystemExit(f"{cmd}: exit {p.returncode}: {err.decode(errors='replace')}")
    return wall, ru.ru_utime + ru.ru_stime, out


def command(tool, op, a, src, dst, codec, typesize):
    cs, n, lv, flt = str(a.chunksize), str(a.nthreads), str(a.clevel), a.filter
    if tool == "ours":
        if op == "compress":
            return [a.ours, "compress", src, dst, "--codec", codec, "--clevel", lv, "--filter", flt,
                    "--typesize", str(typesize), "--splitmode", "auto", "--chunksize", cs, "--nthreads", n, "--quiet"]
        return [a.ours, "decompress", src, dst, "--nthreads", n, "--quiet"]
    if tool == "peer":
        if op == "compress":
            return [a.peer, "compress", src, dst, "-c", codec, "-l", lv, "-f", flt, "-t", str(typesize),
                    "-s", "auto", "--chunksize", cs, "-n", n]
        return [a.peer, "decompress", src, dst, "-n", n]
    return [a.python, os.path.abspath(__file__), "--py-worker", op, src, dst, codec, lv, flt, str(typesize), cs, n]


def measure(tool, op, a, src, dst, codec, typesize):
    if os.path.exists(dst):
        os.remove(dst)
    cmd = command(tool, op, a, src, dst, codec, typesize)
    wall, cpu, out = run_timed(cmd)
    if tool == "python":
        rec = json.loads(out.decode().strip().splitlines()[-1])
        wall, cpu = rec["wall_s"], rec["cpu_s"]
    return wall, cpu


def same_file(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 22), fb.read(1 << 22)
            if x != y:
                return False
            if not x:
                return True


def ensure_data(a, names):
    os.makedirs(a.data, exist_ok=True)
    missing = [n for n in names if not os.path.exists(os.path.join(a.data, n + ".bin"))]
    if missing:
        log(f"writing {', '.join(missing)} to {a.data}")
        subprocess.run([a.ours, "bench", "--workload", "datasets", "--dataset", ",".join(missing), "--save", a.data],
                       check=True, stdout=subprocess.DEVNULL)


def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except OSError:
        return "?"


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--py-worker":
        return py_worker(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ours", default=DEFAULT_OURS, help="our blosc2 binary (default: target/release/blosc2)")
    ap.add_argument("--peer", default=DEFAULT_PEER,
                    help="blosc2-pure-rs's CLI (default /work/peer-tools/bin/blosc2; install: "
                         "cargo install --locked blosc2-pure-rs --features cli --root /work/peer-tools)")
    ap.add_argument("--python", default=DEFAULT_PYTHON, help="python with python-blosc2 (default .venv/bin/python)")
    ap.add_argument("--tools", default="ours,peer,python", help="comma list of ours, peer, python")
    ap.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "blosc2-bench-data"))
    ap.add_argument("--workdir", default=None, help="where outputs go (default: a new temporary directory)")
    ap.add_argument("--dataset", default=",".join(DATASETS))
    ap.add_argument("--codecs", default=",".join(CODECS))
    ap.add_argument("--clevel", type=int, default=5)
    ap.add_argument("--filter", default="shuffle")
    ap.add_argument("--chunksize", type=int, default=8 << 20)
    ap.add_argument("--nthreads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", help="append the raw records (JSON lines) to this file")
    ap.add_argument("--markdown", help="write the table (markdown) to this file")
    a = ap.parse_args()
    tools = [t for t in a.tools.split(",") if t]
    for t in tools:
        if t not in TOOLS:
            ap.error(f"unknown tool {t}")
    if "peer" in tools and not os.path.exists(a.peer):
        ap.error(f"no peer binary at {a.peer}; install it with: "
                 "cargo install --locked blosc2-pure-rs --features cli --root /work/peer-tools")
    names = [n for n in a.dataset.split(",") if n]
    codecs = [c for c in a.codecs.split(",") if c]
    ensure_data(a, names)
    work = a.workdir or tempfile.mkdtemp(prefix="blosc2-bench-cli-")
    os.makedirs(work, exist_ok=True)
    env = {
        "ours": version([a.ours, "--version"]),
        "peer": a.peer,
        "python": version([a.python, "-c", "import blosc2; print('python-blosc2', blosc2.__version__)"]),
        "cpu": platform.processor() or platform.machine(),
        "ncores": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "settings": {"clevel": a.clevel, "filter": a.filter, "chunksize": a.chunksize, "nthreads": a.nthreads,
                     "rounds": a.rounds, "splitmode": "auto"},
    }
    log(json.dumps(env))
    sink = open(a.out, "a") if a.out else None
    if sink:
        sink.write(json.dumps({"env": env}) + "\n")
    rows = []
    for name in names:
        typesize = DATASETS[name]
        src = os.path.join(a.data, name + ".bin")
        nbytes = os.path.getsize(src)
        for codec in codecs:
            cell = {"dataset": name, "codec": codec, "nbytes": nbytes}
            times = {(t, op): [] for t in tools for op in ("compress", "decompress")}
            frames = {t: os.path.join(work, f"{t}.b2frame") for t in tools}
            backs = {t: os.path.join(work, f"{t}.out") for t in tools}
            for r in range(a.rounds):
                # The order of the tools turns from round to round: none always runs right
                # after the same other one (whose dirty pages and freed memory it would meet).
                order = tools[r % len(tools):] + tools[:r % len(tools)]
                for op in ("compress", "decompress"):
                    for t in order:
                        s, d = (src, frames[t]) if op == "compress" else (frames[t], backs[t])
                        times[(t, op)].append(measure(t, op, a, s, d, codec, typesize))
                if r == 0:
                    for t in tools:
                        if not same_file(src, backs[t]):
                            raise SystemExit(f"{t} {name} {codec}: the round trip changed the data")
            for t in tools:
                cell[f"{t}_cbytes"] = os.path.getsize(frames[t])
                for op in ("compress", "decompress"):
                    w = [x[0] for x in times[(t, op)]]
                    c = [x[1] for x in times[(t, op)]]
                    cell[f"{t}_{op}_wall_s"] = statistics.median(w)
                    cell[f"{t}_{op}_wall_minmax"] = [min(w), max(w)]
                    cell[f"{t}_{op}_cpu_s"] = statistics.median(c)
            for t in tools:
                os.remove(frames[t])
                os.remove(backs[t])
            rows.append(cell)
            if sink:
                sink.write(json.dumps(cell) + "\n")
                sink.flush()
            line = f"{name:17} {codec:8}"
            for op in ("compress", "decompress"):
                ours = cell[f"ours_{op}_wall_s"] if "ours" in tools else None
                for t in tools:
                    line += f" {t[:2]}-{op[0]} {cell[f'{t}_{op}_wall_s'] * 1000:7.1f} ms"
                for t in tools:
                    if t != "ours" and ours:
                        line += f" {t}/ours {cell[f'{t}_{op}_wall_s'] / ours:5.2f}"
            print(line, flush=True)
    env["loadavg_end"] = os.getloadavg()
    if sink:
        sink.write(json.dumps({"env_end": env["loadavg_end"]}) + "\n")
        sink.close()
    if not a.workdir:
        shutil.rmtree(work, ignore_errors=True)
    table = markdown(rows, tools, a)
    print()
    print(table)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(table + "\n")


def markdown(rows, tools, a):
    others = [t for t in tools if t != "ours"]
    head = "| data set | codec | ratio (ours) |"
    sep = "|---|---|---:|"
    for op in ("compress", "decompress"):
        head += f" {op} ours ms |"
        sep += "---:|"
        for t in others:
            head += f" {t} / ours |"
            sep += "---:|"
        if "peer" in others:
            head += " peer / ours, fastest runs |"
            sep += "---:|"
    lines = [head, sep]
    summary = {(t, op): [] for t in others for op in ("compress", "decompress")}
    cpu = {(t, op): [] for t in others for op in ("compress", "decompress")}
    for c in rows:
        line = f"| {c['dataset']} | {c['codec']} | {c['nbytes'] / c['ours_cbytes']:.2f} |"
        for op in ("compress", "decompress"):
            ours = c[f"ours_{op}_wall_s"]
            line += f" {ours * 1000:.1f} |"
            for t in others:
                r = c[f"{t}_{op}_wall_s"] / ours
                summary[(t, op)].append(r)
                cpu[(t, op)].append(c[f"{t}_{op}_cpu_s"] / max(c[f"ours_{op}_cpu_s"], 1e-9))
                line += f" {r:.2f} |"
            if "peer" in others:
                fastest = c[f"peer_{op}_wall_minmax"][0] / c[f"ours_{op}_wall_minmax"][0]
                summary.setdefault(("peer, fastest runs", op), []).append(fastest)
                line += f" {fastest:.2f} |"
        lines.append(line)
    lines.append("")
    for (t, op), rs in summary.items():
        if rs:
            below = sum(1 for r in rs if r < 1.0)
            line = (f"* {t} / ours, {op}: median {statistics.median(rs):.2f}, min {min(rs):.2f}, "
                    f"max {max(rs):.2f}; cells where ours is slower: {below} of {len(rs)}")
            if (t, op) in cpu:
                line += f"; CPU time {t} / ours: median {statistics.median(cpu[(t, op)]):.2f}"
            lines.append(line)
    lines.append(f"* settings: clevel {a.clevel}, filter {a.filter}, typesize = element size, split auto, "
                 f"chunk size {a.chunksize} bytes, {a.nthreads} threads; times are medians of {a.rounds} "
                 f"rounds, 'fastest runs' compares each side's fastest run")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
