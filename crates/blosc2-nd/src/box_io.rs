//! Reading and writing boxes (`shared/spec/b2nd.md` 3 and 4): a read decodes only the
//! blocks of the chunks the box touches; a write recompresses only the chunks it touches.

use rayon::prelude::*;

use std::borrow::Cow;

use blosc2_core::chunk::{ChunkHeader, CompressParams, Compressor, DecodedBlock, Output, SpecialKind, StoredPlanes};
use blosc2_core::frame::writer::FrameWriter;
use blosc2_core::tune::{compress_tuned, Fixed, Tuner};

use crate::array::NdArray;
use crate::copy::{copy_box, copy_box_unshuffling, zero_box};
use crate::error::{Error, Result};
use crate::geometry::{product, ravel, strides, unravel, Geometry};
use crate::region::Region;

/// When a read touches more than 1 / this of a chunk's blocks, it decodes the whole chunk at once.
const WHOLE_CHUNK_FRACTION: usize = 2;

/// A box that takes at most 1 / this of a block's elements is gathered from the block's
/// shuffled bytes (when the chunk's only filter is a byte shuffle).
const GATHER_FRACTION: u64 = 8;

/// Chunks handled per parallel batch (bounds the memory of reads and writes).
const BATCH: usize = 16;

/// Reads that decode fewer bytes of blocks than this run on the calling thread alone:
/// handing work to the pool's threads and waiting for them costs a wake-up each (tens of
/// microseconds on an idle machine, milliseconds when other processes hold the cores),
/// more than a few blocks take to decode.
const PARALLEL_MIN_BYTES: u64 = 1 << 20;

/// The threads a read may use.
#[derive(Debug, Clone, Copy)]
enum Threads {
    /// At most this many: fewer when the read is small ([`PARALLEL_MIN_BYTES`]).
    AtMost(usize),
    /// This many whatever the size (tests of the parallel paths).
    #[cfg_attr(not(test), allow(dead_code))]
    Exactly(usize),
}

/// A per-thread buffer kept between reads.
type ThreadBuffer<T> = std::thread::LocalKey<std::cell::RefCell<Vec<T>>>;

std::thread_local! {
    /// Each thread's buffer for decoded chunks and blocks that are copied out right away.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Each thread's buffer for the blocks a partial read fetches from a file.
    static FETCHED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's buffer in `key`, or with a fresh one when the thread is
/// already using it (a thread that waits on the pool runs another read meanwhile).
fn with_thread_buffer<T, R>(key: &'static ThreadBuffer<T>, f: impl FnOnce(&mut Vec<T>) -> R) -> R {
    key.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => f(&mut buf),
        Err(_) => f(&mut Vec::new()),
    })
}

/// Runs `f` with this thread's buffer for the streams a partial read fetches from a file
/// (grown as needed by the reader, never shrunk).
fn with_fetch_buffer<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    with_thread_buffer(&FETCHED, f)
}

/// Runs `f` on `n` bytes of this thread's scratch buffer (grown as needed, never shrunk:
/// at most a chunk per thread). The bytes are left over from earlier uses: `f` must
/// overwrite what it reads.
fn with_scratch<R>(n: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    with_thread_buffer(&SCRATCH, |buf| {
        if buf.len() < n {
            *buf = vec![0u8; n];
        }
        f(&mut buf[..n])
    })
}

/// Whether gathering the part of a box of shape `part` in a block (of shape `bshape`) reads the byte planes
/// the chunk stores as they are in place, rather than copied out with the decoded ones
/// first. In place pays when the box reads about every cache line of a plane (a scan, which
/// the hardware prefetches) or at most 1 / 8 of them; in between, the scattered reads of
/// memory no one has touched yet cost more than one sequential copy (measured on planes of
/// (20, 20, 20) and (1, 40, 640) blocks).
fn reads_planes_in_place(bshape: &[u64], part: &[u64]) -> bool {
    const LINE: u64 = 64;
    let Some(mut k) = part.len().checked_sub(1) else { return true };
    // Trailing dimensions the box takes whole make one run.
    let mut run = part[k];
    while k > 0 && part[k] == bshape[k] {
        k -= 1;
        run *= part[k];
    }
    let runs: u64 = part[..k].iter().product();
    let lines = runs * (run / LINE + 1);
    let plane_lines = bshape.iter().product::<u64>() / LINE + 1;
    lines >= plane_lines || lines * 8 <= plane_lines
}

/// The part of a box that falls in one chunk.
struct Piece {
    index: u64,
    /// Chunk origin in array coordinates.
    origin: Vec<u64>,
    /// Intersection of the chunk with the box, array coordinates.
    region: Region,
}

/// The chunks a box `r` (inside the array) touches, in chunk order.
fn pieces(g: &Geometry, r: &Region) -> Vec<Piece> {
    let n = g.ndim();
    if n == 0 {
        return vec![Piece { index: 0, origin: vec![], region: Region::whole(&[]) }];
    }
    if r.is_empty() {
        return Vec::new();
    }
    let (start, stop) = (r.start(), r.stop());
    let cs = g.chunkshape();
    let first: Vec<u64> = (0..n).map(|d| start[d] / cs[d]).collect();
    let counts: Vec<u64> = (0..n).map(|d| (stop[d] - 1) / cs[d] - first[d] + 1).collect();
    let total = product(&counts).expect("fits: bounded by nchunks");
    (0..total)
        .map(|k| {
            let rel = unravel(k, &counts);
            let coords: Vec<u64> = (0..n).map(|d| first[d] + rel[d]).collect();
            let origin: Vec<u64> = (0..n).map(|d| coords[d] * cs[d]).collect();
            let lo = (0..n).map(|d| start[d].max(origin[d])).collect();
            let hi = (0..n).map(|d| stop[d].min(origin[d] + cs[d])).collect();
            Piece { index: g.chunk_index(&coords), origin, region: Region::from_bounds(lo, hi) }
        })
        .collect()
}

