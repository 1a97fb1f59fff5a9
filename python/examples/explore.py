# %% [markdown]
# # Exploring the Milky Way from Python
#
# The exploration of Francesc Alted's talk "Exploring the Milky Way (or any other NDim
# dataset)" on the explorer's demo galaxy, from Python with `blosc2rs`, NumPy and Plotly.
# A notebook in the percent format (`# %%` cells: Jupyter through jupytext, VS Code, or
# plain `python`):
#
#     .venv/bin/python python/examples/explore.py [DIR] [--stars N] [--dask]
#
# writes the catalogue and the galaxy into DIR (default `milkyway-demo-py`) and the figures
# into `DIR/explore.html` (Plotly, offline: plotly.js is embedded). `--dask` ingests with
# Dask worker processes (`blosc2rs.milkyway.dask_ingest`) instead of one process.

# %%
import argparse
import pathlib
import sys
import time

import numpy as np
import plotly.graph_objects as go

import blosc2rs
import blosc2rs.milkyway as mw

ap = argparse.ArgumentParser()
ap.add_argument("dir", nargs="?", default="milkyway-demo-py")
ap.add_argument("--stars", type=int, default=300_000, help="synthetic rows (the demo's 300,000)")
ap.add_argument("--dask", action="store_true", help="ingest with a local Dask cluster")
args = ap.parse_args(sys.argv[1:] if "ipykernel" not in sys.modules else [])
out = pathlib.Path(args.dir)
out.mkdir(parents=True, exist_ok=True)
figures = []

# %% [markdown]
# ## A Gaia-like catalogue and its galaxy
#
# `milkyway demo`'s catalogue: synthetic Gaia DR3 `gaia_source` rows (gzipped ECSV, the
# real files' columns), then the ingest: stars within 10,000 ly of the Sun, counted in a
# 20,000³ cube of 1 ly³ cells (a sparse b2nd array: almost every chunk is a ZERO chunk)
# plus a star table.

# %%
catalogue, galaxy = out / "catalogue", out / "galaxy"
if not catalogue.exists():
    files = mw.synth(catalogue, args.stars, seed=1, files=4)
    print(f"{len(files)} catalogue files in {catalogue}")
t0 = time.perf_counter()
if args.dask:
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
        summary = mw.dask_ingest(catalogue, galaxy, client=client, force=True, jobs=1)
else:
    summary = mw.ingest(catalogue, galaxy, force=True)
c = summary["counts"]
print(f"ingest: {c['rows']:,} rows in {time.perf_counter() - t0:.1f} s, {c['selected']:,} stars "
      f"within 10,000 ly ({c['missing_parallax']:,} without parallax, {c['negative_parallax']:,} negative)")

# %% [markdown]
# ## The cube: statistics from the chunk index
#
# As in the talk, the cube is explored through its chunk metadata first: only the
# non-empty chunks are decompressed.

# %%
st = mw.stats(galaxy)
print(f"{st['stars']:,} stars in {st['nonempty_cells']:,} cells; {st['nonempty_chunks']:,} of "
      f"{st['nchunks']:,} chunks hold stars ({100 * st['occupancy']:.3f} %), "
      f"{st['cbytes'] / 1e6:.1f} MB compressed")
print("fullest cell:", st["max_cell"])
cube = blosc2rs.open(galaxy / "cube.b2nd")
print(cube)
info = [i for i in cube.iterchunks_info() if i.special is None]
centres = np.array([[(k + 0.5) * n - 10_000 for k, n in zip(i.coords, cube.chunks)] for i in info])
sizes = np.array([i.cbytes for i in info])
figures.append(go.Figure(
    go.Scatter3d(x=centres[:, 0], y=centres[:, 1], z=centres[:, 2], mode="markers",
                 marker={"size": 3, "color": np.log10(sizes), "colorscale": "Viridis",
                         "colorbar": {"title": "log10 bytes"}}),
    layout={"title": f"The {len(info):,} non-empty chunks of the cube (250 ly each), by compressed size",
            "scene": {"aspectmode": "data"}},
))

# %% [markdown]
# ## How far are the stars?

# %%
h = st["distance_histogram"]
edges = np.arange(len(h["counts"])) * h["bin_ly"]
figures.append(go.Figure(
    go.Bar(x=edges + h["bin_ly"] / 2, y=h["counts"], width=h["bin_ly"] * 0.9),
    layout={"title": "Stars per distance bin (cell centres)", "xaxis_title": "distance (ly)",
            "yaxis_title": "stars"},
))

# %% [markdown]
# ## The Sun's neighbourhood, star by star
#
# An exact query over the star table: every star within 1,000 ly, as a NumPy structured
# array (`.to_pandas()` gives a DataFrame).

# %%
near = mw.query(galaxy, sphere=(0, 0, 0, 1000))
df = near.to_pandas()
print(f"{len(near):,} stars within 1,000 ly")
print(df.describe().loc[["mean", "min", "max"]])
figures.append(go.Figure(
    go.Scatter3d(x=near["x"], y=near["y"], z=near["z"], mode="markers",
                 marker={"size": 2, "color": near["mag"], "colorscale": "Inferno_r",
                         "colorbar": {"title": "G mag"}},
                 text=[str(s) for s in near["source_id"]]),
    layout={"title": "Stars within 1,000 ly of the Sun (ICRS axes, ly)", "scene": {"aspectmode": "data"}},
))

# %% [markdown]
# ## A slab of the cube, cell by cell
#
# Slicing the cube reads only the blocks it touches: a 2,000 x 2,000 ly slab, 40 ly
# thick, around the Sun (160 MB of cells), projected along z.

# %%
c0 = 10_000
slab = cube[c0 - 1000:c0 + 1000, c0 - 1000:c0 + 1000, c0 - 20:c0 + 20]
proj = slab.sum(axis=2, dtype=np.uint32)
coarse = proj.reshape(100, 20, 100, 20).sum(axis=(1, 3))
print(f"slab {slab.shape}: {int(slab.sum(dtype=np.uint64)):,} stars")
figures.append(go.Figure(
    go.Heatmap(z=np.log10(coarse.T + 1), x=np.arange(100) * 20 - 1000 + 10, y=np.arange(100) * 20 - 1000 + 10,
               colorscale="Magma", colorbar={"title": "log10(stars + 1)"}),
    layout={"title": "Stars per 20 x 20 ly column, |z| < 20 ly", "xaxis_title": "x (ly)",
            "yaxis_title": "y (ly)", "yaxis_scaleanchor": "x"},
))

# %% [markdown]
# ## One page with every figure

# %%
html = out / "explore.html"
parts = [f.to_html(full_html=False, include_plotlyjs=(k == 0)) for k, f in enumerate(figures)]
html.write_text("<!doctype html><meta charset='utf-8'><title>Exploring the Milky Way</title>\n"
                + "\n".join(parts) + f"\n<p>{summary['credit']}</p>\n")
print(f"figures written to {html}")
