//! BITSHUFFLE kernels for x86-64: SSE2 (part of the baseline) and AVX2 (only on CPUs that
//! have it, see `bitshuffle::table`), on top of SHUFFLE's byte transposes of the same
//! instruction set.
//!
//! * Plane to rows: `movemask` collects bit 7 of 16 (SSE2) or 32 (AVX2) plane bytes, which is
//!   exactly 2 or 4 bytes of row 7; adding the register to itself moves bit 6 up for row 6,
//!   and so on.
//! * Rows to plane: the byte transpose with element size 8 gathers column `g` of the eight
//!   rows into one 64-bit word, and the 8x8 bit transpose of `scalar::transpose8` is done on
//!   every 64-bit lane with shifts and masks.
//!
//! Leftover groups of eight elements go to the scalar kernels.
#![allow(unsafe_code)]

use super::{scalar, Kernels};
use crate::filter::shuffle;
use std::arch::x86_64::*;

pub(super) static SSE2: Kernels = Kernels {
    name: "sse2",
    bytes: &shuffle::x86::SSE2,
    plane_to_rows: plane_to_rows_sse2,
    rows_to_plane: rows_to_plane_sse2,
};

/// Handed out by `bitshuffle::table` only for an AVX2 CPU (`cpu::isas`).
pub(super) static AVX2: Kernels = Kernels {
    name: "avx2",
    bytes: &shuffle::x86::AVX2,
    plane_to_rows: plane_to_rows_avx2,
    rows_to_plane: rows_to_plane_avx2,
};

/// Finishes `plane_to_rows` with the scalar kernel from plane byte `done` (a multiple of 8).
fn finish_p2r(done: usize, plane: &mut [u8], rows: &mut [u8], rowlen: usize, col0: usize) {
    if done < plane.len() {
        scalar::plane_to_rows(&mut plane[done..], rows, rowlen, col0 + done / 8);
    }
}

fn plane_to_rows_sse2(plane: &mut [u8], rows: &mut [u8], rowlen: usize, col0: usize) {
    scalar::check_rows(plane.len(), rows.len(), rowlen, col0);
    let n = plane.len() & !63;
    // SAFETY: bounds checked above (rows b*rowlen + col0 .. + n/8 exist for b < 8);
    // SSE2 is part of the x86-64 baseline.
    unsafe { p2r_sse2(plane.as_ptr(), n, rows.as_mut_ptr(), rowlen, col0) };
    finish_p2r(n, plane, rows, rowlen, col0);
}

fn plane_to_rows_avx2(plane: &mut [u8], rows: &mut [u8], rowlen: usize, col0: usize) {
    scalar::check_rows(plane.len(), rows.len(), rowlen, col0);
    let n = plane.len() & !63;
    // SAFETY: bounds checked above; only reachable through `AVX2`, which
    // `bitshuffle::table` returns only when the CPU has AVX2.
    unsafe { p2r_avx2(plane.as_ptr(), n, rows.as_mut_ptr(), rowlen, col0) };
    finish_p2r(n, plane, rows, rowlen, col0);
}

/// Four independent 16-byte `movemask` chains per 64 plane bytes, one 8-byte store per
/// row.
///
/// # Safety
///
/// `plane` readable for `len` bytes (`len % 64 == 0`); rows writable at
/// `b*rowlen + col0 .. + len/8` for `b < 8`.
#[target_feature(enable = "sse2")]
unsafe fn p2r_sse2(plane: *const u8, len: usize, rows: *mut u8, rowlen: usize, col0: usize) {
    let mut k = 0;
    while k < len {
        // SAFETY: k + 64 <= len.
        let mut v: [__m128i; 4] = core::array::from_fn(|q| unsafe { _mm_loadu_si128(plane.add(k + 16 * q).cast()) });
        let col = col0 + k / 8;
        for b in (0..8).rev() {
            let mut m = 0u64;
            for (q, v) in v.iter_mut().enumerate() {
                m |= u64::from(_mm_movemask_epi8(*v) as u16) << (16 * q);
                *v = _mm_add_epi8(*v, *v);
            }
            // SAFETY: 8 bytes at column col of row b, inside the vouched range.
            unsafe { rows.add(b * rowlen + col).cast::<u64>().write_unaligned(m.to_le()) };
        }
        k += 64;
    }
}

/// As `p2r_sse2` with two 32-byte chains.
///
/// # Safety
///
/// As `p2r_sse2`, and the CPU has AVX2.
#[target_feature(enable = "avx2")]
unsafe fn p2r_avx2(plane: *const u8, len: usize, rows: *mut u8, rowlen: usize, col0: usize) {
    let mut k = 0;
    while k < len {
        // SAFETY: k + 64 <= len.
        let (mut v0, mut v1) =
            unsafe { (_mm256_loadu_si256(plane.add(k).cast()), _mm256_loadu_si256(plane.add(k + 32).cast())) };
        let col = col0 + k / 8;
        for b in (0..8).rev() {
            let m0 = u64::from(_mm256_movemask_epi8(v0) as u32);
            let m1 = u64::from(_mm256_movemask_epi8(v1) as u32);
            // SAFETY: 8 bytes at column col of row b, inside the vouched range.
            unsafe { rows.add(b * rowlen + col).cast::<u64>().write_unaligned((m0 | m1 << 32).to_le()) };
            v0 = _mm256_add_epi8(v0, v0);
            v1 = _mm256_add_epi8(v1, v1);
        }
        k += 64;
    }
}

