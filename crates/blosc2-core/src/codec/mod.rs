//! Codecs: identifiers and the per-stream compress/decompress calls with the level mapping
//! of C-Blosc2 (`shared/spec/chunk.md` 2.3 and 9.4).
//!
//! BloscLZ is implemented here ([`blosclz`]); LZ4 comes from liblz4, LZ4HC is our own
//! encoder ([`lz4hc`]), byte-identical to liblz4 1.10's at clevels 1-9 (liblz4 still
//! decodes both); Zlib comes from zlib-rs and Zstd from libzstd. A [`CodecContext`] keeps
//! the per-thread state those codecs want (compression contexts, the LZ4HC tables,
//! dictionaries) so a chunk's streams reuse it.
//!
//! With the `zlib-ng` feature (zlib-ng 2.3, the version C-Blosc2 bundles, built with cmake),
//! Zlib streams that compress [`ZLIB_NG_MIN_RATIO`] times or more are inflated by zlib-ng,
//! whose copies of long matches are faster; the others stay with zlib-rs, which decodes
//! literal-heavy streams faster. Both produce the same bytes; compression is zlib-rs's.

pub mod blosclz;
pub mod lz4hc;
pub mod ndlz;
pub mod zfp;

use std::fmt;

pub use crate::codec_id::CodecId;
use crate::error::{Error, Result};
use crate::geometry::NdGeometry;

/// The header format of codecs identified by header byte 22 instead (C:
/// `BLOSC_UDCODEC_FORMAT`).
pub const UDCODEC_FORMAT: u8 = 6;

/// What compressing or decoding the streams of one chunk needs to know about its codec:
/// the header fields, and the array geometry for the codecs that work on n-dimensional
/// blocks. Built-in codecs use only `codec` and `clevel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecParams<'a> {
    /// The codec (header byte 22 for plugin codecs).
    pub codec: CodecId,
    /// Compression level 1-9 (compression only).
    pub clevel: u8,
    /// The codec's parameter byte (header byte 23, C: `compcode_meta`).
    pub meta: u8,
    /// The header typesize.
    pub typesize: usize,
    /// The b2nd geometry of the array the chunk belongs to (NDLZ compression; ZFP).
    pub geometry: Option<&'a NdGeometry>,
}

impl CodecParams<'_> {
    /// Parameters for a built-in codec at `clevel`.
    pub fn builtin(codec: CodecId, clevel: u8) -> CodecParams<'static> {
        CodecParams { codec, clevel, meta: 0, typesize: 1, geometry: None }
    }
}

impl CodecId {
    /// The 3-bit format stored in the header flags (LZ4 and LZ4HC share format 1; plugin
    /// codecs are format 6, C's `BLOSC_UDCODEC_FORMAT`, with their id in header byte 22).
    ///
    /// # Errors
    /// [`Error::UnsupportedCodec`] for ids this crate does not know.
    pub fn format(self) -> Result<u8> {
        Ok(match self {
            Self::BLOSCLZ => 0,
            Self::LZ4 | Self::LZ4HC => 1,
            Self::ZLIB => 3,
            Self::ZSTD => 4,
            Self::NDLZ | Self::ZFP_ACC | Self::ZFP_PREC | Self::ZFP_RATE => UDCODEC_FORMAT,
            _ => return Err(Error::UnsupportedCodec(self.0)),
        })
    }

    fn label(self) -> &'static str {
        self.name().unwrap_or("unknown")
    }
}

/// The zstd level C-Blosc2 uses for a Blosc clevel (1-9).
pub fn zstd_level(clevel: u8) -> i32 {
    match clevel {
        0..=7 => 2 * i32::from(clevel) - 1,
        8 => 20, // C: ZSTD_maxCLevel() - 2
        _ => 22, // C: ZSTD_maxCLevel()
    }
}

