//! The package's exceptions and the conversion of the library's errors into them.
//!
//! * `Blosc2Error(ValueError)`: every error of the format or the arrays (malformed or
//!   hostile files, bad parameters, shapes, dtypes), carrying the library's message and
//!   the C-Blosc2 error number in its `code` attribute.
//! * `Blosc2IOError(OSError, Blosc2Error)`: a file or directory that cannot be opened,
//!   read or written (`errno` and `filename` set where known), also caught by
//!   `except Blosc2Error` and by `except OSError`.

use pyo3::create_exception;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

create_exception!(
    blosc2rs,
    Blosc2Error,
    PyValueError,
    "An error of the Blosc2 format or of an array (malformed file, bad parameter, shape or \
     dtype). `code` holds the closest C-Blosc2 error number."
);

static IO_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `Blosc2IOError`, a subclass of both `OSError` and `Blosc2Error` (made at first use: a
/// class with two bases cannot be declared with `create_exception!`).
pub fn io_error_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    IO_ERROR
        .get_or_try_init(py, || {
            let bases = PyTuple::new(py, [py.get_type::<PyOSError>(), py.get_type::<Blosc2Error>()])?;
            let ns = PyDict::new(py);
            ns.set_item("__module__", "blosc2rs")?;
            ns.set_item(
                "__doc__",
                "A file or directory that cannot be opened, read or written (an OSError and a Blosc2Error).",
            )?;
            let t = py.get_type::<PyType>().call1(("Blosc2IOError", bases, ns))?;
            Ok::<_, PyErr>(t.cast_into::<PyType>()?.unbind())
        })
        .map(|t| t.bind(py))
}

/// An error of the library on its way to Python.
#[derive(Debug)]
pub enum Error {
    /// blosc2-core.
    Core(blosc2_core::Error),
    /// blosc2-nd.
    Nd(blosc2_nd::Error),
}

impl From<blosc2_core::Error> for Error {
    fn from(e: blosc2_core::Error) -> Error {
        Error::Core(e)
    }
}

impl From<blosc2_nd::Error> for Error {
    fn from(e: blosc2_nd::Error) -> Error {
        match e {
            blosc2_nd::Error::Core(c) => Error::Core(c),
            other => Error::Nd(other),
        }
    }
}

/// The errno of the I/O error kinds whose numbers are the same on Linux and macOS.
fn errno(kind: std::io::ErrorKind) -> Option<i32> {
    use std::io::ErrorKind as K;
    Some(match kind {
        K::NotFound => 2,
        K::PermissionDenied => 13,
        K::AlreadyExists => 17,
        K::NotADirectory => 20,
        K::IsADirectory => 21,
        _ => return None,
    })
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let (message, code) = match e {
        Error::Core(c) => (c.to_string(), c.code()),
        Error::Nd(n) => (n.to_string(), n.code()),
    };
    let err = match e {
        Error::Core(blosc2_core::Error::Io { kind, path, message }) => {
            let ty = io_error_type(py)?;
            match errno(*kind) {
                Some(no) => PyErr::from_type(ty.clone(), (no, message.clone(), path.clone())),
                None => PyErr::from_type(ty.clone(), (format!("{message}: {path}"),)),
            }
        }
        Error::Core(blosc2_core::Error::WriterActive { .. }) => {
            PyErr::from_type(io_error_type(py)?.clone(), (message,))
        }
        _ => Blosc2Error::new_err(message),
    };
    err.value(py).setattr("code", code)?;
    Ok(err)
}

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        Python::attach(|py| build(py, &e).unwrap_or_else(|failed| failed))
    }
}

/// A `Blosc2Error` with `message` (for conditions the bindings check themselves).
pub fn blosc2_error(message: impl Into<String>) -> PyErr {
    Blosc2Error::new_err(message.into())
}

/// Converts a library result into a Python one.
pub trait Lib<T> {
    /// The value, or the error as the package's exception.
    fn lib(self) -> PyResult<T>;
}

impl<T, E: Into<Error>> Lib<T> for std::result::Result<T, E> {
    fn lib(self) -> PyResult<T> {
        self.map_err(|e| PyErr::from(e.into()))
    }
}
