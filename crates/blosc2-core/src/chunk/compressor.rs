//! The chunk compressor (`shared/spec/chunk.md` 9): header flags, block loop, run
//! detection, memcpy fallback and the all-zeros special chunk, as C-Blosc2 3.x does them.
//!
//! One deliberate difference: our filters never write into the caller's buffer, so the
//! C-Blosc2 defect with three or more filters (chunk.md 8) cannot happen here. With several
//! threads, blocks are compressed in parallel but laid out in block order.

use std::cell::RefCell;

use rayon::prelude::*;

use super::blocksize::{compute_blocksize, header_typesize, split_block};
use super::dict::{self, Dict};
use super::pool::run_shared;
use super::CompressParams;
use crate::codec::{CodecContext, CodecParams};
use crate::error::{Error, Result};
use crate::filter::{Block, FilterId};
use crate::header::{
    blosc2_flags, flags, ChunkHeader, SpecialKind, EXTENDED_HEADER_LEN, MAX_BLOCKSIZE, MAX_BUFFERSIZE, MIN_BUFFERSIZE,
};

/// Per-thread state reused across blocks and calls: codec contexts and two block buffers.
#[derive(Default)]
pub(crate) struct Workspace {
    pub(crate) codec: CodecContext,
    pub(crate) buf: Vec<u8>,
    pub(crate) scratch: Vec<u8>,
}

impl Workspace {
    /// Makes the buffers that compressing blocks of `n` bytes with `filters` needs at least
    /// `n` bytes long: the filtered block, and a scratch block only for a pipeline of two
    /// steps or more (a lone filter goes straight from the input into the block).
    fn reserve_for(&mut self, n: usize, filters: &crate::filter::Pipeline) {
        if self.buf.len() < n {
            self.buf.resize(n, 0);
        }
        let steps = filters.filters.iter().filter(|&&f| f != 0).count();
        if steps > 1 && self.scratch.len() < n {
            self.scratch.resize(n, 0);
        }
    }
}

thread_local! {
    pub(crate) static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::default());
}

/// Where the blocks of a chunk are compressed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) enum Threads {
    /// On the shared pool of `params.nthreads` threads (serially when that is 1).
    #[default]
    Own,
    /// On the rayon pool the caller runs on, whatever its size: for callers that already
    /// spread chunks over that pool, so that the blocks of an uneven chunk can be taken by
    /// threads that ran out of chunks.
    Current,
}

/// What every block of one chunk shares.
struct Job<'a> {
    params: &'a CompressParams,
    threads: Threads,
    src: &'a [u8],
    typesize: usize,
    blocksize: usize,
    nblocks: usize,
    leftover: usize,
    dont_split: bool,
    filtered: bool,
    /// Where the first block goes: after `bstarts`, and after the dictionary when there is one.
    body_start: usize,
    /// The dictionary every stream is compressed with (`chunk.md` 7).
    dict: Option<&'a Dict>,
    codec: CodecParams<'a>,
}

/// Inputs up to this size are compressed into a per-thread buffer kept from call to call,
/// and only the compressed bytes are copied out: no zeroed allocation of a whole
/// uncompressed chunk per call.
const REUSED_OUTPUT_MAX: usize = 32 << 20;

/// Chunks of this size or more are taken to come from memory rather than the cache: their
/// blocks are filtered with [`crate::filter::Pipeline::forward_cold`], which fetches the
/// source ahead (a chunk this large is not in a core's L2 cache).
const COLD_SOURCE_MIN: usize = 2 << 20;

