//! SHUFFLE (filter id 1): byte transposition, `shared/spec/filters.md` 2.
//!
//! A block of `n` elements of `s` bytes becomes `s` byte-planes of `n` bytes (plane `j` holds
//! byte `j` of every element), followed by the `bsize % s` leftover bytes unchanged.
//!
//! The work is done by the [`Kernels`] table of the instruction set [`crate::cpu::isa`]
//! chooses once at run time: AVX2 or SSE2 on x86-64, NEON on aarch64, otherwise the portable
//! [`scalar`] code (which is also the reference the SIMD kernels are tested against). Setting
//! `BLOSC2_FORCE_SCALAR=1` in the environment forces the scalar table.
//!
//! ```
//! use blosc2_core::filter::shuffle;
//!
//! let src = [1u8, 0, 2, 0, 3, 0];
//! let mut dst = [0u8; 6];
//! shuffle::shuffle(2, &src, &mut dst);
//! assert_eq!(dst, [1, 2, 3, 0, 0, 0]);
//! ```

#[cfg(target_arch = "aarch64")]
pub(crate) mod neon;
pub mod scalar;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod simd;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x86;

/// Strided forward transpose: `dst[j*stride + i] = src[i*s + j]` for `i < count`, `j < s`.
/// Arguments: `(s, count, src, dst, stride)`.
pub type TransposeFn = fn(usize, usize, &[u8], &mut [u8], usize);

/// One implementation (instruction set) of the byte transposes behind SHUFFLE.
///
/// Both functions check their slice bounds and panic if the buffers are too short; they never
/// read or write out of bounds.
#[derive(Debug, Clone, Copy)]
pub struct Kernels {
    /// Instruction set name (`"scalar"`, `"sse2"`, `"avx2"`, `"neon"`).
    pub name: &'static str,
    /// `dst[j*stride + i] = src[i*s + j]` for `i < count`, `j < s`.
    pub transpose: TransposeFn,
    /// `dst[i*s + j] = src[j*stride + i]` for `i < count`, `j < s` (arguments
    /// `(s, count, src, dst, stride)`).
    pub untranspose: TransposeFn,
    /// As `untranspose`, writing `dst` with streaming (non-temporal) stores, for large
    /// outputs not read back soon (see [`crate::streaming`]); equal to `untranspose` where
    /// the instruction set has no such kernel.
    pub untranspose_streaming: TransposeFn,
    /// As `transpose`, fetching the source a little ahead of the kernel: for a source that
    /// comes from memory rather than the cache (a large array being compressed); equal to
    /// `transpose` where the instruction set has no such variant.
    pub transpose_cold: TransposeFn,
}

impl Kernels {
    /// Forward SHUFFLE of a whole buffer with these kernels (see [`shuffle`]).
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn shuffle(&self, s: usize, src: &[u8], dst: &mut [u8]) {
        shuffle_with(s, src, dst, self.transpose);
    }

    /// [`Kernels::shuffle`] for a source read from memory rather than the cache (see
    /// `transpose_cold`); the output is the same.
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn shuffle_cold(&self, s: usize, src: &[u8], dst: &mut [u8]) {
        shuffle_with(s, src, dst, self.transpose_cold);
    }

    /// Backward SHUFFLE of a whole buffer with these kernels (see [`unshuffle`]).
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn unshuffle(&self, s: usize, src: &[u8], dst: &mut [u8]) {
        unshuffle_with(s, src, dst, self.untranspose, <[u8]>::copy_from_slice);
    }

    /// [`Kernels::unshuffle`] writing `dst` with streaming stores where these kernels have
    /// them (see [`crate::streaming`]).
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn unshuffle_streaming(&self, s: usize, src: &[u8], dst: &mut [u8]) {
        unshuffle_with(s, src, dst, self.untranspose_streaming, crate::streaming::copy);
    }
}

/// Forward SHUFFLE with `transpose` for the whole elements.
fn shuffle_with(s: usize, src: &[u8], dst: &mut [u8], transpose: TransposeFn) {
    assert_eq!(src.len(), dst.len(), "shuffle: source and destination differ in length");
    let n = src.len().checked_div(s).unwrap_or(0);
    if s <= 1 || n == 0 {
        dst.copy_from_slice(src);
        return;
    }
    transpose(s, n, src, dst, n);
    dst[n * s..].copy_from_slice(&src[n * s..]);
}

