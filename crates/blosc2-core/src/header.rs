//! The chunk header: 16-byte Blosc1 and 32-byte extended layouts (`shared/spec/chunk.md` 2,
//! 3, 12 and 13).
//!
//! [`ChunkHeader::parse`] checks every field a decoder relies on before anything else reads
//! the chunk, so the rest of the crate can trust the sizes it gets from here.

use crate::codec::CodecId;
use crate::error::{Error, Part, Result};
use crate::filter::{FilterId, Pipeline};

/// Length of the extended (Blosc2) header.
pub const EXTENDED_HEADER_LEN: usize = 32;
/// Length of the Blosc1 header.
pub const BLOSC1_HEADER_LEN: usize = 16;
/// Maximum overhead a compressed chunk adds to its data (C: `BLOSC2_MAX_OVERHEAD`).
pub const MAX_OVERHEAD: usize = 32;
/// Sources smaller than this are always stored memcpyed (C: `BLOSC_MIN_BUFFERSIZE`).
pub const MIN_BUFFERSIZE: usize = 32;
/// Largest `nbytes` a chunk can hold (C: `BLOSC2_MAX_BUFFERSIZE`).
pub const MAX_BUFFERSIZE: usize = i32::MAX as usize - MAX_OVERHEAD;
/// Largest block size, and largest typesize accepted by the compressor (C: `BLOSC2_MAXBLOCKSIZE`).
pub const MAX_BLOCKSIZE: usize = 536_866_816;
/// Largest typesize stored in the header; larger ones are labelled 1.
pub const MAX_TYPESIZE: usize = 255;
/// Largest dictionary (C: `BLOSC2_MAXDICTSIZE`).
pub const MAX_DICT_SIZE: usize = 32_768;

/// Bits of header byte 2 (`flags`).
pub mod flags {
    /// Byte shuffle (Blosc1 meaning); with [`BITSHUFFLE`] it marks the extended header.
    pub const SHUFFLE: u8 = 0x01;
    /// The body is the raw data.
    pub const MEMCPYED: u8 = 0x02;
    /// Bit shuffle (Blosc1 meaning).
    pub const BITSHUFFLE: u8 = 0x04;
    /// A DELTA filter is in the pipeline.
    pub const DELTA: u8 = 0x08;
    /// Blocks are not split into `typesize` streams.
    pub const DONT_SPLIT: u8 = 0x10;
    /// Both shuffle bits: the 32-byte extended header is present.
    pub const EXTENDED: u8 = 0x05;
}

/// Bits of header byte 31 (`blosc2_flags`).
pub mod blosc2_flags {
    /// A dictionary follows the block starts.
    pub const USE_DICT: u8 = 0x01;
    /// Written by a big-endian machine (informative).
    pub const BIG_ENDIAN: u8 = 0x02;
    /// A memory-only lazy chunk.
    pub const LAZY: u8 = 0x08;
    /// Instrumented codec (development mode; never valid in data).
    pub const INSTRUMENTED: u8 = 0x80;
}

/// Bit 0 of header byte 30 (`blosc2_flags2`): variable-length blocks.
pub const FLAGS2_VL_BLOCKS: u8 = 0x01;

/// The kind of a special chunk, stored in bits 4-6 of `blosc2_flags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecialKind {
    /// Every byte is zero.
    Zeros,
    /// Every element is a quiet NaN (typesize 4 or 8).
    Nan,
    /// One value, stored after the header, repeated.
    Value,
    /// Content undefined (decoded as zeros).
    Uninit,
}

impl SpecialKind {
    /// The 3-bit code stored in the header.
    pub fn code(self) -> u8 {
        match self {
            SpecialKind::Zeros => 1,
            SpecialKind::Nan => 2,
            SpecialKind::Value => 3,
            SpecialKind::Uninit => 4,
        }
    }

    /// The kind for a 3-bit code (0 is "not special"; 5-7 invalid).
    pub fn from_code(code: u8) -> Option<SpecialKind> {
        match code {
            1 => Some(SpecialKind::Zeros),
            2 => Some(SpecialKind::Nan),
            3 => Some(SpecialKind::Value),
            4 => Some(SpecialKind::Uninit),
            _ => None,
        }
    }