thread_local! {
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

pub(crate) fn compress(params: &CompressParams, src: &[u8], threads: Threads) -> Result<Vec<u8>> {
    let room = src.len() + EXTENDED_HEADER_LEN;
    if room <= REUSED_OUTPUT_MAX {
        let reused = OUTPUT.try_with(|out| {
            let Ok(mut out) = out.try_borrow_mut() else { return None };
            if out.len() < room {
                // A fresh zeroed allocation: its pages are only made resident as the
                // compressed bytes reach them.
                *out = vec![0u8; room];
            }
            Some(encode(params, src, &mut out[..room], threads).map(|e| match e {
                Encoded::Chunk(n) => out[..n].to_vec(),
                Encoded::Stored(header) => stored(&header, src),
            }))
        });
        if let Ok(Some(r)) = reused {
            return r;
        }
    }
    let mut dst = vec![0u8; room];
    let n = match encode(params, src, &mut dst, threads)? {
        Encoded::Chunk(n) => n,
        Encoded::Stored(header) => return Ok(stored(&header, src)),
    };
    dst.truncate(n);
    // Give back the room reserved for an incompressible input: the threaded path writes
    // all over it, so a kept chunk would otherwise hold a whole chunk of resident memory.
    dst.shrink_to_fit();
    Ok(dst)
}

/// A memcpyed chunk: `header`, then `src`.
fn stored(header: &ChunkHeader, src: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(EXTENDED_HEADER_LEN + src.len());
    v.extend_from_slice(&header.to_bytes());
    v.extend_from_slice(src);
    v
}

fn validate(params: &CompressParams, nbytes: usize) -> Result<()> {
    let bad = |name, value: usize, reason| Err(Error::InvalidParam { name, value: value as i64, reason });
    if params.clevel > 9 {
        return bad("clevel", params.clevel.into(), "must be 0..=9");
    }
    if params.typesize == 0 || params.typesize > MAX_BLOCKSIZE {
        return bad("typesize", params.typesize, "must be 1..=536866816");
    }
    if nbytes > MAX_BUFFERSIZE {
        return bad("nbytes", nbytes, "a chunk holds at most 2,147,483,615 bytes");
    }
    if params.blocksize > MAX_BLOCKSIZE {
        return bad("blocksize", params.blocksize, "must be 0 (automatic) or up to 536866816");
    }
    params.codec.format()?;
    dict::check_codec(params)?;
    params.filters.validate_for_compression(header_typesize(params.typesize))
}

pub(crate) fn compress_into(params: &CompressParams, src: &[u8], dst: &mut [u8], threads: Threads) -> Result<usize> {
    match encode(params, src, dst, threads)? {
        Encoded::Chunk(n) => Ok(n),
        Encoded::Stored(header) => {
            let cbytes = header.cbytes;
            if cbytes > dst.len() {
                return Err(Error::DestinationTooSmall { needed: cbytes, available: dst.len() });
            }
            dst[..EXTENDED_HEADER_LEN].copy_from_slice(&header.to_bytes());
            dst[EXTENDED_HEADER_LEN..cbytes].copy_from_slice(src);
            Ok(cbytes)
        }
    }
}

pub(crate) fn compress_into_or_stored(
    params: &CompressParams,
    src: &[u8],
    dst: &mut [u8],
    threads: Threads,
) -> Result<super::Encoded> {
    Ok(match encode(params, src, dst, threads)? {
        Encoded::Chunk(n) => super::Encoded::Chunk(n),
        Encoded::Stored(header) => super::Encoded::Stored(header.to_bytes()),
    })
}

/// What [`encode`] produced.
enum Encoded {
    /// A chunk of this many bytes at the start of the destination.
    Chunk(usize),
    /// The input is to be stored as is, after this header; nothing was written yet.
    Stored(ChunkHeader),
}

/// Compresses `src` into `dst`, or decides that it must be stored as is (memcpyed).
fn encode(params: &CompressParams, src: &[u8], dst: &mut [u8], threads: Threads) -> Result<Encoded> {
    validate(params, src.len())?;
    let destsize = dst.len();
    if destsize < EXTENDED_HEADER_LEN {
        return Err(Error::DestinationTooSmall { needed: EXTENDED_HEADER_LEN, available: destsize });
    }
    let nbytes = src.len();
    let cut = BlockLayout::new(params, nbytes);
    let BlockLayout { typesize: ts, blocksize, nblocks, leftover, dont_split } = cut;
    let mut memcpyed = params.clevel == 0 || nbytes < MIN_BUFFERSIZE;
    let body_start = EXTENDED_HEADER_LEN + 4 * nblocks;
    if !memcpyed && body_start > destsize {
        memcpyed = true;
    }
    let mut header = cut.header(params, nbytes);
    if params.use_dict && params.clevel > 0 && nbytes == 0 {
        // C-Blosc2 compresses an empty input twice with `use_dict` (no room for a
        // dictionary): its chunk keeps the memcpyed flag and gains the all-zeros one.
        header.blosc2_flags |= SpecialKind::Zeros.code() << 4;
    }
    if !memcpyed {
        header.flags |= compressed_flags(params, dont_split)?;
        let layout = dict::Layout { typesize: ts, blocksize, nblocks, dont_split };
        let dict = if params.use_dict { Dict::build(params, src, &layout)? } else { None };
        let mut start = body_start;
        if let Some(d) = &dict {
            let bytes = d.bytes();
            start += 4 + bytes.len();
            if start > destsize {
                return stored_as_is(header, nbytes);
            }
            dst[body_start..body_start + 4].copy_from_slice(&(bytes.len() as i32).to_le_bytes());
            dst[body_start + 4..start].copy_from_slice(bytes);
            header.blosc2_flags |= blosc2_flags::USE_DICT;
        }
        let job = Job {
            params,
            threads,
            src,
            typesize: ts,
            blocksize,
            nblocks,
            leftover,
            dont_split,
            filtered: params.filters.filters.iter().any(|&f| f != 0),
            body_start: start,
            dict: dict.as_ref(),
            codec: CodecParams {
                codec: params.codec,
                clevel: params.clevel,
                meta: params.codec_meta,
                typesize: ts,
                geometry: params.geometry.as_ref(),
            },
        };
        let nthreads = match threads {
            Threads::Own => params.nthreads,
            Threads::Current => rayon::current_num_threads(),
        };
        let written =
            if nthreads > 1 && nblocks > 1 { compress_parallel(&job, dst)? } else { compress_serial(&job, dst)? };
        match written {
            Some(end) => {
                let nstreams = if dont_split {
                    nblocks
                } else if leftover > 0 {
                    (nblocks - 1) * ts + 1
                } else {
                    nblocks * ts
                };
                header.cbytes = end;
                if end == body_start + 4 * nstreams {
                    // Every stream is a run of zeros: the chunk becomes a special-zeros chunk.
                    header.blosc2_flags |= 1 << 4;
                    header.cbytes = EXTENDED_HEADER_LEN;
                }
                dst[..EXTENDED_HEADER_LEN].copy_from_slice(&header.to_bytes());
                return Ok(Encoded::Chunk(header.cbytes));
            }
            None => memcpyed = true,
        }
    }
    debug_assert!(memcpyed);
    stored_as_is(header, nbytes)
}

/// How [`compress`] cuts a chunk into blocks and streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockLayout {
    /// The typesize of the header and the filters.
    pub(crate) typesize: usize,
    /// Bytes per block (the last one may be shorter).
    pub(crate) blocksize: usize,
    /// Number of blocks.
    pub(crate) nblocks: usize,
    /// Bytes of a short last block (0 when all blocks are whole).
    pub(crate) leftover: usize,
    /// Whether blocks are kept as one stream instead of `typesize` streams.
    pub(crate) dont_split: bool,
}

