//! BITSHUFFLE (filter id 2): bit transposition, `shared/spec/filters.md` 3.
//!
//! With `n8` the number of whole groups of eight elements times eight, the first `n8 * s`
//! output bytes are `8*s` bit rows of `n8 / 8` bytes: row `8*j + b` holds bit `b` of byte `j`
//! of every element, packed LSB-first. The remaining bytes are copied unchanged.
//!
//! The block is processed in tiles of elements that fit in the L1 cache: a tile is byte
//! transposed into planes with the SHUFFLE kernels (`shuffle::Kernels::transpose`), then each
//! plane is turned into its eight bit rows (`Kernels::plane_to_rows`, a `movemask` loop on
//! x86). The backward direction gathers the rows of a plane with the byte transpose and undoes
//! the 8x8 bit transposes (`Kernels::rows_to_plane`), then byte-untransposes the tile.
//!
//! Version-2 (Blosc1) chunks have an extra rule (`filters.md` 3.3) applied by the pipeline,
//! not here.
//!
//! ```
//! use blosc2_core::filter::bitshuffle;
//!
//! let src: Vec<u8> = (1..=8u8).collect();
//! let mut dst = [0u8; 8];
//! bitshuffle::bitshuffle(1, &src, &mut dst);
//! assert_eq!(dst[0], 0x55); // bit 0 of 1, 2, ..., 8
//! ```

use super::shuffle::{self, TransposeFn};

#[cfg(target_arch = "aarch64")]
mod neon;
pub mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86;

/// Writes the eight bit rows of a plane (arguments `(plane, rows, rowlen, col0)`): bit `t` of
/// `rows[b*rowlen + col0 + g]` is bit `b` of `plane[8*g + t]`. `plane` may be clobbered.
pub type PlaneToRowsFn = fn(&mut [u8], &mut [u8], usize, usize);

/// Rebuilds a plane from its eight bit rows (arguments `(rows, rowlen, col0, plane)`).
pub type RowsToPlaneFn = fn(&[u8], usize, usize, &mut [u8]);

/// One implementation (instruction set) of BITSHUFFLE.
///
/// The functions check their slice bounds and panic if the buffers are too short.
#[derive(Debug, Clone, Copy)]
pub struct Kernels {
    /// Instruction set name (`"scalar"`, `"sse2"`, `"avx2"`, `"neon"`).
    pub name: &'static str,
    /// The byte transposes used for the element <-> plane step.
    pub bytes: &'static shuffle::Kernels,
    /// Plane to bit rows.
    pub plane_to_rows: PlaneToRowsFn,
    /// Bit rows to plane.
    pub rows_to_plane: RowsToPlaneFn,
}

/// Size of the on-stack tile buffer.
const BUF: usize = 32 * 1024;

/// Elements per tile for element size `s`: a multiple of 64 keeping `s * tile` near 16 KiB
/// (so that the planes and the staged rows of a tile fit in [`BUF`] when `s <= 255`), or all
/// `n8` elements when fewer.
fn tile_elems(s: usize, n8: usize) -> usize {
    ((16 * 1024 / s) & !63).max(64).min(n8)
}

/// Runs `f` with a zeroed tile buffer of at least `need` bytes: on the stack when it fits,
/// with a small buffer for small blocks so that short calls do not clear 32 KiB.
fn with_buf<R>(need: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    if need <= 4096 {
        f(&mut [0u8; 4096])
    } else if need <= BUF {
        f(&mut [0u8; BUF])
    } else {
        f(&mut vec![0u8; need])
    }
}

/// How a block of `s`-byte elements is bit-transposed: its first `n8` elements (whole
/// groups of eight, `body = n8 * s` bytes) become `8 * s` rows of `rowlen` bytes, `tile`
/// elements at a time.
struct Layout {
    n8: usize,
    body: usize,
    rowlen: usize,
    tile: usize,
}

