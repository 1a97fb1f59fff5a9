"""Reads and writes through NumPy basic indexing, against NumPy itself: random shapes,
chunks, blocks and keys (ints, slices with any step, `...`, `None`, short tuples), every
dtype family, 0-D to 4-D, every storage."""

import numpy as np
import pytest

import blosc2rs
from conftest import DTYPES, assert_same, dtype_id, random_array, random_geometry, random_key


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
@pytest.mark.parametrize("ndim", [0, 1, 2, 3, 4])
def test_random_reads_match_numpy(dtype, ndim):
    rng = np.random.default_rng(abs(hash((str(dtype), ndim))) % 2**32)
    for _ in range(3):
        shape, chunks, blocks = random_geometry(rng, ndim)
        x = random_array(rng, shape, dtype)
        a = blosc2rs.asarray(x, chunks=chunks or None, blocks=blocks or None)
        assert a.shape == x.shape and a.dtype == x.dtype and a.ndim == ndim
        assert a.chunks == chunks or ndim == 0
        assert_same(a[...], x[...])
        assert_same(a[()], x[()])
        for _ in range(25):
            key = random_key(rng, shape)
            assert_same(a[key], x[key])


@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
def test_reads_from_every_storage(storage, ndim):
    rng = np.random.default_rng(ndim)
    shape, chunks, blocks = random_geometry(rng, ndim)
    x = random_array(rng, shape, "f8")
    a = storage(x, chunks=chunks, blocks=blocks)
    assert a.mode == ("a" if storage.kind in ("memory", "sparse") else "r")
    assert a.mmap == (storage.kind == "mmap")
    np.testing.assert_array_equal(np.asarray(a), x)
    for _ in range(40):
        key = random_key(rng, shape)
        assert_same(a[key], x[key])


@pytest.mark.parametrize("dtype", ["f8", "i2", [("a", "<i4"), ("b", "<f8")]], ids=dtype_id)
def test_numpy_allocated_reads(numpy_allocated, dtype):
    # The path of large reads (into memory NumPy allocates) on every kind of selection.
    rng = np.random.default_rng(7)
    for ndim in range(5):
        shape, chunks, blocks = random_geometry(rng, ndim)
        x = random_array(rng, shape, dtype)
        a = blosc2rs.asarray(x, chunks=chunks or None, blocks=blocks or None)
        assert_same(a[...], x[...])
        for _ in range(20):
            key = random_key(rng, shape)
            assert_same(a[key], x[key])


def test_dunder_protocols():
    x = np.arange(60, dtype="i4").reshape(3, 4, 5)
    a = blosc2rs.asarray(x, chunks=(2, 2, 2), blocks=(1, 2, 1))
    assert len(a) == 3
    assert a.size == 60 and a.itemsize == 4 and a.nbytes == 240
    np.testing.assert_array_equal(np.asarray(a), x)
    np.testing.assert_array_equal(np.asarray(a, dtype="f4"), x.astype("f4"))
    np.testing.assert_array_equal(np.array(a), x)
    # Iteration goes over the first dimension, as NumPy's.
    for got, want in zip(a, x):
        np.testing.assert_array_equal(got, want)
    assert len(list(a)) == 3
    with pytest.raises(ValueError):
        np.asarray(a, copy=False)
    z = blosc2rs.asarray(np.float32(2.5))
    with pytest.raises(TypeError):
        len(z)
    assert z[()] == np.float32(2.5) and isinstance(z[()], np.float32)
    assert z[...].shape == () and isinstance(z[...], np.ndarray)
    assert "NDArray(shape=(3, 4, 5)" in repr(a)


