//! SHUFFLE kernels for x86-64: SSE2 (part of the baseline) and AVX2 (only on CPUs that have
//! it, see `shuffle::table`).
//!
//! The generic kernels come from `simd::transpose_kernels!` with 128-bit (SSE2) and 256-bit
//! (AVX2) registers. AVX2 keeps the two 128-bit lanes independent: the low lanes hold
//! elements `i..i+16` and the high lanes elements `i+16..i+32`, so each output register is 32
//! contiguous bytes of a plane. AVX2 also has kernels of its own for 4- and 8-byte elements
//! and streaming (non-temporal) stores for the backward direction.
//!
//! These choices were measured on a Zen 2 core; for instance the AVX2 table uses the SSE2
//! forward kernel for 4-byte groups, which was faster there.
#![allow(unsafe_code)]

use super::simd::{finish_bwd, finish_fwd, run_bwd, run_fwd, RawKernel};
use super::{scalar, Kernels};

pub(crate) static SSE2: Kernels = Kernels {
    name: "sse2",
    transpose: transpose_sse2,
    untranspose: untranspose_sse2,
    untranspose_streaming: untranspose_sse2,
    transpose_cold: transpose_sse2_cold,
};

/// Handed out by `shuffle::table` only for an AVX2 CPU (`cpu::isas`), and used by the
/// AVX2 bitshuffle kernels, themselves handed out only for such a CPU.
pub(crate) static AVX2: Kernels = Kernels {
    name: "avx2",
    transpose: transpose_avx2,
    untranspose: untranspose_avx2,
    untranspose_streaming: untranspose_avx2_streaming,
    transpose_cold: transpose_avx2_cold,
};

fn transpose_sse2(s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    transpose_sse2_with(false, s, count, src, dst, stride);
}

fn transpose_sse2_cold(s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    transpose_sse2_with(true, s, count, src, dst, stride);
}

fn transpose_sse2_with(prefetch: bool, s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    scalar::check_bounds(s, count, src.len(), dst.len(), stride);
    // SAFETY: bounds checked above; SSE2 is part of the x86-64 baseline.
    let done = unsafe { run_fwd(&[sse2::fwd], prefetch, s, count, src, dst, stride) };
    finish_fwd(s, done, count, src, dst, stride);
}

fn untranspose_sse2(s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    scalar::check_bounds(s, count, dst.len(), src.len(), stride);
    // SAFETY: bounds checked above; SSE2 is part of the x86-64 baseline.
    let done = unsafe { run_bwd(&[sse2::bwd], s, count, src, dst, stride) };
    finish_bwd(s, done, count, src, dst, stride);
}

fn transpose_avx2(s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    transpose_avx2_with(false, s, count, src, dst, stride);
}

fn transpose_avx2_cold(s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    transpose_avx2_with(true, s, count, src, dst, stride);
}

fn transpose_avx2_with(prefetch: bool, s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    scalar::check_bounds(s, count, src.len(), dst.len(), stride);
    // 4- and 8-byte elements have their own kernels (byte shuffle, then a word
    // transpose). The generic 256-bit kernel for 4-byte groups measured slower than the
    // 128-bit one (Zen 2, 11 vs 18 GB/s), so the latter serves the other such sizes.
    let kerns: &[RawKernel] = match s {
        8 => &[avx2_fwd8, avx2::fwd, sse2::fwd],
        4 => &[avx2_fwd4, sse2::fwd],
        _ if super::simd::group(s) == 4 => &[sse2::fwd],
        _ => &[avx2::fwd, sse2::fwd],
    };
    // SAFETY: bounds checked above; this function is only reachable through `AVX2`, which
    // `shuffle::table` returns only when the CPU has AVX2.
    let done = unsafe { run_fwd(kerns, prefetch, s, count, src, dst, stride) };
    finish_fwd(s, done, count, src, dst, stride);
}

