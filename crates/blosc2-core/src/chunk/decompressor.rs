//! The chunk decoder (`shared/spec/chunk.md` 4, 5, 6, 7, 10 and 13): whole chunks, byte
//! ranges and single blocks, with every offset and size checked against the chunk before
//! use.

use super::block_view::{DecodedBlock, ShuffledBlock, StoredPlanes};
use super::compressor::{Workspace, WORKSPACE};
use super::pool::run_shared;
use super::special;
use crate::codec::{CodecId, CodecParams, UDCODEC_FORMAT};
use crate::error::{Error, Part, Result};
use crate::filter::{Block, FilterId};
use crate::geometry::NdGeometry;
use crate::header::{ChunkHeader, SpecialKind, MAX_DICT_SIZE};
use crate::streaming;

/// A chunk whose header and tables have been checked.
struct Layout<'a> {
    chunk: &'a [u8],
    h: ChunkHeader,
    kind: Kind<'a>,
    /// The array geometry the caller gave (NDCELL, NDMEAN; plugin codecs).
    geometry: Option<&'a NdGeometry>,
    /// Write decoded blocks with streaming stores (large outputs, see [`streaming`]).
    streaming: bool,
}

enum Kind<'a> {
    Special(SpecialKind, &'a [u8]),
    Memcpyed,
    Regular { bstarts: &'a [u8], dict: Option<&'a [u8]> },
    Vl { bstarts: Vec<usize>, dict: Option<&'a [u8]>, offsets: Vec<usize> },
}

fn read_i32(b: &[u8], at: usize) -> i32 {
    i32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn truncated(part: Part, offset: usize, needed: usize, available: usize) -> Error {
    Error::Truncated { part, offset, needed, available }
}

impl<'a> Layout<'a> {
    fn new(chunk: &'a [u8], geometry: Option<&'a NdGeometry>) -> Result<Layout<'a>> {
        let h = ChunkHeader::parse(chunk)?;
        let chunk = &chunk[..h.cbytes];
        let hl = h.header_len();
        if let Some(kind) = h.special() {
            let value = special::check(&h, chunk, kind)?;
            return Ok(Layout { chunk, h, kind: Kind::Special(kind, value), streaming: false, geometry });
        }
        if h.is_memcpyed() {
            if h.cbytes != h.nbytes + hl {
                return Err(Error::InvalidHeader {
                    field: "cbytes",
                    value: h.cbytes as i64,
                    reason: "a memcpyed chunk must be nbytes plus the header",
                });
            }
            return Ok(Layout { chunk, h, kind: Kind::Memcpyed, streaming: false, geometry });
        }
        if h.nbytes == 0 {
            return Ok(Layout { chunk, h, kind: Kind::Memcpyed, streaming: false, geometry });
        }
        if !h.is_extended() && h.has_dict() {
            return Err(Error::InvalidHeader {
                field: "flags",
                value: h.flags.into(),
                reason: "dictionary in a Blosc1 chunk",
            });
        }
        h.codec_format_supported()?;
        let nblocks = h.nblocks();
        let table_len = nblocks.checked_mul(4).ok_or(Error::InvalidHeader {
            field: "blocksize",
            value: h.blocksize_field as i64,
            reason: "too many blocks",
        })?;
        let mut data_start = hl + table_len;
        if data_start > h.cbytes {
            return Err(truncated(Part::BlockStarts, hl, table_len, h.cbytes - hl));
        }
        let bstarts = &chunk[hl..data_start];
        let dict = if h.has_dict() {
            if data_start + 4 > h.cbytes {
                return Err(truncated(Part::Dictionary, data_start, 4, h.cbytes - data_start));
            }
            let size = read_i32(chunk, data_start);
            if size <= 0 || size as usize > MAX_DICT_SIZE {
                return Err(Error::InvalidHeader {
                    field: "dict_size",
                    value: size.into(),
                    reason: "must be 1..=32768",
                });
            }
            let size = size as usize;
            let from = data_start + 4;
            if from + size > h.cbytes {
                return Err(truncated(Part::Dictionary, from, size, h.cbytes - from));
            }
            data_start = from + size;
            Some(&chunk[from..from + size])
        } else {
            None
        };
        // Every block start must lie in the data area.
        let mut starts = Vec::new();
        for i in 0..nblocks {
            let s = read_i32(bstarts, 4 * i);
            if s < data_start as i32 || s as usize >= h.cbytes {
                return Err(Error::OffsetOutOfRange {
                    part: Part::BlockStarts,
                    index: i,
                    offset: s.into(),
                    min: data_start,
                    max: h.cbytes,
                });
            }
            if h.is_vl_blocks() {
                starts.push(s as usize);
            }
        }
        if h.is_vl_blocks() {
            return Self::vl(chunk, h, starts, dict, geometry);
        }
        Ok(Layout { chunk, h, kind: Kind::Regular { bstarts, dict }, streaming: false, geometry })
    }

    /// VL-block chunks: strictly increasing starts, sizes that add up to `nbytes`.
    fn vl(
        chunk: &'a [u8],
        h: ChunkHeader,
        starts: Vec<usize>,
        dict: Option<&'a [u8]>,
        geometry: Option<&'a NdGeometry>,
    ) -> Result<Layout<'a>> {
        let mut offsets = Vec::with_capacity(starts.len() + 1);
        let mut total = 0usize;
        for (i, &s) in starts.iter().enumerate() {
            let end = starts.get(i + 1).copied().unwrap_or(h.cbytes);
            if end <= s + 4 {
                return Err(Error::OffsetOutOfRange {
                    part: Part::Block,
                    index: i,
                    offset: end as i64,
                    min: s + 5,
                    max: h.cbytes,
                });
            }
            let size = read_i32(chunk, s);
            if size <= 0 {
                return Err(Error::InvalidStreamSize { block: i, stream: 0, csize: size.into(), neblock: 0 });
            }
            offsets.push(total);
            total = total.saturating_add(size as usize);
        }
        if total != h.nbytes {
            return Err(Error::InvalidHeader {
                field: "nbytes",
                value: h.nbytes as i64,
                reason: "differs from the sum of the VL block sizes",
            });
        }
        offsets.push(total);
        Ok(Layout { chunk, h, kind: Kind::Vl { bstarts: starts, dict, offsets }, streaming: false, geometry })
    }

    fn blocksize(&self) -> usize {
        self.h.blocksize()
    }

    /// What the codec of every stream needs to know.
    fn codec_params(&self) -> CodecParams<'a> {
        CodecParams {
            codec: CodecId(self.h.udcodec),
            clevel: 0,
            meta: self.h.compcode_meta,
            typesize: usize::from(self.h.typesize),
            geometry: self.geometry,
        }
    }

    /// Start and length of block `i` in the decoded content.
    fn block_span(&self, i: usize) -> (usize, usize) {
        match &self.kind {
            Kind::Vl { offsets, .. } => (offsets[i], offsets[i + 1] - offsets[i]),
            _ => {
                let bs = self.blocksize();
                let start = i * bs;
                (start, bs.min(self.h.nbytes - start))
            }
        }
    }

    fn needs_block0(&self) -> bool {
        matches!(self.kind, Kind::Regular { .. } | Kind::Vl { .. }) && self.h.filters.contains(FilterId::DELTA)
    }

    fn dict(&self) -> Option<&'a [u8]> {
        match &self.kind {
            Kind::Regular { dict, .. } | Kind::Vl { dict, .. } => *dict,
            _ => None,
        }
    }

    /// Decodes block `i` into `out` (exactly the block's length). `reference` is the decoded
    /// block 0 when DELTA needs it.
    ///
    /// Without filters the streams are decoded straight into `out`; with filters they are
    /// decoded into the workspace buffer and the last backward filter writes into `out`.
    fn decode_block(&self, i: usize, out: &mut [u8], reference: &[u8], ws: &mut Workspace) -> Result<()> {
        let (start, len) = self.block_span(i);
        debug_assert_eq!(out.len(), len);
        match &self.kind {
            Kind::Special(kind, value) => {
                special::fill(*kind, usize::from(self.h.typesize), value, start, out);
                return Ok(());
            }
            Kind::Memcpyed => {
                let from = self.h.header_len() + start;
                self.copy_out(out, &self.chunk[from..from + len]);
                return Ok(());
            }
            _ => {}
        }
        if let Some(v) = self.constant_block(i, len) {
            self.fill_out(out, v);
            return Ok(());
        }
        if self.h.filters.is_empty() {
            return self.decode_payload(i, out, ws);
        }
        let mut filtered = std::mem::take(&mut ws.buf);
        if filtered.len() < len {
            filtered.resize(len, 0);
        }
        let cx = Block { typesize: usize::from(self.h.typesize), offset: start, reference, geometry: self.geometry };
        let result = self.decode_payload(i, &mut filtered[..len], ws);
        let (f, v) = (&self.h.filters, self.h.version);
        let result = if self.streaming && result.is_ok() {
            f.backward_block_into_streaming(&cx, &mut filtered[..len], out, v, &mut ws.scratch)
        } else {
            result.and_then(|()| f.backward_block_into(&cx, &mut filtered[..len], out, v))
        };
        ws.buf = filtered;
        result
    }

    /// Fills the output with one byte, with streaming stores when asked for.
    fn fill_out(&self, out: &mut [u8], v: u8) {
        if self.streaming {
            streaming::fill(out, v);
        } else {
            out.fill(v);
        }
    }

    /// Copies decoded bytes to the output, with streaming stores when asked for.
    fn copy_out(&self, out: &mut [u8], from: &[u8]) {
        if self.streaming {
            streaming::copy(out, from);
        } else {
            out.copy_from_slice(from);
        }
    }

    /// How many codec streams block `i` is split into: one per byte of the type, unless
    /// the chunk does not split or this is a short last block.
    fn nstreams(&self, i: usize) -> usize {
        let leftover_block = i == self.h.nblocks() - 1 && self.h.leftover() > 0;
        if !self.h.dont_split() && !leftover_block {
            usize::from(self.h.typesize)
        } else {
            1
        }
    }

    /// The byte every output byte of block `i` (`len` bytes) has when all its streams are
    /// runs of one byte and the filters only permute bytes (shuffle; bitshuffle when the
    /// byte is 0): such blocks are filled at once, skipping the stream buffer and the
    /// backward filters. `None` otherwise, or for anything malformed (the normal path then
    /// reports it).
    fn constant_block(&self, i: usize, len: usize) -> Option<u8> {
        let Kind::Regular { bstarts, .. } = &self.kind else { return None };
        let filters = &self.h.filters.filters;
        let permutes = |f: u8| f == FilterId::NOFILTER.0 || f == FilterId::SHUFFLE.0 || f == FilterId::BITSHUFFLE.0;
        if !filters.iter().all(|&f| permutes(f)) {
            return None;
        }
        let nstreams = self.nstreams(i);
        if nstreams == 0 || !len.is_multiple_of(nstreams) {
            return None;
        }
        let (chunk, end) = (self.chunk, self.h.cbytes);
        let mut pos = read_i32(bstarts, 4 * i) as usize;
        let mut value = None;
        for _ in 0..nstreams {
            if pos + 4 > end {
                return None;
            }
            let csize = read_i32(chunk, pos);
            pos += 4;
            let v = match csize {
                0 => 0,
                -255..=-1 => {
                    if pos >= end || chunk[pos] & 1 == 0 {
                        return None;
                    }
                    pos += 1;
                    (-csize) as u8
                }
                _ => return None,
            };
            if value.is_some_and(|w| w != v) {
                return None;
            }
            value = Some(v);
        }
        let v = value?;
        (v == 0 || !filters.contains(&FilterId::BITSHUFFLE.0)).then_some(v)
    }

    /// Decodes the codec streams of block `i` (still filtered) into `out`.
    fn decode_payload(&self, i: usize, out: &mut [u8], ws: &mut Workspace) -> Result<()> {
        self.decode_payload_leaving::<false>(i, out, ws, &mut Vec::new())
    }

    /// [`Layout::decode_payload`]; with `LEAVE`, streams the chunk holds as they are are
    /// not copied to `out` but listed in `stored` (see [`super::ShuffledBlock`]). A
    /// constant rather than an argument: the decoding of whole chunks keeps a loop without
    /// that choice in it (an `Option` argument made BloscLZ decompression 15 % slower).
    fn decode_payload_leaving<const LEAVE: bool>(
        &self,
        i: usize,
        out: &mut [u8],
        ws: &mut Workspace,
        stored: &mut Vec<Option<usize>>,
    ) -> Result<()> {
        let len = out.len();
        match &self.kind {
            Kind::Regular { bstarts, .. } => {
                let bstart = read_i32(bstarts, 4 * i) as usize;
                self.decode_streams::<LEAVE>(i, bstart, self.h.cbytes, out, ws, stored)
            }
            Kind::Vl { bstarts, .. } => {
                let s = bstarts[i];
                let end = bstarts.get(i + 1).copied().unwrap_or(self.h.cbytes);
                let body = &self.chunk[s + 4..end];
                ws.codec.set_dict(self.dict());
                if body.len() == len {
                    out.copy_from_slice(body);
                    Ok(())
                } else if body.len() > len {
                    Err(Error::InvalidStreamSize { block: i, stream: 0, csize: body.len() as i64, neblock: len })
                } else {
                    ws.codec.decompress_with(self.h.format(), &self.codec_params(), body, out)
                }
            }
            Kind::Special(..) | Kind::Memcpyed => unreachable!("handled by decode_block"),
        }
    }

    /// Decodes the streams of a fixed-size block starting at `bstart` into `out`.
    ///
    /// With `LEAVE`, a stream the chunk holds as it is (as long as its output) is left
    /// there: its offset in the chunk is pushed to `stored`, where other streams push `None`.
    fn decode_streams<const LEAVE: bool>(
        &self,
        i: usize,
        bstart: usize,
        end: usize,
        out: &mut [u8],
        ws: &mut Workspace,
        stored: &mut Vec<Option<usize>>,
    ) -> Result<()> {
        let bsize = out.len();
        let nstreams = self.nstreams(i);
        if !bsize.is_multiple_of(nstreams) {
            return Err(Error::InvalidHeader {
                field: "blocksize",
                value: bsize as i64,
                reason: "split blocks must hold whole elements",
            });
        }
        let neblock = bsize / nstreams;
        ws.codec.set_dict(self.dict());
        let chunk = self.chunk;
        let mut pos = bstart;
        for (j, dst) in out.chunks_exact_mut(neblock).enumerate() {
            if pos + 4 > end {
                return Err(truncated(Part::Stream, pos, 4, end.saturating_sub(pos)));
            }
            let csize = read_i32(chunk, pos);
            pos += 4;
            if csize == 0 {
                dst.fill(0);
            } else if csize < 0 {
                if pos >= end {
                    return Err(truncated(Part::Stream, pos, 1, 0));
                }
                let token = chunk[pos];
                pos += 1;
                if token & 1 == 0 || csize < -255 {
                    return Err(Error::InvalidStreamSize { block: i, stream: j, csize: csize.into(), neblock });
                }
                dst.fill((-csize) as u8);
            } else {
                let csize = csize as usize;
                if csize > neblock {
                    return Err(Error::InvalidStreamSize { block: i, stream: j, csize: csize as i64, neblock });
                }
                if pos + csize > end {
                    return Err(truncated(Part::Stream, pos, csize, end - pos));
                }
                let body = &chunk[pos..pos + csize];
                if csize == neblock {
                    if LEAVE {
                        stored.push(Some(pos));
                        pos += csize;
                        continue;
                    }
                    dst.copy_from_slice(body);
                } else {
                    ws.codec.decompress_with(self.h.format(), &self.codec_params(), body, dst)?;
                }
                pos += csize;
            }
            if LEAVE {
                stored.push(None);
            }
        }
        Ok(())
    }
}