impl BlockLayout {
    /// The layout of `nbytes` bytes compressed with `params`.
    pub(crate) fn new(params: &CompressParams, nbytes: usize) -> BlockLayout {
        let ts = header_typesize(params.typesize);
        let blocksize = compute_blocksize(params, nbytes).max(1);
        // A split block must hold whole elements; a caller's odd block size disables splitting.
        let dont_split = !split_block(params, blocksize) || !blocksize.is_multiple_of(ts) || blocksize < ts;
        BlockLayout {
            typesize: ts,
            blocksize,
            nblocks: nbytes.div_ceil(blocksize),
            leftover: nbytes % blocksize,
            dont_split,
        }
    }

    /// The header of a chunk of `nbytes` bytes with this layout before compression
    /// decides anything (`cbytes` 0; no codec, DELTA or split flags yet).
    fn header(&self, params: &CompressParams, nbytes: usize) -> ChunkHeader {
        ChunkHeader {
            version: 5,
            versionlz: 1,
            flags: flags::EXTENDED,
            typesize: self.typesize as u8,
            nbytes,
            blocksize_field: self.blocksize,
            cbytes: 0,
            filters: params.filters.as_written(self.typesize),
            udcodec: params.codec.0,
            compcode_meta: params.codec_meta,
            flags2: 0,
            blosc2_flags: 0,
        }
    }

    /// Whether block `j` is a short last block.
    pub(crate) fn is_leftover(&self, j: usize) -> bool {
        j + 1 == self.nblocks && self.leftover > 0
    }

    /// Length of block `j`.
    pub(crate) fn block_len(&self, j: usize) -> usize {
        if self.is_leftover(j) {
            self.leftover
        } else {
            self.blocksize
        }
    }

    /// Number of streams of block `j`.
    pub(crate) fn nstreams(&self, j: usize) -> usize {
        if self.dont_split || self.is_leftover(j) {
            1
        } else {
            self.typesize
        }
    }
}

