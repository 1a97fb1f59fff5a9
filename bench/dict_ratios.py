#!/usr/bin/env python3
"""Compression ratios with and without dictionaries (`use_dict`) on small blocks.

For each data set of WORKLOADS.md (made by anchor.py's generators), the 16 MiB in its middle
are compressed into a frame of 1 MiB chunks with zstd, lz4 and lz4hc at clevel 5, shuffle,
the data set's typesize and blocks of 8, 16 and 32 KiB, with and without dictionaries:
by `blosc2 compress` (ours, `--use-dict`) and by python-blosc2's SChunk (`use_dict=True`).
Prints a markdown table of the ratios (nbytes / the chunks' cbytes) and checks that every
chunk of ours is byte for byte python-blosc2's.

Usage: .venv/bin/python bench/dict_ratios.py [--blosc2 target/release/blosc2] [--size-mib 16]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import blosc2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import anchor  # noqa: E402

MIB = 1 << 20
CODECS = {"zstd": blosc2.Codec.ZSTD, "lz4": blosc2.Codec.LZ4, "lz4hc": blosc2.Codec.LZ4HC}


def middle(name: str, size: int) -> bytes:
    data = anchor.make_dataset(name).view("u1").reshape(-1)
    start = max(0, (data.size - size) // 2)
    return data[start:start + size].tobytes()


def theirs(data: bytes, codec: str, typesize: int, blocksize: int, use_dict: bool) -> blosc2.SChunk:
    cp = blosc2.CParams(codec=CODECS[codec], clevel=5, typesize=typesize, blocksize=blocksize,
                        use_dict=use_dict, nthreads=1)
    s = blosc2.SChunk(chunksize=MIB, cparams=cp)
    for i in range(0, len(data), MIB):
        s.append_data(data[i:i + MIB])
    return s


def ours(exe: str, path: str, out: str, codec: str, typesize: int, blocksize: int,
         use_dict: bool) -> blosc2.SChunk:
    args = [exe, "compress", path, out, "--chunksize", str(MIB), "--codec", codec, "--clevel", "5",
            "--typesize", str(typesize), "--blocksize", str(blocksize), "--filter", "shuffle"]
    if use_dict:
        args.append("--use-dict")
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return blosc2.open(out)


def why_different(a: bytes, b: bytes) -> str:
    """Why chunk `a` (ours) differs from `b` (python-blosc2's)."""
    if len(a) == len(b) == 32 and a[31] & 0x70 == b[31] & 0x70 == 0x10:
        return "all-zeros chunk header"
    if b[2] & 0x02 and b[31] & 0x01 and a == b[:31] + bytes([b[31] & 0xFE]) + b[32:]:
        return "stored as is, C keeps the dictionary flag"
    return "other"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--blosc2", default="target/release/blosc2")
    ap.add_argument("--size-mib", type=int, default=16)
    args = ap.parse_args()
    rows, differing, reasons = [], 0, {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (_, typesize, _) in anchor.DATASETS.items():
            data = middle(name, args.size_mib * MIB)
            path = os.path.join(tmp, "in.bin")
            with open(path, "wb") as f:
                f.write(data)
            for codec in CODECS:
                for kib in (8, 16, 32):
                    ratios = []
                    for use_dict in (False, True):
                        out = os.path.join(tmp, f"{codec}-{kib}-{use_dict}.b2frame")
                        o = ours(args.blosc2, path, out, codec, typesize, kib * 1024, use_dict)
                        t = theirs(data, codec, typesize, kib * 1024, use_dict)
                        assert o.nchunks == t.nchunks
                        why = {why_different(bytes(o.get_chunk(i)), bytes(t.get_chunk(i)))
                               for i in range(t.nchunks) if bytes(o.get_chunk(i)) != bytes(t.get_chunk(i))}
                        differing += bool(why)
                        for w in why:
                            reasons.setdefault(w, []).append(f"{name}/{codec}/{kib}K/dict={use_dict}")
                        ratios += [len(data) / o.cbytes, len(data) / t.cbytes]
                    gain = ratios[2] / ratios[0]
                    rows.append(f"| {name} | {typesize} | {codec} | {kib} | {ratios[0]:.2f} | {ratios[1]:.2f} "
                                f"| {ratios[2]:.2f} | {ratios[3]:.2f} | {gain:.2f}x |")
                    print(rows[-1], file=sys.stderr)
    print("| data set | typesize | codec | block KiB | ours | python-blosc2 | ours, dict | "
          "python-blosc2, dict | dict gain |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    print(f"\n{len(rows) * 2 - differing} of {len(rows) * 2} frames have byte-identical chunks")
    for why, frames in sorted(reasons.items()):
        print(f"* {why}: {len(frames)} frames ({', '.join(frames)})")


if __name__ == "__main__":
    main()
