//! Codec identifiers ([`CodecId`], re-exported as `codec::CodecId`): the ids and names of
//! the codecs, kept apart from the codecs themselves so that the error type, which names
//! codecs in its messages, does not depend on the codec implementations.

use std::fmt;

/// A codec id as stored in byte 22 of the header and used by every API (C: `compcode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodecId(pub u8);

impl CodecId {
    /// BloscLZ (C: `BLOSC_BLOSCLZ`).
    pub const BLOSCLZ: CodecId = CodecId(0);
    /// LZ4 (C: `BLOSC_LZ4`).
    pub const LZ4: CodecId = CodecId(1);
    /// LZ4HC (C: `BLOSC_LZ4HC`).
    pub const LZ4HC: CodecId = CodecId(2);
    /// Zlib (C: `BLOSC_ZLIB`).
    pub const ZLIB: CodecId = CodecId(4);
    /// Zstd (C: `BLOSC_ZSTD`).
    pub const ZSTD: CodecId = CodecId(5);
    /// NDLZ, a Lempel-Ziv codec on the 4x4 or 8x8 cells of 2-d blocks (C plugin
    /// `BLOSC_CODEC_NDLZ`); `codec_meta` is the cell side, 4 or 8. See [`crate::codec::ndlz`].
    pub const NDLZ: CodecId = CodecId(32);
    /// ZFP in fixed-accuracy mode (C plugin `BLOSC_CODEC_ZFP_FIXED_ACCURACY`). Lossy.
    pub const ZFP_ACC: CodecId = CodecId(33);
    /// ZFP in fixed-precision mode (C plugin `BLOSC_CODEC_ZFP_FIXED_PRECISION`). Lossy.
    pub const ZFP_PREC: CodecId = CodecId(34);
    /// ZFP in fixed-rate mode (C plugin `BLOSC_CODEC_ZFP_FIXED_RATE`). Lossy.
    pub const ZFP_RATE: CodecId = CodecId(35);

    /// The codecs built into C-Blosc2: they compress any bytes, with no array geometry.
    pub const ALL: [CodecId; 5] = [Self::BLOSCLZ, Self::LZ4, Self::LZ4HC, Self::ZLIB, Self::ZSTD];

    /// The plugin codecs python-blosc2's wheels register (ids 32-35). They work on the
    /// blocks of a b2nd array and need its geometry ([`crate::codec::CodecParams::geometry`]).
    pub const PLUGINS: [CodecId; 4] = [Self::NDLZ, Self::ZFP_ACC, Self::ZFP_PREC, Self::ZFP_RATE];

    /// Name as python-blosc2 spells it, lower case.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::BLOSCLZ => "blosclz",
            Self::LZ4 => "lz4",
            Self::LZ4HC => "lz4hc",
            Self::ZLIB => "zlib",
            Self::ZSTD => "zstd",
            Self::NDLZ => "ndlz",
            Self::ZFP_ACC => "zfp_acc",
            Self::ZFP_PREC => "zfp_prec",
            Self::ZFP_RATE => "zfp_rate",
            _ => return None,
        })
    }

    /// The codec for a python-blosc2 name (case-insensitive).
    pub fn from_name(name: &str) -> Option<CodecId> {
        Self::ALL.into_iter().chain(Self::PLUGINS).find(|c| c.name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
    }

    /// Whether C-Blosc2 counts it as a high-compression-ratio codec (doubles the automatic
    /// block size).
    pub fn is_hcr(self) -> bool {
        matches!(self, Self::LZ4HC | Self::ZLIB | Self::ZSTD)
    }
}

impl fmt::Display for CodecId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "codec#{}", self.0),
        }
    }
}
