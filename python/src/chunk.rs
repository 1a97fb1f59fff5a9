//! Chunk-level `compress` and `decompress`: one buffer to one Blosc2 chunk and back, the
//! chunks python-blosc2's `compress2`/`decompress2` write and read.

use blosc2_core::chunk::{self, ChunkHeader};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::convert::input_bytes;
use crate::errors::Lib;
use crate::params::{self, cores, CParams};

/// Compresses a bytes-like object (or a NumPy array: its bytes, typesize defaulting to
/// its itemsize) into one Blosc2 chunk. Parameters as python-blosc2's `CParams`, given
/// one by one or as a `cparams` dict (the keywords win); names (`"zstd"`, `"bitshuffle"`)
/// or python-blosc2's ints and enums. Defaults: zstd, clevel 5, shuffle, typesize 8,
/// every core.
#[pyfunction]
#[pyo3(signature = (src, typesize=None, clevel=None, codec=None, filters=None, filters_meta=None,
                    splitmode=None, nthreads=None, blocksize=None, codec_meta=None, use_dict=None, cparams=None))]
#[allow(clippy::too_many_arguments)]
pub fn compress<'py>(
    py: Python<'py>,
    src: &Bound<'py, PyAny>,
    typesize: Option<&Bound<'py, PyAny>>,
    clevel: Option<&Bound<'py, PyAny>>,
    codec: Option<&Bound<'py, PyAny>>,
    filters: Option<&Bound<'py, PyAny>>,
    filters_meta: Option<&Bound<'py, PyAny>>,
    splitmode: Option<&Bound<'py, PyAny>>,
    nthreads: Option<&Bound<'py, PyAny>>,
    blocksize: Option<&Bound<'py, PyAny>>,
    codec_meta: Option<&Bound<'py, PyAny>>,
    use_dict: Option<&Bound<'py, PyAny>>,
    cparams: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let (input, itemsize) = input_bytes(py, src)?;
    let overrides = [
        ("typesize", typesize),
        ("clevel", clevel),
        ("codec", codec),
        ("filters", filters),
        ("filters_meta", filters_meta),
        ("splitmode", splitmode),
        ("nthreads", nthreads),
        ("blocksize", blocksize),
        ("codec_meta", codec_meta),
        ("use_dict", use_dict),
    ];
    let mut cp = params::parse(py, cparams, &overrides)?.unwrap_or_default();
    cp.finish(itemsize.unwrap_or(CParams::default().params.typesize), false);
    let data = input.as_slice()?;
    let out = py.detach(|| chunk::compress(&cp.params, data)).lib()?;
    Ok(PyBytes::new(py, &out))
}

/// Decompresses one Blosc2 chunk (ours, python-blosc2's `compress2` or `compress`, any
/// C-Blosc2 chunk) into `bytes`. `nthreads` defaults to every core.
#[pyfunction]
#[pyo3(signature = (src, nthreads=None))]
pub fn decompress<'py>(
    py: Python<'py>,
    src: &Bound<'py, PyAny>,
    nthreads: Option<usize>,
) -> PyResult<Bound<'py, PyBytes>> {
    let (input, _) = input_bytes(py, src)?;
    let c = input.as_slice()?;
    let n = ChunkHeader::parse(c).lib()?.nbytes;
    let nthreads = nthreads.unwrap_or_else(cores).max(1);
    PyBytes::new_with(py, n, |buf| py.detach(|| chunk::decompress_into(c, buf, nthreads)).map(drop).lib())
}