impl ChunkHeader {
    /// Checks that the codec format can be decoded by this crate.
    pub(crate) fn codec_format_supported(&self) -> Result<()> {
        match self.format() {
            0 | 1 | 3 | 4 => Ok(()),
            UDCODEC_FORMAT if CodecId::PLUGINS.contains(&CodecId(self.udcodec)) => Ok(()),
            UDCODEC_FORMAT => Err(Error::UnsupportedCodec(self.udcodec)),
            f => Err(Error::UnsupportedCodec(f)),
        }
    }
}

/// Memcpyed chunks of at least this size are copied by several threads when asked for.
const PARALLEL_COPY_MIN: usize = 1 << 20;

/// The bytes each task of a memcpyed chunk's parallel copy takes: a thread that starts
/// late still finds pieces to copy.
const COPY_PIECE: usize = 256 << 10;

pub(crate) fn decompress(chunk: &[u8], geometry: Option<&NdGeometry>) -> Result<Vec<u8>> {
    // The layout is checked before the output is allocated.
    let l = Layout::new(chunk, geometry)?;
    let mut out = crate::buffer::zeroed(l.h.nbytes);
    decode_all(&l, &mut out, 1)?;
    Ok(out)
}

pub(crate) fn decompress_into(
    chunk: &[u8],
    geometry: Option<&NdGeometry>,
    dst: &mut [u8],
    nthreads: usize,
    streamed: bool,
) -> Result<usize> {
    let mut l = Layout::new(chunk, geometry)?;
    l.streaming = streamed && l.h.nbytes >= streaming::MIN_LEN;
    decode_all(&l, dst, nthreads)
}

