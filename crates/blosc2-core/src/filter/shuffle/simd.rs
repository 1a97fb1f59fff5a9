//! What the SIMD byte transposes for SHUFFLE (`shared/spec/filters.md` 2) share across
//! instruction sets: the generic kernels (`transpose_kernels!`, instantiated in `x86.rs` for
//! SSE2 and AVX2 and in `neon.rs` for NEON) and the driver that runs them over a buffer
//! (staging, prefetching, the scalar finish).
//!
//! # Method
//!
//! Sixteen elements are processed per 128-bit lane. Every element size with a power-of-two
//! factor `g` in {2, 4, 8, 16} is handled: each element is cut into `s / g` sub-elements of
//! `g` bytes, and sixteen sub-elements (`16 * g` bytes, `g` registers) are transposed at a
//! time. Seen as one stream of `16 * g` bytes, the forward transpose maps byte index
//! `e*g + j` to `j*16 + e`, a rotation of the index bits by four places; an interleave of the
//! two halves of the stream (`unpacklo/unpackhi` of registers `p` and `g/2 + p`) rotates the
//! index by one bit, so four interleave passes do the forward transpose and `log2 g` passes the
//! backward one. For `g <= 4` the forward direction uses `log2 g` even/odd splits (`packus`)
//! instead, which is cheaper.
//!
//! Element sizes without such a factor (odd sizes) use the scalar code. Element counts that do
//! not fill a tile finish with a smaller kernel and then the scalar code. Forward transposes
//! with many planes crowding one L1 set go through a staging buffer (see `crowded`).
#![allow(unsafe_code)]

use super::scalar;

/// The largest of 16, 8, 4, 2 dividing `s`, or 0 when `s` is odd.
#[inline]
pub(super) fn group(s: usize) -> usize {
    match s.trailing_zeros() {
        0 => 0,
        1 => 2,
        2 => 4,
        3 => 8,
        _ => 16,
    }
}

/// Generates the generic kernels for one instruction set from its primitives, which must be
/// in scope: the register type `V`, the elements per tile `E`, `zero()`, `inter(a, b)` (byte
/// interleave of two registers, lane by lane), `deint(a, b)` (even/odd byte split), `ldu`/`stu`
/// (one register from/to memory), `ld::<G>`/`st::<G>` (sixteen `G`-byte sub-elements per lane,
/// `s` bytes apart).
macro_rules! transpose_kernels {
    ($feat:literal) => {
        /// One interleave pass over `G` registers seen as a stream.
        #[inline]
        #[target_feature(enable = $feat)]
        fn inter_pass<const G: usize>(r: [V; G]) -> [V; G] {
            let mut o = r;
            for p in 0..G / 2 {
                let (lo, hi) = inter(r[p], r[G / 2 + p]);
                o[2 * p] = lo;
                o[2 * p + 1] = hi;
            }
            o
        }

        /// One even/odd split pass over `G` registers seen as a stream.
        #[inline]
        #[target_feature(enable = $feat)]
        fn deint_pass<const G: usize>(r: [V; G]) -> [V; G] {
            let mut o = r;
            for p in 0..G / 2 {
                let (e, d) = deint(r[2 * p], r[2 * p + 1]);
                o[p] = e;
                o[G / 2 + p] = d;
            }
            o
        }

        /// Forward transpose of whole tiles of `E` elements; returns the elements done.
        ///
        /// # Safety
        ///
        /// `src` is readable for `count * s` bytes; `dst` is writable at `j*stride + i` for
        /// `j < s`, `i < count`; the CPU supports the instruction set.
        #[target_feature(enable = $feat)]
        pub(super) unsafe fn fwd(s: usize, count: usize, src: *const u8, dst: *mut u8, stride: usize) -> usize {
            // SAFETY: the caller's contract is forwarded unchanged.
            unsafe { $crate::filter::shuffle::simd::by_group!(fwd_g(s, count, src, dst, stride)) }
        }

        /// [`fwd`] for one sub-element group size `G`.
        ///
        /// # Safety
        ///
        /// As [`fwd`].
        #[target_feature(enable = $feat)]
        unsafe fn fwd_g<const G: usize>(s: usize, count: usize, src: *const u8, dst: *mut u8, stride: usize) -> usize {
            let q = s / G;
            let step = 16 / G;
            let mut i = 0;
            while i + E <= count {
                for c in 0..q {
                    let mut r = [zero(); G];
                    for (t, reg) in r.iter_mut().enumerate() {
                        // SAFETY: the sub-elements read belong to elements i..i+E, all below
                        // count, at byte c*G..c*G+G of each: inside the count*s source bytes.
                        *reg = unsafe { ld::<G>(src.add((i + t * step) * s + c * G), s) };
                    }
                    if G <= $crate::filter::shuffle::simd::DEINT_MAX {
                        for _ in 0..G.trailing_zeros() {
                            r = deint_pass(r);
                        }
                    } else {
                        r = inter_pass(inter_pass(inter_pass(inter_pass(r))));
                    }
                    for (j, reg) in r.iter().enumerate() {
                        // SAFETY: plane c*G+j < s, elements i..i+E <= count: inside dst.
                        unsafe { stu(dst.add((c * G + j) * stride + i), *reg) };
                    }
                }
                i += E;
            }
            i
        }

        /// Backward transpose of whole tiles of `E` elements; returns the elements done.
        ///
        /// # Safety
        ///
        /// `src` is readable at `j*stride + i` for `j < s`, `i < count`; `dst` is writable for
        /// `count * s` bytes; the CPU supports the instruction set.
        #[target_feature(enable = $feat)]
        pub(super) unsafe fn bwd(s: usize, count: usize, src: *const u8, dst: *mut u8, stride: usize) -> usize {
            // SAFETY: the caller's contract is forwarded unchanged.
            unsafe { $crate::filter::shuffle::simd::by_group!(bwd_g(s, count, src, dst, stride)) }
        }

        /// [`bwd`] for one sub-element group size `G`.
        ///
        /// # Safety
        ///
        /// As [`bwd`].
        #[target_feature(enable = $feat)]
        unsafe fn bwd_g<const G: usize>(s: usize, count: usize, src: *const u8, dst: *mut u8, stride: usize) -> usize {
            let q = s / G;
            let step = 16 / G;
            let passes = G.trailing_zeros();
            let mut i = 0;
            while i + E <= count {
                for c in 0..q {
                    let mut r = [zero(); G];
                    for (j, reg) in r.iter_mut().enumerate() {
                        // SAFETY: plane c*G+j < s, elements i..i+E <= count: inside src.
                        *reg = unsafe { ldu(src.add((c * G + j) * stride + i)) };
                    }
                    for _ in 0..passes {
                        r = inter_pass(r);
                    }
                    for (t, reg) in r.iter().enumerate() {
                        // SAFETY: sub-elements of elements i..i+E (below count) at byte
                        // c*G..c*G+G: inside the count*s destination bytes.
                        unsafe { st::<G>(dst.add((i + t * step) * s + c * G), s, *reg) };
                    }
                }
                i += E;
            }
            i
        }
    };
}
pub(super) use transpose_kernels;

