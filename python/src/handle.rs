//! Sharing a library object between Python threads: read-only objects are used as they are
//! (they are `Sync`: any number of threads read at once, with no lock), writable ones sit
//! behind a read-write lock (reads share it, a write has it alone). Work runs with the GIL
//! released. Also what the array and super-chunk classes share: opening a file in a mode,
//! where the object lives (path, memory map) and how it pickles.

use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::errors::{blosc2_error, Error, Lib};

/// A read-only or writable library object.
pub enum Handle<T> {
    /// Opened read-only: no lock.
    Read(T),
    /// Writable: reads take the lock shared, writes exclusive.
    Write(RwLock<T>),
}

impl<T: Send + Sync> Handle<T> {
    /// Wraps `value`, writable or not.
    pub fn new(value: T, writable: bool) -> Handle<T> {
        if writable {
            Handle::Write(RwLock::new(value))
        } else {
            Handle::Read(value)
        }
    }

    /// Whether writes are allowed.
    pub fn writable(&self) -> bool {
        matches!(self, Handle::Write(_))
    }

    /// `"r"` (read-only) or `"a"` (writable), the `mode` attribute.
    pub fn mode(&self) -> &'static str {
        if self.writable() {
            "a"
        } else {
            "r"
        }
    }

    /// Runs `f` on the object with the GIL released (decoding work).
    pub fn read<R: Send>(&self, py: Python<'_>, f: impl FnOnce(&T) -> R + Send) -> R {
        py.detach(|| match self {
            Handle::Read(v) => f(v),
            Handle::Write(l) => f(&l.read().unwrap_or_else(PoisonError::into_inner)),
        })
    }

    /// Runs `f` on the object for a quick look (metadata): in place when read-only, with the
    /// GIL released while waiting for the lock otherwise.
    pub fn peek<R: Send>(&self, py: Python<'_>, f: impl FnOnce(&T) -> R + Send) -> R {
        match self {
            Handle::Read(v) => f(v),
            Handle::Write(l) => py.detach(|| f(&l.read().unwrap_or_else(PoisonError::into_inner))),
        }
    }

    /// Runs `f` on the object with the write lock held and the GIL released.
    ///
    /// # Errors
    /// `Blosc2Error` when the object was opened read-only.
    pub fn write<R: Send>(&self, py: Python<'_>, f: impl FnOnce(&mut T) -> R + Send) -> PyResult<R> {
        match self {
            Handle::Read(_) => Err(read_only()),
            Handle::Write(l) => Ok(py.detach(|| f(&mut l.write().unwrap_or_else(PoisonError::into_inner)))),
        }
    }
}

/// The error of a write to an object opened read-only.
pub fn read_only() -> PyErr {
    blosc2_error("opened read-only (mode 'r'): open it with mode='a' to modify it")
}

/// `nbytes / cbytes`, 0 when nothing is stored.
pub fn ratio(nbytes: u64, cbytes: u64) -> f64 {
    if cbytes == 0 {
        0.0
    } else {
        nbytes as f64 / cbytes as f64
    }
}

/// A library object that opens from a path: writable, through a memory map, or with
/// positioned reads.
pub trait Open: Sized + Send {
    /// The library's error.
    type Error: Into<Error> + Send;
    /// Opened for reading and writing in place.
    fn open_mut(path: &Path) -> Result<Self, Self::Error>;
    /// Opened read-only through a memory map.
    fn open_mapped(path: &Path) -> Result<Self, Self::Error>;
    /// Opened read-only (positioned reads).
    fn open(path: &Path) -> Result<Self, Self::Error>;
}

impl Open for blosc2_nd::NdArray {
    type Error = blosc2_nd::Error;
    fn open_mut(path: &Path) -> Result<Self, Self::Error> {
        blosc2_nd::NdArray::open_mut(path)
    }
    fn open_mapped(path: &Path) -> Result<Self, Self::Error> {
        blosc2_nd::NdArray::open_mapped(path)
    }
    fn open(path: &Path) -> Result<Self, Self::Error> {
        blosc2_nd::NdArray::open(path)
    }
}

impl Open for blosc2_core::schunk::SChunk {
    type Error = blosc2_core::Error;
    fn open_mut(path: &Path) -> Result<Self, Self::Error> {
        blosc2_core::schunk::SChunk::open_mut(path)
    }
    fn open_mapped(path: &Path) -> Result<Self, Self::Error> {
        blosc2_core::schunk::SChunk::open_mapped(path)
    }
    fn open(path: &Path) -> Result<Self, Self::Error> {
        blosc2_core::schunk::SChunk::open(path)
    }
}

/// Opens `urlpath` in `mode` (`"r"`, or `"a"`/`"r+"` to write in place; `mmap` only
/// read-only) with the GIL released: the object and whether it is writable.
///
/// # Errors
/// `ValueError` for another mode or `mmap` with a writable mode; the library's errors.
pub fn open_in_mode<T: Open>(py: Python<'_>, urlpath: &Path, mode: &str, mmap: bool) -> PyResult<(T, bool)> {
    let writable = match mode {
        "r" => false,
        "a" | "r+" => true,
        other => return Err(PyValueError::new_err(format!("mode must be 'r' or 'a', not {other:?}"))),
    };
    if mmap && writable {
        return Err(PyValueError::new_err("mmap=True opens read-only: use mode='r'"));
    }
    let v = py
        .detach(|| match (writable, mmap) {
            (true, _) => T::open_mut(urlpath),
            (false, true) => T::open_mapped(urlpath),
            (false, false) => T::open(urlpath),
        })
        .lib()?;
    Ok((v, writable))
}

/// Where an object lives: its file or directory (`None` in memory) and whether the file is
/// read through a memory map.
pub struct Location {
    /// The file or directory.
    pub urlpath: Option<PathBuf>,
    /// Read through a memory map.
    pub mapped: bool,
}

impl Location {
    /// The `urlpath` attribute.
    pub fn urlpath(&self) -> Option<String> {
        self.urlpath.as_ref().map(|p| p.display().to_string())
    }

    /// `, urlpath='...'` for a `repr`, empty in memory.
    pub fn repr_part(&self) -> String {
        match &self.urlpath {
            Some(p) => format!(", urlpath='{}'", p.display()),
            None => String::new(),
        }
    }

    /// `__reduce__`: objects in a file reopen it read-only with the module's function
    /// `open(urlpath, "r", mmap)`, objects in memory travel as their frame (`cframe`) to
    /// `from_cframe`.
    pub fn reduce<'py>(
        &self,
        py: Python<'py>,
        open: &str,
        from_cframe: &str,
        cframe: impl FnOnce() -> PyResult<Bound<'py, PyBytes>>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let m = py.import("blosc2rs")?;
        match &self.urlpath {
            Some(p) => Ok((m.getattr(open)?, (p.display().to_string(), "r", self.mapped).into_pyobject(py)?)),
            None => Ok((m.getattr(from_cframe)?, (cframe()?,).into_pyobject(py)?)),
        }
    }
}