/// How many blocks of its chunk `piece` touches (as [`touched_blocks`] lists them).
fn touched_count(g: &Geometry, p: &Piece) -> u64 {
    let (bs, lo, hi) = (g.blockshape(), p.region.start(), p.region.stop());
    (0..g.ndim()).map(|d| (hi[d] - 1 - p.origin[d]) / bs[d] - (lo[d] - p.origin[d]) / bs[d] + 1).product()
}

/// The blocks of a chunk that `piece` touches: (block index, block origin in array
/// coordinates).
fn touched_blocks(g: &Geometry, p: &Piece) -> Vec<(usize, Vec<u64>)> {
    let n = g.ndim();
    if n == 0 {
        return vec![(0, vec![])];
    }
    let (bs, lo, hi) = (g.blockshape(), p.region.start(), p.region.stop());
    let first: Vec<u64> = (0..n).map(|d| (lo[d] - p.origin[d]) / bs[d]).collect();
    let counts: Vec<u64> = (0..n).map(|d| (hi[d] - 1 - p.origin[d]) / bs[d] - first[d] + 1).collect();
    let total = product(&counts).expect("bounded by nblocks");
    (0..total)
        .map(|k| {
            let rel = unravel(k, &counts);
            let b: Vec<u64> = (0..n).map(|d| first[d] + rel[d]).collect();
            let origin = (0..n).map(|d| p.origin[d] + b[d] * bs[d]).collect();
            (ravel(&b, g.blocks_per_chunk()) as usize, origin)
        })
        .collect()
}

/// The part of piece `p` in the block at `borigin` (of shape `bshape`): its start in the
/// block, its start in a buffer whose first element is at array coordinates `origin`, its
/// shape.
fn block_part(p: &Piece, borigin: &[u64], bshape: &[u64], origin: &[u64]) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
    let n = borigin.len();
    let (plo, phi) = (p.region.start(), p.region.stop());
    let lo: Vec<u64> = (0..n).map(|d| plo[d].max(borigin[d])).collect();
    let hi: Vec<u64> = (0..n).map(|d| phi[d].min(borigin[d] + bshape[d])).collect();
    let part = (0..n).map(|d| hi[d] - lo[d]).collect();
    let in_block = (0..n).map(|d| lo[d] - borigin[d]).collect();
    let in_buffer = (0..n).map(|d| lo[d] - origin[d]).collect();
    (in_block, in_buffer, part)
}

/// A destination buffer: the C-order bytes of `region` of the array.
struct Dest<'a> {
    buf: &'a mut [u8],
    region: &'a Region,
    /// How chunks decoded whole straight into `buf` are written (see [`output_for`]).
    output: Output,
}

/// Reads of fewer bytes than this write their chunks through the cache: a caller usually
/// uses what it read right away (a Dask task sums its chunk), and an answer of this size
/// mostly stays in a server CPU's last-level cache. Larger answers are written with
/// streaming stores ([`Output::Memory`]), which bypass the cache they would only evict.
const CACHED_READ_MAX: usize = 32 << 20;

/// How a read whose answer is `len` bytes writes its chunks.
fn output_for(len: usize) -> Output {
    if len < CACHED_READ_MAX {
        Output::Cached
    } else {
        Output::Memory
    }
}

/// Refuses a chunk whose uncompressed size is not `want` (the padded chunk shape's).
pub(crate) fn check_chunk_nbytes(index: u64, h: &ChunkHeader, want: usize) -> Result<()> {
    if h.nbytes != want {
        return Err(Error::ChunkMismatch {
            index,
            reason: "chunk size differs from the padded chunk shape",
            expected: want as u64,
            found: h.nbytes as u64,
        });
    }
    Ok(())
}

impl NdArray {
    fn check_chunk(&self, index: u64, h: &ChunkHeader) -> Result<()> {
        check_chunk_nbytes(index, h, self.geom.chunk_nbytes())
    }

    /// Whether a decompressed chunk is the chunk in C order: no padding, and blocks that are
    /// 1 in the leading dimensions, then a divisor of the chunk, then the whole chunk (the
    /// condition of C-Blosc2's `nchunk_fastpath`).
    fn chunk_is_c_order(&self) -> bool {
        let g = &self.geom;
        let (c, b) = (g.chunkshape(), g.blockshape());
        if g.ndim() == 0 || g.extchunkshape() != c {
            return false;
        }
        let k = b.iter().position(|&x| x != 1).unwrap_or(b.len());
        (k + 1..b.len()).all(|d| b[d] == c[d])
    }

    /// Where chunk `p`'s decompressed bytes lie in the C-order buffer of the box `r`, when
    /// they are one run there: the chunk is whole and in C order
    /// ([`NdArray::chunk_is_c_order`]) and the box spans it in every dimension but the first.
    /// The byte offset of the run.
    fn chunk_run_in(&self, p: &Piece, r: &Region) -> Option<usize> {
        let g = &self.geom;
        let c = g.chunkshape();
        if !self.chunk_is_c_order() || p.region.shape() != c || (1..g.ndim()).any(|d| r.shape()[d] != c[d]) {
            return None;
        }
        let row = c[1..].iter().product::<u64>() as usize * g.typesize();
        Some((p.region.start()[0] - r.start()[0]) as usize * row)
    }

