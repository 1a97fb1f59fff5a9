//! `SChunk`: a super-chunk (a sequence of chunks, in memory, in a contiguous frame file or
//! a sparse-frame directory), like python-blosc2's `SChunk`.

use std::path::PathBuf;

use blosc2_core::schunk::SChunk;
use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::convert::input_bytes;
use crate::errors::Lib;
use crate::handle::{open_in_mode, ratio, Handle, Location};
use crate::params::{self, CParams};

/// python-blosc2's default chunk size when `data` is given without one.
const DEFAULT_CHUNKSIZE: usize = 1 << 24;

/// A super-chunk: chunks appended one at a time, each decompressed on its own.
///
/// `SChunk(chunksize=None, data=None, urlpath=None, cparams=None, contiguous=True)`
/// starts one (in memory, or in a frame file at `urlpath`; a sparse-frame directory with
/// `contiguous=False`), with `data` cut into chunks of `chunksize` bytes. `open_schunk`
/// opens an existing frame.
#[pyclass(frozen, name = "SChunk", module = "blosc2rs")]
pub struct PySChunk {
    handle: Handle<SChunk>,
    location: Location,
}

impl PySChunk {
    /// A chunk index, negative ones counting from the end.
    fn chunk_index(&self, py: Python<'_>, i: i64) -> PyResult<u64> {
        let n = self.nchunks(py);
        let j = if i < 0 { i.checked_add(n as i64) } else { Some(i) };
        j.filter(|&j| j >= 0 && (j as u64) < n)
            .map(|j| j as u64)
            .ok_or_else(|| PyIndexError::new_err(format!("chunk {i} out of range: the super-chunk has {n} chunks")))
    }
}

#[pymethods]
impl PySChunk {
    #[new]
    #[pyo3(signature = (chunksize=None, data=None, urlpath=None, cparams=None, contiguous=true))]
    fn new(
        py: Python<'_>,
        chunksize: Option<usize>,
        data: Option<&Bound<'_, PyAny>>,
        urlpath: Option<PathBuf>,
        cparams: Option<&Bound<'_, PyAny>>,
        contiguous: bool,
    ) -> PyResult<PySChunk> {
        let input = data.filter(|d| !d.is_none()).map(|d| input_bytes(py, d)).transpose()?;
        let mut cp = params::parse(py, cparams, &[])?.unwrap_or_default();
        let itemsize = input.as_ref().and_then(|(_, i)| *i);
        cp.finish(itemsize.unwrap_or(CParams::default().params.typesize), false);
        let mut s = SChunk::new(cp.params);
        if let Some((bytes, _)) = &input {
            let bytes = bytes.as_slice()?;
            let cs = chunksize.unwrap_or(DEFAULT_CHUNKSIZE.min(bytes.len())).max(1);
            py.detach(|| s.append_data(bytes, cs)).lib()?;
        }
        let s = match &urlpath {
            Some(p) => py.detach(|| if contiguous { s.into_file(p) } else { s.into_sparse(p) }).lib()?,
            None => s,
        };
        Ok(PySChunk { handle: Handle::new(s, true), location: Location { urlpath, mapped: false } })
    }

