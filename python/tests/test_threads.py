"""One array object used from many Python threads at once: reads run with the GIL
released, read-only arrays take no lock, writable ones a read-write lock."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import blosc2rs
from conftest import assert_same, random_array, random_key


def random_box(rng, shape):
    lo = [int(rng.integers(0, n)) for n in shape]
    hi = [int(rng.integers(a + 1, n + 1)) for a, n in zip(lo, shape)]
    return tuple(slice(a, b) for a, b in zip(lo, hi))


@pytest.mark.parametrize("kind", ["file", "mmap", "sparse", "memory"])
def test_eight_threads_read_random_boxes(tmp_path, kind):
    rng = np.random.default_rng(1)
    x = random_array(rng, (60, 70, 80), "f8")
    opts = {"chunks": (20, 25, 30), "blocks": (10, 10, 10)}
    if kind == "memory":
        a = blosc2rs.asarray(x, **opts)  # writable: reads share its lock
    elif kind == "sparse":
        a = blosc2rs.asarray(x, urlpath=tmp_path / "s", contiguous=False, **opts)
    else:
        del_me = blosc2rs.asarray(x, urlpath=tmp_path / "t.b2nd", **opts)
        del del_me
        a = blosc2rs.open(tmp_path / "t.b2nd", mmap=(kind == "mmap"))
    keys = [random_box(rng, x.shape) if i % 2 else random_key(rng, x.shape) for i in range(400)]

    def read(key):
        return a[key]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(read, keys))
    for key, got in zip(keys, results):
        assert_same(got, x[key])


def test_reads_on_one_thread_equal_reads_on_the_cores(tmp_path):
    # nthreads=1 decodes on the calling thread; None shares the cores among the reads in
    # flight (a read large enough to gain decodes its chunks in parallel).
    rng = np.random.default_rng(5)
    x = random_array(rng, (40, 200, 160), "f4")
    blosc2rs.asarray(x, urlpath=tmp_path / "n.b2nd", chunks=(10, 100, 160), blocks=(2, 20, 40))
    one = blosc2rs.open(tmp_path / "n.b2nd", nthreads=1)
    auto = blosc2rs.open(tmp_path / "n.b2nd")
    assert one.nthreads == 1 and auto.nthreads is None
    keys = [(slice(None),) * 3, (slice(None), 7), (3, slice(5, 150), slice(None, None, 3))]
    keys += [random_key(rng, x.shape) for _ in range(30)]
    for key in keys:
        assert_same(one[key], x[key])
        assert_same(auto[key], x[key])
    with ThreadPoolExecutor(4) as pool:
        for key, got in zip(keys, pool.map(lambda k: auto[k], keys)):
            assert_same(got, x[key])
    auto.nthreads = 2
    assert auto.nthreads == 2
    assert_same(auto[...], x)
    with pytest.raises(ValueError, match="at least 1"):
        auto.nthreads = 0
    auto.nthreads = None
    assert auto.nthreads is None


def test_gil_is_released_during_reads(tmp_path):
    rng = np.random.default_rng(2)
    x = random_array(rng, (150, 150, 150), "f8")
    a = blosc2rs.asarray(x)
    count = 0
    stop = threading.Event()

    def spin():
        nonlocal count
        while not stop.is_set():
            count += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.05)
        best = 0
        for _ in range(5):
            before = count
            t0 = time.perf_counter()
            a[...]
            elapsed = time.perf_counter() - t0
            best = max(best, count - before)
            if elapsed > 0.02 and best > 1000:
                break
    finally:
        stop.set()
        t.join()
    # With the GIL held for the whole read, the spinning thread could not run at all.
    assert best > 1000, best


def test_concurrent_writers_and_readers():
    rng = np.random.default_rng(3)
    x = random_array(rng, (64, 64), "i4")
    a = blosc2rs.asarray(x, chunks=(16, 16), blocks=(8, 8))
    rows = list(range(0, 64, 4))

    def write(r):
        v = np.full((4, 64), r, dtype="i4")
        a[r:r + 4] = v
        # A read in between sees whole chunks (either before or after a write).
        got = a[r:r + 4]
        assert (got == r).all()
        return r

    def read(i):
        box = random_box(np.random.default_rng(i), x.shape)
        return a[box].shape

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(write, r) for r in rows] + [pool.submit(read, i) for i in range(100)]
        for f in futures:
            f.result()
    want = np.repeat(np.array(rows, dtype="i4"), 4)[:, None] * np.ones((1, 64), "i4")
    np.testing.assert_array_equal(a[...], want)


def test_threads_on_chunks_and_frames():
    rng = np.random.default_rng(4)
    data = [random_array(rng, (20_000,), "f4") for _ in range(16)]
    with ThreadPoolExecutor(8) as pool:
        chunks = list(pool.map(lambda d: blosc2rs.compress(d, nthreads=2), data))
        backs = list(pool.map(blosc2rs.decompress, chunks))
    for d, b in zip(data, backs):
        assert b == d.tobytes()
    s = blosc2rs.SChunk(chunksize=80_000, cparams={"typesize": 4})
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(s.append_data, data))
    assert s.nchunks == 16
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(s.decompress_chunk, range(16)))
    assert sorted(got) == sorted(d.tobytes() for d in data)