    /// The strides of `dst` when a block's C order is the box's over it (extent 1 in the
    /// block's leading dimensions, then any extent in one dimension, then the box's whole
    /// extent), so that a block lying wholly inside the box is one run of `dst`.
    fn block_runs_in(&self, dst: &Dest<'_>) -> Option<Vec<u64>> {
        let b = self.geom.blockshape();
        let n = b.len();
        let k = b.iter().position(|&x| x != 1).unwrap_or(n);
        let shape = dst.region.shape();
        (k + 1..n).all(|d| b[d] == shape[d]).then(|| strides(shape))
    }

    /// Where the block at `borigin` of chunk `p` lies in a `dst` of strides `dst_strides`
    /// (from [`NdArray::block_runs_in`]) when it lies wholly inside the piece (so inside the
    /// box and the array): the byte offset of its run.
    fn block_run_at(&self, p: &Piece, borigin: &[u64], dst: &Dest<'_>, dst_strides: &[u64]) -> Option<usize> {
        let (b, lo, hi) = (self.geom.blockshape(), p.region.start(), p.region.stop());
        let n = b.len();
        if (0..n).any(|d| borigin[d] < lo[d] || borigin[d] + b[d] > hi[d]) {
            return None;
        }
        let origin = dst.region.start();
        let at: u64 = (0..n).map(|d| (borigin[d] - origin[d]) * dst_strides[d]).sum();
        Some(at as usize * self.geom.typesize())
    }

    /// Whether the blocks of chunk `p` (header `h`) are read by gathering the box's elements
    /// from their byte-shuffled bytes ([`blosc2_core::chunk::Decompressor::decode_block`]) rather than
    /// unshuffling them whole: the chunk's only filter is a byte shuffle of the array's
    /// elements, and the box takes at most 1 / [`GATHER_FRACTION`] of every block (a plane
    /// across the blocks, a small cube), so that putting back its few elements costs less
    /// than undoing the shuffle of the block.
    fn gathers_from_shuffled(&self, p: &Piece, h: &ChunkHeader) -> Result<bool> {
        let g = &self.geom;
        let (ts, bshape) = (g.typesize(), g.blockshape());
        let most: u64 = p.region.shape().iter().zip(bshape).map(|(&e, &b)| e.min(b)).product();
        if h.is_memcpyed() || most * GATHER_FRACTION > g.block_items() as u64 {
            return Ok(false);
        }
        let shuffle = h.filters.only_shuffle(usize::from(h.typesize), g.block_nbytes(), h.version)?;
        Ok(shuffle == Some(ts))
    }

    /// Reads `blocks` of chunk `c` (piece `p`) into `dst` by gathering the box's elements
    /// from each block's byte-shuffled bytes (see [`NdArray::gathers_from_shuffled`]).
    fn gather_blocks(
        &self,
        c: &[u8],
        blocks: &[(usize, Vec<u64>)],
        p: &Piece,
        dst: &mut Dest<'_>,
        threads: usize,
    ) -> Result<()> {
        let g = &self.geom;
        let (ts, bb, bshape) = (g.typesize(), g.block_nbytes(), g.blockshape());
        // Decodes block `bi` and copies its part of the box, of shape `part` at `src_start` of
        // the block, to `to` (of shape `to_shape`) at `to_start`.
        let place = |bi: usize, src_start: &[u64], to: &mut [u8], to_shape: &[u64], to_start: &[u64], part: &[u64]| {
            with_scratch(bb, |block| {
                let stored =
                    if reads_planes_in_place(bshape, part) { StoredPlanes::InPlace } else { StoredPlanes::Copy };
                match self.schunk.decompressor().decode_block(c, bi, block, stored)? {
                    DecodedBlock::Shuffled(v) if v.typesize() == ts => {
                        const MOST: usize = 16;
                        if ts <= MOST {
                            let mut planes: [&[u8]; MOST] = [&[]; MOST];
                            for (j, p) in planes[..ts].iter_mut().enumerate() {
                                *p = v.plane(j);
                            }
                            copy_box_unshuffling(&planes[..ts], bshape, src_start, to, to_shape, to_start, part);
                        } else {
                            let planes: Vec<&[u8]> = (0..ts).map(|j| v.plane(j)).collect();
                            copy_box_unshuffling(&planes, bshape, src_start, to, to_shape, to_start, part);
                        }
                    }
                    DecodedBlock::Plain(block) => copy_box(ts, block, bshape, src_start, to, to_shape, to_start, part),
                    DecodedBlock::Shuffled(v) => {
                        return Err(Error::ChunkMismatch {
                            index: p.index,
                            reason: "shuffle element size differs from the header's",
                            expected: ts as u64,
                            found: v.typesize() as u64,
                        })
                    }
                }
                Ok(())
            })
        };
        if threads > 1 && blocks.len() > 1 {
            // Each block's part of the box gathered in parallel (with where it goes), then
            // placed.
            type Part = (Vec<u8>, Vec<u64>, Vec<u64>, Vec<u64>);
            let parts: Vec<Result<Part>> = blocks
                .par_iter()
                .with_max_len(1)
                .map(|(bi, borigin)| {
                    let (src_start, dst_start, part) = block_part(p, borigin, bshape, dst.region.start());
                    let zero = vec![0; part.len()];
                    let mut bytes = vec![0u8; product(&part).expect("inside a block") as usize * ts];
                    place(*bi, &src_start, &mut bytes, &part, &zero, &part)?;
                    Ok((bytes, dst_start, part, zero))
                })
                .collect();
            for r in parts {
                let (bytes, dst_start, part, zero) = r?;
                copy_box(ts, &bytes, &part, &zero, dst.buf, dst.region.shape(), &dst_start, &part);
            }
            return Ok(());
        }
        for (bi, borigin) in blocks {
            let (src_start, dst_start, part) = block_part(p, borigin, bshape, dst.region.start());
            place(*bi, &src_start, dst.buf, dst.region.shape(), &dst_start, &part)?;
        }
        Ok(())
    }

