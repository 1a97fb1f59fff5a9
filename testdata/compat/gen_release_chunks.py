#!/usr/bin/env python3
"""Write chunks and frames with one release of python-blosc (C-Blosc 1.x) or python-blosc2.

Run by gen_releases.sh, once per release, with the Python of a throwaway venv that has that
release (and only it) installed:

    python gen_release_chunks.py --package blosc2 --out releases/blosc2-2.5.1

It writes every file under --out and a manifest.json listing, for each file: the package,
version and C library version, the API call that wrote it, codec, filters (+ meta), typesize,
clevel, blocksize and split mode asked for, the data recipe, the SHA-256 of the original data,
the fields of the chunk's 16-byte header (chunks) and what the writing release itself decodes
it to (SHA-256, or its error).

Data recipes (all little-endian, reproducible in any language; see README.md):

* intseq w n:      n integers i mod 2**(8w), w bytes each (i = 0..n-1)
* smooth_f64 n:    the first n bytes of the float64 values i/3 + (i mod 17)
* random n seed:   the first n bytes of the splitmix64 outputs z_1, z_2, ... for `seed`
* const b n:       n bytes equal to b

Only the standard library is used, so releases without numpy work too. Every call uses one
thread, so the output is the same on every run.
"""

import argparse
import hashlib
import inspect
import json
import os
import struct
import sys

MASK64 = (1 << 64) - 1