fn decode_all(l: &Layout<'_>, dst: &mut [u8], nthreads: usize) -> Result<usize> {
    let nbytes = l.h.nbytes;
    if dst.len() < nbytes {
        return Err(Error::DestinationTooSmall { needed: nbytes, available: dst.len() });
    }
    let dst = &mut dst[..nbytes];
    if nbytes == 0 {
        return Ok(0);
    }
    match &l.kind {
        Kind::Special(SpecialKind::Zeros | SpecialKind::Uninit, _) if l.streaming => {
            l.fill_out(dst, 0);
            return Ok(nbytes);
        }
        Kind::Special(kind, value) => {
            special::fill(*kind, usize::from(l.h.typesize), value, 0, dst);
            return Ok(nbytes);
        }
        Kind::Memcpyed => {
            let hl = l.h.header_len();
            let src = &l.chunk[hl..hl + nbytes];
            if nthreads > 1 && nbytes >= PARALLEL_COPY_MIN {
                // As C-Blosc2 copies the blocks of a memcpyed chunk on its threads.
                let piece = COPY_PIECE.min(nbytes.div_ceil(nthreads));
                let pieces: Vec<_> = dst.chunks_mut(piece).zip(src.chunks(piece)).collect();
                run_shared::<_, ()>(nthreads, pieces, |(d, s)| {
                    l.copy_out(d, s);
                    Ok(())
                })
                .ok();
            } else {
                l.copy_out(dst, src);
            }
            return Ok(nbytes);
        }
        _ => {}
    }
    let nblocks = l.h.nblocks();
    // With DELTA, block 0 is decoded first: it is the reference of every other block.
    let (reference, rest, from): (&[u8], &mut [u8], usize) = if l.needs_block0() {
        let (_, len0) = l.block_span(0);
        let (first, rest) = dst.split_at_mut(len0);
        WORKSPACE.with(|ws| l.decode_block(0, first, &[], &mut ws.borrow_mut()))?;
        (first, rest, 1)
    } else {
        (&[], dst, 0)
    };
    if from == nblocks {
        return Ok(nbytes);
    }
    // Split the rest of the output into the remaining blocks.
    let mut pieces: Vec<(usize, &mut [u8])> = Vec::with_capacity(nblocks - from);
    let mut tail = rest;
    for i in from..nblocks {
        let (_, len) = l.block_span(i);
        let (head, t) = tail.split_at_mut(len);
        pieces.push((i, head));
        tail = t;
    }
    let work = |(i, out): (usize, &mut [u8])| -> Result<()> {
        WORKSPACE.with(|ws| l.decode_block(i, out, reference, &mut ws.borrow_mut()))
    };
    if nthreads > 1 && pieces.len() > 1 {
        // One block per task, so that a thread that finishes early takes the next block.
        run_shared(nthreads, pieces, work)?;
    } else {
        pieces.into_iter().try_for_each(work)?;
    }
    Ok(nbytes)
}

