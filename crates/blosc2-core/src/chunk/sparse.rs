//! Chunks that are almost all zeros: building one from its non-zero blocks without
//! compressing the others, and finding the non-zero blocks of a stored chunk without
//! decompressing it (`shared/spec/chunk.md` 4 and 9).
//!
//! [`compress`] stores a block whose streams are runs of zeros as one stream size of 0 per
//! stream (C-Blosc2 does the same), so the chunk of a mostly empty buffer is its header,
//! one block start per block, a few zero sizes per empty block and the streams of the
//! others. [`SparseChunkEncoder`] writes exactly that from the non-empty blocks alone: a
//! count cube chunk of 15.6 MB with a handful of stars costs a few kB and microseconds
//! instead of a scan and a compression of the whole buffer. Its chunks are byte for byte
//! the ones [`compress`] makes of the whole buffer.
//!
//! ```
//! use blosc2_core::chunk::{self, CompressParams, SparseChunkEncoder};
//!
//! let p = CompressParams { typesize: 1, blocksize: 1000, ..CompressParams::default() };
//! let enc = SparseChunkEncoder::new(&p, 100_000).unwrap();
//! let mut block = vec![0u8; 1000];
//! block[17] = 3;
//! let c = enc.encode(&[(42, &block[..])]).unwrap();
//! let mut dense = vec![0u8; 100_000];
//! dense[42_017] = 3;
//! assert_eq!(c, chunk::compress(&p, &dense).unwrap());
//! assert_eq!(chunk::sparse::nonzero_blocks(&c), Some(vec![42]));
//! ```
//!
//! [`compress`]: super::compress

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::RwLock;

use super::compressor::{compress_lone_block, lone_block_layout, BlockLayout};
use super::CompressParams;
use crate::error::{Error, Result};
use crate::filter::FilterId;
use crate::header::{flags, ChunkHeader, SpecialKind, EXTENDED_HEADER_LEN, MAX_OVERHEAD};

/// Most block streams remembered per encoder (a few tens of bytes each).
const MEMO_MAX: usize = 1 << 17;

/// Block streams by (offset, value) of the block's only non-zero byte.
type Memo = HashMap<(u32, u8), Box<[u8]>>;