impl Layout {
    /// The layout of `src` (for `dst`, as long); the bytes after the body copied to `dst`,
    /// or all of `src` and `None` when there is no whole group of eight elements.
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()` (the message starts with `what`).
    fn prepare(what: &str, s: usize, src: &[u8], dst: &mut [u8]) -> Option<Layout> {
        assert_eq!(src.len(), dst.len(), "{what}: source and destination differ in length");
        let n = src.len().checked_div(s).unwrap_or(0);
        let n8 = n & !7;
        if n8 == 0 {
            dst.copy_from_slice(src);
            return None;
        }
        let body = n8 * s;
        dst[body..].copy_from_slice(&src[body..]);
        Some(Layout { n8, body, rowlen: n8 / 8, tile: tile_elems(s, n8) })
    }

    /// Runs `f(i0, planes, rows)` for each tile of elements `i0..i0 + t`, `planes` and `rows`
    /// two work areas of `s * t` bytes.
    fn for_each_tile(&self, s: usize, mut f: impl FnMut(usize, &mut [u8], &mut [u8])) {
        with_buf(2 * s * self.tile, |buf| {
            let (pbuf, rbuf) = buf.split_at_mut(s * self.tile);
            let mut i0 = 0;
            while i0 < self.n8 {
                let t = self.tile.min(self.n8 - i0);
                f(i0, &mut pbuf[..s * t], &mut rbuf[..s * t]);
                i0 += t;
            }
        });
    }

    /// Where the bit rows of the tile of `t` elements from `i0` lie in the whole block: the
    /// run of `t / 8` bytes of each of the `8 * s` rows, in row order.
    fn row_runs(&self, s: usize, i0: usize, t: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
        let rowlen = self.rowlen;
        (0..8 * s).map(move |r| {
            let at = r * rowlen + i0 / 8;
            at..at + t / 8
        })
    }
}

/// Byte transpose (with `transpose`) of `t = elems.len() / s` elements into `s` planes of
/// `t` bytes.
fn elems_to_planes(transpose: TransposeFn, s: usize, elems: &[u8], planes: &mut [u8]) {
    if s == 1 {
        planes.copy_from_slice(elems);
    } else {
        let t = elems.len() / s;
        transpose(s, t, elems, planes, t);
    }
}

impl Kernels {
    /// Forward BITSHUFFLE with these kernels (see [`bitshuffle`]).
    ///
    /// When the block takes several tiles, the bit rows of a tile are first written to a
    /// staging area and then copied to their rows as whole runs: writing 2 or 4 bytes at a
    /// time to `8 * s` rows that are a power of two apart thrashes the L1 cache.
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn bitshuffle(&self, s: usize, src: &[u8], dst: &mut [u8]) {
        self.bitshuffle_with(s, src, dst, self.bytes.transpose);
    }

    /// [`Kernels::bitshuffle`] for a source read from memory rather than the cache (its
    /// byte step fetches the source ahead, see `shuffle::Kernels::transpose_cold`); the
    /// output is the same.
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn bitshuffle_cold(&self, s: usize, src: &[u8], dst: &mut [u8]) {
        self.bitshuffle_with(s, src, dst, self.bytes.transpose_cold);
    }

    fn bitshuffle_with(&self, s: usize, src: &[u8], dst: &mut [u8], transpose: TransposeFn) {
        let Some(layout) = Layout::prepare("bitshuffle", s, src, dst) else {
            return;
        };
        let Layout { n8, body, tile, .. } = layout;
        if tile == n8 {
            // One tile: the rows are contiguous in dst.
            with_buf(body, |buf| {
                let planes = &mut buf[..body];
                elems_to_planes(transpose, s, &src[..body], planes);
                self.planes_to_rows(planes, &mut dst[..body], n8);
            });
            return;
        }
        layout.for_each_tile(s, |i0, planes, rows| {
            let t = planes.len() / s;
            elems_to_planes(transpose, s, &src[i0 * s..(i0 + t) * s], planes);
            self.planes_to_rows(planes, rows, t);
            for (seg, run) in rows.chunks_exact(t / 8).zip(layout.row_runs(s, i0, t)) {
                dst[run].copy_from_slice(seg);
            }
        });
    }

    /// Bit rows (`t / 8` bytes each, contiguous) of planes of `t` bytes.
    fn planes_to_rows(&self, planes: &mut [u8], rows: &mut [u8], t: usize) {
        for (plane, rows) in planes.chunks_exact_mut(t).zip(rows.chunks_exact_mut(t)) {
            (self.plane_to_rows)(plane, rows, t / 8, 0);
        }
    }

    /// Planes of `t` bytes from bit rows (`t / 8` bytes each, contiguous).
    fn rows_to_planes(&self, rows: &[u8], planes: &mut [u8], t: usize) {
        for (rows, plane) in rows.chunks_exact(t).zip(planes.chunks_exact_mut(t)) {
            (self.rows_to_plane)(rows, t / 8, 0, plane);
        }
    }

    /// Backward BITSHUFFLE with these kernels (see [`bitunshuffle`]).
    ///
    /// Like the forward direction, a block of several tiles gathers the row runs of a tile
    /// into a staging area first.
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn bitunshuffle(&self, s: usize, src: &[u8], dst: &mut [u8]) {
        self.bitunshuffle_with(s, src, dst, self.bytes.untranspose);
    }

    /// [`Kernels::bitunshuffle`] writing the elements with the byte kernels' streaming
    /// stores (see [`crate::streaming`]); single-byte elements are written as usual.
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn bitunshuffle_streaming(&self, s: usize, src: &[u8], dst: &mut [u8]) {
        self.bitunshuffle_with(s, src, dst, self.bytes.untranspose_streaming);
    }

    /// The backward direction, with `untranspose` as the last (byte) step.
    fn bitunshuffle_with(&self, s: usize, src: &[u8], dst: &mut [u8], untranspose: TransposeFn) {
        let Some(layout) = Layout::prepare("bitunshuffle", s, src, dst) else {
            return;
        };
        let Layout { n8, body, tile, .. } = layout;
        if tile == n8 {
            if s == 1 {
                self.rows_to_planes(&src[..n8], &mut dst[..n8], n8);
                return;
            }
            with_buf(body, |buf| {
                let planes = &mut buf[..body];
                self.rows_to_planes(&src[..body], planes, n8);
                untranspose(s, n8, planes, &mut dst[..body], n8);
            });
            return;
        }
        layout.for_each_tile(s, |i0, planes, rows| {
            let t = planes.len() / s;
            for (seg, run) in rows.chunks_exact_mut(t / 8).zip(layout.row_runs(s, i0, t)) {
                seg.copy_from_slice(&src[run]);
            }
            let out = &mut dst[i0 * s..(i0 + t) * s];
            if s == 1 {
                self.rows_to_planes(rows, out, t);
            } else {
                self.rows_to_planes(rows, planes, t);
                untranspose(s, t, planes, out, t);
            }
        });
    }
}

crate::cpu::isa_dispatch! {
    Kernels {
        scalar: &scalar::KERNELS,
        x86_64: [&x86::SSE2, &x86::AVX2],
        aarch64: [&neon::NEON],
    }

    /// Forward BITSHUFFLE (`shared/spec/filters.md` 3) of a block of `s`-byte elements.
    /// Blocks with fewer than 8 elements (and `s == 0`) are copied.
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn bitshuffle;

    /// Backward BITSHUFFLE (`shared/spec/filters.md` 3), the inverse of [`bitshuffle`].
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn bitunshuffle;

    /// [`bitshuffle`] for a source read from memory rather than the cache (see
    /// [`Kernels::bitshuffle_cold`]). Same output.
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn bitshuffle_cold;

    /// [`bitunshuffle`] with streaming stores, for large outputs not read back soon.
    ///
    /// # Panics
    ///
    /// If `src.len() != dst.len()`.
    pub fn bitunshuffle_streaming;
}

#[cfg(test)]
mod tests {
    use super::*;
    use blosc2_testkit::data::{Rand, XorShift64};
    use proptest::prelude::*;

    fn data(len: usize, seed: u64) -> Vec<u8> {
        let mut rng = XorShift64::new(seed);
        (0..len).map(|_| (rng.next_u64() >> 24) as u8).collect()
    }

    /// The mapping of `filters.md` 3.1, bit by bit.
    fn naive(s: usize, src: &[u8]) -> Vec<u8> {
        let n8 = (src.len() / s) & !7;
        let rowlen = n8 / 8;
        let mut out = src.to_vec();
        out[..n8 * s].fill(0);
        for i in 0..n8 {
            for j in 0..s {
                for b in 0..8 {
                    if src[i * s + j] >> b & 1 == 1 {
                        out[(8 * j + b) * rowlen + i / 8] |= 1 << (i % 8);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn spec_example_ts2_21_bytes() {
        let src = [
            0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00, 0x07, 0x00, 0x08, 0x00, 0x02, 0x01,
            0xcd, 0xab, 0xee,
        ];
        let want = [0x55, 0x66, 0x78, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x01, 0xcd, 0xab, 0xee];
        for k in available() {
            let mut out = [0u8; 21];
            k.bitshuffle(2, &src, &mut out);
            assert_eq!(out, want, "{}", k.name);
            let mut back = [0u8; 21];
            k.bitunshuffle(2, &out, &mut back);
            assert_eq!(back, src, "{}", k.name);
        }
    }

    #[test]
    fn matches_naive_mapping() {
        for s in [1usize, 2, 3, 4, 5, 8, 12, 16, 17, 32, 64, 200, 255, 300, 1000] {
            for len in [0usize, 7 * s, 8 * s, 8 * s + 3, 64 * s + 5, 1000 * s + 9, 3000] {
                let src = data(len, (s * 31 + len) as u64);
                let want = naive(s, &src);
                for k in available() {
                    let mut out = vec![0u8; len];
                    k.bitshuffle(s, &src, &mut out);
                    assert_eq!(out, want, "{} s={s} len={len}", k.name);
                    let mut back = vec![0u8; len];
                    k.bitunshuffle(s, &out, &mut back);
                    assert_eq!(back, src, "{} s={s} len={len}", k.name);
                }
            }
        }
    }

    #[test]
    fn cold_bitshuffle_equals_scalar_over_many_segments() {
        // Long enough for several prefetched segments of the byte step and a tail, at odd
        // offsets.
        for s in [2usize, 3, 4, 8, 16, 24, 200] {
            for len in [40_000usize, 65_536 + 13] {
                let src = data(len + 3, (s * 7 + len) as u64);
                let src = &src[3..];
                let mut want = vec![0u8; len];
                scalar::bitshuffle(s, src, &mut want);
                for k in available() {
                    let mut out = vec![0u8; len];
                    k.bitshuffle_cold(s, src, &mut out);
                    assert!(out == want, "{} s={s} len={len}", k.name);
                }
                let mut out = vec![0u8; len];
                bitshuffle_cold(s, src, &mut out);
                assert!(out == want, "bitshuffle_cold s={s} len={len}");
            }
        }
    }

    #[test]
    fn multi_tile_blocks() {
        // Several tiles per block, with a short last tile.
        for s in [1usize, 2, 4, 8, 16, 130] {
            let len = 70_000 + 13;
            let src = data(len, s as u64);
            let want = naive(s, &src);
            for k in available() {
                let mut out = vec![0u8; len];
                k.bitshuffle(s, &src, &mut out);
                assert!(out == want, "{} s={s}", k.name);
                let mut back = vec![0u8; len];
                k.bitunshuffle(s, &out, &mut back);
                assert!(back == src, "{} s={s}", k.name);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn simd_equals_scalar(
            s in prop_oneof![1usize..=32, Just(64usize), Just(255usize), 33usize..=255],
            len in 0usize..6000,
            seed in any::<u64>(),
        ) {
            let src = data(len, seed);
            let mut want = vec![0u8; len];
            scalar::bitshuffle(s, &src, &mut want);
            let mut back_want = vec![0u8; len];
            scalar::bitunshuffle(s, &src, &mut back_want);
            for k in available() {
                let mut out = vec![0u8; len];
                k.bitshuffle(s, &src, &mut out);
                prop_assert_eq!(&out, &want, "{} bitshuffle", k.name);
                let mut out = vec![0u8; len];
                k.bitshuffle_cold(s, &src, &mut out);
                prop_assert_eq!(&out, &want, "{} bitshuffle_cold", k.name);
                let mut back = vec![0u8; len];
                k.bitunshuffle(s, &src, &mut back);
                prop_assert_eq!(&back, &back_want, "{} bitunshuffle", k.name);
                let mut back = vec![0u8; len];
                k.bitunshuffle_streaming(s, &src, &mut back);
                prop_assert_eq!(&back, &back_want, "{} streaming bitunshuffle", k.name);
            }
        }
    }
}