/// The bits of header byte 2 that a compressed (not memcpyed) chunk gets besides
/// [`flags::EXTENDED`].
fn compressed_flags(params: &CompressParams, dont_split: bool) -> Result<u8> {
    let mut f = params.codec.format()? << 5;
    if params.filters.contains(FilterId::DELTA) {
        f |= flags::DELTA;
    }
    if dont_split {
        f |= flags::DONT_SPLIT;
    }
    Ok(f)
}

/// For building a chunk from some of its blocks ([`super::sparse`]): the layout and the
/// header (`cbytes` still 0) that [`compress`] gives a chunk of `nbytes` bytes, or `None`
/// for the header when its blocks cannot be compressed one at a time: with DELTA (a
/// block's streams depend on block 0) or a dictionary (built from the whole chunk), and
/// when the chunk is stored as is whatever its content (clevel 0, tiny chunks).
///
/// # Errors
/// Invalid parameters, as [`compress`].
pub(crate) fn lone_block_layout(params: &CompressParams, nbytes: usize) -> Result<(BlockLayout, Option<ChunkHeader>)> {
    validate(params, nbytes)?;
    let layout = BlockLayout::new(params, nbytes);
    let apart =
        params.clevel > 0 && nbytes >= MIN_BUFFERSIZE && !params.use_dict && !params.filters.contains(FilterId::DELTA);
    if !apart {
        return Ok((layout, None));
    }
    let mut header = layout.header(params, nbytes);
    header.flags |= compressed_flags(params, layout.dont_split)?;
    Ok((layout, Some(header)))
}

/// Filters and compresses `block`, block `j` of a chunk of `layout` for which
/// [`lone_block_layout`] gave a header, into `out` exactly as [`compress`] writes it in
/// the chunk (its streams with their sizes). Returns the bytes written, or `None` when
/// they do not fit in `out`.
///
/// # Errors
/// Filter and codec errors.
pub(crate) fn compress_lone_block(
    params: &CompressParams,
    layout: &BlockLayout,
    j: usize,
    block: &[u8],
    out: &mut [u8],
) -> Result<Option<usize>> {
    debug_assert_eq!(block.len(), layout.block_len(j));
    let job = Job {
        params,
        threads: Threads::Own,
        src: block,
        typesize: layout.typesize,
        blocksize: layout.blocksize,
        nblocks: layout.nblocks,
        leftover: layout.leftover,
        dont_split: layout.dont_split,
        filtered: params.filters.filters.iter().any(|&f| f != 0),
        body_start: 0,
        dict: None,
        codec: CodecParams {
            codec: params.codec,
            clevel: params.clevel,
            meta: params.codec_meta,
            typesize: layout.typesize,
            geometry: params.geometry.as_ref(),
        },
    };
    WORKSPACE.with(|ws| {
        let ws = &mut *ws.borrow_mut();
        ws.reserve_for(layout.blocksize, &params.filters);
        // No DELTA here: the reference block is never read.
        encode_block(&job, j * layout.blocksize, block, block, layout.is_leftover(j), false, out, ws)
    })
}

/// The memcpyed outcome, with `header`'s flags kept (as C-Blosc2) except the dictionary
/// flag: C-Blosc2 keeps that one too, and then cannot read the chunk back, since a reader
/// looks for a dictionary where the data starts.
fn stored_as_is(mut header: ChunkHeader, nbytes: usize) -> Result<Encoded> {
    header.flags |= flags::MEMCPYED;
    header.blosc2_flags &= !blosc2_flags::USE_DICT;
    header.cbytes = nbytes + EXTENDED_HEADER_LEN;
    Ok(Encoded::Stored(header))
}

impl Job<'_> {
    /// Runs `work` on every item, in parallel: on the calling thread and the shared pool
    /// ([`run_shared`]), or on the rayon pool the caller runs on; one item per task either
    /// way, so that a thread that finishes early takes the next.
    fn for_each<T: Send>(&self, items: Vec<T>, work: impl Fn(T) -> Result<()> + Sync + Send) -> Result<()> {
        match self.threads {
            Threads::Own => run_shared(self.params.nthreads, items, work),
            Threads::Current => items.into_par_iter().with_max_len(1).try_for_each(work),
        }
    }
}

