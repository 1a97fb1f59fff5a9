#!/usr/bin/env python3
"""Generate fixtures for the plugin codecs and filters python-blosc2 registers: NDLZ (codec
32), ZFP (33-35) and the NDCELL (32) and NDMEAN (33) filters.

Run with a Python that has python-blosc2 (4.14.1) and numpy:

    python gen_plugins.py            # rewrite every file and manifest.json, then verify
    python gen_plugins.py --verify   # only re-open every file and check it against manifest.json

Written next to this script:

* ``b2nd/NAME.b2nd``: arrays (contiguous frames; ``*-sparse.b2nd`` are sparse-frame
  directories), with ``b2nd/NAME.npy``: the values python-blosc2 reads from them (for
  NDMEAN these are the cell means, not the original data);
* ``chunks/NAME-cK.chunk``: chunk K of such an array as stored, described in the manifest
  with the array's chunk and block shapes (the geometry the plugins need) and the SHA-256
  of what python-blosc2 decompresses it to.

Shapes, chunks and blocks do not divide each other, so chunks are padded and NDLZ/NDCELL
cells are cut short at block edges.
"""

import hashlib
import json
import os
import shutil
import sys

import blosc2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
F, C, S = blosc2.Filter, blosc2.Codec, blosc2.SplitMode