fn untranspose_avx2(s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    scalar::check_bounds(s, count, dst.len(), src.len(), stride);
    // 8-byte elements (float64, int64) have their own kernel: the generic one keeps 16
    // registers live and measured 2.7x slower per byte than for 4-byte elements.
    let kerns: &[RawKernel] =
        if s == 8 { &[avx2_bwd8::<false>, avx2::bwd, sse2::bwd] } else { &[avx2::bwd, sse2::bwd] };
    // SAFETY: bounds checked above; only reachable through `AVX2` (see transpose_avx2).
    let done = unsafe { run_bwd(kerns, s, count, src, dst, stride) };
    finish_bwd(s, done, count, src, dst, stride);
}

/// Forward transpose for `s == 8`, 32 elements a step: each lane takes two elements
/// (the low lanes elements `i..i+16`, the high lanes `i+16..i+32`), a byte shuffle pairs
/// their bytes of equal rank into 16-bit words, and an 8x8 transpose of 16-bit words
/// (three interleave rounds) leaves plane `j` in register `j`. Returns the elements done
/// (0 when `s != 8`).
///
/// # Safety
///
/// `src` readable for `count * 8` bytes; `dst` writable at `j*stride + i` for `j < 8`,
/// `i < count`; the CPU has AVX2.
#[target_feature(enable = "avx2")]
unsafe fn avx2_fwd8(s: usize, count: usize, src: *const u8, dst: *mut u8, stride: usize) -> usize {
    use std::arch::x86_64::*;
    if s != 8 {
        return 0;
    }
    let pair = _mm256_setr_epi8(
        0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15,
    );
    let mut i = 0;
    while i + 32 <= count {
        let at = src.wrapping_add(i * 8);
        // SAFETY: elements i+2k, i+2k+1 and i+16+2k, i+16+2k+1 (k < 8), all below count:
        // inside the count*8 source bytes.
        let r: [__m256i; 8] = core::array::from_fn(|k| unsafe {
            let lo = _mm_loadu_si128(at.add(16 * k).cast());
            let hi = _mm_loadu_si128(at.add(128 + 16 * k).cast());
            _mm256_shuffle_epi8(_mm256_set_m128i(hi, lo), pair)
        });
        let t0 = _mm256_unpacklo_epi16(r[0], r[1]);
        let t1 = _mm256_unpackhi_epi16(r[0], r[1]);
        let t2 = _mm256_unpacklo_epi16(r[2], r[3]);
        let t3 = _mm256_unpackhi_epi16(r[2], r[3]);
        let t4 = _mm256_unpacklo_epi16(r[4], r[5]);
        let t5 = _mm256_unpackhi_epi16(r[4], r[5]);
        let t6 = _mm256_unpacklo_epi16(r[6], r[7]);
        let t7 = _mm256_unpackhi_epi16(r[6], r[7]);
        let u0 = _mm256_unpacklo_epi32(t0, t2);
        let u1 = _mm256_unpackhi_epi32(t0, t2);
        let u2 = _mm256_unpacklo_epi32(t1, t3);
        let u3 = _mm256_unpackhi_epi32(t1, t3);
        let u4 = _mm256_unpacklo_epi32(t4, t6);
        let u5 = _mm256_unpackhi_epi32(t4, t6);
        let u6 = _mm256_unpacklo_epi32(t5, t7);
        let u7 = _mm256_unpackhi_epi32(t5, t7);
        let planes = [
            _mm256_unpacklo_epi64(u0, u4),
            _mm256_unpackhi_epi64(u0, u4),
            _mm256_unpacklo_epi64(u1, u5),
            _mm256_unpackhi_epi64(u1, u5),
            _mm256_unpacklo_epi64(u2, u6),
            _mm256_unpackhi_epi64(u2, u6),
            _mm256_unpacklo_epi64(u3, u7),
            _mm256_unpackhi_epi64(u3, u7),
        ];
        for (j, v) in planes.iter().enumerate() {
            // SAFETY: plane j < 8, elements i..i+32 <= count: inside dst.
            unsafe { _mm256_storeu_si256(dst.add(j * stride + i).cast(), *v) };
        }
        i += 32;
    }
    i
}