/// With the `zlib-ng` feature, zlib streams at least this many times smaller than their
/// output are inflated by zlib-ng (long matches), the others by zlib-rs (literals). Measured on
/// the benchmark data sets: at ratios of 26 and more zlib-ng is 1.0-2.0x zlib-rs, below 9
/// (noisy floats) 0.86-0.95x.
#[cfg(feature = "zlib-ng")]
pub const ZLIB_NG_MIN_RATIO: usize = 16;

/// Per-thread codec state: compression/decompression contexts and an optional dictionary.
#[derive(Default)]
pub struct CodecContext {
    zstd_c: Option<(i32, zstd::bulk::Compressor<'static>)>,
    zstd_d: Option<zstd::bulk::Decompressor<'static>>,
    zlib_c: Option<(u8, zlib_rs::Deflate)>,
    zlib_d: Option<zlib_rs::Inflate>,
    #[cfg(feature = "zlib-ng")]
    zlib_ng_d: Option<flate2::Decompress>,
    lz4hc: Option<lz4hc::Encoder>,
    dict: Option<Vec<u8>>,
}

impl fmt::Debug for CodecContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodecContext").field("dict_len", &self.dict.as_ref().map(Vec::len)).finish()
    }
}

fn corrupt(codec: CodecId, reason: impl Into<String>) -> Error {
    Error::CorruptStream { codec: codec.label(), reason: reason.into() }
}

impl CodecContext {
    /// A context without dictionary.
    pub fn new() -> CodecContext {
        CodecContext::default()
    }

    /// A context whose decoder uses `dict` (for chunks with the dictionary flag).
    pub fn with_dict(dict: &[u8]) -> CodecContext {
        CodecContext { dict: Some(dict.to_vec()), ..CodecContext::default() }
    }

    /// Sets or clears the dictionary used for decoding.
    pub fn set_dict(&mut self, dict: Option<&[u8]>) {
        if self.dict.as_deref() != dict {
            self.dict = dict.map(<[u8]>::to_vec);
            self.zstd_d = None;
        }
    }

    /// Compresses one stream like C-Blosc2 does; `dst.len()` is the room allowed (`maxout`).
    /// Returns the compressed length, or 0 when the codec could not compress into `dst`
    /// (the caller then stores the stream raw).
    ///
    /// # Errors
    /// [`Error::UnsupportedCodec`] for unknown codecs; [`Error::CompressionFailed`] when a
    /// library fails for another reason than lack of room.
    pub fn compress(&mut self, codec: CodecId, clevel: u8, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        self.compress_with(&CodecParams::builtin(codec, clevel), src, dst)
    }

