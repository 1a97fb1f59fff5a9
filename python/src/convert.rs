//! NumPy glue: dtypes both ways, the bytes of any array or bytes-like object, and NumPy
//! arrays made from decoded bytes.

use blosc2_nd::DType;
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyTuple};

use crate::errors::Error;

static NUMPY: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The `numpy` module.
pub fn np(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    NUMPY.get_or_try_init(py, || Ok::<_, PyErr>(py.import("numpy")?.unbind())).map(|m| m.bind(py))
}

/// The NumPy dtype of a stored dtype string, read as python-blosc2 reads it:
/// `numpy.dtype(s)`, and for structured dtypes (stored as `str(dtype)`)
/// `numpy.dtype(ast.literal_eval(s))`.
pub fn numpy_dtype<'py>(py: Python<'py>, dtype: &DType) -> PyResult<Bound<'py, PyAny>> {
    let np = np(py)?;
    match np.call_method1(intern!(py, "dtype"), (dtype.as_str(),)) {
        Ok(d) => Ok(d),
        Err(first) => {
            let literal = py.import("ast")?.call_method1("literal_eval", (dtype.as_str(),)).map_err(|_| first)?;
            np.call_method1(intern!(py, "dtype"), (literal,))
        }
    }
}

/// The dtype string python-blosc2 stores for a NumPy dtype (`str(dtype)` for void and
/// structured dtypes, `dtype.str` otherwise), checked by the library.
pub fn dtype_of(py: Python<'_>, dtype: &Bound<'_, PyAny>) -> PyResult<DType> {
    let dtype = np(py)?.call_method1(intern!(py, "dtype"), (dtype,))?;
    if dtype.getattr(intern!(py, "hasobject"))?.is_truthy()? {
        return Err(PyTypeError::new_err(format!("dtype {dtype} holds Python objects, which blosc2 cannot store")));
    }
    let kind: String = dtype.getattr(intern!(py, "kind"))?.extract()?;
    let s: String = if kind == "V" { dtype.str()?.extract()? } else { dtype.getattr(intern!(py, "str"))?.extract()? };
    Ok(DType::parse(&s).map_err(Error::from)?)
}

/// `a` as a C-contiguous NumPy array (converted from any array-like, cast to `dtype` when
/// given).
pub fn as_contiguous<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    dtype: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let np = np(py)?;
    let a = match dtype {
        Some(d) => np.call_method1(intern!(py, "asarray"), (a, d))?,
        None => np.call_method1(intern!(py, "asarray"), (a,))?,
    };
    // `ascontiguousarray` makes 0-d arrays 1-d: keep the shape.
    let shape = a.getattr(intern!(py, "shape"))?;
    np.call_method1(intern!(py, "ascontiguousarray"), (a,))?.call_method1(intern!(py, "reshape"), (shape,))
}

/// The bytes of a C-contiguous NumPy array, as a 1-d `uint8` array sharing its memory.
pub fn byte_view<'py>(py: Python<'py>, a: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<u8>>> {
    let flat = a.call_method1(intern!(py, "reshape"), (-1,))?;
    let bytes = flat.call_method1(intern!(py, "view"), (np(py)?.getattr(intern!(py, "uint8"))?,))?;
    Ok(bytes.cast_into::<PyArray1<u8>>()?)
}