/// Forward transpose for `s == 4`, 32 elements a step: each lane takes four elements,
/// a byte shuffle gathers their bytes of equal rank into 32-bit words, and a 4x4
/// transpose of 32-bit words leaves plane `j` in register `j`. Returns the elements done
/// (0 when `s != 4`).
///
/// # Safety
///
/// As [`avx2_fwd8`] with 4-byte elements.
#[target_feature(enable = "avx2")]
unsafe fn avx2_fwd4(s: usize, count: usize, src: *const u8, dst: *mut u8, stride: usize) -> usize {
    use std::arch::x86_64::*;
    if s != 4 {
        return 0;
    }
    let quad = _mm256_setr_epi8(
        0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
    );
    let mut i = 0;
    while i + 32 <= count {
        let at = src.wrapping_add(i * 4);
        // SAFETY: elements i+4k..i+4k+4 and i+16+4k..i+16+4k+4 (k < 4), all below count:
        // inside the count*4 source bytes.
        let r: [__m256i; 4] = core::array::from_fn(|k| unsafe {
            let lo = _mm_loadu_si128(at.add(16 * k).cast());
            let hi = _mm_loadu_si128(at.add(64 + 16 * k).cast());
            _mm256_shuffle_epi8(_mm256_set_m128i(hi, lo), quad)
        });
        let t0 = _mm256_unpacklo_epi32(r[0], r[1]);
        let t1 = _mm256_unpackhi_epi32(r[0], r[1]);
        let t2 = _mm256_unpacklo_epi32(r[2], r[3]);
        let t3 = _mm256_unpackhi_epi32(r[2], r[3]);
        let planes = [
            _mm256_unpacklo_epi64(t0, t2),
            _mm256_unpackhi_epi64(t0, t2),
            _mm256_unpacklo_epi64(t1, t3),
            _mm256_unpackhi_epi64(t1, t3),
        ];
        for (j, v) in planes.iter().enumerate() {
            // SAFETY: plane j < 4, elements i..i+32 <= count: inside dst.
            unsafe { _mm256_storeu_si256(dst.add(j * stride + i).cast(), *v) };
        }
        i += 32;
    }
    i
}

/// `untranspose_avx2` with streaming stores: the elements before the first 32-byte
/// boundary of `dst` go through the scalar code, the aligned rest through a kernel whose
/// stores are non-temporal (element sizes 2, 4, 8 and 16; the others, or a `dst` that
/// whole elements never align, use the regular kernels).
fn untranspose_avx2_streaming(s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    scalar::check_bounds(s, count, dst.len(), src.len(), stride);
    let kern: Option<RawKernel> = match s {
        8 => Some(avx2_bwd8::<true>),
        2 | 4 | 16 => Some(avx2::bwd_streaming),
        _ => None,
    };
    let addr = dst.as_ptr() as usize;
    let head = (0..32).find(|k| (addr + k * s).is_multiple_of(32));
    let (Some(kern), Some(head)) = (kern, head) else {
        return untranspose_avx2(s, count, src, dst, stride);
    };
    if head + 32 > count {
        return untranspose_avx2(s, count, src, dst, stride);
    }
    scalar::untranspose(s, head, src, &mut dst[..head * s], stride);
    // SAFETY: bounds checked above (elements head..count are inside both buffers); the
    // kernel's stores need `dst + head*s` 32-byte aligned, which `head` makes it; only
    // reachable through `AVX2` (see transpose_avx2).
    let done = head + unsafe { kern(s, count - head, src[head..].as_ptr(), dst[head * s..].as_mut_ptr(), stride) };
    // Order the streaming stores before anything that follows.
    // SAFETY: SSE is part of the x86-64 baseline.
    unsafe { std::arch::x86_64::_mm_sfence() };
    finish_bwd(s, done, count, src, dst, stride);
}

