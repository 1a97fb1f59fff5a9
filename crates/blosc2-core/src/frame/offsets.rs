//! The offsets chunk: where each chunk of a frame lives, including the special offsets
//! that stand for zero, NaN and uninitialized chunks stored nowhere
//! (`shared/spec/frame.md` 4).

use crate::chunk::{self, CompressParams, SpecialKind, SplitMode};
use crate::codec::CodecId;
use crate::error::{Error, FramePart, Result};
use crate::filter::Pipeline;
use crate::header::{ChunkHeader, MAX_BUFFERSIZE};

/// Special offset of a zero chunk (`0x81` in the top byte).
pub const SPECIAL_ZEROS: i64 = 0x8100_0000_0000_0000_u64 as i64;
/// Special offset of a NaN chunk.
pub const SPECIAL_NAN: i64 = 0x8200_0000_0000_0000_u64 as i64;
/// Special offset of an uninitialized chunk.
pub const SPECIAL_UNINIT: i64 = 0x8400_0000_0000_0000_u64 as i64;

/// The kind a negative offset stands for, tested as C-Blosc2 does (zeros, uninit, NaN).
///
/// # Errors
/// [`Error::InvalidFrame`] (part `Offsets`) when no known kind bit is set.
pub fn special_kind(offset: i64, index: u64) -> Result<SpecialKind> {
    let top = (offset as u64 >> 56) as u8;
    if top & 0x01 != 0 {
        Ok(SpecialKind::Zeros)
    } else if top & 0x04 != 0 {
        Ok(SpecialKind::Uninit)
    } else if top & 0x02 != 0 {
        Ok(SpecialKind::Nan)
    } else {
        Err(Error::InvalidFrame {
            part: FramePart::Offsets,
            offset: 0,
            reason: format!("chunk {index}: negative offset {offset:#x} is no known special value"),
        })
    }
}

/// The special offset for a special chunk kind (`None` for repeated values, which are
/// stored as real chunks).
pub fn special_offset(kind: SpecialKind) -> Option<i64> {
    match kind {
        SpecialKind::Zeros => Some(SPECIAL_ZEROS),
        SpecialKind::Nan => Some(SPECIAL_NAN),
        SpecialKind::Uninit => Some(SPECIAL_UNINIT),
        SpecialKind::Value => None,
    }
}

/// The chunk offsets of a frame, decoded from its offsets chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offsets {
    /// One offset per chunk.
    List(Vec<i64>),
    /// The same offset for `n` chunks (a repeated-value offsets chunk, written by
    /// `fill_special`); kept compact so a frame of billions of special chunks opens fast.
    Repeated {
        /// The offset.
        value: i64,
        /// Number of chunks.
        n: u64,
    },
}

impl Offsets {
    /// Number of chunks.
    pub fn len(&self) -> u64 {
        match self {
            Offsets::List(v) => v.len() as u64,
            Offsets::Repeated { n, .. } => *n,
        }
    }

    /// Whether there are no chunks.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The offset of chunk `i` (`None` past the end).
    pub fn get(&self, i: u64) -> Option<i64> {
        match self {
            Offsets::List(v) => usize::try_from(i).ok().and_then(|i| v.get(i).copied()),
            Offsets::Repeated { value, n } => (i < *n).then_some(*value),
        }
    }

    /// All offsets as a vector.
    pub fn to_vec(&self) -> Vec<i64> {
        match self {
            Offsets::List(v) => v.clone(),
            Offsets::Repeated { value, n } => vec![*value; *n as usize],
        }
    }
}

/// How many chunks an offsets chunk may list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkCount {
    /// Exactly this many (frames with a fixed chunk size: `ceil(nbytes / chunksize)`).
    Exactly(u64),
    /// Any multiple of 8 bytes up to this many (variable-chunksize frames, whose chunks
    /// are all stored: their number is bounded by the room the frame has for them).
    AtMost(u64),
}

/// Bytes of offsets decoded at a time (the offsets are built without holding the whole
/// decompressed chunk a second time).
const DECODE_STEP: usize = 1 << 20;

