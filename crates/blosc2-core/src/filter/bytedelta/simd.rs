//! SIMD running sums for BYTEDELTA decoding (`shared/spec/filters.md` 7): SSE2 on x86-64
//! (part of the baseline, so no detection), NEON on aarch64.
//!
//! Sixteen bytes at a time: a log-step prefix sum inside the register (add the register
//! shifted by 1, 2, 4 and 8 bytes), plus the running value of the previous sixteen bytes
//! broadcast to every byte. Only the broadcast is on the loop-carried path.
#![allow(unsafe_code)]

/// Running sum (mod 256) of `src` into `dst` starting from `acc`, over the largest multiple
/// of 16 bytes; returns the bytes done and the last running value.
///
/// # Panics
///
/// If `dst` is shorter than `src`.
pub(super) fn running_sum_into(src: &[u8], dst: &mut [u8], acc: u8) -> (usize, u8) {
    assert!(dst.len() >= src.len());
    let len = src.len() & !15;
    // SAFETY: `src` is readable and `dst` writable for `len` bytes; SSE2 / NEON are part of
    // the x86-64 / aarch64 baselines.
    unsafe { kernel(src.as_ptr(), dst.as_mut_ptr(), len, acc) }
}

/// In-place version of [`running_sum_into`].
pub(super) fn running_sum(buf: &mut [u8], acc: u8) -> (usize, u8) {
    let len = buf.len() & !15;
    let p = buf.as_mut_ptr();
    // SAFETY: `buf` is readable and writable for `len` bytes; the kernel reads each
    // 16-byte group before writing it; SSE2 / NEON are baseline.
    unsafe { kernel(p, p, len, acc) }
}

/// # Safety
///
/// `src` readable and `dst` writable for `len` bytes (`len % 16 == 0`); they are equal or
/// do not overlap.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
unsafe fn kernel(src: *const u8, dst: *mut u8, len: usize, acc: u8) -> (usize, u8) {
    use std::arch::x86_64::*;
    let mut carry = _mm_set1_epi8(acc as i8);
    let mut k = 0;
    while k < len {
        // SAFETY: k + 16 <= len.
        let mut x = unsafe { _mm_loadu_si128(src.add(k).cast()) };
        x = _mm_add_epi8(x, _mm_slli_si128::<1>(x));
        x = _mm_add_epi8(x, _mm_slli_si128::<2>(x));
        x = _mm_add_epi8(x, _mm_slli_si128::<4>(x));
        x = _mm_add_epi8(x, _mm_slli_si128::<8>(x));
        x = _mm_add_epi8(x, carry);
        // SAFETY: k + 16 <= len.
        unsafe { _mm_storeu_si128(dst.add(k).cast(), x) };
        // Byte 15 to every byte: double the bytes, copy word 7 to words 4-7, take the high
        // half twice.
        let t = _mm_shufflehi_epi16::<0xFF>(_mm_unpackhi_epi8(x, x));
        carry = _mm_unpackhi_epi64(t, t);
        k += 16;
    }
    (len, _mm_cvtsi128_si32(carry) as u8)
}

/// # Safety
///
/// As the x86-64 version.
#[cfg(target_arch = "aarch64")]
#[target_feature(enable = "neon")]
unsafe fn kernel(src: *const u8, dst: *mut u8, len: usize, acc: u8) -> (usize, u8) {
    use std::arch::aarch64::*;
    // SAFETY: pointer accesses as vouched by the caller.
    unsafe {
        let zero = vdupq_n_u8(0);
        let mut carry = vdupq_n_u8(acc);
        let mut k = 0;
        while k < len {
            let mut x = vld1q_u8(src.add(k));
            x = vaddq_u8(x, vextq_u8::<15>(zero, x));
            x = vaddq_u8(x, vextq_u8::<14>(zero, x));
            x = vaddq_u8(x, vextq_u8::<12>(zero, x));
            x = vaddq_u8(x, vextq_u8::<8>(zero, x));
            x = vaddq_u8(x, carry);
            vst1q_u8(dst.add(k), x);
            carry = vdupq_laneq_u8::<15>(x);
            k += 16;
        }
        (len, vgetq_lane_u8::<0>(carry))
    }
}