    /// [`CodecContext::compress`] for any codec, plugin codecs included (their parameters
    /// and geometry in `p`). Returns 0 when the stream does not fit `dst` or the codec gives
    /// up on it (the caller then stores it raw).
    ///
    /// # Errors
    /// As [`CodecContext::compress`]; for plugin codecs [`Error::MissingGeometry`] without
    /// a geometry and [`Error::InvalidCodecParams`] for parameters the codec refuses (where
    /// C-Blosc2's plugin fails too).
    pub fn compress_with(&mut self, p: &CodecParams<'_>, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let (codec, clevel) = (p.codec, p.clevel);
        if dst.is_empty() {
            return Ok(0);
        }
        match codec {
            CodecId::BLOSCLZ => Ok(blosclz::compress(clevel, src, dst)),
            // liblz4's LZ4_compress_HC output, from this crate's encoder (its tables kept
            // here from one stream to the next); 0 exactly where liblz4 gives up for room.
            CodecId::LZ4HC if lz4hc::supports(clevel) => {
                Ok(self.lz4hc.get_or_insert_with(lz4hc::Encoder::new).compress(clevel, src, dst))
            }
            CodecId::LZ4 | CodecId::LZ4HC => {
                let mode = if codec == CodecId::LZ4 {
                    lz4::block::CompressionMode::FAST(10 - i32::from(clevel))
                } else {
                    // Levels the encoder above does not have (C-Blosc2's clevels are 1-9).
                    lz4::block::CompressionMode::HIGHCOMPRESSION(i32::from(clevel))
                };
                // liblz4 returns 0 (an error here) when the output does not fit `dst`.
                Ok(lz4::block::compress_to_buffer(src, Some(mode), false, dst).unwrap_or(0))
            }
            CodecId::ZLIB => {
                use zlib_rs::{Deflate, DeflateFlush, Status};
                let z = match &mut self.zlib_c {
                    Some((level, z)) if *level == clevel => {
                        z.reset();
                        z
                    }
                    // C: compress2(level = clevel), a zlib header and a 32 KiB window.
                    slot => &mut slot.insert((clevel, Deflate::new(i32::from(clevel), true, 15))).1,
                };
                match z.compress(src, dst, DeflateFlush::Finish) {
                    Ok(Status::StreamEnd) => Ok(z.total_out() as usize),
                    Ok(_) => Ok(0),
                    Err(e) => Err(Error::CompressionFailed { codec: "zlib", reason: e.as_str().to_string() }),
                }
            }
            CodecId::ZSTD => {
                let level = zstd_level(clevel);
                let reuse = matches!(&self.zstd_c, Some((l, _)) if *l == level);
                if !reuse {
                    let c = zstd::bulk::Compressor::new(level)
                        .map_err(|e| Error::CompressionFailed { codec: "zstd", reason: e.to_string() })?;
                    self.zstd_c = Some((level, c));
                }
                let (_, c) = self.zstd_c.as_mut().expect("set above");
                // zstd reports "destination too small" as an error: store raw.
                Ok(c.compress_to_buffer(src, dst).unwrap_or(0))
            }
            CodecId::NDLZ => {
                let g = p.geometry.ok_or(Error::MissingGeometry { needed_by: "NDLZ" })?;
                ndlz::compress(p.meta, p.typesize, g, src, dst)
            }
            CodecId::ZFP_ACC | CodecId::ZFP_PREC | CodecId::ZFP_RATE => {
                let mode = zfp::ZfpMode::from_codec_id(p.codec.0).ok_or(Error::UnsupportedCodec(p.codec.0))?;
                let g = p.geometry.ok_or(Error::MissingGeometry { needed_by: mode.name() })?;
                zfp::compress(mode, p.meta, p.typesize, g.blockshape(), src, dst)
            }
            other => Err(Error::UnsupportedCodec(other.0)),
        }
    }

    /// Inflates one zlib stream into `dst`; the number of bytes it decoded.
    fn inflate(&mut self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        #[cfg(feature = "zlib-ng")]
        if dst.len() / ZLIB_NG_MIN_RATIO >= src.len() {
            use flate2::{Decompress, FlushDecompress, Status};
            let z = match &mut self.zlib_ng_d {
                Some(z) => {
                    z.reset(true);
                    z
                }
                slot => slot.insert(Decompress::new(true)),
            };
            return match z.decompress(src, dst, FlushDecompress::Finish) {
                Ok(Status::StreamEnd) => Ok(z.total_out() as usize),
                Ok(_) => Err(corrupt(CodecId::ZLIB, "stream ends early or output overflows")),
                Err(e) => Err(corrupt(CodecId::ZLIB, e.to_string())),
            };
        }
        use zlib_rs::{Inflate, InflateFlush, Status};
        let z = match &mut self.zlib_d {
            Some(z) => {
                z.reset(true);
                z
            }
            slot => slot.insert(Inflate::new(true, 15)),
        };
        match z.decompress(src, dst, InflateFlush::Finish) {
            Ok(Status::StreamEnd) => Ok(z.total_out() as usize),
            Ok(_) => Err(corrupt(CodecId::ZLIB, "stream ends early or output overflows")),
            Err(e) => Err(corrupt(CodecId::ZLIB, e.as_str())),
        }
    }

