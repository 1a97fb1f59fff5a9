//! DELTA (filter id 3): XOR delta against the chunk's first block, `shared/spec/filters.md` 4.
//!
//! Words are `w` bytes wide ([`word_width`]); since XOR works byte by byte, a word-wise XOR
//! with the previous word is a byte-wise XOR with the byte `w` places earlier. Only the first
//! `m*w` bytes (`m = len / w` whole words) are coded; trailing bytes are copied (encode) or
//! passed through (decode).
//!
//! * Block 0 (`block_offset == 0`): `O[k] = B[k] ^ B[k-1]` (word-wise); decoding is a running
//!   XOR, done here on 64-bit words with a log-step prefix XOR and a carried last word.
//! * Any other block: `O[k] = B[k] ^ REF[k]`, `REF` being the chunk's first block (original
//!   bytes when encoding, fully decoded bytes when decoding).

use crate::error::{Error, Result};

use super::id::FilterId;

/// The DELTA word width for a typesize: `ts` for 1, 2, 4, 8; 8 for other multiples of 8;
/// otherwise 1.
pub fn word_width(typesize: usize) -> usize {
    match typesize {
        1 | 2 | 4 | 8 => typesize,
        t if t % 8 == 0 && t > 0 => 8,
        _ => 1,
    }
}

/// Bytes covered by whole words.
fn body_len(len: usize, w: usize) -> usize {
    len - len % w
}

fn check_reference(typesize: usize, body: usize, reference: &[u8]) -> Result<()> {
    if reference.len() < body {
        return Err(Error::InvalidFilterParams {
            filter: FilterId::DELTA.0,
            typesize,
            meta: 0,
            reason: "reference (first) block shorter than the block",
        });
    }
    Ok(())
}

/// Forward DELTA of one block from `src` into `dst`.
///
/// `reference` is the chunk's original first block (ignored when `block_offset == 0`; only
/// its first `src.len()` bytes are used otherwise).
///
/// # Errors
///
/// [`Error::InvalidFilterParams`] if `block_offset != 0` and `reference` is shorter than the
/// coded part of `src`.
///
/// # Panics
///
/// If `src.len() != dst.len()`.
pub fn encode(typesize: usize, block_offset: usize, src: &[u8], reference: &[u8], dst: &mut [u8]) -> Result<()> {
    assert_eq!(src.len(), dst.len(), "delta: source and destination differ in length");
    let w = word_width(typesize);
    let body = body_len(src.len(), w);
    if block_offset == 0 {
        let head = w.min(body);
        dst[..head].copy_from_slice(&src[..head]);
        if body > w {
            let out = &mut dst[w..body];
            for ((o, &b), &p) in out.iter_mut().zip(&src[w..body]).zip(&src[..body - w]) {
                *o = b ^ p;
            }
        }
    } else {
        check_reference(typesize, body, reference)?;
        xor_into(&src[..body], &reference[..body], &mut dst[..body]);
    }
    dst[body..].copy_from_slice(&src[body..]);
    Ok(())
}

/// Backward DELTA of one block, in place.
///
/// `reference` is the chunk's fully decoded first block (ignored when `block_offset == 0`).
///
/// # Errors
///
/// [`Error::InvalidFilterParams`] if `block_offset != 0` and `reference` is too short.
pub fn decode(typesize: usize, block_offset: usize, buf: &mut [u8], reference: &[u8]) -> Result<()> {
    let w = word_width(typesize);
    let body = body_len(buf.len(), w);
    if block_offset == 0 {
        let buf = &mut buf[..body];
        let (words, _) = buf.as_chunks_mut::<8>();
        let mut carry = 0u64;
        for c in words.iter_mut() {
            let x = prefix_xor_word(u64::from_le_bytes(*c), w) ^ carry;
            carry = broadcast_last(x, w);
            *c = x.to_le_bytes();
        }
        for i in (body & !7).max(w)..body {
            buf[i] ^= buf[i - w];
        }
    } else {
        check_reference(typesize, body, reference)?;
        for (b, &r) in buf[..body].iter_mut().zip(&reference[..body]) {
            *b ^= r;
        }
    }
    Ok(())
}

