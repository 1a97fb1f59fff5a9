"""The package's exceptions: the library's message, the C-Blosc2 error number, the right
Python base classes."""

import errno

import numpy as np
import pytest

import blosc2rs


def test_exception_classes():
    assert issubclass(blosc2rs.Blosc2Error, ValueError)
    assert issubclass(blosc2rs.Blosc2IOError, OSError)
    assert issubclass(blosc2rs.Blosc2IOError, blosc2rs.Blosc2Error)


def test_missing_file(tmp_path):
    p = tmp_path / "nope.b2nd"
    with pytest.raises(blosc2rs.Blosc2IOError) as e:
        blosc2rs.open(p)
    assert e.value.errno == errno.ENOENT and e.value.filename == str(p)
    assert e.value.code == -15  # BLOSC2_ERROR_FILE_OPEN
    with pytest.raises(OSError):
        blosc2rs.open_schunk(p)


def test_not_an_array_or_not_a_frame(tmp_path):
    f = tmp_path / "frame.b2frame"
    blosc2rs.SChunk(chunksize=100, data=b"x" * 1000, urlpath=f)
    with pytest.raises(blosc2rs.Blosc2Error, match="no b2nd metalayer"):
        blosc2rs.open(f)
    t = tmp_path / "text.b2nd"
    t.write_text("not a frame at all, just some text that is long enough to be read as a header" * 3)
    with pytest.raises(blosc2rs.Blosc2Error) as e:
        blosc2rs.open(t)
    assert e.value.code < 0 and not isinstance(e.value, OSError)
    with pytest.raises(blosc2rs.Blosc2Error) as e:
        blosc2rs.decompress(b"\x05" * 40)
    assert "header" in str(e.value)


def test_modes(tmp_path):
    p = tmp_path / "a.b2nd"
    a = blosc2rs.asarray(np.arange(10), urlpath=p)
    for bad in ["w", "x", ""]:
        with pytest.raises(ValueError):
            blosc2rs.open(p, mode=bad)
    with pytest.raises(ValueError):
        blosc2rs.open(p, mode="a", mmap=True)
    # One writer at a time: `a` holds the file.
    with pytest.raises(blosc2rs.Blosc2IOError, match="open for writing"):
        blosc2rs.open(p, mode="a")
    r = blosc2rs.open(p)  # readers are never blocked
    assert r[3] == 3
    del a
    w = blosc2rs.open(p, mode="a")
    w[3] = 30
    assert r[3] == 3  # a reader keeps the state it opened
    assert blosc2rs.open(p)[3] == 30


def test_bad_arguments():
    a = blosc2rs.asarray(np.zeros((3, 4)))
    with pytest.raises(blosc2rs.Blosc2Error):
        a.resize((2,))
    with pytest.raises(ValueError):
        blosc2rs.zeros((-1, 3))
    with pytest.raises(blosc2rs.Blosc2Error):
        blosc2rs.zeros((10, 10), chunks=(5, 5), blocks=(6, 5))
    with pytest.raises(TypeError):
        blosc2rs.zeros("ab")
    with pytest.raises(blosc2rs.Blosc2Error):
        blosc2rs.compress(b"1234" * 100, codec="ndlz")  # needs an array's geometry
    with pytest.raises(IndexError):
        blosc2rs.SChunk().decompress_chunk(0)
