"""python-blosc2 side of the dictionary interoperability test (tests/dict_interop.rs).

Usage: dict_interop.py DIR

Reads DIR/cases.json written by the Rust test. For every chunk case:
  * decodes our chunk (case.ours) with blosc2.decompress2 and checks it is the input
    (case.input);
  * compresses the input with the same parameters and use_dict=True, nthreads=1 through
    blosc2.compress2. When python-blosc2 can decode its own chunk, ours must be the same
    bytes. When it cannot (C-Blosc2 keeps the dictionary flag on chunks it ends up storing
    as is, and mishandles inputs under 32 bytes), ours must equal its chunk made without
    dictionary, and the header flags of its chunk are reported for the Rust side to check.
For every frame case (case.frame): opens our frame with blosc2.open, checks every chunk,
that the super-chunk reports use_dict, and that each chunk equals the chunk python-blosc2
compresses from the same data with the super-chunk's parameters.
Writes DIR/results.json: {"checked": N, "failures": [...], "undecodable": {name: flags},
"with_dict": N}.
"""

import json
import os
import sys

import blosc2
from interop_params import cparams_of


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def decodes_to(chunk, src):
    try:
        return blosc2.decompress2(chunk) == src
    except Exception:  # noqa: BLE001 - C-Blosc2 cannot read some of its own dict chunks
        return False


def check_chunk(d, c, failures, undecodable):
    name = c["name"]
    path = lambda suffix: os.path.join(d, f"{name}.{suffix}")
    src = open(path("input"), "rb").read()
    ours = open(path("ours"), "rb").read()
    try:
        got = blosc2.decompress2(ours)
        if got != src:
            failures.append(f"{name}: python-blosc2 decodes our chunk to other bytes than the input")
    except Exception as e:  # noqa: BLE001 - any failure is a test failure
        failures.append(f"{name}: python-blosc2 cannot decode our chunk: {e}")
    theirs = bytes(blosc2.compress2(src, cparams=cparams_of(c, use_dict=True)))
    theirs_ok = decodes_to(theirs, src)
    if not theirs_ok:
        undecodable[name] = theirs[2]
        # Without the dictionary flag, a chunk stored as is reads back: ours is that one.
        fixed = theirs[:31] + bytes([theirs[31] & 0xFE]) + theirs[32:]
        if decodes_to(fixed, src):
            theirs = fixed
        else:
            theirs = bytes(blosc2.compress2(src, cparams=cparams_of(c, use_dict=False)))
    if ours != theirs:
        failures.append(
            f"{name}: ours {len(ours)} bytes, python-blosc2's {len(theirs)}, first difference at "
            f"{first_difference(ours, theirs)} (their chunk {'decodes' if theirs_ok else 'does not decode'})"
        )
    return len(theirs) > 31 and theirs[31] & 1


def check_frame(d, c, failures):
    name = c["name"]
    s = blosc2.open(os.path.join(d, c["frame"]))
    src = open(os.path.join(d, f"{name}.input"), "rb").read()
    if not s.cparams.use_dict:
        failures.append(f"{name}: python-blosc2 reads use_dict=False from our frame")
    if s.nchunks != c["nchunks"]:
        failures.append(f"{name}: nchunks {s.nchunks} != {c['nchunks']}")
        return
    cp = cparams_of(c, use_dict=True)
    chunksize = c["chunksize"]
    for i in range(s.nchunks):
        part = src[i * chunksize:(i + 1) * chunksize]
        try:
            if s.decompress_chunk(i) != part:
                failures.append(f"{name}: chunk {i} decodes to other bytes")
        except Exception as e:  # noqa: BLE001
            failures.append(f"{name}: chunk {i}: {e}")
        theirs = bytes(blosc2.compress2(part, cparams=cp))
        if bytes(s.get_chunk(i)) != theirs:
            failures.append(f"{name}: chunk {i} differs from python-blosc2's")


def main(d):
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    failures, undecodable = [], {}
    checked = with_dict = 0
    for c in cases:
        if "frame" in c:
            check_frame(d, c, failures)
        elif check_chunk(d, c, failures, undecodable):
            with_dict += 1
        checked += 1
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump({"checked": checked, "failures": failures, "undecodable": undecodable,
                   "with_dict": with_dict}, f)


if __name__ == "__main__":
    main(sys.argv[1])
