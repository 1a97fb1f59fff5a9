//! The frame header: its fixed 87 bytes and the metalayers section
//! (`shared/spec/frame.md` 3), parsed from untrusted bytes and written as C-Blosc2 does.

use super::meta::{Metalayers, MAX_METALAYERS};
use super::mpack::{put, put_bin32, put_fixstr, Reader};
use crate::chunk::SplitMode;
use crate::codec::CodecId;
use crate::error::{Error, FramePart, Result};
use crate::filter::Pipeline;

/// Length of the fixed part of the header.
pub const FIXED_HEADER_LEN: usize = 87;
/// The magic bytes after the leading fixarray marker.
pub const MAGIC: &[u8; 8] = b"b2frame\0";
/// Highest frame format version C-Blosc2 3.x reads.
pub const MAX_VERSION: u8 = 3;
/// Frame format version for fixed-size chunk frames.
pub const VERSION_FIXED: u8 = 2;
/// Frame format version for variable-size or VL-block frames.
pub const VERSION_VARIABLE: u8 = 3;
/// `general_flags` bits 4-5 = 1: 64-bit offsets.
pub const FLAG_OFFSETS_64: u8 = 0x10;
/// `general_flags` bit 6: variable chunk sizes.
pub const FLAG_VARIABLE_CHUNKS: u8 = 0x40;
/// `general_flags` bit 7: VL-block chunks.
pub const FLAG_VL_BLOCKS: u8 = 0x80;
/// Codec nibble meaning "user codec, id in the udcodec byte".
const UDCODEC_FORMAT: u8 = 6;

/// Whether a frame is one byte sequence or a directory of chunk files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameType {
    /// Contiguous frame (frame_type 0).
    Contiguous,
    /// Sparse frame: this header is the index `chunks.b2frame` of a directory (frame_type 1).
    Sparse,
}

impl FrameType {
    /// `contiguous` or `sparse`.
    pub fn name(self) -> &'static str {
        match self {
            FrameType::Contiguous => "contiguous",
            FrameType::Sparse => "sparse",
        }
    }
}

/// The decoded fixed part of a frame header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameHeader {
    /// Bytes from the frame start to the first chunk byte (metalayers included).
    pub header_len: usize,
    /// Total frame length, trailer included.
    pub frame_len: u64,
    /// The whole `general_flags` byte (version in bits 0-3).
    pub general_flags: u8,
    /// Contiguous or sparse.
    pub frame_type: FrameType,
    /// Default codec (compcode) for new chunks.
    pub codec: CodecId,
    /// Default compression level.
    pub clevel: u8,
    /// Default split mode.
    pub splitmode: SplitMode,
    /// Sum of the chunks' uncompressed sizes.
    pub nbytes: u64,
    /// Contiguous: length of the chunks section; sparse: sum of the chunk files' sizes.
    pub cbytes: u64,
    /// Element size.
    pub typesize: usize,
    /// Requested block size (0 = automatic).
    pub blocksize: usize,
    /// Chunk size: > 0 fixed, 0 variable, -1 no chunk appended yet.
    pub chunksize: i32,
    /// Compression threads (informative).
    pub nthreads_compress: i16,
    /// Decompression threads (informative).
    pub nthreads_decompress: i16,
    /// Whether the trailer holds vlmetalayers.
    pub has_vlmetalayers: bool,
    /// Default filter pipeline.
    pub filters: Pipeline,
    /// Default codec meta byte.
    pub codec_meta: u8,
    /// Whether chunks use a dictionary (`other_flags2` bit 0).
    pub use_dict: bool,
}

impl FrameHeader {
    /// The frame format version (`general_flags` bits 0-3).
    pub fn version(&self) -> u8 {
        self.general_flags & 0x0f
    }

    /// Checks that `buf` starts like a frame (`9e a8 "b2frame\0"`).
    ///
    /// # Errors
    /// [`Error::NotAFrame`] otherwise.
    pub fn check_magic(buf: &[u8]) -> Result<()> {
        if buf.len() < 10 {
            return Err(Error::NotAFrame { reason: format!("{} bytes are too few for a frame header", buf.len()) });
        }
        if buf[0] != 0x9e || buf[1] != 0xa8 || &buf[2..10] != MAGIC {
            return Err(Error::NotAFrame { reason: "no \"b2frame\" magic at the start".to_string() });
        }
        Ok(())
    }