/// Calls `$f::<G>(s, ...)` with `G` the group of `s` ([`group`]), or gives 0 (no element
/// done) for an odd `s`: the run-time element size to the kernels' const generic.
macro_rules! by_group {
    ($f:ident($s:expr $(, $arg:expr)*)) => {
        match $crate::filter::shuffle::simd::group($s) {
            16 => $f::<16>($s $(, $arg)*),
            8 => $f::<8>($s $(, $arg)*),
            4 => $f::<4>($s $(, $arg)*),
            2 => $f::<2>($s $(, $arg)*),
            _ => 0,
        }
    };
}
pub(super) use by_group;

/// The largest sub-element group the forward kernels split with even/odd passes (larger ones
/// interleave).
pub(super) const DEINT_MAX: usize = 4;

/// A raw kernel: transposes whole tiles of `count` elements (arguments as
/// [`super::TransposeFn`], as raw pointers) and returns the number of elements done.
pub(super) type RawKernel = unsafe fn(usize, usize, *const u8, *mut u8, usize) -> usize;

/// Elements per staged step: 64 bytes, one cache line, of every plane.
const STAGE: usize = 64;

/// Whether the planes, `stride` bytes apart, crowd the L1 cache: more than eight of them
/// (the usual associativity) in one set of a 64-set cache, as happens when the block size is
/// a power of two and `s >= 16`. Writing 16 or 32 bytes of each plane per tile then evicts
/// lines before their second half is written, so such forward transposes go through a small
/// staging buffer and write whole lines. (Measured on Zen 2: 6.6 -> 10-11 GB/s for
/// `s = 16`; staging did not help the backward direction nor `s = 8`.)
fn crowded(s: usize, stride: usize) -> bool {
    if !(16..=255).contains(&s) || group(s) == 0 {
        return false;
    }
    let mut sets = [0u8; 64];
    for j in 0..s {
        let k = ((j * stride) >> 6) & 63;
        sets[k] += 1;
        if sets[k] > 8 {
            return true;
        }
    }
    false
}

