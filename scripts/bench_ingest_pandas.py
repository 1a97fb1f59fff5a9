"""Contender (c) of scripts/bench_ingest.sh: the `milkyway ingest` job done with pandas and
python-blosc2, written the way one would write it in a notebook.

Reads the Gaia CSV(.gz) files with pandas (five columns), keeps the rows with a positive
parallax, converts them to Cartesian light years around the Sun (d = 3261.56 / parallax_mas),
keeps those within the radius, counts the stars per 1 ly cell and writes
  OUT/cube.b2nd          the 20000^3 uint8 cube, chunks 250^3, blocks 25^3, zstd clevel 1
                         with shuffle; created with blosc2.zeros and only the chunks that hold
                         stars written (as dense 250^3 slices)
  OUT/stars/*.b2nd       the star table (source_id, x, y, z, mag) in chunk order, plus the
                         first row of each non-empty chunk
Prints one line of counts and phase times on stderr.

Writing a dense 250^3 slice costs tens of milliseconds, and a 10^7-row catalogue touches
more than 10^5 chunks, i.e. hours. With --sample-chunks N only N of the touched chunks,
evenly spread, are written, and the time of the others is extrapolated from them (the cost
of a slice write hardly depends on its content); the last stdout line is then
`extrapolated_extra_s X`, the seconds the unwritten chunks would have taken.

usage: bench_ingest_pandas.py CATALOGUE_DIR_OR_FILES... -o OUT [--sample-chunks N]
"""

import argparse
import os
import shutil
import sys
import time

import blosc2
import numpy as np
import pandas as pd