    /// Parses and checks the fixed 87 bytes at the start of `buf` (spec 8, step 1).
    ///
    /// # Errors
    /// [`Error::NotAFrame`] without the magic; [`Error::InvalidFrame`] (part `Header`) for
    /// a wrong marker or a field out of range.
    pub fn parse(buf: &[u8]) -> Result<FrameHeader> {
        Self::check_magic(buf)?;
        if buf.len() < FIXED_HEADER_LEN {
            return Err(Error::NotAFrame {
                reason: format!("{} bytes are too few for the 87-byte frame header", buf.len()),
            });
        }
        let mut r = Reader::new(&buf[..FIXED_HEADER_LEN], FramePart::Header, 0);
        r.seek(10)?;
        let header_len = r.i32("header_len")?;
        let frame_len = r.u64("frame_len")?;
        r.marker(0xa4, "flags")?;
        let general_flags = r.u8()?;
        let frame_type_byte = r.u8()?;
        let codec_flags = r.u8()?;
        let other_flags = r.u8()?;
        let nbytes = r.i64("nbytes")?;
        let cbytes = r.i64("compressed_size")?;
        let typesize = r.i32("typesize")?;
        let blocksize = r.i32("blocksize")?;
        let chunksize = r.i32("chunksize")?;
        let nthreads_compress = r.i16("compression threads")?;
        let nthreads_decompress = r.i16("decompression threads")?;
        let has_vl = match r.u8()? {
            0xc2 => false,
            0xc3 => true,
            b => return Err(r.err_at(68, format!("has-vlmetalayers: expected c2 or c3, found {b:#04x}"))),
        };
        r.marker(0xd8, "filter pipeline")?;
        let nfilters = r.u8()?;
        let ext = r.take(16)?;
        let bad =
            |at: usize, reason: String| Err(Error::InvalidFrame { part: FramePart::Header, offset: at as u64, reason });
        let version = general_flags & 0x0f;
        if version > MAX_VERSION {
            return bad(25, format!("frame format version {version} is newer than 3"));
        }
        let frame_type = match frame_type_byte & 0x0f {
            0 => FrameType::Contiguous,
            1 => FrameType::Sparse,
            t => return bad(26, format!("unknown frame type {t}")),
        };
        if header_len < FIXED_HEADER_LEN as i32 {
            return bad(10, format!("header_len {header_len} is below 87"));
        }
        if header_len as u64 > frame_len {
            return bad(10, format!("header_len {header_len} exceeds frame_len {frame_len}"));
        }
        if frame_len > i64::MAX as u64 {
            return bad(15, format!("frame_len {frame_len} is too large"));
        }
        if nbytes < 0 {
            return bad(29, format!("negative nbytes {nbytes}"));
        }
        if cbytes < 0 {
            return bad(38, format!("negative compressed_size {cbytes}"));
        }
        if typesize <= 0 {
            return bad(47, format!("typesize {typesize} must be positive"));
        }
        if blocksize < 0 {
            return bad(52, format!("negative blocksize {blocksize}"));
        }
        if chunksize < -1 || (chunksize == -1 && nbytes > 0) {
            return bad(57, format!("chunksize {chunksize} with nbytes {nbytes}"));
        }
        if nfilters > 6 {
            return bad(70, format!("{nfilters} filter slots (at most 6)"));
        }
        let mut filters = Pipeline::default();
        let nf = usize::from(nfilters);
        filters.filters[..nf].copy_from_slice(&ext[..nf]);
        filters.meta[..nf].copy_from_slice(&ext[8..8 + nf]);
        let codec = match codec_flags & 0x0f {
            UDCODEC_FORMAT => CodecId(ext[6]),
            c => CodecId(c),
        };
        let splitmode = SplitMode::from_code((other_flags & 0x03) + 1).unwrap_or_default();
        Ok(FrameHeader {
            header_len: header_len as usize,
            frame_len,
            general_flags,
            frame_type,
            codec,
            clevel: codec_flags >> 4,
            splitmode,
            nbytes: nbytes as u64,
            cbytes: cbytes as u64,
            typesize: typesize as usize,
            blocksize: blocksize as usize,
            chunksize,
            nthreads_compress,
            nthreads_decompress,
            has_vlmetalayers: has_vl,
            filters,
            codec_meta: ext[7],
            use_dict: ext[14] & 1 != 0,
        })
    }

