//! The filter pipeline, `shared/spec/chunk.md` 8 and `shared/spec/filters.md` 9, and every
//! filter C-Blosc2 3.3 / python-blosc2 4.x write.
//!
//! A chunk header carries six filter slots ([`Pipeline`]). Compression runs the non-zero slots
//! in increasing order on each block ([`Pipeline::forward`]); decompression undoes them in
//! decreasing order ([`Pipeline::backward`] / [`Pipeline::backward_into`]). Every filter maps
//! a block to a block of the same size:
//!
//! | id | filter | module |
//! |---|---|---|
//! | 1 | SHUFFLE | [`shuffle`] |
//! | 2 | BITSHUFFLE | [`bitshuffle`] |
//! | 3 | DELTA | [`delta`] |
//! | 4 | TRUNC_PREC | [`trunc_prec`] |
//! | 32 | NDCELL (needs the array geometry, [`Block::geometry`]) | [`ndcell`] |
//! | 33 | NDMEAN (needs the array geometry) | [`ndmean`] |
//! | 34, 35 | BYTEDELTA (legacy, current) | [`bytedelta`] |
//! | 36 | INT_TRUNC | [`int_trunc`] |
//!
//! The buffers given to the pipeline are never modified except the destination and the
//! scratch buffer; in particular the C-Blosc2 encoder defect of `chunk.md` 8 (a third filter
//! writing into the caller's input) is not reproduced.
//!
//! ```
//! use blosc2_core::filter::{FilterId, Pipeline};
//!
//! let pipeline = Pipeline::shuffle();
//! let block: Vec<u8> = (0..64u32).flat_map(|v| v.to_le_bytes()).collect();
//! let (mut filtered, mut scratch) = (vec![0u8; 256], vec![0u8; 256]);
//! pipeline.forward(4, 0, &block, &block, &mut filtered, &mut scratch).unwrap();
//! assert_eq!(&filtered[..4], &[0, 1, 2, 3]); // byte-plane 0
//! pipeline.backward(4, 0, &mut filtered, &[], &mut scratch, 5).unwrap();
//! assert_eq!(filtered, block);
//! assert!(pipeline.contains(FilterId::SHUFFLE));
//! ```

use crate::error::{Error, Result};
use crate::geometry::NdGeometry;

pub mod bitshuffle;
pub mod bytedelta;
mod cells;
pub mod delta;
mod id;
pub mod int_trunc;
pub mod ndcell;
pub mod ndmean;
pub mod shuffle;
pub mod trunc_prec;

pub use id::FilterId;

/// The six-slot pipeline of a chunk header (`filters[0..6]`, `filters_meta[0..6]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pipeline {
    /// Filter id of each slot (0 = empty).
    pub filters: [u8; 6],
    /// Meta byte of each slot.
    pub meta: [u8; 6],
}

/// One filter step with its parameters resolved for a given block.
#[derive(Debug, Clone, Copy)]
enum Op {
    Shuffle(usize),
    Bitshuffle(usize),
    Delta,
    Bytedelta { s: usize, buggy: bool },
    TruncPrec(u8),
    IntTrunc(u8),
    NdCell(u8),
    NdMean(u8),
}

/// What the filters of one block may need besides its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    /// The header typesize (1..=255).
    pub typesize: usize,
    /// The block's offset in the chunk, in bytes (DELTA treats 0 specially).
    pub offset: usize,
    /// DELTA's reference: to compress, the chunk's original first block (equal to the
    /// source for block 0; for a shorter leftover block only its first bytes matter); to
    /// decompress, the decoded first block (ignored for block 0). Empty without DELTA.
    pub reference: &'a [u8],
    /// The b2nd geometry of the array the chunk belongs to (NDCELL, NDMEAN).
    pub geometry: Option<&'a NdGeometry>,
}

