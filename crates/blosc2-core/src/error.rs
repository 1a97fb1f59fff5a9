//! The error type of the format crate.
//!
//! Every variant carries the facts needed to say what is wrong (which field, what was
//! expected, what was found). [`Error::code`] maps each one to the negative error number
//! C-Blosc2 uses for the same condition, so tools can report the same codes.

use std::fmt;

/// Which part of a chunk or stream a size or offset problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// The 16- or 32-byte chunk header.
    Header,
    /// The table of block start offsets.
    BlockStarts,
    /// The dictionary stored after the block starts.
    Dictionary,
    /// A block's data.
    Block,
    /// One stream inside a block.
    Stream,
    /// The body of a memcpyed chunk.
    MemcpyedBody,
    /// The value of a repeated-value special chunk.
    SpecialValue,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Part::Header => "header",
            Part::BlockStarts => "block starts",
            Part::Dictionary => "dictionary",
            Part::Block => "block",
            Part::Stream => "stream",
            Part::MemcpyedBody => "memcpyed body",
            Part::SpecialValue => "special value",
        };
        f.write_str(s)
    }
}

/// Which part of a frame (`shared/spec/frame.md`) a problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FramePart {
    /// The fixed 87-byte frame header.
    Header,
    /// The metalayers section of the header.
    Metalayers,
    /// The trailer (its framing and length).
    Trailer,
    /// The variable-length metalayers in the trailer.
    VlMetalayers,
    /// The offsets chunk.
    Offsets,
    /// The chunk with this index.
    Chunk(u64),
    /// The directory of a sparse frame.
    Directory,
}

impl fmt::Display for FramePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FramePart::Header => f.write_str("header"),
            FramePart::Metalayers => f.write_str("metalayers"),
            FramePart::Trailer => f.write_str("trailer"),
            FramePart::VlMetalayers => f.write_str("vlmetalayers"),
            FramePart::Offsets => f.write_str("offsets chunk"),
            FramePart::Chunk(i) => write!(f, "chunk {i}"),
            FramePart::Directory => f.write_str("sparse-frame directory"),
        }
    }
}

