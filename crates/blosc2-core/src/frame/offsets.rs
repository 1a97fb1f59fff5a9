//! The offsets chunk: where each chunk of a frame lives, including the special offsets
//! that stand for zero, NaN and uninitialized chunks stored nowhere
//! (`shared/spec/frame.md` 4).

use crate::chunk::{self, CompressParams, SpecialKind, SplitMode};
use crate::codec::CodecId;
use crate::error::{Error, FramePart, Result};
use crate::filter::Pipeline;
use crate::header::{ChunkHeader, EXTENDED_HEADER_LEN, MAX_BUFFERSIZE};
use std::sync::{Arc, OnceLock};

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
#[derive(Debug, Clone)]
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
    /// Decoded a block at a time, when first asked for (a frame opened for reading): the
    /// offsets chunk is kept compressed, as C-Blosc2 keeps it.
    Lazy(Arc<LazyOffsets>),
}

impl PartialEq for Offsets {
    fn eq(&self, other: &Offsets) -> bool {
        match (self, other) {
            (Offsets::List(a), Offsets::List(b)) => a == b,
            (Offsets::Repeated { value: a, n: m }, Offsets::Repeated { value: b, n }) => a == b && m == n,
            (Offsets::Lazy(a), Offsets::Lazy(b)) => a.n == b.n && a.chunk == b.chunk,
            _ => false,
        }
    }
}

impl Eq for Offsets {}

impl Offsets {
    /// Number of chunks.
    pub fn len(&self) -> u64 {
        match self {
            Offsets::List(v) => v.len() as u64,
            Offsets::Repeated { n, .. } => *n,
            Offsets::Lazy(l) => l.n,
        }
    }

    /// Whether there are no chunks.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The offset of chunk `i` (`None` past the end).
    ///
    /// # Errors
    /// For lazily decoded offsets, when the block holding `i` does not decode or holds an
    /// offset the frame cannot have ([`Error::InvalidFrame`], part `Offsets`).
    pub fn get(&self, i: u64) -> Result<Option<i64>> {
        Ok(match self {
            Offsets::List(v) => usize::try_from(i).ok().and_then(|i| v.get(i).copied()),
            Offsets::Repeated { value, n } => (i < *n).then_some(*value),
            Offsets::Lazy(l) => return l.get(i),
        })
    }

    /// All offsets as a vector.
    ///
    /// # Errors
    /// As [`Offsets::get`].
    pub fn to_vec(&self) -> Result<Vec<i64>> {
        Ok(match self {
            Offsets::List(v) => v.clone(),
            Offsets::Repeated { value, n } => vec![*value; *n as usize],
            Offsets::Lazy(l) => {
                let mut v = Vec::with_capacity(l.n as usize);
                for b in 0..l.blocks.len() {
                    v.extend_from_slice(l.block(b)?);
                }
                v
            }
        })
    }
}

/// What a frame's offsets may hold, checked as they are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetRules {
    /// Whether special offsets may appear (only in frames with a fixed chunk size).
    pub specials: bool,
    /// Length of the chunks section of a contiguous frame, which every stored chunk's
    /// header must fit in (`None` for sparse frames, whose offsets name files).
    pub chunks_len: Option<u64>,
}

impl OffsetRules {
    /// Checks offset `o` of chunk `i`.
    ///
    /// # Errors
    /// [`Error::InvalidFrame`] (part `Offsets`) for an unknown special value, a special
    /// offset where none may be, or a chunk outside the chunks section.
    pub fn check(&self, i: u64, o: i64) -> Result<()> {
        let bad = |reason: String| Error::InvalidFrame { part: FramePart::Offsets, offset: 0, reason };
        if o < 0 {
            special_kind(o, i)?;
            if !self.specials {
                return Err(bad(format!("chunk {i}: special offset in a frame without a fixed chunksize")));
            }
        } else if let Some(len) = self.chunks_len {
            if o as u64 + EXTENDED_HEADER_LEN as u64 > len {
                return Err(bad(format!("chunk {i}: offset {o} outside the chunks section ({len} bytes)")));
            }
        }
        Ok(())
    }
}

