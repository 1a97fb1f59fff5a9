"""python-blosc2 side of the compatibility corpus test (tests/compat_corpus.rs).

Usage: compat_corpus.py DIR. Reads DIR/items.json, a list of {"path", "kind"} ("chunk" or
"frame"), and decodes each file with python-blosc2 (C-Blosc2 as it bundles it):
  * a chunk with blosc2.decompress;
  * a frame with blosc2.schunk_from_cframe, then SChunk.decompress_chunk for every chunk.
Appends the decoded bytes of every item, chunk after chunk, to DIR/decoded.bin and writes
DIR/results.json: {"blosc2": version, "clib": C version, "results": [...]}, one result per item:
{"ok": true, "offset": o, "chunks": [len, ...]} or {"ok": false, "error": "..."}.
"""

import json
import os
import sys

import blosc2


def decode(path, kind):
    with open(path, "rb") as f:
        buf = f.read()
    if kind == "chunk":
        return [bytes(blosc2.decompress(buf))]
    if kind == "frame":
        s = blosc2.schunk_from_cframe(buf, copy=True)
        return [bytes(s.decompress_chunk(i)) for i in range(s.nchunks)]
    raise ValueError(kind)


def main(d):
    with open(os.path.join(d, "items.json")) as f:
        items = json.load(f)
    results = []
    offset = 0
    with open(os.path.join(d, "decoded.bin"), "wb") as out:
        for it in items:
            try:
                chunks = decode(it["path"], it["kind"])
            except Exception as e:  # noqa: BLE001 - C-Blosc2's refusal is a result here
                results.append({"ok": False, "error": f"{type(e).__name__}: {e}"})
                continue
            for c in chunks:
                out.write(c)
            results.append({"ok": True, "offset": offset, "chunks": [len(c) for c in chunks]})
            offset += sum(len(c) for c in chunks)
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump({"blosc2": blosc2.__version__, "clib": blosc2.blosclib_version, "results": results}, f)


if __name__ == "__main__":
    main(sys.argv[1])
