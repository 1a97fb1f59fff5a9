//! INT_TRUNC (filter id 36): integer truncation (lossy), `shared/spec/filters.md` 6.
//!
//! Typesize 1, 2, 4 or 8; `p = meta` as a signed value, `bits = 8 * typesize`; `z = bits - p`
//! when `p >= 0`, else `-p`. Every element, as an unsigned integer, is ANDed with a mask
//! clearing its `z` low bits. Decoding is a plain copy. Trailing bytes are copied.

use crate::error::{Error, Result};

use super::id::FilterId;

fn invalid(typesize: usize, meta: u8, reason: &'static str) -> Error {
    Error::InvalidFilterParams { filter: FilterId::INT_TRUNC.0, typesize, meta, reason }
}

/// The number of low bits zeroed for `(typesize, meta)`.
///
/// # Errors
///
/// [`Error::InvalidFilterParams`] if the typesize is not 1, 2, 4 or 8, if `p` asks for more
/// bits than the type has (undefined in C), or if `z >= bits`.
pub fn zeroed_bits(typesize: usize, meta: u8) -> Result<u32> {
    if !matches!(typesize, 1 | 2 | 4 | 8) {
        return Err(invalid(typesize, meta, "INT_TRUNC needs typesize 1, 2, 4 or 8"));
    }
    let bits = 8 * typesize as i32;
    let p = i32::from(meta as i8);
    let z = if p >= 0 { bits - p } else { -p };
    if z < 0 {
        return Err(invalid(typesize, meta, "precision larger than the integer"));
    }
    if z >= bits {
        return Err(invalid(typesize, meta, "would zero every bit"));
    }
    Ok(z as u32)
}

fn trunc<const N: usize>(z: u32, src: &[u8], dst: &mut [u8]) {
    let mask = !((1u64 << z) - 1);
    let (s, _) = src.as_chunks::<N>();
    let (d, _) = dst.as_chunks_mut::<N>();
    for (d, s) in d.iter_mut().zip(s) {
        let mut w = [0u8; 8];
        w[..N].copy_from_slice(s);
        let v = u64::from_le_bytes(w) & mask;
        d.copy_from_slice(&v.to_le_bytes()[..N]);
    }
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
    assert_eq!(src.len(), dst.len(), "int_trunc: source and destination differ in length");
    let z = zeroed_bits(typesize, meta)?;
    let body = src.len() - src.len() % typesize;
    let (s, d) = (&src[..body], &mut dst[..body]);
    match typesize {
        1 => trunc::<1>(z, s, d),
        2 => trunc::<2>(z, s, d),
        4 => trunc::<4>(z, s, d),
        _ => trunc::<8>(z, s, d),
    }
    dst[body..].copy_from_slice(&src[body..]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus6_on_int32() {
        let src: Vec<u8> = [1000i32, -1, 63, 64].iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut out = vec![0u8; 16];
        apply(4, 0xFA, &src, &mut out).unwrap();
        let got: Vec<i32> = out.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(got, [960, -64, 0, 64]);
    }

    #[test]
    fn positive_meta_keeps_high_bits() {
        let mut out = [0u8; 2];
        apply(2, 4, &0xABCDu16.to_le_bytes(), &mut out).unwrap();
        assert_eq!(u16::from_le_bytes(out), 0xA000);
        let mut out = [0u8; 8];
        apply(8, 1, &u64::MAX.to_le_bytes(), &mut out).unwrap();
        assert_eq!(u64::from_le_bytes(out), 1 << 63);
    }

    #[test]
    fn errors() {
        assert!(zeroed_bits(3, 1).is_err());
        assert!(zeroed_bits(1, 0).is_err());
        assert!(zeroed_bits(1, 9).is_err());
        assert!(zeroed_bits(1, (-8i8) as u8).is_err());
        assert_eq!(zeroed_bits(1, 8).unwrap(), 0);
        assert_eq!(zeroed_bits(8, (-63i8) as u8).unwrap(), 63);
    }
}