pub(crate) fn decompress_range(
    chunk: &[u8],
    geometry: Option<&NdGeometry>,
    start: usize,
    dst: &mut [u8],
) -> Result<()> {
    let mut l = Layout::new(chunk, geometry)?;
    l.streaming = dst.len() >= streaming::MIN_LEN;
    let end = start.checked_add(dst.len()).filter(|&e| e <= l.h.nbytes).ok_or(Error::RangeOutOfBounds {
        start,
        end: start.saturating_add(dst.len()),
        len: l.h.nbytes,
    })?;
    if dst.is_empty() {
        return Ok(());
    }
    match &l.kind {
        Kind::Special(kind, value) => {
            special::fill(*kind, usize::from(l.h.typesize), value, start, dst);
            return Ok(());
        }
        Kind::Memcpyed => {
            let hl = l.h.header_len();
            l.copy_out(dst, &l.chunk[hl + start..hl + end]);
            return Ok(());
        }
        _ => {}
    }
    let (first, last) = blocks_touching(&l, start, end);
    WORKSPACE.with(|ws| {
        let ws = &mut *ws.borrow_mut();
        let mut block0 = Vec::new();
        if l.needs_block0() {
            let (_, len0) = l.block_span(0);
            block0.resize(len0, 0);
            l.decode_block(0, &mut block0, &[], ws)?;
        }
        let mut tmp = Vec::new();
        for i in first..=last {
            let (bstart, blen) = l.block_span(i);
            let lo = start.max(bstart);
            let hi = end.min(bstart + blen);
            let out = &mut dst[lo - start..hi - start];
            if i == 0 && !block0.is_empty() {
                out.copy_from_slice(&block0[lo..hi]);
            } else if lo == bstart && hi == bstart + blen {
                l.decode_block(i, out, &block0, ws)?;
            } else {
                tmp.resize(blen, 0);
                l.decode_block(i, &mut tmp, &block0, ws)?;
                out.copy_from_slice(&tmp[lo - bstart..hi - bstart]);
            }
        }
        Ok(())
    })
}