/// Backward transpose for `s == 8`, 32 elements a step: the eight planes' bytes are
/// interleaved by 8, 16 and 32 bits, then the 128-bit lanes are put in element order.
/// Returns the elements done (0 when `s != 8`).
///
/// With `STREAMING` the stores are non-temporal (the caller issues the fence).
///
/// # Safety
///
/// `src` readable at `j*stride + i` for `j < 8`, `i < count`; `dst` writable for
/// `count * 8` bytes; the CPU has AVX2; with `STREAMING`, `dst` 32-byte aligned.
#[target_feature(enable = "avx2")]
unsafe fn avx2_bwd8<const STREAMING: bool>(
    s: usize,
    count: usize,
    src: *const u8,
    dst: *mut u8,
    stride: usize,
) -> usize {
    use std::arch::x86_64::*;
    if s != 8 {
        return 0;
    }
    let mut i = 0;
    while i + 32 <= count {
        // SAFETY: plane j < 8, elements i..i+32 <= count: inside src.
        let a: [__m256i; 8] = core::array::from_fn(|j| unsafe { _mm256_loadu_si256(src.add(j * stride + i).cast()) });
        let b0 = _mm256_unpacklo_epi8(a[0], a[1]);
        let b1 = _mm256_unpackhi_epi8(a[0], a[1]);
        let b2 = _mm256_unpacklo_epi8(a[2], a[3]);
        let b3 = _mm256_unpackhi_epi8(a[2], a[3]);
        let b4 = _mm256_unpacklo_epi8(a[4], a[5]);
        let b5 = _mm256_unpackhi_epi8(a[4], a[5]);
        let b6 = _mm256_unpacklo_epi8(a[6], a[7]);
        let b7 = _mm256_unpackhi_epi8(a[6], a[7]);
        // Bytes 0-3 (c0..c3) and 4-7 (c4..c7) of elements 0-3, 4-7, 8-11, 12-15 of each lane.
        let c0 = _mm256_unpacklo_epi16(b0, b2);
        let c1 = _mm256_unpackhi_epi16(b0, b2);
        let c2 = _mm256_unpacklo_epi16(b1, b3);
        let c3 = _mm256_unpackhi_epi16(b1, b3);
        let c4 = _mm256_unpacklo_epi16(b4, b6);
        let c5 = _mm256_unpackhi_epi16(b4, b6);
        let c6 = _mm256_unpacklo_epi16(b5, b7);
        let c7 = _mm256_unpackhi_epi16(b5, b7);
        // Whole elements: d[k] holds elements 2k, 2k+1 of each lane.
        let d = [
            _mm256_unpacklo_epi32(c0, c4),
            _mm256_unpackhi_epi32(c0, c4),
            _mm256_unpacklo_epi32(c1, c5),
            _mm256_unpackhi_epi32(c1, c5),
            _mm256_unpacklo_epi32(c2, c6),
            _mm256_unpackhi_epi32(c2, c6),
            _mm256_unpacklo_epi32(c3, c7),
            _mm256_unpackhi_epi32(c3, c7),
        ];
        let out = dst.wrapping_add(i * 8);
        for k in 0..4 {
            let lo = _mm256_permute2x128_si256::<0x20>(d[2 * k], d[2 * k + 1]);
            let hi = _mm256_permute2x128_si256::<0x31>(d[2 * k], d[2 * k + 1]);
            // SAFETY: elements i+4k..i+4k+4 and i+16+4k..i+16+4k+4, all below count:
            // inside the count*8 destination bytes; streaming stores are at multiples of
            // 32 bytes from the aligned `dst`.
            unsafe {
                if STREAMING {
                    _mm256_stream_si256(out.add(32 * k).cast(), lo);
                    _mm256_stream_si256(out.add(128 + 32 * k).cast(), hi);
                } else {
                    _mm256_storeu_si256(out.add(32 * k).cast(), lo);
                    _mm256_storeu_si256(out.add(128 + 32 * k).cast(), hi);
                }
            }
        }
        i += 32;
    }
    i
}

mod sse2 {
    use std::arch::x86_64::*;

    type V = __m128i;
    const E: usize = 16;