    /// python-blosc2's name of the kind (a `blosc2.SpecialValue` member), lower case:
    /// `zero`, `nan`, `value`, `uninit`, as `blosc2 info` and the fixture manifests spell it.
    pub fn python_name(self) -> &'static str {
        match self {
            SpecialKind::Zeros => "zero",
            SpecialKind::Nan => "nan",
            SpecialKind::Value => "value",
            SpecialKind::Uninit => "uninit",
        }
    }

    /// Lower-case name, as tools print it.
    pub fn name(self) -> &'static str {
        match self {
            SpecialKind::Zeros => "zeros",
            SpecialKind::Nan => "nan",
            SpecialKind::Value => "value",
            SpecialKind::Uninit => "uninit",
        }
    }
}

/// A parsed and checked chunk header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkHeader {
    /// Format version (byte 0).
    pub version: u8,
    /// Codec stream version (byte 1).
    pub versionlz: u8,
    /// Flag byte 2 (see [`flags`]).
    pub flags: u8,
    /// The typesize byte as stored (1 for typesizes above 255).
    pub typesize: u8,
    /// Uncompressed size of the chunk.
    pub nbytes: usize,
    /// The raw `blocksize` field: a block size, or the number of blocks in VL-block chunks.
    pub blocksize_field: usize,
    /// Total compressed size including the header.
    pub cbytes: usize,
    /// The filter pipeline (derived from `flags` for Blosc1 headers).
    pub filters: Pipeline,
    /// Codec id (byte 22; derived from the format for Blosc1 headers).
    pub udcodec: u8,
    /// Codec parameter byte (byte 23).
    pub compcode_meta: u8,
    /// Byte 30.
    pub flags2: u8,
    /// Byte 31 (see [`blosc2_flags`]).
    pub blosc2_flags: u8,
}

fn read_i32(buf: &[u8], at: usize) -> i32 {
    i32::from_le_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}

fn size_field(buf: &[u8], at: usize, field: &'static str) -> Result<usize> {
    let v = read_i32(buf, at);
    usize::try_from(v).map_err(|_| Error::InvalidHeader { field, value: v.into(), reason: "negative" })
}

