//! NumPy `.npy` files (format versions 1.0, 2.0 and 3.0): header parsing with checked
//! lengths, C- and Fortran-order data, and writing arrays chunk-row by chunk-row.

use std::io::Write;
use std::path::Path;

use blosc2_core::tune::Tuner;

use crate::array::{NdArray, Options};
use crate::dtype::pylit::{self, Value};
use crate::dtype::{DType, Kind};
use crate::error::{Error, Result};
use crate::geometry::{product, strides, unravel};
use crate::region::Region;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The header of a `.npy` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// Element type.
    pub dtype: DType,
    /// Array shape.
    pub shape: Vec<u64>,
    /// Whether the data is in Fortran (column-major) order.
    pub fortran_order: bool,
    /// Offset of the first data byte.
    pub data_offset: usize,
}

fn npy_err(offset: usize, reason: &'static str) -> Error {
    Error::Npy { offset, reason }
}

fn io_err(e: &std::io::Error, path: &Path) -> Error {
    Error::Core(blosc2_core::Error::io(e, path))
}

/// Parses the header of a `.npy` file held in `bytes`.
///
/// # Errors
/// [`Error::Npy`] for a malformed header; [`Error::UnknownDtype`] for types this crate
/// does not handle (such as objects).
pub fn parse_header(bytes: &[u8]) -> Result<NpyHeader> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(npy_err(0, "not a .npy file (bad magic)"));
    }
    let major = bytes[6];
    let (len, start): (usize, usize) = match major {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 => {
            let b = bytes.get(8..12).ok_or(npy_err(8, "truncated header length"))?;
            (u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize, 12)
        }
        _ => return Err(npy_err(6, "unsupported format version")),
    };
    let end = start.checked_add(len).ok_or(npy_err(start, "header length overflows"))?;
    let text = bytes.get(start..end).ok_or(npy_err(start, "header longer than the file"))?;
    let text = std::str::from_utf8(text).map_err(|_| npy_err(start, "header is not text"))?;
    let Some(Value::Dict(items)) = pylit::parse(text.trim_end()) else {
        return Err(npy_err(start, "header is not a Python dict literal"));
    };
    let get = |k: &str| items.iter().find(|(key, _)| matches!(key, Value::Str(s) if s == k)).map(|(_, v)| v);
    let dtype = match get("descr") {
        Some(Value::Str(s)) => DType::parse(s)?,
        Some(v @ Value::List(_)) => DType::parse(&pylit::repr(v))?,
        _ => return Err(npy_err(start, "missing or bad 'descr'")),
    };
    let fortran_order = match get("fortran_order") {
        Some(Value::Bool(b)) => *b,
        _ => return Err(npy_err(start, "missing or bad 'fortran_order'")),
    };
    let shape = match get("shape") {
        Some(Value::Tuple(items)) => items
            .iter()
            .map(|v| match v {
                Value::Int(i) if *i >= 0 => Ok(*i as u64),
                _ => Err(npy_err(start, "shape items must be non-negative integers")),
            })
            .collect::<Result<Vec<u64>>>()?,
        _ => return Err(npy_err(start, "missing or bad 'shape'")),
    };
    Ok(NpyHeader { dtype, shape, fortran_order, data_offset: end })
}

