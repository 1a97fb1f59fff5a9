"""Golden chunks of the ZFP plugin codecs (ZFP_ACC 33, ZFP_PREC 34, ZFP_RATE 35) written by
python-blosc2 4.14.1 (C-Blosc2 3.3.5, zfp 1.0.1), for crates/blosc2-core/tests/zfp.rs.

For every case (codec, codec_meta, dtype, shape, chunks, blocks) this writes NAME.bin with,
per chunk of the b2nd array:

* `chunk`: the compressed chunk as stored (header, block starts, one stream per block);
* `input`: the chunk buffer the codec was given (the array's values with b2nd's padding, as
  the same array compressed losslessly with LZ4 decompresses);
* `output`: the chunk buffer python-blosc2 decompresses from `chunk`;

and lists the cases, their parameters, each section's offset and length, and the SHA-256 of
every .bin file in manifest.json. Values are deterministic (numpy's PCG64 with fixed seeds,
plus hand-placed special values). Regenerate with `python gen_zfp.py`; `--verify` only checks
the manifest's hashes against the files and that python-blosc2 still writes the same bytes.
"""

import hashlib
import json
import pathlib
import sys

import blosc2
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent

CODECS = {"acc": blosc2.Codec.ZFP_ACC, "prec": blosc2.Codec.ZFP_PREC, "rate": blosc2.Codec.ZFP_RATE}

# (shape, chunks, blocks) per ndim: blocks divide neither the chunks nor 4 everywhere, chunks
# do not divide the shape, so there are padded chunks, padded blocks and partial zfp cells.
GEOMETRY = {
    1: ((1000,), (300,), (70,)),
    2: ((30, 45), (20, 30), (7, 11)),
    3: ((14, 11, 9), (8, 11, 9), (4, 6, 7)),
    4: ((5, 6, 4, 9), (5, 6, 4, 9), (4, 4, 4, 7)),
}


def smooth(shape, dtype, seed, scale):
    """A smooth field plus a little noise, times `scale`."""
    rng = np.random.default_rng(seed)
    grids = np.meshgrid(*[np.arange(n, dtype="f8") for n in shape], indexing="ij")
    v = np.zeros(shape, dtype="f8")
    for k, g in enumerate(grids):
        v += np.sin(0.21 * (k + 1) * g + 0.5 * k) * (1.0 + 0.3 * k)
    v += 0.01 * rng.standard_normal(shape)
    return (v * scale).astype(dtype)


