"""The python-blosc2 compression parameters of a case written by the Rust interoperability
tests (tests/chunk_interop.rs, tests/dict_interop.rs): codec, clevel, typesize, the filter
slots and their meta, split mode and block size of the case, one thread.

Imported by the scripts beside it (Python puts a script's own directory on its path).
"""

import blosc2


def cparams_of(c, **extra):
    """blosc2.CParams for case `c`, with `extra` (e.g. use_dict=True) added."""
    return blosc2.CParams(
        codec=blosc2.Codec(c["codec"]),
        clevel=c["clevel"],
        typesize=c["typesize"],
        filters=[blosc2.Filter(f) for f in c["filters"]],
        filters_meta=c["filters_meta"],
        splitmode=blosc2.SplitMode(c["splitmode"]),
        blocksize=c["blocksize"],
        nthreads=1,
        **extra,
    )