impl ChunkHeader {
    /// Parses the header at the start of `buf` without requiring the whole chunk to be
    /// present (`cbytes` may exceed `buf.len()`): for reading metadata from a prefix.
    ///
    /// # Errors
    /// [`Error::Truncated`] when `buf` is shorter than the header; [`Error::InvalidHeader`]
    /// for any field outside what the format allows.
    pub fn parse_prefix(buf: &[u8]) -> Result<ChunkHeader> {
        if buf.len() < BLOSC1_HEADER_LEN {
            return Err(Error::Truncated {
                part: Part::Header,
                offset: 0,
                needed: BLOSC1_HEADER_LEN,
                available: buf.len(),
            });
        }
        let version = buf[0];
        let versionlz = buf[1];
        let flags_byte = buf[2];
        let typesize = buf[3];
        let nbytes = size_field(buf, 4, "nbytes")?;
        let blocksize_field = size_field(buf, 8, "blocksize")?;
        let cbytes = size_field(buf, 12, "cbytes")?;
        let bad = |field, value: usize, reason| Err(Error::InvalidHeader { field, value: value as i64, reason });
        if version == 0 {
            return bad("version", 0, "version 0 does not exist");
        }
        if typesize == 0 {
            return bad("typesize", 0, "must be at least 1");
        }
        if nbytes > MAX_BUFFERSIZE {
            return bad("nbytes", nbytes, "above the 2 GiB chunk limit");
        }
        let extended = flags_byte & flags::EXTENDED == flags::EXTENDED;
        let mut h = ChunkHeader {
            version,
            versionlz,
            flags: flags_byte,
            typesize,
            nbytes,
            blocksize_field,
            cbytes,
            filters: Pipeline::default(),
            udcodec: 0,
            compcode_meta: 0,
            flags2: 0,
            blosc2_flags: 0,
        };
        if extended {
            if buf.len() < EXTENDED_HEADER_LEN {
                return Err(Error::Truncated {
                    part: Part::Header,
                    offset: 0,
                    needed: EXTENDED_HEADER_LEN,
                    available: buf.len(),
                });
            }
            if cbytes < EXTENDED_HEADER_LEN {
                return bad("cbytes", cbytes, "smaller than the 32-byte header");
            }
            h.filters.filters.copy_from_slice(&buf[16..22]);
            h.filters.meta.copy_from_slice(&buf[24..30]);
            if version == 3 {
                h.filters.filters[5] = 0;
                h.filters.meta[5] = 0;
            }
            h.udcodec = buf[22];
            h.compcode_meta = buf[23];
            h.flags2 = buf[30];
            h.blosc2_flags = buf[31];
            if h.flags2 & !FLAGS2_VL_BLOCKS != 0 {
                return bad("blosc2_flags2", h.flags2.into(), "reserved bits set");
            }
            if h.blosc2_flags & blosc2_flags::INSTRUMENTED != 0 {
                return bad("blosc2_flags", h.blosc2_flags.into(), "instrumented-codec chunks hold no data");
            }
            if h.blosc2_flags & blosc2_flags::LAZY != 0 {
                return Err(Error::LazyChunk);
            }
            let special = (h.blosc2_flags >> 4) & 7;
            if special > 4 {
                return bad("blosc2_flags", h.blosc2_flags.into(), "unknown special type");
            }
            if h.is_vl_blocks() && (special != 0 || h.is_memcpyed()) {
                return bad("blosc2_flags2", h.flags2.into(), "VL-block chunks cannot be special or memcpyed");
            }
        } else {
            // Any version may carry the plain 16-byte header: C-Blosc2 2.x wrote version 4
            // (and later 5) through its Blosc1 API, and C-Blosc2 decodes those, reading the
            // filters from the flags whatever the version (`read_chunk_header`).
            if cbytes < BLOSC1_HEADER_LEN {
                return bad("cbytes", cbytes, "smaller than the 16-byte header");
            }
            if flags_byte & flags::SHUFFLE != 0 {
                h.filters.filters[5] = FilterId::SHUFFLE.0;
            }
            if flags_byte & flags::BITSHUFFLE != 0 {
                h.filters.filters[5] = FilterId::BITSHUFFLE.0;
            }
            if flags_byte & flags::DELTA != 0 {
                h.filters.filters[4] = FilterId::DELTA.0;
            }
            h.udcodec = match h.format() {
                0 => CodecId::BLOSCLZ.0,
                1 => CodecId::LZ4.0,
                3 => CodecId::ZLIB.0,
                4 => CodecId::ZSTD.0,
                f => return bad("flags", f.into(), "unknown Blosc1 codec format"),
            };
        }
        if !h.is_vl_blocks() {
            if blocksize_field == 0 || blocksize_field > MAX_BLOCKSIZE {
                return bad("blocksize", blocksize_field, "must be in 1..=536866816");
            }
        } else if blocksize_field == 0 && nbytes > 0 {
            return bad("blocksize", 0, "VL-block chunk with data but no blocks");
        }
        Ok(h)
    }

    /// Parses and checks the header of the chunk held in `buf`, which must contain the
    /// whole chunk (`cbytes <= buf.len()`).
    ///
    /// # Errors
    /// As [`ChunkHeader::parse_prefix`], plus [`Error::Truncated`] when `cbytes` exceeds
    /// the buffer.
    pub fn parse(buf: &[u8]) -> Result<ChunkHeader> {
        let h = Self::parse_prefix(buf)?;
        if h.cbytes > buf.len() {
            return Err(Error::Truncated { part: Part::Block, offset: 0, needed: h.cbytes, available: buf.len() });
        }
        Ok(h)
    }

    /// Whether the 32-byte extended header is used.
    pub fn is_extended(&self) -> bool {
        self.flags & flags::EXTENDED == flags::EXTENDED
    }

    /// Length of the header (16 or 32).
    pub fn header_len(&self) -> usize {
        if self.is_extended() {
            EXTENDED_HEADER_LEN
        } else {
            BLOSC1_HEADER_LEN
        }
    }

    /// Whether the body holds the raw, unfiltered data.
    pub fn is_memcpyed(&self) -> bool {
        self.flags & flags::MEMCPYED != 0
    }

    /// Whether blocks are stored as a single stream each.
    pub fn dont_split(&self) -> bool {
        self.flags & flags::DONT_SPLIT != 0
    }

    /// The 3-bit codec format of `flags`.
    pub fn format(&self) -> u8 {
        self.flags >> 5
    }

    /// The codec that made the streams.
    pub fn codec(&self) -> CodecId {
        CodecId(self.udcodec)
    }