    /// Copies the part of the box in chunk `p` into `dst`: every byte of that part is
    /// written (zeros for chunks of zeros), so `dst` need not start zeroed.
    ///
    /// `threads` > 1 decodes the chunk's blocks in parallel on the current rayon pool (for a
    /// box inside one chunk, where there is no parallelism across chunks).
    fn read_piece(&self, p: &Piece, dst: &mut Dest<'_>, threads: usize) -> Result<()> {
        let g = &self.geom;
        let blocks = touched_blocks(g, p);
        let bb = g.block_nbytes();
        let whole_chunk = blocks.len() * WHOLE_CHUNK_FRACTION > g.nblocks();
        if whole_chunk {
            let c = self.schunk.chunk(p.index)?;
            return self.decode_piece(p, &c, blocks, whole_chunk, dst, threads);
        }
        let ranges: Vec<(usize, usize)> = blocks.iter().map(|(bi, _)| (bi * bb, (bi + 1) * bb)).collect();
        with_fetch_buffer(|buf| match self.partial_chunk(p.index, &ranges, buf, threads) {
            Some(len) => self.decode_piece(p, &buf[..len], blocks, whole_chunk, dst, threads),
            None => self.decode_piece(p, &self.schunk.chunk(p.index)?, blocks, whole_chunk, dst, threads),
        })
    }

    /// Chunk `index` with only the blocks covering bytes `ranges` (of the decompressed
    /// chunk) read from its file into `buf` ([`blosc2_core::frame::Frame::read_chunk_blocks`]):
    /// the length of the chunk at its start, or `None` for arrays whose chunks are
    /// borrowed whole (in memory, mapped) and when the partial read fails: the caller then
    /// reads the chunk whole, which also reports any error.
    /// `threads` > 1 lets large fetches run that many reads at a time.
    pub(crate) fn partial_chunk(
        &self,
        index: u64,
        ranges: &[(usize, usize)],
        buf: &mut Vec<u8>,
        threads: usize,
    ) -> Option<usize> {
        let frame = self.schunk.frame()?;
        if frame.is_in_memory() || frame.is_mapped() {
            return None;
        }
        frame.read_chunk_blocks_threads(index, ranges, buf, threads).ok()
    }

    /// [`NdArray::read_piece`] once chunk `p` (all of it, or the `blocks` it needs) is in `c`.
    fn decode_piece(
        &self,
        p: &Piece,
        c: &[u8],
        blocks: Vec<(usize, Vec<u64>)>,
        whole_chunk: bool,
        dst: &mut Dest<'_>,
        threads: usize,
    ) -> Result<()> {
        let g = &self.geom;
        let (ts, bb) = (g.typesize(), g.block_nbytes());
        let h = ChunkHeader::parse(c)?;
        self.check_chunk(p.index, &h)?;
        if matches!(h.special(), Some(SpecialKind::Zeros | SpecialKind::Uninit)) {
            let at: Vec<u64> = p.region.start().iter().zip(dst.region.start()).map(|(a, b)| a - b).collect();
            zero_box(ts, dst.buf, dst.region.shape(), &at, p.region.shape());
            return Ok(());
        }
        let mut blocks = blocks;
        let dst_strides = if h.special().is_none() && !whole_chunk { self.block_runs_in(dst) } else { None };
        if let Some(dst_strides) = dst_strides {
            // Blocks whose bytes are one run of `dst` are decoded straight into it.
            let mut runs: Vec<(usize, usize)> = Vec::new();
            blocks.retain(|(bi, borigin)| match self.block_run_at(p, borigin, dst, &dst_strides) {
                Some(at) => {
                    runs.push((at, *bi));
                    false
                }
                None => true,
            });
            runs.sort_unstable();
            let mut places: Vec<(usize, &mut [u8])> = Vec::with_capacity(runs.len());
            let (mut rest, mut pos) = (&mut dst.buf[..], 0);
            for (at, bi) in runs {
                let (_, tail) = std::mem::take(&mut rest).split_at_mut(at - pos);
                let (run, tail) = tail.split_at_mut(bb);
                places.push((bi, run));
                (rest, pos) = (tail, at + bb);
            }
            if threads > 1 && places.len() > 1 {
                places
                    .into_par_iter()
                    .with_max_len(1)
                    .try_for_each(|(bi, run)| self.schunk.decompressor().decompress_range(c, bi * bb, run))?;
            } else {
                places
                    .into_iter()
                    .try_for_each(|(bi, run)| self.schunk.decompressor().decompress_range(c, bi * bb, run))?;
            }
        }
        if h.special().is_none() {
            // The chunk's bytes are one run of `dst`: decode straight into it.
            if let Some(at) = self.chunk_run_in(p, dst.region) {
                self.schunk
                    .decompressor()
                    .with_nthreads(threads)
                    .with_output(dst.output)
                    .decompress_into(c, &mut dst.buf[at..at + h.nbytes])?;
                return Ok(());
            }
            if self.gathers_from_shuffled(p, &h)? {
                return self.gather_blocks(c, &blocks, p, dst, threads);
            }
        }
        let bshape = g.blockshape();
        let mut scatter = |block: &[u8], borigin: &[u64]| {
            let (src_start, dst_start, part) = block_part(p, borigin, bshape, dst.region.start());
            copy_box(ts, block, bshape, &src_start, dst.buf, dst.region.shape(), &dst_start, &part);
        };
        if h.special().is_some() || whole_chunk {
            with_scratch(h.nbytes, |whole| {
                // Decoding writes every byte of `whole`.
                self.schunk
                    .decompressor()
                    .with_nthreads(threads)
                    .with_output(Output::Cached)
                    .decompress_into(c, whole)?;
                for (bi, borigin) in &blocks {
                    scatter(&whole[bi * bb..(bi + 1) * bb], borigin);
                }
                Ok::<(), Error>(())
            })?;
        } else if threads > 1 && blocks.len() > 1 {
            // Decode the touched blocks in parallel, then place them.
            let decoded: Vec<Result<Vec<u8>>> = blocks
                .par_iter()
                .with_max_len(1)
                .map(|(bi, _)| {
                    let mut block = vec![0u8; bb];
                    self.schunk.decompressor().decompress_range(c, bi * bb, &mut block)?;
                    Ok(block)
                })
                .collect();
            for ((_, borigin), block) in blocks.iter().zip(decoded) {
                scatter(&block?, borigin);
            }
        } else if !blocks.is_empty() {
            with_scratch(bb, |block| {
                for (bi, borigin) in &blocks {
                    // Decoding writes every byte of `block`.
                    self.schunk.decompressor().decompress_range(c, bi * bb, block)?;
                    scatter(block, borigin);
                }
                Ok::<(), Error>(())
            })?;
        }
        Ok(())
    }

