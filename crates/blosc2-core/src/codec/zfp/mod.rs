//! The ZFP plugin codecs of C-Blosc2 (`plugins/codecs/zfp/blosc2-zfp.c`): lossy compression
//! of float32 / float64 blocks of b2nd arrays with 1 to 4 dimensions
//! (`shared/spec/chunk.md` 2.3: codec ids 33-35, format 6).
//!
//! | codec | id | `compcode_meta` | zfp mode |
//! |---|---|---|---|
//! | `ZFP_ACC` | 33 | signed byte `m`: tolerance `10^m` | fixed accuracy, `minexp = floor(log2(10^m))` |
//! | `ZFP_PREC` | 34 | `m`: precision `m + 2*ndim + 3`, at most 64 bit planes | fixed precision |
//! | `ZFP_RATE` | 35 | `m`: percent of the value's bits | fixed rate, `floor(4^ndim * m/100 * 8*typesize + 0.5)` bits per cell (at least 9 for float32, 12 for float64) |
//!
//! One block is one zfp stream (C-Blosc2 never splits these codecs' blocks into byte
//! streams), without a zfp header: the block's shape comes from the b2nd metalayer
//! (`blockshape`, C order, so zfp's x axis is the last one) and the value type from the
//! typesize (4: `float`, 8: `double`; others are refused). The stream is zfp's bit stream
//! flushed to a 64-bit word, so its size is a multiple of 8.
//!
//! What C-Blosc2 3.3.5 does, and these functions with it:
//!
//! * Compression refuses (an error, which makes the chunk's compression fail) an ndim outside
//!   1-4, a typesize other than 4 or 8 and a block dimension under 4. It gives 0 (the caller
//!   then stores the block raw) when the input is not one whole block (a leftover block, or a
//!   block split into streams) and when the stream would not be smaller than the input. We
//!   also give 0 when the stream does not fit `dst` (C writes it regardless).
//! * Decompression refuses an ndim outside 1-4, a zero block dimension, a typesize other than
//!   4 or 8 and a block larger than the output. C reads past a truncated stream; we stop with
//!   an error when the stream ends before the block's last cell.
//!
//! # Implementation: zfp 1.0.1 in Rust
//!
//! C-Blosc2 3.3.x builds zfp 1.0.1 (`BLOSC_ZFP_VERSION` in its CMakeLists; python-blosc2
//! 4.14.1's library reports "zfp version 1.0.1") with zfp's defaults. This module is a port
//! of the part of zfp 1.0.1 those codecs use: the lossy float/double block codec in 1-4
//! dimensions with partial cells, and its bit stream ([`bitstream`], [`block`]). It writes the
//! same bytes as zfp and decodes to the same values (the golden chunks of `testdata/zfp/`
//! check both, stream by stream). Chosen over the alternatives because:
//!
//! * the crates binding zfp (`zfp-sys` 0.4: zfp 1.0.1 built with cmake; `zfp-sys-cc` 0.2:
//!   zfp 1.0.0 built with `cc`) both generate their bindings with bindgen at build time, so
//!   every build would need libclang, and `zfp-sys` cmake too; Debian's `libzfp` would have
//!   to be installed on every machine;
//! * zfp's C reader has no bounds checks (it reads past a truncated stream), so an FFI
//!   binding would have to copy each stream into a padded buffer, and would bring `unsafe`
//!   into the codec path; this port checks every read and needs none;
//! * the codec is small (a few hundred lines) and integer-exact: floats only meet it through
//!   power-of-two scalings and conversions, which Rust rounds as C does.
//!
//! Non-finite inputs, and cells whose values are all subnormal, make zfp convert
//! out-of-range floats to integers (undefined in C); this port gives the integer minimum, as
//! the x86-64 builds of C-Blosc2 do, so its streams match those builds' there too.

mod bitstream;
mod block;
mod perm;

use crate::error::{Error, Result};
use block::{Extents, Params, MAX_BITS, MAX_PREC, MIN_BITS, MIN_EXP};

/// The three ZFP codecs of C-Blosc2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZfpMode {
    /// Fixed accuracy: absolute error at most `10^meta`, `meta` a signed byte (C:
    /// `BLOSC_CODEC_ZFP_FIXED_ACCURACY`, 33).
    Accuracy,
    /// Fixed precision: `meta + 2*ndim + 3` bit planes per cell, at most 64 (C:
    /// `BLOSC_CODEC_ZFP_FIXED_PRECISION`, 34).
    Precision,
    /// Fixed rate: `meta` percent of the input's bits (C: `BLOSC_CODEC_ZFP_FIXED_RATE`, 35).
    Rate,
}