    #[inline]
    #[target_feature(enable = "sse2")]
    fn zero() -> V {
        _mm_setzero_si128()
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn inter(a: V, b: V) -> (V, V) {
        (_mm_unpacklo_epi8(a, b), _mm_unpackhi_epi8(a, b))
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn deint(a: V, b: V) -> (V, V) {
        let mask = _mm_set1_epi16(0x00ff);
        let even = _mm_packus_epi16(_mm_and_si128(a, mask), _mm_and_si128(b, mask));
        let odd = _mm_packus_epi16(_mm_srli_epi16::<8>(a), _mm_srli_epi16::<8>(b));
        (even, odd)
    }

    /// # Safety
    ///
    /// `p` readable for 16 bytes.
    #[inline]
    #[target_feature(enable = "sse2")]
    pub(crate) unsafe fn ldu(p: *const u8) -> V {
        // SAFETY: caller guarantees 16 readable bytes; loadu has no alignment needs.
        unsafe { _mm_loadu_si128(p.cast()) }
    }

    /// # Safety
    ///
    /// `p` writable for 16 bytes.
    #[inline]
    #[target_feature(enable = "sse2")]
    pub(crate) unsafe fn stu(p: *mut u8, v: V) {
        // SAFETY: caller guarantees 16 writable bytes; storeu has no alignment needs.
        unsafe { _mm_storeu_si128(p.cast(), v) }
    }

    /// Loads `16 / G` sub-elements of `G` bytes, `s` bytes apart.
    ///
    /// # Safety
    ///
    /// `p + t*s .. p + t*s + G` readable for `t < 16 / G`.
    #[inline]
    #[target_feature(enable = "sse2")]
    pub(crate) unsafe fn ld<const G: usize>(p: *const u8, s: usize) -> V {
        // SAFETY: every read below is one of the sub-elements the caller vouches for
        // (when s == G they are contiguous, 16 bytes in all).
        unsafe {
            if s == G {
                return ldu(p);
            }
            match G {
                8 => _mm_unpacklo_epi64(_mm_loadl_epi64(p.cast()), _mm_loadl_epi64(p.add(s).cast())),
                4 => {
                    let w = |t: usize| _mm_cvtsi32_si128(p.add(t * s).cast::<i32>().read_unaligned());
                    let ab = _mm_unpacklo_epi32(w(0), w(1));
                    let cd = _mm_unpacklo_epi32(w(2), w(3));
                    _mm_unpacklo_epi64(ab, cd)
                }
                2 => {
                    let h = |t: usize| p.add(t * s).cast::<i16>().read_unaligned();
                    _mm_set_epi16(h(7), h(6), h(5), h(4), h(3), h(2), h(1), h(0))
                }
                _ => ldu(p),
            }
        }
    }

    /// Stores `16 / G` sub-elements of `G` bytes, `s` bytes apart (inverse of `ld`).
    ///
    /// # Safety
    ///
    /// `p + t*s .. p + t*s + G` writable for `t < 16 / G`.
    #[inline]
    #[target_feature(enable = "sse2")]
    pub(crate) unsafe fn st<const G: usize>(p: *mut u8, s: usize, v: V) {
        // SAFETY: every write below is one of the sub-elements the caller vouches for.
        unsafe {
            if s == G {
                stu(p, v);
                return;
            }
            match G {
                8 => {
                    _mm_storel_epi64(p.cast(), v);
                    _mm_storel_epi64(p.add(s).cast(), _mm_unpackhi_epi64(v, v));
                }
                4 | 2 => {
                    let mut tmp = [0u8; 16];
                    stu(tmp.as_mut_ptr(), v);
                    for t in 0..16 / G {
                        core::ptr::copy_nonoverlapping(tmp.as_ptr().add(t * G), p.add(t * s), G);
                    }
                }
                _ => stu(p, v),
            }
        }
    }

    crate::filter::shuffle::simd::transpose_kernels!("sse2");
}

mod avx2 {
    use super::sse2;
    use std::arch::x86_64::*;

    type V = __m256i;
    const E: usize = 32;

    #[inline]
    #[target_feature(enable = "avx2")]
    fn zero() -> V {
        _mm256_setzero_si256()
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn inter(a: V, b: V) -> (V, V) {
        (_mm256_unpacklo_epi8(a, b), _mm256_unpackhi_epi8(a, b))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn deint(a: V, b: V) -> (V, V) {
        let mask = _mm256_set1_epi16(0x00ff);
        let even = _mm256_packus_epi16(_mm256_and_si256(a, mask), _mm256_and_si256(b, mask));
        let odd = _mm256_packus_epi16(_mm256_srli_epi16::<8>(a), _mm256_srli_epi16::<8>(b));
        (even, odd)
    }

    /// # Safety
    ///
    /// `p` readable for 32 bytes.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn ldu(p: *const u8) -> V {
        // SAFETY: caller guarantees 32 readable bytes; loadu has no alignment needs.
        unsafe { _mm256_loadu_si256(p.cast()) }
    }

    /// # Safety
    ///
    /// `p` writable for 32 bytes.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn stu(p: *mut u8, v: V) {
        // SAFETY: caller guarantees 32 writable bytes; storeu has no alignment needs.
        unsafe { _mm256_storeu_si256(p.cast(), v) }
    }

    /// Low lane: sub-elements at `p`; high lane: the ones sixteen elements further.
    ///
    /// # Safety
    ///
    /// As `sse2::ld` for `p` and for `p + 16*s`.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn ld<const G: usize>(p: *const u8, s: usize) -> V {
        // SAFETY: forwarded caller contract for both lanes.
        unsafe { _mm256_set_m128i(sse2::ld::<G>(p.add(16 * s), s), sse2::ld::<G>(p, s)) }
    }

    /// Inverse of `ld`.
    ///
    /// # Safety
    ///
    /// As `sse2::st` for `p` and for `p + 16*s`.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn st<const G: usize>(p: *mut u8, s: usize, v: V) {
        // SAFETY: forwarded caller contract for both lanes.
        unsafe {
            sse2::st::<G>(p, s, _mm256_castsi256_si128(v));
            sse2::st::<G>(p.add(16 * s), s, _mm256_extracti128_si256::<1>(v));
        }
    }