/// Runs `f(stage, i)` for every whole step `i` (a multiple of [`STAGE`]) below `count`, with
/// a buffer of at least `s * STAGE` bytes; returns the elements done.
fn staged(s: usize, count: usize, mut f: impl FnMut(&mut [u8], usize)) -> usize {
    let steps = count / STAGE;
    let mut run = |stage: &mut [u8]| {
        for step in 0..steps {
            f(&mut stage[..s * STAGE], step * STAGE);
        }
    };
    if s * STAGE <= 2048 {
        run(&mut [0u8; 2048]);
    } else {
        run(&mut [0u8; 255 * STAGE]);
    }
    steps * STAGE
}

/// Forward transpose with `kerns` (fastest first), staged when the planes are crowded;
/// returns the elements done.
///
/// # Safety
///
/// The kernels run on this CPU and the bounds were checked (`scalar::check_bounds`).
pub(super) unsafe fn run_fwd(
    kerns: &[RawKernel],
    prefetch: bool,
    s: usize,
    count: usize,
    src: &[u8],
    dst: &mut [u8],
    stride: usize,
) -> usize {
    let mut done = 0;
    if crowded(s, stride) {
        done = staged(s, count, |stage, i| {
            // SAFETY: elements i..i+STAGE are inside src; stage holds s planes of STAGE bytes.
            let n = unsafe { kerns[0](s, STAGE, src[i * s..].as_ptr(), stage.as_mut_ptr(), STAGE) };
            debug_assert_eq!(n, STAGE);
            for (j, row) in stage.chunks_exact(STAGE).enumerate() {
                dst[j * stride + i..j * stride + i + STAGE].copy_from_slice(row);
            }
        });
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = prefetch;
    #[cfg(target_arch = "x86_64")]
    if let (true, Some(&first)) = (prefetch, kerns.first()) {
        // A source in memory rather than the cache: the kernel runs over segments, each
        // fetching the next one's lines first. With `s` store streams under way the
        // hardware prefetcher alone leaves much of the read bandwidth unused (8-byte
        // elements from memory on Zen 2: 8.9 -> 12.2 GB/s; in the cache it costs 20 %).
        let seg = (PREFETCH_SEGMENT / s).max(32) & !31;
        while done + seg <= count {
            let ahead = (done * s + PREFETCH_AHEAD).min(src.len());
            let end = (ahead + seg * s).min(src.len());
            for line in (ahead..end).step_by(64) {
                // SAFETY: a prefetch has no effect on memory; the address is inside `src`.
                unsafe {
                    std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(src[line..].as_ptr().cast())
                };
            }
            // SAFETY: elements done..done+seg are inside the checked bounds.
            let n = unsafe { first(s, seg, src[done * s..].as_ptr(), dst[done..].as_mut_ptr(), stride) };
            done += n;
            if n < seg {
                break;
            }
        }
    }
    for kern in kerns {
        // SAFETY: the remaining elements done..count are inside the checked bounds.
        done += unsafe { kern(s, count - done, src[done * s..].as_ptr(), dst[done..].as_mut_ptr(), stride) };
    }
    done
}

/// Source bytes a forward transpose kernel is given at a time (x86-64; see [`run_fwd`]).
#[cfg(target_arch = "x86_64")]
const PREFETCH_SEGMENT: usize = 4096;
/// How far ahead of the segment being transposed its source is fetched.
#[cfg(target_arch = "x86_64")]
const PREFETCH_AHEAD: usize = 4096;

/// Backward transpose with `kerns` (fastest first); returns the elements done.
///
/// # Safety
///
/// As [`run_fwd`].
pub(super) unsafe fn run_bwd(
    kerns: &[RawKernel],
    s: usize,
    count: usize,
    src: &[u8],
    dst: &mut [u8],
    stride: usize,
) -> usize {
    let mut done = 0;
    for kern in kerns {
        // SAFETY: the remaining elements done..count are inside the checked bounds.
        done += unsafe { kern(s, count - done, src[done..].as_ptr(), dst[done * s..].as_mut_ptr(), stride) };
    }
    done
}

/// Finishes a forward transpose with the scalar code from element `done` on.
pub(super) fn finish_fwd(s: usize, done: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    if done < count {
        scalar::transpose(s, count - done, &src[done * s..], &mut dst[done..], stride);
    }
}

/// Finishes a backward transpose with the scalar code from element `done` on.
pub(super) fn finish_bwd(s: usize, done: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    if done < count {
        scalar::untranspose(s, count - done, &src[done..], &mut dst[done * s..], stride);
    }
}