/// Backward SHUFFLE with `untranspose` for the whole elements and `copy` for a buffer that
/// holds none (`s <= 1` or shorter than an element).
fn unshuffle_with(s: usize, src: &[u8], dst: &mut [u8], untranspose: TransposeFn, copy: fn(&mut [u8], &[u8])) {
    assert_eq!(src.len(), dst.len(), "unshuffle: source and destination differ in length");
    let n = src.len().checked_div(s).unwrap_or(0);
    if s <= 1 || n == 0 {
        copy(dst, src);
        return;
    }
    untranspose(s, n, src, dst, n);
    dst[n * s..].copy_from_slice(&src[n * s..]);
}

/// The portable kernels.
pub static SCALAR: Kernels = Kernels {
    name: "scalar",
    transpose: scalar::transpose,
    untranspose: scalar::untranspose,
    untranspose_streaming: scalar::untranspose,
    transpose_cold: scalar::transpose,
};

crate::cpu::isa_dispatch! {
    Kernels {
        scalar: &SCALAR,
        x86_64: [&x86::SSE2, &x86::AVX2],
        aarch64: [&neon::NEON],
    }

    /// Forward SHUFFLE (`shared/spec/filters.md` 2): `dst[j*n + i] = src[i*s + j]` with
    /// `n = src.len() / s`, then the `src.len() % s` trailing bytes copied. `s <= 1` or
    /// `s > src.len()` copies.
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn shuffle;

    /// [`shuffle`] for a source read from memory rather than the cache: the kernels fetch it
    /// ahead where the CPU gains from it. Same output.
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn shuffle_cold;

    /// Backward SHUFFLE (`shared/spec/filters.md` 2): `dst[i*s + j] = src[j*n + i]`, trailing
    /// bytes copied.
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn unshuffle;

    /// [`unshuffle`] writing `dst` with streaming stores where the CPU has them: for large
    /// outputs that are not read back soon (see [`crate::streaming`]).
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn unshuffle_streaming;
}

#[cfg(test)]
mod tests {
    use super::*;
    use blosc2_testkit::data::XorShift64;
    use proptest::prelude::*;

    fn data(len: usize, seed: u64) -> Vec<u8> {
        XorShift64::new(seed).bytes(len)
    }

    #[test]
    fn spec_example_every_kernel() {
        let src = [0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55, 0xcc, 0xbb, 0xaa, 0x99, 0xee, 0xff];
        let want = [0x44, 0x88, 0xcc, 0x33, 0x77, 0xbb, 0x22, 0x66, 0xaa, 0x11, 0x55, 0x99, 0xee, 0xff];
        for k in available() {
            let mut out = [0u8; 14];
            k.shuffle(4, &src, &mut out);
            assert_eq!(out, want, "{}", k.name);
        }
    }

    #[test]
    fn kernels_agree_on_sweep() {
        for s in [2usize, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 255, 256, 400] {
            for len in [0usize, 1, 15, 16 * s, 32 * s + 1, 33 * s + s / 2, 1000, 4096 + 7] {
                let src = data(len, (s * 1000 + len) as u64);
                let mut want = vec![0u8; len];
                SCALAR.shuffle(s, &src, &mut want);
                let mut back_want = vec![0u8; len];
                SCALAR.unshuffle(s, &src, &mut back_want);
                for k in available() {
                    let mut out = vec![0u8; len];
                    k.shuffle(s, &src, &mut out);
                    assert_eq!(out, want, "{} s={s} len={len}", k.name);
                    let mut back = vec![0u8; len];
                    k.unshuffle(s, &src, &mut back);
                    assert_eq!(back, back_want, "{} s={s} len={len}", k.name);
                    k.unshuffle(s, &want, &mut back);
                    assert_eq!(back, src, "{} s={s} len={len}", k.name);
                }
            }
        }
    }