    /// Serializes the header with `metalayers` exactly as C-Blosc2 does; `header_len` in the
    /// output is computed (the field of `self` is ignored).
    ///
    /// # Errors
    /// [`Error::Metalayer`] for more than 16 metalayers or a header above 2 GiB.
    pub fn to_bytes(&self, metalayers: &Metalayers) -> Result<Vec<u8>> {
        if metalayers.len() > MAX_METALAYERS {
            return Err(Error::Metalayer { name: String::new(), reason: "at most 16 metalayers" });
        }
        let mut h = Vec::with_capacity(FIXED_HEADER_LEN + 64);
        h.push(0x9e);
        h.push(0xa8);
        h.extend_from_slice(MAGIC);
        put(&mut h, 0xd2, &0i32.to_be_bytes()); // header_len, patched below
        put(&mut h, 0xcf, &self.frame_len.to_be_bytes());
        h.push(0xa4);
        h.push(self.general_flags);
        h.push(match self.frame_type {
            FrameType::Contiguous => 0,
            FrameType::Sparse => 1,
        });
        let nibble = if self.codec.0 >= UDCODEC_FORMAT { UDCODEC_FORMAT } else { self.codec.0 };
        h.push(nibble.wrapping_add(self.clevel << 4));
        h.push(self.splitmode.code() - 1);
        put(&mut h, 0xd3, &(self.nbytes as i64).to_be_bytes());
        put(&mut h, 0xd3, &(self.cbytes as i64).to_be_bytes());
        put(&mut h, 0xd2, &(self.typesize as i32).to_be_bytes());
        put(&mut h, 0xd2, &(self.blocksize as i32).to_be_bytes());
        put(&mut h, 0xd2, &self.chunksize.to_be_bytes());
        put(&mut h, 0xd1, &self.nthreads_compress.to_be_bytes());
        put(&mut h, 0xd1, &self.nthreads_decompress.to_be_bytes());
        h.push(if self.has_vlmetalayers { 0xc3 } else { 0xc2 });
        h.push(0xd8);
        h.push(6);
        let filters = self.filters.as_written(crate::chunk::blocksize::header_typesize(self.typesize));
        h.extend_from_slice(&filters.filters);
        h.push(self.codec.0);
        h.push(self.codec_meta);
        h.extend_from_slice(&filters.meta);
        h.push(u8::from(self.use_dict));
        h.push(0);
        debug_assert_eq!(h.len(), FIXED_HEADER_LEN);
        // Metalayers section: 93 cd <idx size> de <n> (name, d2 offset)* dc <n> (c6 content)*.
        h.push(0x93);
        put(&mut h, 0xcd, &[0, 0]);
        put(&mut h, 0xde, &(metalayers.len() as u16).to_be_bytes());
        let mut slots = Vec::with_capacity(metalayers.len());
        for (name, _) in metalayers.iter() {
            put_fixstr(&mut h, name.as_bytes());
            h.push(0xd2);
            slots.push(h.len());
            h.extend_from_slice(&[0; 4]);
        }
        let idx_size = (h.len() - FIXED_HEADER_LEN) as u16;
        h[89..91].copy_from_slice(&idx_size.to_be_bytes());
        put(&mut h, 0xdc, &(metalayers.len() as u16).to_be_bytes());
        for ((_, content), slot) in metalayers.iter().zip(slots) {
            let at = h.len() as i32;
            h[slot..slot + 4].copy_from_slice(&at.to_be_bytes());
            put_bin32(&mut h, content);
        }
        let header_len = i32::try_from(h.len())
            .map_err(|_| Error::Metalayer { name: String::new(), reason: "metalayers above 2 GiB" })?;
        h[11..15].copy_from_slice(&header_len.to_be_bytes());
        Ok(h)
    }
}