thread_local! {
    /// The room a block's streams are compressed into before they are copied to the chunk.
    static ROOM: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// A block of zeros that blocks given by their non-zero bytes are built in.
    static BLOCK: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Builds the chunks of `nbytes` bytes that [`super::compress`] makes with given parameters
/// from their non-zero blocks only.
///
/// Blocks are given by index, in increasing order, either as their bytes
/// ([`SparseChunkEncoder::encode`]) or as their non-zero bytes
/// ([`SparseChunkEncoder::encode_bytes`]); the blocks not given are zeros. Each given block
/// is filtered and compressed on its own, as `compress` does it inside the chunk; the
/// others cost four zero bytes per stream. The streams of blocks with a single non-zero
/// byte (a count cube's usual block) are remembered by (offset, value) and reused.
///
/// When the blocks of a chunk cannot be compressed one at a time (DELTA, which codes every
/// block against the first one; dictionaries, built from the whole chunk; clevel 0 and
/// chunks below 128 bytes, stored as they are) the encoder builds the whole buffer and
/// compresses it: the output is the same, only slower. An encoder can be shared by the
/// threads that build chunks in parallel.
#[derive(Debug)]
pub struct SparseChunkEncoder {
    params: CompressParams,
    nbytes: usize,
    layout: BlockLayout,
    /// The chunk header (`cbytes` to fill in); `None` when blocks are not compressed apart.
    header: Option<ChunkHeader>,
    /// Streams of whole blocks whose only non-zero byte is `value` at `offset`, by
    /// `(offset, value)`.
    memo: RwLock<Memo>,
}

impl SparseChunkEncoder {
    /// An encoder for chunks of `nbytes` bytes compressed with `params` (its block size,
    /// automatic when `params.blocksize` is 0, is [`SparseChunkEncoder::blocksize`]).
    ///
    /// # Errors
    /// Invalid parameters, as [`super::compress`].
    pub fn new(params: &CompressParams, nbytes: usize) -> Result<SparseChunkEncoder> {
        let (layout, mut header) = lone_block_layout(params, nbytes)?;
        if header.is_some() {
            // Blocks left out are written as runs of zeros: check that a block of zeros
            // comes out of the filters as zeros (a whole block and a short last one).
            let mut last = vec![layout.nblocks - 1];
            if layout.nblocks > 1 && layout.leftover > 0 {
                last.push(0);
            }
            for j in last {
                let n = layout.block_len(j);
                let mut out = vec![0u8; n + 5 * layout.nstreams(j)];
                let written = compress_lone_block(params, &layout, j, &vec![0u8; n], &mut out)?;
                if written != Some(4 * layout.nstreams(j)) || out.iter().any(|&b| b != 0) {
                    header = None;
                }
            }
        }
        Ok(SparseChunkEncoder { params: params.clone(), nbytes, layout, header, memo: RwLock::new(HashMap::new()) })
    }

    /// The compression parameters.
    pub fn params(&self) -> &CompressParams {
        &self.params
    }

    /// Bytes of a chunk.
    pub fn nbytes(&self) -> usize {
        self.nbytes
    }

    /// Bytes of a block (the last one may be shorter: see [`SparseChunkEncoder::block_len`]).
    pub fn blocksize(&self) -> usize {
        self.layout.blocksize
    }

    /// Number of blocks of a chunk.
    pub fn nblocks(&self) -> usize {
        self.layout.nblocks
    }

    /// Bytes of block `index`.
    pub fn block_len(&self, index: usize) -> usize {
        self.layout.block_len(index)
    }

    /// Whether blocks are compressed one at a time (otherwise every chunk is built whole
    /// and compressed, with the same result).
    pub fn is_sparse(&self) -> bool {
        self.header.is_some()
    }

    /// The chunk whose blocks are zeros except `blocks` (block index, block bytes), given
    /// in increasing index order: the bytes [`super::compress`] gives the whole buffer.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for indices out of order or beyond the last block and for
    /// blocks of the wrong length; compression errors.
    pub fn encode<B: AsRef<[u8]>>(&self, blocks: &[(usize, B)]) -> Result<Vec<u8>> {
        for (j, b) in blocks {
            self.check_len(*j, b.as_ref().len())?;
        }
        let fill = |j: usize, b: &B, dst: &mut [u8]| {
            let n = self.layout.block_len(j);
            dst[j * self.layout.blocksize..][..n].copy_from_slice(b.as_ref());
        };
        let Some(header) = &self.header else { return self.dense(blocks, fill) };
        let assembled = self.assemble(header, blocks, |j, b, out| {
            let b = b.as_ref();
            match single_nonzero(b) {
                Some(key) if !self.layout.is_leftover(j) => self.push_single(j, key, out),
                _ => self.push_block(j, b, out),
            }
        })?;
        match assembled {
            Some(c) => Ok(c),
            None => self.dense(blocks, fill),
        }
    }

    /// As [`SparseChunkEncoder::encode`], each block given by its non-zero bytes: (offset
    /// in the block, value) pairs in any order, offsets distinct.
    ///
    /// # Errors
    /// As [`SparseChunkEncoder::encode`], and for offsets beyond their block.
    pub fn encode_bytes<C: AsRef<[(u32, u8)]>>(&self, blocks: &[(usize, C)]) -> Result<Vec<u8>> {
        for (j, cells) in blocks {
            self.check_index(*j)?;
            let n = self.layout.block_len(*j);
            if let Some(&(o, _)) = cells.as_ref().iter().find(|&&(o, _)| o as usize >= n) {
                return Err(Error::InvalidParam { name: "offset", value: o.into(), reason: "beyond its block" });
            }
        }
        let put = |cells: &[(u32, u8)], dst: &mut [u8]| {
            for &(o, v) in cells {
                dst[o as usize] = v;
            }
        };
        let fill = |j: usize, cells: &C, dst: &mut [u8]| put(cells.as_ref(), &mut dst[j * self.layout.blocksize..]);
        let Some(header) = &self.header else { return self.dense(blocks, fill) };
        let assembled = self.assemble(header, blocks, |j, cells, out| match cells.as_ref() {
            &[(o, v)] if v != 0 && !self.layout.is_leftover(j) => self.push_single(j, (o, v), out),
            cells => self.with_block(j, cells, |b| self.push_block(j, b, out)),
        })?;
        match assembled {
            Some(c) => Ok(c),
            None => self.dense(blocks, fill),
        }
    }

    fn check_index(&self, j: usize) -> Result<()> {
        if j >= self.layout.nblocks {
            return Err(Error::InvalidParam { name: "block", value: j as i64, reason: "beyond the last block" });
        }
        Ok(())
    }

    fn check_len(&self, j: usize, len: usize) -> Result<()> {
        self.check_index(j)?;
        if len != self.layout.block_len(j) {
            return Err(Error::InvalidParam { name: "block length", value: len as i64, reason: "not the block's" });
        }
        Ok(())
    }

    /// The chunk of the whole buffer, with `fill` writing each given block into it.
    fn dense<T>(&self, blocks: &[(usize, T)], fill: impl Fn(usize, &T, &mut [u8])) -> Result<Vec<u8>> {
        check_order(blocks)?;
        let mut buf = crate::buffer::zeroed(self.nbytes);
        for (j, b) in blocks {
            fill(*j, b, &mut buf);
        }
        super::compress(&self.params, &buf)
    }

    /// Writes the header, the block starts and, block by block, `push`'s streams for the
    /// given blocks and zero runs for the others. `None` when the chunk does not fit in
    /// `nbytes` plus a header (`compress` then stores the buffer as is).
    fn assemble<T>(
        &self,
        header: &ChunkHeader,
        blocks: &[(usize, T)],
        mut push: impl FnMut(usize, &T, &mut Vec<u8>) -> Result<bool>,
    ) -> Result<Option<Vec<u8>>> {
        check_order(blocks)?;
        let n = self.layout.nblocks;
        let body_start = EXTENDED_HEADER_LEN + 4 * n;
        let mut out = Vec::with_capacity(body_start + 4 * n + blocks.len() * 64);
        out.resize(body_start, 0);
        let mut next = 0;
        for (j, data) in blocks {
            self.push_empty(next, *j, &mut out);
            let start = out.len() as i32;
            out[EXTENDED_HEADER_LEN + 4 * j..][..4].copy_from_slice(&start.to_le_bytes());
            if !push(*j, data, &mut out)? {
                return Ok(None);
            }
            next = j + 1;
        }
        self.push_empty(next, n, &mut out);
        let zero_streams =
            if self.layout.leftover > 0 { (n - 1) * self.layout.nstreams(0) + 1 } else { n * self.layout.nstreams(0) };
        let mut h = *header;
        if out.len() == body_start + 4 * zero_streams {
            // Every stream is a run of zeros (the only 4-byte stream): compress makes it a
            // special-zeros chunk.
            h.blosc2_flags |= SpecialKind::Zeros.code() << 4;
            h.cbytes = EXTENDED_HEADER_LEN;
            return Ok(Some(h.to_bytes().to_vec()));
        }
        if out.len() > self.nbytes + EXTENDED_HEADER_LEN {
            return Ok(None);
        }
        h.cbytes = out.len();
        out[..EXTENDED_HEADER_LEN].copy_from_slice(&h.to_bytes());
        Ok(Some(out))
    }

    /// Appends empty blocks `from..to`: their starts, and a zero size per stream.
    fn push_empty(&self, from: usize, to: usize, out: &mut Vec<u8>) {
        if from >= to {
            return;
        }
        let mut pos = out.len();
        let starts = &mut out[EXTENDED_HEADER_LEN + 4 * from..EXTENDED_HEADER_LEN + 4 * to];
        let whole = 4 * self.layout.nstreams(from);
        for (k, slot) in (from..to).zip(starts.chunks_exact_mut(4)) {
            slot.copy_from_slice(&(pos as i32).to_le_bytes());
            pos += if self.layout.is_leftover(k) { 4 } else { whole };
        }
        out.resize(pos, 0);
    }

    /// Bytes `compress` has left for a chunk's streams from position `at` on (its
    /// destination holds the data plus a header).
    fn room_at(&self, at: usize) -> usize {
        (self.nbytes + MAX_OVERHEAD).saturating_sub(at)
    }

    /// Room enough for block `j` whatever its bytes: every stream stored raw or as a
    /// run, with its size.
    fn full_room(&self, j: usize) -> usize {
        self.layout.block_len(j) + 5 * self.layout.nstreams(j)
    }

    /// Appends the streams of block `j` (`b`, not memoized); false when they do not fit.
    fn push_block(&self, j: usize, b: &[u8], out: &mut Vec<u8>) -> Result<bool> {
        // The room compress has at this place of the chunk (a codec may write other
        // bytes, or give up, with less room than it needs), never more than any block
        // needs: every stream stored raw or as a run, with its size.
        let room = self.room_at(out.len()).min(self.full_room(j));
        ROOM.with(|r| {
            let mut r = r.borrow_mut();
            if r.len() < room {
                r.resize(room, 0);
            }
            match compress_lone_block(&self.params, &self.layout, j, b, &mut r[..room])? {
                Some(n) => {
                    out.extend_from_slice(&r[..n]);
                    Ok(true)
                }
                None => Ok(false),
            }
        })
    }

    /// Calls `f` with block `j` made of the non-zero bytes `cells`, built in the thread's
    /// block of zeros (zeros again afterwards).
    fn with_block<R>(&self, j: usize, cells: &[(u32, u8)], f: impl FnOnce(&[u8]) -> R) -> R {
        /// Sets the cells back to zero, also when `f` panics.
        struct Clear<'a>(&'a mut [u8], &'a [(u32, u8)]);
        impl Drop for Clear<'_> {
            fn drop(&mut self) {
                for &(o, _) in self.1 {
                    self.0[o as usize] = 0;
                }
            }
        }
        let len = self.layout.block_len(j);
        BLOCK.with(|b| {
            let mut b = b.borrow_mut();
            if b.len() < len {
                b.resize(len, 0);
            }
            let block = Clear(&mut b[..len], cells);
            for &(o, v) in cells {
                block.0[o as usize] = v;
            }
            f(block.0)
        })
    }

    /// Appends the streams of whole block `j` whose only non-zero byte is `value` at
    /// `offset`, from the memo or compressed (and remembered).
    fn push_single(&self, j: usize, (offset, value): (u32, u8), out: &mut Vec<u8>) -> Result<bool> {
        if self.room_at(out.len()) < self.full_room(j) {
            // Near the end of the room compress has: streams made with more room may
            // differ from the ones compress writes here.
            return self.with_block(j, &[(offset, value)], |b| self.push_block(j, b, out));
        }
        if let Ok(m) = self.memo.read() {
            if let Some(stream) = m.get(&(offset, value)) {
                out.extend_from_slice(stream);
                return Ok(true);
            }
        }
        let at = out.len();
        if !self.with_block(j, &[(offset, value)], |b| self.push_block(j, b, out))? {
            return Ok(false);
        }
        if let Ok(mut m) = self.memo.write() {
            if m.len() < MEMO_MAX {
                m.insert((offset, value), out[at..].into());
            }
        }
        Ok(true)
    }
}