/// An offsets chunk kept compressed, its blocks decoded (and checked) on first use.
pub struct LazyOffsets {
    chunk: Vec<u8>,
    n: u64,
    per_block: usize,
    blocks: Box<[OnceLock<Box<[i64]>>]>,
    rules: OffsetRules,
    pos: u64,
}

impl std::fmt::Debug for LazyOffsets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let decoded = self.blocks.iter().filter(|b| b.get().is_some()).count();
        f.debug_struct("LazyOffsets")
            .field("n", &self.n)
            .field("blocks", &self.blocks.len())
            .field("decoded", &decoded)
            .finish()
    }
}

impl LazyOffsets {
    fn get(&self, i: u64) -> Result<Option<i64>> {
        if i >= self.n {
            return Ok(None);
        }
        let b = (i / self.per_block as u64) as usize;
        Ok(Some(self.block(b)?[(i % self.per_block as u64) as usize]))
    }

    /// Block `b`'s offsets, decoded and checked once.
    fn block(&self, b: usize) -> Result<&[i64]> {
        if let Some(v) = self.blocks[b].get() {
            return Ok(v);
        }
        let bad = |reason: String| Error::InvalidFrame { part: FramePart::Offsets, offset: self.pos, reason };
        let first = b as u64 * self.per_block as u64;
        let count = (self.n - first).min(self.per_block as u64) as usize;
        let bytes = chunk::decompress_block(&self.chunk, b)
            .map_err(|e| bad(format!("offsets chunk block {b} does not decompress: {e}")))?;
        if bytes.len() != count * 8 {
            return Err(bad(format!(
                "offsets chunk block {b} holds {} bytes, {count} offsets need {}",
                bytes.len(),
                count * 8
            )));
        }
        let v: Box<[i64]> = bytes.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
        for (k, &o) in v.iter().enumerate() {
            self.rules.check(first + k as u64, o)?;
        }
        Ok(self.blocks[b].get_or_init(|| v))
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
    let (h, n) = offsets_header(chunk, count, pos)?;
    if let Some(o) = compact_offsets(chunk, &h, n) {
        return Ok(o);
    }
    decode_all(chunk, &h, pos)
}

/// As [`decode_offsets`], keeping a compressed offsets chunk whose blocks hold whole
/// offsets as it is, its blocks decoded on first use and checked against `rules` then.
/// Other chunks are decoded at once and checked here.
///
/// # Errors
/// As [`decode_offsets`], plus the errors of [`OffsetRules::check`] for offsets decoded
/// now.
pub fn decode_offsets_lazily(chunk: Vec<u8>, count: ChunkCount, pos: u64, rules: OffsetRules) -> Result<Offsets> {
    let (h, n) = offsets_header(&chunk, count, pos)?;
    if let Some(o) = compact_offsets(&chunk, &h, n) {
        if let Offsets::Repeated { value, n } = o {
            if n > 0 {
                rules.check(0, value)?;
            }
        }
        return Ok(o);
    }
    let blocksize = h.blocksize();
    if h.is_vl_blocks() || h.special().is_some() || blocksize % 8 != 0 || n == 0 {
        let o = decode_all(&chunk, &h, pos)?;
        if let Offsets::List(v) = &o {
            v.iter().enumerate().try_for_each(|(i, &x)| rules.check(i as u64, x))?;
        }
        return Ok(o);
    }
    let per_block = blocksize / 8;
    let nblocks = n.div_ceil(per_block as u64) as usize;
    let blocks = (0..nblocks).map(|_| OnceLock::new()).collect();
    Ok(Offsets::Lazy(Arc::new(LazyOffsets { chunk, n, per_block, blocks, rules, pos })))
}

/// Checks an offsets chunk's header against the number of chunks it must list, which it
/// returns.
fn offsets_header(chunk: &[u8], count: ChunkCount, pos: u64) -> Result<(ChunkHeader, u64)> {
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
    Ok((h, n))
}

/// The offsets of a repeated-value or all-zero offsets chunk, kept compact.
fn compact_offsets(chunk: &[u8], h: &ChunkHeader, n: u64) -> Option<Offsets> {
    if h.special() == Some(SpecialKind::Value) && h.cbytes == 40 {
        let v = i64::from_le_bytes(chunk[32..40].try_into().expect("8 bytes"));
        return Some(Offsets::Repeated { value: v, n });
    }
    if h.special() == Some(SpecialKind::Zeros) {
        return Some(Offsets::Repeated { value: 0, n });
    }
    None
}

/// Decodes every offset of an offsets chunk.
fn decode_all(chunk: &[u8], h: &ChunkHeader, pos: u64) -> Result<Offsets> {
    let bad = |reason: String| Error::InvalidFrame { part: FramePart::Offsets, offset: pos, reason };
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
        use_dict: false,
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

    fn rules(chunks_len: u64) -> OffsetRules {
        OffsetRules { specials: true, chunks_len: Some(chunks_len) }
    }

    #[test]
    fn lazy_offsets_equal_the_eager_decoding() {
        for n in [1usize, 2047, 2048, 2049, 5000, 20_000] {
            let list: Vec<i64> = (0..n as i64).map(|i| if i % 7 == 3 { SPECIAL_ZEROS } else { i * 100 }).collect();
            for style in [OffsetsStyle::Appended, OffsetsStyle::Serialized] {
                let c = encode_offsets(&list, style).unwrap();
                let eager = decode_offsets(&c, ChunkCount::Exactly(n as u64), 0).unwrap();
                let lazy = decode_offsets_lazily(c, ChunkCount::Exactly(n as u64), 0, rules(n as u64 * 100)).unwrap();
                assert_eq!(lazy.len(), n as u64);
                // Read from the end first: each block decodes on its own.
                for i in (0..n as u64).rev() {
                    assert_eq!(lazy.get(i).unwrap(), eager.get(i).unwrap(), "n {n}, chunk {i}");
                }
                assert_eq!(lazy.get(n as u64).unwrap(), None);
                assert_eq!(lazy.to_vec().unwrap(), list);
            }
        }
    }

    #[test]
    fn lazy_offsets_decode_only_the_blocks_asked_for() {
        // Appended style: 16 KiB blocks of 2048 offsets.
        let list: Vec<i64> = (0..5000).map(|i| i * 64).collect();
        let c = encode_offsets(&list, OffsetsStyle::Appended).unwrap();
        let o = decode_offsets_lazily(c, ChunkCount::Exactly(5000), 0, rules(5000 * 64)).unwrap();
        let Offsets::Lazy(l) = &o else { panic!("not lazy: {o:?}") };
        assert_eq!(l.blocks.len(), 3);
        assert!(l.blocks.iter().all(|b| b.get().is_none()));
        assert_eq!(o.get(4999).unwrap(), Some(4999 * 64));
        let decoded: Vec<bool> = l.blocks.iter().map(|b| b.get().is_some()).collect();
        assert_eq!(decoded, [false, false, true]);
    }

    #[test]
    fn a_bad_offset_fails_its_own_block_only() {
        let mut list: Vec<i64> = (0..5000).map(|i| i * 64).collect();
        list[3000] = 1 << 40; // far outside the chunks section
        list[4500] = 0x0800_0000_0000_0000_u64 as i64 | i64::MIN; // no known special kind
        let c = encode_offsets(&list, OffsetsStyle::Appended).unwrap();
        let o = decode_offsets_lazily(c, ChunkCount::Exactly(5000), 7, rules(5000 * 64)).unwrap();
        assert_eq!(o.get(10).unwrap(), Some(640));
        let e = o.get(3001).unwrap_err();
        assert!(e.to_string().contains("chunk 3000"), "{e}");
        assert!(matches!(o.get(4999), Err(Error::InvalidFrame { part: FramePart::Offsets, .. })));
        assert!(o.to_vec().is_err());
        // Without specials allowed, a special offset is refused.
        let c = encode_offsets(&[0, SPECIAL_ZEROS], OffsetsStyle::Appended).unwrap();
        let rules = OffsetRules { specials: false, chunks_len: Some(1000) };
        let o = decode_offsets_lazily(c, ChunkCount::Exactly(2), 0, rules).unwrap();
        assert!(o.get(1).is_err());
    }
}