def special(shape, dtype, seed):
    """Smooth values with NaN, infinities, subnormals, signed zeros, huge and tiny values and
    whole zero regions placed at fixed positions."""
    a = smooth(shape, dtype, seed, 1.0)
    flat = a.reshape(-1)
    info = np.finfo(dtype)
    n = flat.size
    flat[7] = np.nan
    flat[n // 5] = np.inf
    flat[n // 3] = -np.inf
    flat[n // 2 : n // 2 + 40] = info.smallest_subnormal * np.arange(1, 41)
    flat[n // 2 + 40 : n // 2 + 80] = -0.0
    flat[2 * n // 3 : 2 * n // 3 + 30] = info.max * np.linspace(-1, 1, 30).astype(dtype)
    flat[3 * n // 4 : 3 * n // 4 + 50] = info.tiny * np.linspace(1, 3, 50).astype(dtype)
    flat[4 * n // 5 :] = 0
    return a


def cases():
    out = []
    metas = {
        "acc": [-10, -3, 0, -20],
        "prec": [12, 4, 20, 64],
        "rate": [25, 10, 50, 80],
    }
    for dtype in ("f4", "f8"):
        for ndim in (1, 2, 3, 4):
            for mode in ("acc", "prec", "rate"):
                meta = metas[mode][ndim - 1]
                scale = {1: 1.0, 2: 1e3, 3: 1e-3, 4: 7.0}[ndim]
                out.append((f"{mode}{meta}-{dtype}-{ndim}d", mode, meta, dtype, ndim, "smooth", scale))
    # Special values, each mode, 2-D and 3-D; extreme metas.
    for dtype in ("f4", "f8"):
        for mode, meta in (("acc", -6), ("prec", 16), ("rate", 40)):
            out.append((f"{mode}{meta}-{dtype}-3d-special", mode, meta, dtype, 3, "special", 1.0))
            # 1-D: zfp cells of 4 consecutive values lie wholly inside the special runs.
            out.append((f"{mode}{meta}-{dtype}-1d-special", mode, meta, dtype, 1, "special", 1.0))
        out.append((f"acc5-{dtype}-2d", "acc", 5, dtype, 2, "smooth", 1e6))
        out.append((f"acc-128-{dtype}-2d", "acc", -128, dtype, 2, "smooth", 1.0))
        out.append((f"prec0-{dtype}-2d", "prec", 0, dtype, 2, "smooth", 1.0))
        out.append((f"prec255-{dtype}-1d", "prec", 255, dtype, 1, "smooth", 1.0))
        out.append((f"rate0-{dtype}-2d", "rate", 0, dtype, 2, "smooth", 1.0))
        out.append((f"rate100-{dtype}-3d", "rate", 100, dtype, 3, "smooth", 1.0))
    # Not rate metas much above 100: C-Blosc2 sizes its zfp buffer for at most 64 bit planes,
    # and zfp's fixed-rate padding then writes past it (a heap overflow in the reference).
    return out


def build(case, seed):
    name, mode, meta, dtype, ndim, kind, scale = case
    shape, chunks, blocks = GEOMETRY[ndim]
    data = special(shape, dtype, seed) if kind == "special" else smooth(shape, dtype, seed, scale)
    cparams = blosc2.CParams(codec=CODECS[mode], codec_meta=meta & 0xFF, filters=[], filters_meta=[], nthreads=1)
    arr = blosc2.asarray(data, chunks=chunks, blocks=blocks, cparams=cparams)
    plain = blosc2.asarray(
        data, chunks=chunks, blocks=blocks, cparams=blosc2.CParams(codec=blosc2.Codec.LZ4, filters=[], filters_meta=[])
    )
    blob = bytearray()
    entries = []
    for i in range(arr.schunk.nchunks):
        chunk = bytes(arr.schunk.get_chunk(i))
        inp = bytes(plain.schunk.decompress_chunk(i))
        out = bytes(arr.schunk.decompress_chunk(i))
        assert len(inp) == len(out)
        e = {}
        for key, b in (("chunk", chunk), ("input", inp), ("output", out)):
            e[key] = [len(blob), len(b)]
            blob += b
        entries.append(e)
    meta_info = {
        "name": name,
        "codec": CODECS[mode].value,
        "codec_meta": meta & 0xFF,
        "dtype": dtype,
        "typesize": int(np.dtype(dtype).itemsize),
        "shape": list(shape),
        "chunks": list(chunks),
        "blocks": list(blocks),
        "data": kind,
        "file": f"{name}.bin",
        "sha256": hashlib.sha256(blob).hexdigest(),
        "chunk_entries": entries,
    }
    return meta_info, bytes(blob)


def main():
    verify = "--verify" in sys.argv
    manifest = {
        "description": "ZFP plugin codec chunks written by python-blosc2; see gen_zfp.py",
        "python_blosc2_version": blosc2.__version__,
        "c_blosc2_version": blosc2.blosclib_version,
        "numpy_version": np.__version__,
        "cases": [],
    }
    old = json.loads((HERE / "manifest.json").read_text()) if verify else None
    for seed, case in enumerate(cases()):
        info, blob = build(case, seed)
        path = HERE / info["file"]
        if verify:
            want = next(c for c in old["cases"] if c["name"] == info["name"])
            assert hashlib.sha256(path.read_bytes()).hexdigest() == want["sha256"], f"{path} changed"
            assert info["sha256"] == want["sha256"], f"{info['name']}: python-blosc2 now writes other bytes"
        else:
            path.write_bytes(blob)
        manifest["cases"].append(info)
    if not verify:
        (HERE / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(manifest['cases'])} cases {'verified' if verify else 'written'}")


if __name__ == "__main__":
    main()
