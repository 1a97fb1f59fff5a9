//! Reading only some blocks of a chunk from storage read by position
//! (`shared/spec/chunk.md` 4-5): the chunk header, the block-start table (and dictionary),
//! then the streams of the wanted blocks (block 0 too when DELTA needs it), built into a
//! *compact chunk* that the decoders ([`super::Decompressor::decompress_range`],
//! [`super::Decompressor::decompress_block`]) decode like the stored one for those blocks.
//!
//! The storage is anything that implements [`ReadAt`]; the frame layer implements it for
//! frame files and the chunk files of sparse frames
//! (`crate::frame::Frame::read_chunk_blocks`).
//!
//! Every size and offset read from the storage is checked against the bytes it may
//! occupy before it is used or allocated: a hostile chunk gives an [`Error`], never a
//! panic or an allocation larger than the chunk's share of the storage.

use crate::error::{Error, Part, Result};
use crate::filter::FilterId;
use crate::header::{ChunkHeader, EXTENDED_HEADER_LEN};

/// Storage read by position: a file, a part of one, a buffer.
pub trait ReadAt {
    /// Bytes readable: every read lies below this position.
    fn size(&self) -> u64;

    /// Fills `buf` with the bytes at `pos` (the range lies inside [`ReadAt::size`]).
    ///
    /// # Errors
    /// When the storage cannot be read (for files, [`Error::Io`]).
    fn read_exact_at(&self, buf: &mut [u8], pos: u64) -> Result<()>;
}

impl ReadAt for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_exact_at(&self, buf: &mut [u8], pos: u64) -> Result<()> {
        let at = usize::try_from(pos)
            .ok()
            .filter(|&p| p <= self.len() && buf.len() <= self.len() - p)
            .ok_or(Error::Truncated { part: Part::Block, offset: pos as usize, needed: buf.len(), available: 0 })?;
        buf.copy_from_slice(&self[at..at + buf.len()]);
        Ok(())
    }
}

/// Bytes of the first read of a chunk: its header and the block-start table of up to 248
/// blocks (one read instead of two).
const FIRST_READ: usize = 1024;

/// Whether blocks of chunks with header `h` can be read one by one: extended, regular
/// (not special, memcpyed or VL-block) chunks with data.
fn block_addressable(h: &ChunkHeader) -> bool {
    h.is_extended() && h.special().is_none() && !h.is_memcpyed() && !h.is_vl_blocks() && h.nbytes > 0
}

/// Reads the chunk stored at `pos` of `src` into `buf`, with only the blocks covering the
/// bytes `ranges` (of the decompressed chunk; `(start, end)`, end exclusive) when the
/// chunk's blocks can be read one by one, whole otherwise (special, memcpyed, VL-block
/// and Blosc1-header chunks). Returns the length of the chunk built at the start of
/// `buf`.
///
/// The compact chunk holds the stored header (with `cbytes` the compact length), the
/// block-start table and dictionary as stored, then the streams of the wanted blocks; the
/// starts of the others point at the first stream read, so that the chunk passes the
/// decoders' checks, but **decoding them gives wrong bytes**: decode only the ranges asked
/// for. Streams that follow one another in `src` are fetched with one read. When `ranges`
/// covers no byte, block 0 is read (a chunk needs at least one block stream).
///
/// `buf` is grown as needed and never shrunk, so that a buffer kept for the next read is
/// neither allocated nor zeroed again; bytes past the returned length are left as they
/// were.
///
/// # Errors
/// [`Error::Truncated`] when the header, table, dictionary or a stream lies past
/// `src.size()` or past the chunk's `cbytes`; [`Error::InvalidHeader`] for a bad header
/// or dictionary size; [`Error::OffsetOutOfRange`] for a block start outside the chunk's
/// data; [`Error::RangeOutOfBounds`] when a range ends past the chunk's `nbytes`; the
/// errors of [`ReadAt::read_exact_at`].
pub fn read_blocks<R: ReadAt + Sync + ?Sized>(
    src: &R,
    pos: u64,
    ranges: &[(usize, usize)],
    buf: &mut Vec<u8>,
) -> Result<usize> {
    read_blocks_threads(src, pos, ranges, buf, 1)
}