def test_index_errors_like_numpy():
    x = np.arange(12).reshape(3, 4)
    a = blosc2rs.asarray(x)
    for key in [(3, 0), (0, -5), (0, 0, 0), (Ellipsis, Ellipsis), 1.5]:
        with pytest.raises(IndexError):
            a[key]
        with pytest.raises(IndexError):
            x[key]
    # Integer and boolean arrays (NumPy's advanced indexing) are refused.
    for key in [[0, 1], np.array([True, False, True]), True]:
        with pytest.raises(IndexError):
            a[key]
    assert_same(a[np.int64(2), np.uint8(3)], x[2, 3])
    assert_same(a[2:100, -100:2], x[2:100, -100:2])
    assert_same(a[5:1], x[5:1])
    assert_same(a[::-1, ::-1], x[::-1, ::-1])
    assert_same(a[-1, ::-3], x[-1, ::-3])


@pytest.mark.parametrize("dtype", ["f8", "u1", "c8", [("a", "<i4"), ("b", "S2")], "U3"], ids=dtype_id)
@pytest.mark.parametrize("kind", ["memory", "file", "sparse"])
def test_random_writes_match_numpy(tmp_path, dtype, kind):
    rng = np.random.default_rng(11)
    for ndim in range(5):
        shape, chunks, blocks = random_geometry(rng, ndim, small=True)
        x = random_array(rng, shape, dtype)
        kw = {"chunks": chunks or None, "blocks": blocks or None}
        if kind == "file":
            kw["urlpath"] = tmp_path / f"w{ndim}.b2nd"
        elif kind == "sparse":
            kw.update(urlpath=tmp_path / f"w{ndim}", contiguous=False)
        a = blosc2rs.asarray(x, **kw)
        for _ in range(15):
            key = random_key(rng, shape)
            target = x[key]
            value = random_array(rng, np.shape(target), dtype)
            if rng.random() < 0.3 and np.size(target) > 0:
                value = value.reshape(-1)[:1].reshape(())  # broadcast a scalar
            x[key] = value
            a[key] = value
            np.testing.assert_array_equal(a[...], x)
        if kind != "memory":
            del a
            b = blosc2rs.open(kw["urlpath"])
            np.testing.assert_array_equal(b[...], x)


def test_writes_broadcast_and_cast():
    x = np.zeros((4, 5, 6), dtype="i4")
    a = blosc2rs.zeros((4, 5, 6), dtype="i4", chunks=(2, 3, 4), blocks=(1, 2, 2))
    a[1] = np.arange(6)
    x[1] = np.arange(6)
    a[:, 2, ::2] = 7.9  # cast as NumPy does
    x[:, 2, ::2] = 7.9
    a[None, 3, ..., -1] = [[1, 2, 3, 4, 5]]
    x[None, 3, ..., -1] = [[1, 2, 3, 4, 5]]
    a[0, 0, :2] = np.array([[[8, 9]]])  # NumPy drops leading dimensions of length 1
    x[0, 0, :2] = np.array([[[8, 9]]])
    np.testing.assert_array_equal(a[...], x)
    with pytest.raises(ValueError):
        a[0, 0] = np.arange(5)


def test_resize(tmp_path):
    x = np.arange(30, dtype="f4").reshape(5, 6)
    a = blosc2rs.asarray(x, urlpath=tmp_path / "r.b2nd", chunks=(2, 4), blocks=(1, 2))
    a.resize((7, 3))
    want = np.zeros((7, 3), dtype="f4")
    want[:5] = x[:, :3]
    np.testing.assert_array_equal(a[...], want)
    assert a.shape == (7, 3)
    a[6] = 9
    want[6] = 9
    del a
    b = blosc2rs.open(tmp_path / "r.b2nd")
    np.testing.assert_array_equal(b[...], want)
    with pytest.raises(blosc2rs.Blosc2Error):
        b.resize((2, 2))
    with pytest.raises(blosc2rs.Blosc2Error):
        b[0, 0] = 1
    with pytest.raises(blosc2rs.Blosc2Error):
        b.resize((2, 2, 2))


