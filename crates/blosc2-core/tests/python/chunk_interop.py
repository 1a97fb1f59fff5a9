"""python-blosc2 side of the chunk interoperability test (tests/chunk_interop.rs).

Reads DIR/cases.json written by the Rust test. For every case:
  * decodes our chunk (case.ours) with blosc2.decompress2 and checks it equals our own
    decoding of it (case.ours_decoded), and the original input for lossless pipelines;
  * compresses the original input (case.input) with the same parameters through
    blosc2.compress2 and writes the chunk (case.theirs) for the Rust side to check, with
    its decoding by python-blosc2 (case.theirs_decoded) where that is not the input.
Writes DIR/results.json: {"checked": N, "failures": [...]}.
"""

import json
import os
import sys

import blosc2
from interop_params import cparams_of


def main(d):
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    failures = []
    checked = 0
    for c in cases:
        name = c["name"]
        path = lambda suffix: os.path.join(d, f"{name}.{suffix}")
        src = open(path("input"), "rb").read()
        ours = open(path("ours"), "rb").read()
        ours_decoded = open(path("ours_decoded"), "rb").read()
        try:
            got = blosc2.decompress2(ours)
        except Exception as e:  # noqa: BLE001 - any failure is a test failure
            failures.append(f"{name}: python-blosc2 cannot decode our chunk: {e}")
            continue
        if got != ours_decoded:
            failures.append(f"{name}: python-blosc2 decodes our chunk differently from us")
        if c["lossless"] and got != src:
            failures.append(f"{name}: python-blosc2 decodes our chunk to other bytes than the input")
        theirs = blosc2.compress2(src, cparams=cparams_of(c))
        with open(path("theirs"), "wb") as f:
            f.write(theirs)
        theirs_decoded = blosc2.decompress2(theirs)
        # Only a decoding that differs from the input is written (lossy pipelines, and the
        # delta cases where C-Blosc2 does not give back its own input); the Rust side
        # compares with the input otherwise.
        if theirs_decoded != src:
            with open(path("theirs_decoded"), "wb") as f:
                f.write(theirs_decoded)
        checked += 1
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump({"checked": checked, "failures": failures}, f)


if __name__ == "__main__":
    main(sys.argv[1])
