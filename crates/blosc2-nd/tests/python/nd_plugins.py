"""Interop of the plugin codecs and filters (NDLZ, NDCELL, NDMEAN) with python-blosc2
(used by tests/nd_plugins.rs).

    nd_plugins.py check DIR    for every array listed in DIR/ours.json (written by Rust):
                               python-blosc2 reads it to the values in its "npy" file (what
                               Rust decodes), and, with "same_bytes", compresses the original
                               data ("orig" .npy) with the same parameters into chunks equal,
                               byte for byte, to ours
    nd_plugins.py auto DIR     write python-blosc2's automatic chunks and blocks for the
                               [shape, dtype, cparams] of DIR/auto_in.json to DIR/auto_out.json
"""

import json
import os
import sys

import blosc2
import numpy as np


def cparams_of(p):
    return blosc2.CParams(
        codec=blosc2.Codec(p["codec"]),
        codec_meta=p["codec_meta"],
        clevel=p["clevel"],
        filters=[blosc2.Filter(f) for f in p["filters"]],
        filters_meta=p["filters_meta"],
        splitmode=blosc2.SplitMode(p["splitmode"]),
        nthreads=1,
    )


def check(d):
    items = json.load(open(os.path.join(d, "ours.json")))
    same = 0
    for it in items:
        name = it["file"]
        a = blosc2.open(os.path.join(d, name))
        want = np.load(os.path.join(d, it["npy"]))
        assert a.shape == want.shape and a.dtype == want.dtype, (name, a.shape, a.dtype)
        assert a.chunks == tuple(it["chunks"]) and a.blocks == tuple(it["blocks"]), (name, a.chunks, a.blocks)
        p = it["cparams"]
        assert a.schunk.cparams.codec.value == p["codec"], name
        assert a.schunk.cparams.codec_meta == p["codec_meta"], name
        assert [f.value for f in a.schunk.cparams.filters] == p["filters"], name
        assert list(a.schunk.cparams.filters_meta) == p["filters_meta"], name
        got = a[:]
        assert got.tobytes() == want.tobytes(), (name, np.argwhere(got != want)[:5])
        if it.get("same_bytes"):
            orig = np.load(os.path.join(d, it["orig"]))
            b = blosc2.asarray(orig, chunks=a.chunks, blocks=a.blocks, cparams=cparams_of(p))
            assert b.schunk.nchunks == a.schunk.nchunks, name
            for i in range(a.schunk.nchunks):
                ours, theirs = a.schunk.get_chunk(i), b.schunk.get_chunk(i)
                assert ours == theirs, (name, i, len(ours), len(theirs), ours[:32].hex(), theirs[:32].hex())
            assert b[:].tobytes() == want.tobytes(), name
            same += 1
    print(f"checked {len(items)} arrays, {same} with python's chunk bytes")


def auto(d):
    out = []
    for shape, dtype, p in json.load(open(os.path.join(d, "auto_in.json"))):
        a = blosc2.empty(tuple(shape), dtype=dtype, cparams=cparams_of(p))
        out.append([list(a.chunks), list(a.blocks)])
    json.dump(out, open(os.path.join(d, "auto_out.json"), "w"))


if __name__ == "__main__":
    {"check": check, "auto": auto}[sys.argv[1]](sys.argv[2])
