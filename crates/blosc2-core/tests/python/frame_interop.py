"""python-blosc2 side of the frame interoperability test (tests/frame_interop.rs).

Usage: frame_interop.py DIR

1. Checks the frames the Rust side wrote, listed in DIR/ours.json: python-blosc2 opens each
   (contiguous file or sparse directory, or an in-memory cframe via blosc2.from_cframe),
   and its chunks, items (get_slice), metalayers (raw bytes) and vlmetalayers (msgpack
   bytes) equal what the Rust side recorded.
2. Writes frames after appends, inserts, updates, deletes and special chunks, contiguous
   and sparse and as an in-memory cframe, and records their expected content in
   DIR/theirs.json for the Rust side.

Writes DIR/results.json: {"checked": N, "failures": [...]}.
"""

import json
import os
import sys

import numpy as np

import blosc2
from blosc2 import blosc2_ext


def meta_raw(s, name):
    return bytes(blosc2_ext.meta__getitem__(s.meta.schunk, name))


def check_ours(d, failures):
    with open(os.path.join(d, "ours.json")) as f:
        cases = json.load(f)
    checked = 0
    for c in cases:
        name = c["name"]
        path = os.path.join(d, c["path"])
        try:
            if c.get("cframe"):
                s = blosc2.schunk_from_cframe(open(path, "rb").read(), copy=True)
            else:
                s = blosc2.open(path)
        except Exception as e:  # noqa: BLE001 - any failure is a test failure
            failures.append(f"{name}: python-blosc2 cannot open our frame: {e}")
            continue
        expected = open(os.path.join(d, c["content"]), "rb").read()
        if s.nchunks != c["nchunks"]:
            failures.append(f"{name}: nchunks {s.nchunks} != {c['nchunks']}")
            continue
        got = b""
        for i in range(s.nchunks):
            try:
                got += s.decompress_chunk(i)
            except Exception as e:  # noqa: BLE001
                failures.append(f"{name}: chunk {i}: {e}")
        if got != expected:
            failures.append(f"{name}: chunk contents differ ({len(got)} vs {len(expected)} bytes)")
        ts = s.typesize
        for start, stop in c["slices"]:
            try:
                sl = bytes(s.get_slice(start, stop))
            except Exception as e:  # noqa: BLE001
                failures.append(f"{name}: get_slice({start}, {stop}): {e}")
                continue
            if sl != expected[start * ts:stop * ts]:
                failures.append(f"{name}: get_slice({start}, {stop}) differs")
        names = list(s.meta.keys())
        if names != [m[0] for m in c["metalayers"]]:
            failures.append(f"{name}: metalayer names {names}")
        for mname, mhex in c["metalayers"]:
            if meta_raw(s, mname).hex() != mhex:
                failures.append(f"{name}: metalayer {mname} differs")
        vnames = list(s.vlmeta.getall().keys()) if len(s.vlmeta) else []
        if vnames != [v[0] for v in c["vlmetalayers"]]:
            failures.append(f"{name}: vlmetalayer names {vnames}")
        for vname, vhex in c["vlmetalayers"]:
            if bytes(s.vlmeta.get_vlmeta(vname)).hex() != vhex:
                failures.append(f"{name}: vlmetalayer {vname} differs")
        checked += 1
    return checked


def record(d, name, path, s, out, cframe=False):
    content = b"".join(s.decompress_chunk(i) for i in range(s.nchunks))
    cpath = name + ".content"
    open(os.path.join(d, cpath), "wb").write(content)
    out.append({
        "name": name, "path": os.path.basename(path), "cframe": cframe, "content": cpath,
        "nchunks": s.nchunks, "chunksize": s.chunksize, "typesize": s.typesize,
        "chunk_nbytes": [len(s.decompress_chunk(i)) for i in range(s.nchunks)],
        "metalayers": [[m, meta_raw(s, m).hex()] for m in s.meta.keys()],
        "vlmetalayers": [[v, bytes(s.vlmeta.get_vlmeta(v)).hex()] for v in
                         (s.vlmeta.getall().keys() if len(s.vlmeta) else [])],
    })


