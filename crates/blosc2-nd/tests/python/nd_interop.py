"""b2nd interop with python-blosc2 (used by tests/nd_interop.rs).

    nd_interop.py check DIR    read every array listed in DIR/ours.json (written by Rust) and
                               compare it with the .npy file next to it
    nd_interop.py make DIR     write arrays with python-blosc2 (resized, slice-assigned, sparse
                               frames, many dtypes) and their data as .npy, listed in
                               DIR/theirs.json
    nd_interop.py auto DIR     write python-blosc2's automatic chunks/blocks for the shapes in
                               DIR/auto_in.json to DIR/auto_out.json
"""

import json
import os
import sys

import blosc2
import numpy as np


def check(d):
    items = json.load(open(os.path.join(d, "ours.json")))
    for it in items:
        a = blosc2.open(os.path.join(d, it["file"]))
        want = np.load(os.path.join(d, it["npy"]))
        assert isinstance(a, blosc2.NDArray), it
        assert a.shape == tuple(it["shape"]), (it, a.shape)
        assert a.chunks == tuple(it["chunks"]), (it, a.chunks)
        assert a.blocks == tuple(it["blocks"]), (it, a.blocks)
        assert a.dtype == want.dtype, (it, a.dtype, want.dtype)
        got = a[()] if a.ndim == 0 else a[:]
        assert got.shape == want.shape, (it, got.shape, want.shape)
        assert got.tobytes() == want.tobytes(), it
        # A few slices too.
        if a.ndim >= 1 and a.shape[0] > 2:
            assert a[1:-1].tobytes() == want[1:-1].tobytes(), it
        if it.get("python_modifies"):
            # Python writes into our file, Rust reads it back (checked by the test).
            b = blosc2.open(os.path.join(d, it["file"]), mode="a")
            sl = tuple(slice(0, min(3, s)) for s in b.shape)
            b[sl] = np.full([min(3, s) for s in b.shape], 5, dtype=b.dtype)
    print(f"checked {len(items)} arrays")


def save_pair(d, name, arr, expected, out):
    np.save(os.path.join(d, name + ".npy"), expected)
    out.append({"file": name + ".b2nd", "npy": name + ".npy"})


def make(d):
    out = []
    rng = np.random.default_rng(7)
    # Many dtypes, 1-D to 4-D, edge chunks and blocks that do not divide the shape.
    cases = [
        ("u1-1d", (1003,), (300,), (64,), "u1"),
        ("i2-2d", (37, 41), (10, 12), (3, 5), "<i2"),
        ("f4-3d", (9, 11, 13), (4, 5, 6), (2, 3, 4), "<f4"),
        ("f8-4d", (5, 6, 7, 8), (3, 4, 5, 6), (2, 2, 3, 4), "<f8"),
        ("i8-2d", (100, 3), (33, 3), (10, 2), "<i8"),
        ("u4-3d", (4, 4, 4), (4, 4, 4), (4, 4, 4), "<u4"),
        ("c16-1d", (77,), (20,), (7,), "<c16"),
        ("b1-2d", (30, 30), (8, 9), (4, 4), "?"),
        ("be-i4", (50, 20), (16, 16), (8, 8), ">i4"),
    ]
    for name, shape, chunks, blocks, dt in cases:
        n = int(np.prod(shape))
        if dt == "?":
            data = (np.arange(n) % 3 == 0).reshape(shape)
        elif dt == "<c16":
            data = (np.arange(n) + 1j * np.arange(n)[::-1]).astype(dt).reshape(shape)
        else:
            data = (rng.integers(0, 120, n)).astype(dt).reshape(shape)
        blosc2.asarray(data, chunks=chunks, blocks=blocks, urlpath=os.path.join(d, name + ".b2nd"), mode="w")
        save_pair(d, name, data, data, out)
    # Structured, bytes and unicode.
    st = np.zeros(60, dtype=[("x", "<i4"), ("y", "<f8"), ("name", "S5")])
    st["x"] = np.arange(60)
    st["y"] = np.arange(60) / 7
    st["name"] = [b"n%03d" % k for k in range(60)]
    blosc2.asarray(st, chunks=(25,), blocks=(10,), urlpath=os.path.join(d, "struct.b2nd"), mode="w")
    save_pair(d, "struct", st, st, out)
    u = np.array(["a%03d" % k for k in range(90)], dtype="<U4")
    blosc2.asarray(u, chunks=(40,), blocks=(16,), urlpath=os.path.join(d, "unicode.b2nd"), mode="w")
    save_pair(d, "unicode", u, u, out)
    # Resized arrays: grow, shrink, both.
    a = blosc2.asarray(np.arange(60, dtype="<i4").reshape(6, 10), chunks=(4, 4), blocks=(2, 3),
                       urlpath=os.path.join(d, "grown.b2nd"), mode="w")
    a.resize((11, 17))
    save_pair(d, "grown", a, a[:], out)
    a = blosc2.asarray(np.arange(2000, dtype="<f8").reshape(40, 50), chunks=(16, 16), blocks=(8, 8),
                       urlpath=os.path.join(d, "shrunk.b2nd"), mode="w")
    a.resize((21, 17))
    save_pair(d, "shrunk", a, a[:], out)
    a = blosc2.asarray(np.arange(24 * 30, dtype="<u2").reshape(24, 30), chunks=(10, 10), blocks=(5, 5),
                       urlpath=os.path.join(d, "mixed.b2nd"), mode="w")
    a.resize((13, 45))
    save_pair(d, "mixed", a, a[:], out)
    # Slice assignment into zeros.
    z = blosc2.zeros((200, 300), dtype="<f4", chunks=(50, 64), blocks=(10, 16),
                     urlpath=os.path.join(d, "assigned.b2nd"), mode="w")
    z[10:60, 33:90] = np.arange(50 * 57, dtype="<f4").reshape(50, 57)
    z[199, 299] = 42
    save_pair(d, "assigned", z, z[:], out)
    # A sparse frame (directory).
    s = blosc2.asarray(np.arange(3000, dtype="<i8").reshape(50, 60), chunks=(20, 25), blocks=(10, 10),
                       urlpath=os.path.join(d, "sparse.b2nd"), contiguous=False, mode="w")
    save_pair(d, "sparse", s, s[:], out)
    # Empty arrays.
    e = blosc2.zeros((0, 7), dtype="<i2", urlpath=os.path.join(d, "empty.b2nd"), mode="w")
    save_pair(d, "empty", e, np.zeros((0, 7), "<i2"), out)
    # Automatic chunks and blocks.
    auto = blosc2.asarray(np.linspace(0, 1, 120000).reshape(300, 400), urlpath=os.path.join(d, "auto.b2nd"), mode="w")
    save_pair(d, "auto", auto, auto[:], out)
    for it in out:
        a = blosc2.open(os.path.join(d, it["file"]))
        it["shape"] = list(a.shape)
        it["chunks"] = list(a.chunks)
        it["blocks"] = list(a.blocks)
    json.dump(out, open(os.path.join(d, "theirs.json"), "w"))
    print(f"made {len(out)} arrays")


def auto(d):
    cases = json.load(open(os.path.join(d, "auto_in.json")))
    res = []
    for shape, dtype in cases:
        c, b = blosc2.compute_chunks_blocks(tuple(shape), None, None, np.dtype(dtype))
        res.append([list(c), list(b)])
    json.dump(res, open(os.path.join(d, "auto_out.json"), "w"))


if __name__ == "__main__":
    {"check": check, "make": make, "auto": auto}[sys.argv[1]](sys.argv[2])