/// Compresses the blocks one after the other straight into `dst`, with C-Blosc2's exact
/// room limits. `None` means the chunk did not fit and must be memcpyed.
fn compress_serial(job: &Job<'_>, dst: &mut [u8]) -> Result<Option<usize>> {
    WORKSPACE.with(|ws| {
        let ws = &mut *ws.borrow_mut();
        ws.reserve_for(job.blocksize, &job.params.filters);
        let mut ntbytes = job.body_start;
        for j in 0..job.nblocks {
            let at = EXTENDED_HEADER_LEN + 4 * j;
            dst[at..at + 4].copy_from_slice(&(ntbytes as i32).to_le_bytes());
            match compress_block(job, j, &mut dst[ntbytes..], ws)? {
                Some(n) => ntbytes += n,
                None => return Ok(None),
            }
        }
        Ok(Some(ntbytes))
    })
}

thread_local! {
    /// The calling thread's staging area for threaded compression: one slot of room per
    /// block, kept from call to call (so no zeroed allocation per chunk or per block).
    static STAGING: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Compresses blocks on the pool, each into its own slot of a staging area, then lays them
/// out in order.
fn compress_parallel(job: &Job<'_>, dst: &mut [u8]) -> Result<Option<usize>> {
    // Room per block as C gives each thread: the block plus one size field per stream.
    let ebsize = job.blocksize + job.typesize * 4;
    let need = ebsize * job.nblocks;
    let mut staging = STAGING.with(|s| std::mem::take(&mut *s.borrow_mut()));
    if staging.len() < need {
        // Zeroed afresh rather than extended: each slot's pages become resident only as far
        // as its compressed block reaches.
        staging = vec![0u8; need];
    }
    let mut sizes: Vec<Option<usize>> = vec![None; job.nblocks];
    // One block per task: blocks can differ much in cost.
    let items: Vec<_> = staging[..need].chunks_mut(ebsize).zip(sizes.iter_mut()).enumerate().collect();
    let compressed = job.for_each(items, |(j, (out, size))| {
        *size = WORKSPACE.with(|ws| {
            let ws = &mut *ws.borrow_mut();
            ws.reserve_for(job.blocksize, &job.params.filters);
            compress_block(job, j, out, ws)
        })?;
        Ok(())
    });
    let laid_out = (|| {
        compressed?;
        let mut ntbytes = job.body_start;
        let mut sizes_ok = Vec::with_capacity(sizes.len());
        for size in sizes {
            let Some(n) = size else { return Ok(None) };
            sizes_ok.push(n);
        }
        // An incompressible chunk is stored as is: find out before copying anything.
        if ntbytes + sizes_ok.iter().sum::<usize>() > dst.len() {
            return Ok(None);
        }
        // Record each block's start, and lay the blocks out on the threads too: for poorly
        // compressible data the copy is a good part of the work.
        let (head, mut rest) = dst.split_at_mut(ntbytes);
        let mut places: Vec<(&mut [u8], &[u8])> = Vec::with_capacity(job.nblocks);
        for (j, &n) in sizes_ok.iter().enumerate() {
            let at = EXTENDED_HEADER_LEN + 4 * j;
            head[at..at + 4].copy_from_slice(&(ntbytes as i32).to_le_bytes());
            let (place, tail) = rest.split_at_mut(n);
            places.push((place, &staging[j * ebsize..j * ebsize + n]));
            rest = tail;
            ntbytes += n;
        }
        job.for_each(places, |(d, s)| {
            d.copy_from_slice(s);
            Ok(())
        })?;
        Ok(Some(ntbytes))
    })();
    // Keep the staging area for the next call, unless it is much larger than a chunk needs.
    if staging.len() <= REUSED_OUTPUT_MAX {
        STAGING.with(|s| *s.borrow_mut() = staging);
    }
    laid_out
}

/// Whether all bytes of `s` equal `s[0]`.
fn is_run(s: &[u8]) -> bool {
    let Some(&first) = s.first() else { return true };
    let word = u64::from_ne_bytes([first; 8]);
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        if u64::from_ne_bytes(c.try_into().expect("8 bytes")) != word {
            return false;
        }
    }
    chunks.remainder().iter().all(|&b| b == first)
}

