"""blosc2rs: Blosc2 compressed arrays for NumPy users, implemented in Rust.

Files are byte-compatible with python-blosc2 and C-Blosc2: ``.b2nd`` arrays (contiguous
files or sparse-frame directories) and ``.b2frame`` super-chunks written by either open
here, and the other way round.

>>> import numpy as np, blosc2rs
>>> a = blosc2rs.asarray(np.arange(24.0).reshape(2, 3, 4))
>>> a[1, ::2, -1]
array([15., 23.])

Reads decode only the blocks a selection touches, with the GIL released; one array may be
read from many threads at once. Errors of the format (malformed or hostile files, bad
parameters) raise :class:`Blosc2Error` (a ``ValueError``); files that cannot be opened or
read raise :class:`Blosc2IOError` (an ``OSError`` and a ``Blosc2Error``).

Arrays pickle by their path (in-memory ones as their frame), so ``dask.array.from_array(a,
chunks=a.chunks)`` reads them on Dask workers. The Milky Way explorer (ingest Gaia files
into a sparse cube, statistics, region queries, a Dask ingest) is
:mod:`blosc2rs.milkyway`.
"""

from ._blosc2rs import (
    Blosc2Error,
    Blosc2IOError,
    ChunkInfo,
    NDArray,
    SChunk,
    __version__,
    asarray,
    compress,
    decompress,
    full,
    ndarray_from_cframe,
    open,
    open_schunk,
    schunk_from_cframe,
    zeros,
)

__all__ = [
    "Blosc2Error",
    "Blosc2IOError",
    "ChunkInfo",
    "NDArray",
    "SChunk",
    "__version__",
    "asarray",
    "compress",
    "decompress",
    "empty",
    "full",
    "ndarray_from_cframe",
    "open",
    "open_schunk",
    "schunk_from_cframe",
    "zeros",
]


def empty(shape, dtype=None, urlpath=None, chunks=None, blocks=None, cparams=None, contiguous=True):
    """An array whose content is not set: zeros (no data stored), as python-blosc2's
    ``empty`` writes it. Arguments as :func:`zeros`."""
    return zeros(shape, dtype, urlpath, chunks, blocks, cparams, contiguous)
