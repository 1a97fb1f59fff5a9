//! TRUNC_PREC (filter id 4): floating-point mantissa truncation (lossy),
//! `shared/spec/filters.md` 5.
//!
//! Typesize 4 (float32, 23 mantissa bits) or 8 (float64, 52 bits). The meta byte `p` is read
//! as a signed value: `p >= 0` keeps `p` mantissa bits, `p < 0` zeroes `-p` bits. Every
//! element, as an unsigned integer, is ANDed with a mask clearing the `z` low bits; sign and
//! exponent are never touched. There is no backward step. Trailing bytes (`len % typesize`)
//! are copied.

use crate::error::{Error, Result};

use super::id::FilterId;

fn invalid(typesize: usize, meta: u8, reason: &'static str) -> Error {
    Error::InvalidFilterParams { filter: FilterId::TRUNC_PREC.0, typesize, meta, reason }
}

/// The number of low bits zeroed for `(typesize, meta)`.
///
/// # Errors
///
/// [`Error::InvalidFilterParams`] if the typesize is not 4 or 8, if `|p|` exceeds the
/// mantissa size, or if nothing of the mantissa would be kept (`z >=` mantissa bits).
pub fn zeroed_bits(typesize: usize, meta: u8) -> Result<u32> {
    let mantissa: i32 = match typesize {
        4 => 23,
        8 => 52,
        _ => return Err(invalid(typesize, meta, "TRUNC_PREC needs typesize 4 or 8")),
    };
    let p = i32::from(meta as i8);
    if p.abs() > mantissa {
        return Err(invalid(typesize, meta, "precision larger than the mantissa"));
    }
    let z = if p >= 0 { mantissa - p } else { -p };
    if z >= mantissa {
        return Err(invalid(typesize, meta, "would zero the whole mantissa"));
    }
    Ok(z as u32)
}

/// Applies the truncation from `src` to `dst`.
///
/// # Errors
///
/// As [`zeroed_bits`].
///
/// # Panics
///
/// If `src.len() != dst.len()`.
pub fn apply(typesize: usize, meta: u8, src: &[u8], dst: &mut [u8]) -> Result<()> {
    assert_eq!(src.len(), dst.len(), "trunc_prec: source and destination differ in length");
    let z = zeroed_bits(typesize, meta)?;
    let body = src.len() - src.len() % typesize;
    if typesize == 4 {
        let mask = !((1u32 << z) - 1);
        let (s, _) = src[..body].as_chunks::<4>();
        let (d, _) = dst[..body].as_chunks_mut::<4>();
        for (d, s) in d.iter_mut().zip(s) {
            *d = (u32::from_le_bytes(*s) & mask).to_le_bytes();
        }
    } else {
        let mask = !((1u64 << z) - 1);
        let (s, _) = src[..body].as_chunks::<8>();
        let (d, _) = dst[..body].as_chunks_mut::<8>();
        for (d, s) in d.iter_mut().zip(s) {
            *d = (u64::from_le_bytes(*s) & mask).to_le_bytes();
        }
    }
    dst[body..].copy_from_slice(&src[body..]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_pi() {
        let x = f32::from_bits(0x4049_0FDB); // 3.14159274f
        assert_eq!(x, core::f32::consts::PI);
        let mut out = [0u8; 4];
        apply(4, 10, &x.to_le_bytes(), &mut out).unwrap();
        assert_eq!(u32::from_le_bytes(out), 0x4049_0000);
        assert_eq!(f32::from_le_bytes(out), 3.140625);
    }

    #[test]
    fn negative_meta_and_f64() {
        let x = 1.0f64 + f64::EPSILON * 255.0;
        let mut out = [0u8; 8];
        apply(8, (-4i8) as u8, &x.to_le_bytes(), &mut out).unwrap();
        assert_eq!(u64::from_le_bytes(out), x.to_bits() & !0xF);
        apply(8, 52, &x.to_le_bytes(), &mut out).unwrap();
        assert_eq!(f64::from_le_bytes(out), x);
    }

    #[test]
    fn errors() {
        assert!(zeroed_bits(2, 5).is_err());
        assert!(zeroed_bits(4, 0).is_err()); // z = 23
        assert!(zeroed_bits(4, 24).is_err());
        assert!(zeroed_bits(4, (-23i8) as u8).is_err());
        assert!(zeroed_bits(4, 0x80).is_err());
        assert_eq!(zeroed_bits(4, 23).unwrap(), 0);
        assert_eq!(zeroed_bits(8, 1).unwrap(), 51);
        assert_eq!(zeroed_bits(4, (-22i8) as u8).unwrap(), 22);
    }

    #[test]
    fn trailing_bytes_copied() {
        let src = [0xFFu8; 10];
        let mut out = [0u8; 10];
        apply(4, 3, &src, &mut out).unwrap();
        assert_eq!(&out[8..], &[0xFF, 0xFF]);
        assert_eq!(u32::from_le_bytes(out[..4].try_into().unwrap()), 0xFFFF_FFFF << 20);
    }
}
