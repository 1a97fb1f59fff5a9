"""Hostile inputs through the package: every file under testdata/regressions, the fuzz
targets' seeds (the fixtures fuzz/run.sh seeds its corpora with; fuzz/corpus itself is not
in the repository) and truncated or bit-flipped copies of valid arrays, frames, sparse
directories and chunks. Each is opened and read in a child process: it must succeed or
raise the package's exception (Blosc2Error), never crash the interpreter or raise anything
else."""

import shutil
import subprocess
import sys

import numpy as np

import blosc2
import blosc2rs
from conftest import REPO, TESTDATA

# The child: probes entries "KIND PATH" from a list, from a given index on, reporting
# "S i" before each, then "K i ok|error" or "B i <exception>".
CHILD = r'''
import sys
import numpy as np
import blosc2rs

OK = blosc2rs.Blosc2Error
LIMIT = 64 << 20


def attempt(f, *args):
    try:
        return f(*args)
    except OK:
        return None


def keys(shape):
    """Corner, middle and edge boxes, bounded in size."""
    n = len(shape)
    if n == 0:
        return [(), Ellipsis]
    out = [tuple(0 for _ in shape), tuple(-1 for _ in shape), tuple(s // 2 for s in shape)]
    out.append(tuple(slice(0, min(s, 7)) for s in shape))
    out.append(tuple(slice(max(0, s - 5), s) for s in shape))
    out.append(tuple(slice(s // 3, s // 3 + 4, 2) for s in shape))
    out.append(tuple(slice(min(s, 9), None, -3) for s in shape))
    return [k for k in out if all(s > 0 for s in shape) or k == ()]


def probe_nd(path):
    errors = 0
    for mode, mmap in [("r", False), ("r", True), ("a", False)]:
        a = attempt(blosc2rs.open, path, mode, mmap)
        if a is None:
            errors += 1
            continue
        (a.shape, a.dtype, a.chunks, a.blocks, a.ndim, a.cparams, a.cbytes, repr(a))
        attempt(a.iterchunks_info)
        if a.nbytes <= LIMIT:
            attempt(a.__getitem__, Ellipsis)
        for k in keys(a.shape):
            attempt(a.__getitem__, k)
        if mode == "a" and a.nbytes <= LIMIT and a.ndim > 0 and all(s > 0 for s in a.shape):
            attempt(a.__setitem__, tuple(0 for _ in a.shape), 0)
        del a
    return errors


def probe_schunk(path):
    s = attempt(blosc2rs.open_schunk, path)
    if s is None:
        return 1
    (s.nchunks, s.nbytes, s.cbytes, s.typesize, s.cparams, repr(s))
    for i in list(range(min(s.nchunks, 40))) + [-1] * (s.nchunks > 0):
        attempt(s.get_chunk, i)
        attempt(s.decompress_chunk, i)
    attempt(s.to_cframe)
    return 0


def probe_chunk(path):
    data = open(path, "rb").read()
    out = attempt(blosc2rs.decompress, data)
    attempt(blosc2rs.decompress, data, 1)
    return int(out is None)


probes = {"nd": probe_nd, "schunk": probe_schunk, "chunk": probe_chunk}
entries = [line.split(" ", 1) for line in open(sys.argv[1]).read().splitlines()]
for i in range(int(sys.argv[2]), len(entries)):
    kind, path = entries[i]
    print("S", i, flush=True)
    try:
        errors = probes[kind](path)
        print("K", i, "error" if errors else "ok", flush=True)
    except BaseException as e:  # PanicException is a BaseException
        print("B", i, repr(e)[:300].replace("\n", " "), flush=True)
'''


def run_all(entries, tmp_path):
    """Runs the child over `entries`; restarts it after a crash. Returns (crashes, bad,
    counts of ok and error)."""
    listing = tmp_path / "entries.txt"
    listing.write_text("\n".join(f"{k} {p}" for k, p in entries))
    crashes, bad, outcome = [], [], {}
    start = 0
    while start < len(entries):
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(listing), str(start)],
            capture_output=True, text=True, timeout=1800, cwd=tmp_path,
        )
        last = None
        for line in proc.stdout.splitlines():
            tag, i, *rest = line.split(" ", 2)
            i = int(i)
            if tag == "S":
                last = i
            elif tag == "K":
                outcome[i] = rest[0]
            elif tag == "B":
                bad.append((entries[i], rest[0] if rest else ""))
                outcome[i] = "bad"
        if proc.returncode == 0:
            break
        if last is None or last in outcome:
            raise AssertionError(f"child failed outside an entry: rc {proc.returncode}\n{proc.stderr[-2000:]}")
        crashes.append((entries[last], proc.returncode, proc.stderr[-500:]))
        start = last + 1
    counts = {v: list(outcome.values()).count(v) for v in ("ok", "error", "bad")}
    return crashes, bad, counts