/// Filters and compresses block `j` into `out` (whose length is the room left). Returns the
/// bytes written, or `None` when the block does not fit.
fn compress_block(job: &Job<'_>, j: usize, out: &mut [u8], ws: &mut Workspace) -> Result<Option<usize>> {
    let offset = j * job.blocksize;
    let leftover_block = j == job.nblocks - 1 && job.leftover > 0;
    let bsize = if leftover_block { job.leftover } else { job.blocksize };
    let block = &job.src[offset..offset + bsize];
    let reference = &job.src[..job.blocksize.min(job.src.len())];
    let cold = job.src.len() >= COLD_SOURCE_MIN;
    encode_block(job, offset, block, reference, leftover_block, cold, out, ws)
}

/// [`compress_block`] for the block at `offset` in the chunk whose bytes are `block`, with
/// `reference` the chunk's first block (for DELTA) and `cold` telling that the source is
/// not in the cache.
#[allow(clippy::too_many_arguments)]
fn encode_block(
    job: &Job<'_>,
    offset: usize,
    block: &[u8],
    reference: &[u8],
    leftover_block: bool,
    cold: bool,
    out: &mut [u8],
    ws: &mut Workspace,
) -> Result<Option<usize>> {
    let bsize = block.len();
    let Workspace { codec, buf, scratch } = ws;
    let filtered: &[u8] = if job.filtered {
        let filters = &job.params.filters;
        let cx = Block { typesize: job.typesize, offset, reference, geometry: job.params.geometry.as_ref() };
        if cold {
            filters.forward_block_cold(&cx, block, &mut buf[..bsize], scratch)?;
        } else {
            filters.forward_block(&cx, block, &mut buf[..bsize], scratch)?;
        }
        &buf[..bsize]
    } else {
        block
    };
    let nstreams = if !job.dont_split && !leftover_block { job.typesize } else { 1 };
    let neblock = bsize / nstreams;
    let mut pos = 0usize;
    for stream in filtered.chunks_exact(neblock).take(nstreams) {
        let size_at = pos;
        pos += 4;
        if pos > out.len() {
            return Ok(None);
        }
        if is_run(stream) {
            let value = stream[0];
            out[size_at..pos].copy_from_slice(&(-i32::from(value)).to_le_bytes());
            if value != 0 {
                if pos + 1 > out.len() {
                    return Ok(None);
                }
                out[pos] = 0x01;
                pos += 1;
            }
            continue;
        }
        let maxout = neblock.min(out.len() - pos);
        if maxout == 0 {
            return Ok(None);
        }
        let room = &mut out[pos..pos + maxout];
        let mut csize = match job.dict {
            Some(d) => d.compress(job.params.clevel, stream, room)?,
            None => codec.compress_with(&job.codec, stream, room)?,
        };
        if csize == 0 || csize >= neblock {
            if pos + neblock > out.len() {
                return Ok(None);
            }
            out[pos..pos + neblock].copy_from_slice(stream);
            csize = neblock;
        }
        out[size_at..size_at + 4].copy_from_slice(&(csize as i32).to_le_bytes());
        pos += csize;
    }
    Ok(Some(pos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use blosc2_testkit::data::{XorShift64, GAMMA};

    #[test]
    fn runs() {
        assert!(is_run(&[7; 100]));
        let mut v = vec![7u8; 100];
        v[99] = 8;
        assert!(!is_run(&v));
        v[99] = 7;
        v[3] = 0;
        assert!(!is_run(&v));
    }

    #[test]
    fn compress_into_or_stored_gives_compress_s_chunk() {
        // Compressible, incompressible, tiny and empty inputs, one and two threads: the
        // chunk (or the returned header followed by the input) equals compress's.
        let random = XorShift64(GAMMA).bytes(300_000);
        let smooth: Vec<u8> = (0..75_000u32).flat_map(|i| (i / 7).to_le_bytes()).collect();
        for data in [&random[..], &smooth[..], &random[..10], &[]] {
            for nthreads in [1, 2] {
                for codec in [crate::codec::CodecId::LZ4, crate::codec::CodecId::ZSTD] {
                    let p = CompressParams { nthreads, codec, typesize: 4, ..CompressParams::default() };
                    let want = super::super::compress(&p, data).unwrap();
                    let mut dst = vec![0u8; data.len() + EXTENDED_HEADER_LEN];
                    let got = match super::super::compress_into_or_stored(&p, data, &mut dst).unwrap() {
                        super::super::Encoded::Chunk(n) => dst[..n].to_vec(),
                        super::super::Encoded::Stored(h) => [&h[..], data].concat(),
                    };
                    assert_eq!(got, want, "{} bytes, {nthreads} threads, {codec:?}", data.len());
                }
            }
        }
    }
}