impl ZfpMode {
    /// The mode of a codec id (33, 34, 35), `None` for other ids.
    pub fn from_codec_id(id: u8) -> Option<ZfpMode> {
        match id {
            33 => Some(ZfpMode::Accuracy),
            34 => Some(ZfpMode::Precision),
            35 => Some(ZfpMode::Rate),
            _ => None,
        }
    }

    /// The codec id stored in a chunk header's `udcodec` byte.
    pub fn codec_id(self) -> u8 {
        match self {
            ZfpMode::Accuracy => 33,
            ZfpMode::Precision => 34,
            ZfpMode::Rate => 35,
        }
    }

    /// The codec's name as python-blosc2 spells it, lower case.
    pub fn name(self) -> &'static str {
        match self {
            ZfpMode::Accuracy => "zfp_acc",
            ZfpMode::Precision => "zfp_prec",
            ZfpMode::Rate => "zfp_rate",
        }
    }

    /// zfp's stream parameters for `meta`, a field of `ndim` dimensions and values of
    /// `typesize` bytes (C: `zfp_stream_set_accuracy` / `_precision` / `_rate`).
    fn params(self, meta: u8, typesize: usize, ndim: usize) -> Params {
        match self {
            ZfpMode::Accuracy => {
                // C: tolerance = pow(10, (int8_t)meta); frexp(tolerance, &e); minexp = e - 1.
                // 10^m is a normal double for every signed byte m.
                let tolerance = 10f64.powf(f64::from(meta as i8));
                let biased = ((tolerance.to_bits() >> 52) & 0x7ff) as i32;
                Params { minbits: MIN_BITS, maxbits: MAX_BITS, maxprec: MAX_PREC, minexp: biased - 1023 }
            }
            ZfpMode::Precision => {
                let prec = (u32::from(meta) + 2 * ndim as u32 + 3).min(MAX_PREC);
                Params { minbits: MIN_BITS, maxbits: MAX_BITS, maxprec: prec, minexp: MIN_EXP }
            }
            ZfpMode::Rate => {
                // C: rate = meta / 100.0 * typesize * 8; bits = floor(4^ndim * rate + 0.5).
                let rate = f64::from(meta) / 100.0 * typesize as f64 * 8.0;
                let cell = (1u32 << (2 * ndim)) as f64;
                let bits = (cell * rate + 0.5).floor() as u32;
                let bits = bits.max(if typesize == 4 { 1 + 8 } else { 1 + 11 });
                Params { minbits: bits, maxbits: bits, maxprec: MAX_PREC, minexp: MIN_EXP }
            }
        }
    }
}

/// Checks the typesize and the number of dimensions, and returns zfp's extents of the block
/// and its size in bytes.
fn geometry(typesize: usize, blockshape: &[usize]) -> Result<(Extents, usize)> {
    if typesize != 4 && typesize != 8 {
        return Err(Error::InvalidParam {
            name: "typesize",
            value: typesize as i64,
            reason: "ZFP codecs take float32 (4) or float64 (8) values",
        });
    }
    let ndim = blockshape.len();
    if !(1..=4).contains(&ndim) {
        return Err(Error::InvalidParam {
            name: "ndim",
            value: ndim as i64,
            reason: "ZFP codecs take blocks of 1 to 4 dimensions",
        });
    }
    let mut n = [1usize; 4];
    let mut nbytes = typesize;
    for (k, &d) in blockshape.iter().rev().enumerate() {
        if d == 0 {
            return Err(Error::InvalidParam { name: "blockshape", value: 0, reason: "a block dimension is zero" });
        }
        n[k] = d;
        nbytes = nbytes.checked_mul(d).ok_or(Error::InvalidParam {
            name: "blockshape",
            value: d as i64,
            reason: "the block's size overflows",
        })?;
    }
    Ok((Extents { dims: ndim, n }, nbytes))
}

