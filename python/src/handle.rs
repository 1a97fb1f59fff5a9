//! Sharing a library object between Python threads: read-only objects are used as they are
//! (they are `Sync`: any number of threads read at once, with no lock), writable ones sit
//! behind a read-write lock (reads share it, a write has it alone). Work runs with the GIL
//! released.

use std::sync::{PoisonError, RwLock};

use pyo3::prelude::*;

use crate::errors::blosc2_error;

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