    /// The special kind, if this is a special chunk.
    pub fn special(&self) -> Option<SpecialKind> {
        SpecialKind::from_code((self.blosc2_flags >> 4) & 7)
    }

    /// Whether blocks have variable lengths (version-6 chunks).
    pub fn is_vl_blocks(&self) -> bool {
        self.flags2 & FLAGS2_VL_BLOCKS != 0
    }

    /// Whether a dictionary follows the block starts.
    pub fn has_dict(&self) -> bool {
        self.blosc2_flags & blosc2_flags::USE_DICT != 0
    }

    /// The block size, clamped to `nbytes` (for fixed-size blocks; at least 1).
    pub fn blocksize(&self) -> usize {
        if self.is_vl_blocks() {
            return self.nbytes.max(1);
        }
        self.blocksize_field.min(self.nbytes).max(1)
    }

    /// Number of blocks.
    pub fn nblocks(&self) -> usize {
        if self.is_vl_blocks() {
            self.blocksize_field
        } else {
            self.nbytes.div_ceil(self.blocksize())
        }
    }

    /// Size of the last block when it is shorter than the others (0 when all are equal).
    pub fn leftover(&self) -> usize {
        if self.is_vl_blocks() {
            0
        } else {
            self.nbytes % self.blocksize()
        }
    }

    /// Serializes an extended header.
    pub fn to_bytes(&self) -> [u8; EXTENDED_HEADER_LEN] {
        let mut out = [0u8; EXTENDED_HEADER_LEN];
        out[0] = self.version;
        out[1] = self.versionlz;
        out[2] = self.flags;
        out[3] = self.typesize;
        out[4..8].copy_from_slice(&(self.nbytes as i32).to_le_bytes());
        out[8..12].copy_from_slice(&(self.blocksize_field as i32).to_le_bytes());
        out[12..16].copy_from_slice(&(self.cbytes as i32).to_le_bytes());
        out[16..22].copy_from_slice(&self.filters.filters);
        out[22] = self.udcodec;
        out[23] = self.compcode_meta;
        out[24..30].copy_from_slice(&self.filters.meta);
        out[30] = self.flags2;
        out[31] = self.blosc2_flags;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_doc_example_header() {
        let hex = "050105 04 a00f0000 a00f0000 63010000 000000000001 00 00 000000000000 00 00";
        let bytes: Vec<u8> = hex::decode(hex.replace(' ', "")).unwrap();
        let h = ChunkHeader::parse_prefix(&bytes).unwrap();
        assert_eq!(h.nbytes, 4000);
        assert_eq!(h.blocksize(), 4000);
        assert_eq!(h.cbytes, 355);
        assert_eq!(h.typesize, 4);
        assert_eq!(h.filters.filters, [0, 0, 0, 0, 0, 1]);
        assert!(!h.dont_split());
        assert_eq!(h.nblocks(), 1);
        assert_eq!(h.to_bytes().to_vec(), bytes);
        // Whole-chunk parse must see the 355 bytes.
        assert!(matches!(ChunkHeader::parse(&bytes), Err(Error::Truncated { needed: 355, .. })));
    }

    #[test]
    fn rejects_bad_fields() {
        let mut b = [0u8; 32];
        b[0] = 5;
        b[2] = 0x05;
        b[3] = 4;
        b[8] = 1;
        b[12] = 32;
        assert!(ChunkHeader::parse(&b).is_ok());
        let mut t = b;
        t[3] = 0;
        assert!(matches!(ChunkHeader::parse(&t), Err(Error::InvalidHeader { field: "typesize", .. })));
        let mut t = b;
        t[31] = 0x50;
        assert!(matches!(ChunkHeader::parse(&t), Err(Error::InvalidHeader { field: "blosc2_flags", .. })));
        let mut t = b;
        t[31] = 0x08;
        assert_eq!(ChunkHeader::parse(&t), Err(Error::LazyChunk));
        let mut t = b;
        t[7] = 0x80;
        assert!(matches!(ChunkHeader::parse(&t), Err(Error::InvalidHeader { field: "nbytes", .. })));
        let mut t = b;
        t[8] = 0;
        assert!(matches!(ChunkHeader::parse(&t), Err(Error::InvalidHeader { field: "blocksize", .. })));
        assert!(matches!(ChunkHeader::parse(&b[..20]), Err(Error::Truncated { .. })));
    }
}