    /// Reads region `r` into `out` (C order, `r.num_elements() * itemsize` bytes), decoding
    /// only the blocks it touches.
    ///
    /// ```
    /// use blosc2_nd::{NdArray, Options, Region};
    ///
    /// let values: Vec<u16> = (0..100).collect();
    /// let a = NdArray::from_slice(&[10, 10], &values, &Options::new()).unwrap();
    /// let mut out = [0u8; 2 * 3 * 2];
    /// a.read_box_into(&Region::from_start_stop(&[4, 5], &[6, 8]).unwrap(), &mut out).unwrap();
    /// assert_eq!(out[..2], 45u16.to_le_bytes());
    /// ```
    ///
    /// # Errors
    /// As [`Region::check_within`] (the region must lie inside the array),
    /// [`Error::BufferSize`], chunk errors.
    pub fn read_box_into(&self, r: &Region, out: &mut [u8]) -> Result<()> {
        self.read_into(r, out, Threads::AtMost(rayon::current_num_threads()))
    }

    /// [`NdArray::read_box_into`] on at most `threads` threads: 1 reads on the calling
    /// thread only (for callers that run reads in parallel themselves); more uses the
    /// current rayon pool for reads large enough to gain from it.
    ///
    /// # Errors
    /// As [`NdArray::read_box_into`].
    pub fn read_box_into_threads(&self, r: &Region, out: &mut [u8], threads: usize) -> Result<()> {
        self.read_into(r, out, Threads::AtMost(threads))
    }

    /// The bytes of blocks a read of pieces `ps` decodes (whole chunks where it reads them
    /// whole).
    fn decoded_bytes(&self, ps: &[Piece]) -> u64 {
        let g = &self.geom;
        let (nb, bb) = (g.nblocks() as u64, g.block_nbytes() as u64);
        ps.iter()
            .map(|p| {
                let n = touched_count(g, p);
                if n * WHOLE_CHUNK_FRACTION as u64 > nb {
                    nb * bb
                } else {
                    n * bb
                }
            })
            .sum()
    }

    /// Reads region `r` into `out` on `threads`: every byte of `out` is written.
    fn read_into(&self, r: &Region, out: &mut [u8], threads: Threads) -> Result<()> {
        r.check_within(self.shape())?;
        let shape = r.shape();
        let expected = r.num_elements().expect("inside the array") * self.geom.typesize() as u64;
        if out.len() as u64 != expected {
            return Err(Error::BufferSize { expected, found: out.len() as u64 });
        }
        let ps = pieces(&self.geom, r);
        let threads = match threads {
            Threads::AtMost(n) if n > 1 && self.decoded_bytes(&ps) >= PARALLEL_MIN_BYTES => {
                n.min(rayon::current_num_threads())
            }
            Threads::AtMost(_) => 1,
            Threads::Exactly(n) => n,
        };
        let output = output_for(out.len());
        if ps.len() <= 1 || threads <= 1 {
            let mut dst = Dest { buf: out, region: r, output };
            let threads = if ps.len() == 1 { threads } else { 1 };
            for p in &ps {
                self.read_piece(p, &mut dst, threads)?;
            }
            return Ok(());
        }
        let ts = self.geom.typesize();
        // Chunks of different rows (dimension 0) write disjoint slabs of `out`: decode them
        // in parallel straight into their slab.
        let groups: Vec<&[Piece]> = ps.chunk_by(|a, b| a.region.start()[0] == b.region.start()[0]).collect();
        if groups.len() >= 2 {
            let row_bytes = product(&shape[1..]).expect("inside the array") as usize * ts;
            let mut slabs = Vec::with_capacity(groups.len());
            let mut rest = out;
            for g in &groups {
                let (slab, tail) = rest.split_at_mut(g[0].region.shape()[0] as usize * row_bytes);
                slabs.push(slab);
                rest = tail;
            }
            return groups.par_iter().zip(slabs.into_par_iter()).try_for_each(|(g, slab)| {
                // The rows of `r` this group's chunks cover.
                let (mut start, mut stop) = (r.start().to_vec(), r.stop().to_vec());
                start[0] = g[0].region.start()[0];
                stop[0] = g[0].region.stop()[0];
                let rows = Region::from_bounds(start, stop);
                let mut dst = Dest { buf: slab, region: &rows, output };
                g.iter().try_for_each(|p| self.read_piece(p, &mut dst, 1))
            });
        }
        for batch in ps.chunks(BATCH) {
            let parts: Vec<Result<Vec<u8>>> = batch
                .par_iter()
                .map(|p| {
                    let n = p.region.num_elements().expect("small");
                    let mut buf = vec![0u8; n as usize * ts];
                    self.read_piece(p, &mut Dest { buf: &mut buf, region: &p.region, output: Output::Cached }, 1)?;
                    Ok(buf)
                })
                .collect();
            for (p, part) in batch.iter().zip(parts) {
                let part = part?;
                let pshape = p.region.shape();
                let zero = vec![0; pshape.len()];
                let dst_start: Vec<u64> = (0..pshape.len()).map(|d| p.region.start()[d] - r.start()[d]).collect();
                copy_box(ts, &part, pshape, &zero, out, shape, &dst_start, pshape);
            }
        }
        Ok(())
    }