fn check_order<T>(blocks: &[(usize, T)]) -> Result<()> {
    if let Some(w) = blocks.windows(2).find(|w| w[0].0 >= w[1].0) {
        return Err(Error::InvalidParam { name: "block", value: w[1].0 as i64, reason: "blocks out of order" });
    }
    Ok(())
}

/// `(offset, value)` of the only non-zero byte of `data`, if it has exactly one.
fn single_nonzero(data: &[u8]) -> Option<(u32, u8)> {
    let first = data.iter().position(|&b| b != 0)?;
    if data[first + 1..].iter().any(|&b| b != 0) {
        return None;
    }
    Some((u32::try_from(first).ok()?, data[first]))
}

/// The blocks of `chunk` that may hold non-zero bytes, read from its block starts and
/// stream sizes without decompressing anything: every block not listed decodes to zeros
/// (its streams are runs of zeros), every block listed has a stream that is not (so, for
/// chunks written by [`super::compress`] or C-Blosc2, holds a non-zero byte). A special
/// zeros chunk has none.
///
/// `None` when the layout does not tell: other special chunks, memcpyed chunks,
/// variable-length blocks, filters other than shuffle and bitshuffle (whose zero output
/// need not come from zeros, as with DELTA), malformed chunks.
pub fn nonzero_blocks(chunk: &[u8]) -> Option<Vec<usize>> {
    let h = ChunkHeader::parse(chunk).ok()?;
    match h.special() {
        Some(SpecialKind::Zeros) => return Some(Vec::new()),
        Some(_) => return None,
        None => {}
    }
    if h.flags & flags::EXTENDED != flags::EXTENDED || h.flags & flags::MEMCPYED != 0 || h.is_vl_blocks() {
        return None;
    }
    let permutes = |f: u8| f == FilterId::NOFILTER.0 || f == FilterId::SHUFFLE.0 || f == FilterId::BITSHUFFLE.0;
    if !h.filters.filters.iter().all(|&f| permutes(f)) || h.nbytes == 0 {
        return None;
    }
    let body = &chunk[..h.cbytes.min(chunk.len())];
    let word = |at: usize| -> Option<i32> { Some(i32::from_le_bytes(body.get(at..at + 4)?.try_into().ok()?)) };
    let (n, leftover) = (h.nblocks(), h.leftover());
    let whole = if h.dont_split() { 1 } else { usize::from(h.typesize) };
    let mut out = Vec::new();
    for j in 0..n {
        let mut pos = usize::try_from(word(EXTENDED_HEADER_LEN + 4 * j)?).ok()?;
        // The stream sizes follow each other while they are zero.
        if word(pos)? != 0 {
            out.push(j);
            continue;
        }
        if whole > 1 && !(leftover > 0 && j + 1 == n) {
            for _ in 1..whole {
                pos += 4;
                if word(pos)? != 0 {
                    out.push(j);
                    break;
                }
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::chunk::{compress, decompress, SplitMode};
    use crate::codec::CodecId;
    use crate::filter::Pipeline;

    fn params(typesize: usize, blocksize: usize) -> CompressParams {
        CompressParams { codec: CodecId::ZSTD, clevel: 1, typesize, blocksize, ..CompressParams::default() }
    }

    /// What a test block holds.
    #[derive(Debug, Clone, Copy)]
    enum Fill {
        /// One non-zero byte at this position (modulo the block length).
        Single(usize, u8),
        /// A few non-zero bytes.
        Few(u64),
        /// Incompressible bytes.
        Random(u64),
        /// One repeated non-zero byte.
        Constant(u8),
        /// Zeros given explicitly.
        Zeros,
    }

    fn block(fill: Fill, n: usize) -> Vec<u8> {
        let mut b = vec![0u8; n];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |seed: u64| {
            x ^= seed.wrapping_mul(0x2545_F491_4F6C_DD1D);
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        match fill {
            Fill::Single(at, v) => b[at % n] = v.max(1),
            Fill::Few(seed) => {
                for _ in 0..5 {
                    let r = next(seed);
                    b[(r % n as u64) as usize] = (r >> 32) as u8 | 1;
                }
            }
            Fill::Random(seed) => b.iter_mut().for_each(|v| *v = next(seed) as u8),
            Fill::Constant(v) => b.fill(v.max(1)),
            Fill::Zeros => {}
        }
        b
    }

    /// Asserts `a == b` and names the first difference (not the whole chunks).
    fn same(a: &[u8], b: &[u8], what: &str) {
        if a != b {
            let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
            let near = |v: &[u8]| v[at.saturating_sub(8)..(at + 8).min(v.len())].to_vec();
            panic!(
                "{what}: {} vs {} bytes, first difference at {at}: {:?} vs {:?}",
                a.len(),
                b.len(),
                near(a),
                near(b)
            );
        }
    }

    /// Checks `encode` and `encode_bytes` against `compress` of the whole buffer.
    fn check(p: &CompressParams, nbytes: usize, fills: &[(usize, Fill)]) -> Vec<u8> {
        let enc = SparseChunkEncoder::new(p, nbytes).unwrap();
        let mut dense = vec![0u8; nbytes];
        let mut blocks: Vec<(usize, Vec<u8>)> = Vec::new();
        for &(j, fill) in fills {
            let j = j % enc.nblocks();
            if blocks.last().is_some_and(|(b, _)| *b >= j) {
                continue;
            }
            let b = block(fill, enc.block_len(j));
            dense[j * enc.blocksize()..][..b.len()].copy_from_slice(&b);
            blocks.push((j, b));
        }
        let want = compress(p, &dense).unwrap();
        let got = enc.encode(&blocks).unwrap();
        same(&got, &want, &format!("{p:?} nbytes {nbytes} blocks {fills:?}"));
        let cells: Vec<(usize, Vec<(u32, u8)>)> = blocks
            .iter()
            .map(|(j, b)| (*j, b.iter().enumerate().filter(|(_, &v)| v != 0).map(|(o, &v)| (o as u32, v)).collect()))
            .collect();
        same(&enc.encode_bytes(&cells).unwrap(), &want, "cells");
        // Again: the memo must give the same bytes.
        same(&enc.encode(&blocks).unwrap(), &want, "memo");
        if !p.filters.contains(FilterId::TRUNC_PREC) {
            same(&decompress(&got).unwrap(), &dense, "decompressed");
        }
        if let Some(list) = nonzero_blocks(&got) {
            let decoded = decompress(&got).unwrap();
            let truth: Vec<usize> = (0..enc.nblocks())
                .filter(|&j| decoded[j * enc.blocksize()..][..enc.block_len(j)].iter().any(|&v| v != 0))
                .collect();
            assert_eq!(list, truth, "nonzero_blocks");
        }
        got
    }

    #[test]
    fn sparse_chunks_equal_compressed_buffers() {
        // The cube's case: 1000 blocks of 25^3 one-byte cells, ZSTD 1 + shuffle.
        let cube = params(1, 15_625);
        let c = check(&cube, 15_625_000, &[(3, Fill::Single(17, 1)), (4, Fill::Single(17, 1)), (999, Fill::Few(1))]);
        assert!(c.len() < 10_000);
        assert_eq!(nonzero_blocks(&c), Some(vec![3, 4, 999]));
        // No block, or only zero blocks: a special zeros chunk, as compress makes it.
        let z = check(&cube, 15_625_000, &[]);
        assert_eq!(ChunkHeader::parse(&z).unwrap().special(), Some(SpecialKind::Zeros));
        assert_eq!(nonzero_blocks(&z), Some(vec![]));
        check(&cube, 15_625_000, &[(5, Fill::Zeros), (7, Fill::Zeros)]);
        // Split streams, a short last block, incompressible and constant blocks.
        check(&params(8, 4096), 100_000, &[(0, Fill::Random(1)), (5, Fill::Constant(3)), (24, Fill::Few(2))]);
        // An incompressible chunk is stored as is (memcpyed), as compress decides.
        check(&params(1, 256), 1024, &[(0, Fill::Random(1)), (1, Fill::Random(2)), (3, Fill::Random(3))]);
        // DELTA, dictionaries, clevel 0 and tiny chunks are built whole: same bytes.
        let mut delta = params(4, 1024);
        delta.filters = Pipeline::single(FilterId::DELTA);
        let dict = CompressParams { use_dict: true, ..params(4, 1024) };
        for p in [delta, dict, CompressParams { clevel: 0, ..params(1, 1024) }] {
            assert!(!SparseChunkEncoder::new(&p, 64 * 1024).unwrap().is_sparse());
            check(&p, 64 * 1024, &[(0, Fill::Few(1)), (9, Fill::Single(3, 9)), (20, Fill::Random(4))]);
        }
        check(&params(1, 16), 64, &[(1, Fill::Single(3, 1))]);
    }

    #[test]
    fn bad_blocks_are_errors() {
        let enc = SparseChunkEncoder::new(&params(1, 1000), 10_000).unwrap();
        let b = vec![1u8; 1000];
        assert!(enc.encode(&[(3, &b[..]), (2, &b[..])]).is_err());
        assert!(enc.encode(&[(3, &b[..]), (3, &b[..])]).is_err());
        assert!(enc.encode(&[(10, &b[..])]).is_err());
        assert!(enc.encode(&[(1, &b[..999])]).is_err());
        assert!(enc.encode_bytes(&[(0, vec![(1000, 1)])]).is_err());
        assert!(enc.encode_bytes(&[(3, vec![(1, 1)]), (2, vec![(1, 1)])]).is_err());
        assert!(enc.encode_bytes(&[(10, vec![(1, 1)])]).is_err());
    }

    #[test]
    fn nonzero_blocks_needs_a_readable_layout() {
        let data: Vec<u8> = (0..4096u32).map(|i| if i / 512 == 3 { 1 } else { 0 }).collect();
        let c = compress(&params(1, 512), &data).unwrap();
        assert_eq!(nonzero_blocks(&c), Some(vec![3]));
        assert_eq!(nonzero_blocks(&c[..40]), None, "truncated");
        let mut delta = params(1, 512);
        delta.filters = Pipeline::single(FilterId::DELTA);
        assert_eq!(nonzero_blocks(&compress(&delta, &data).unwrap()), None);
        let stored = compress(&CompressParams { clevel: 0, ..params(1, 512) }, &data).unwrap();
        assert_eq!(nonzero_blocks(&stored), None);
    }

    fn any_params() -> impl Strategy<Value = CompressParams> {
        (
            prop::sample::select(vec![CodecId::BLOSCLZ, CodecId::LZ4, CodecId::LZ4HC, CodecId::ZLIB, CodecId::ZSTD]),
            0u8..=9,
            prop::sample::select(vec![1usize, 2, 3, 4, 8]),
            prop::sample::select(vec![
                FilterId::NOFILTER,
                FilterId::SHUFFLE,
                FilterId::BITSHUFFLE,
                FilterId::BYTEDELTA,
                FilterId::DELTA,
                FilterId::TRUNC_PREC,
            ]),
            prop::sample::select(vec![0usize, 64, 100, 1024, 4096]),
            prop::sample::select(vec![SplitMode::Always, SplitMode::Never, SplitMode::Auto]),
            1usize..=2,
        )
            .prop_map(|(codec, clevel, typesize, filter, blocksize, splitmode, nthreads)| {
                let mut filters = Pipeline::single(filter);
                if filter == FilterId::TRUNC_PREC {
                    // Keep 4 bits of mantissa, for 4- and 8-byte floats only.
                    filters = if matches!(typesize, 4 | 8) { filters } else { Pipeline::shuffle() };
                    filters.meta[5] = 4;
                }
                if filter == FilterId::BYTEDELTA {
                    filters = Pipeline::shuffle();
                    filters.filters[4] = FilterId::BYTEDELTA.0;
                }
                CompressParams {
                    codec,
                    clevel,
                    typesize,
                    filters,
                    blocksize,
                    splitmode,
                    nthreads,
                    ..CompressParams::default()
                }
            })
    }

    fn any_fill() -> impl Strategy<Value = Fill> {
        prop_oneof![
            4 => (any::<usize>(), any::<u8>()).prop_map(|(a, v)| Fill::Single(a, v)),
            2 => any::<u64>().prop_map(Fill::Few),
            1 => any::<u64>().prop_map(Fill::Random),
            1 => any::<u8>().prop_map(Fill::Constant),
            1 => Just(Fill::Zeros),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn random_sparse_chunks_equal_compressed_buffers(
            p in any_params(),
            nbytes in 0usize..40_000,
            mut fills in prop::collection::vec((any::<usize>(), any_fill()), 0..6),
        ) {
            let nbytes = nbytes / p.typesize * p.typesize;
            if nbytes == 0 {
                fills.clear();
            }
            fills.sort_by_key(|f| f.0 % nbytes.max(1));
            check(&p, nbytes, &fills);
        }
    }
}