    /// Decodes one stream of format `format` (`flags >> 5`) into exactly `dst.len()` bytes.
    ///
    /// # Errors
    /// [`Error::UnsupportedCodec`] for formats without a decoder; [`Error::CorruptStream`]
    /// when the stream is invalid or decodes to another size.
    pub fn decompress(&mut self, format: u8, udcodec: u8, src: &[u8], dst: &mut [u8]) -> Result<()> {
        let p = CodecParams { codec: CodecId(udcodec), clevel: 0, meta: 0, typesize: 1, geometry: None };
        self.decompress_with(format, &p, src, dst)
    }

    /// [`CodecContext::decompress`] for any codec: plugin codecs (format 6) get their
    /// parameters and geometry from `p` (`p.codec` is header byte 22).
    ///
    /// # Errors
    /// As [`CodecContext::decompress`]; [`Error::MissingGeometry`] for a codec that needs
    /// the array geometry to decode (ZFP) when `p` has none.
    pub fn decompress_with(&mut self, format: u8, p: &CodecParams<'_>, src: &[u8], dst: &mut [u8]) -> Result<()> {
        let expected = dst.len();
        let (codec, got) = match format {
            0 => (CodecId::BLOSCLZ, blosclz::decompress(src, dst)?),
            1 => {
                let got = match &self.dict {
                    Some(d) => lz4_flex::block::decompress_into_with_dict(src, dst, d)
                        .map_err(|e| corrupt(CodecId::LZ4, e.to_string()))?,
                    None => lz4::block::decompress_to_buffer(src, Some(expected as i32), dst)
                        .map_err(|e| corrupt(CodecId::LZ4, e.to_string()))?,
                };
                (CodecId::LZ4, got)
            }
            3 => (CodecId::ZLIB, self.inflate(src, dst)?),
            4 => {
                if self.zstd_d.is_none() {
                    let d = match &self.dict {
                        Some(dict) => zstd::bulk::Decompressor::with_dictionary(dict),
                        None => zstd::bulk::Decompressor::new(),
                    }
                    .map_err(|e| corrupt(CodecId::ZSTD, e.to_string()))?;
                    self.zstd_d = Some(d);
                }
                let d = self.zstd_d.as_mut().expect("set above");
                let got = d.decompress_to_buffer(src, dst).map_err(|e| corrupt(CodecId::ZSTD, e.to_string()))?;
                (CodecId::ZSTD, got)
            }
            UDCODEC_FORMAT => match p.codec {
                // NDLZ streams carry their block shape: no geometry needed.
                CodecId::NDLZ => (CodecId::NDLZ, ndlz::decompress(p.meta, src, dst)?),
                CodecId::ZFP_ACC | CodecId::ZFP_PREC | CodecId::ZFP_RATE => {
                    let mode = zfp::ZfpMode::from_codec_id(p.codec.0).ok_or(Error::UnsupportedCodec(p.codec.0))?;
                    let g = p.geometry.ok_or(Error::MissingGeometry { needed_by: mode.name() })?;
                    (p.codec, zfp::decompress(mode, p.meta, p.typesize, g.blockshape(), src, dst)?)
                }
                other => return Err(Error::UnsupportedCodec(other.0)),
            },
            _ => return Err(Error::UnsupportedCodec(format)),
        };
        if got != expected {
            return Err(corrupt(codec, format!("decoded {got} bytes, expected {expected}")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in CodecId::ALL {
            assert_eq!(CodecId::from_name(c.name().unwrap()), Some(c));
        }
        assert_eq!(CodecId::from_name("snappy"), None);
        for (c, name) in [
            (CodecId::NDLZ, "ndlz"),
            (CodecId::ZFP_ACC, "zfp_acc"),
            (CodecId::ZFP_PREC, "zfp_prec"),
            (CodecId::ZFP_RATE, "zfp_rate"),
        ] {
            assert_eq!((c.name(), CodecId::from_name(&name.to_uppercase())), (Some(name), Some(c)));
            assert_eq!(c.format(), Ok(UDCODEC_FORMAT));
            assert!(!c.is_hcr());
        }
        assert_eq!([CodecId::NDLZ.0, CodecId::ZFP_ACC.0, CodecId::ZFP_PREC.0, CodecId::ZFP_RATE.0], [32, 33, 34, 35]);
        assert_eq!(CodecId(3).format(), Err(Error::UnsupportedCodec(3)));
    }

    #[test]
    fn library_codecs_round_trip_and_report_no_room() {
        let src: Vec<u8> = (0..20_000u32).map(|i| (i / 7) as u8).collect();
        let mut ctx = CodecContext::new();
        for codec in [CodecId::LZ4, CodecId::LZ4HC, CodecId::ZLIB, CodecId::ZSTD] {
            for clevel in [1u8, 5, 9] {
                let mut dst = vec![0u8; src.len()];
                let n = ctx.compress(codec, clevel, &src, &mut dst).unwrap();
                assert!(n > 0 && n < src.len(), "{codec} {clevel}");
                let mut out = vec![0u8; src.len()];
                ctx.decompress(codec.format().unwrap(), codec.0, &dst[..n], &mut out).unwrap();
                assert_eq!(out, src);
                // Too little room: 0, not an error.
                let mut tiny = vec![0u8; 8];
                assert_eq!(ctx.compress(codec, clevel, &src, &mut tiny).unwrap(), 0);
                // Wrong expected size: an error.
                let mut short = vec![0u8; src.len() - 1];
                assert!(ctx.decompress(codec.format().unwrap(), codec.0, &dst[..n], &mut short).is_err());
            }
        }
    }

    /// Inflates `src` with zlib-rs alone (the decoder every build has).
    fn inflate_with_zlib_rs(src: &[u8], n: usize) -> std::result::Result<Vec<u8>, zlib_rs::InflateError> {
        let mut z = zlib_rs::Inflate::new(true, 15);
        let mut out = vec![0u8; n];
        match z.decompress(src, &mut out, zlib_rs::InflateFlush::Finish)? {
            zlib_rs::Status::StreamEnd if z.total_out() as usize == n => Ok(out),
            _ => Err(zlib_rs::InflateError::DataError),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 96, ..Default::default() })]

        /// Zlib streams of every level decode through `CodecContext` (zlib-ng for streams of
        /// high ratio where the feature is on, zlib-rs otherwise) to the same bytes as through
        /// zlib-rs alone, and a damaged stream is an error on both paths.
        #[test]
        fn zlib_streams_inflate_alike_on_every_path(
            period in 1usize..300,
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..300),
            len in 0usize..70_000,
            clevel in 1u8..=9,
            cut in proptest::prelude::any::<proptest::sample::Index>(),
            flip in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            // Periodic data with a noisy stretch: ratios from about 1 to several hundred.
            let src: Vec<u8> = (0..len).map(|i| if i % 4096 < noise.len() { noise[i % noise.len()] } else { (i % period) as u8 }).collect();
            let mut ctx = CodecContext::new();
            let mut packed = vec![0u8; len + 1024];
            let n = ctx.compress(CodecId::ZLIB, clevel, &src, &mut packed).unwrap();
            proptest::prop_assert!(n > 0);
            let packed = &packed[..n];
            let mut out = vec![0u8; len];
            ctx.decompress(3, 4, packed, &mut out).unwrap();
            proptest::prop_assert_eq!(&out, &src);
            proptest::prop_assert_eq!(inflate_with_zlib_rs(packed, len).unwrap(), src.clone());
            // Truncated: an error on every path, never a panic.
            let short = &packed[..cut.index(n)];
            proptest::prop_assert!(ctx.decompress(3, 4, short, &mut out).is_err());
            proptest::prop_assert!(inflate_with_zlib_rs(short, len).is_err());
            // One byte changed: both paths agree on the outcome and, when they accept, on the bytes.
            let mut bad = packed.to_vec();
            let at = flip.index(n);
            bad[at] ^= 0x5a;
            let ours = ctx.decompress(3, 4, &bad, &mut out).map(|()| out.clone());
            let reference = inflate_with_zlib_rs(&bad, len);
            proptest::prop_assert_eq!(ours.ok(), reference.ok());
        }
    }
}