impl<'a> Block<'a> {
    /// A block of `typesize` elements at `offset`, with DELTA's `reference` and no
    /// geometry.
    pub fn new(typesize: usize, offset: usize, reference: &'a [u8]) -> Block<'a> {
        Block { typesize, offset, reference, geometry: None }
    }
}

/// Where the source of a forward step comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Recently written or read: in the cache.
    Cached,
    /// Memory: the shuffles fetch it ahead.
    Cold,
}

impl Op {
    /// Runs the forward step from `src` into `dst`.
    fn forward(self, cx: &Block<'_>, src: &[u8], from: Source, dst: &mut [u8]) -> Result<()> {
        match self {
            Op::Shuffle(s) if from == Source::Cold => shuffle::shuffle_cold(s, src, dst),
            Op::Shuffle(s) => shuffle::shuffle(s, src, dst),
            Op::Bitshuffle(s) if from == Source::Cold => bitshuffle::bitshuffle_cold(s, src, dst),
            Op::Bitshuffle(s) => bitshuffle::bitshuffle(s, src, dst),
            Op::Delta => delta::encode(cx.typesize, cx.offset, src, cx.reference, dst)?,
            Op::Bytedelta { s, buggy: false } => bytedelta::encode(s, src, dst),
            Op::Bytedelta { s, buggy: true } => bytedelta::encode_buggy(s, src, dst),
            Op::TruncPrec(meta) => trunc_prec::apply(cx.typesize, meta, src, dst)?,
            Op::IntTrunc(meta) => int_trunc::apply(cx.typesize, meta, src, dst)?,
            Op::NdCell(meta) => ndcell::forward(meta, cx.typesize, cx.geometry, src, dst)?,
            Op::NdMean(meta) => ndmean::forward(meta, cx.typesize, cx.geometry, src, dst)?,
        }
        Ok(())
    }

    /// Whether the backward step can run in place.
    fn in_place(self) -> bool {
        matches!(self, Op::Delta | Op::Bytedelta { .. })
    }

    /// Runs the backward step in place (only for [`Op::in_place`] steps).
    fn backward_in_place(self, cx: &Block<'_>, buf: &mut [u8]) -> Result<()> {
        match self {
            Op::Delta => delta::decode(cx.typesize, cx.offset, buf, cx.reference)?,
            Op::Bytedelta { s, buggy: false } => bytedelta::decode(s, buf),
            Op::Bytedelta { s, buggy: true } => bytedelta::decode_buggy(s, buf),
            _ => unreachable!("not an in-place step"),
        }
        Ok(())
    }

    /// Runs the backward step from `src` into `dst`.
    fn backward(self, cx: &Block<'_>, src: &[u8], dst: &mut [u8]) -> Result<()> {
        match self {
            Op::Shuffle(s) => shuffle::unshuffle(s, src, dst),
            Op::Bitshuffle(s) => bitshuffle::bitunshuffle(s, src, dst),
            Op::Delta => delta::decode_into(cx.typesize, cx.offset, src, cx.reference, dst)?,
            Op::Bytedelta { s, buggy } => bytedelta::decode_into(s, src, dst, buggy),
            Op::TruncPrec(_) | Op::IntTrunc(_) => dst.copy_from_slice(src),
            Op::NdCell(meta) => ndcell::backward(meta, cx.typesize, cx.geometry, src, dst)?,
            Op::NdMean(meta) => ndmean::backward(meta, cx.typesize, cx.geometry, src, dst)?,
        }
        Ok(())
    }
}

fn check_typesize(typesize: usize) -> Result<()> {
    if typesize == 0 {
        return Err(Error::InvalidParam { name: "typesize", value: 0, reason: "typesize must be at least 1" });
    }
    Ok(())
}

fn check_scratch(needed: usize, available: usize) -> Result<()> {
    if available < needed {
        return Err(Error::DestinationTooSmall { needed, available });
    }
    Ok(())
}

fn check_same_len(src: usize, dst: usize) -> Result<()> {
    if src != dst {
        return Err(Error::InvalidParam {
            name: "dst.len()",
            value: i64::try_from(dst).unwrap_or(i64::MAX),
            reason: "the filtered block must be as long as the block",
        });
    }
    Ok(())
}

