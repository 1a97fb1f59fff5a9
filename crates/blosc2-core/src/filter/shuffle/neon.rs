//! SHUFFLE kernels for aarch64: NEON (part of the baseline; reached through
//! `shuffle::table` like the x86-64 ones). The generic kernels of `simd::transpose_kernels!`
//! with 128-bit registers; sub-elements narrower than an element go through a 16-byte buffer.
#![allow(unsafe_code)]

use super::simd::{finish_bwd, finish_fwd, run_bwd, run_fwd};
use super::{scalar, Kernels};

/// Handed out by `shuffle::table` only for a NEON CPU (`cpu::isas`), and used by the
/// NEON bitshuffle kernels, themselves handed out only for such a CPU.
pub(crate) static NEON: Kernels = Kernels {
    name: "neon",
    transpose: transpose_neon,
    untranspose: untranspose_neon,
    untranspose_streaming: untranspose_neon,
    transpose_cold: transpose_neon,
};

fn transpose_neon(s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    scalar::check_bounds(s, count, src.len(), dst.len(), stride);
    // SAFETY: bounds checked above; only reachable through `NEON`, returned by
    // `shuffle::table` only when the CPU has NEON.
    let done = unsafe { run_fwd(&[k::fwd], false, s, count, src, dst, stride) };
    finish_fwd(s, done, count, src, dst, stride);
}

fn untranspose_neon(s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    scalar::check_bounds(s, count, dst.len(), src.len(), stride);
    // SAFETY: as in transpose_neon.
    let done = unsafe { run_bwd(&[k::bwd], s, count, src, dst, stride) };
    finish_bwd(s, done, count, src, dst, stride);
}

mod k {
    use std::arch::aarch64::*;

    type V = uint8x16_t;
    const E: usize = 16;

    #[inline]
    #[target_feature(enable = "neon")]
    fn zero() -> V {
        vdupq_n_u8(0)
    }

    #[inline]
    #[target_feature(enable = "neon")]
    fn inter(a: V, b: V) -> (V, V) {
        (vzip1q_u8(a, b), vzip2q_u8(a, b))
    }

    #[inline]
    #[target_feature(enable = "neon")]
    fn deint(a: V, b: V) -> (V, V) {
        (vuzp1q_u8(a, b), vuzp2q_u8(a, b))
    }

    /// # Safety
    ///
    /// `p` readable for 16 bytes.
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn ldu(p: *const u8) -> V {
        // SAFETY: caller guarantees 16 readable bytes; vld1q_u8 has no alignment needs.
        unsafe { vld1q_u8(p) }
    }

    /// # Safety
    ///
    /// `p` writable for 16 bytes.
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn stu(p: *mut u8, v: V) {
        // SAFETY: caller guarantees 16 writable bytes.
        unsafe { vst1q_u8(p, v) }
    }

    /// # Safety
    ///
    /// `p + t*s .. p + t*s + G` readable for `t < 16 / G`.
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn ld<const G: usize>(p: *const u8, s: usize) -> V {
        // SAFETY: every read is one of the sub-elements the caller vouches for.
        unsafe {
            if s == G {
                return ldu(p);
            }
            let mut tmp = [0u8; 16];
            for t in 0..16 / G {
                core::ptr::copy_nonoverlapping(p.add(t * s), tmp.as_mut_ptr().add(t * G), G);
            }
            ldu(tmp.as_ptr())
        }
    }

    /// # Safety
    ///
    /// `p + t*s .. p + t*s + G` writable for `t < 16 / G`.
    #[inline]
    #[target_feature(enable = "neon")]
    unsafe fn st<const G: usize>(p: *mut u8, s: usize, v: V) {
        // SAFETY: every write is one of the sub-elements the caller vouches for.
        unsafe {
            if s == G {
                stu(p, v);
                return;
            }
            let mut tmp = [0u8; 16];
            stu(tmp.as_mut_ptr(), v);
            for t in 0..16 / G {
                core::ptr::copy_nonoverlapping(tmp.as_ptr().add(t * G), p.add(t * s), G);
            }
        }
    }

    crate::filter::shuffle::simd::transpose_kernels!("neon");
}