# ------------------------------------------------------------------------------------------
# Data recipes
# ------------------------------------------------------------------------------------------
def sm64(seed, j):
    z = (seed + (j + 1) * 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def make_data(recipe):
    kind = recipe["kind"]
    if kind == "intseq":
        w, n = recipe["width"], recipe["count"]
        m = (1 << (8 * w)) - 1
        return b"".join((i & m).to_bytes(w, "little") for i in range(n))
    if kind == "smooth_f64":
        n = recipe["nbytes"]
        k = (n + 7) // 8
        return b"".join(struct.pack("<d", i / 3 + (i % 17)) for i in range(k))[:n]
    if kind == "random":
        n, seed = recipe["nbytes"], recipe["seed"]
        return b"".join(sm64(seed, j).to_bytes(8, "little") for j in range((n + 7) // 8))[:n]
    if kind == "const":
        return bytes([recipe["byte"]]) * recipe["nbytes"]
    raise ValueError(kind)


def intseq(w, n):
    return {"kind": "intseq", "width": w, "count": n}


def smooth(nbytes):
    return {"kind": "smooth_f64", "nbytes": nbytes}


def rand(nbytes, seed):
    return {"kind": "random", "nbytes": nbytes, "seed": seed}


def const(b, nbytes):
    return {"kind": "const", "byte": b, "nbytes": nbytes}


def recipe_tag(r):
    if r["kind"] == "intseq":
        return f"int{8 * r['width']}x{r['count']}"
    if r["kind"] == "smooth_f64":
        return f"f64s{r['nbytes']}"
    if r["kind"] == "random":
        return f"rand{r['nbytes']}s{r['seed']}"
    return f"const{r['byte']}x{r['nbytes']}"


# The small data sets of the full codec x filter x typesize x clevel product: a few KB each,
# one block at the automatic block size.
N_SMALL = 250
SMALL = [(intseq(w, N_SMALL), w) for w in (1, 2, 3, 4, 8)] + [(smooth(8 * N_SMALL), 8)]
# Larger data sets (10-100 KB, not a multiple of the block size): several blocks, at a forced
# block size (BS, 2 KB) or at the automatic one for AUTO_INT.
BIG_INT = intseq(4, 2_501)
BIG_F64 = smooth(8 * 1_501)
AUTO_INT = intseq(4, 25_001)
BS = 2048
CLEVELS = (1, 9)
CODECS = ("blosclz", "lz4", "lz4hc", "zlib", "zstd")


def sha(b):
    return hashlib.sha256(b).hexdigest()


def header_fields(c):
    """Version, versionlz and flags bytes of a chunk's header (the rest the test reads itself)."""
    if len(c) < 16:
        return None
    return {"version": c[0], "versionlz": c[1], "flags": f"{c[2]:#04x}"}


class Writer:
    def __init__(self, out, package, version, clib, earlier):
        self.out = out
        self.package = package
        self.version = version
        self.clib = clib
        self.earlier = earlier
        self.files = []
        self.not_written = []
        self.names = set()
        os.makedirs(out, exist_ok=True)

    def add(self, name, payload, kind, api, recipe, params, decode):
        """Writes one file and its manifest entry. `decode` is the writing release's own
        decoder (bytes -> bytes), run now to record what that release reads back.

        When an earlier release's directory (in --same-bytes-in) holds a file of this name with
        these very bytes, the file is not written again: the entry names that release in
        "same_bytes_as" instead."""
        assert name not in self.names, name
        self.names.add(name)
        data = make_data(recipe)
        entry = {"file": name, "kind": kind, "api": api, **params, "data": recipe, "nbytes": len(data),
                 "sha256": sha(data), "size": len(payload), "payload_sha256": sha(payload)}
        same = None
        for d in self.earlier:
            p = os.path.join(d, name)
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    if f.read() == payload:
                        same = os.path.basename(os.path.normpath(d))
                        break
        if same:
            entry["same_bytes_as"] = same
        else:
            path = os.path.join(self.out, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(payload)
        if kind == "chunk":
            entry["header"] = header_fields(payload)
        try:
            back = decode(payload)
            if params.get("layout") == "b2nd":  # the chunks hold the array in its chunk layout
                entry["writer_roundtrip"] = bytes(decode_b2nd(payload)) == data
                entry["writer_decoded_sha256"] = sha(back)
            else:
                entry["writer_roundtrip"] = back == data
                if back != data:
                    entry["writer_decoded_sha256"] = sha(back)
        except Exception as e:  # the writing release may not read its own output back
            entry["writer_roundtrip"] = False
            entry["writer_error"] = f"{type(e).__name__}: {e}"
        self.files.append(entry)

    def refused(self, name, err):
        """Records a call the release refused (nothing is written for it)."""
        self.not_written.append({"file": name, "error": f"{type(err).__name__}: {err}"})

    def finish(self):
        head = {
            "package": self.package,
            "version": self.version,
            "clib": self.clib,
            "python": sys.version.split()[0],
            "generator": "gen_release_chunks.py",
        }
        # One file entry a line: small, and readable with grep.
        lines = ["{"]
        lines += [f" {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
        lines.append(' "files": [')
        lines.append(",\n".join("  " + json.dumps(e, separators=(",", ":")) for e in self.files))
        lines.append(" ],")
        lines.append(' "not_written": [')
        lines.append(",\n".join("  " + json.dumps(e, separators=(",", ":")) for e in self.not_written))
        lines.append(" ]")
        lines.append("}")
        with open(os.path.join(self.out, "manifest.json"), "w") as f:
            f.write("\n".join(lines) + "\n")
        json.load(open(os.path.join(self.out, "manifest.json")))
        total = sum(e["size"] for e in self.files)
        own = sum(e["size"] for e in self.files if "same_bytes_as" not in e)
        bad = [e["file"] for e in self.files if not e["writer_roundtrip"] and not e.get("lossy")]
        print(f"{self.package}-{self.version} (C {self.clib}): {len(self.files)} files, {total} bytes"
              f" ({own} bytes in files not already in an earlier release);"
              f" lossless but not read back as the original by the writer: {bad};"
              f" not written (the release refused the call): {[e['file'] for e in self.not_written]}")


def decode_b2nd(payload):
    """The array of a b2nd frame, C order, as the writing release reads it."""
    import tempfile

    import blosc2

    if hasattr(blosc2, "ndarray_from_cframe"):
        return blosc2.ndarray_from_cframe(payload)[...].tobytes()
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "a.b2nd")
        with open(p, "wb") as f:
            f.write(payload)
        return blosc2.open(p)[...].tobytes()


def set_env(**kv):
    for k, v in kv.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


# ------------------------------------------------------------------------------------------
# python-blosc (C-Blosc 1.x): only the Blosc1 API.
# ------------------------------------------------------------------------------------------
def gen_blosc(out, earlier):
    import blosc

    clib = blosc.blosclib_version.split()[0]
    w = Writer(out, "blosc", blosc.__version__, clib, earlier)
    blosc.set_nthreads(1)
    shuffles = {"noshuffle": blosc.NOSHUFFLE, "shuffle": blosc.SHUFFLE, "bitshuffle": blosc.BITSHUFFLE}
    codecs = [c for c in CODECS if c in blosc.compressor_list()]

    def comp(name, recipe, typesize, clevel, shuffle, codec, blocksize=0, env=None, note=None):
        blosc.set_blocksize(blocksize)
        if env:
            set_env(**env)
        try:
            c = blosc.compress(make_data(recipe), typesize=typesize, clevel=clevel,
                               shuffle=shuffles[shuffle], cname=codec)
        finally:
            if env:
                set_env(**{k: None for k in env})
            blosc.set_blocksize(0)
        params = {"codec": codec, "filters": [shuffle], "typesize": typesize, "clevel": clevel,
                  "blocksize": blocksize}
        if env:
            params["env"] = env
        if note:
            params["note"] = note
        w.add(name, c, "chunk", "blosc.compress", recipe, params, blosc.decompress)

    for codec in codecs:
        for shuffle in shuffles:
            for recipe, t in SMALL:
                for cl in CLEVELS:
                    comp(f"b1/{codec}-{shuffle}-t{t}-cl{cl}-{recipe_tag(recipe)}.chunk",
                         recipe, t, cl, shuffle, codec)
        # Several blocks: a forced 4 KB block size, and the automatic one on 100 KB.
        for shuffle in shuffles:
            if shuffle != "noshuffle":  # unshuffled, the int sequence barely compresses: kept small
                comp(f"b1-blocks/{codec}-{shuffle}-t4-cl5-bs{BS}-{recipe_tag(BIG_INT)}.chunk", BIG_INT, 4, 5,
                     shuffle, codec, blocksize=BS)
            comp(f"b1-blocks/{codec}-{shuffle}-t8-cl5-bs{BS}-{recipe_tag(BIG_F64)}.chunk",
                 BIG_F64, 8, 5, shuffle, codec, blocksize=BS)
        comp(f"b1-blocks/{codec}-shuffle-t4-cl1-{recipe_tag(AUTO_INT)}.chunk", AUTO_INT, 4, 1, "shuffle", codec)
        # A length that is not a multiple of the typesize (leftover bytes).
        comp(f"b1-edge/{codec}-shuffle-t8-cl5-leftover-{recipe_tag(smooth(8 * 1501 + 5))}.chunk",
             smooth(8 * 1501 + 5), 8, 5, "shuffle", codec, blocksize=BS)
        # clevel 0 and incompressible data: memcpyed chunks.
        comp(f"b1-edge/{codec}-shuffle-t4-cl0-{recipe_tag(intseq(4, 301))}.chunk", intseq(4, 301), 4, 0,
             "shuffle", codec)
        comp(f"b1-edge/{codec}-noshuffle-t1-cl9-{recipe_tag(rand(3001, 7))}.chunk", rand(3001, 7), 1, 9,
             "noshuffle", codec)
        # Below the minimum buffer size (128 bytes).
        comp(f"b1-edge/{codec}-shuffle-t4-cl5-tiny-{recipe_tag(intseq(4, 25))}.chunk", intseq(4, 25), 4, 5,
             "shuffle", codec)
        # Split modes through the environment (C-Blosc >= 1.17 reads BLOSC_SPLITMODE).
        for mode in ("ALWAYS", "NEVER"):
            comp(f"b1-edge/{codec}-shuffle-t4-cl5-bs{BS}-split{mode.lower()}-{recipe_tag(BIG_INT)}.chunk", BIG_INT,
                 4, 5, "shuffle", codec, blocksize=BS, env={"BLOSC_SPLITMODE": mode})
        comp(f"b1-edge/{codec}-noshuffle-t1-cl5-bs{BS}-{recipe_tag(const(42, 10_000))}.chunk", const(42, 10_000), 1, 5,
             "noshuffle", codec, blocksize=BS)
    w.finish()


# ------------------------------------------------------------------------------------------
# python-blosc2 (C-Blosc2 2.x/3.x): the Blosc1-style API, compress2 and super-chunk frames.
# ------------------------------------------------------------------------------------------
def gen_blosc2(out, earlier):
    import blosc2

    clib = blosc2.blosclib_version.split()[0]
    w = Writer(out, "blosc2", blosc2.__version__, clib, earlier)
    blosc2.set_nthreads(1)
    F, C = blosc2.Filter, blosc2.Codec
    SM = blosc2.SplitMode
    codecs = [c for c in CODECS if hasattr(C, c.upper())]
    has = {f.name for f in F}

    def dec(c):
        return bytes(blosc2.decompress(c))

    # --- Blosc1-style API: blosc2.compress (C: blosc2_compress, the global context) ---------
    basic = {"noshuffle": F.NOFILTER, "shuffle": F.SHUFFLE, "bitshuffle": F.BITSHUFFLE}

    def comp(name, recipe, typesize, clevel, filt, codec, blocksize=0, env=None, note=None):
        if hasattr(blosc2, "set_blocksize"):
            blosc2.set_blocksize(blocksize)
        else:
            assert blocksize == 0
        if env:
            set_env(**env)
        try:
            c = blosc2.compress(make_data(recipe), typesize=typesize, clevel=clevel, filter=basic[filt],
                                codec=C[codec.upper()])
        finally:
            if env:
                set_env(**{k: None for k in env})
            if hasattr(blosc2, "set_blocksize"):
                blosc2.set_blocksize(0)
        params = {"codec": codec, "filters": [filt], "typesize": typesize, "clevel": clevel,
                  "blocksize": blocksize}
        if env:
            params["env"] = env
        if note:
            params["note"] = note
        w.add(name, bytes(c), "chunk", "blosc2.compress", recipe, params, dec)

    # The extended header these calls write is the one compress2 writes (below, with the whole
    # product), so a smaller set here.
    for codec in codecs:
        for filt in basic:
            for recipe, t in (SMALL[3], SMALL[5]):
                comp(f"b1/{codec}-{filt}-t{t}-cl5-{recipe_tag(recipe)}.chunk", recipe, t, 5, filt, codec)
        comp(f"b1/{codec}-shuffle-t4-cl5-bs{BS}-{recipe_tag(BIG_INT)}.chunk", BIG_INT, 4, 5, "shuffle", codec,
             blocksize=BS)

    # The same call with BLOSC_BLOSC1_COMPAT set: C-Blosc2 writes the plain 16-byte header (its
    # version byte is C-Blosc2's own), as HDF5/Blosc1 users of C-Blosc2 get. BLOSC_DELTA and
    # BLOSC_SPLITMODE are global once read, so every call here names both.
    compat = {"BLOSC_BLOSC1_COMPAT": "1", "BLOSC_DELTA": "0", "BLOSC_SPLITMODE": "FORWARD_COMPAT"}
    for codec in codecs:
        for filt in basic:
            for recipe, t in SMALL:
                for cl in CLEVELS:
                    comp(f"b1compat/{codec}-{filt}-t{t}-cl{cl}-{recipe_tag(recipe)}.chunk", recipe, t, cl, filt,
                         codec, env=compat)
            comp(f"b1compat/{codec}-{filt}-t8-cl5-bs{BS}-{recipe_tag(BIG_F64)}.chunk", BIG_F64, 8, 5, filt, codec,
                 blocksize=BS, env=compat)
        comp(f"b1compat/{codec}-shuffle-t4-cl1-{recipe_tag(AUTO_INT)}.chunk", AUTO_INT, 4, 1, "shuffle", codec,
             env=compat)
        for filt in ("shuffle", "bitshuffle"):
            comp(f"b1compat/{codec}-delta-{filt}-t4-cl5-bs{BS}-{recipe_tag(BIG_INT)}.chunk", BIG_INT, 4, 5, filt,
                 codec, blocksize=BS, env={**compat, "BLOSC_DELTA": "1"},
                 note="BLOSC_DELTA=1: delta filter, flag 0x08 of the 16-byte header")
        for mode in ("ALWAYS", "NEVER"):
            comp(f"b1compat/{codec}-shuffle-t4-cl5-bs{BS}-split{mode.lower()}-{recipe_tag(BIG_INT)}.chunk", BIG_INT,
                 4, 5, "shuffle", codec, blocksize=BS, env={**compat, "BLOSC_SPLITMODE": mode})
        comp(f"b1compat/{codec}-shuffle-t4-cl0-{recipe_tag(intseq(4, 301))}.chunk", intseq(4, 301), 4, 0,
             "shuffle", codec, env=compat)
    # Leave the global state as C-Blosc2 starts (delta off, forward-compatible splits).
    set_env(BLOSC_DELTA="0", BLOSC_SPLITMODE="FORWARD_COMPAT")
    blosc2.compress(b"\0" * 64, typesize=1)
    set_env(BLOSC_DELTA=None, BLOSC_SPLITMODE=None)

    # --- Blosc2 API: compress2 (C: blosc2_compress_ctx, extended header) --------------------
    def pipeline(spec, t):
        """Filter pipeline (names, meta) for a filter spec at typesize t, or None if this release
        or typesize can not have it."""
        if spec in ("noshuffle", "shuffle", "bitshuffle"):
            return [{"noshuffle": "NOFILTER", "shuffle": "SHUFFLE", "bitshuffle": "BITSHUFFLE"}[spec]], [0]
        if spec == "delta":
            return ["DELTA", "SHUFFLE"], [0, 0]
        if spec == "delta-bitshuffle":
            return ["DELTA", "BITSHUFFLE"], [0, 0]
        if spec == "trunc_prec":  # lossy, floats only
            return (["TRUNC_PREC", "SHUFFLE"], [20, 0]) if t == 8 else None
        if spec == "bytedelta":
            return (["SHUFFLE", "BYTEDELTA"], [0, t]) if "BYTEDELTA" in has and t > 1 else None
        if spec == "int_trunc":  # lossy, integers only
            return (["INT_TRUNC", "SHUFFLE"], [8 * t - 3, 0]) if "INT_TRUNC" in has and t in (2, 4) else None
        raise ValueError(spec)

    def comp2(name, recipe, typesize, clevel, spec, codec, blocksize=0, splitmode=None, use_dict=False):
        names, meta = pipeline(spec, typesize)
        kw = {"codec": C[codec.upper()], "clevel": clevel, "typesize": typesize,
              "filters": [F[n] for n in names], "filters_meta": meta, "blocksize": blocksize, "nthreads": 1}
        if splitmode is not None:
            kw["splitmode"] = SM[splitmode]
        if use_dict:
            kw["use_dict"] = True
        try:
            c = blosc2.compress2(make_data(recipe), **kw)
        except Exception as e:
            w.refused(name, e)
            return
        params = {"codec": codec, "filters": [n.lower() for n in names], "filters_meta": meta,
                  "typesize": typesize, "clevel": clevel, "blocksize": blocksize,
                  "splitmode": splitmode or "default", "use_dict": use_dict,
                  "lossy": spec in ("trunc_prec", "int_trunc")}
        w.add(name, bytes(c), "chunk", "blosc2.compress2", recipe, params, dec)

    for codec in codecs:
        for spec in ("noshuffle", "shuffle", "bitshuffle"):
            for recipe, t in SMALL:
                for cl in CLEVELS:
                    comp2(f"b2/{codec}-{spec}-t{t}-cl{cl}-{recipe_tag(recipe)}.chunk", recipe, t, cl, spec, codec)
        for spec in ("delta", "delta-bitshuffle", "trunc_prec", "bytedelta", "int_trunc"):
            for recipe, t in SMALL:
                if pipeline(spec, t) is None:
                    continue
                if spec == "trunc_prec" and recipe["kind"] != "smooth_f64":
                    continue
                comp2(f"b2-filters/{codec}-{spec}-t{t}-cl5-{recipe_tag(recipe)}.chunk", recipe, t, 5, spec, codec)
        comp2(f"b2-blocks/{codec}-shuffle-t4-cl1-{recipe_tag(AUTO_INT)}.chunk", AUTO_INT, 4, 1, "shuffle", codec)
        for spec in ("noshuffle", "shuffle", "bitshuffle", "delta", "bytedelta"):
            if pipeline(spec, 4) is None:
                continue
            if spec != "noshuffle":  # unshuffled, the int sequence barely compresses: kept small
                comp2(f"b2-blocks/{codec}-{spec}-t4-cl5-bs{BS}-{recipe_tag(BIG_INT)}.chunk", BIG_INT, 4, 5, spec,
                      codec, blocksize=BS)
            comp2(f"b2-blocks/{codec}-{spec}-t8-cl5-bs{BS}-{recipe_tag(BIG_F64)}.chunk", BIG_F64, 8, 5, spec, codec,
                  blocksize=BS)
        for mode in ("ALWAYS_SPLIT", "NEVER_SPLIT", "AUTO_SPLIT", "FORWARD_COMPAT_SPLIT"):
            comp2(f"b2-edge/{codec}-shuffle-t8-cl5-bs{BS}-{mode.lower()}-{recipe_tag(BIG_F64)}.chunk", BIG_F64, 8, 5,
                  "shuffle", codec, blocksize=BS, splitmode=mode)
        if codec in ("lz4", "lz4hc", "zstd"):
            comp2(f"b2-edge/{codec}-shuffle-t4-cl5-bs{BS}-dict-{recipe_tag(BIG_INT)}.chunk", BIG_INT, 4, 5, "shuffle",
                  codec, blocksize=BS, use_dict=True)
            comp2(f"b2-edge/{codec}-noshuffle-t8-cl5-bs{BS}-dict-{recipe_tag(BIG_F64)}.chunk", BIG_F64, 8, 5,
                  "noshuffle", codec, blocksize=BS, use_dict=True)
        comp2(f"b2-edge/{codec}-shuffle-t8-cl5-bs{BS}-leftover-{recipe_tag(smooth(8 * 1501 + 5))}.chunk",
              smooth(8 * 1501 + 5), 8, 5, "shuffle", codec, blocksize=BS)
        comp2(f"b2-edge/{codec}-shuffle-t4-cl0-{recipe_tag(intseq(4, 301))}.chunk", intseq(4, 301), 4, 0,
              "shuffle", codec)
        comp2(f"b2-edge/{codec}-noshuffle-t1-cl9-{recipe_tag(rand(3001, 7))}.chunk", rand(3001, 7), 1, 9,
              "noshuffle", codec)
        comp2(f"b2-edge/{codec}-shuffle-t4-cl5-tiny-{recipe_tag(intseq(4, 25))}.chunk", intseq(4, 25), 4, 5,
              "shuffle", codec)
        comp2(f"b2-edge/{codec}-noshuffle-t1-cl5-bs{BS}-{recipe_tag(const(42, 10_000))}.chunk", const(42, 10_000), 1,
              5, "noshuffle", codec, blocksize=BS)
        comp2(f"b2-edge/{codec}-shuffle-t8-cl5-{recipe_tag(const(0, 40_000))}.chunk", const(0, 40_000), 8, 5,
              "shuffle", codec)

    # --- Super-chunks as contiguous frames (SChunk.to_cframe) --------------------------------
    def frame(name, recipe, chunksize, cparams, note=None):
        data = make_data(recipe)
        cp = dict(cparams)
        cp["nthreads"] = 1
        cpk = dict(cp)
        cpk["codec"] = C[cp["codec"].upper()]
        cpk["filters"] = [F[n.upper()] for n in cp["filters"]]
        if "splitmode" in cp:
            cpk["splitmode"] = SM[cp["splitmode"]]
        try:
            s = blosc2.SChunk(chunksize=chunksize, data=data, cparams=cpk, dparams={"nthreads": 1})
            payload = bytes(s.to_cframe())
        except Exception as e:
            w.refused(name, e)
            return

        def read_back(b):
            s2 = blosc2.schunk_from_cframe(b, copy=True)
            n = (len(data) + chunksize - 1) // chunksize
            return b"".join(bytes(s2.decompress_chunk(i)) for i in range(n))

        params = {"chunksize": chunksize, "nchunks": (len(data) + chunksize - 1) // chunksize, **cp}
        params.pop("nthreads")
        if note:
            params["note"] = note
        w.add(name, payload, "frame", "blosc2.SChunk.to_cframe", recipe, params, read_back)

    for codec in codecs:
        frame(f"frames/{codec}-shuffle-t4-cl5-{recipe_tag(BIG_INT)}.b2frame", BIG_INT, 4_096,
              {"codec": codec, "clevel": 5, "typesize": 4, "filters": ["shuffle"], "filters_meta": [0]},
              note="last chunk partial")
    frame(f"frames/zstd-delta-bitshuffle-t8-cl9-{recipe_tag(BIG_F64)}.b2frame", BIG_F64, 5_000,
          {"codec": "zstd", "clevel": 9, "typesize": 8, "filters": ["delta", "bitshuffle"], "filters_meta": [0, 0],
           "blocksize": 4096})
    frame(f"frames/zstd-shuffle-t4-cl5-dict-{recipe_tag(AUTO_INT)}.b2frame", AUTO_INT, 40_000,
          {"codec": "zstd", "clevel": 5, "typesize": 4, "filters": ["shuffle"], "filters_meta": [0],
           "blocksize": 4096, "use_dict": True})
    # --- b2nd arrays (NDArray frames), where the release has them ----------------------------
    # The chunks of a b2nd frame hold the array in its chunk/block layout (padded at the
    # edges), not the data recipe's bytes in order: their content is what the writer decodes.
    if hasattr(blosc2, "NDArray"):
        import numpy as np

        def b2nd(name, recipe, dtype, shape, chunks, blocks, cparams):
            data = make_data(recipe)
            cp = dict(cparams)
            cpk = {"codec": C[cp["codec"].upper()], "clevel": cp["clevel"], "nthreads": 1,
                   "filters": [F[n.upper()] for n in cp["filters"]], "filters_meta": cp["filters_meta"]}
            try:
                a = np.frombuffer(data, dtype=dtype).reshape(shape)
                x = blosc2.asarray(a, chunks=chunks, blocks=blocks, cparams=cpk)
                payload = bytes(x.schunk.to_cframe())
            except Exception as e:
                w.refused(name, e)
                return

            def read_back(b):
                s2 = blosc2.schunk_from_cframe(b, copy=True)
                return b"".join(bytes(s2.decompress_chunk(i)) for i in range(s2.nchunks))

            params = {"dtype": dtype, "shape": list(shape), "chunks": list(chunks), "blocks": list(blocks),
                      "typesize": np.dtype(dtype).itemsize, **cp, "layout": "b2nd"}
            w.add(name, payload, "frame", "blosc2.asarray.schunk.to_cframe", recipe, params, read_back)

        b2nd(f"b2nd/zstd-shuffle-int32-50x41-{recipe_tag(intseq(4, 2050))}.b2nd", intseq(4, 2050), "<i4", (50, 41),
             (20, 16), (7, 5), {"codec": "zstd", "clevel": 5, "filters": ["shuffle"], "filters_meta": [0]})
        b2nd(f"b2nd/lz4-bitshuffle-f64-3d-{recipe_tag(smooth(8 * 1573))}.b2nd", smooth(8 * 1573), "<f8",
             (11, 13, 11), (5, 6, 11), (3, 2, 4),
             {"codec": "lz4", "clevel": 9, "filters": ["bitshuffle"], "filters_meta": [0]})

    frame(f"frames/zstd-shuffle-t8-cl5-{recipe_tag(const(0, 40_000))}.b2frame", const(0, 40_000), 16_384,
          {"codec": "zstd", "clevel": 5, "typesize": 8, "filters": ["shuffle"], "filters_meta": [0]},
          note="all-zero data")
    w.finish()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", choices=("blosc", "blosc2"), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--same-bytes-in", nargs="*", default=[], metavar="DIR",
                    help="earlier releases' directories: a file with the same name and bytes there is not written again")
    a = ap.parse_args()
    for k in list(os.environ):
        if k.startswith("BLOSC_"):
            del os.environ[k]
    if a.package == "blosc":
        gen_blosc(a.out, a.same_bytes_in)
    else:
        gen_blosc2(a.out, a.same_bytes_in)


if __name__ == "__main__":
    main()