/// Up to six steps in execution order.
#[derive(Default)]
struct Ops {
    ops: [Option<Op>; 6],
    len: usize,
}

impl Ops {
    fn push(&mut self, op: Op) {
        self.ops[self.len] = Some(op);
        self.len += 1;
    }

    fn iter(&self) -> impl Iterator<Item = Op> + '_ {
        self.ops[..self.len].iter().flatten().copied()
    }
}

impl Pipeline {
    /// python-blosc2's default: SHUFFLE in slot 5.
    pub fn shuffle() -> Pipeline {
        Pipeline::single(FilterId::SHUFFLE)
    }

    /// A pipeline with a single filter in slot 5 (meta 0), like python-blosc2's
    /// `filters=[F]`.
    pub fn single(id: FilterId) -> Pipeline {
        let mut p = Pipeline::default();
        p.filters[5] = id.0;
        p
    }

    /// Whether any slot holds `id`.
    pub fn contains(&self, id: FilterId) -> bool {
        id.0 != 0 && self.filters.contains(&id.0)
    }

    /// Whether the pipeline has no active slot.
    pub fn is_empty(&self) -> bool {
        self.filters.iter().all(|&f| f == 0)
    }

    /// The pipeline as written into a chunk or frame header for elements of `typesize` bytes
    /// (the header typesize): BYTEDELTA's meta 0, which means "the typesize", is written out
    /// as the typesize. C-Blosc2's BYTEDELTA reads meta 0 as the super-chunk's typesize and
    /// fails on a chunk decoded on its own (`blosc2_decompress`), and python-blosc2 writes the
    /// typesize itself (`CParams`, `compress2`); so do we. Other slots are kept as they are.
    pub fn as_written(&self, typesize: usize) -> Pipeline {
        let mut p = *self;
        for (id, meta) in p.filters.iter().zip(p.meta.iter_mut()) {
            if *meta == 0 && FilterId(*id) == FilterId::BYTEDELTA {
                *meta = u8::try_from(typesize).unwrap_or(0);
            }
        }
        p
    }