def write_theirs(d):
    out = []
    cp = blosc2.CParams(codec=blosc2.Codec.LZ4, clevel=5, typesize=4, nthreads=1)
    dp = blosc2.DParams(nthreads=1)
    for contiguous in (True, False):
        name = "theirs-edited" if contiguous else "theirs-sparse"
        path = os.path.join(d, name + ".b2frame")
        blosc2.remove_urlpath(path)
        s = blosc2.SChunk(chunksize=4000, urlpath=path, contiguous=contiguous, cparams=cp, dparams=dp,
                          meta={"m1": [1, 2, 3], "kind": "edited"})
        for k in range(6):
            s.append_data(np.arange(1000, dtype="<i4") * (k + 1))
        s.insert_chunk(2, blosc2.compress2(np.full(1000, -1, "<i4"), cparams=cp))
        s.update_chunk(0, blosc2.compress2(np.arange(1000, dtype="<i4")[::-1].copy(), cparams=cp))
        s.update_chunk(4, blosc2.compress2(np.zeros(1000, "<i4"), cparams=cp))
        s.delete_chunk(1)
        t = blosc2.SChunk(chunksize=4000, cparams=cp)
        t.fill_special(1000, blosc2.SpecialValue.NAN)
        s.append_chunk(t.get_chunk(0))
        s.append_data(np.arange(300, dtype="<i4"))
        s.vlmeta["note"] = {"edited": True, "n": [1, 2]}
        s.vlmeta["gone"] = "x"
        s.vlmeta["text"] = "hello" * 20
        del s.vlmeta["gone"]
        meta = {"m1": [1, 2, 3], "kind": "edited"}
        assert blosc2.open(path).meta["m1"] == meta["m1"]
        record(d, name, path, blosc2.open(path), out)
    # Frames we wrote (one changed in place on disk, with holes), changed by python-blosc2.
    import shutil
    for src in ("ours-basic.b2frame", "ours-disk.b2frame"):
        path = os.path.join(d, "theirs-from-" + src)
        shutil.copy(os.path.join(d, src), path)
        s = blosc2.open(path, mode="a")
        if s.chunksize == 0:
            s.append_data(np.arange(300, dtype="<i4"))
            s.insert_chunk(1, blosc2.compress2(np.full(1000, 5, "<i4"), cparams=cp))
        else:
            # Appending after the short last chunk would make the frame variable-size, and
            # C-Blosc2 3.3.5 then cannot read its own special-offset chunks (it gives them
            # 0 bytes): only changes that keep the chunk size here.
            s.update_chunk(0, blosc2.compress2(np.full(1000, 5, "<i4"), cparams=cp))
        s.delete_chunk(2)
        s.vlmeta["python"] = [1, 2]
        record(d, "theirs-from-" + src, path, blosc2.open(path), out)
    # A variable-chunksize frame.
    path = os.path.join(d, "theirs-variable.b2frame")
    blosc2.remove_urlpath(path)
    s = blosc2.SChunk(chunksize=400, urlpath=path, contiguous=True, cparams=cp, dparams=dp)
    for n in (100, 50, 100, 300):
        s.append_data(np.arange(n, dtype="<i4"))
    record(d, "theirs-variable", path, blosc2.open(path), out)
    # An in-memory super-chunk serialized with to_cframe.
    s = blosc2.SChunk(chunksize=8000, data=np.linspace(0, 1, 5000), meta={"shape": [5000]})
    s.vlmeta["units"] = "m"
    path = os.path.join(d, "theirs-cframe.bin")
    open(path, "wb").write(s.to_cframe())
    record(d, "theirs-cframe", path, s, out, cframe=True)
    with open(os.path.join(d, "theirs.json"), "w") as f:
        json.dump(out, f)


def main(d):
    failures = []
    checked = check_ours(d, failures)
    write_theirs(d)
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump({"checked": checked, "failures": failures}, f)


if __name__ == "__main__":
    main(sys.argv[1])
