//! Element bytes as numbers: the dtype families python-blosc2 writes, a field of a
//! structured dtype, and what each becomes in JSON, images and statistics.

use blosc2_nd::dtype::ByteOrder;
use blosc2_nd::{DType, Kind};

use crate::error::{Error, Result};

/// How the elements of a (field) dtype are read as numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Numeric {
    /// The dtype of the values (the field's for a structured array).
    pub dtype: DType,
    /// Byte offset of the value in an element (the field's offset).
    pub offset: usize,
    /// Bytes per element of the array.
    pub stride: usize,
}

impl Numeric {
    /// The numbers of an array of `dtype`, or of its field `field`.
    ///
    /// # Errors
    /// [`Error::BadParameter`] naming `field`: a structured dtype without a field, an
    /// unknown field, a field on a plain dtype, or values that are not numbers (strings,
    /// raw bytes, sub-arrays, nested structures).
    pub fn new(dtype: &DType, field: Option<&str>) -> Result<Numeric> {
        let (vt, offset) = match (dtype.fields(), field) {
            (Some(fields), Some(name)) => {
                let f = fields
                    .iter()
                    .find(|f| f.name == name)
                    .ok_or_else(|| Error::bad("field", format!("no field {name:?} in {dtype}")))?;
                if f.count != 1 {
                    return Err(Error::bad("field", format!("field {name:?} is a sub-array")));
                }
                (f.dtype.clone(), f.offset)
            }
            (Some(_), None) => {
                return Err(Error::bad("field", format!("pick a field of the structured dtype {dtype}")))
            }
            (None, Some(_)) => return Err(Error::bad("field", format!("{dtype} has no fields"))),
            (None, None) => (dtype.clone(), 0),
        };
        let ok = match vt.kind() {
            Kind::Bool | Kind::DateTime | Kind::TimeDelta => true,
            Kind::Int | Kind::UInt => matches!(vt.itemsize(), 1 | 2 | 4 | 8),
            Kind::Float => matches!(vt.itemsize(), 2 | 4 | 8),
            Kind::Complex => matches!(vt.itemsize(), 8 | 16),
            _ => false,
        };
        if !ok {
            return Err(Error::bad("field", format!("{vt} values are not numbers (download the slice as .npy)")));
        }
        Ok(Numeric { dtype: vt, offset, stride: dtype.itemsize() })
    }