    /// Reads region `r` (C order), decoding only the blocks it touches.
    ///
    /// # Errors
    /// As [`NdArray::read_box_into`].
    pub fn read_box(&self, r: &Region) -> Result<Vec<u8>> {
        self.read_box_threads(r, rayon::current_num_threads())
    }

    /// [`NdArray::read_box`] on at most `threads` threads (as
    /// [`NdArray::read_box_into_threads`]).
    ///
    /// # Errors
    /// As [`NdArray::read_box_into`].
    pub fn read_box_threads(&self, r: &Region, threads: usize) -> Result<Vec<u8>> {
        r.check_within(self.shape())?;
        let n = r.num_elements().expect("inside the array") as usize * self.geom.typesize();
        let mut out = blosc2_core::buffer::zeroed(n);
        self.read_into(r, &mut out, Threads::AtMost(threads))?;
        Ok(out)
    }

    /// The new content of chunk `p` with its part of `data` (the C-order bytes of the box
    /// `src`) written in, compressed.
    fn write_piece(&self, p: &Piece, src: &Region, data: &[u8]) -> Result<Vec<u8>> {
        // Blocks go to the whole current pool, also when chunks run in parallel there: a
        // thread out of chunks then helps with the blocks of a costly one.
        let content = self.piece_content(p, src, data)?;
        Ok(Compressor::on_current_pool(self.cparams.clone()).compress(&content)?)
    }

    /// As [`NdArray::write_piece`], with the parameters `tuner` chooses (blocks spread over
    /// the array's own thread count: chunks go one at a time, in order).
    fn write_piece_tuned(&self, tuner: &mut dyn Tuner, p: &Piece, src: &Region, data: &[u8]) -> Result<Vec<u8>> {
        let content = self.piece_content(p, src, data)?;
        let base = CompressParams { nthreads: self.schunk.cparams().nthreads, ..self.cparams.clone() };
        let fixed = Fixed { blocksize: true };
        Ok(compress_tuned(tuner, p.index, &base, fixed, &content, blosc2_core::chunk::compress)?)
    }

    /// The new uncompressed content of chunk `p` with its part of `data` (the C-order
    /// bytes of the box `src`) written in.
    fn piece_content<'d>(&self, p: &Piece, src: &Region, data: &'d [u8]) -> Result<Cow<'d, [u8]>> {
        let g = &self.geom;
        let n = g.ndim();
        let ts = g.typesize();
        let (lo, hi) = (p.region.start(), p.region.stop());
        let covered =
            (0..n).all(|d| lo[d] == p.origin[d] && hi[d] == g.shape()[d].min(p.origin[d] + g.chunkshape()[d]));
        if let Some(at) = self.chunk_run_in(p, src) {
            // The chunk's bytes are one run of `data`: compress it from `data` itself.
            return Ok(Cow::Borrowed(&data[at..at + g.chunk_nbytes()]));
        }
        let mut buf = vec![0u8; g.chunk_nbytes()];
        if !covered {
            let c = self.schunk.chunk(p.index)?;
            let h = ChunkHeader::parse(&c)?;
            self.check_chunk(p.index, &h)?;
            if !matches!(h.special(), Some(SpecialKind::Zeros | SpecialKind::Uninit)) {
                self.schunk
                    .decompressor()
                    .with_nthreads(1)
                    .with_output(Output::Cached)
                    .decompress_into(&c, &mut buf)?;
            }
        }
        let bb = g.block_nbytes();
        let bshape = g.blockshape();
        for (bi, borigin) in touched_blocks(g, p) {
            let (in_block, in_data, part) = block_part(p, &borigin, bshape, src.start());
            let block = &mut buf[bi * bb..(bi + 1) * bb];
            copy_box(ts, data, src.shape(), &in_data, block, bshape, &in_block, &part);
        }
        Ok(Cow::Owned(buf))
    }

    /// Writes `data` (the C-order bytes of region `r`, `r.num_elements() * itemsize` of
    /// them) into region `r`, recompressing only the chunks it touches (chunks it covers
    /// entirely are not decompressed first).
    ///
    /// ```
    /// use blosc2_nd::{NdArray, Options, Region};
    ///
    /// let mut a = NdArray::from_slice(&[4, 4], &[0u8; 16], &Options::new()).unwrap();
    /// a.write_box(&Region::from_start_shape(&[1, 2], &[2, 2]).unwrap(), &[1, 2, 3, 4]).unwrap();
    /// assert_eq!(a.get::<u8>(&[2, 3]).unwrap(), 4);
    /// ```
    ///
    /// # Errors
    /// As [`Region::check_within`] (the region must lie inside the array),
    /// [`Error::BufferSize`], chunk and compression errors; core errors on read-only arrays.
    pub fn write_box(&mut self, r: &Region, data: &[u8]) -> Result<()> {
        r.check_within(self.shape())?;
        let expected = r.num_elements().expect("inside the array") * self.geom.typesize() as u64;
        if data.len() as u64 != expected {
            return Err(Error::BufferSize { expected, found: data.len() as u64 });
        }
        let ps = pieces(&self.geom, r);
        if let Some(mut tuner) = self.schunk.take_tuner() {
            let written = ps.iter().try_for_each(|p| {
                let c = self.write_piece_tuned(tuner.as_mut(), p, r, data)?;
                self.schunk.update_chunk(p.index, c).map_err(Error::from)
            });
            self.schunk.set_tuner(Some(tuner));
            return written;
        }
        // An array in memory keeps every compressed chunk anyway: one parallel pass over
        // all of them (no thread waits at the end of each batch). On disk, batches bound
        // what is held before it is written.
        let batch_len = if self.schunk.frame().is_none() { ps.len().max(1) } else { BATCH };
        for batch in ps.chunks(batch_len) {
            let chunks: Vec<Result<Vec<u8>>> = if batch.len() > 1 {
                batch.par_iter().map(|p| self.write_piece(p, r, data)).collect()
            } else {
                batch.iter().map(|p| self.write_piece(p, r, data)).collect()
            };
            for (p, c) in batch.iter().zip(chunks) {
                self.schunk.update_chunk(p.index, c?)?;
            }
        }
        Ok(())
    }
}