/// Decodes an offsets chunk listing `count` offsets (`pos` = its frame position, for
/// errors).
///
/// # Errors
/// [`Error::InvalidFrame`] (part `Offsets`) for a size mismatch; chunk errors when it does
/// not decompress.
pub fn decode_offsets(chunk: &[u8], count: ChunkCount, pos: u64) -> Result<Offsets> {
    let bad = |reason: String| Error::InvalidFrame { part: FramePart::Offsets, offset: pos, reason };
    let h = ChunkHeader::parse(chunk).map_err(|e| bad(format!("bad offsets chunk header: {e}")))?;
    let n = match count {
        ChunkCount::Exactly(n) => {
            if (h.nbytes as u64) != n.saturating_mul(8) {
                return Err(bad(format!(
                    "offsets chunk holds {} bytes, {n} chunks need {}",
                    h.nbytes,
                    n.saturating_mul(8)
                )));
            }
            n
        }
        ChunkCount::AtMost(max) => {
            if h.nbytes % 8 != 0 {
                return Err(bad(format!("offsets chunk holds {} bytes, not a multiple of 8", h.nbytes)));
            }
            let n = (h.nbytes / 8) as u64;
            if n > max {
                return Err(bad(format!("offsets chunk lists {n} chunks, but the frame has room for at most {max}")));
            }
            n
        }
    };
    if h.special() == Some(SpecialKind::Value) && h.cbytes == 40 {
        let v = i64::from_le_bytes(chunk[32..40].try_into().expect("8 bytes"));
        return Ok(Offsets::Repeated { value: v, n });
    }
    if h.special() == Some(SpecialKind::Zeros) {
        return Ok(Offsets::Repeated { value: 0, n });
    }
    let undecodable = |e: Error| bad(format!("offsets chunk does not decompress: {e}"));
    let total = h.nbytes;
    let mut list = Vec::with_capacity(total / 8);
    // Whole blocks per step, so no block is decoded twice.
    let blocksize = h.blocksize().clamp(8, DECODE_STEP);
    let step_len = DECODE_STEP / blocksize * blocksize;
    let mut step = vec![0u8; total.min(step_len)];
    let mut at = 0;
    while at < total {
        let len = (total - at).min(step_len);
        chunk::decompress_range(chunk, at, &mut step[..len]).map_err(undecodable)?;
        list.extend(step[..len].chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes"))));
        at += len;
    }
    Ok(Offsets::List(list))
}

/// How an offsets chunk is compressed (spec 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetsStyle {
    /// As serializing an in-memory super-chunk (`to_cframe`): C defaults with typesize 8.
    Serialized,
    /// As appending to a frame: BloscLZ 5, NEVER_SPLIT, blocksize 16384; a frame whose
    /// offsets are all one special value gets a 40-byte repeated-value chunk, as
    /// `fill_special` writes.
    Appended,
}

/// Compresses `offsets` into an offsets chunk.
///
/// # Errors
/// [`Error::InvalidParam`] for more offsets than a chunk holds; compression errors.
pub fn encode_offsets(offsets: &[i64], style: OffsetsStyle) -> Result<Vec<u8>> {
    let nbytes = offsets.len() * 8;
    if nbytes > MAX_BUFFERSIZE {
        return Err(Error::InvalidParam { name: "nchunks", value: offsets.len() as i64, reason: "too many chunks" });
    }
    if style == OffsetsStyle::Appended {
        if let Some(&first) = offsets.first() {
            if first < 0 && offsets.iter().all(|&o| o == first) {
                return repeated_offsets(first, offsets.len() as u64);
            }
        }
    }
    let mut params = offsets_params();
    if style == OffsetsStyle::Appended {
        params.splitmode = SplitMode::Never;
        params.blocksize = 16384;
    }
    let raw: Vec<u8> = offsets.iter().flat_map(|o| o.to_le_bytes()).collect();
    chunk::compress(&params, &raw)
}

/// The 40-byte offsets chunk of `n` chunks that all have the special offset `value`, as
/// C-Blosc2's `fill_special` writes it (`OffsetsStyle::Appended` of such a list).
///
/// # Errors
/// [`Error::InvalidParam`] for more offsets than a chunk holds.
pub fn repeated_offsets(value: i64, n: u64) -> Result<Vec<u8>> {
    let nbytes = n.checked_mul(8).filter(|&b| b <= MAX_BUFFERSIZE as u64);
    let nbytes =
        nbytes.ok_or(Error::InvalidParam { name: "nchunks", value: n as i64, reason: "too many chunks" })? as usize;
    chunk::special::repeat_value(&offsets_params(), nbytes, &value.to_le_bytes())
}

/// The parameters offsets chunks are compressed with.
fn offsets_params() -> CompressParams {
    CompressParams {
        codec: CodecId::BLOSCLZ,
        codec_meta: 0,
        clevel: 5,
        typesize: 8,
        filters: Pipeline::shuffle(),
        blocksize: 0,
        splitmode: SplitMode::ForwardCompat,
        nthreads: 1,
        geometry: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_kinds_follow_c_order() {
        assert_eq!(special_kind(SPECIAL_ZEROS, 0).unwrap(), SpecialKind::Zeros);
        assert_eq!(special_kind(SPECIAL_NAN, 0).unwrap(), SpecialKind::Nan);
        assert_eq!(special_kind(SPECIAL_UNINIT, 0).unwrap(), SpecialKind::Uninit);
        assert_eq!(special_kind(0x8300_0000_0000_0000_u64 as i64, 0).unwrap(), SpecialKind::Zeros);
        assert!(special_kind(i64::MIN, 0).is_err());
    }

    #[test]
    fn repeated_offsets_chunk_matches_fill_special() {
        let c = encode_offsets(&[SPECIAL_ZEROS; 11], OffsetsStyle::Appended).unwrap();
        assert_eq!(c.len(), 40);
        assert_eq!(&c[..4], &[5, 1, 5, 8]);
        assert_eq!(c[31], 0x30);
        assert_eq!(
            decode_offsets(&c, ChunkCount::Exactly(11), 0).unwrap(),
            Offsets::Repeated { value: SPECIAL_ZEROS, n: 11 }
        );
        assert!(decode_offsets(&c, ChunkCount::Exactly(12), 0).is_err());
    }
}