def test_constructors(tmp_path):
    z = blosc2rs.zeros((50, 60), dtype="u2", chunks=(20, 20), blocks=(10, 10))
    np.testing.assert_array_equal(z[...], np.zeros((50, 60), "u2"))
    assert all(i.special == "zeros" for i in z.iterchunks_info())
    e = blosc2rs.empty(7)
    assert e.dtype == np.float64 and e.shape == (7,)
    f = blosc2rs.full((9, 4), 2.5, dtype="f4", urlpath=tmp_path / "f.b2nd", chunks=(4, 4))
    np.testing.assert_array_equal(f[...], np.full((9, 4), 2.5, "f4"))
    infos = f.iterchunks_info()
    assert [i.coords for i in infos] == [(0, 0), (1, 0), (2, 0)]
    assert infos[0].special == "value" and infos[0].repeated_value == np.float32(2.5).tobytes()
    g = blosc2rs.full(3, 7)
    assert g.dtype == np.asarray(7).dtype
    s = blosc2rs.zeros((4, 4), urlpath=tmp_path / "z", contiguous=False)
    s[1:3, 1:3] = 1
    assert s[...].sum() == 4
    big = blosc2rs.zeros((20000, 20000, 20000), dtype="u1", urlpath=tmp_path / "big.b2nd")
    assert (tmp_path / "big.b2nd").stat().st_size < 100_000
    assert big[19999, 0, 123] == 0
    with pytest.raises(ValueError):
        blosc2rs.full(3, [1, 2])
    with pytest.raises(TypeError):
        blosc2rs.asarray(np.array([object()]))


def test_cparams_names_and_ints():
    import blosc2

    x = np.linspace(0, 1, 10_000).reshape(100, 100)
    for cp in [
        {"codec": "lz4", "clevel": 9, "filters": ["bitshuffle"], "filters_meta": [0]},
        {"codec": blosc2.Codec.ZLIB, "clevel": 1, "filters": [blosc2.Filter.DELTA, blosc2.Filter.SHUFFLE]},
        {"codec": 0, "splitmode": "never", "filters": [2]},
        {"codec": "ZSTD", "splitmode": blosc2.SplitMode.ALWAYS_SPLIT, "nthreads": 1, "typesize": 8},
        blosc2.CParams(codec=blosc2.Codec.LZ4HC, clevel=6, filters=[blosc2.Filter.TRUNC_PREC], filters_meta=[20]),
        {"filters": ["bytedelta"]},
    ]:
        a = blosc2rs.asarray(x, cparams=cp)
        got = a.cparams
        want = cp if isinstance(cp, dict) else {"codec": "lz4hc", "clevel": 6}
        if "codec" in want:
            c = want["codec"]
            assert got["codec"] == (c.lower() if isinstance(c, str) else blosc2.Codec(c).name.lower())
        if "clevel" in want:
            assert got["clevel"] == want["clevel"]
        if isinstance(cp, dict) and cp.get("filters") == ["bytedelta"]:
            assert got["filters"][0] == "bytedelta" and got["filters_meta"][0] == 8
        if "trunc_prec" in got["filters"]:
            np.testing.assert_allclose(a[...], x, rtol=1e-5)
        else:
            np.testing.assert_array_equal(a[...], x)
    for bad in [{"codec": "nope"}, {"clevel": 10}, {"filters": [1] * 7}, {"splitmode": 9}]:
        with pytest.raises(ValueError):
            blosc2rs.asarray(x, cparams=bad)
    with pytest.raises(TypeError):
        blosc2rs.asarray(x, cparams={"compcode": 1})


def test_pickle_and_cframe(tmp_path):
    import pickle

    x = np.arange(100.0).reshape(10, 10)
    a = blosc2rs.asarray(x)
    b = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(b[...], x)
    c = blosc2rs.ndarray_from_cframe(a.to_cframe())
    np.testing.assert_array_equal(c[2:5], x[2:5])
    a.save(tmp_path / "s.b2nd")
    f = blosc2rs.open(tmp_path / "s.b2nd", mmap=True)
    g = pickle.loads(pickle.dumps(f))
    assert g.urlpath == str(tmp_path / "s.b2nd") and g.mode == "r" and g.mmap
    np.testing.assert_array_equal(g[...], x)