    /// Checks, before compressing, that every non-zero id is one we implement and that its
    /// parameters fit `typesize` (the header typesize, 1..=255).
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidParam`] if `typesize` is 0 or above 255;
    /// * [`Error::UnsupportedFilter`] for unknown ids;
    /// * [`Error::InvalidFilterParams`] for TRUNC_PREC / INT_TRUNC with a wrong typesize or
    ///   meta byte, for the legacy BYTEDELTA_BUGGY (34, decode only: write 35), for DELTA
    ///   placed after a lossy filter (the decoder's reference would differ from the encoder's,
    ///   `filters.md` 4), and for DELTA after any other filter (C-Blosc2 decodes such chunks
    ///   wrongly with more than one thread, its default).
    pub fn validate_for_compression(&self, typesize: usize) -> Result<()> {
        if typesize == 0 || typesize > 255 {
            return Err(Error::InvalidParam {
                name: "typesize",
                value: typesize as i64,
                reason: "the header typesize must be 1..=255",
            });
        }
        let mut lossy_before = false;
        let mut filter_before = false;
        for (&id, &meta) in self.filters.iter().zip(&self.meta) {
            let invalid = |reason| Error::InvalidFilterParams { filter: id, typesize, meta, reason };
            match FilterId(id) {
                FilterId::NOFILTER | FilterId::SHUFFLE | FilterId::BITSHUFFLE => {}
                FilterId::BYTEDELTA => {}
                // Their parameters and geometry are checked on each block, where C-Blosc2
                // checks them (chunks stored as they are never run the filters).
                FilterId::NDCELL | FilterId::NDMEAN => {}
                FilterId::DELTA => {
                    if lossy_before {
                        return Err(invalid("DELTA after a lossy filter cannot be decoded"));
                    }
                    // C-Blosc2's multi-threaded decoder (python-blosc2's default) reads the
                    // first block's final bytes as DELTA's reference while other threads
                    // undo DELTA; that holds only when DELTA is the last step undone.
                    if filter_before {
                        return Err(invalid(
                            "DELTA must come before every other filter (C-Blosc2 decodes it wrongly with threads otherwise)",
                        ));
                    }
                }
                FilterId::TRUNC_PREC => {
                    trunc_prec::zeroed_bits(typesize, meta)?;
                }
                FilterId::INT_TRUNC => {
                    int_trunc::zeroed_bits(typesize, meta)?;
                }
                FilterId::BYTEDELTA_BUGGY => {
                    return Err(invalid("legacy BYTEDELTA_BUGGY (34) is decode-only; use 35"));
                }
                _ => return Err(Error::UnsupportedFilter(id)),
            }
            lossy_before |= FilterId(id).is_lossy();
            filter_before |= id != FilterId::NOFILTER.0;
        }
        Ok(())
    }

    /// The forward steps for a block of `len` bytes, skipping identities.
    fn forward_ops(&self, typesize: usize, len: usize) -> Result<Ops> {
        let mut ops = Ops::default();
        for (&id, &meta) in self.filters.iter().zip(&self.meta) {
            let op = match FilterId(id) {
                FilterId::NOFILTER => None,
                FilterId::TRUNC_PREC => {
                    trunc_prec::zeroed_bits(typesize, meta)?;
                    Some(Op::TruncPrec(meta))
                }
                FilterId::INT_TRUNC => {
                    int_trunc::zeroed_bits(typesize, meta)?;
                    Some(Op::IntTrunc(meta))
                }
                _ => common_op(id, meta, typesize, len, 5)?,
            };
            if let Some(op) = op {
                ops.push(op);
            }
        }
        Ok(ops)
    }

    /// The backward steps for a block of `len` bytes, in decreasing slot order, skipping
    /// identities (TRUNC_PREC, INT_TRUNC, and blocks too small for a filter to act).
    /// The element size of the byte shuffle when undoing the filters on a block of `len`
    /// bytes is that shuffle alone (the other slots are empty or identities on decoding);
    /// `None` for any other pipeline.
    ///
    /// # Errors
    /// As [`Pipeline::backward`], for a pipeline it cannot undo.
    pub fn only_shuffle(&self, typesize: usize, len: usize, chunk_version: u8) -> Result<Option<usize>> {
        let ops = self.backward_plan(typesize, len, None, chunk_version)?;
        Ok(match (ops.len, ops.ops[0]) {
            (1, Some(Op::Shuffle(s))) => Some(s),
            _ => None,
        })
    }

    /// [`Pipeline::backward_ops`] after the checks of every backward entry point: the
    /// typesize, then, for an output in a second buffer of `dst_len` bytes, its length.
    fn backward_plan(&self, typesize: usize, len: usize, dst_len: Option<usize>, chunk_version: u8) -> Result<Ops> {
        check_typesize(typesize)?;
        if let Some(dst_len) = dst_len {
            check_same_len(len, dst_len)?;
        }
        self.backward_ops(typesize, len, chunk_version)
    }

    fn backward_ops(&self, typesize: usize, len: usize, chunk_version: u8) -> Result<Ops> {
        let mut ops = Ops::default();
        for (&id, &meta) in self.filters.iter().zip(&self.meta).rev() {
            let op = match FilterId(id) {
                FilterId::NOFILTER | FilterId::TRUNC_PREC | FilterId::INT_TRUNC => None,
                _ => common_op(id, meta, typesize, len, chunk_version)?,
            };
            if let Some(op) = op {
                ops.push(op);
            }
        }
        Ok(ops)
    }

    /// Runs the forward filters on one block (slots in increasing order, skipping 0), with
    /// no array geometry ([`Pipeline::forward_block`] with [`Block::new`]).
    ///
    /// * `src`: the block's original bytes (never modified).
    /// * `reference`: the chunk's original first block (for DELTA; equals `src` for block 0;
    ///   for a shorter leftover block only its first `src.len()` bytes matter).
    /// * `block_offset`: the block's offset in the chunk in bytes (DELTA treats 0 specially).
    /// * `dst`: receives the filtered block (`dst.len() == src.len()`).
    /// * `scratch`: at least `src.len()` bytes of working space.
    ///
    /// # Errors
    ///
    /// As [`Pipeline::forward_block`].
    pub fn forward(
        &self,
        typesize: usize,
        block_offset: usize,
        src: &[u8],
        reference: &[u8],
        dst: &mut [u8],
        scratch: &mut [u8],
    ) -> Result<()> {
        self.forward_block(&Block::new(typesize, block_offset, reference), src, dst, scratch)
    }

    /// [`Pipeline::forward`] for a `src` read from memory rather than the cache (a block of
    /// a large array): the first step fetches it ahead where that pays. Same output.
    ///
    /// # Errors
    ///
    /// As [`Pipeline::forward`].
    pub fn forward_cold(
        &self,
        typesize: usize,
        block_offset: usize,
        src: &[u8],
        reference: &[u8],
        dst: &mut [u8],
        scratch: &mut [u8],
    ) -> Result<()> {
        self.forward_block_cold(&Block::new(typesize, block_offset, reference), src, dst, scratch)
    }

    /// Runs the forward filters on the block `src` described by `block` into `dst`
    /// (`dst.len() == src.len()`), with `scratch` (at least `src.len()` bytes) as working
    /// space when there are two steps or more. `src` is never modified.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedFilter`], [`Error::InvalidFilterParams`] (TRUNC_PREC/INT_TRUNC
    /// parameters, DELTA reference too short, NDCELL/NDMEAN parameters or geometry that
    /// C-Blosc2 refuses too), [`Error::MissingGeometry`] (NDCELL/NDMEAN without geometry),
    /// [`Error::InvalidParam`] (typesize 0, `dst` of another length),
    /// [`Error::DestinationTooSmall`] (scratch too short).
    pub fn forward_block(&self, block: &Block<'_>, src: &[u8], dst: &mut [u8], scratch: &mut [u8]) -> Result<()> {
        self.forward_from(block, (src, Source::Cached), dst, scratch)
    }

    /// [`Pipeline::forward_block`] for a `src` read from memory rather than the cache, like
    /// [`Pipeline::forward_cold`]. Same output.
    ///
    /// # Errors
    ///
    /// As [`Pipeline::forward_block`].
    pub fn forward_block_cold(&self, block: &Block<'_>, src: &[u8], dst: &mut [u8], scratch: &mut [u8]) -> Result<()> {
        self.forward_from(block, (src, Source::Cold), dst, scratch)
    }

    fn forward_from(
        &self,
        cx: &Block<'_>,
        (src, from): (&[u8], Source),
        dst: &mut [u8],
        scratch: &mut [u8],
    ) -> Result<()> {
        let typesize = cx.typesize;
        check_typesize(typesize)?;
        check_same_len(src.len(), dst.len())?;
        let len = src.len();
        let ops = self.forward_ops(typesize, len)?;
        if ops.len > 1 {
            check_scratch(len, scratch.len())?;
        }
        let mut steps = ops.iter();
        let Some(first) = steps.next() else {
            dst.copy_from_slice(src);
            return Ok(());
        };
        // Every step reads one buffer and writes the other; start so that the last one
        // writes `dst`.
        let scratch_len = len.min(scratch.len());
        let scratch = &mut scratch[..scratch_len];
        let mut in_dst = ops.len % 2 == 1;
        if in_dst {
            first.forward(cx, src, from, dst)?;
        } else {
            first.forward(cx, src, from, scratch)?;
        }
        for op in steps {
            if in_dst {
                op.forward(cx, dst, Source::Cached, scratch)?;
            } else {
                op.forward(cx, scratch, Source::Cached, dst)?;
            }
            in_dst = !in_dst;
        }
        debug_assert!(in_dst);
        Ok(())
    }

    /// Undoes the filters on one block in place (slots in decreasing order; TRUNC_PREC does
    /// nothing, INT_TRUNC is a copy), with no array geometry ([`Pipeline::backward_block`]
    /// with [`Block::new`]).
    ///
    /// * `buf`: the filtered block in, the decoded block out.
    /// * `reference`: the fully decoded first block of the chunk (DELTA; ignored when
    ///   `block_offset == 0`).
    /// * `scratch`: at least `buf.len()` bytes of working space.
    /// * `chunk_version`: header byte 0 (version 2 selects the bitshuffle rule of
    ///   `filters.md` 3.3).
    ///
    /// # Errors
    ///
    /// As [`Pipeline::backward_block`].
    pub fn backward(
        &self,
        typesize: usize,
        block_offset: usize,
        buf: &mut [u8],
        reference: &[u8],
        scratch: &mut [u8],
        chunk_version: u8,
    ) -> Result<()> {
        self.backward_block(&Block::new(typesize, block_offset, reference), buf, scratch, chunk_version)
    }

    /// Undoes the filters on the block `buf` described by `block`, in place, with `scratch`
    /// (at least `buf.len()` bytes) as working space; `chunk_version` is header byte 0.
    ///
    /// At most one copy happens, and only when the steps that cannot run in place (SHUFFLE,
    /// BITSHUFFLE, NDCELL, NDMEAN) are odd in number and no in-place step can absorb the
    /// swap.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedFilter`] for unknown ids; [`Error::InvalidFilterParams`] when
    /// DELTA's reference is too short or NDCELL/NDMEAN cannot run with this meta, typesize
    /// and geometry; [`Error::MissingGeometry`] for NDCELL/NDMEAN without geometry;
    /// [`Error::InvalidParam`] for typesize 0; [`Error::DestinationTooSmall`] when `scratch`
    /// is too short. Never panics, whatever the header said.
    pub fn backward_block(
        &self,
        block: &Block<'_>,
        buf: &mut [u8],
        scratch: &mut [u8],
        chunk_version: u8,
    ) -> Result<()> {
        let len = buf.len();
        let ops = self.backward_plan(block.typesize, len, None, chunk_version)?;
        if ops.iter().all(Op::in_place) {
            for op in ops.iter() {
                op.backward_in_place(block, buf)?;
            }
            return Ok(());
        }
        check_scratch(len, scratch.len())?;
        run_backward(&ops, block, buf, &mut scratch[..len], false)
    }

    /// Undoes the filters on one block from `filtered` into `dst`, avoiding the final copy of
    /// [`Pipeline::backward`]: with a single SHUFFLE the block is unshuffled straight into
    /// `dst`. `filtered` is used as working space and holds garbage afterwards.
    ///
    /// Same arguments and errors as [`Pipeline::backward`];
    /// [`Error::InvalidParam`] if the two buffers differ in length.
    pub fn backward_into(
        &self,
        typesize: usize,
        block_offset: usize,
        filtered: &mut [u8],
        dst: &mut [u8],
        reference: &[u8],
        chunk_version: u8,
    ) -> Result<()> {
        self.backward_block_into(&Block::new(typesize, block_offset, reference), filtered, dst, chunk_version)
    }

    /// [`Pipeline::backward_into`] for the block described by `block`.
    ///
    /// # Errors
    ///
    /// As [`Pipeline::backward_block`]; [`Error::InvalidParam`] if the two buffers differ
    /// in length.
    pub fn backward_block_into(
        &self,
        block: &Block<'_>,
        filtered: &mut [u8],
        dst: &mut [u8],
        chunk_version: u8,
    ) -> Result<()> {
        let ops = self.backward_plan(block.typesize, filtered.len(), Some(dst.len()), chunk_version)?;
        run_backward(&ops, block, filtered, dst, true)
    }
}