/// Streams fetched in all below this many bytes are fetched on the calling thread: a
/// read of a page-cached file costs a few microseconds per 64 KiB, less than waking
/// another thread.
const PARALLEL_FETCH_MIN: usize = 256 << 10;

/// [`read_blocks`], fetching the streams with up to `threads` reads at a time on the
/// current rayon pool when they are large enough to gain from it (the compact chunk is
/// the same).
///
/// # Errors
/// As [`read_blocks`].
pub fn read_blocks_threads<R: ReadAt + Sync + ?Sized>(
    src: &R,
    pos: u64,
    ranges: &[(usize, usize)],
    buf: &mut Vec<u8>,
    threads: usize,
) -> Result<usize> {
    let available = src.size().saturating_sub(pos);
    // The header and, usually, the block-start table in one read.
    let first_len = available.min(FIRST_READ as u64) as usize;
    let mut first = [0u8; FIRST_READ];
    let first = &mut first[..first_len];
    src.read_exact_at(first, pos)?;
    let h = ChunkHeader::parse_prefix(first)?;
    let cbytes = h.cbytes;
    if cbytes as u64 > available {
        return Err(Error::Truncated { part: Part::Block, offset: 0, needed: cbytes, available: clamp(available) });
    }
    if let Some(&(start, end)) = ranges.iter().find(|&&(a, b)| b > h.nbytes || a > b) {
        return Err(Error::RangeOutOfBounds { start, end, len: h.nbytes });
    }
    if !block_addressable(&h) {
        // The chunk whole: `cbytes` is inside `src`, checked above.
        grow(buf, cbytes);
        let have = first.len().min(cbytes);
        buf[..have].copy_from_slice(&first[..have]);
        if have < cbytes {
            src.read_exact_at(&mut buf[have..cbytes], pos + have as u64)?;
        }
        return Ok(cbytes);
    }
    let (nblocks, bs) = (h.nblocks(), h.blocksize());
    // nblocks * 4 cannot overflow: nbytes <= 2 GiB and blocksize >= 1.
    let mut table_end = EXTENDED_HEADER_LEN + 4 * nblocks;
    // Every block holds at least one 4-byte stream size, so the data area is not empty.
    if table_end + 4 > cbytes {
        return Err(Error::Truncated {
            part: Part::BlockStarts,
            offset: EXTENDED_HEADER_LEN,
            needed: table_end + 4 - EXTENDED_HEADER_LEN,
            available: cbytes - EXTENDED_HEADER_LEN,
        });
    }
    // `buf[..len]` is the chunk built so far: the header, block-start table (and
    // dictionary) as stored, then the wanted blocks' streams.
    let mut len = table_end + 4;
    grow(buf, len);
    let have = first.len().min(len);
    buf[..have].copy_from_slice(&first[..have]);
    if have < len {
        src.read_exact_at(&mut buf[have..len], pos + have as u64)?;
    }
    if h.has_dict() {
        let size = i32::from_le_bytes(le4(buf, table_end));
        let size = usize::try_from(size).ok().filter(|&s| s > 0).ok_or(Error::InvalidHeader {
            field: "dict_size",
            value: size.into(),
            reason: "must be positive",
        })?;
        let from = table_end + 4;
        if size > cbytes - from {
            return Err(Error::Truncated {
                part: Part::Dictionary,
                offset: from,
                needed: size,
                available: cbytes - from,
            });
        }
        let end = from + size;
        grow(buf, end);
        src.read_exact_at(&mut buf[from..end], pos + from as u64)?;
        table_end = end;
    }
    len = table_end;
    let mut starts = Vec::with_capacity(nblocks);
    for b in 0..nblocks {
        let s = i32::from_le_bytes(le4(buf, EXTENDED_HEADER_LEN + 4 * b));
        match usize::try_from(s) {
            Ok(s) if s >= table_end && s < cbytes => starts.push(s),
            _ => {
                return Err(Error::OffsetOutOfRange {
                    part: Part::BlockStarts,
                    index: b,
                    offset: s.into(),
                    min: table_end,
                    max: cbytes,
                })
            }
        }
    }
    let mut wanted: Vec<usize> = Vec::new();
    if h.filters.contains(FilterId::DELTA) {
        wanted.push(0);
    }
    for &(a, b) in ranges {
        if b > a {
            wanted.extend(a / bs..=((b - 1) / bs).min(nblocks - 1));
        }
    }
    if wanted.is_empty() {
        wanted.push(0);
    }
    wanted.sort_unstable();
    wanted.dedup();
    // The distinct stored streams to fetch, in their order in `src`.
    let mut wanted: Vec<usize> = wanted.iter().map(|&b| starts[b]).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut sorted = starts.clone();
    sorted.sort_unstable();
    sorted.dedup();
    // Each wanted stream's stored range (from its start to the next start, or to the end
    // of the chunk): disjoint, so that at most `cbytes` bytes are fetched in all. Ranges
    // that follow one another in `src` (the blocks of one row of a plane, say) are fetched
    // with one read. `placed`: (stored start, start in `buf`), by stored start.
    let mut placed: Vec<(usize, usize)> = Vec::with_capacity(wanted.len());
    let mut run: Option<(usize, usize)> = None; // (start, end) in the chunk of the pending run
                                                // The reads to make: (stored start, stored end), landing one after the other from
                                                // `len` on.
    let mut fetches: Vec<(usize, usize)> = Vec::new();
    let data_start = len;
    for &s in &wanted {
        let next = sorted.partition_point(|&x| x <= s);
        let end = sorted.get(next).copied().unwrap_or(cbytes);
        run = match run {
            Some((from, to)) if to == s => Some((from, end)),
            Some(r) => {
                len += r.1 - r.0;
                fetches.push(r);
                Some((s, end))
            }
            None => Some((s, end)),
        };
        // Where the stream lands: after what is fetched, at its place in the pending run.
        let (from, _) = run.expect("just set");
        placed.push((s, len + (s - from)));
    }
    if let Some(r) = run {
        len += r.1 - r.0;
        fetches.push(r);
    }
    grow(buf, len);
    fetch_all(src, pos, &fetches, &mut buf[data_start..len], threads)?;
    // The new starts: a block whose stream was fetched points at it (blocks sharing a
    // stream all do), the others at the first stream fetched.
    let too_long = || Error::InvalidHeader { field: "cbytes", value: len as i64, reason: "compact chunk above 2 GiB" };
    for (b, &s) in starts.iter().enumerate() {
        let m = match placed.binary_search_by_key(&s, |&(s, _)| s) {
            Ok(k) => placed[k].1,
            Err(_) => placed[0].1,
        };
        let at = EXTENDED_HEADER_LEN + 4 * b;
        buf[at..at + 4].copy_from_slice(&i32::try_from(m).map_err(|_| too_long())?.to_le_bytes());
    }
    buf[12..16].copy_from_slice(&i32::try_from(len).map_err(|_| too_long())?.to_le_bytes());
    Ok(len)
}