impl NdArray {
    /// An array holding `data` (C-order bytes of an array of `shape`) created directly as a
    /// contiguous frame file at `path` (replaced if it exists) and returned opened
    /// read-only: chunks are compressed in parallel a batch at a time and written while
    /// the next batch compresses, so the compressed array is never held whole in memory
    /// and writing overlaps compressing (python-blosc2's `asarray(..., urlpath=...)`). The
    /// file holds the bytes [`NdArray::from_bytes`] then [`NdArray::save`] write.
    ///
    /// # Errors
    /// As [`NdArray::from_bytes`], plus [`Error::Core`] for I/O errors (the target is then
    /// left as it was).
    pub fn from_bytes_at(
        path: impl AsRef<std::path::Path>,
        shape: &[u64],
        dtype: &crate::DType,
        data: &[u8],
        opts: &crate::Options,
    ) -> Result<NdArray> {
        let a = Self::zeros(shape, dtype, opts)?;
        let expected = a.geom.nitems() * dtype.itemsize() as u64;
        if data.len() as u64 != expected {
            return Err(Error::BufferSize { expected, found: data.len() as u64 });
        }
        let s = a.schunk();
        let mut w = FrameWriter::create(path.as_ref(), s.cparams().clone(), s.metalayers().clone(), false)?;
        *w.vlmetalayers_mut() = s.vlmetalayers().clone();
        let whole = Region::whole(shape);
        let ps = pieces(&a.geom, &whole);
        let mut append = |chunks: Vec<Vec<u8>>| chunks.into_iter().try_for_each(|c| w.append_chunk(c).map(drop));
        let mut compressed: Vec<Vec<u8>> = Vec::new();
        for batch in ps.chunks(BATCH) {
            let (written, next) = rayon::join(
                || append(std::mem::take(&mut compressed)),
                || batch.par_iter().map(|p| a.write_piece(p, &whole, data)).collect::<Result<Vec<_>>>(),
            );
            written?;
            compressed = next?;
        }
        append(compressed)?;
        w.finish()?;
        Self::open(path)
    }
}

#[cfg(test)]
mod tests {
    use super::{reads_planes_in_place, Threads};
    use crate::{NdArray, Options, Region};

    #[test]
    fn parallel_reads_equal_reads_on_the_calling_thread() {
        // Small reads stay on the calling thread; forced onto two threads, each parallel
        // path (rows of chunks, batches of chunks, the blocks of one chunk decoded or
        // gathered, a whole chunk) gives the same bytes as one thread. Blocks (2, 4, 6) in
        // chunks (4, 8, 12): an element of `u32` noise in the low byte, a byte shuffle.
        let shape = [9u64, 20, 30];
        let values: Vec<u32> =
            (0..shape.iter().product::<u64>()).map(|i| (i * 2_654_435_761 % 1_000_003) as u32).collect();
        let a = NdArray::from_slice(&shape, &values, &Options::new().chunks(&[4, 8, 12]).blocks(&[2, 4, 6])).unwrap();
        let boxes: [([u64; 3], [u64; 3]); 7] = [
            ([0, 0, 0], [9, 20, 30]), // everything: rows of chunks
            ([1, 3, 5], [2, 17, 29]), // a plane across chunks of one row: batches
            ([0, 0, 7], [9, 20, 8]),  // a plane across the last axis
            ([4, 0, 0], [8, 8, 12]),  // one whole chunk
            ([5, 1, 1], [7, 7, 11]),  // blocks of one chunk
            ([4, 0, 0], [5, 8, 12]),  // blocks of one chunk, whole rows
            ([5, 2, 3], [6, 3, 4]),   // an element
        ];
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        for (lo, hi) in &boxes {
            let r = Region::from_start_stop(lo, hi).unwrap();
            let n = r.num_elements().unwrap() as usize * 4;
            let mut want = Vec::with_capacity(n);
            for i in lo[0]..hi[0] {
                for j in lo[1]..hi[1] {
                    let at = ((i * 20 + j) * 30 + lo[2]) as usize;
                    want.extend(values[at..at + (hi[2] - lo[2]) as usize].iter().flat_map(|v| v.to_le_bytes()));
                }
            }
            // Buffers that do not start zeroed: every byte is written.
            let mut one = vec![0xa5u8; n];
            a.read_into(&r, &mut one, Threads::AtMost(2)).unwrap();
            assert_eq!(one, want, "box {r}, calling thread");
            let mut two = vec![7u8; n];
            pool.install(|| a.read_into(&r, &mut two, Threads::Exactly(2))).unwrap();
            assert_eq!(two, want, "box {r}, two threads");
        }
    }