/// Backward DELTA of one block from `src` into `dst` (same result as [`decode`]).
///
/// # Errors
///
/// [`Error::InvalidFilterParams`] if `block_offset != 0` and `reference` is too short.
///
/// # Panics
///
/// If `src.len() != dst.len()`.
pub fn decode_into(typesize: usize, block_offset: usize, src: &[u8], reference: &[u8], dst: &mut [u8]) -> Result<()> {
    assert_eq!(src.len(), dst.len(), "delta: source and destination differ in length");
    let w = word_width(typesize);
    let body = body_len(src.len(), w);
    if block_offset == 0 {
        let (words, _) = src[..body].as_chunks::<8>();
        let (out, _) = dst[..body].as_chunks_mut::<8>();
        let mut carry = 0u64;
        for (o, c) in out.iter_mut().zip(words) {
            let x = prefix_xor_word(u64::from_le_bytes(*c), w) ^ carry;
            carry = broadcast_last(x, w);
            *o = x.to_le_bytes();
        }
        let done = body & !7;
        for i in done..body {
            dst[i] = if i < w { src[i] } else { src[i] ^ dst[i - w] };
        }
    } else {
        check_reference(typesize, body, reference)?;
        xor_into(&src[..body], &reference[..body], &mut dst[..body]);
    }
    dst[body..].copy_from_slice(&src[body..]);
    Ok(())
}

fn xor_into(a: &[u8], b: &[u8], out: &mut [u8]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x ^ y;
    }
}

/// Running XOR of the `w`-byte lanes of one little-endian word.
#[inline(always)]
fn prefix_xor_word(mut x: u64, w: usize) -> u64 {
    let mut sh = 8 * w;
    while sh < 64 {
        x ^= x << sh;
        sh *= 2;
    }
    x
}

/// The last `w`-byte lane of `x` copied into every lane.
#[inline(always)]
fn broadcast_last(x: u64, w: usize) -> u64 {
    match w {
        1 => (x >> 56).wrapping_mul(0x0101_0101_0101_0101),
        2 => (x >> 48).wrapping_mul(0x0001_0001_0001_0001),
        4 => (x >> 32).wrapping_mul(0x0000_0001_0000_0001),
        _ => x,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le16(v: &[u16]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn spec_example() {
        let b0 = le16(&[1, 3, 6, 10]);
        let b1 = le16(&[2, 3, 7, 10]);
        let mut o0 = vec![0; 8];
        encode(2, 0, &b0, &b0, &mut o0).unwrap();
        assert_eq!(o0, le16(&[1, 2, 5, 12]));
        let mut o1 = vec![0; 8];
        encode(2, 8, &b1, &b0, &mut o1).unwrap();
        assert_eq!(o1, le16(&[3, 0, 1, 0]));
        decode(2, 0, &mut o0, &[]).unwrap();
        assert_eq!(o0, b0);
        decode(2, 8, &mut o1, &o0).unwrap();
        assert_eq!(o1, b1);
    }

    fn naive_decode0(buf: &mut [u8], w: usize) {
        let body = buf.len() - buf.len() % w;
        for i in w..body {
            buf[i] ^= buf[i - w];
        }
    }

    #[test]
    fn block0_round_trip_all_widths() {
        for ts in [1usize, 2, 3, 4, 5, 8, 12, 16, 24, 255] {
            for len in [0usize, 1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 100, 1003] {
                let src: Vec<u8> = (0..len).map(|i| (i * 37 + i / 5) as u8).collect();
                let mut enc = vec![0u8; len];
                encode(ts, 0, &src, &[], &mut enc).unwrap();
                let mut want = enc.clone();
                naive_decode0(&mut want, word_width(ts));
                assert_eq!(want, src, "naive ts={ts} len={len}");
                let mut dec = enc.clone();
                decode(ts, 0, &mut dec, &[]).unwrap();
                assert_eq!(dec, src, "in place ts={ts} len={len}");
                let mut dec2 = vec![0u8; len];
                decode_into(ts, 0, &enc, &[], &mut dec2).unwrap();
                assert_eq!(dec2, src, "into ts={ts} len={len}");
            }
        }
    }

    #[test]
    fn other_blocks_and_short_reference() {
        let reference: Vec<u8> = (0..64u8).collect();
        let src: Vec<u8> = (0..50u8).map(|v| v.wrapping_mul(3)).collect();
        let mut enc = vec![0u8; 50];
        encode(8, 64, &src, &reference, &mut enc).unwrap();
        // ts 8: 6 words, 2 trailing bytes copied.
        assert_eq!(&enc[48..], &src[48..]);
        let mut dec = vec![0u8; 50];
        decode_into(8, 64, &enc, &reference, &mut dec).unwrap();
        assert_eq!(dec, src);
        decode(8, 64, &mut enc, &reference).unwrap();
        assert_eq!(enc, src);
        assert!(decode(8, 64, &mut enc, &reference[..10]).is_err());
    }
}
