"""Shared fixtures of the blosc2rs suite."""

import pathlib

import numpy as np
import pytest

import blosc2rs

REPO = pathlib.Path(__file__).resolve().parents[2]
TESTDATA = REPO / "testdata"

# Every dtype family blosc2-nd stores: signed and unsigned ints, floats, bool, complex,
# structured, fixed-size strings, datetimes.
DTYPES = [
    "i1", "i2", "i4", "i8",
    "u1", "u2", "u4", "u8",
    "f2", "f4", "f8",
    "?",
    "c8", "c16",
    [("a", "<i4"), ("b", "<f8"), ("c", "S3")],
    "U5", "S7",
    "M8[ns]",
    ">i4",
]


def dtype_id(d):
    return np.dtype(d).str if np.dtype(d).fields is None else "struct"


def random_array(rng, shape, dtype):
    """Random values of any dtype (structured ones field by field)."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    if dtype.fields is not None:
        out = np.empty(n, dtype=dtype)
        for name in dtype.names:
            out[name] = random_array(rng, (n,), dtype.fields[name][0])
        return out.reshape(shape)
    kind = dtype.kind
    if kind == "b":
        v = rng.random(n) < 0.5
    elif kind in "iu":
        info = np.iinfo(dtype)
        # Runs of equal values too, so that chunks compress.
        v = rng.integers(max(info.min, -1000), min(info.max, 1000), n, endpoint=True)
        v[rng.random(n) < 0.3] = 0
    elif kind == "f":
        v = rng.standard_normal(n).round(2)
    elif kind == "c":
        v = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    elif kind == "S":
        v = np.array([bytes(rng.integers(97, 123, dtype.itemsize, dtype=np.uint8)) for _ in range(n)])
    elif kind == "U":
        v = np.array(["".join(chr(c) for c in rng.integers(97, 0x3B0, dtype.itemsize // 4)) for _ in range(n)])
    elif kind == "M":
        v = rng.integers(0, 2**40, n).astype("M8[ns]")
    else:
        raise AssertionError(dtype)
    return v.astype(dtype).reshape(shape)


def random_geometry(rng, ndim, small=False):
    """A shape with small chunks and blocks, so that selections cross many of them."""
    if ndim == 0:
        return (), (), ()
    top = 12 if small else {1: 300, 2: 40, 3: 16, 4: 9}[ndim]
    shape = tuple(int(rng.integers(1, top + 1)) for _ in range(ndim))
    chunks = tuple(int(rng.integers(1, s + 1)) for s in shape)
    blocks = tuple(int(rng.integers(1, c + 1)) for c in chunks)
    return shape, chunks, blocks


def random_slice(rng, n):
    def bound():
        r = rng.random()
        if r < 0.2:
            return None
        if r < 0.35:
            return int(rng.integers(-n - 3, 0))
        return int(rng.integers(0, n + 4))

    step = [None, 1, 1, 2, 3, 5, -1, -2, -3][int(rng.integers(0, 9))]
    return slice(bound(), bound(), step)


def random_key(rng, shape):
    """A NumPy basic index: ints, slices with any step, `...`, `None`, fewer items than
    dimensions."""
    items = []
    for n in shape:
        r = rng.random()
        if r < 0.25 and n > 0:
            i = int(rng.integers(-n, n))
            items.append(i)
        else:
            items.append(random_slice(rng, n))
    r = rng.random()
    if r < 0.2 and items:
        items = items[: int(rng.integers(0, len(items) + 1))]
    elif r < 0.35:
        k = int(rng.integers(0, len(items) + 1))
        m = int(rng.integers(k, len(items) + 1))
        items = items[:k] + [Ellipsis] + items[m:]
    if rng.random() < 0.15:
        items.insert(int(rng.integers(0, len(items) + 1)), None)
    if len(items) == 1 and rng.random() < 0.5:
        return items[0]
    return tuple(items)


def assert_same(got, want):
    """Equal values, shapes and dtypes, and a scalar where NumPy gives one."""
    assert isinstance(got, np.ndarray) == isinstance(want, np.ndarray), (type(got), type(want))
    got_a, want_a = np.asarray(got), np.asarray(want)
    assert got_a.shape == want_a.shape
    assert got_a.dtype == want_a.dtype
    if want_a.dtype.kind == "f" or want_a.dtype.kind == "c":
        np.testing.assert_array_equal(got_a, want_a)
    else:
        assert (got_a == want_a).all()


@pytest.fixture(params=["memory", "file", "sparse", "mmap"])
def storage(request, tmp_path):
    """Makes arrays in memory, in a .b2nd file, in a sparse directory, or memory-mapped."""
    kind = request.param

    def make(x, **kw):
        if kind == "memory":
            return blosc2rs.asarray(x, **kw)
        if kind == "sparse":
            return blosc2rs.asarray(x, urlpath=tmp_path / "a.b2nd", contiguous=False, **kw)
        path = tmp_path / "a.b2nd"
        a = blosc2rs.asarray(x, urlpath=path, **kw)
        del a  # releases the writer's lock
        return blosc2rs.open(path, mmap=(kind == "mmap"))

    make.kind = kind
    return make


@pytest.fixture
def numpy_allocated():
    """Reads of any size go into memory NumPy allocates (the path of reads above 1 MiB)."""
    blosc2rs._blosc2rs._set_alloc_threshold(0)
    yield
    blosc2rs._blosc2rs._set_alloc_threshold(1 << 20)
