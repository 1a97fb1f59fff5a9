"""Writes arrays of every dtype family python-blosc2 writes (0-D to 8-D, contiguous and
sparse frames, special chunks, plain super-chunks) and NumPy's answer to each selection of
the viewer test, and to block reductions (`reduce` cases: one max / mean / min per step box).

usage: viewer_arrays.py DIR    (writes DIR/arrays/..., DIR/expected/*.npy, DIR/manifest.json)
"""
import json
import os
import sys

import blosc2
import numpy as np

out = sys.argv[1]
arrays = os.path.join(out, "arrays")
expected = os.path.join(out, "expected")
os.makedirs(os.path.join(arrays, "sub"), exist_ok=True)
os.makedirs(expected, exist_ok=True)
rng = np.random.default_rng(7)


def values(shape, dtype):
    n = int(np.prod(shape))
    dt = np.dtype(dtype)
    if dt.names:
        a = np.zeros(n, dtype=dt)
        for f in dt.names:
            a[f] = values((n,), dt[f])
        return a.reshape(shape)
    if dt.kind == "b":
        return (rng.integers(0, 3, n) == 0).reshape(shape)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(max(info.min, -(10**6)), min(info.max, 10**6), n, dtype=dt, endpoint=True).reshape(shape)
    if dt.kind == "c":
        return (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(dt).reshape(shape)
    v = rng.standard_normal(n).astype(dt)
    if n > 3:
        v[1] = np.nan
    return v.reshape(shape)


cases = []  # (name, array, selections)
sel2 = ["", "1:7,2:9", "::2,::3", "3,:", "-1", "0:0", "-99:99,4:1", "5:,-3:"]
sel3 = ["", "1,::2,3:", "2:9:3,1,::4", ":, :, 5", "-3:,2:4"]
specs = [
    ("f4_2d.b2nd", (13, 17), "<f4", (5, 6), (2, 3), sel2),
    ("f8_3d.b2nd", (9, 10, 11), "<f8", (4, 5, 6), (2, 2, 3), sel3),
    ("f2_1d.b2nd", (50,), "<f2", (16,), (4,), ["", "3:40:7", "-5:", "10"]),
    ("i1_2d.b2nd", (20, 30), "|i1", (8, 8), (4, 4), sel2),
    ("i2_3d.b2nd", (6, 7, 8), "<i2", (3, 3, 3), (2, 2, 2), sel3),
    ("i4_4d.b2nd", (4, 5, 6, 7), "<i4", (2, 3, 3, 4), (1, 2, 2, 2), ["", "1,::2,3:,2", ":,:,1,1", "::3,1:3,::2,::3"]),
    ("i8_5d.b2nd", (3, 4, 3, 5, 6), "<i8", (2, 2, 2, 3, 3), (1, 1, 2, 2, 2), ["", "1,2,:,::2,1:5", ":,:,1,:,0"]),
    ("u1_2d.b2nd", (31, 33), "|u1", (10, 10), (5, 5), sel2),
    ("u2_1d.b2nd", (100,), "<u2", (30,), (10,), ["", "::9", "50:"]),
    ("u4_3d.b2nd", (8, 9, 10), "<u4", (4, 4, 4), (2, 2, 2), sel3),
    ("u8_2d.b2nd", (11, 12), "<u8", (4, 4), (2, 2), sel2),
    ("b1_2d.b2nd", (15, 16), "|b1", (4, 8), (2, 4), sel2),
    ("c8_2d.b2nd", (10, 12), "<c8", (4, 4), (2, 2), sel2),
    ("c16_3d.b2nd", (5, 6, 7), "<c16", (3, 3, 3), (2, 2, 2), sel3),
    ("sub/struct_2d.b2nd", (12, 14), [("x", "<i4"), ("y", "<f8"), ("flag", "?")], (5, 5), (2, 5), sel2),
    ("be_f8_2d.b2nd", (9, 9), ">f8", (4, 4), (2, 2), sel2),
    ("f4_6d.b2nd", (3, 4, 2, 5, 3, 4), "<f4", (2, 3, 2, 3, 2, 3), (1, 2, 1, 2, 2, 2), ["", "1,::2,:,1:4,2,::3", "0,0,1,:,:,1"]),
    ("i2_7d.b2nd", (2, 3, 2, 4, 3, 2, 5), "<i2", (1, 2, 2, 3, 2, 2, 3), (1, 1, 2, 2, 1, 2, 2), ["", ":,1,:,::3,0:2,1,::2", "1,2,0,3,2,1,:"]),
    ("u1_8d.b2nd", (2, 2, 3, 2, 3, 2, 2, 4), "|u1", (1, 2, 2, 2, 2, 1, 2, 3), (1, 1, 2, 1, 2, 1, 1, 2), ["", "1,:,::2,0,:,1,:,1:", ":,:,:,:,:,:,:,3"]),
]
for name, shape, dtype, chunks, blocks, sels in specs:
    a = values(shape, dtype)
    contiguous = not name.startswith("i2") and not name.startswith("u4")
    urlpath = os.path.join(arrays, name)
    blosc2.asarray(a, chunks=chunks, blocks=blocks, urlpath=urlpath, mode="w", contiguous=contiguous)
    cases.append((name, a, sels))

# Special chunks: zeros everywhere, one stored chunk, a NaN-filled array, a 0-D array.
z = blosc2.zeros((40, 50), dtype=np.float32, chunks=(10, 10), blocks=(5, 5), urlpath=os.path.join(arrays, "zeros_f4.b2nd"), mode="w")
z[12:18, 21:29] = np.arange(48, dtype=np.float32).reshape(6, 8) + 1
cases.append(("zeros_f4.b2nd", z[:], ["", "10:20,20:30", "::3,::4", "15"]))
nan = blosc2.full((20, 20), np.nan, dtype=np.float64, chunks=(10, 10), urlpath=os.path.join(arrays, "nan_f8.b2nd"), mode="w")
cases.append(("nan_f8.b2nd", nan[:], ["", "1:3,4"]))
s0 = blosc2.asarray(np.array(3.5), urlpath=os.path.join(arrays, "scalar.b2nd"), mode="w")
cases.append(("scalar.b2nd", np.array(3.5), [""]))
# A sparse cube: special zero chunks and chunks whose blocks are mostly runs of zeros.
sp = blosc2.zeros((60, 50, 40), dtype=np.uint8, chunks=(20, 25, 20), blocks=(5, 5, 5), urlpath=os.path.join(arrays, "sparse_u1_3d.b2nd"), mode="w")
pts = rng.integers(0, (60, 50, 40), size=(40, 3))
for i, (x, y, z) in enumerate(pts):
    if x < 40:  # the last row of chunks stays empty
        sp[x, y, z] = 1 + i
cases.append(("sparse_u1_3d.b2nd", sp[:], ["", "::7,::3,5", "17,:,::4", "3:59:5,1,2:39:6"]))
# Plain super-chunks (no b2nd metalayer): 1-D arrays of their items, a short last chunk.
items = ((np.arange(10007, dtype="<u4") * 3 + 1) * (np.arange(10007) % 97 == 0)).astype("<u4")
for name, contiguous in [("plain_u4.b2frame", True), ("sub/plain_dir.b2frame", False)]:
    blosc2.SChunk(chunksize=4000, data=items.tobytes(), cparams=blosc2.CParams(typesize=4), urlpath=os.path.join(arrays, name), contiguous=contiguous, mode="w")
    cases.append((name, items, ["", "::10", "3990:5010:7", "-7:", "4321"]))

manifest = []
for name, a, sels in cases:
    for k, sel in enumerate(sels):
        key = eval(f"np.s_[{sel}]") if sel else ()
        r = np.array(a[key], order="C")
        fields = a.dtype.names or [None]
        for field in fields:
            v = r if field is None else np.array(r[field], order="C")
            fname = f"{name.replace('/', '_')}_{k}_{field or ''}.npy"
            np.save(os.path.join(expected, fname), v)
            manifest.append({"array": name, "index": sel, "field": field, "npy": fname})


def boxes(a, index, step, how):
    """One nanmax / nanmean / nanmin per step box of the ranges of `index` (integers drop
    their dimension), as the viewer's `reduce`."""
    key = eval(f"np.s_[{index}]") if index else ()
    key = key if isinstance(key, tuple) else (key,)
    key = key + (slice(None),) * (a.ndim - len(key))
    region = np.array(a[tuple(slice(k, k + 1) if isinstance(k, (int, np.integer)) else k for k in key)], dtype=np.float64)
    steps = [1 if isinstance(k, (int, np.integer)) else s for k, s in zip(key, step)]
    out_shape = [-(-n // k) for n, k in zip(region.shape, steps)]
    padded = np.full([o * k for o, k in zip(out_shape, steps)], np.nan)
    padded[tuple(slice(0, n) for n in region.shape)] = region
    r = padded.reshape([x for o, k in zip(out_shape, steps) for x in (o, k)])
    f = {"max": np.nanmax, "mean": np.nanmean, "min": np.nanmin}[how]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        v = f(r, axis=tuple(range(1, r.ndim, 2)))
    return v.reshape([o for o, k in zip(out_shape, key) if not isinstance(k, (int, np.integer))])


reduce_cases = [
    ("sparse_u1_3d.b2nd", ":,:,5", (7, 3, 1)),
    ("sparse_u1_3d.b2nd", "17,:,:", (1, 4, 6)),
    ("sparse_u1_3d.b2nd", "3:59,1:50,2:39", (5, 9, 6)),
    ("f8_3d.b2nd", ":,2,:", (2, 1, 4)),
    ("f4_2d.b2nd", "1:12,:", (3, 5)),
    ("i4_4d.b2nd", "1,:,:,2", (1, 2, 4, 1)),
    ("f4_6d.b2nd", "1,:,0,:,2,:", (1, 3, 1, 2, 1, 3)),
    ("u1_8d.b2nd", "1,:,:,0,1,:,1,:", (1, 2, 2, 1, 1, 2, 1, 3)),
    ("plain_u4.b2frame", ":", (37,)),
    ("sub/plain_dir.b2frame", "3990:5010", (11,)),
]
arrays_by_name = {name: a for name, a, _ in cases}
for k, (name, index, step) in enumerate(reduce_cases):
    for how in ["max", "mean", "min"]:
        fname = f"reduce_{k}_{how}.npy"
        np.save(os.path.join(expected, fname), boxes(arrays_by_name[name], index, step, how))
        manifest.append({"array": name, "index": index, "step": ",".join(map(str, step)), "reduce": how, "npy": fname, "field": None})
json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"), indent=1)