    /// Compresses `data` (a bytes-like object or a NumPy array) into one new chunk at the
    /// end; returns the number of chunks.
    fn append_data(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<u64> {
        let (bytes, _) = input_bytes(py, data)?;
        let bytes = bytes.as_slice()?;
        self.handle.write(py, |s| s.append_buffer(bytes))?.lib()?;
        Ok(self.nchunks(py))
    }

    /// The decompressed bytes of chunk `nchunk` (negative counts from the end).
    fn decompress_chunk<'py>(&self, py: Python<'py>, nchunk: i64) -> PyResult<Bound<'py, PyBytes>> {
        let nchunk = self.chunk_index(py, nchunk)?;
        let n = self.handle.peek(py, |s| s.chunk_nbytes(nchunk)).lib()?;
        PyBytes::new_with(py, n, |buf| self.handle.read(py, |s| s.decompress_chunk_into(nchunk, buf)).map(drop).lib())
    }

    /// The compressed bytes of chunk `nchunk` (a chunk `decompress` reads; negative counts
    /// from the end).
    fn get_chunk<'py>(&self, py: Python<'py>, nchunk: i64) -> PyResult<Bound<'py, PyBytes>> {
        let nchunk = self.chunk_index(py, nchunk)?;
        let c = self.handle.read(py, |s| s.chunk(nchunk).map(|c| c.into_owned())).lib()?;
        Ok(PyBytes::new(py, &c))
    }

    /// Number of chunks.
    #[getter]
    fn nchunks(&self, py: Python<'_>) -> u64 {
        self.handle.peek(py, |s| s.nchunks())
    }

    /// Uncompressed size in bytes.
    #[getter]
    fn nbytes(&self, py: Python<'_>) -> u64 {
        self.handle.peek(py, |s| s.nbytes())
    }

    /// Compressed size in bytes (the chunks).
    #[getter]
    fn cbytes(&self, py: Python<'_>) -> u64 {
        self.handle.peek(py, |s| s.cbytes())
    }

    /// `nbytes / cbytes`.
    #[getter]
    fn cratio(&self, py: Python<'_>) -> f64 {
        let (n, c) = self.handle.peek(py, |s| (s.nbytes(), s.cbytes()));
        ratio(n, c)
    }

    /// Bytes per item.
    #[getter]
    fn typesize(&self, py: Python<'_>) -> usize {
        self.handle.peek(py, |s| s.typesize())
    }

    /// Size of the chunks in bytes (the last may be shorter; -1 before the first).
    #[getter]
    fn chunksize(&self, py: Python<'_>) -> i32 {
        self.handle.peek(py, |s| s.chunksize())
    }

    /// The compression parameters new chunks are written with (python-blosc2's keys).
    #[getter]
    fn cparams<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let p = self.handle.peek(py, |s| s.cparams().clone());
        Ok(params::to_dict(py, &p)?.into_any())
    }

    /// The file or directory the super-chunk lives in, `None` in memory.
    #[getter]
    fn urlpath(&self) -> Option<String> {
        self.location.urlpath()
    }

    /// `"r"` (read-only) or `"a"` (writable).
    #[getter]
    fn mode(&self) -> &'static str {
        self.handle.mode()
    }

    /// The super-chunk as a contiguous frame (the bytes of a `.b2frame` file).
    fn to_cframe<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let v = self.handle.read(py, |s| s.to_cframe()).lib()?;
        Ok(PyBytes::new(py, &v))
    }

    /// Items (`nbytes // typesize`), as python-blosc2 counts them.
    fn __len__(&self, py: Python<'_>) -> usize {
        self.handle.peek(py, |s| (s.nbytes() / s.typesize().max(1) as u64) as usize)
    }

    /// Pickling: frames in a file reopen it read-only, in-memory ones travel as their frame.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        self.location.reduce(py, "open_schunk", "schunk_from_cframe", || self.to_cframe(py))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let (n, nb, cb) = self.handle.peek(py, |s| (s.nchunks(), s.nbytes(), s.cbytes()));
        let place = self.location.repr_part();
        format!("SChunk(nchunks={n}, nbytes={nb}, cbytes={cb}{place}, mode='{}')", self.mode())
    }
}

/// Opens a frame (a `.b2frame`/`.b2nd` file or a sparse-frame directory) as a super-chunk:
/// `mode="r"` reads it lazily (`mmap=True`: through a memory map), `mode="a"` also
/// appends in place.
#[pyfunction]
#[pyo3(signature = (urlpath, mode="r", mmap=false))]
pub fn open_schunk(py: Python<'_>, urlpath: PathBuf, mode: &str, mmap: bool) -> PyResult<PySChunk> {
    let (s, writable) = open_in_mode::<SChunk>(py, &urlpath, mode, mmap)?;
    Ok(PySChunk { handle: Handle::new(s, writable), location: Location { urlpath: Some(urlpath), mapped: mmap } })
}

/// An in-memory, writable super-chunk from the bytes of a contiguous frame.
#[pyfunction]
pub fn schunk_from_cframe(py: Python<'_>, cframe: &Bound<'_, PyBytes>) -> PyResult<PySChunk> {
    let bytes = cframe.as_bytes().to_vec();
    let s = py.detach(|| SChunk::from_cframe(bytes)).lib()?;
    Ok(PySChunk { handle: Handle::new(s, true), location: Location { urlpath: None, mapped: false } })
}