/// Compresses one block of a b2nd array, `src` holding its `blockshape` values (C order,
/// little-endian float32 or float64 by `typesize`), into `dst`. Returns the stream's size,
/// or 0 when `src` is not exactly one block or the stream would not be smaller than `src` or
/// would not fit `dst` (the caller then stores the block raw, as C-Blosc2 does).
///
/// # Errors
/// [`Error::InvalidParam`] for a typesize other than 4 or 8, a `blockshape` of other than 1
/// to 4 dimensions or with a dimension under 4 (C-Blosc2 refuses those too).
pub fn compress(
    mode: ZfpMode,
    meta: u8,
    typesize: usize,
    blockshape: &[usize],
    src: &[u8],
    dst: &mut [u8],
) -> Result<usize> {
    let (ext, nbytes) = geometry(typesize, blockshape)?;
    if let Some(&d) = blockshape.iter().find(|&&d| d < 4) {
        return Err(Error::InvalidParam {
            name: "blockshape",
            value: d as i64,
            reason: "ZFP codecs need block dimensions of at least 4 (one zfp cell)",
        });
    }
    if src.len() != nbytes {
        return Ok(0);
    }
    // The stream must be smaller than the input: at most len - 1 bytes, in whole words.
    let room = dst.len().min(src.len() - 1);
    let params = mode.params(meta, typesize, ext.dims);
    let mut w = bitstream::Writer::new(&mut dst[..room]);
    let fits = if typesize == 4 {
        block::float::compress(&mut w, &params, &ext, src)
    } else {
        block::double::compress(&mut w, &params, &ext, src)
    };
    if !fits {
        return Ok(0);
    }
    w.flush();
    if w.overflowed() {
        return Ok(0);
    }
    Ok(w.size())
}

/// Decompresses one block's zfp stream `src` into the first `blockshape` values of `dst`
/// (C order, little-endian float32 or float64 by `typesize`). Returns the bytes written,
/// `prod(blockshape) * typesize` (C-Blosc2 returns the whole output's size, which is the same
/// for b2nd chunks). Bytes of `src` after the last cell's bits are ignored, as in C.
///
/// # Errors
/// [`Error::InvalidParam`] for a typesize other than 4 or 8, or a `blockshape` of other than
/// 1 to 4 dimensions or with a zero dimension; [`Error::DestinationTooSmall`] when the block
/// does not fit `dst`; [`Error::CorruptStream`] when `src` ends before the last cell.
pub fn decompress(
    mode: ZfpMode,
    meta: u8,
    typesize: usize,
    blockshape: &[usize],
    src: &[u8],
    dst: &mut [u8],
) -> Result<usize> {
    let (ext, nbytes) = geometry(typesize, blockshape)?;
    if nbytes > dst.len() {
        return Err(Error::DestinationTooSmall { needed: nbytes, available: dst.len() });
    }
    // Every cell takes at least one bit: a stream too short for that is cut, whatever it holds.
    let cells: usize = ext.n.iter().map(|&d| d.div_ceil(4)).product();
    if (src.len() / 8).saturating_mul(64) < cells {
        return Err(Error::CorruptStream {
            codec: mode.name(),
            reason: format!("{} bytes cannot hold the {cells} cells of a {blockshape:?} block", src.len()),
        });
    }
    let params = mode.params(meta, typesize, ext.dims);
    let mut r = bitstream::Reader::new(src);
    let dst = &mut dst[..nbytes];
    let complete = if typesize == 4 {
        block::float::decompress(&mut r, &params, &ext, dst)
    } else {
        block::double::decompress(&mut r, &params, &ext, dst)
    };
    if !complete {
        return Err(Error::CorruptStream {
            codec: mode.name(),
            reason: format!("the {}-byte stream ends before the last cell of a {blockshape:?} block", src.len()),
        });
    }
    Ok(nbytes)
}

#[cfg(test)]
mod tests {
    use super::{block, compress, decompress, ZfpMode};
    use proptest::prelude::*;

    const MODES: [ZfpMode; 3] = [ZfpMode::Accuracy, ZfpMode::Precision, ZfpMode::Rate];

