#!/usr/bin/env python3
"""The tables of docs/btune.md from `blosc2 tune eval --json` records.

    scripts/btune_table.py RECORDS.jsonl[.gz]...

One row per data set, chunk count and thread count; one column per case of issue 17 (COMP at 0.1, 0.5
and 0.9, DECOMP and BALANCED at 0.5); each cell: score fraction / python-blosc2's default over the best
fixed setting. Then, per case and overall: the median score fraction, how many cells reach 0.90, how
many fall below the default, the trials' share of the tuned run; the tuner's cost per chunk once decided
(records that have it); and the sweep's J of the best fixed setting over the same setting timed again
beside the tuned run.
"""

import collections
import gzip
import json
import statistics
import sys

CASES = [("comp", 0.1), ("comp", 0.5), ("comp", 0.9), ("decomp", 0.5), ("balanced", 0.5)]


def records(paths):
    for p in paths:
        opener = gzip.open if p.endswith(".gz") else open
        with opener(p, "rt") as f:
            for line in f:
                if line.startswith("{"):
                    yield json.loads(line)


def summary(name, rs):
    s = [r["score_fraction"] for r in rs]
    below = sum(r["score_fraction"] < r["default_fraction"] for r in rs)
    share = statistics.median(r["tuning_ms"] / r["tuned_ms"] for r in rs)
    return (f"- {name}: median {statistics.median(s):.2f} ({min(s):.2f}-{max(s):.2f}), >= 0.90 in "
            f"{sum(x >= 0.9 for x in s)}/{len(s)}, below the default in {below}/{len(s)}, "
            f"trials' time / tuned run median {share:.3f}")


def main(paths):
    recs = [r for r in records(paths) if (r["mode"], r["tradeoff"]) in CASES]
    if not recs:
        sys.exit("no records of the five cases")
    rows = collections.OrderedDict()
    for r in recs:
        name = r["dataset"].split("/")[-1].removesuffix(".b2nd")
        rows.setdefault((name, r["nchunks"], r["nthreads"]), {})[(r["mode"], r["tradeoff"])] = r
    print("| data set | chunks | threads | " + " | ".join(f"{m.upper()} {t}" for m, t in CASES) + " |")
    print("|---|---:|---:|" + "---:|" * len(CASES))
    for k, v in rows.items():
        cells = [f"{v[c]['score_fraction']:.2f} / {v[c]['default_fraction']:.2f}" if c in v else "" for c in CASES]
        print(f"| {k[0]} | {k[1]} | {k[2]} | " + " | ".join(cells) + " |")
    print()
    for c in CASES:
        rs = [r for r in recs if (r["mode"], r["tradeoff"]) == c]
        if rs:
            print(summary(f"{c[0].upper()} {c[1]}", rs))
    print(summary("all", recs))
    sj = [r["oracle"]["sweep_j"] / r["oracle"]["j"] for r in recs if "sweep_j" in r["oracle"]]
    held = [r["held_overhead"] for r in recs if r.get("held_overhead") is not None]
    if held:
        print(f"- the tuner's time per chunk once decided over the replay's compression time per chunk: median "
              f"{statistics.median(held):.4f} (max {max(held):.4f}) in the {len(held)} cells with such chunks")
    if sj:
        print(f"- the sweep's J of the best fixed setting over the same setting timed again beside the tuned "
              f"run: median {statistics.median(sj):.3f} ({min(sj):.2f}-{max(sj):.2f})")


if __name__ == "__main__":
    main(sys.argv[1:])