/// Reads the stored ranges `fetches` of the chunk at `pos` of `src` one after the other
/// into `out` (their total length), with up to `threads` reads at a time when they are
/// large enough: the ranges are cut into pieces of about equal length, read in parallel.
fn fetch_all<R: ReadAt + Sync + ?Sized>(
    src: &R,
    pos: u64,
    fetches: &[(usize, usize)],
    out: &mut [u8],
    threads: usize,
) -> Result<()> {
    use rayon::prelude::*;
    let total = out.len();
    if threads <= 1 || total < PARALLEL_FETCH_MIN {
        let mut at = 0;
        for &(from, to) in fetches {
            src.read_exact_at(&mut out[at..at + to - from], pos + from as u64)?;
            at += to - from;
        }
        return Ok(());
    }
    let piece = total.div_ceil(threads * 2).max(PARALLEL_FETCH_MIN / 4);
    let mut pieces: Vec<(u64, &mut [u8])> = Vec::new();
    let mut rest = out;
    for &(from, to) in fetches {
        let mut from = from;
        while from < to {
            let n = (to - from).min(piece);
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(n);
            pieces.push((pos + from as u64, head));
            rest = tail;
            from += n;
        }
    }
    pieces.into_par_iter().with_max_len(1).try_for_each(|(at, part)| src.read_exact_at(part, at))
}