/// Errors of the format crate.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The buffer ends before a part that must be present.
    #[error("truncated {part}: need {needed} bytes at offset {offset}, buffer has {available}")]
    Truncated {
        /// What was being read.
        part: Part,
        /// Offset where the part starts.
        offset: usize,
        /// Bytes needed from that offset.
        needed: usize,
        /// Bytes available in the buffer.
        available: usize,
    },
    /// A header field holds a value the format does not allow.
    #[error("invalid header field {field}: {value} ({reason})")]
    InvalidHeader {
        /// The field name as in the spec (`cbytes`, `blocksize`, ...).
        field: &'static str,
        /// The value found.
        value: i64,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// An offset or size inside the chunk points outside it or overlaps the header.
    #[error("{part} {index}: offset {offset} out of range {min}..{max}")]
    OffsetOutOfRange {
        /// What the offset belongs to.
        part: Part,
        /// Index of the block or stream.
        index: usize,
        /// The offset found.
        offset: i64,
        /// Smallest valid value.
        min: usize,
        /// One past the largest valid value.
        max: usize,
    },
    /// A stream's compressed size field is invalid.
    #[error("block {block} stream {stream}: invalid compressed size {csize} (stream holds {neblock} bytes)")]
    InvalidStreamSize {
        /// Block index.
        block: usize,
        /// Stream index inside the block.
        stream: usize,
        /// The csize field.
        csize: i64,
        /// Decoded size of the stream.
        neblock: usize,
    },
    /// A codec failed to decode a stream, or decoded a different size than the chunk says.
    #[error("{codec} stream is corrupt: {reason}")]
    CorruptStream {
        /// Codec name.
        codec: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The codec (format or compcode) is not supported.
    #[error("unsupported codec {0}")]
    UnsupportedCodec(u8),
    /// `use_dict` was asked with a codec that has no dictionaries (C-Blosc2 refuses it the
    /// same way; only ZSTD, LZ4 and LZ4HC have them).
    #[error("`use_dict` is only supported for ZSTD, LZ4, and LZ4HC codecs, not {}", crate::codec_id::CodecId(*.0))]
    DictUnsupported(u8),
    /// The filter id is not supported.
    #[error("unsupported filter {0}")]
    UnsupportedFilter(u8),
    /// A filter cannot work with this typesize or meta byte.
    #[error("filter {filter} cannot run with typesize {typesize} and meta {meta}: {reason}")]
    InvalidFilterParams {
        /// Filter id.
        filter: u8,
        /// Typesize given.
        typesize: usize,
        /// Meta byte given.
        meta: u8,
        /// Why.
        reason: &'static str,
    },
    /// A codec cannot work with this typesize, meta byte or block geometry (NDLZ needs 2-d
    /// blocks and a meta of 4 or 8, ...).
    #[error("codec {codec} cannot run with typesize {typesize} and meta {meta}: {reason}")]
    InvalidCodecParams {
        /// Codec id.
        codec: u8,
        /// Typesize given.
        typesize: usize,
        /// Meta byte given.
        meta: u8,
        /// Why.
        reason: &'static str,
    },
    /// A codec or filter that works on n-dimensional blocks (NDLZ, NDCELL, NDMEAN, ZFP) was
    /// given no array geometry ([`crate::geometry::NdGeometry`]).
    #[error("{needed_by} needs the chunk and block shapes of a b2nd array, and none was given")]
    MissingGeometry {
        /// The codec or filter (`"NDLZ"`, `"NDCELL"`, ...).
        needed_by: &'static str,
    },
    /// A compression parameter is out of range.
    #[error("invalid parameter {name}: {value} ({reason})")]
    InvalidParam {
        /// Parameter name.
        name: &'static str,
        /// Value given.
        value: i64,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// The destination buffer is too small.
    #[error("destination too small: need {needed} bytes, have {available}")]
    DestinationTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// An item range lies outside the chunk.
    #[error("range {start}..{end} outside the chunk's {len} items")]
    RangeOutOfBounds {
        /// First item asked for.
        start: usize,
        /// One past the last item asked for.
        end: usize,
        /// Items in the chunk.
        len: usize,
    },
    /// A lazy chunk (a memory-only device of C-Blosc2) was given as input.
    #[error("lazy chunks are memory-only and cannot be decoded from a buffer")]
    LazyChunk,
    /// A codec failed while compressing.
    #[error("{codec} compression failed: {reason}")]
    CompressionFailed {
        /// Codec name.
        codec: &'static str,
        /// What the library said.
        reason: String,
    },
    /// A frame is malformed: a field, offset or size in `part` is wrong.
    #[error("invalid frame {part} (at byte {offset}): {reason}")]
    InvalidFrame {
        /// The part of the frame that is wrong.
        part: FramePart,
        /// Byte position (from the frame start) where the problem was found.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The input is not a Blosc2 frame at all (wrong magic, too short, not a frame directory).
    #[error("not a Blosc2 frame: {reason}")]
    NotAFrame {
        /// Why it was not recognized.
        reason: String,
    },
    /// An input/output operation failed (`std::io::Error` is neither `Clone` nor `Eq`, so
    /// its kind and message are kept).
    #[error("I/O error on {path}: {message} ({kind:?})")]
    Io {
        /// The kind of the I/O error.
        kind: std::io::ErrorKind,
        /// The file or directory involved.
        path: String,
        /// The error message.
        message: String,
    },
    /// Another handle (in this process or another) has the frame open for writing: one
    /// writer at a time (see the `frame::disk` module).
    #[error("{path} is open for writing elsewhere: one writer at a time")]
    WriterActive {
        /// The frame file or sparse directory.
        path: String,
    },
    /// A chunk index past the last chunk.
    #[error("chunk {index} out of range: the super-chunk has {nchunks} chunks")]
    ChunkOutOfRange {
        /// The index asked for.
        index: u64,
        /// Number of chunks.
        nchunks: u64,
    },
    /// A metalayer or vlmetalayer cannot be found, added or updated.
    #[error("metalayer {name:?}: {reason}")]
    Metalayer {
        /// The metalayer name.
        name: String,
        /// Why the operation failed.
        reason: &'static str,
    },
    /// A msgpack value cannot be decoded or encoded.
    #[error("msgpack value of {name:?}: {reason}")]
    InvalidMsgpack {
        /// The metalayer whose value it is.
        name: String,
        /// What the decoder or encoder said.
        reason: String,
    },
    /// A chunk cannot join this super-chunk (size rules, VL-block mixing).
    #[error("chunk cannot join the super-chunk: {reason}")]
    IncompatibleChunk {
        /// Why.
        reason: &'static str,
    },
    /// The operation is not supported on this kind of super-chunk.
    #[error("{operation} is not supported on {what}")]
    Unsupported {
        /// The operation attempted.
        operation: &'static str,
        /// The kind of super-chunk or storage.
        what: &'static str,
    },
    /// A chunk's bytes do not hash to the checksum recorded for it (`schunk::checksum`).
    #[error("chunk {index}: checksum {found:#010x} differs from the recorded {expected:#010x}")]
    ChecksumMismatch {
        /// The chunk.
        index: u64,
        /// The recorded checksum.
        expected: u32,
        /// The checksum of the bytes read.
        found: u32,
    },
}

impl Error {
    /// The C-Blosc2 error number (`BLOSC2_ERROR_*`) closest to this error.
    pub fn code(&self) -> i32 {
        match self {
            Error::Truncated { .. } => -5,            // BLOSC2_ERROR_READ_BUFFER
            Error::InvalidHeader { .. } => -11,       // BLOSC2_ERROR_INVALID_HEADER
            Error::OffsetOutOfRange { .. } => -11,    // BLOSC2_ERROR_INVALID_HEADER
            Error::InvalidStreamSize { .. } => -3,    // BLOSC2_ERROR_DATA
            Error::CorruptStream { .. } => -3,        // BLOSC2_ERROR_DATA
            Error::UnsupportedCodec(_) => -7,         // BLOSC2_ERROR_CODEC_SUPPORT
            Error::DictUnsupported(_) => -8,          // BLOSC2_ERROR_CODEC_PARAM, as C-Blosc2 3.3.5
            Error::UnsupportedFilter(_) => -18,       // BLOSC2_ERROR_FILTER_PIPELINE
            Error::InvalidFilterParams { .. } => -18, // BLOSC2_ERROR_FILTER_PIPELINE
            Error::InvalidCodecParams { .. } => -8,   // BLOSC2_ERROR_CODEC_PARAM
            Error::MissingGeometry { .. } => -1,      // BLOSC2_ERROR_FAILURE ("b2nd layer not found")
            Error::InvalidParam { .. } => -12,        // BLOSC2_ERROR_INVALID_PARAM
            Error::DestinationTooSmall { .. } => -6,  // BLOSC2_ERROR_WRITE_BUFFER
            Error::RangeOutOfBounds { .. } => -12,    // BLOSC2_ERROR_INVALID_PARAM
            Error::LazyChunk => -11,                  // BLOSC2_ERROR_INVALID_HEADER
            Error::CompressionFailed { .. } => -8,    // BLOSC2_ERROR_CODEC_PARAM
            Error::InvalidFrame { .. } => -11,        // BLOSC2_ERROR_INVALID_HEADER
            Error::NotAFrame { .. } => -24,           // BLOSC2_ERROR_FRAME_TYPE
            Error::Io { kind, .. } => {
                if *kind == std::io::ErrorKind::NotFound {
                    -15 // BLOSC2_ERROR_FILE_OPEN
                } else {
                    -13 // BLOSC2_ERROR_FILE_READ
                }
            }
            Error::WriterActive { .. } => -15,      // BLOSC2_ERROR_FILE_OPEN
            Error::ChunkOutOfRange { .. } => -12,   // BLOSC2_ERROR_INVALID_PARAM
            Error::Metalayer { .. } => -16,         // BLOSC2_ERROR_NOT_FOUND
            Error::InvalidMsgpack { .. } => -3,     // BLOSC2_ERROR_DATA
            Error::IncompatibleChunk { .. } => -20, // BLOSC2_ERROR_CHUNK_APPEND
            Error::Unsupported { .. } => -12,       // BLOSC2_ERROR_INVALID_PARAM
            Error::ChecksumMismatch { .. } => -3,   // BLOSC2_ERROR_DATA
        }
    }
}

impl Error {
    /// An [`Error::Io`] for `err` while working on `path`.
    pub fn io(err: &std::io::Error, path: &std::path::Path) -> Error {
        Error::Io { kind: err.kind(), path: path.display().to_string(), message: err.to_string() }
    }
}

/// Result alias of the format crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::Error;

    /// The numbers of C-Blosc2's `BLOSC2_ERROR_*` enum (blosc2.h) that `code` uses.
    const DATA: i32 = -3;
    const READ_BUFFER: i32 = -5;
    const WRITE_BUFFER: i32 = -6;
    const CODEC_SUPPORT: i32 = -7;
    const CODEC_PARAM: i32 = -8;
    const INVALID_HEADER: i32 = -11;
    const FILE_OPEN: i32 = -15;
    const FILTER_PIPELINE: i32 = -18;
    const FRAME_TYPE: i32 = -24;

    #[test]
    fn codes_follow_the_c_enum() {
        let cases = [
            (Error::Truncated { part: super::Part::Header, offset: 0, needed: 32, available: 3 }, READ_BUFFER),
            (Error::CorruptStream { codec: "lz4", reason: String::new() }, DATA),
            (Error::UnsupportedCodec(9), CODEC_SUPPORT),
            (Error::DictUnsupported(0), CODEC_PARAM),
            (Error::UnsupportedFilter(200), FILTER_PIPELINE),
            (Error::DestinationTooSmall { needed: 10, available: 1 }, WRITE_BUFFER),
            (Error::NotAFrame { reason: String::new() }, FRAME_TYPE),
            (Error::WriterActive { path: "f".into() }, FILE_OPEN),
            (Error::LazyChunk, INVALID_HEADER),
        ];
        for (e, code) in cases {
            assert_eq!(e.code(), code, "{e}");
        }
    }
}