/// First and last block index overlapping bytes `start..end` (`end > start`).
fn blocks_touching(l: &Layout<'_>, start: usize, end: usize) -> (usize, usize) {
    match &l.kind {
        Kind::Vl { offsets, .. } => {
            let first = offsets.partition_point(|&o| o <= start) - 1;
            let last = offsets.partition_point(|&o| o < end) - 1;
            (first, last)
        }
        _ => {
            let bs = l.blocksize();
            (start / bs, (end - 1) / bs)
        }
    }
}

pub(crate) fn decode_block<'a>(
    chunk: &'a [u8],
    geometry: Option<&NdGeometry>,
    index: usize,
    out: &'a mut [u8],
    stored: StoredPlanes,
) -> Result<DecodedBlock<'a>> {
    let mut list = Vec::new();
    let shuffled = match stored {
        StoredPlanes::Copy => decompress_block_leaving::<false>(chunk, geometry, index, out, &mut list)?,
        StoredPlanes::InPlace => decompress_block_leaving::<true>(chunk, geometry, index, out, &mut list)?,
    };
    Ok(match shuffled {
        Some(s) => DecodedBlock::Shuffled(ShuffledBlock::new(s, out, chunk, list)),
        None => DecodedBlock::Plain(out),
    })
}

fn decompress_block_leaving<const LEAVE: bool>(
    chunk: &[u8],
    geometry: Option<&NdGeometry>,
    index: usize,
    out: &mut [u8],
    stored: &mut Vec<Option<usize>>,
) -> Result<Option<usize>> {
    let l = Layout::new(chunk, geometry)?;
    let nblocks = if l.h.nbytes == 0 { 0 } else { l.h.nblocks() };
    if index >= nblocks {
        return Err(Error::RangeOutOfBounds { start: index, end: index + 1, len: nblocks });
    }
    let (start, len) = l.block_span(index);
    if out.len() != len {
        return Err(Error::InvalidParam {
            name: "out.len()",
            value: i64::try_from(out.len()).unwrap_or(i64::MAX),
            reason: "must be exactly the block's length",
        });
    }
    if matches!(l.kind, Kind::Regular { .. }) && l.constant_block(index, len).is_none() {
        let ts = usize::from(l.h.typesize);
        if let Some(s) = l.h.filters.only_shuffle(ts, len, l.h.version)? {
            WORKSPACE.with(|ws| l.decode_payload_leaving::<LEAVE>(index, out, &mut ws.borrow_mut(), stored))?;
            return Ok(Some(s));
        }
    }
    decompress_range(chunk, geometry, start, out)?;
    Ok(None)
}

