//! `blosc2rs._blosc2rs`: the extension module of the `blosc2rs` Python package (the
//! package's `__init__.py` re-exports it).
//!
//! * `array`: `NDArray` (b2nd arrays with NumPy indexing) and `open`, `asarray`, `zeros`
//!   (the package's `empty` too), `full`, `ndarray_from_cframe`;
//! * `chunk`: `compress`, `decompress` (one chunk);
//! * `schunk`: `SChunk` (frames of chunks) and `open_schunk`, `schunk_from_cframe`;
//! * `errors`: `Blosc2Error`, `Blosc2IOError` and the conversion of the library's errors;
//! * `params`: python-blosc2-like compression parameters;
//! * `index`: NumPy basic indexing resolved into boxes and steps;
//! * `convert`: NumPy dtypes and buffers;
//! * `handle`: sharing objects between threads (no lock for read-only ones);
//! * `milkyway`: the Milky Way explorer (`_milkyway`: ingest, merge, stats, query, synth).
//!
//! Decompression and compression run with the GIL released.

#![deny(unsafe_code)]

use pyo3::prelude::*;

mod array;
mod chunk;
mod convert;
mod errors;
mod handle;
mod index;
mod milkyway;
mod params;
mod schunk;

#[pymodule]
fn _blosc2rs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("Blosc2Error", py.get_type::<errors::Blosc2Error>())?;
    m.add("Blosc2IOError", errors::io_error_type(py)?)?;
    m.add_class::<array::PyNdArray>()?;
    m.add_class::<array::ChunkInfo>()?;
    m.add_class::<schunk::PySChunk>()?;
    m.add_function(wrap_pyfunction!(array::open, m)?)?;
    m.add_function(wrap_pyfunction!(array::asarray, m)?)?;
    m.add_function(wrap_pyfunction!(array::zeros, m)?)?;
    m.add_function(wrap_pyfunction!(array::full, m)?)?;
    m.add_function(wrap_pyfunction!(array::ndarray_from_cframe, m)?)?;
    m.add_function(wrap_pyfunction!(array::_set_alloc_threshold, m)?)?;
    m.add_function(wrap_pyfunction!(chunk::compress, m)?)?;
    m.add_function(wrap_pyfunction!(chunk::decompress, m)?)?;
    m.add_function(wrap_pyfunction!(schunk::open_schunk, m)?)?;
    m.add_function(wrap_pyfunction!(schunk::schunk_from_cframe, m)?)?;
    m.add_submodule(&milkyway::module(py)?)?;
    Ok(())
}
