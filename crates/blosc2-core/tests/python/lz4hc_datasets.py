"""python-blosc2 side of tests/lz4hc.rs (the benchmark data sets through LZ4HC).

Reads DIR/cases.json written by the Rust test: a list of {"name", "path", "offset",
"size", "typesize", "clevel"}. For every case, compresses `size` bytes of the file at
`path` from `offset` with blosc2.compress2 (LZ4HC, shuffle in the last of the six filter
slots as in the Rust chunk, automatic block size and split mode, one thread) and records
the chunk's SHA-256. Writes DIR/digests.json: {name: hex}.
"""

import hashlib
import json
import os
import sys

import blosc2


def main(d):
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    digests = {}
    data = {}
    for c in cases:
        path = c["path"]
        if path not in data:
            with open(path, "rb") as f:
                data[path] = f.read()
        src = data[path][c["offset"] : c["offset"] + c["size"]]
        cparams = blosc2.CParams(
            codec=blosc2.Codec.LZ4HC,
            clevel=c["clevel"],
            typesize=c["typesize"],
            filters=[blosc2.Filter.NOFILTER] * 5 + [blosc2.Filter.SHUFFLE],
            filters_meta=[0] * 6,
            splitmode=blosc2.SplitMode.AUTO_SPLIT,
            blocksize=0,
            nthreads=1,
        )
        digests[c["name"]] = hashlib.sha256(blosc2.compress2(src, cparams=cparams)).hexdigest()
    with open(os.path.join(d, "digests.json"), "w") as f:
        json.dump(digests, f)


if __name__ == "__main__":
    main(sys.argv[1])
