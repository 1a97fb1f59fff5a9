//! NumPy basic indexing (integers, slices with any step, `...`, `None`, tuples shorter than
//! ndim) resolved into a box of the array, steps and the shape of the result.

use pyo3::exceptions::PyIndexError as IndexError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyEllipsis, PySlice, PyTuple};

/// A resolved key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// First index read per array dimension.
    pub start: Vec<u64>,
    /// One past the last index read per array dimension (a box holding every selected
    /// element: `stop - start` is 1 for an integer, `(n - 1) * step + 1` for a slice).
    pub stop: Vec<u64>,
    /// Step per array dimension (positive; negative steps are read forwards, then
    /// flipped).
    pub step: Vec<u64>,
    /// Elements selected per array dimension (integers: 1).
    pub count: Vec<u64>,
    /// The shape of the result: slices' counts in order, integers dropped, `None` as 1.
    pub out_shape: Vec<u64>,
    /// Axes of the result to reverse (slices with a negative step).
    pub flip: Vec<usize>,
    /// Whether the result is a scalar (0-d result and no `...` in the key, as in NumPy).
    pub scalar: bool,
}

impl Plan {
    /// Whether some dimension has a step above 1.
    pub fn stepped(&self) -> bool {
        self.step.iter().any(|&s| s > 1)
    }

    /// The shape of the box read (`stop - start`).
    pub fn box_shape(&self) -> Vec<u64> {
        self.start.iter().zip(&self.stop).map(|(a, b)| b - a).collect()
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.count.contains(&0)
    }
}

enum Item {
    Int(i64),
    Slice(Py<PySlice>),
    NewAxis,
    Ellipsis,
}

const INVALID: &str = "only integers, slices (`:`), ellipsis (`...`) and None (`numpy.newaxis`) are valid indices \
                       (integer and boolean arrays are not supported)";

fn item(py: Python<'_>, k: &Bound<'_, PyAny>) -> PyResult<Item> {
    if k.is_none() {
        return Ok(Item::NewAxis);
    }
    if k.is(PyEllipsis::get(py)) {
        return Ok(Item::Ellipsis);
    }
    if let Ok(s) = k.cast::<PySlice>() {
        return Ok(Item::Slice(s.clone().unbind()));
    }
    if k.is_instance_of::<PyBool>() {
        return Err(IndexError::new_err(INVALID));
    }
    k.extract::<i64>().map(Item::Int).map_err(|_| IndexError::new_err(INVALID))
}

/// Resolves `key` against `shape`.
///
/// # Errors
/// `IndexError` as NumPy raises it: indices out of bounds, too many indices, more than one
/// ellipsis, index types other than those above.
pub fn plan(py: Python<'_>, key: &Bound<'_, PyAny>, shape: &[u64]) -> PyResult<Plan> {
    let items: Vec<Item> = match key.cast::<PyTuple>() {
        Ok(t) => t.iter().map(|k| item(py, &k)).collect::<PyResult<_>>()?,
        Err(_) => vec![item(py, key)?],
    };
    let ndim = shape.len();
    let ellipses = items.iter().filter(|i| matches!(i, Item::Ellipsis)).count();
    if ellipses > 1 {
        return Err(IndexError::new_err("an index can only have a single ellipsis ('...')"));
    }
    let real = items.iter().filter(|i| matches!(i, Item::Int(_) | Item::Slice(_))).count();
    if real > ndim {
        return Err(IndexError::new_err(format!(
            "too many indices for array: array is {ndim}-dimensional, but {real} were indexed"
        )));
    }
    let mut p = Plan {
        start: Vec::with_capacity(ndim),
        stop: Vec::with_capacity(ndim),
        step: Vec::with_capacity(ndim),
        count: Vec::with_capacity(ndim),
        out_shape: Vec::with_capacity(ndim),
        flip: Vec::new(),
        scalar: ellipses == 0,
    };
    let whole = |p: &mut Plan, d: usize| {
        p.start.push(0);
        p.stop.push(shape[d]);
        p.step.push(1);
        p.count.push(shape[d]);
        p.out_shape.push(shape[d]);
    };
    let mut d = 0;
    for it in &items {
        match it {
            Item::NewAxis => p.out_shape.push(1),
            Item::Ellipsis => {
                for _ in 0..ndim - real {
                    whole(&mut p, d);
                    d += 1;
                }
            }
            Item::Int(i) => {
                let len = shape[d];
                let j = if *i < 0 { i.checked_add(len as i64) } else { Some(*i) };
                let j = j.filter(|&j| j >= 0 && (j as u64) < len).ok_or_else(|| {
                    IndexError::new_err(format!("index {i} is out of bounds for axis {d} with size {len}"))
                })? as u64;
                p.start.push(j);
                p.stop.push(j + 1);
                p.step.push(1);
                p.count.push(1);
                d += 1;
            }
            Item::Slice(s) => {
                let len = shape[d];
                let len_i = isize::try_from(len).map_err(|_| IndexError::new_err("dimension too long"))?;
                let ix = s.bind(py).indices(len_i)?;
                let n = ix.slicelength as u64;
                if n == 0 {
                    p.start.push(0);
                    p.stop.push(0);
                    p.step.push(1);
                } else if ix.step > 0 {
                    let first = ix.start as u64;
                    p.start.push(first);
                    p.stop.push(first + (n - 1) * ix.step as u64 + 1);
                    p.step.push(ix.step as u64);
                } else {
                    let step = ix.step.unsigned_abs() as u64;
                    let last = ix.start as u64;
                    p.start.push(last - (n - 1) * step);
                    p.stop.push(last + 1);
                    p.step.push(step);
                    if n > 1 {
                        p.flip.push(p.out_shape.len());
                    }
                }
                p.count.push(n);
                p.out_shape.push(n);
                d += 1;
            }
        }
    }
    while d < ndim {
        whole(&mut p, d);
        d += 1;
    }
    p.scalar = p.scalar && p.out_shape.is_empty();
    Ok(p)
}
