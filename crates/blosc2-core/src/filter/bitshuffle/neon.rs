//! BITSHUFFLE kernels for aarch64: NEON (part of the baseline; reached through
//! `bitshuffle::table` like the x86-64 ones), on top of SHUFFLE's NEON byte transposes.
//!
//! Both directions gather column `g` of the eight rows into one 64-bit word with the byte
//! transpose of element size 8, and do the 8x8 bit transpose of `scalar::transpose8` on every
//! 64-bit lane with shifts and masks. Leftover words go to the scalar code.
#![allow(unsafe_code)]

use super::{scalar, Kernels};
use crate::filter::shuffle;
use std::arch::aarch64::*;

/// Handed out by `bitshuffle::table` only for a NEON CPU (`cpu::isas`).
pub(super) static NEON: Kernels = Kernels {
    name: "neon",
    bytes: &shuffle::neon::NEON,
    plane_to_rows: plane_to_rows_neon,
    rows_to_plane: rows_to_plane_neon,
};

fn plane_to_rows_neon(plane: &mut [u8], rows: &mut [u8], rowlen: usize, col0: usize) {
    scalar::check_rows(plane.len(), rows.len(), rowlen, col0);
    t8(plane);
    (NEON.bytes.transpose)(8, plane.len() / 8, plane, &mut rows[col0..], rowlen);
}

fn rows_to_plane_neon(rows: &[u8], rowlen: usize, col0: usize, plane: &mut [u8]) {
    scalar::check_rows(plane.len(), rows.len(), rowlen, col0);
    (NEON.bytes.untranspose)(8, plane.len() / 8, &rows[col0..], plane, rowlen);
    t8(plane);
}

/// 8x8 bit transpose of every 64-bit word of `plane` (length a multiple of 8), in place.
fn t8(plane: &mut [u8]) {
    let n = plane.len() & !15;
    // SAFETY: plane holds n bytes; only reachable through `NEON`, returned by
    // `bitshuffle::table` only when the CPU has NEON.
    unsafe { t8_neon(plane.as_mut_ptr(), n) };
    for w in plane[n..].chunks_exact_mut(8) {
        let x = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        w.copy_from_slice(&scalar::transpose8(x).to_le_bytes());
    }
}

/// # Safety
///
/// `p` readable and writable for `len` bytes (`len % 16 == 0`); the CPU has NEON.
#[target_feature(enable = "neon")]
unsafe fn t8_neon(p: *mut u8, len: usize) {
    let m1 = vdupq_n_u64(0x00AA_00AA_00AA_00AA);
    let m2 = vdupq_n_u64(0x0000_CCCC_0000_CCCC);
    let m3 = vdupq_n_u64(0x0000_0000_F0F0_F0F0);
    let mut k = 0;
    while k < len {
        // SAFETY: k + 16 <= len.
        let mut x = vreinterpretq_u64_u8(unsafe { vld1q_u8(p.add(k)) });
        let t = vandq_u64(veorq_u64(x, vshrq_n_u64::<7>(x)), m1);
        x = veorq_u64(x, veorq_u64(t, vshlq_n_u64::<7>(t)));
        let t = vandq_u64(veorq_u64(x, vshrq_n_u64::<14>(x)), m2);
        x = veorq_u64(x, veorq_u64(t, vshlq_n_u64::<14>(t)));
        let t = vandq_u64(veorq_u64(x, vshrq_n_u64::<28>(x)), m3);
        x = veorq_u64(x, veorq_u64(t, vshlq_n_u64::<28>(t)));
        // SAFETY: same 16 bytes.
        unsafe { vst1q_u8(p.add(k), vreinterpretq_u8_u64(x)) };
        k += 16;
    }
}