fn rows_to_plane_sse2(rows: &[u8], rowlen: usize, col0: usize, plane: &mut [u8]) {
    scalar::check_rows(plane.len(), rows.len(), rowlen, col0);
    (SSE2.bytes.untranspose)(8, plane.len() / 8, &rows[col0..], plane, rowlen);
    let n = plane.len() & !15;
    // SAFETY: plane holds at least n bytes; SSE2 is baseline.
    unsafe { t8_sse2(plane.as_mut_ptr(), n) };
    finish_t8(n, plane);
}

fn rows_to_plane_avx2(rows: &[u8], rowlen: usize, col0: usize, plane: &mut [u8]) {
    scalar::check_rows(plane.len(), rows.len(), rowlen, col0);
    (AVX2.bytes.untranspose)(8, plane.len() / 8, &rows[col0..], plane, rowlen);
    let n32 = plane.len() & !31;
    let n16 = plane.len() & !15;
    // SAFETY: plane holds at least n16 bytes; only reachable through `AVX2` (see above).
    unsafe {
        t8_avx2(plane.as_mut_ptr(), n32);
        t8_sse2(plane.as_mut_ptr().add(n32), n16 - n32);
    }
    finish_t8(n16, plane);
}

fn finish_t8(done: usize, plane: &mut [u8]) {
    for w in plane[done..].chunks_exact_mut(8) {
        let x = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        w.copy_from_slice(&scalar::transpose8(x).to_le_bytes());
    }
}

/// 8x8 bit transpose of every 64-bit word of `len` bytes (`len % 16 == 0`), in place.
///
/// # Safety
///
/// `p` readable and writable for `len` bytes.
#[target_feature(enable = "sse2")]
unsafe fn t8_sse2(p: *mut u8, len: usize) {
    let m1 = _mm_set1_epi64x(0x00AA_00AA_00AA_00AA);
    let m2 = _mm_set1_epi64x(0x0000_CCCC_0000_CCCC);
    let m3 = _mm_set1_epi64x(0x0000_0000_F0F0_F0F0);
    let mut k = 0;
    while k < len {
        // SAFETY: k + 16 <= len.
        let mut x = unsafe { _mm_loadu_si128(p.add(k).cast()) };
        let t = _mm_and_si128(_mm_xor_si128(x, _mm_srli_epi64::<7>(x)), m1);
        x = _mm_xor_si128(x, _mm_xor_si128(t, _mm_slli_epi64::<7>(t)));
        let t = _mm_and_si128(_mm_xor_si128(x, _mm_srli_epi64::<14>(x)), m2);
        x = _mm_xor_si128(x, _mm_xor_si128(t, _mm_slli_epi64::<14>(t)));
        let t = _mm_and_si128(_mm_xor_si128(x, _mm_srli_epi64::<28>(x)), m3);
        x = _mm_xor_si128(x, _mm_xor_si128(t, _mm_slli_epi64::<28>(t)));
        // SAFETY: same 16 bytes.
        unsafe { _mm_storeu_si128(p.add(k).cast(), x) };
        k += 16;
    }
}

/// As `t8_sse2` with `len % 32 == 0`.
///
/// # Safety
///
/// `p` readable and writable for `len` bytes; the CPU has AVX2.
#[target_feature(enable = "avx2")]
unsafe fn t8_avx2(p: *mut u8, len: usize) {
    let m1 = _mm256_set1_epi64x(0x00AA_00AA_00AA_00AA);
    let m2 = _mm256_set1_epi64x(0x0000_CCCC_0000_CCCC);
    let m3 = _mm256_set1_epi64x(0x0000_0000_F0F0_F0F0);
    let mut k = 0;
    while k < len {
        // SAFETY: k + 32 <= len.
        let mut x = unsafe { _mm256_loadu_si256(p.add(k).cast()) };
        let t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64::<7>(x)), m1);
        x = _mm256_xor_si256(x, _mm256_xor_si256(t, _mm256_slli_epi64::<7>(t)));
        let t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64::<14>(x)), m2);
        x = _mm256_xor_si256(x, _mm256_xor_si256(t, _mm256_slli_epi64::<14>(t)));
        let t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64::<28>(x)), m3);
        x = _mm256_xor_si256(x, _mm256_xor_si256(t, _mm256_slli_epi64::<28>(t)));
        // SAFETY: same 32 bytes.
        unsafe { _mm256_storeu_si256(p.add(k).cast(), x) };
        k += 32;
    }
}
