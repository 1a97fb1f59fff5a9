//! Portable bit-transposition kernels for BITSHUFFLE (`shared/spec/filters.md` 3.1): the
//! reference the SIMD kernels are tested against.
//!
//! A *plane* is byte `j` of consecutive elements (as produced by the byte transpose); its bit
//! rows are the eight rows `8j..8j+8` of the output. Both kernels work on whole groups of eight
//! elements, with 64-bit words: one 8x8 bit transpose per group, and an 8x8 byte transpose to
//! move eight groups to the eight rows at once.

use super::Kernels;

/// Transposes the 8x8 bit matrix held in `x` (bit `8*r + c` <-> bit `8*c + r`).
///
/// With byte `t` of `x` being byte `j` of element `t`, byte `b` of the result is row `b` of
/// those eight elements (bit `t` = bit `b` of element `t`). The transpose is its own inverse.
#[inline(always)]
pub fn transpose8(mut x: u64) -> u64 {
    let t = (x ^ (x >> 7)) & 0x00AA_00AA_00AA_00AA;
    x ^= t ^ (t << 7);
    let t = (x ^ (x >> 14)) & 0x0000_CCCC_0000_CCCC;
    x ^= t ^ (t << 14);
    let t = (x ^ (x >> 28)) & 0x0000_0000_F0F0_F0F0;
    x ^ t ^ (t << 28)
}

/// Transposes an 8x8 byte matrix held in eight little-endian words: byte `c` of word `r`
/// moves to byte `r` of word `c`.
#[inline(always)]
pub fn transpose_bytes8(mut x: [u64; 8]) -> [u64; 8] {
    for r in 0..4 {
        let t = ((x[r] >> 32) ^ x[r + 4]) & 0xFFFF_FFFF;
        x[r] ^= t << 32;
        x[r + 4] ^= t;
    }
    for r in [0, 1, 4, 5] {
        let t = ((x[r] >> 16) ^ x[r + 2]) & 0x0000_FFFF_0000_FFFF;
        x[r] ^= t << 16;
        x[r + 2] ^= t;
    }
    for r in [0, 2, 4, 6] {
        let t = ((x[r] >> 8) ^ x[r + 1]) & 0x00FF_00FF_00FF_00FF;
        x[r] ^= t << 8;
        x[r + 1] ^= t;
    }
    x
}

#[inline(always)]
fn word(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}

/// Checks the bounds shared by [`plane_to_rows`] and [`rows_to_plane`].
#[inline]
pub(crate) fn check_rows(plane: usize, rows: usize, rowlen: usize, col0: usize) {
    let ncols = plane / 8;
    assert!(plane.is_multiple_of(8), "plane length {plane} is not a multiple of 8");
    let end = col0.checked_add(ncols).expect("column overflow");
    assert!(end <= rowlen, "columns {col0}..{end} beyond row length {rowlen}");
    let need = rowlen.checked_mul(7).and_then(|v| v.checked_add(end)).expect("row overflow");
    assert!(rows >= need, "rows buffer too short: {rows} < {need}");
}

/// Writes the eight bit rows of a plane: bit `t` of `rows[b*rowlen + col0 + g]` is bit `b` of
/// `plane[8*g + t]`. `plane.len()` is a multiple of 8; `plane` may be clobbered (this
/// implementation leaves it alone).
///
/// # Panics
///
/// If `plane.len()` is not a multiple of 8 or the rows do not fit in `rows`.
pub fn plane_to_rows(plane: &mut [u8], rows: &mut [u8], rowlen: usize, col0: usize) {
    check_rows(plane.len(), rows.len(), rowlen, col0);
    let mut col = col0;
    let mut chunks = plane.chunks_exact(64);
    for chunk in &mut chunks {
        let mut y = [0u64; 8];
        for (t, y) in y.iter_mut().enumerate() {
            *y = transpose8(word(&chunk[8 * t..]));
        }
        let z = transpose_bytes8(y);
        for (b, z) in z.iter().enumerate() {
            let at = b * rowlen + col;
            rows[at..at + 8].copy_from_slice(&z.to_le_bytes());
        }
        col += 8;
    }
    for group in chunks.remainder().chunks_exact(8) {
        let y = transpose8(word(group));
        for b in 0..8 {
            rows[b * rowlen + col] = (y >> (8 * b)) as u8;
        }
        col += 1;
    }
}

/// Inverse of [`plane_to_rows`]: rebuilds `plane.len()` bytes of a plane from its eight bit
/// rows starting at column `col0`.
///
/// # Panics
///
/// If `plane.len()` is not a multiple of 8 or the rows do not fit in `rows`.
pub fn rows_to_plane(rows: &[u8], rowlen: usize, col0: usize, plane: &mut [u8]) {
    check_rows(plane.len(), rows.len(), rowlen, col0);
    let mut col = col0;
    let mut chunks = plane.chunks_exact_mut(64);
    for chunk in &mut chunks {
        let mut x = [0u64; 8];
        for (b, x) in x.iter_mut().enumerate() {
            *x = word(&rows[b * rowlen + col..]);
        }
        let y = transpose_bytes8(x);
        for (t, y) in y.iter().enumerate() {
            chunk[8 * t..8 * t + 8].copy_from_slice(&transpose8(*y).to_le_bytes());
        }
        col += 8;
    }
    for group in chunks.into_remainder().chunks_exact_mut(8) {
        let mut x = 0u64;
        for b in 0..8 {
            x |= u64::from(rows[b * rowlen + col]) << (8 * b);
        }
        group.copy_from_slice(&transpose8(x).to_le_bytes());
        col += 1;
    }
}

/// The portable bitshuffle kernels.
pub static KERNELS: Kernels =
    Kernels { name: "scalar", bytes: &crate::filter::shuffle::SCALAR, plane_to_rows, rows_to_plane };

/// Forward BITSHUFFLE with the scalar kernels only (see [`super::bitshuffle`]).
///
/// # Panics
///
/// If `src.len() != dst.len()`.
pub fn bitshuffle(s: usize, src: &[u8], dst: &mut [u8]) {
    KERNELS.bitshuffle(s, src, dst);
}

/// Backward BITSHUFFLE with the scalar kernels only (see [`super::bitunshuffle`]).
///
/// # Panics
///
/// If `src.len() != dst.len()`.
pub fn bitunshuffle(s: usize, src: &[u8], dst: &mut [u8]) {
    KERNELS.bitunshuffle(s, src, dst);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_transpose8(x: u64) -> u64 {
        let mut y = 0u64;
        for r in 0..8 {
            for c in 0..8 {
                if x >> (8 * r + c) & 1 == 1 {
                    y |= 1 << (8 * c + r);
                }
            }
        }
        y
    }

    #[test]
    fn transpose8_matches_naive() {
        let mut x = 0x0123_4567_89AB_CDEFu64;
        for _ in 0..1000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            assert_eq!(transpose8(x), naive_transpose8(x));
            assert_eq!(transpose8(transpose8(x)), x);
        }
    }

    #[test]
    fn transpose_bytes8_matches_naive() {
        let x: [u64; 8] = core::array::from_fn(|r| u64::from_le_bytes(core::array::from_fn(|c| (r * 8 + c) as u8)));
        let y = transpose_bytes8(x);
        for (c, y) in y.iter().enumerate() {
            for r in 0..8 {
                assert_eq!((y >> (8 * r)) as u8, (r * 8 + c) as u8);
            }
        }
    }
}