def mutations(rng, data, n_flips, n_cuts):
    """Truncated copies (many cuts near the start, where the header is) and bit-flipped
    ones (single bits, whole bytes, in the header and trailer especially)."""
    size = len(data)
    cuts = sorted(set([c for c in range(0, min(size, 160), 5)] + list(rng.integers(0, size, n_cuts))
                      + [size - k for k in (1, 2, 8, 16, 32, 64, 100) if size > k]))
    for c in cuts:
        yield f"cut{c}", data[:c]
    for j in range(n_flips):
        b = bytearray(data)
        where = rng.random()
        if where < 0.3:
            pos = int(rng.integers(0, min(size, 128)))
        elif where < 0.5:
            pos = int(rng.integers(max(0, size - 300), size))
        else:
            pos = int(rng.integers(0, size))
        if rng.random() < 0.7:
            b[pos] ^= 1 << int(rng.integers(0, 8))
        else:
            b[pos] = int(rng.choice([0, 0xFF, 0x7F, 0x80]))
        yield f"flip{j}", bytes(b)


def test_hostile_inputs_raise_or_succeed(tmp_path):
    rng = np.random.default_rng(2024)
    entries = []
    # The probes also write (mode "a"): they work on copies, never on the repository's files.
    copies = tmp_path / "copies"

    def copy(f):
        dst = copies / f.relative_to(REPO)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dst)
        return str(dst)

    # Regression inputs, as every kind.
    for f in sorted((TESTDATA / "regressions").rglob("*")):
        if f.is_file():
            entries += [(k, copy(f)) for k in ("nd", "schunk", "chunk")]
    # The fuzz seeds (fuzz/run.sh): frames, arrays and chunks of the fixtures and plugins.
    seeds = [p for d in ("fixtures", "plugins", "zfp") for p in sorted((TESTDATA / d).rglob("*")) if p.is_file()]
    for f in seeds:
        if f.suffix in (".b2nd", ".b2frame"):
            entries += [(k, copy(f)) for k in ("nd", "schunk")]
        elif f.suffix in (".chunk", ".bin"):
            entries.append(("chunk", copy(f)))
    for corpus in sorted(REPO.glob("fuzz/corpus*/*")):
        for f in sorted(corpus.iterdir())[:200]:
            kind = "chunk" if "chunk" in corpus.name or "codec" in corpus.name else "nd"
            entries.append((kind, copy(f)))
    n_seeds = len(entries)

    # Valid files to damage: ours and python-blosc2's, several chunks each.
    x = np.cumsum(rng.standard_normal((16, 20, 30)), axis=2)
    ours = tmp_path / "ours.b2nd"
    del_me = blosc2rs.asarray(x, urlpath=ours, chunks=(8, 10, 15), blocks=(4, 5, 5))
    del del_me
    theirs = tmp_path / "theirs.b2nd"
    blosc2.asarray(x.astype("f4"), urlpath=str(theirs), mode="w", chunks=(8, 20, 30), blocks=(4, 5, 30),
                   cparams={"codec": blosc2.Codec.LZ4, "filters": [blosc2.Filter.BITSHUFFLE], "filters_meta": [0]})
    frame = tmp_path / "frame.b2frame"
    blosc2rs.SChunk(chunksize=20_000, data=x[:10], urlpath=frame, cparams={"typesize": 8})
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for src, n_flips, kinds in [(ours, 250, ("nd", "schunk")), (theirs, 150, ("nd",)), (frame, 80, ("schunk",))]:
        for tag, data in mutations(rng, src.read_bytes(), n_flips, 30):
            p = damaged / f"{src.stem}-{tag}{src.suffix}"
            p.write_bytes(data)
            entries += [(k, str(p)) for k in kinds]
    # A sparse directory with a damaged index or chunk file.
    sparse = tmp_path / "sparse"
    del_me = blosc2rs.asarray(x, urlpath=sparse, contiguous=False, chunks=(8, 10, 15), blocks=(4, 5, 5))
    del del_me
    files = sorted(f.name for f in sparse.iterdir())
    for j in range(40):
        d = damaged / f"sparse{j}"
        shutil.copytree(sparse, d)
        victim = d / files[int(rng.integers(0, len(files)))]
        data = victim.read_bytes()
        if j % 4 == 0:
            victim.write_bytes(data[: int(rng.integers(0, len(data)))])
        elif j % 4 == 1 and len(files) > 1:
            victim.unlink()
        else:
            b = bytearray(data)
            for _ in range(1 + j % 3):
                b[int(rng.integers(0, len(b)))] ^= 1 << int(rng.integers(0, 8))
            victim.write_bytes(bytes(b))
        entries += [("nd", str(d)), ("schunk", str(d))]
    # Damaged chunks.
    chunk = blosc2rs.compress(x, codec="zstd", filters=["shuffle", "bytedelta"], typesize=8, blocksize=4096)
    for tag, data in mutations(rng, chunk, 150, 20):
        p = damaged / f"chunk-{tag}.chunk"
        p.write_bytes(data)
        entries.append(("chunk", str(p)))

    crashes, bad, counts = run_all(entries, tmp_path)
    shutil.rmtree(damaged)
    shutil.rmtree(copies)
    print(f"{len(entries)} hostile probes ({n_seeds} regression and seed entries): {counts}, "
          f"{len(crashes)} crashes")
    assert not crashes, "\n".join(f"{e}: rc {rc}: {err}" for e, rc, err in crashes[:20])
    assert not bad, "\n".join(f"{e}: {msg}" for e, msg in bad[:20])
    assert counts["ok"] > 0 and counts["error"] > 0