    /// The value bytes of element `i` of `data`.
    fn bytes<'a>(&self, data: &'a [u8], i: usize) -> &'a [u8] {
        let at = i * self.stride + self.offset;
        &data[at..at + self.dtype.itemsize()]
    }

    /// Number of elements in `data`.
    pub fn count(&self, data: &[u8]) -> usize {
        data.len() / self.stride
    }

    /// Element `i` as a number: complex values give their modulus, NaT and NaN give NaN.
    pub fn value(&self, data: &[u8], i: usize) -> f64 {
        self.element(&data[i * self.stride..(i + 1) * self.stride])
    }

    /// The number of one element's bytes (`stride` of them), as [`Numeric::value`].
    pub fn element(&self, e: &[u8]) -> f64 {
        let b = &e[self.offset..self.offset + self.dtype.itemsize()];
        let (re, im) = scalar(b, &self.dtype);
        if self.dtype.kind() == Kind::Complex {
            re.hypot(im)
        } else {
            re
        }
    }

    /// Every element as a number ([`Numeric::value`]).
    pub fn values(&self, data: &[u8]) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.count(data));
        self.each_value(data, |v| out.push(v));
        out
    }

    /// Calls `f` with every element of `data` as a number, in order ([`Numeric::value`]):
    /// one loop per dtype for the common ones instead of a dispatch per element.
    pub fn each_value(&self, data: &[u8], f: impl FnMut(f64)) {
        let big = self.dtype.byte_order() == ByteOrder::Big;
        let (s, o) = (self.stride, self.offset);
        match (self.dtype.kind(), self.dtype.itemsize(), big) {
            (Kind::Float, 4, false) => each::<4>(data, s, o, |b| f64::from(f32::from_le_bytes(b)), f),
            (Kind::Float, 8, false) => each::<8>(data, s, o, f64::from_le_bytes, f),
            (Kind::UInt, 1, _) => each::<1>(data, s, o, |b| f64::from(b[0]), f),
            (Kind::Int, 1, _) => each::<1>(data, s, o, |b| f64::from(b[0] as i8), f),
            (Kind::Bool, 1, _) => each::<1>(data, s, o, |b| f64::from(u8::from(b[0] != 0)), f),
            (Kind::UInt, 2, false) => each::<2>(data, s, o, |b| f64::from(u16::from_le_bytes(b)), f),
            (Kind::Int, 2, false) => each::<2>(data, s, o, |b| f64::from(i16::from_le_bytes(b)), f),
            (Kind::UInt, 4, false) => each::<4>(data, s, o, |b| f64::from(u32::from_le_bytes(b)), f),
            (Kind::Int, 4, false) => each::<4>(data, s, o, |b| f64::from(i32::from_le_bytes(b)), f),
            (Kind::UInt, 8, false) => each::<8>(data, s, o, |b| u64::from_le_bytes(b) as f64, f),
            (Kind::Int, 8, false) => each::<8>(data, s, o, |b| i64::from_le_bytes(b) as f64, f),
            _ => data.chunks_exact(s).map(|e| self.element(e)).for_each(f),
        }
    }

    /// Element `i` as JSON: exact integers, booleans, floats (null for NaN and infinities),
    /// `[re, im]` for complex values.
    pub fn json(&self, data: &[u8], i: usize) -> serde_json::Value {
        use serde_json::Value;
        let b = self.bytes(data, i);
        let big = self.dtype.byte_order() == ByteOrder::Big;
        let float = |v: f64| serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number);
        match self.dtype.kind() {
            Kind::Bool => Value::Bool(b[0] != 0),
            Kind::Int | Kind::DateTime | Kind::TimeDelta => Value::from(int(b, big)),
            Kind::UInt => Value::from(uint(b, big)),
            Kind::Complex => {
                let (re, im) = scalar(b, &self.dtype);
                Value::Array(vec![float(re), float(im)])
            }
            _ => float(scalar(b, &self.dtype).0),
        }
    }

    /// The bytes of the values alone (the field's bytes of each element, in the array's
    /// byte order) and their dtype, for `.npy` answers.
    pub fn extract(&self, data: &[u8]) -> Vec<u8> {
        if self.offset == 0 && self.stride == self.dtype.itemsize() {
            return data.to_vec();
        }
        let mut out = Vec::with_capacity(self.count(data) * self.dtype.itemsize());
        for i in 0..self.count(data) {
            out.extend_from_slice(self.bytes(data, i));
        }
        out
    }
}

/// Calls `f` with `conv` of the `N` bytes at `offset` of every `stride` bytes of `data`.
fn each<const N: usize>(
    data: &[u8],
    stride: usize,
    offset: usize,
    conv: impl Fn([u8; N]) -> f64,
    mut f: impl FnMut(f64),
) {
    for e in data.chunks_exact(stride) {
        let mut b = [0u8; N];
        b.copy_from_slice(&e[offset..offset + N]);
        f(conv(b));
    }
}

fn int(b: &[u8], big: bool) -> i64 {
    let mut a = [0u8; 8];
    let n = b.len();
    if big {
        a[8 - n..].copy_from_slice(b);
        (i64::from_be_bytes(a) << (64 - 8 * n as u32)) >> (64 - 8 * n as u32)
    } else {
        a[..n].copy_from_slice(b);
        (i64::from_le_bytes(a) << (64 - 8 * n as u32)) >> (64 - 8 * n as u32)
    }
}

fn uint(b: &[u8], big: bool) -> u64 {
    let mut a = [0u8; 8];
    let n = b.len();
    if big {
        a[8 - n..].copy_from_slice(b);
        u64::from_be_bytes(a)
    } else {
        a[..n].copy_from_slice(b);
        u64::from_le_bytes(a)
    }
}