K = 3261.56
RADIUS = 10_000.0
CELL = 1.0
OFF = int(np.ceil(RADIUS / CELL))
SIDE = 2 * OFF
CHUNK = 250
BLOCK = 25
NCH = -(-SIDE // CHUNK)
COLUMNS = ["source_id", "ra", "dec", "parallax", "phot_g_mean_mag"]
DTYPES = {"source_id": "int64", "ra": "float64", "dec": "float64", "parallax": "float64", "phot_g_mean_mag": "float32"}


def inputs(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            for n in os.listdir(p):
                if n.lower().endswith((".csv", ".csv.gz", ".ecsv", ".ecsv.gz")):
                    files.append(os.path.join(p, n))
        else:
            files.append(p)
    return sorted(set(files))


def cparams():
    return blosc2.CParams(codec=blosc2.Codec.ZSTD, clevel=1, filters=[blosc2.Filter.SHUFFLE])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--sample-chunks", type=int, default=0, help="write only N touched chunks (0: all)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    files = inputs(a.inputs)
    if not files:
        sys.exit("no input files")
    if os.path.exists(a.output):
        shutil.rmtree(a.output)
    os.makedirs(os.path.join(a.output, "stars"))

    # 1. read, select, convert
    rows = 0
    parts = []
    for f in files:
        df = pd.read_csv(f, comment="#", usecols=COLUMNS, dtype=DTYPES)
        rows += len(df)
        df = df[(df["parallax"] > 0) & df["ra"].notna() & df["dec"].notna()]
        d = K / df["parallax"].to_numpy()
        keep = d < RADIUS
        df = df[keep]
        d = d[keep]
        ra = np.radians(df["ra"].to_numpy())
        dec = np.radians(df["dec"].to_numpy())
        cd = np.cos(dec)
        parts.append(
            pd.DataFrame(
                {
                    "source_id": df["source_id"].to_numpy(),
                    "x": d * cd * np.cos(ra),
                    "y": d * cd * np.sin(ra),
                    "z": d * np.sin(dec),
                    "mag": df["phot_g_mean_mag"].to_numpy(),
                }
            )
        )
    stars = pd.concat(parts, ignore_index=True)

    t_read = time.perf_counter()

    # 2. bin to cells, order by (chunk, cell, source_id)
    idx = [np.floor(stars[c].to_numpy() / CELL).astype(np.int64) + OFF for c in "xyz"]
    inside = (idx[0] >= 0) & (idx[0] < SIDE) & (idx[1] >= 0) & (idx[1] < SIDE) & (idx[2] >= 0) & (idx[2] < SIDE)
    stars = stars[inside]
    i, j, k = (v[inside] for v in idx)
    nchunk = ((i // CHUNK) * NCH + j // CHUNK) * NCH + k // CHUNK
    flat = (i * SIDE + j) * SIDE + k
    order = np.lexsort((stars["source_id"].to_numpy(), flat, nchunk))
    stars = stars.iloc[order].reset_index(drop=True)
    i, j, k, nchunk, flat = i[order], j[order], k[order], nchunk[order], flat[order]

    t_bin = time.perf_counter()

    # 3. the cube: zeros everywhere, then the chunks that hold stars
    cube = blosc2.zeros(
        (SIDE, SIDE, SIDE),
        dtype=np.uint8,
        chunks=(CHUNK,) * 3,
        blocks=(BLOCK,) * 3,
        urlpath=os.path.join(a.output, "cube.b2nd"),
        mode="w",
        cparams=cparams(),
    )
    cell_start = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
    counts = np.diff(np.r_[cell_start, len(flat)])
    ci, cj, ck, cn = i[cell_start], j[cell_start], k[cell_start], nchunk[cell_start]
    chunk_start = np.flatnonzero(np.r_[True, cn[1:] != cn[:-1]])
    bounds = np.r_[chunk_start, len(cn)]
    nchunks = len(bounds) - 1
    todo = range(nchunks)
    if 0 < a.sample_chunks < nchunks:
        todo = np.unique(np.linspace(0, nchunks - 1, a.sample_chunks).round().astype(np.int64))
    dense = np.zeros((CHUNK,) * 3, dtype=np.uint8)
    t_cube0 = time.perf_counter()
    for g in todo:
        lo, hi = bounds[g], bounds[g + 1]
        x0, y0, z0 = ci[lo] // CHUNK * CHUNK, cj[lo] // CHUNK * CHUNK, ck[lo] // CHUNK * CHUNK
        dense[:] = 0
        dense[ci[lo:hi] - x0, cj[lo:hi] - y0, ck[lo:hi] - z0] = np.minimum(counts[lo:hi], 255)
        x1, y1, z1 = min(x0 + CHUNK, SIDE), min(y0 + CHUNK, SIDE), min(z0 + CHUNK, SIDE)
        cube[x0:x1, y0:y1, z0:z1] = dense[: x1 - x0, : y1 - y0, : z1 - z0]

    t_cube = time.perf_counter()
    written = len(todo)
    extra = (t_cube - t_cube0) / max(written, 1) * (nchunks - written)

    # 4. the star table and its chunk index
    sd = os.path.join(a.output, "stars")
    table = {c: stars[c].to_numpy() for c in ["source_id", "x", "y", "z", "mag"]}
    star_chunk_start = np.flatnonzero(np.r_[True, nchunk[1:] != nchunk[:-1]]) if len(nchunk) else np.array([], np.int64)
    table["chunk_nchunk"] = nchunk[star_chunk_start].astype(np.int64)
    table["chunk_start"] = star_chunk_start.astype(np.int64)
    for name, col in table.items():
        blosc2.asarray(
            np.ascontiguousarray(col),
            chunks=(1 << 18,),
            blocks=(1 << 14,),
            urlpath=os.path.join(sd, name + ".b2nd"),
            mode="w",
            cparams=cparams(),
        )
    t_end = time.perf_counter()
    print(
        f"pandas: {len(files)} files, {rows} rows, {len(stars)} stars selected, "
        f"{len(cell_start)} non-empty cells in {nchunks} chunks ({written} written); "
        f"read+select {t_read - t0:.1f} s, bin+sort {t_bin - t_read:.1f} s, "
        f"cube {t_cube - t_bin:.1f} s (+{extra:.1f} s extrapolated), table {t_end - t_cube:.1f} s",
        file=sys.stderr,
    )
    print(f"extrapolated_extra_s {extra:.3f}")


if __name__ == "__main__":
    main()