def image_u1(shape, seed):
    """Bytes in 4x4 / 8x8 patches with some noise: what NDLZ finds matches in."""
    rng = np.random.default_rng(seed)
    idx = np.indices(shape)
    base = ((idx[0] // 4 + idx[-1] // 8) % 6 * 40).astype(np.uint8)
    noise = rng.integers(0, 256, shape, dtype=np.uint8)
    return np.where(rng.random(shape) < 0.08, noise, base).astype(np.uint8)


def smooth(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    i = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    v = np.sin(i / 37.0) * 100.0 + (i % 13) + rng.random(shape)
    if np.dtype(dtype).kind in "iu":
        v = v * 10
    return v.astype(dtype)


# name, shape, chunks, blocks, data, cparams, chunk fixtures (indices)
CASES = [
    ("ndcell-u1-2d", (61, 83), (40, 50), (16, 20), lambda s: image_u1(s, 1),
     dict(codec=C.ZSTD, filters=[F.NDCELL], filters_meta=[4]), [0, 3]),
    ("ndcell-f4-3d", (13, 17, 19), (8, 10, 12), (4, 5, 6), lambda s: smooth(s, "<f4", 2),
     dict(codec=C.LZ4, filters=[F.NDCELL, F.SHUFFLE], filters_meta=[3, 0]), []),
    ("ndcell-i8-1d", (2001,), (700,), (160,), lambda s: smooth(s, "<i8", 3),
     dict(codec=C.BLOSCLZ, filters=[F.NDCELL], filters_meta=[7]), [2]),
    ("ndmean-f4-2d", (61, 83), (40, 50), (16, 20), lambda s: smooth(s, "<f4", 4),
     dict(codec=C.ZSTD, filters=[F.NDMEAN], filters_meta=[4]), [0, 3]),
    ("ndmean-f8-3d", (13, 17, 19), (8, 10, 12), (4, 5, 6), lambda s: smooth(s, "<f8", 5),
     dict(codec=C.BLOSCLZ, filters=[F.NDMEAN, F.SHUFFLE], filters_meta=[3, 0]), [1]),
    ("ndmean-f4-1d", (2001,), (700,), (160,), lambda s: smooth(s, "<f4", 6),
     dict(codec=C.LZ4, filters=[F.NDMEAN], filters_meta=[5]), []),
    ("ndlz4-u1", (61, 83), (40, 50), (16, 22), lambda s: image_u1(s, 7),
     dict(codec=C.NDLZ, codec_meta=4), [0, 3]),
    ("ndlz8-u1", (150, 170), (100, 120), (40, 48), lambda s: image_u1(s, 8),
     dict(codec=C.NDLZ, codec_meta=8), [0, 3]),
    ("ndlz4-f4-split", (61, 83), (40, 50), (16, 20), lambda s: smooth(s, "<f4", 9),
     dict(codec=C.NDLZ, codec_meta=4, filters=[F.SHUFFLE], splitmode=S.ALWAYS_SPLIT), []),
    ("ndlz8-i2-split", (90, 70), (64, 48), (32, 24), lambda s: smooth(s, "<i2", 10),
     dict(codec=C.NDLZ, codec_meta=8, filters=[F.SHUFFLE], splitmode=S.ALWAYS_SPLIT), [1]),
    ("ndlz4-ndcell-u1", (61, 83), (40, 50), (16, 20), lambda s: image_u1(s, 11),
     dict(codec=C.NDLZ, codec_meta=4, filters=[F.NDCELL], filters_meta=[4]), []),
    ("ndmean-f4-sparse", (61, 83), (40, 50), (16, 20), lambda s: smooth(s, "<f4", 12),
     dict(codec=C.ZSTD, filters=[F.NDMEAN], filters_meta=[2]), []),
    # ZFP (lossy; codec_meta is a signed byte for ZFP_ACC): the .npy holds python's decoding.
    ("zfp-acc-f4-3d", (13, 17, 19), (8, 10, 12), (4, 5, 6), lambda s: smooth(s, "<f4", 13),
     dict(codec=C.ZFP_ACC, codec_meta=(-6) & 0xFF, filters=[], filters_meta=[]), [1]),
    ("zfp-prec-f8-2d", (61, 83), (40, 50), (16, 20), lambda s: smooth(s, "<f8", 14),
     dict(codec=C.ZFP_PREC, codec_meta=20, filters=[], filters_meta=[]), []),
    ("zfp-rate-f4-1d", (2001,), (700,), (160,), lambda s: smooth(s, "<f4", 15),
     dict(codec=C.ZFP_RATE, codec_meta=40, filters=[], filters_meta=[]), []),
]


def sha(b):
    return hashlib.sha256(bytes(b)).hexdigest()


def cparams_entry(cp):
    return {
        "codec": cp.codec.value, "codec_meta": cp.codec_meta, "clevel": cp.clevel,
        "typesize": cp.typesize, "blocksize": cp.blocksize, "splitmode": cp.splitmode.value,
        "filters": [f.value for f in cp.filters], "filters_meta": list(cp.filters_meta),
    }


def generate():
    for sub in ("b2nd", "chunks"):
        shutil.rmtree(os.path.join(HERE, sub), ignore_errors=True)
        os.makedirs(os.path.join(HERE, sub))
    files = []
    for name, shape, chunks, blocks, make, kw, chunk_ids in CASES:
        data = make(shape)
        path = f"b2nd/{name}.b2nd"
        sparse = name.endswith("sparse")
        a = blosc2.asarray(data, chunks=chunks, blocks=blocks, urlpath=os.path.join(HERE, path),
                           contiguous=not sparse, mode="w", cparams=blosc2.CParams(nthreads=1, **kw))
        values = a[:]
        np.save(os.path.join(HERE, f"b2nd/{name}.npy"), values)
        entry = {
            "kind": "b2nd-sparse" if sparse else "b2nd", "path": path, "npy": f"b2nd/{name}.npy",
            "shape": list(shape), "chunks": list(chunks), "blocks": list(blocks), "dtype": values.dtype.str,
            "cparams": cparams_entry(a.schunk.cparams), "sha256": sha(values.tobytes()),
            "lossless": bool(np.array_equal(values, data)),
        }
        files.append(entry)
        for k in chunk_ids:
            cpath = f"chunks/{name}-c{k}.chunk"
            raw = a.schunk.get_chunk(k)
            with open(os.path.join(HERE, cpath), "wb") as f:
                f.write(raw)
            files.append({
                "kind": "chunk", "path": cpath, "array": path, "index": k,
                "chunkshape": list(chunks), "blockshape": list(blocks),
                "cparams": entry["cparams"], "lossless": entry["lossless"],
                "nbytes": len(a.schunk.decompress_chunk(k)), "sha256": sha(a.schunk.decompress_chunk(k)),
            })
    manifest = {
        "generator": "gen_plugins.py", "python-blosc2": blosc2.__version__,
        "c-blosc2": blosc2.blosclib_version, "numpy": np.__version__, "files": files,
    }
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


def verify():
    manifest = json.load(open(os.path.join(HERE, "manifest.json")))
    for e in manifest["files"]:
        if e["kind"].startswith("b2nd"):
            a = blosc2.open(os.path.join(HERE, e["path"]))
            want = np.load(os.path.join(HERE, e["npy"]))
            assert a[:].tobytes() == want.tobytes() and sha(want.tobytes()) == e["sha256"], e["path"]
        else:
            a = blosc2.open(os.path.join(HERE, e["array"]))
            raw = open(os.path.join(HERE, e["path"]), "rb").read()
            assert bytes(a.schunk.get_chunk(e["index"])) == raw, e["path"]
            assert sha(a.schunk.decompress_chunk(e["index"])) == e["sha256"], e["path"]
    print(f"verified {len(manifest['files'])} files")


if __name__ == "__main__":
    if "--verify" not in sys.argv[1:]:
        generate()
    verify()