fn half(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

fn float(b: &[u8], big: bool) -> f64 {
    match b.len() {
        2 => half(uint(b, big) as u16),
        4 => f64::from(f32::from_bits(uint(b, big) as u32)),
        _ => f64::from_bits(uint(b, big)),
    }
}

/// One value as (real, imaginary) parts.
fn scalar(b: &[u8], dtype: &DType) -> (f64, f64) {
    let big = dtype.byte_order() == ByteOrder::Big;
    match dtype.kind() {
        Kind::Bool => (f64::from(u8::from(b[0] != 0)), 0.0),
        Kind::Int => (int(b, big) as f64, 0.0),
        Kind::UInt => (uint(b, big) as f64, 0.0),
        Kind::DateTime | Kind::TimeDelta => {
            let v = int(b, big);
            (if v == i64::MIN { f64::NAN } else { v as f64 }, 0.0)
        }
        Kind::Complex => {
            let h = b.len() / 2;
            (float(&b[..h], big), float(&b[h..], big))
        }
        _ => (float(b, big), 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_of_every_family() {
        let n = Numeric::new(&DType::parse(">i2").unwrap(), None).unwrap();
        assert_eq!(n.value(&[0xff, 0xfe], 0), -2.0);
        let n = Numeric::new(&DType::parse("<i2").unwrap(), None).unwrap();
        assert_eq!(n.value(&[0xfe, 0xff], 0), -2.0);
        assert_eq!(n.json(&[0xfe, 0xff], 0), serde_json::json!(-2));
        let n = Numeric::new(&DType::parse("<u8").unwrap(), None).unwrap();
        assert_eq!(n.json(&u64::MAX.to_le_bytes(), 0), serde_json::json!(u64::MAX));
        let n = Numeric::new(&DType::parse("<f2").unwrap(), None).unwrap();
        assert_eq!(n.value(&[0x00, 0x3c], 0), 1.0);
        assert_eq!(n.value(&[0x00, 0xc0], 0), -2.0);
        let n = Numeric::new(&DType::parse("<c8").unwrap(), None).unwrap();
        let b = [3f32.to_le_bytes(), 4f32.to_le_bytes()].concat();
        assert_eq!(n.value(&b, 0), 5.0);
        assert_eq!(n.json(&b, 0), serde_json::json!([3.0, 4.0]));
        let s = DType::parse("[('a', '<i4'), ('b', '<f8')]").unwrap();
        let n = Numeric::new(&s, Some("b")).unwrap();
        let e = [7i32.to_le_bytes().to_vec(), 2.5f64.to_le_bytes().to_vec()].concat();
        assert_eq!((n.value(&e, 0), n.extract(&e)), (2.5, 2.5f64.to_le_bytes().to_vec()));
        assert!(Numeric::new(&s, None).is_err());
        assert!(Numeric::new(&s, Some("c")).is_err());
        assert!(Numeric::new(&DType::parse("|S3").unwrap(), None).is_err());
    }

    #[test]
    fn fast_loops_equal_the_general_conversion() {
        let data: Vec<u8> = (0..96u32).map(|i| (i.wrapping_mul(77) ^ 0x5a) as u8).collect();
        for dt in
            ["<f4", "<f8", "|u1", "|i1", "|b1", "<u2", "<i2", "<u4", "<i4", "<u8", "<i8", ">f4", ">i8", "<c8", "<f2"]
        {
            let n = Numeric::new(&DType::parse(dt).unwrap(), None).unwrap();
            let general: Vec<u64> = (0..n.count(&data)).map(|i| n.value(&data, i).to_bits()).collect();
            let fast: Vec<u64> = n.values(&data).iter().map(|v| v.to_bits()).collect();
            assert_eq!(fast, general, "{dt}");
        }
        let s = DType::parse("[('a', '<i4'), ('b', '<f4')]").unwrap();
        let n = Numeric::new(&s, Some("b")).unwrap();
        let general: Vec<f64> = (0..n.count(&data)).map(|i| n.value(&data, i)).collect();
        assert_eq!(
            n.values(&data).iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            general.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
}