/// The header bytes of a `.npy` file for `dtype` and `shape` (version 1.0 when it fits,
/// else 2.0), padded so the data starts at a multiple of 64 bytes.
///
/// # Errors
/// [`Error::Unsupported`] for structured dtypes given in dict form.
pub fn header_bytes(dtype: &DType, shape: &[u64]) -> Result<Vec<u8>> {
    let descr = match dtype.kind() {
        Kind::Structured => match pylit::parse(dtype.as_str()) {
            Some(v @ Value::List(_)) => pylit::repr(&v),
            Some(Value::Dict(d)) => pylit::repr(&dict_to_descr(&d).ok_or(Error::Unsupported {
                operation: "writing .npy",
                reason: "structured dtype dict without increasing offsets",
            })?),
            _ => return Err(Error::UnknownDtype { dtype: dtype.as_str().to_string() }),
        },
        _ => format!("'{}'", dtype.as_str()),
    };
    let shape_s = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!("({})", shape.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let dict = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': {shape_s}, }}");
    let build = |prefix: usize| {
        let unpadded = prefix + dict.len() + 1;
        let pad = unpadded.div_ceil(64) * 64 - unpadded;
        let mut h = dict.clone().into_bytes();
        h.extend(std::iter::repeat_n(b' ', pad));
        h.push(b'\n');
        h
    };
    let h = build(10);
    let mut out = MAGIC.to_vec();
    if h.len() <= u16::MAX as usize {
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        out.extend_from_slice(&h);
    } else {
        let h = build(12);
        out.extend_from_slice(&[2, 0]);
        out.extend_from_slice(&(h.len() as u32).to_le_bytes());
        out.extend_from_slice(&h);
    }
    Ok(out)
}

/// The `.npy` descr (a field list with `('', '|V<n>')` padding, as NumPy writes it) of a
/// structured dtype given in dict form.
fn dict_to_descr(d: &[(Value, Value)]) -> Option<Value> {
    let get = |k: &str| d.iter().find(|(key, _)| matches!(key, Value::Str(s) if s == k)).map(|(_, v)| v);
    let (Some(Value::List(names)), Some(Value::List(formats))) = (get("names"), get("formats")) else { return None };
    if names.len() != formats.len() {
        return None;
    }
    let sizes: Vec<u64> = formats
        .iter()
        .map(|f| {
            DType::parse(&match f {
                Value::Str(s) => s.clone(),
                other => pylit::repr(other),
            })
        })
        .map(|r| r.ok().map(|d| d.itemsize() as u64))
        .collect::<Option<_>>()?;
    let offsets: Vec<u64> = match get("offsets") {
        Some(Value::List(o)) if o.len() == names.len() => o
            .iter()
            .map(|v| if let Value::Int(i) = v { u64::try_from(*i).ok() } else { None })
            .collect::<Option<_>>()?,
        None => sizes
            .iter()
            .scan(0, |acc, s| {
                let o = *acc;
                *acc += s;
                Some(o)
            })
            .collect(),
        _ => return None,
    };
    let mut fields = Vec::new();
    let mut pos = 0u64;
    let pad = |n: u64| Value::Tuple(vec![Value::Str(String::new()), Value::Str(format!("|V{n}"))]);
    for ((name, fmt), (&off, &size)) in names.iter().zip(formats).zip(offsets.iter().zip(&sizes)) {
        if off < pos {
            return None;
        }
        if off > pos {
            fields.push(pad(off - pos));
        }
        fields.push(Value::Tuple(vec![name.clone(), fmt.clone()]));
        pos = off + size;
    }
    if let Some(Value::Int(total)) = get("itemsize") {
        let total = u64::try_from(*total).ok()?;
        if total < pos {
            return None;
        }
        if total > pos {
            fields.push(pad(total - pos));
        }
    }
    Some(Value::List(fields))
}

/// Reads a whole `.npy` buffer: the header and the data in C order.
///
/// # Errors
/// As [`parse_header`], plus [`Error::Npy`] when the data is shorter than the shape says.
pub fn read(bytes: &[u8]) -> Result<(NpyHeader, Vec<u8>)> {
    let h = parse_header(bytes)?;
    let ts = h.dtype.itemsize() as u64;
    let n = product(&h.shape).and_then(|p| p.checked_mul(ts)).ok_or(npy_err(h.data_offset, "shape overflows"))?;
    let data = bytes
        .get(h.data_offset..)
        .filter(|d| d.len() as u64 >= n)
        .ok_or(npy_err(h.data_offset, "data shorter than the shape"))?;
    let data = &data[..n as usize];
    let c_order =
        if h.fortran_order && h.shape.len() > 1 { fortran_to_c(data, &h.shape, ts as usize) } else { data.to_vec() };
    Ok((h, c_order))
}

fn fortran_to_c(data: &[u8], shape: &[u64], ts: usize) -> Vec<u8> {
    let rev: Vec<u64> = shape.iter().rev().copied().collect();
    let fstr: Vec<u64> = strides(&rev).into_iter().rev().collect();
    let total = product(shape).unwrap_or(0);
    let mut out = Vec::with_capacity(data.len());
    for k in 0..total {
        let idx = unravel(k, shape);
        let off = idx.iter().zip(&fstr).map(|(i, s)| i * s).sum::<u64>() as usize * ts;
        out.extend_from_slice(&data[off..off + ts]);
    }
    out
}

impl NdArray {
    /// An array from the bytes of a `.npy` file.
    ///
    /// # Errors
    /// As [`read`] and [`NdArray::from_bytes`].
    pub fn from_npy_bytes(bytes: &[u8], opts: &Options) -> Result<NdArray> {
        let (h, data) = read(bytes)?;
        NdArray::from_bytes(&h.shape, &h.dtype, &data, opts)
    }

    /// As [`NdArray::from_npy`], every chunk compressed with the parameters `tuner`
    /// chooses (see [`NdArray::from_bytes_tuned`]).
    ///
    /// # Errors
    /// As [`NdArray::from_npy`].
    pub fn from_npy_tuned(path: impl AsRef<Path>, opts: &Options, tuner: Box<dyn Tuner>) -> Result<NdArray> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| io_err(&e, path))?;
        let (h, data) = read(&bytes)?;
        NdArray::from_bytes_tuned(&h.shape, &h.dtype, &data, opts, tuner)
    }

    /// An array from a `.npy` file.
    ///
    /// # Errors
    /// I/O errors; as [`NdArray::from_npy_bytes`].
    pub fn from_npy(path: impl AsRef<Path>, opts: &Options) -> Result<NdArray> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| io_err(&e, path))?;
        Self::from_npy_bytes(&bytes, opts)
    }

    /// Writes the array as a `.npy` stream, one row of chunks at a time.
    ///
    /// # Errors
    /// I/O, header and chunk errors.
    pub fn write_npy<W: Write>(&self, w: &mut W) -> Result<()> {
        let here = Path::new("<writer>");
        w.write_all(&header_bytes(&self.dtype, self.shape())?).map_err(|e| io_err(&e, here))?;
        if self.ndim() == 0 || self.shape()[0] == 0 {
            if self.ndim() == 0 || !self.is_empty() {
                w.write_all(&self.to_bytes()?).map_err(|e| io_err(&e, here))?;
            }
            return Ok(());
        }
        let c0 = self.chunks()[0];
        let mut start = vec![0u64; self.ndim()];
        let mut stop = self.shape().to_vec();
        let mut i = 0;
        while i < self.shape()[0] {
            start[0] = i;
            stop[0] = (i + c0).min(self.shape()[0]);
            w.write_all(&self.read_box(&Region::from_start_stop(&start, &stop)?)?).map_err(|e| io_err(&e, here))?;
            i = stop[0];
        }
        Ok(())
    }

    /// Writes the array to a `.npy` file.
    ///
    /// # Errors
    /// As [`NdArray::write_npy`].
    pub fn to_npy(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let f = std::fs::File::create(path).map_err(|e| io_err(&e, path))?;
        let mut w = std::io::BufWriter::new(f);
        self.write_npy(&mut w)?;
        w.flush().map_err(|e| io_err(&e, path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let d = DType::parse("<f4").unwrap();
        let h = header_bytes(&d, &[3, 4]).unwrap();
        assert_eq!(h.len() % 64, 0);
        let p = parse_header(&h).unwrap();
        assert_eq!((p.dtype, p.shape, p.fortran_order, p.data_offset), (d, vec![3, 4], false, h.len()));
        let s = DType::parse("[('x', '<i4'), ('name', 'S5')]").unwrap();
        let p = parse_header(&header_bytes(&s, &[7]).unwrap()).unwrap();
        assert_eq!(p.dtype.itemsize(), 9);
        for n in 0..h.len() {
            assert!(parse_header(&h[..n]).is_err());
        }
    }

    #[test]
    fn fortran_order_is_transposed() {
        // 2x3 array [[0,1,2],[3,4,5]] in Fortran order is 0,3,1,4,2,5.
        let f = [0u8, 3, 1, 4, 2, 5];
        assert_eq!(fortran_to_c(&f, &[2, 3], 1), vec![0, 1, 2, 3, 4, 5]);
    }
}