/// Read access to the bytes of a 1-d `uint8` array (borrow-checked by `numpy`).
pub fn read_bytes<'py>(a: &Bound<'py, PyArray1<u8>>) -> PyResult<PyReadonlyArray1<'py, u8>> {
    a.try_readonly().map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The bytes of a bytes-like argument (`bytes`, `bytearray`, a NumPy array, anything
/// `memoryview` accepts), borrowed where possible.
pub enum InputBytes<'py> {
    /// A `bytes` object, borrowed.
    Bytes(Bound<'py, PyBytes>),
    /// The bytes of a NumPy array (or of a copy made by `bytes(obj)`), borrowed.
    Array(PyReadonlyArray1<'py, u8>),
}

impl InputBytes<'_> {
    /// The bytes.
    pub fn as_slice(&self) -> PyResult<&[u8]> {
        match self {
            InputBytes::Bytes(b) => Ok(b.as_bytes()),
            InputBytes::Array(a) => a.as_slice().map_err(|e| PyValueError::new_err(e.to_string())),
        }
    }
}

/// Reads a bytes-like argument, and the item size of a NumPy array (as a default
/// typesize).
pub fn input_bytes<'py>(py: Python<'py>, obj: &Bound<'py, PyAny>) -> PyResult<(InputBytes<'py>, Option<usize>)> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok((InputBytes::Bytes(b.clone()), None));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok((InputBytes::Bytes(PyBytes::new(py, &b.to_vec())), None));
    }
    let np = np(py)?;
    if obj.is_instance(&np.getattr(intern!(py, "ndarray"))?)? {
        let itemsize: usize = obj.getattr(intern!(py, "itemsize"))?.extract()?;
        let a = as_contiguous(py, obj, None)?;
        return Ok((InputBytes::Array(read_bytes(&byte_view(py, &a)?)?), Some(itemsize)));
    }
    // Any other object with the buffer protocol (memoryview, array.array, mmap, ...).
    let mv = py.import("builtins")?.getattr("memoryview")?.call1((obj,)).map_err(|_| {
        PyTypeError::new_err(format!("expected a bytes-like object or a NumPy array, not {}", type_name(obj)))
    })?;
    let flat = np.call_method1(intern!(py, "frombuffer"), (mv.call_method0("tobytes")?, np.getattr("uint8")?))?;
    Ok((InputBytes::Array(read_bytes(&flat.cast_into::<PyArray1<u8>>()?)?), None))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// A new, writable 1-d `uint8` array of `n` bytes allocated by NumPy (a `MemoryError`
/// rather than an abort when the memory is not there).
pub fn empty_bytes(py: Python<'_>, n: usize) -> PyResult<Bound<'_, PyArray1<u8>>> {
    let np = np(py)?;
    Ok(np.call_method1(intern!(py, "empty"), (n, np.getattr(intern!(py, "uint8"))?))?.cast_into::<PyArray1<u8>>()?)
}

/// A NumPy array of `dtype` and `shape` over `bytes` (C order): a 1-d `uint8` array viewed
/// as `dtype` and reshaped, no copy.
pub fn shaped<'py>(
    py: Python<'py>,
    bytes: Bound<'py, PyArray1<u8>>,
    dtype: &Bound<'py, PyAny>,
    shape: &[u64],
) -> PyResult<Bound<'py, PyAny>> {
    let shape = PyTuple::new(py, shape)?;
    let typed = if bytes.len() == 0 {
        // A view of no bytes cannot be given a dtype of another size in NumPy < 1.23.
        np(py)?.call_method1(intern!(py, "empty"), ((0,), dtype))?
    } else {
        bytes.call_method1(intern!(py, "view"), (dtype,))?
    };
    typed.call_method1(intern!(py, "reshape"), (shape,))
}

/// `shape` as a Python tuple.
pub fn shape_tuple<'py>(py: Python<'py>, shape: &[u64]) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, shape)
}

/// A shape argument: an int or a sequence of ints.
pub fn shape_arg(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u64>> {
    if let Ok(n) = obj.extract::<i64>() {
        return to_u64(&[n]);
    }
    let items: Vec<i64> = obj.extract().map_err(|_| PyTypeError::new_err("a shape is an int or a tuple of ints"))?;
    to_u64(&items)
}

/// An optional shape argument (`None` = automatic).
pub fn opt_shape(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<u64>>> {
    match obj {
        Some(o) if !o.is_none() => Ok(Some(shape_arg(o)?)),
        _ => Ok(None),
    }
}

fn to_u64(v: &[i64]) -> PyResult<Vec<u64>> {
    v.iter()
        .map(|&x| {
            u64::try_from(x).map_err(|_| PyValueError::new_err(format!("negative dimensions are not allowed: {x}")))
        })
        .collect()
}