    /// A smooth field with some noise, `scale` times, as little-endian bytes of `typesize`.
    fn field(shape: &[usize], typesize: usize, scale: f64, seed: u64) -> Vec<u8> {
        let n: usize = shape.iter().product();
        (0..n)
            .flat_map(|i| {
                let noise = (i as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                let v = ((i as f64) * 0.05).sin() * scale + noise as f64 * scale * 1e-9;
                if typesize == 4 {
                    (v as f32).to_le_bytes().to_vec()
                } else {
                    v.to_le_bytes().to_vec()
                }
            })
            .collect()
    }

    fn value(b: &[u8], typesize: usize, i: usize) -> f64 {
        let b = &b[i * typesize..(i + 1) * typesize];
        if typesize == 4 {
            f64::from(f32::from_le_bytes(b.try_into().unwrap()))
        } else {
            f64::from_le_bytes(b.try_into().unwrap())
        }
    }

    fn shape_strategy(min: usize) -> impl Strategy<Value = Vec<usize>> {
        (1usize..=4).prop_flat_map(move |ndim| {
            let max = [40, 12, 8, 6][ndim - 1];
            proptest::collection::vec(min..=max, ndim)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// zfp's fixed-accuracy promise: every value comes back within the tolerance (one
        /// the values' precision can meet: at least 10^-5 of their magnitude).
        #[test]
        fn accuracy_mode_keeps_its_tolerance(
            shape in shape_strategy(4), f64_values: bool, meta in -12i8..=2, k in 0i32..=4,
            mantissa in 1f64..10.0, seed: u64,
        ) {
            let typesize = if f64_values { 8 } else { 4 };
            let scale = mantissa * 10f64.powi(i32::from(meta) + k);
            let src = field(&shape, typesize, scale, seed);
            let mut comp = vec![0u8; src.len()];
            let n = compress(ZfpMode::Accuracy, meta as u8, typesize, &shape, &src, &mut comp).unwrap();
            prop_assume!(n > 0);
            prop_assert_eq!(n % 8, 0);
            let mut out = vec![0u8; src.len()];
            prop_assert_eq!(decompress(ZfpMode::Accuracy, meta as u8, typesize, &shape, &comp[..n], &mut out), Ok(src.len()));
            let tolerance = 10f64.powi(i32::from(meta));
            for i in 0..src.len() / typesize {
                let (a, b) = (value(&src, typesize, i), value(&out, typesize, i));
                prop_assert!((a - b).abs() <= tolerance, "value {}: {} -> {} (tolerance {})", i, a, b, tolerance);
            }
        }

        /// A fixed-rate stream holds exactly its cells' bits, rounded up to a 64-bit word.
        #[test]
        fn rate_mode_streams_have_a_fixed_size(shape in shape_strategy(4), f64_values: bool, meta in 0u8..=60) {
            let typesize = if f64_values { 8 } else { 4 };
            let src = field(&shape, typesize, 1.0, 7);
            let mut comp = vec![0u8; src.len()];
            let n = compress(ZfpMode::Rate, meta, typesize, &shape, &src, &mut comp).unwrap();
            let bits = ZfpMode::Rate.params(meta, typesize, shape.len()).maxbits as usize;
            let cells: usize = shape.iter().map(|d| d.div_ceil(4)).product();
            let size = (cells * bits).div_ceil(64) * 8;
            prop_assert_eq!(n, if size < src.len() { size } else { 0 });
        }

        /// Any bytes, under any parameters, decode to the block's size or give an error.
        #[test]
        fn any_stream_decodes_or_fails_cleanly(
            shape in shape_strategy(1), f64_values: bool, mode in 0usize..3, meta: u8,
            stream in proptest::collection::vec(any::<u8>(), 0..700),
        ) {
            let typesize = if f64_values { 8 } else { 4 };
            let nbytes = shape.iter().product::<usize>() * typesize;
            let mut out = vec![0u8; nbytes];
            if let Ok(n) = decompress(MODES[mode], meta, typesize, &shape, &stream, &mut out) {
                prop_assert_eq!(n, nbytes);
            }
        }
    }

    #[test]
    fn parameters_follow_the_c_plugin() {
        // 10^-10 lies in [2^-34, 2^-33); 10^0 = 2^0; 10^2 in [2^6, 2^7).
        for (meta, minexp) in [(-10i8, -34), (0, 0), (2, 6), (-128, -426), (127, 421)] {
            assert_eq!(ZfpMode::Accuracy.params(meta as u8, 4, 3).minexp, minexp, "meta {meta}");
        }
        assert_eq!(ZfpMode::Precision.params(20, 4, 1).maxprec, 25);
        assert_eq!(ZfpMode::Precision.params(20, 8, 4).maxprec, 31);
        assert_eq!(ZfpMode::Precision.params(255, 8, 4).maxprec, 64);
        // 37% of 32 bits = 11.84 bits per value: 16 values -> 189.44 -> 189 bits.
        let p = ZfpMode::Rate.params(37, 4, 2);
        assert_eq!((p.minbits, p.maxbits, p.maxprec), (189, 189, block::MAX_PREC));
        assert_eq!(ZfpMode::Rate.params(0, 4, 1).maxbits, 9);
        assert_eq!(ZfpMode::Rate.params(0, 8, 1).maxbits, 12);
    }
}