    #[test]
    fn reads_into_dirty_buffers_write_zeros_for_chunks_of_zeros() {
        // An array of zeros with one box written: reads of boxes over chunks of zeros and
        // written chunks, into buffers full of other bytes, give the zeros too.
        let shape = [10u64, 12, 14];
        let opts = Options::new().chunks(&[4, 5, 6]).blocks(&[2, 5, 3]);
        let mut a = NdArray::zeros(&shape, &crate::DType::parse("<u2").unwrap(), &opts).unwrap();
        let w = Region::from_start_stop(&[3, 4, 5], &[7, 9, 11]).unwrap();
        let data: Vec<u8> = (0..w.num_elements().unwrap() * 2).map(|i| (i % 251) as u8 | 1).collect();
        a.write_box(&w, &data).unwrap();
        let whole = a.read_box(&Region::from_start_stop(&[0, 0, 0], &shape).unwrap()).unwrap();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        for (lo, hi) in
            [([0u64, 0, 0], [10u64, 12, 14]), ([1, 2, 3], [9, 10, 12]), ([0, 0, 0], [3, 4, 5]), ([5, 6, 7], [6, 7, 8])]
        {
            let r = Region::from_start_stop(&lo, &hi).unwrap();
            let mut want = Vec::new();
            for i in lo[0]..hi[0] {
                for j in lo[1]..hi[1] {
                    let at = (((i * 12 + j) * 14 + lo[2]) * 2) as usize;
                    want.extend_from_slice(&whole[at..at + 2 * (hi[2] - lo[2]) as usize]);
                }
            }
            for threads in [Threads::AtMost(1), Threads::Exactly(2)] {
                let mut got = vec![0xeeu8; want.len()];
                pool.install(|| a.read_into(&r, &mut got, threads)).unwrap();
                assert_eq!(got, want, "box {r}, {threads:?}");
            }
        }
        assert!(whole.iter().any(|&b| b != 0) && whole.iter().filter(|&&b| b == 0).count() > whole.len() / 2);
    }

    #[test]
    fn box_reads_from_files_fetch_only_the_wanted_blocks() {
        let dir = std::env::temp_dir().join(format!("b2nd-partial-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let values: Vec<u64> = (0..64 * 64).map(|i| i * 2_654_435_761 % 1_000_003).collect();
        let a = NdArray::from_slice(&[64, 64], &values, &Options::new().chunks(&[32, 64]).blocks(&[8, 64])).unwrap();
        for sparse in [false, true] {
            let path = dir.join(if sparse { "p-dir.b2nd" } else { "p.b2nd" });
            if sparse {
                a.save_sparse(&path).unwrap();
            } else {
                a.save(&path).unwrap();
            }
            for f in [NdArray::open(&path).unwrap(), NdArray::open_mut(&path).unwrap()] {
                let bb = f.geometry().block_nbytes();
                let mut buf = Vec::new();
                let n = f.partial_chunk(1, &[(2 * bb, 3 * bb)], &mut buf, 1).expect("partial read applies");
                let whole = f.schunk().chunk(1).unwrap();
                // Only the header, the table and one of the four blocks were read.
                assert!(n < whole.len() / 2, "{n} of {} bytes read", whole.len());
                let all = f.schunk().decompress_chunk(1).unwrap();
                let n =
                    f.partial_chunk(1, &[(0, 2 * bb), (3 * bb, 4 * bb)], &mut buf, 1).expect("partial read applies");
                let mut got = vec![0u8; bb];
                for b in [0, 1, 3] {
                    blosc2_core::chunk::decompress_range(&buf[..n], b * bb, &mut got).unwrap();
                    assert_eq!(got, all[b * bb..(b + 1) * bb], "block {b}");
                }
            }
            assert!(NdArray::load(&path).unwrap().partial_chunk(1, &[(0, 8)], &mut Vec::new(), 1).is_none());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn stored_planes_are_read_in_place_for_scans_and_sparse_boxes() {
        // (20, 20, 20) blocks, 8000-byte planes: a plane across axis 0 is one run of 400
        // bytes; across axis 2 it reads every 20th byte (a scan); across axis 1 it reads
        // 20 runs of 20 bytes, 400 bytes apart; a 10^3 cube 100 runs of 10.
        let b = [20, 20, 20];
        assert!(reads_planes_in_place(&b, &[1, 20, 20]));
        assert!(reads_planes_in_place(&b, &[20, 20, 1]));
        assert!(!reads_planes_in_place(&b, &[20, 1, 20]));
        assert!(!reads_planes_in_place(&b, &[10, 10, 10]));
        assert!(reads_planes_in_place(&b, &[1, 1, 1]));
        // (1, 40, 640) blocks: a column of 40 elements, 640 bytes apart, in 25,600 bytes.
        assert!(reads_planes_in_place(&[1, 40, 640], &[1, 40, 1]));
        assert!(reads_planes_in_place(&[1, 40, 640], &[1, 1, 640]));
        assert!(reads_planes_in_place(&[], &[]));
    }
}