impl Pipeline {
    /// [`Pipeline::backward_block_into`] for large outputs not read back soon: `dst` is
    /// written with streaming stores (see [`crate::streaming`]). A single SHUFFLE unshuffles
    /// straight into `dst`, and so does a single BITSHUFFLE; other pipelines run into
    /// `staging` (resized as needed, kept for reuse) and are then copied.
    ///
    /// # Errors
    ///
    /// As [`Pipeline::backward_block_into`].
    pub fn backward_block_into_streaming(
        &self,
        block: &Block<'_>,
        filtered: &mut [u8],
        dst: &mut [u8],
        chunk_version: u8,
        staging: &mut Vec<u8>,
    ) -> Result<()> {
        let len = dst.len();
        let ops = self.backward_plan(block.typesize, filtered.len(), Some(len), chunk_version)?;
        match (ops.len, ops.ops[0]) {
            (1, Some(Op::Shuffle(s))) => {
                shuffle::unshuffle_streaming(s, filtered, dst);
                return Ok(());
            }
            (1, Some(Op::Bitshuffle(s))) => {
                bitshuffle::bitunshuffle_streaming(s, filtered, dst);
                return Ok(());
            }
            _ => {}
        }
        if staging.len() < len {
            staging.resize(len, 0);
        }
        run_backward(&ops, block, filtered, &mut staging[..len], true)?;
        crate::streaming::copy(dst, &staging[..len]);
        Ok(())
    }
}