/// Parses the metalayers section of `header` (the first `header_len` bytes of the frame).
///
/// # Errors
/// [`Error::InvalidFrame`] (part `Metalayers`) for a wrong marker, too many entries, a name
/// that is not UTF-8 or repeated, or an offset or length outside the header.
pub fn parse_metalayers(header: &[u8]) -> Result<Metalayers> {
    let mut r = Reader::new(header, FramePart::Metalayers, 0);
    r.seek(FIXED_HEADER_LEN)?;
    r.marker(0x93, "metalayers section")?;
    r.u16_with(0xcd, "metalayer index size")?;
    let n = usize::from(r.u16_with(0xde, "metalayer map")?);
    if n > MAX_METALAYERS {
        return Err(r.err(format!("{n} metalayers (at most {MAX_METALAYERS})")));
    }
    let mut index = Vec::with_capacity(n);
    for _ in 0..n {
        let at = r.pos();
        let name = r.fixstr("metalayer name")?;
        let name = std::str::from_utf8(name).map_err(|_| r.err_at(at, "metalayer name is not UTF-8".into()))?;
        if name.is_empty() || index.iter().any(|(n, _, _)| n == name) {
            return Err(r.err_at(at, format!("empty or repeated metalayer name {name:?}")));
        }
        let off = r.i32("metalayer offset")?;
        index.push((name.to_string(), off, at));
    }
    let mut out = Metalayers::new();
    for (name, off, at) in index {
        if off < 0 || off as usize >= header.len() {
            return Err(r.err_at(at, format!("metalayer {name:?} offset {off} outside the header")));
        }
        r.seek(off as usize)?;
        let content = r.bin32("metalayer content")?;
        out.push_parsed(name, content.to_vec());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> FrameHeader {
        FrameHeader {
            header_len: 0,
            frame_len: 2256,
            general_flags: 0x12,
            frame_type: FrameType::Contiguous,
            codec: CodecId::LZ4,
            clevel: 5,
            splitmode: SplitMode::Auto,
            nbytes: 18800,
            cbytes: 1749,
            typesize: 4,
            blocksize: 0,
            chunksize: 4000,
            nthreads_compress: 1,
            nthreads_decompress: 1,
            has_vlmetalayers: true,
            filters: Pipeline::shuffle(),
            codec_meta: 0,
            use_dict: false,
        }
    }

    #[test]
    fn writes_the_spec_example_header() {
        let mut m = Metalayers::new();
        m.add("m1", &[0x93, 1, 2, 3]).unwrap();
        m.add("abc", b"\xa5hello").unwrap();
        let bytes = sample().to_bytes(&m).unwrap();
        let expected = "9ea862326672616d6500d200000086cf00000000000008d0a4120051\
                        02d30000000000004970d300000000000006d5d200000004d200000000d2\
                        00000fa0d10001d10001c3d80600000000000101000000000000000000\
                        93cd0018de0002a26d31d200000072a3616263d20000007bdc0002c6000000\
                        0493010203c600000006a568656c6c6f";
        let expected: Vec<u8> =
            (0..expected.len()).step_by(2).map(|i| u8::from_str_radix(&expected[i..i + 2], 16).unwrap()).collect();
        assert_eq!(bytes, expected);
        let h = FrameHeader::parse(&bytes).unwrap();
        assert_eq!(h.header_len, 134);
        assert_eq!(FrameHeader { header_len: 0, ..h }, sample());
        assert_eq!(parse_metalayers(&bytes).unwrap(), m);
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(matches!(FrameHeader::parse(b"hello world"), Err(Error::NotAFrame { .. })));
        let good = sample().to_bytes(&Metalayers::new()).unwrap();
        for (at, byte) in [(10, 0u8), (24, 0xa5), (25, 0x14), (26, 5), (47, 0xd3), (70, 7), (68, 0)] {
            let mut b = good.clone();
            b[at] = byte;
            assert!(matches!(FrameHeader::parse(&b), Err(Error::InvalidFrame { .. })), "byte {at}");
        }
        let mut b = good.clone();
        b[48..52].copy_from_slice(&0i32.to_be_bytes());
        assert!(FrameHeader::parse(&b).is_err());
        // A metalayer offset pointing outside the header.
        let mut m = Metalayers::new();
        m.add("a", &[1]).unwrap();
        let mut b = sample().to_bytes(&m).unwrap();
        let n = b.len();
        b[97..101].copy_from_slice(&(n as i32).to_be_bytes());
        assert!(matches!(parse_metalayers(&b), Err(Error::InvalidFrame { part: FramePart::Metalayers, .. })));
    }
}