pub(crate) fn decompress_block(chunk: &[u8], geometry: Option<&NdGeometry>, index: usize) -> Result<Vec<u8>> {
    let l = Layout::new(chunk, geometry)?;
    let nblocks = if l.h.nbytes == 0 { 0 } else { l.h.nblocks() };
    if index >= nblocks {
        return Err(Error::RangeOutOfBounds { start: index, end: index + 1, len: nblocks });
    }
    let (start, len) = l.block_span(index);
    let mut out = crate::buffer::zeroed(len);
    decompress_range(chunk, geometry, start, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::chunk::{self, CompressParams, DecodedBlock, Decompressor, SplitMode, StoredPlanes};
    use crate::codec::CodecId;
    use crate::filter::Pipeline;
    use blosc2_testkit::data::{Rand, XorShift64, GAMMA};

    /// Rewrites an extended-header chunk (no runs, no dictionary) in the Blosc1 layout.
    fn to_blosc1(chunk: &[u8], nblocks: usize, flags: u8) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&[2, 1, flags, chunk[3]]);
        out.extend_from_slice(&chunk[4..12]);
        let cbytes = i32::from_le_bytes(chunk[12..16].try_into().unwrap()) - 16;
        out.extend_from_slice(&cbytes.to_le_bytes());
        for i in 0..nblocks {
            let s = i32::from_le_bytes(chunk[32 + 4 * i..36 + 4 * i].try_into().unwrap());
            out.extend_from_slice(&(s - 16).to_le_bytes());
        }
        out.extend_from_slice(&chunk[32 + 4 * nblocks..]);
        out
    }

    #[test]
    fn blosc1_chunks_decode() {
        let data: Vec<u8> = (0..10_000u32).flat_map(|i| (i.wrapping_mul(2_654_435_761) % 1000).to_le_bytes()).collect();
        for (codec, format) in [(CodecId::LZ4, 1u8), (CodecId::BLOSCLZ, 0), (CodecId::ZLIB, 3), (CodecId::ZSTD, 4)] {
            let p = CompressParams {
                codec,
                typesize: 4,
                blocksize: 4096,
                splitmode: SplitMode::Never,
                filters: Pipeline::shuffle(),
                ..CompressParams::default()
            };
            let c = chunk::compress(&p, &data).unwrap();
            let nblocks = data.len().div_ceil(4096);
            // Blosc1 flags: shuffle bit, dont_split, codec format.
            let old = to_blosc1(&c, nblocks, 0x01 | 0x10 | (format << 5));
            assert_eq!(chunk::decompress(&old).unwrap(), data, "{codec}");
            let mut part = vec![0u8; 100];
            chunk::decompress_range(&old, 4090, &mut part).unwrap();
            assert_eq!(part, data[4090..4190]);
        }
    }

    #[test]
    fn blocks_left_shuffled_are_the_shuffled_decoded_blocks() {
        use crate::filter::FilterId;
        // Noisy data with a run of zeros (a block of one repeated byte), a short last block.
        let mut rng = XorShift64(0x2545_f491_4f6c_dd1d);
        let data: Vec<u8> = (0..10_003usize)
            .map(|i| {
                let x = rng.next_u64();
                if (2048..4096).contains(&i) {
                    0
                } else {
                    (x >> 40) as u8 & 0x1f
                }
            })
            .collect();
        let mut meta = Pipeline::single(FilterId::SHUFFLE);
        meta.meta[5] = 2; // shuffle meta: 2-byte elements in a typesize-4 chunk
        for (filters, ts, split, want) in [
            (Pipeline::shuffle(), 4, SplitMode::Always, Some(4)),
            (Pipeline::shuffle(), 8, SplitMode::Never, Some(8)),
            (meta, 4, SplitMode::Never, Some(2)),
            (Pipeline::single(FilterId::BITSHUFFLE), 4, SplitMode::Never, None),
            (Pipeline::default(), 4, SplitMode::Never, None),
        ] {
            let p = CompressParams {
                typesize: ts,
                blocksize: 2048,
                splitmode: split,
                filters,
                ..CompressParams::default()
            };
            let c = chunk::compress(&p, &data).unwrap();
            for b in 0..data.len().div_ceil(2048) {
                let block = &data[b * 2048..data.len().min((b + 1) * 2048)];
                let mut out = vec![0xAAu8; block.len()];
                let got = match Decompressor::default().decode_block(&c, b, &mut out, StoredPlanes::Copy).unwrap() {
                    DecodedBlock::Plain(_) => None,
                    DecodedBlock::Shuffled(v) => Some(v.typesize()),
                };
                // The zero block is filled at once, already in its final form.
                let want = if block.iter().all(|&v| v == 0) { None } else { want };
                assert_eq!(got, want, "{filters:?} ts {ts} block {b}");
                let expected = match got {
                    None => block.to_vec(),
                    Some(s) => {
                        // The scalar shuffle, the oracle of the SIMD ones.
                        let mut sh = vec![0u8; block.len()];
                        crate::filter::shuffle::scalar::shuffle(s, block, &mut sh);
                        sh
                    }
                };
                assert_eq!(out, expected, "{filters:?} ts {ts} block {b}");
            }
            let nblocks = data.len().div_ceil(2048);
            let d = Decompressor::default();
            assert!(matches!(
                d.decode_block(&c, nblocks, &mut [0; 2048], StoredPlanes::Copy),
                Err(crate::Error::RangeOutOfBounds { .. })
            ));
            assert!(matches!(
                d.decode_block(&c, 0, &mut [0; 100], StoredPlanes::Copy),
                Err(crate::Error::InvalidParam { .. })
            ));
        }
    }

    #[test]
    fn planes_left_in_the_chunk_complete_the_shuffled_block() {
        // Elements whose first byte is noise (a stream stored as it is) and whose other
        // bytes compress; a block of zeros; a short last block; a block of noise unsplit.
        let mut rng = XorShift64(GAMMA);
        let mut noise = move || (rng.next_u64() >> 32) as u8;
        let mixed: Vec<u8> = (0..10_004usize)
            .map(|i| match i {
                2048..4096 => 0,
                _ if i % 4 == 0 => noise(),
                _ => noise() & 3,
            })
            .collect();
        // A block of noise, unsplit (one stream stored as it is), then blocks that compress.
        let random: Vec<u8> = (0..6000).map(|i| if i < 2048 { noise() } else { noise() & 1 }).collect();
        for (codec, data, split) in [
            (CodecId::ZSTD, &mixed, SplitMode::Always),
            (CodecId::LZ4, &mixed, SplitMode::Always),
            (CodecId::BLOSCLZ, &mixed, SplitMode::Always),
            (CodecId::ZSTD, &random, SplitMode::Never),
        ] {
            let p = CompressParams {
                codec,
                typesize: 4,
                blocksize: 2048,
                splitmode: split,
                filters: Pipeline::shuffle(),
                ..CompressParams::default()
            };
            let c = chunk::compress(&p, data).unwrap();
            let d = Decompressor::default();
            let in_chunk = |v: &[u8]| c.as_ptr_range().contains(&v.as_ptr());
            let mut seen_stored = false;
            for b in 0..data.len().div_ceil(2048) {
                let block = &data[b * 2048..data.len().min((b + 1) * 2048)];
                let mut whole = vec![0u8; block.len()];
                let want = match d.decode_block(&c, b, &mut whole, StoredPlanes::Copy).unwrap() {
                    DecodedBlock::Plain(_) => None,
                    DecodedBlock::Shuffled(v) => Some(v.typesize()),
                };
                let mut out = vec![0xAAu8; block.len()];
                match d.decode_block(&c, b, &mut out, StoredPlanes::InPlace).unwrap() {
                    DecodedBlock::Plain(got) => {
                        assert_eq!(want, None, "{codec} block {b}");
                        assert_eq!(got, block, "{codec} block {b}");
                    }
                    DecodedBlock::Shuffled(v) => {
                        assert_eq!(want, Some(v.typesize()), "{codec} block {b}");
                        let mut planes = Vec::new();
                        for j in 0..v.typesize() {
                            seen_stored |= in_chunk(v.plane(j));
                            planes.extend_from_slice(v.plane(j));
                        }
                        planes.extend_from_slice(v.tail());
                        assert_eq!(planes, whole, "{codec} block {b}");
                    }
                }
            }
            assert!(seen_stored, "{codec}: no plane read from the chunk");
            let nblocks = data.len().div_ceil(2048);
            assert!(matches!(
                d.decode_block(&c, nblocks, &mut [0; 2048], StoredPlanes::InPlace),
                Err(crate::Error::RangeOutOfBounds { .. })
            ));
            assert!(matches!(
                d.decode_block(&c, 0, &mut [0; 100], StoredPlanes::InPlace),
                Err(crate::Error::InvalidParam { .. })
            ));
        }
    }
}