/// The step for a filter slot that acts in both directions (SHUFFLE, BITSHUFFLE, DELTA,
/// BYTEDELTA, NDCELL, NDMEAN), or `None` when it is an identity on a block of `len` bytes.
fn common_op(id: u8, meta: u8, typesize: usize, len: usize, chunk_version: u8) -> Result<Option<Op>> {
    Ok(match FilterId(id) {
        FilterId::SHUFFLE => {
            let s = if meta == 0 { typesize } else { usize::from(meta) };
            (s > 1 && len / s > 0).then_some(Op::Shuffle(s))
        }
        FilterId::BITSHUFFLE => {
            let n = len / typesize;
            // filters.md 3.3: Blosc1 chunks did not bitshuffle blocks of n % 8 != 0 elements.
            let skip = n < 8 || (chunk_version == 2 && !n.is_multiple_of(8));
            (!skip).then_some(Op::Bitshuffle(typesize))
        }
        FilterId::DELTA => Some(Op::Delta),
        FilterId::NDCELL => Some(Op::NdCell(meta)),
        FilterId::NDMEAN => Some(Op::NdMean(meta)),
        FilterId::BYTEDELTA | FilterId::BYTEDELTA_BUGGY => {
            let s = if meta == 0 { typesize } else { usize::from(meta) };
            let buggy = id == FilterId::BYTEDELTA_BUGGY.0;
            (len / s > 1).then_some(Op::Bytedelta { s, buggy })
        }
        _ => return Err(Error::UnsupportedFilter(id)),
    })
}

/// Runs backward steps with the data starting in `x`, ping-ponging with `y`; the result ends
/// in `y` when `want_y`, else in `x`. If the out-of-place steps leave the data in the wrong
/// buffer, the first in-place step is run out of place instead, or else one copy is made.
fn run_backward(ops: &Ops, cx: &Block<'_>, x: &mut [u8], y: &mut [u8], want_y: bool) -> Result<()> {
    let swaps = ops.iter().filter(|op| !op.in_place()).count();
    let mut extra_swap = (swaps % 2 == 1) != want_y;
    let mut in_x = true;
    for op in ops.iter() {
        let out_of_place = if op.in_place() { std::mem::take(&mut extra_swap) } else { true };
        if out_of_place {
            if in_x {
                op.backward(cx, x, y)?;
            } else {
                op.backward(cx, y, x)?;
            }
            in_x = !in_x;
        } else if in_x {
            op.backward_in_place(cx, x)?;
        } else {
            op.backward_in_place(cx, y)?;
        }
    }
    if in_x == want_y {
        if want_y {
            y.copy_from_slice(x);
        } else {
            x.copy_from_slice(y);
        }
    }
    Ok(())
}

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;