    crate::filter::shuffle::simd::transpose_kernels!("avx2");

    /// Backward transpose for `s` in {2, 4, 16} (one sub-element group per element)
    /// with non-temporal 32-byte stores: the two lanes of consecutive output registers
    /// are paired into contiguous runs. Returns the elements done (0 for other sizes).
    ///
    /// # Safety
    ///
    /// As `bwd`, and `dst` 32-byte aligned.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn bwd_streaming(s: usize, count: usize, src: *const u8, dst: *mut u8, stride: usize) -> usize {
        // SAFETY: the caller's contract is forwarded unchanged.
        unsafe {
            match s {
                16 => bwd_streaming_g::<16>(count, src, dst, stride),
                4 => bwd_streaming_g::<4>(count, src, dst, stride),
                2 => bwd_streaming_g::<2>(count, src, dst, stride),
                _ => 0,
            }
        }
    }

    /// [`bwd_streaming`] for `s == G`.
    ///
    /// # Safety
    ///
    /// As [`bwd_streaming`].
    #[target_feature(enable = "avx2")]
    unsafe fn bwd_streaming_g<const G: usize>(count: usize, src: *const u8, dst: *mut u8, stride: usize) -> usize {
        let passes = G.trailing_zeros();
        let mut i = 0;
        while i + E <= count {
            let mut r = [zero(); G];
            for (j, reg) in r.iter_mut().enumerate() {
                // SAFETY: plane j < G = s, elements i..i+E <= count: inside src.
                *reg = unsafe { ldu(src.add(j * stride + i)) };
            }
            for _ in 0..passes {
                r = inter_pass(r);
            }
            // Register t holds elements i+16t/G.. (low lane) and 16 elements further
            // (high lane): the low lanes of registers 2u and 2u+1 are 32 contiguous
            // bytes, and so are their high lanes, 16*G bytes further.
            let out = dst.wrapping_add(i * G);
            for u in 0..G / 2 {
                let lo = _mm256_permute2x128_si256::<0x20>(r[2 * u], r[2 * u + 1]);
                let hi = _mm256_permute2x128_si256::<0x31>(r[2 * u], r[2 * u + 1]);
                // SAFETY: bytes i*G + 32u.. and i*G + 16G + 32u.., 32 each, are within the
                // E*G bytes of elements i..i+E (below count); both are multiples of 32
                // from the aligned `dst` (i is a multiple of 32).
                unsafe {
                    _mm256_stream_si256(out.add(32 * u).cast(), lo);
                    _mm256_stream_si256(out.add(16 * G + 32 * u).cast(), hi);
                }
            }
            i += E;
        }
        i
    }
}