fn le4(buf: &[u8], at: usize) -> [u8; 4] {
    [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]
}

fn clamp(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Makes `buf` at least `n` bytes long (zeroing only what it adds).
fn grow(buf: &mut Vec<u8>, n: usize) {
    if buf.len() < n {
        buf.resize(n, 0);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::{read_blocks, ReadAt};
    use crate::chunk::{self, special, CompressParams, Decompressor};
    use crate::codec::CodecId;
    use crate::error::Result;
    use crate::filter::{FilterId, Pipeline};

    /// A buffer that counts the bytes read from it.
    struct Counted<'a>(&'a [u8], AtomicUsize);

    impl ReadAt for Counted<'_> {
        fn size(&self) -> u64 {
            self.0.len() as u64
        }
        fn read_exact_at(&self, buf: &mut [u8], pos: u64) -> Result<()> {
            self.1.fetch_add(buf.len(), Ordering::Relaxed);
            self.0.read_exact_at(buf, pos)
        }
    }

    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, n: usize) -> usize {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 33) % n.max(1) as u64) as usize
        }
    }

    /// Data of `n` bytes, compressible but not trivially.
    fn data(rng: &mut Lcg, n: usize) -> Vec<u8> {
        let mut v = 0u32;
        (0..n / 4)
            .flat_map(|_| {
                v = v.wrapping_add(rng.next(7) as u32);
                v.to_le_bytes()
            })
            .collect()
    }

    /// Every way of reading random byte ranges of `c` (at a random position of a buffer
    /// with bytes before and after it) decodes those ranges as the whole chunk does.
    fn check(c: &[u8], rng: &mut Lcg) {
        let full = chunk::decompress(c).unwrap();
        let h = crate::header::ChunkHeader::parse(c).unwrap();
        let lead = rng.next(100);
        let mut store = vec![0xa5u8; lead];
        store.extend_from_slice(c);
        store.extend(std::iter::repeat_n(0x5a, rng.next(3000)));
        let mut buf = Vec::new();
        for _ in 0..20 {
            let ranges: Vec<(usize, usize)> = (0..1 + rng.next(3))
                .map(|_| {
                    let a = rng.next(full.len());
                    (a, a + 1 + rng.next(full.len() - a))
                })
                .collect();
            let src = Counted(&store, AtomicUsize::new(0));
            let n = read_blocks(&src, lead as u64, &ranges, &mut buf).unwrap();
            let compact = &buf[..n];
            assert!(
                src.1.load(Ordering::Relaxed) <= c.len() + super::FIRST_READ,
                "{} bytes read of {}",
                src.1.load(Ordering::Relaxed),
                c.len()
            );
            if super::block_addressable(&h) {
                assert!(n <= c.len());
            } else {
                assert_eq!(compact, c, "read whole");
            }
            for &(a, b) in &ranges {
                let mut got = vec![0u8; b - a];
                Decompressor::new(None).decompress_range(compact, a, &mut got).unwrap();
                assert_eq!(got, full[a..b], "range {a}..{b}");
            }
        }
    }

    #[test]
    fn partial_reads_decode_as_the_whole_chunk() {
        let mut rng = Lcg(7);
        let mut dicts = 0;
        let codecs = [CodecId::BLOSCLZ, CodecId::LZ4, CodecId::LZ4HC, CodecId::ZLIB, CodecId::ZSTD];
        for codec in codecs {
            for filters in [Pipeline::shuffle(), Pipeline::single(FilterId::DELTA), Pipeline::default()] {
                for use_dict in [false, true] {
                    if use_dict && !matches!(codec, CodecId::LZ4 | CodecId::LZ4HC | CodecId::ZSTD) {
                        continue;
                    }
                    let n = 4 * (1000 + rng.next(40_000));
                    let d = data(&mut rng, n);
                    let blocksize = [0, 1024, 4096, 3000][rng.next(4)];
                    let p = CompressParams { codec, filters, use_dict, blocksize, typesize: 4, ..Default::default() };
                    let c = chunk::compress(&p, &d).unwrap();
                    dicts += usize::from(crate::header::ChunkHeader::parse(&c).unwrap().has_dict());
                    check(&c, &mut rng);
                }
            }
        }
        assert!(dicts > 0, "some chunks have a dictionary");
        // Memcpyed (clevel 0) and special chunks are read whole.
        let d = data(&mut rng, 40_000);
        check(&chunk::compress(&CompressParams { clevel: 0, ..Default::default() }, &d).unwrap(), &mut rng);
        let p = CompressParams::default();
        check(&special::zeros(&p, 80_000).unwrap(), &mut rng);
        check(&special::nans(&p, 80_000).unwrap(), &mut rng);
        check(&special::repeat_value(&p, 80_000, &7u64.to_le_bytes()).unwrap(), &mut rng);
    }

    #[test]
    fn only_the_wanted_blocks_are_read() {
        let mut rng = Lcg(3);
        let d = data(&mut rng, 1 << 16);
        let p = CompressParams { blocksize: 4096, typesize: 4, ..Default::default() };
        let c = chunk::compress(&p, &d).unwrap();
        let src = Counted(&c, AtomicUsize::new(0));
        let mut buf = Vec::new();
        let n = read_blocks(&src, 0, &[(5 * 4096 + 10, 5 * 4096 + 20)], &mut buf).unwrap();
        assert!(n < c.len() / 8, "{n} of {}", c.len());
        // The first read (header and table, up to FIRST_READ bytes), then the block.
        assert!(src.1.load(Ordering::Relaxed) <= n + super::FIRST_READ, "{} bytes read", src.1.load(Ordering::Relaxed));
        // With DELTA, block 0 too.
        let p = CompressParams { filters: Pipeline::single(FilterId::DELTA), ..p };
        let c = chunk::compress(&p, &d).unwrap();
        let n = read_blocks(&c[..], 0, &[(5 * 4096, 6 * 4096)], &mut buf).unwrap();
        let mut got = vec![0u8; 4096];
        chunk::decompress_range(&buf[..n], 5 * 4096, &mut got).unwrap();
        assert_eq!(got, d[5 * 4096..6 * 4096]);
        // No range: block 0 only, still a chunk the decoder accepts.
        let n = read_blocks(&c[..], 0, &[], &mut buf).unwrap();
        chunk::decompress_range(&buf[..n], 0, &mut got).unwrap();
        assert_eq!(got, d[..4096]);
    }

    #[test]
    fn parallel_fetches_build_the_same_compact_chunk() {
        // A chunk of about 2 MiB of hardly compressible bytes in 64 KiB blocks: reads of
        // most of its blocks go over the parallel threshold and are cut into pieces.
        let mut rng = Lcg(11);
        let d: Vec<u8> = (0..2 << 20).map(|_| rng.next(256) as u8).collect();
        let p = CompressParams { blocksize: 1 << 16, typesize: 1, codec: CodecId::LZ4, ..Default::default() };
        let c = chunk::compress(&p, &d).unwrap();
        assert!(c.len() > 4 * super::PARALLEL_FETCH_MIN);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        for ranges in [vec![(0, d.len())], vec![(1000, 900_000), (1_200_000, 2_000_000)], vec![(70_000, 70_001)]] {
            let (mut one, mut par) = (Vec::new(), vec![0x77u8; 10]);
            let n = read_blocks(&c[..], 0, &ranges, &mut one).unwrap();
            let src = Counted(&c, AtomicUsize::new(0));
            let m = pool.install(|| super::read_blocks_threads(&src, 0, &ranges, &mut par, 3)).unwrap();
            assert_eq!(one[..n], par[..m], "ranges {ranges:?}");
            assert!(src.1.load(Ordering::Relaxed) <= n + super::FIRST_READ);
            for &(a, b) in &ranges {
                let mut got = vec![0u8; b - a];
                chunk::decompress_range(&par[..m], a, &mut got).unwrap();
                assert_eq!(got, d[a..b], "range {a}..{b}");
            }
        }
    }

    #[test]
    fn hostile_chunks_give_errors() {
        let mut rng = Lcg(11);
        let d = data(&mut rng, 1 << 15);
        let p = CompressParams { blocksize: 2048, typesize: 4, use_dict: true, ..Default::default() };
        let c = chunk::compress(&p, &d).unwrap();
        let mut buf = Vec::new();
        let whole = [(0, d.len())];
        // Truncated storage.
        for cut in [0, 10, 31, 32, 40, 200, c.len() - 1] {
            assert!(read_blocks(&c[..cut], 0, &whole, &mut buf).is_err(), "cut at {cut}");
        }
        assert!(read_blocks(&c[..], c.len() as u64 + 5, &whole, &mut buf).is_err(), "past the end");
        // cbytes beyond the storage, and too small for the block table.
        let mut bad = c.clone();
        bad[12..16].copy_from_slice(&i32::MAX.to_le_bytes());
        assert!(read_blocks(&bad[..], 0, &whole, &mut buf).is_err());
        bad[12..16].copy_from_slice(&40i32.to_le_bytes());
        assert!(read_blocks(&bad[..], 0, &whole, &mut buf).is_err());
        // Block starts inside the table, past cbytes, negative.
        for s in [0i32, 33, c.len() as i32, i32::MAX, -1] {
            let mut bad = c.clone();
            bad[32 + 4 * 3..32 + 4 * 4].copy_from_slice(&s.to_le_bytes());
            assert!(read_blocks(&bad[..], 0, &whole, &mut buf).is_err(), "start {s}");
        }
        // Dictionary sizes that do not fit.
        let table_end = 32 + 4 * d.len().div_ceil(2048);
        for s in [0i32, -5, i32::MAX, c.len() as i32] {
            let mut bad = c.clone();
            bad[table_end..table_end + 4].copy_from_slice(&s.to_le_bytes());
            assert!(read_blocks(&bad[..], 0, &whole, &mut buf).is_err(), "dict size {s}");
        }
        // Huge nbytes with tiny blocks: a table far larger than the chunk.
        let mut bad = c.clone();
        bad[4..8].copy_from_slice(&(i32::MAX - 64).to_le_bytes());
        bad[8..12].copy_from_slice(&1i32.to_le_bytes());
        assert!(read_blocks(&bad[..], 0, &[(0, 1)], &mut buf).is_err());
        // Ranges past nbytes.
        assert!(read_blocks(&c[..], 0, &[(0, d.len() + 1)], &mut buf).is_err());
        // Random damage to the header, table and dictionary never panics nor allocates
        // more than the storage holds.
        let mut buf = Vec::new();
        for _ in 0..3000 {
            let mut bad = c.clone();
            for _ in 0..1 + rng.next(4) {
                let at = rng.next(table_end + 8);
                bad[at] = rng.next(256) as u8;
            }
            let a = rng.next(d.len());
            let _ = read_blocks(&bad[..], 0, &[(a, a + 1)], &mut buf);
            assert!(buf.len() <= bad.len().max(super::FIRST_READ));
        }
    }
}