    #[test]
    fn strided_transpose_agrees() {
        // A plane stride larger than the element count, as the bitshuffle tiles use.
        for s in [2usize, 4, 8, 16, 24, 5] {
            let count = 77;
            let stride = 100;
            let src = data(count * s, s as u64);
            let mut want = vec![0xAAu8; (s - 1) * stride + count];
            scalar::transpose(s, count, &src, &mut want, stride);
            for k in available() {
                let mut out = vec![0xAAu8; want.len()];
                (k.transpose)(s, count, &src, &mut out, stride);
                assert_eq!(out, want, "{} s={s}", k.name);
                let mut out = vec![0xAAu8; want.len()];
                (k.transpose_cold)(s, count, &src, &mut out, stride);
                assert_eq!(out, want, "{} cold s={s}", k.name);
                let mut back = vec![0u8; count * s];
                (k.untranspose)(s, count, &out, &mut back, stride);
                assert_eq!(back, src, "{} s={s}", k.name);
            }
        }
    }

    #[test]
    fn cold_shuffle_equals_scalar_over_many_segments() {
        // Long enough for several prefetched segments and a tail, at odd offsets.
        for s in [2usize, 3, 4, 8, 16, 24, 200] {
            for len in [40_000usize, 65_536 + 13] {
                let src = data(len + 3, (s * 7 + len) as u64);
                let src = &src[3..];
                let mut want = vec![0u8; len];
                scalar::shuffle(s, src, &mut want);
                for k in available() {
                    let mut out = vec![0u8; len];
                    k.shuffle_cold(s, src, &mut out);
                    assert_eq!(out, want, "{} s={s} len={len}", k.name);
                }
            }
        }
    }

    #[test]
    fn streaming_untranspose_equals_scalar_at_every_alignment() {
        for s in [2usize, 3, 4, 8, 12, 16, 24] {
            for count in [0usize, 31, 32, 33, 64 + 31, 64 + 32, 1000, 4096 + 5] {
                let src = data(count * s + 7, (s * 31 + count) as u64);
                let mut want = vec![0u8; src.len()];
                SCALAR.unshuffle(s, &src, &mut want);
                for k in available() {
                    for off in 0..33 {
                        let mut buf = vec![0x5Au8; src.len() + 40];
                        let out = &mut buf[off..off + src.len()];
                        let n = src.len() / s;
                        (k.untranspose_streaming)(s, n, &src, out, n);
                        out[n * s..].copy_from_slice(&src[n * s..]);
                        assert_eq!(out, &want[..], "{} s={s} count={count} off={off}", k.name);
                        assert!(buf[..off].iter().chain(&buf[off + src.len()..]).all(|&b| b == 0x5A));
                    }
                }
                let mut out = vec![0u8; src.len()];
                unshuffle_streaming(s, &src, &mut out);
                assert_eq!(out, want, "unshuffle_streaming s={s} count={count}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn simd_equals_scalar(
            s in prop_oneof![1usize..=32, Just(48usize), Just(64usize), Just(255usize), 33usize..=255],
            len in 0usize..3000,
            seed in any::<u64>(),
        ) {
            let src = data(len, seed);
            let mut want = vec![0u8; len];
            scalar::shuffle(s, &src, &mut want);
            let mut back_want = vec![0u8; len];
            scalar::unshuffle(s, &src, &mut back_want);
            for k in available() {
                let mut out = vec![0u8; len];
                k.shuffle(s, &src, &mut out);
                prop_assert_eq!(&out, &want, "{} shuffle", k.name);
                let mut out = vec![0u8; len];
                k.shuffle_cold(s, &src, &mut out);
                prop_assert_eq!(&out, &want, "{} shuffle_cold", k.name);
                let mut back = vec![0u8; len];
                k.unshuffle(s, &src, &mut back);
                prop_assert_eq!(&back, &back_want, "{} unshuffle", k.name);
                let n = len.checked_div(s).unwrap_or(0);
                if s > 1 && n > 0 {
                    let mut back = vec![0u8; len];
                    (k.untranspose_streaming)(s, n, &src, &mut back, n);
                    back[n * s..].copy_from_slice(&src[n * s..]);
                    prop_assert_eq!(&back, &back_want, "{} streaming unshuffle", k.name);
                }
            }
        }
    }
}
