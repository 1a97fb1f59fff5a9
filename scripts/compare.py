#!/usr/bin/env python3
"""Compare blosc2-rs with C-Blosc2 (python-blosc2) on the `codecs` workload.

Runs the reference harness (shared/bench/anchor.py) and `blosc2 bench` alternately
(A B A B: reference then ours, per data set, or per data set and codec with
--alternate-by codec) on the same options, keeps the raw JSON-lines records of both
sides, joins them per cell (api, dataset, codec, filter, clevel, typesize, nthreads)
and prints ours/reference ratios of compression GB/s, decompression GB/s and
compression ratio, the same speed ratios from process CPU time (ref CPU s / ours CPU s;
robust to descheduling on a loaded machine), then a summary (median and worst cell of
each column). Where both sides recorded the SHA-256 of their compressed chunks (api chunk
with --ratio-only: the reference worker below and `blosc2 bench` record it), the column
"bytes" says whether the chunks are identical, and the summary counts the cells.

    scripts/compare.sh --dataset arange_i64 --codecs lz4,zstd --nthreads 1
    .venv/bin/python scripts/compare.py --ratio-only --outdir /tmp/cmp --markdown /tmp/cmp/table.md
    .venv/bin/python scripts/compare.py --from-dir /tmp/cmp          # re-join, no run

--ratio-only runs no timing: ours with `blosc2 bench --ratio-only`; the reference side
(anchor.py has no such option) through a small worker in this file that imports
anchor.py for the data sets and compression parameters and compresses every chunk once
with blosc2.compress2, as anchor.py's api=chunk does.

--workload nd-read / nd-lazy runs those workloads instead (A B per round, --rounds N),
joins the records per backend (nd-read) or per shape (nd-lazy) and prints, per timed
operation, the reference and our median times and the speedup ref time / our time
(> 1: ours faster), then a summary (median, worst, and the cells where ours is slower):

    .venv/bin/python scripts/compare.py --workload nd-read --backend b2nd-default,b2nd-explicit
    .venv/bin/python scripts/compare.py --workload nd-lazy --lazy-shape 20000,20000,2000 --rounds 2

Needs python-blosc2 and numpy (scripts/setup-python.sh) for the reference side only.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ANCHOR = os.path.join(ROOT, "bench", "anchor.py")
DEFAULT_OURS = os.path.join(ROOT, "target", "release", "blosc2")
DATASETS = ["linspace_f64", "smooth_noise_f32", "arange_i64", "galaxy_u8", "random_bytes"]
CODECS = ["blosclz", "lz4", "lz4hc", "zlib", "zstd"]
KEY = ("api", "dataset", "codec", "filter", "clevel", "typesize", "nthreads")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Reference ratio-only worker (runs in a subprocess, imports anchor.py)
# --------------------------------------------------------------------------


def load_anchor(path: str):
    spec = importlib.util.spec_from_file_location("anchor", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def ref_ratio_worker(args) -> int:
    """Compression ratio of every configuration with C-Blosc2, compressed once (api=chunk)."""
    import blosc2
    import numpy as np

    anchor = load_anchor(args.anchor)
    chunk = args.chunk_mib * anchor.MIB
    with open(args.out, "a") as out:
        env = {"workload": "env", "impl": "python-blosc2 (compare.py ratio worker)", **anchor.env_info(),
               "ts": time.strftime("%Y-%m-%dT%H:%M:%S")}
        out.write(json.dumps(env) + "\n")
        for name in args.dataset.split(","):
            arr = anchor.make_dataset(name, args.size_mib)
            buf = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
            nbytes = buf.nbytes
            assert nbytes % chunk == 0
            nchunks = nbytes // chunk
            dst = np.empty_like(buf)
            for nt in [int(x) for x in args.nthreads.split(",")]:
                blosc2.set_nthreads(nt)
                for codec in args.codecs.split(","):
                    for filt in args.filters.split(","):
                        for clevel in [int(x) for x in args.clevels.split(",")]:
                            for ts in [int(x) for x in args.typesizes.split(",")]:
                                cp = anchor.cparams_for(codec, filt, clevel, ts, nt)
                                cs = [blosc2.compress2(buf[i * chunk:(i + 1) * chunk], cparams=cp)
                                      for i in range(nchunks)]
                                dst.fill(0)
                                dp = blosc2.DParams(nthreads=nt)
                                for i in range(nchunks):
                                    blosc2.decompress2(cs[i], dst=dst[i * chunk:(i + 1) * chunk], dparams=dp)
                                cbytes = sum(len(c) for c in cs)
                                _, _, blocksize = blosc2.get_cbuffer_sizes(cs[0])
                                rec = {"workload": "codecs", "api": "chunk", "dataset": name, "codec": codec,
                                       "filter": filt, "clevel": clevel, "typesize": ts, "nthreads": nt,
                                       "nbytes": nbytes, "chunksize": chunk, "blocksize": blocksize,
                                       "cbytes": cbytes, "chunks_sha256": hashlib.sha256(b"".join(cs)).hexdigest(),
                                       "cratio": nbytes / cbytes,
                                       "roundtrip_ok": bool(np.array_equal(dst, buf)), "ratio_only": True,
                                       "ts": time.strftime("%Y-%m-%dT%H:%M:%S")}
                                out.write(json.dumps(rec) + "\n")
                                out.flush()
                                log(f"  ref  {name} {codec:8s} {filt:10s} c{clevel} ts{ts}: "
                                    f"ratio {rec['cratio']:9.2f} bs={blocksize}")
    return 0


# --------------------------------------------------------------------------
# Running both sides
# --------------------------------------------------------------------------


def matrix_args(args, datasets: str, codecs: str) -> list[str]:
    a = ["--workload", "codecs", "--api", args.api, "--dataset", datasets, "--codecs", codecs,
         "--filters", args.filters, "--clevels", args.clevels, "--typesizes", args.typesizes,
         "--nthreads", args.nthreads, "--chunk-mib", str(args.chunk_mib)]
    if args.size_mib:
        a += ["--size-mib", str(args.size_mib)]
    return a


def run_side(side: str, args, datasets: str, codecs: str, out: str) -> bool:
    if side == "ref":
        if args.ratio_only:
            cmd = [args.python, os.path.abspath(__file__), "--ref-ratio-worker", "--anchor", args.anchor,
                   "--out", out, "--dataset", datasets, "--codecs", codecs, "--filters", args.filters,
                   "--clevels", args.clevels, "--typesizes", args.typesizes, "--nthreads", args.nthreads,
                   "--chunk-mib", str(args.chunk_mib)]
            if args.size_mib:
                cmd += ["--size-mib", str(args.size_mib)]
        else:
            cmd = [args.python, args.anchor, *matrix_args(args, datasets, codecs), "--out", out]
    else:
        cmd = [args.ours, "bench", *matrix_args(args, datasets, codecs), "--out", out]
        if args.ratio_only:
            cmd.append("--ratio-only")
    log(f"[{side}] {' '.join(cmd)}")
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL)
    log(f"[{side}] exit {p.returncode} after {time.perf_counter() - t0:.1f} s")
    return p.returncode == 0


def tool_versions(args) -> dict:
    info = {"machine": platform.machine(), "ncores": os.cpu_count(), "loadavg": os.getloadavg(),
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S")}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    for name, cmd in (("rustc", ["rustc", "--version"]), ("git", ["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])):
        try:
            info[name] = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    try:
        info["python-blosc2"] = subprocess.run(
            [args.python, "-c", "import blosc2; print(blosc2.__version__, blosc2.blosclib_version)"],
            capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


# --------------------------------------------------------------------------
# Joining and reporting
# --------------------------------------------------------------------------


def read_records(path: str) -> list[dict]:
    recs = []
    if not os.path.exists(path):
        return recs
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    return recs


def gbps(rec: dict, what: str):
    s = rec.get(what)
    return s.get("gbps_median") if isinstance(s, dict) else None


def cpu_s(rec: dict, what: str):
    s = rec.get(what)
    return s.get("cpu_median_s") if isinstance(s, dict) else None


def med(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def ratio(a, b):
    return a / b if a is not None and b else None


def join(ref_recs: list[dict], our_recs: list[dict]) -> list[dict]:
    cells: dict[tuple, dict] = {}
    for side, recs in (("ref", ref_recs), ("ours", our_recs)):
        for r in recs:
            if r.get("workload") != "codecs":
                continue
            k = tuple(r.get(f) for f in KEY)
            cells.setdefault(k, {"ref": [], "ours": []})[side].append(r)
    rows = []
    for k, sides in cells.items():
        row = dict(zip(KEY, k))
        for side in ("ref", "ours"):
            rs = sides[side]
            ok = [r for r in rs if "cratio" in r]
            row[f"{side}_n"] = len(ok)
            row[f"{side}_cratio"] = ok[-1]["cratio"] if ok else None
            row[f"{side}_blocksize"] = ok[-1].get("blocksize") if ok else None
            row[f"{side}_cbytes"] = ok[-1].get("cbytes") if ok else None
            hashes = {r["chunks_sha256"] for r in ok if r.get("chunks_sha256")}
            # Several rounds of one side must agree with each other too.
            row[f"{side}_sha256"] = hashes.pop() if len(hashes) == 1 else ("differ between runs" if hashes else None)
            row[f"{side}_c_gbps"] = med(gbps(r, "compress") for r in ok)
            row[f"{side}_d_gbps"] = med(gbps(r, "decompress") for r in ok)
            row[f"{side}_c_cpu_s"] = med(cpu_s(r, "compress") for r in ok)
            row[f"{side}_d_cpu_s"] = med(cpu_s(r, "decompress") for r in ok)
            row[f"{side}_c_runs"] = sum((r.get("compress") or {}).get("runs", 0) for r in ok)
            bad = [r.get("error") or "roundtrip failed" for r in rs if r.get("error") or r.get("roundtrip_ok") is False]
            row[f"{side}_problem"] = bad[-1] if bad else ("missing" if not rs else None)
        row["cratio_ratio"] = ratio(row["ours_cratio"], row["ref_cratio"])
        row["same_bytes"] = (row["ours_sha256"] == row["ref_sha256"]
                             if row["ours_sha256"] is not None and row["ref_sha256"] is not None else None)
        row["cbytes_diff"] = (row["ours_cbytes"] - row["ref_cbytes"]
                              if row["ours_cbytes"] is not None and row["ref_cbytes"] is not None else None)
        row["c_ratio"] = ratio(row["ours_c_gbps"], row["ref_c_gbps"])
        row["d_ratio"] = ratio(row["ours_d_gbps"], row["ref_d_gbps"])
        # Speed ratio from process CPU time (ref / ours): robust to descheduling on a loaded
        # machine, and equal to the wall-clock ratio for nthreads = 1 on an idle one.
        row["c_cpu_ratio"] = ratio(row["ref_c_cpu_s"], row["ours_c_cpu_s"])
        row["d_cpu_ratio"] = ratio(row["ref_d_cpu_s"], row["ours_d_cpu_s"])
        rows.append(row)
    order = {d: i for i, d in enumerate(DATASETS)}
    corder = {c: i for i, c in enumerate(CODECS)}
    forder = {"nofilter": 0, "shuffle": 1, "bitshuffle": 2}
    rows.sort(key=lambda r: (r["api"] or "", order.get(r["dataset"], 99), r["nthreads"] or 0,
                             corder.get(r["codec"], 99), forder.get(r["filter"], 9), r["clevel"] or 0,
                             r["typesize"] or 0))
    return rows


def fmt(x, spec=".3f"):
    return "-" if x is None else format(x, spec)


def cell_name(r: dict) -> str:
    return f"{r['api']} {r['dataset']} {r['codec']} {r['filter']} c{r['clevel']} ts{r['typesize']} nt{r['nthreads']}"


COLUMNS = [("c_ratio", "compress GB/s ours/ref", min), ("d_ratio", "decompress GB/s ours/ref", min),
           ("c_cpu_ratio", "compress CPU-time speed ours/ref", min),
           ("d_cpu_ratio", "decompress CPU-time speed ours/ref", min),
           ("cratio_ratio", "cratio ours/ref", min)]


def summarize_rows(rows: list[dict]) -> dict:
    summ = {"cells": len(rows),
            "problems": [{"cell": cell_name(r), "ref": r["ref_problem"], "ours": r["ours_problem"]}
                         for r in rows if r["ref_problem"] or r["ours_problem"]]}
    hashed = [r for r in rows if r["same_bytes"] is not None]
    summ["same_bytes"] = {"cells": len(hashed), "identical": sum(r["same_bytes"] for r in hashed),
                          "differing": [cell_name(r) for r in hashed if not r["same_bytes"]]}
    for col, label, _ in COLUMNS:
        vals = [(r[col], r) for r in rows if r[col] is not None]
        if not vals:
            continue
        lo = min(vals, key=lambda t: t[0])
        hi = max(vals, key=lambda t: t[0])
        entry = {"label": label, "n": len(vals), "median": statistics.median(v for v, _ in vals),
                 "worst": lo[0], "worst_cell": cell_name(lo[1]), "best": hi[0], "best_cell": cell_name(hi[1])}
        by_codec = {}
        for c in CODECS:
            cv = [v for v, r in vals if r["codec"] == c]
            if cv:
                by_codec[c] = {"median": statistics.median(cv), "worst": min(cv)}
        entry["by_codec"] = by_codec
        summ[col] = entry
    if "cratio_ratio" in summ:
        summ["cratio_ratio"]["cells_below_0.99"] = [
            {"cell": cell_name(r), "ratio": r["cratio_ratio"]}
            for r in rows if r["cratio_ratio"] is not None and r["cratio_ratio"] < 0.99]
    return summ


def table_lines(rows: list[dict], markdown: bool) -> list[str]:
    head = ["api", "dataset", "codec", "filter", "cl", "ts", "nt", "cratio ref", "cratio ours", "cr o/r", "cbytes o-r",
            "bytes", "C ref", "C ours", "C o/r", "D ref", "D ours", "D o/r", "Ccpu o/r", "Dcpu o/r", "bs ref", "bs ours",
            "note"]
    body = []
    for r in rows:
        note = "; ".join(f"{s}: {r[f'{s}_problem']}" for s in ("ref", "ours") if r[f"{s}_problem"])
        body.append([r["api"], r["dataset"], r["codec"], r["filter"], str(r["clevel"]), str(r["typesize"]),
                     str(r["nthreads"]), fmt(r["ref_cratio"], ".2f"), fmt(r["ours_cratio"], ".2f"),
                     fmt(r["cratio_ratio"], ".4f"), fmt(r["cbytes_diff"], "+d"),
                     {True: "same", False: "DIFFER", None: "-"}[r["same_bytes"]], fmt(r["ref_c_gbps"]), fmt(r["ours_c_gbps"]),
                     fmt(r["c_ratio"], ".2f"), fmt(r["ref_d_gbps"]), fmt(r["ours_d_gbps"]),
                     fmt(r["d_ratio"], ".2f"), fmt(r["c_cpu_ratio"], ".2f"), fmt(r["d_cpu_ratio"], ".2f"),
                     fmt(r["ref_blocksize"], "d"), fmt(r["ours_blocksize"], "d"), note])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
        lines += ["| " + " | ".join(b) + " |" for b in body]
        return lines
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    line = lambda cols: "  ".join(c.ljust(w) if i < 4 or i == len(cols) - 1 else c.rjust(w)
                                  for i, (c, w) in enumerate(zip(cols, widths))).rstrip()
    return [line(head)] + [line(b) for b in body]


def summary_lines(summ: dict, markdown: bool) -> list[str]:
    out = []
    if markdown:
        out += ["", "| column | cells | median | worst | worst cell | best | best cell |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for col, _, _ in COLUMNS:
            e = summ.get(col)
            if e:
                out.append(f"| {e['label']} | {e['n']} | {e['median']:.4f} | {e['worst']:.4f} | {e['worst_cell']} "
                           f"| {e['best']:.4f} | {e['best_cell']} |")
        out += ["", "| column | " + " | ".join(CODECS) + " |", "| --- |" + " --- |" * len(CODECS)]
        for col, _, _ in COLUMNS:
            e = summ.get(col)
            if e:
                bc = e["by_codec"]
                out.append(f"| {e['label']} (median / worst) | " + " | ".join(
                    f"{bc[c]['median']:.3f} / {bc[c]['worst']:.3f}" if c in bc else "-" for c in CODECS) + " |")
    else:
        out.append("")
        out.append(f"summary over {summ['cells']} cells")
        for col, _, _ in COLUMNS:
            e = summ.get(col)
            if e:
                out.append(f"  {e['label']:36s} median {e['median']:.4f}  worst {e['worst']:.4f} ({e['worst_cell']})"
                           f"  best {e['best']:.4f} ({e['best_cell']})")
                out.append("    by codec (median/worst): " + ", ".join(
                    f"{c} {v['median']:.3f}/{v['worst']:.3f}" for c, v in e["by_codec"].items()))
    sb = summ.get("same_bytes")
    if sb and sb["cells"]:
        out.append("")
        out.append(f"chunk bytes (SHA-256 of the compressed chunks): {sb['identical']} of {sb['cells']} cells identical "
                   f"to the reference")
        for c in sb["differing"][:50]:
            out.append(f"  differing: {c}")
    if summ.get("problems"):
        out.append("")
        out.append(f"problems ({len(summ['problems'])} cells):")
        for p in summ["problems"][:50]:
            out.append(f"  {p['cell']}: ref={p['ref']} ours={p['ours']}")
    return out


def memcpy_lines(ref_recs: list[dict], our_recs: list[dict], markdown: bool) -> list[str]:
    """Decompression speed against memcpy measured in the same run, per data set, side and
    thread count: memcpy of the data set buffer (1 thread for nthreads 1, 2 threads
    otherwise), then the median and the best decompression GB/s over the cells."""
    rows = []
    for side, recs in (("ref", ref_recs), ("ours", our_recs)):
        groups: dict[tuple, list[dict]] = {}
        for r in recs:
            if r.get("workload") == "codecs" and gbps(r, "decompress") is not None:
                groups.setdefault((r.get("api"), r.get("dataset"), r.get("nthreads")), []).append(r)
        for (api, ds, nt), rs in groups.items():
            mc = med(r.get("memcpy_gbps_same_run" if nt == 1 else "memcpy2t_gbps_same_run") for r in rs)
            d = [gbps(r, "decompress") for r in rs]
            best = max(rs, key=lambda r: gbps(r, "decompress"))
            rows.append([api, ds, side, nt, mc, statistics.median(d), max(d),
                         f"{best['codec']} {best['filter']} c{best['clevel']}", len(rs)])
    order = {d: i for i, d in enumerate(DATASETS)}
    rows.sort(key=lambda r: (r[0] or "", order.get(r[1], 99), r[3] or 0, r[2] != "ref"))
    head = ["api", "dataset", "side", "nt", "memcpy GB/s", "D median GB/s", "D best GB/s", "best / memcpy",
            "best cell", "cells"]
    body = [[str(r[0]), str(r[1]), r[2], str(r[3]), fmt(r[4], ".2f"), fmt(r[5], ".2f"), fmt(r[6], ".2f"),
             fmt(ratio(r[6], r[4]), ".2f"), r[7], str(r[8])] for r in rows]
    if not body:
        return []
    if markdown:
        return ["", "| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"] + [
            "| " + " | ".join(b) + " |" for b in body]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    return ["", "decompression vs memcpy of the same run"] + [
        "  ".join(c.ljust(w) if i < 3 or i == 8 else c.rjust(w) for i, (c, w) in enumerate(zip(cols, widths))).rstrip()
        for cols in [head] + body]


# --------------------------------------------------------------------------
# nd-read / nd-lazy
# --------------------------------------------------------------------------

# (field, label, how the time is read from a record)
ND_READ_OPS = [("create", "create"), ("open_s", "open"), ("plane_axis0", "plane axis 0"),
               ("plane_axis1", "plane axis 1"), ("plane_axis2", "plane axis 2"), ("cube10", "cube10"),
               ("element", "element"), ("full", "full"), ("resize_grow", "resize grow"),
               ("resize_shrink", "resize shrink")]
ND_LAZY_OPS = [("create", "create"), ("open", "open"), ("iterchunks_info", "chunk walk (total)"),
               ("iterchunks_info.per_chunk_us", "chunk walk per chunk (us)"), ("element_s", "element (centre)"),
               ("cube10_s", "cube [0:10]^3"), ("resize_grow", "resize grow"), ("resize_shrink", "resize shrink"),
               ("create_in_memory", "create in memory")]


def nd_time(rec: dict, field: str):
    """Median seconds of a timed field (a summary or a bare number); `a.b` reads a sub-key."""
    if "." in field:
        top, sub = field.split(".", 1)
        v = rec.get(top)
        return v.get(sub) if isinstance(v, dict) else None
    v = rec.get(field)
    if isinstance(v, dict):
        return v.get("median_s")
    return v if isinstance(v, (int, float)) else None


def nd_key(rec: dict):
    if rec.get("workload") == "nd-read":
        return ("nd-read", rec.get("backend"), tuple(rec.get("shape") or ()), rec.get("nthreads"))
    return ("nd-lazy", tuple(rec.get("shape") or ()), tuple(rec.get("chunks") or ()), rec.get("nthreads"))


def nd_join(ref_recs: list[dict], our_recs: list[dict], workload: str) -> list[dict]:
    """One row per (configuration, operation): medians across the rounds of each side."""
    ops = ND_READ_OPS if workload == "nd-read" else ND_LAZY_OPS
    groups: dict[tuple, dict] = {}
    for side, recs in (("ref", ref_recs), ("ours", our_recs)):
        for r in recs:
            if r.get("workload") == workload:
                groups.setdefault(nd_key(r), {"ref": [], "ours": []})[side].append(r)
    rows = []
    for key, sides in groups.items():
        cfg = " ".join(str(k) if not isinstance(k, tuple) else "x".join(map(str, k)) for k in key[1:])
        info = {}
        for side in ("ref", "ours"):
            rs = sides[side]
            last = rs[-1] if rs else {}
            info[side] = {"n": len(rs), "chunks": last.get("chunks"), "blocks": last.get("blocks"),
                          "cratio": last.get("cratio"), "disk_bytes": last.get("disk_bytes"),
                          "mmap": bool(last.get("mmap"))}
        for field, label in ops:
            ref = med(nd_time(r, field) for r in sides["ref"])
            ours = med(nd_time(r, field) for r in sides["ours"])
            rows.append({"config": cfg, "op": label, "field": field, "ref_s": ref, "ours_s": ours,
                         "speedup": ratio(ref, ours), "ref_n": info["ref"]["n"], "ours_n": info["ours"]["n"],
                         "info": info})
    return rows


def nd_fmt_time(t, field: str) -> str:
    if t is None:
        return "-"
    if field.endswith("per_chunk_us"):
        return f"{t:.3f} us"
    if t >= 1:
        return f"{t:.3f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3f} ms"
    return f"{t * 1e6:.1f} us"


def nd_lines(rows: list[dict], markdown: bool) -> list[str]:
    head = ["config", "operation", "ref", "ours", "speedup ref/ours", "runs ref/ours"]
    body = [[r["config"], r["op"], nd_fmt_time(r["ref_s"], r["field"]), nd_fmt_time(r["ours_s"], r["field"]),
             fmt(r["speedup"], ".2f"), f"{r['ref_n']}/{r['ours_n']}"] for r in rows]
    out = []
    if markdown:
        out += ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
        out += ["| " + " | ".join(b) + " |" for b in body]
    else:
        widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
        out += ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cols, widths))).rstrip()
                for cols in [head] + body]
    # Layout and size per configuration (shapes must agree for the times to be comparable).
    seen = set()
    out.append("")
    for r in rows:
        if r["config"] in seen:
            continue
        seen.add(r["config"])
        i = r["info"]
        same = i["ref"]["chunks"] == i["ours"]["chunks"] and i["ref"]["blocks"] == i["ours"]["blocks"]
        out.append(f"{r['config']}: chunks ref {i['ref']['chunks']} ours {i['ours']['chunks']}, blocks ref "
                   f"{i['ref']['blocks']} ours {i['ours']['blocks']}{'' if same else '  LAYOUTS DIFFER'}; cratio ref "
                   f"{fmt(i['ref']['cratio'], '.3f')} ours {fmt(i['ours']['cratio'], '.3f')}; disk bytes ref "
                   f"{i['ref']['disk_bytes']} ours {i['ours']['disk_bytes']}"
                   f"{'; ours read through a memory map' if i['ours'].get('mmap') else ''}")
    vals = [r for r in rows if r["speedup"] is not None and not r["field"].endswith("per_chunk_us")]
    if vals:
        sp = [r["speedup"] for r in vals]
        worst = min(vals, key=lambda r: r["speedup"])
        out.append("")
        out.append(f"summary over {len(vals)} timed operations: speedup ref/ours median "
                   f"{statistics.median(sp):.2f}, geometric mean "
                   f"{statistics.geometric_mean(sp):.2f}, worst {worst['speedup']:.2f} ({worst['config']} "
                   f"{worst['op']}), best {max(sp):.2f}")
        slower = [r for r in vals if r["speedup"] < 1]
        out.append(f"ours slower in {len(slower)} of {len(vals)}: " + (", ".join(
            f"{r['config']} {r['op']} {r['speedup']:.2f}" for r in slower) or "none"))
    return out


def nd_side_cmd(side: str, args, out: str) -> list[str]:
    a = ["--workload", args.workload, "--nthreads", args.nthreads]
    if args.workload == "nd-read":
        a += ["--backend", args.backend]
        if args.nd_shape:
            a += ["--nd-shape", args.nd_shape]
    else:
        a += ["--lazy-shape", args.lazy_shape, "--lazy-chunks", args.lazy_chunks]
    if args.workdir:
        a += ["--workdir", args.workdir]
    if side == "ours" and args.workload == "nd-read" and args.ours_mmap:
        a += ["--mmap"]
    a += ["--out", out]
    return [args.python, args.anchor, *a] if side == "ref" else [args.ours, "bench", *a]


def nd_main(args) -> int:
    if args.from_dir:
        outdir = args.from_dir
    else:
        if not os.path.exists(args.anchor) or not os.access(args.ours, os.X_OK):
            log(f"error: need {args.anchor} and {args.ours}")
            return 2
        args.anchor = os.path.abspath(args.anchor)
        outdir = args.outdir or os.path.join(ROOT, "target", "bench-results", time.strftime("%Y%m%d-%H%M%S"))
        os.makedirs(outdir, exist_ok=True)
        with open(os.path.join(outdir, f"session-{args.workload}.json"), "a") as f:
            f.write(json.dumps({"argv": sys.argv[1:], **tool_versions(args)}) + "\n")
        for rnd in range(args.rounds):
            for side in ("ref", "ours"):
                cmd = nd_side_cmd(side, args, os.path.join(outdir, f"{side}.jsonl"))
                log(f"[{side}] round {rnd}: {' '.join(cmd)}")
                t0 = time.perf_counter()
                p = subprocess.run(cmd, stdout=subprocess.DEVNULL)
                log(f"[{side}] exit {p.returncode} after {time.perf_counter() - t0:.1f} s")
    rows = nd_join(read_records(os.path.join(outdir, "ref.jsonl")), read_records(os.path.join(outdir, "ours.jsonl")),
                   args.workload)
    print("\n".join(nd_lines(rows, markdown=False)))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(nd_lines(rows, markdown=True)) + "\n")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"rows": rows}, f, indent=1)
    return 0


# --------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--anchor", default=DEFAULT_ANCHOR, help="reference harness (default bench/anchor.py)")
    ap.add_argument("--ours", default=DEFAULT_OURS, help="our blosc2 binary (default target/release/blosc2)")
    ap.add_argument("--python", default=sys.executable, help="python with blosc2 + numpy for the reference side")
    ap.add_argument("--dataset", default=",".join(DATASETS))
    ap.add_argument("--api", default="chunk")
    ap.add_argument("--codecs", default=",".join(CODECS))
    ap.add_argument("--filters", default="nofilter,shuffle,bitshuffle")
    ap.add_argument("--clevels", default="1,5,9")
    ap.add_argument("--typesizes", default="4,8")
    ap.add_argument("--nthreads", default="1,2")
    ap.add_argument("--chunk-mib", type=int, default=8)
    ap.add_argument("--size-mib", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=1, help="repeat the A B alternation (medians across rounds)")
    ap.add_argument("--alternate-by", choices=["dataset", "codec"], default="dataset",
                    help="granularity of the A B alternation")
    ap.add_argument("--ratio-only", action="store_true", help="no timing: compression ratios only")
    ap.add_argument("--outdir", default=None,
                    help="raw results directory (default target/bench-results/<timestamp>)")
    ap.add_argument("--from-dir", default=None, help="join the raw results of an earlier run; run nothing")
    ap.add_argument("--json", dest="json_out", default=None, help="write the joined table and summary as JSON")
    ap.add_argument("--markdown", default=None, help="write the joined table and summary as Markdown")
    ap.add_argument("--workload", choices=["codecs", "nd-read", "nd-lazy"], default="codecs")
    ap.add_argument("--backend", default="b2nd-default,b2nd-explicit", help="nd-read backends")
    ap.add_argument("--nd-shape", default=None, help="nd-read shape (default 640,640,640)")
    ap.add_argument("--lazy-shape", default="20000,20000,20000", help="nd-lazy shape")
    ap.add_argument("--lazy-chunks", default="200,200,200", help="nd-lazy chunk shape")
    ap.add_argument("--workdir", default=None, help="nd-read/nd-lazy: where the temporary arrays go")
    ap.add_argument("--ours-mmap", action="store_true",
                    help="nd-read: our side opens the stored arrays through a memory map (bench --mmap)")
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--ref-ratio-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.ref_ratio_worker:
        return ref_ratio_worker(args)
    if args.workload in ("nd-read", "nd-lazy"):
        if args.nthreads == "1,2":
            args.nthreads = "2"  # both harnesses use max(--nthreads)
        return nd_main(args)

    if args.from_dir:
        outdir = args.from_dir
    else:
        if not os.path.exists(args.anchor):
            log(f"error: reference harness not found at {os.path.abspath(args.anchor)} (use --anchor PATH)")
            return 2
        if not os.access(args.ours, os.X_OK):
            log(f"error: {args.ours} not found; build it with: cargo build --release -p blosc2-cli")
            return 2
        args.anchor = os.path.abspath(args.anchor)
        outdir = args.outdir or os.path.join(ROOT, "target", "bench-results", time.strftime("%Y%m%d-%H%M%S"))
        os.makedirs(outdir, exist_ok=True)
        with open(os.path.join(outdir, "session.json"), "w") as f:
            json.dump({"argv": sys.argv[1:], **tool_versions(args)}, f, indent=1)
        groups = []
        for d in args.dataset.split(","):
            if args.alternate_by == "codec":
                groups += [(d, c) for c in args.codecs.split(",")]
            else:
                groups.append((d, args.codecs))
        t0 = time.perf_counter()
        failures = []
        for rnd in range(args.rounds):
            for d, c in groups:
                for side in ("ref", "ours"):
                    if not run_side(side, args, d, c, os.path.join(outdir, f"{side}.jsonl")):
                        failures.append((rnd, side, d, c))
        log(f"all runs done in {time.perf_counter() - t0:.0f} s; raw results in {outdir}")
        for f in failures:
            log(f"  failed run: round {f[0]} {f[1]} {f[2]} {f[3]}")

    ref_recs = read_records(os.path.join(outdir, "ref.jsonl"))
    our_recs = read_records(os.path.join(outdir, "ours.jsonl"))
    rows = join(ref_recs, our_recs)
    summ = summarize_rows(rows)
    print("\n".join(table_lines(rows, markdown=False) + summary_lines(summ, markdown=False)
                    + memcpy_lines(ref_recs, our_recs, markdown=False)))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(table_lines(rows, markdown=True) + summary_lines(summ, markdown=True)
                              + memcpy_lines(ref_recs, our_recs, markdown=True)) + "\n")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"rows": rows, "summary": summ}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
