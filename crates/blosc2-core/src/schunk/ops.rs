//! Super-chunk mutations and item access across chunk boundaries
//! (`shared/spec/frame.md` 5 and 7): append, insert, update, delete, special chunks,
//! and reading or writing a range of items.

use super::{ChunkBuf, SChunk, Store};
use crate::chunk::SpecialKind;
use crate::error::{Error, Result};
use crate::frame::checksum::chunk_checksum;
use crate::frame::descriptor::{ChunkOp as Op, ChunkSizes};
use crate::frame::disk::DiskFrame;
use crate::frame::offsets::special_offset;
use crate::header::ChunkHeader;
use crate::tune::Fixed;

/// The counters a failed change puts back.
#[derive(Clone, Copy)]
struct Counters {
    sizes: ChunkSizes,
    nbytes: u64,
    cbytes: u64,
}

impl SChunk {
    /// Checks a new chunk (cut to its `cbytes`) and applies C-Blosc2's chunk-size rules
    /// for `op`.
    fn admit(&mut self, chunk: &mut Vec<u8>, op: Op) -> Result<ChunkHeader> {
        let h = ChunkHeader::parse(chunk)?;
        chunk.truncate(h.cbytes);
        let n = self.nchunks();
        let sizes = self.desc.admit(&h, op, n, || self.chunk_nbytes(n - 1))?;
        self.desc.set_sizes(sizes);
        Ok(h)
    }

    /// Compresses `data`, to become chunk `index`, with the super-chunk's parameters (or
    /// those its tuner chooses), in the calling thread's reused output buffer.
    pub(super) fn compress_buffer(&mut self, index: u64, data: &[u8]) -> Result<Vec<u8>> {
        match &mut self.tuner.0 {
            None => crate::chunk::compress(&self.desc.cparams, data),
            Some(t) => crate::tune::compress_tuned(
                t.as_mut(),
                index,
                &self.desc.cparams,
                Fixed::default(),
                data,
                crate::chunk::compress,
            ),
        }
    }

    fn counters(&self) -> Counters {
        Counters { sizes: self.desc.sizes(), nbytes: self.desc.nbytes, cbytes: self.cbytes }
    }

    fn restore(&mut self, c: Counters) {
        self.desc.set_sizes(c.sizes);
        self.desc.nbytes = c.nbytes;
        self.cbytes = c.cbytes;
    }

    /// Commits `offsets` (with `new` chunks stored at the listed indices) to the frame on
    /// disk, compacting it when holes outweigh the data.
    pub(super) fn disk_commit(&mut self, offsets: Vec<i64>, new: &[(usize, &[u8])]) -> Result<()> {
        if !matches!(self.store, Store::Disk(_)) {
            return Err(Error::Unsupported {
                operation: "commit",
                what: "a super-chunk not backed by a frame on disk",
            });
        }
        self.desc.sync_checksums()?;
        let Store::Disk(d) = &mut self.store else { unreachable!("checked above") };
        let r = d.commit(&self.desc, offsets, new);
        let compact = r.is_ok() && d.wants_compaction();
        let path = d.path().to_path_buf();
        r?;
        if compact {
            self.save(&path)?;
            // Release the old file (and its lock) before taking the new one; a handle that
            // cannot take it back turns read-only rather than write to a replaced file.
            let reader = match std::mem::replace(&mut self.store, Store::Memory(Vec::new())) {
                Store::Disk(old) => old.frame.clone(),
                Store::Frame(f) => f,
                Store::Memory(_) => crate::frame::Frame::open(&path)?,
            };
            match DiskFrame::open(&path) {
                Ok(d) => self.store = Store::Disk(Box::new(d)),
                Err(e) => {
                    self.store = Store::Frame(crate::frame::Frame::open(&path).unwrap_or(reader));
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Stores the chunks of special offsets as real chunks (needed before a frame on disk
    /// becomes variable-size, where special offsets have no size).
    fn materialize_specials(&mut self) -> Result<()> {
        let Store::Disk(d) = &self.store else { return Ok(()) };
        let offsets = d.offsets().to_vec();
        let mut chunks = Vec::new();
        for (i, &o) in offsets.iter().enumerate() {
            if o < 0 {
                chunks.push((i, d.frame.chunk(i as u64)?.into_owned()));
            }
        }
        if chunks.is_empty() {
            return Ok(());
        }
        let refs: Vec<(usize, &[u8])> = chunks.iter().map(|(i, c)| (*i, c.as_slice())).collect();
        self.disk_commit(offsets, &refs)
    }

    /// Admits `chunk` for `op` on any store; on a frame on disk, materializes special offsets
    /// first if the frame is about to become variable-size.
    fn admit_any(&mut self, chunk: &mut Vec<u8>, op: Op, operation: &'static str) -> Result<(ChunkHeader, Counters)> {
        if matches!(self.store, Store::Frame(_)) {
            return Err(Error::Unsupported { operation, what: "a read-only frame (use SChunk::open_mut or load)" });
        }
        let before = self.counters();
        let h = self.admit(chunk, op).inspect_err(|_| self.restore(before))?;
        let has_specials = matches!(&self.store, Store::Disk(d) if d.offsets().iter().any(|&o| o < 0));
        if before.sizes.chunksize > 0 && self.desc.chunksize == 0 && has_specials {
            self.restore(before);
            self.materialize_specials()?;
            let h = self.admit(chunk, op).inspect_err(|_| self.restore(before))?;
            return Ok((h, before));
        }
        Ok((h, before))
    }

    /// Puts an admitted chunk at `i` (insert or replace) in the frame on disk.
    fn disk_place(&mut self, i: usize, chunk: &[u8], h: &ChunkHeader, replace: bool) -> Result<()> {
        let Store::Disk(d) = &self.store else { unreachable!("disk store") };
        let mut offsets = d.offsets().to_vec();
        let entry = self.desc.special_offset(h.special());
        let e = entry.unwrap_or(0);
        if replace {
            offsets[i] = e;
        } else {
            offsets.insert(i, e);
        }
        if entry.is_some() {
            self.disk_commit(offsets, &[])
        } else {
            self.disk_commit(offsets, &[(i, chunk)])
        }
    }

    /// Appends a compressed chunk; returns the new number of chunks.
    ///
    /// # Errors
    /// Header errors; [`Error::IncompatibleChunk`]; [`Error::Unsupported`] on a read-only
    /// frame; I/O errors for frames on disk.
    pub fn append_chunk(&mut self, chunk: Vec<u8>) -> Result<u64> {
        let n = self.nchunks();
        self.insert_chunk_as(n, chunk, Op::Append, "append")
    }

    fn insert_chunk_as(&mut self, i: u64, mut chunk: Vec<u8>, op: Op, operation: &'static str) -> Result<u64> {
        if i > self.nchunks() {
            return Err(Error::ChunkOutOfRange { index: i, nchunks: self.nchunks() });
        }
        self.checksums_ready()?;
        let (h, before) = self.admit_any(&mut chunk, op, operation)?;
        self.desc.nbytes += h.nbytes as u64;
        self.cbytes += chunk.len() as u64;
        self.desc.checksum_insert(i, &chunk);
        match &mut self.store {
            Store::Memory(v) => v.insert(i as usize, ChunkBuf::owned(chunk)),
            _ => self.disk_place(i as usize, &chunk, &h, false).inspect_err(|_| {
                self.restore(before);
                self.desc.checksum_remove(i);
            })?,
        }
        Ok(self.nchunks())
    }

    /// Appends `count` copies of one compressed chunk; returns the new number of chunks.
    /// In memory the copies share one buffer, so filling a huge array with special chunks
    /// costs a few bytes per chunk.
    ///
    /// # Errors
    /// As [`SChunk::append_chunk`].
    pub fn append_chunk_repeated(&mut self, chunk: Vec<u8>, count: u64) -> Result<u64> {
        // The first two copies go through the size rules (the second one sees the first as
        // the last chunk); every later copy finds the same state.
        for _ in 0..count.min(2) {
            self.append_chunk(chunk.clone())?;
        }
        let rest = count.saturating_sub(2);
        if rest == 0 {
            return Ok(self.nchunks());
        }
        match &mut self.store {
            Store::Memory(v) => {
                let shared = v.last().expect("two chunks were just appended").clone();
                let rest_usize = usize::try_from(rest)
                    .map_err(|_| Error::IncompatibleChunk { reason: "more chunks than memory can index" })?;
                v.try_reserve(rest_usize)
                    .map_err(|_| Error::IncompatibleChunk { reason: "cannot reserve the chunk table" })?;
                let (nb, cb) = {
                    let h = ChunkHeader::parse(shared.bytes())?;
                    (h.nbytes as u64, shared.bytes().len() as u64)
                };
                v.extend(std::iter::repeat_n(shared.clone(), rest_usize));
                self.desc.nbytes += nb * rest;
                self.cbytes += cb * rest;
                self.desc.checksum_extend(shared.bytes(), rest_usize);
            }
            _ => {
                for _ in 0..rest {
                    self.append_chunk(chunk.clone())?;
                }
            }
        }
        Ok(self.nchunks())
    }

    /// Rebuilds the chunk list in one change (one commit on disk, however many chunks
    /// move): entry `k` of `plan` becomes chunk `k`, either the current chunk `Some(i)`
    /// (each at most once) or, for `None`, a copy of `fill`. Chunks not named are dropped.
    /// This is how a b2nd resize adds and removes whole rows of chunks at once.
    ///
    /// `fill` must hold the chunk size; in memory its copies share one buffer, on disk it
    /// must be a special zero, NaN or uninitialized chunk (stored as a special offset, no
    /// data). A chunk shorter than the chunk size (the last one of some super-chunks) can
    /// only stay last.
    ///
    /// # Errors
    /// [`Error::ChunkOutOfRange`] or [`Error::InvalidParam`] for a bad plan;
    /// [`Error::IncompatibleChunk`] for a `fill` that does not fit; [`Error::Unsupported`]
    /// on a read-only frame; I/O errors of the commit (which then changes nothing).
    pub fn rearrange(&mut self, plan: &[Option<u64>], fill: Vec<u8>) -> Result<()> {
        if matches!(self.store, Store::Frame(_)) {
            return Err(Error::Unsupported {
                operation: "rearrange",
                what: "a read-only frame (use SChunk::open_mut or load)",
            });
        }
        self.checksums_ready()?;
        let n = self.nchunks();
        let fill_h = ChunkHeader::parse(&fill)?;
        // An empty super-chunk takes its chunk size from the fill, as from a first append.
        let new_chunksize = if n == 0 && self.desc.chunksize <= 0 && !plan.is_empty() {
            i32::try_from(fill_h.nbytes).map_err(|_| Error::IncompatibleChunk { reason: "chunk too big" })?
        } else {
            self.desc.chunksize
        };
        let chunksize = u64::try_from(new_chunksize).unwrap_or(0);
        let nfill = plan.iter().filter(|e| e.is_none()).count() as u64;
        if nfill > 0 && (chunksize == 0 || fill_h.nbytes as u64 != chunksize) {
            return Err(Error::IncompatibleChunk { reason: "the fill chunk must hold exactly the chunk size" });
        }
        let mut used =
            vec![false; usize::try_from(n).map_err(|_| Error::IncompatibleChunk { reason: "too many chunks" })?];
        for (k, e) in plan.iter().enumerate() {
            let Some(i) = *e else { continue };
            let slot = used.get_mut(usize::try_from(i).unwrap_or(usize::MAX));
            match slot {
                None => return Err(Error::ChunkOutOfRange { index: i, nchunks: n }),
                Some(true) => {
                    return Err(Error::InvalidParam {
                        name: "plan",
                        value: i as i64,
                        reason: "a chunk can appear only once",
                    })
                }
                Some(u) => *u = true,
            }
            // All chunks but possibly the last hold the chunk size; a short last chunk
            // must stay last.
            if i + 1 == n && k + 1 != plan.len() && self.desc.nbytes != n * chunksize {
                return Err(Error::InvalidParam {
                    name: "plan",
                    value: i as i64,
                    reason: "the short last chunk can only stay last",
                });
            }
        }
        // The counters: what the dropped chunks held out, the copies of `fill` in.
        let (mut nbytes, mut cbytes) = (self.desc.nbytes, self.cbytes);
        for (i, _) in used.iter().enumerate().filter(|(_, u)| !**u) {
            let info = self.chunk_info(i as u64)?;
            nbytes = nbytes.saturating_sub(info.nbytes as u64);
            cbytes = cbytes.saturating_sub(info.cbytes as u64);
        }
        nbytes += nfill * fill_h.nbytes as u64;
        cbytes += nfill * fill.len() as u64;
        let checksums = self.desc.checksums.as_ref().map(|t| {
            let f = chunk_checksum(&fill);
            plan.iter().map(|e| e.map_or(f, |i| t[i as usize])).collect::<Vec<u32>>()
        });
        match &mut self.store {
            Store::Memory(v) => {
                // The chunks that keep their place (a plan starting 0, 1, 2, ...) stay where
                // they are; only the rest is rebuilt. Growing or shrinking the outermost
                // dimension of an array touches just the tail this way.
                let keep = plan.iter().zip(0u64..).take_while(|(e, k)| **e == Some(*k)).count();
                let shared = ChunkBuf::owned(fill);
                // Each chunk appears once in the plan (checked above), so the chunks placed
                // after `keep` all come from the tail.
                let tail = v.split_off(keep);
                v.extend(
                    plan[keep..].iter().map(|e| e.map_or_else(|| shared.clone(), |i| tail[i as usize - keep].clone())),
                );
            }
            Store::Disk(d) => {
                let special = fill_h.special().and_then(special_offset).ok_or(Error::IncompatibleChunk {
                    reason: "on disk the fill chunk must be a special zero, NaN or uninit chunk",
                })?;
                let old = d.offsets();
                let offsets: Vec<i64> = plan.iter().map(|e| e.map_or(special, |i| old[i as usize])).collect();
                let before = self.counters();
                let old_sums = std::mem::replace(&mut self.desc.checksums, checksums.clone());
                self.desc.chunksize = new_chunksize;
                self.desc.nbytes = nbytes;
                self.cbytes = cbytes;
                if let Err(e) = self.disk_commit(offsets, &[]) {
                    self.restore(before);
                    self.desc.checksums = old_sums;
                    return Err(e);
                }
            }
            Store::Frame(_) => {
                return Err(Error::Unsupported { operation: "rearrange", what: "a read-only frame" });
            }
        }
        self.desc.chunksize = new_chunksize;
        self.desc.nbytes = nbytes;
        self.cbytes = cbytes;
        self.desc.checksums = checksums;
        Ok(())
    }

    /// Compresses `data` with the super-chunk's parameters and appends it.
    ///
    /// # Errors
    /// Compression errors, then as [`SChunk::append_chunk`].
    pub fn append_buffer(&mut self, data: &[u8]) -> Result<u64> {
        let c = self.compress_buffer(self.nchunks(), data)?;
        self.append_chunk(c)
    }

    /// Appends a special chunk of `nbytes` bytes without data (`value` is used only for
    /// [`SpecialKind::Value`]). In a frame on disk, zero, NaN and uninitialized chunks
    /// take no space (special offsets).
    ///
    /// # Errors
    /// As [`SChunk::special_chunk`] and [`SChunk::append_chunk`].
    pub fn append_special(&mut self, kind: SpecialKind, nbytes: usize, value: &[u8]) -> Result<u64> {
        let c = self.special_chunk(kind, nbytes, value)?;
        self.append_chunk(c)
    }

    /// Appends `data` cut into chunks of `chunksize` bytes (the last one may be shorter),
    /// as python-blosc2's `SChunk(chunksize=..., data=...)` does; returns the new number of
    /// chunks.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for a zero chunk size; as [`SChunk::append_buffer`].
    pub fn append_data(&mut self, data: &[u8], chunksize: usize) -> Result<u64> {
        if chunksize == 0 {
            return Err(Error::InvalidParam { name: "chunksize", value: 0, reason: "must be positive" });
        }
        for piece in data.chunks(chunksize) {
            self.append_buffer(piece)?;
        }
        Ok(self.nchunks())
    }

    /// Inserts a compressed chunk at position `i` (`i == nchunks` appends).
    ///
    /// # Errors
    /// [`Error::ChunkOutOfRange`] for `i > nchunks`; as [`SChunk::append_chunk`].
    pub fn insert_chunk(&mut self, i: u64, chunk: Vec<u8>) -> Result<u64> {
        self.insert_chunk_as(i, chunk, Op::Insert(i), "insert")
    }

    /// Compresses `data` and inserts it at position `i`.
    ///
    /// # Errors
    /// As [`SChunk::insert_chunk`].
    pub fn insert_buffer(&mut self, i: u64, data: &[u8]) -> Result<u64> {
        let c = self.compress_buffer(i, data)?;
        self.insert_chunk(i, c)
    }

    /// Inserts a special chunk at position `i`.
    ///
    /// # Errors
    /// As [`SChunk::insert_chunk`].
    pub fn insert_special(&mut self, i: u64, kind: SpecialKind, nbytes: usize, value: &[u8]) -> Result<u64> {
        let c = self.special_chunk(kind, nbytes, value)?;
        self.insert_chunk(i, c)
    }

    /// Replaces chunk `i` by a compressed chunk.
    ///
    /// # Errors
    /// [`Error::ChunkOutOfRange`]; as [`SChunk::append_chunk`].
    pub fn update_chunk(&mut self, i: u64, mut chunk: Vec<u8>) -> Result<()> {
        self.check_index(i)?;
        self.checksums_ready()?;
        let old = self.chunk_info(i)?;
        let (h, before) = self.admit_any(&mut chunk, Op::Update(i), "update")?;
        self.desc.nbytes = self.desc.nbytes.saturating_sub(old.nbytes as u64) + h.nbytes as u64;
        self.cbytes = self.cbytes.saturating_sub(old.cbytes as u64) + chunk.len() as u64;
        let old_sum = self.desc.checksums.as_ref().map(|t| t[i as usize]);
        self.desc.checksum_update(i, &chunk);
        match &mut self.store {
            Store::Memory(v) => v[i as usize] = ChunkBuf::owned(chunk),
            _ => self.disk_place(i as usize, &chunk, &h, true).inspect_err(|_| {
                self.restore(before);
                if let (Some(t), Some(s)) = (&mut self.desc.checksums, old_sum) {
                    t[i as usize] = s;
                }
            })?,
        }
        Ok(())
    }

    /// Compresses `data` and replaces chunk `i` with it.
    ///
    /// # Errors
    /// As [`SChunk::update_chunk`].
    pub fn update_buffer(&mut self, i: u64, data: &[u8]) -> Result<()> {
        let c = self.compress_buffer(i, data)?;
        self.update_chunk(i, c)
    }

    /// Removes chunk `i`; returns the new number of chunks.
    ///
    /// # Errors
    /// [`Error::ChunkOutOfRange`]; [`Error::Unsupported`] on a read-only frame; I/O errors.
    pub fn delete_chunk(&mut self, i: u64) -> Result<u64> {
        if matches!(self.store, Store::Frame(_)) {
            return Err(Error::Unsupported {
                operation: "delete",
                what: "a read-only frame (use SChunk::open_mut or load)",
            });
        }
        self.check_index(i)?;
        self.checksums_ready()?;
        let old = self.chunk_info(i)?;
        let before = self.counters();
        self.desc.nbytes = self.desc.nbytes.saturating_sub(old.nbytes as u64);
        self.cbytes = self.cbytes.saturating_sub(old.cbytes as u64);
        let old_sum = self.desc.checksums.as_ref().map(|t| t[i as usize]);
        self.desc.checksum_remove(i);
        match &mut self.store {
            Store::Memory(v) => {
                v.remove(i as usize);
            }
            Store::Disk(d) => {
                let mut offsets = d.offsets().to_vec();
                offsets.remove(i as usize);
                self.disk_commit(offsets, &[]).inspect_err(|_| {
                    self.restore(before);
                    if let (Some(t), Some(s)) = (&mut self.desc.checksums, old_sum) {
                        t.insert(i as usize, s);
                    }
                })?;
            }
            Store::Frame(_) => unreachable!("checked above"),
        }
        Ok(self.nchunks())
    }

    /// Byte ranges `(chunk, start, end)` covering bytes `start..end` of the content.
    fn byte_spans(&self, start: u64, end: u64) -> Result<Vec<(u64, usize, usize)>> {
        if start > end || end > self.desc.nbytes {
            return Err(Error::RangeOutOfBounds {
                start: start as usize,
                end: end as usize,
                len: self.desc.nbytes as usize,
            });
        }
        let mut spans = Vec::new();
        if start == end {
            return Ok(spans);
        }
        let (mut i, mut base) = if self.desc.chunksize > 0 {
            let cs = self.desc.chunksize as u64;
            (start / cs, start / cs * cs)
        } else {
            (0, 0)
        };
        while base < end && i < self.nchunks() {
            let n = self.chunk_nbytes(i)? as u64;
            let (a, b) = (start.max(base), end.min(base + n));
            if a < b {
                spans.push((i, (a - base) as usize, (b - base) as usize));
            }
            base += n;
            i += 1;
        }
        if base < end {
            return Err(Error::RangeOutOfBounds { start: start as usize, end: end as usize, len: base as usize });
        }
        Ok(spans)
    }

    fn item_bytes(&self, start: u64, stop: u64) -> Result<(u64, u64)> {
        let ts = self.typesize() as u64;
        match (start.checked_mul(ts), stop.checked_mul(ts)) {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => Err(Error::RangeOutOfBounds { start: start as usize, end: stop as usize, len: 0 }),
        }
    }

    /// Items `start..stop` (in units of the typesize) across chunk boundaries, decoding
    /// only the blocks they touch.
    ///
    /// # Errors
    /// [`Error::RangeOutOfBounds`]; chunk read and decoding errors.
    pub fn get_slice(&self, start: u64, stop: u64) -> Result<Vec<u8>> {
        let (a, b) = self.item_bytes(start, stop)?;
        let spans = self.byte_spans(a, b)?;
        let mut out = crate::buffer::zeroed((b - a) as usize);
        let mut at = 0;
        for (i, s, e) in spans {
            let c = self.chunk(i)?;
            self.decompressor().decompress_range(&c, s, &mut out[at..at + e - s])?;
            at += e - s;
        }
        Ok(out)
    }

    /// Overwrites items from `start` on with `data` (whose length must be a multiple of the
    /// typesize), recompressing every chunk it touches. The content cannot grow.
    ///
    /// # Errors
    /// [`Error::RangeOutOfBounds`] past the end; decoding and compression errors.
    pub fn set_slice(&mut self, start: u64, data: &[u8]) -> Result<()> {
        if matches!(self.store, Store::Frame(_)) {
            return Err(Error::Unsupported {
                operation: "set_slice",
                what: "a read-only frame (use SChunk::open_mut or load)",
            });
        }
        let (a, _) = self.item_bytes(start, start)?;
        let spans = self.byte_spans(a, a + data.len() as u64)?;
        let mut at = 0;
        for (i, s, e) in spans {
            let mut buf = self.decompress_chunk(i)?;
            buf[s..e].copy_from_slice(&data[at..at + e - s]);
            at += e - s;
            self.update_buffer(i, &buf)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::chunk::{CompressParams, SpecialKind};
    use crate::codec::CodecId;
    use crate::error::Error;
    use crate::filter::Pipeline;
    use crate::schunk::SChunk;
    use blosc2_testkit::data::xorshift32_bytes;

    fn params() -> CompressParams {
        CompressParams { codec: CodecId::LZ4, typesize: 4, filters: Pipeline::default(), ..CompressParams::default() }
    }

    fn items(range: std::ops::Range<i32>) -> Vec<u8> {
        range.flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn chunksize_rules_follow_c() {
        let mut s = SChunk::new(params());
        assert_eq!(s.chunksize(), -1);
        s.append_buffer(&items(0..100)).unwrap();
        assert_eq!(s.chunksize(), 400);
        s.append_buffer(&items(0..50)).unwrap();
        assert_eq!(s.chunksize(), 400, "a short last chunk keeps the chunk size");
        s.append_buffer(&items(0..100)).unwrap();
        assert_eq!(s.chunksize(), 0, "a chunk after a short one makes it variable");
        let mut s = SChunk::new(params());
        s.append_buffer(&items(0..100)).unwrap();
        s.append_buffer(&items(0..200)).unwrap();
        assert_eq!(s.chunksize(), 0, "a bigger chunk makes it variable");
        let mut s = SChunk::new(params());
        s.append_buffer(&items(0..100)).unwrap();
        s.insert_buffer(0, &items(0..100)).unwrap();
        assert_eq!(s.chunksize(), 400);
        s.update_buffer(0, &items(0..10)).unwrap();
        assert_eq!(s.chunksize(), 0, "a short chunk that is not last");
    }

    #[test]
    fn repeated_appends_equal_single_appends() {
        for (first, chunk_items) in [(100, 100), (100, 30), (0, 100)] {
            let mut one = SChunk::new(params());
            let mut many = SChunk::new(params());
            if first > 0 {
                one.append_buffer(&items(0..first)).unwrap();
                many.append_buffer(&items(0..first)).unwrap();
            }
            let zeros = one.special_chunk(SpecialKind::Zeros, chunk_items as usize * 4, &[]).unwrap();
            for _ in 0..1000 {
                one.append_chunk(zeros.clone()).unwrap();
            }
            many.append_chunk_repeated(zeros, 1000).unwrap();
            assert_eq!(many.nchunks(), one.nchunks());
            assert_eq!((many.nbytes(), many.cbytes(), many.chunksize()), (one.nbytes(), one.cbytes(), one.chunksize()));
            assert_eq!(many.to_cframe().unwrap(), one.to_cframe().unwrap());
        }
    }

    #[test]
    fn mutations_and_slices_across_chunks() {
        let mut s = SChunk::new(params());
        for k in 0..4 {
            s.append_buffer(&items(k * 100..k * 100 + 100)).unwrap();
        }
        assert_eq!(s.get_slice(95, 205).unwrap(), items(95..205));
        s.set_slice(98, &items(-4..0)).unwrap();
        let mut want = items(0..400);
        want[98 * 4..102 * 4].copy_from_slice(&items(-4..0));
        assert_eq!(s.get_slice(0, 400).unwrap(), want);
        s.insert_special(1, SpecialKind::Zeros, 400, &[]).unwrap();
        s.update_chunk(2, s.special_chunk(SpecialKind::Value, 400, &7i32.to_le_bytes()).unwrap()).unwrap();
        assert_eq!(s.get_slice(100, 101).unwrap(), 0i32.to_le_bytes());
        assert_eq!(s.get_slice(250, 251).unwrap(), 7i32.to_le_bytes());
        assert_eq!(s.delete_chunk(0).unwrap(), 4);
        assert_eq!(s.nbytes(), 1600);
        assert!(matches!(s.get_slice(0, 401), Err(Error::RangeOutOfBounds { .. })));
        assert!(matches!(s.chunk(4), Err(Error::ChunkOutOfRange { index: 4, nchunks: 4 })));
        assert!(matches!(s.insert_buffer(9, &items(0..100)), Err(Error::ChunkOutOfRange { .. })));
        let infos: Vec<_> = s.chunk_infos().map(|i| i.unwrap()).collect();
        assert_eq!(infos[0].special, Some(SpecialKind::Zeros));
        assert_eq!(infos[1].value.as_deref(), Some(&7i32.to_le_bytes()[..]));
        assert!(infos[2].ratio() > 0.0);
    }

    #[test]
    fn small_frames_round_trip_without_copies() {
        let mut s = SChunk::new(params());
        s.metalayers_mut().add("m", &[1, 2, 3]).unwrap();
        s.vlmetalayers_mut().set("v", b"value").unwrap();
        s.append_buffer(&items(0..100)).unwrap();
        s.append_special(SpecialKind::Zeros, 400, &[]).unwrap();
        s.append_buffer(&items(0..10)).unwrap();
        let frame = s.to_cframe().unwrap();
        let back = SChunk::from_cframe(frame.clone()).unwrap();
        assert_eq!(back.nchunks(), 3);
        assert_eq!(back.get_slice(0, 210).unwrap(), s.get_slice(0, 210).unwrap());
        assert_eq!(back.metalayers().get("m"), Some(&[1u8, 2, 3][..]));
        assert_eq!(back.vlmetalayers().get("v").unwrap(), b"value");
        assert_eq!(back.to_cframe().unwrap(), frame);
        // Chunks 0 and 2 are slices of the one frame buffer, back to back: not copies.
        let (c0, c2) = (back.chunk(0).unwrap(), back.chunk(2).unwrap());
        assert_eq!(c0.as_ptr() as usize + c0.len(), c2.as_ptr() as usize);
        // The zero chunk is a special offset: the chunks section holds two chunks.
        let f = crate::frame::Frame::from_bytes(frame).unwrap();
        assert_eq!(f.offsets().get(1).unwrap(), Some(crate::frame::offsets::SPECIAL_ZEROS));
    }

    fn disk_round(sparse: bool) {
        let dir = std::env::temp_dir().join(format!("b2-disk-ops-{sparse}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.b2frame");
        let mut model = SChunk::new(params());
        let mut s = SChunk::new(params());
        s.metalayers_mut().add("m", &[7; 3]).unwrap();
        let mut s = if sparse { s.into_sparse(&path).unwrap() } else { s.into_file(&path).unwrap() };
        let check = |s: &SChunk, model: &SChunk| {
            let f = crate::frame::Frame::open(&path).unwrap();
            assert_eq!(f.nchunks(), model.nchunks());
            for i in 0..model.nchunks() {
                assert_eq!(f.decompress_chunk(i).unwrap(), model.decompress_chunk(i).unwrap(), "chunk {i}");
                assert_eq!(s.decompress_chunk(i).unwrap(), model.decompress_chunk(i).unwrap(), "chunk {i}");
            }
            assert_eq!(f.metalayers().get("m"), Some(&[7u8; 3][..]));
            assert_eq!(f.header().chunksize, model.chunksize());
        };
        for k in 0..5 {
            s.append_buffer(&items(k * 100..k * 100 + 100)).unwrap();
            model.append_buffer(&items(k * 100..k * 100 + 100)).unwrap();
            check(&s, &model);
        }
        s.append_special(SpecialKind::Zeros, 400, &[]).unwrap();
        model.append_special(SpecialKind::Zeros, 400, &[]).unwrap();
        s.insert_buffer(1, &items(-100..0)).unwrap();
        model.insert_buffer(1, &items(-100..0)).unwrap();
        check(&s, &model);
        s.update_buffer(3, &items(1000..1100)).unwrap();
        model.update_buffer(3, &items(1000..1100)).unwrap();
        s.delete_chunk(0).unwrap();
        model.delete_chunk(0).unwrap();
        s.set_slice(95, &items(5..15)).unwrap();
        model.set_slice(95, &items(5..15)).unwrap();
        check(&s, &model);
        s.vlmetalayers_mut().set("note", b"on disk").unwrap();
        s.flush().unwrap();
        assert_eq!(crate::frame::Frame::open(&path).unwrap().vlmetalayers().get("note").unwrap(), b"on disk");
        // Fixed metalayers change in place when their size does not change.
        s.metalayers_mut().update("m", &[9; 3]).unwrap();
        s.flush().unwrap();
        assert_eq!(crate::frame::Frame::open(&path).unwrap().metalayers().get("m"), Some(&[9u8; 3][..]));
        s.metalayers_mut().update("m", &[7; 3]).unwrap();
        // A short chunk then a full one: the frame becomes variable-size and its special
        // offset turns into a stored chunk.
        s.append_buffer(&items(0..10)).unwrap();
        model.append_buffer(&items(0..10)).unwrap();
        s.append_buffer(&items(0..100)).unwrap();
        model.append_buffer(&items(0..100)).unwrap();
        assert_eq!(s.chunksize(), 0);
        check(&s, &model);
        // One writer at a time: the first lets go before the frame is reopened for writing.
        drop(s);
        let reopened = SChunk::open_mut(&path).unwrap();
        assert_eq!(reopened.get_slice(0, 500).unwrap(), model.get_slice(0, 500).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn contiguous_frames_change_on_disk() {
        disk_round(false);
    }

    #[test]
    fn sparse_frames_change_on_disk() {
        disk_round(true);
    }

    #[test]
    fn read_only_frames_refuse_changes() {
        let dir = std::env::temp_dir().join(format!("b2-ro-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ro.b2frame");
        let mut s = SChunk::new(params());
        s.append_buffer(&items(0..100)).unwrap();
        s.save(&path).unwrap();
        let mut ro = SChunk::open(&path).unwrap();
        assert!(matches!(ro.append_buffer(&items(0..100)), Err(Error::Unsupported { .. })));
        assert!(matches!(ro.delete_chunk(0), Err(Error::Unsupported { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn holes_are_compacted_away() {
        let dir = std::env::temp_dir().join(format!("b2-compact-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.b2frame");
        let mut s = SChunk::new(params()).into_file(&path).unwrap();
        // Each append leaves the previous offsets chunk and trailer as a hole: about 4 MB
        // over 2000 appends without compaction.
        for i in 0..2000i32 {
            s.append_buffer(&items(i..i + 2)).unwrap();
        }
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(len < 2000 * 40 + (1 << 20) + 50_000, "file of {len} bytes");
        let f = crate::frame::Frame::open(&path).unwrap();
        assert_eq!(f.nchunks(), 2000);
        assert_eq!(f.decompress_chunk(1999).unwrap(), items(1999..2001));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn metalayers_added_on_disk_are_committed_by_flush() {
        for sparse in [false, true] {
            let dir = std::env::temp_dir().join(format!("b2-addmeta-{sparse}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("m.b2frame");
            let mut s = SChunk::new(params());
            s.metalayers_mut().add("first", &[1, 2, 3]).unwrap();
            s.append_buffer(&items(0..100)).unwrap();
            let mut s = if sparse { s.into_sparse(&path).unwrap() } else { s.into_file(&path).unwrap() };
            // A metalayer bigger than a page: the header grows and crosses pages.
            s.metalayers_mut().add("big", &[7u8; 5000]).unwrap();
            s.append_buffer(&items(100..200)).unwrap();
            s.flush().unwrap();
            let f = crate::frame::Frame::open(&path).unwrap();
            assert_eq!(f.metalayers().get("first"), Some(&[1u8, 2, 3][..]));
            assert_eq!(f.metalayers().get("big"), Some(&[7u8; 5000][..]));
            assert_eq!(f.decompress_chunk(1).unwrap(), items(100..200));
            // Same-size updates near the start and far into the header.
            s.metalayers_mut().update("first", &[4, 5, 6]).unwrap();
            s.flush().unwrap();
            let mut big = vec![7u8; 5000];
            big[4999] = 8;
            s.metalayers_mut().update("big", &big).unwrap();
            s.metalayers_mut().update("first", &[9, 9, 9]).unwrap();
            s.append_buffer(&items(200..300)).unwrap();
            drop(s);
            for f in
                [crate::frame::Frame::open(&path).unwrap(), SChunk::open_mut(&path).unwrap().frame().unwrap().clone()]
            {
                assert_eq!(f.metalayers().get("first"), Some(&[9u8, 9, 9][..]));
                assert_eq!(f.metalayers().get("big"), Some(&big[..]));
                assert_eq!(f.nchunks(), 3);
                assert_eq!(f.decompress_chunk(2).unwrap(), items(200..300));
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// Everything a reader sees in a frame: chunks, metalayers, vlmetalayers.
    type State = (Vec<Vec<u8>>, Vec<(String, Vec<u8>)>, Vec<(String, Vec<u8>)>);

    fn state(path: &std::path::Path) -> State {
        let f = crate::frame::Frame::open(path).unwrap();
        let chunks = (0..f.nchunks()).map(|i| f.decompress_chunk(i).unwrap()).collect();
        let metas = f.metalayers().iter().map(|(n, c)| (n.to_string(), c.to_vec())).collect();
        let vl = f.vlmetalayers().names().map(|n| (n.to_string(), f.vlmetalayers().get(n).unwrap())).collect();
        (chunks, metas, vl)
    }

    fn copy_frame(from: &std::path::Path, to: &std::path::Path) {
        let _ = std::fs::remove_dir_all(to);
        let _ = std::fs::remove_file(to);
        if from.is_dir() {
            std::fs::create_dir_all(to).unwrap();
            for e in std::fs::read_dir(from).unwrap() {
                let p = e.unwrap().path();
                std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
            }
        } else {
            std::fs::copy(from, to).unwrap();
        }
    }

    type Change = Box<dyn Fn(&mut SChunk) -> crate::Result<()>>;

    /// A crash (simulated: every file-system write fails from the k-th on, for every k) in
    /// the middle of any change leaves a frame that opens and holds either the state before
    /// the change or the state after it, and that takes the change again afterwards.
    #[test]
    fn every_crash_point_of_a_change_leaves_the_old_or_the_new_frame() {
        use crate::frame::disk::WRITES_LEFT;
        let dir = std::env::temp_dir().join(format!("b2-crashpoints-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let changes: Vec<(&str, Change)> = vec![
            ("append", Box::new(|s| s.append_buffer(&items(500..600)).map(drop))),
            ("append zeros", Box::new(|s| s.append_special(SpecialKind::Zeros, 400, &[]).map(drop))),
            ("insert", Box::new(|s| s.insert_buffer(1, &items(600..700)).map(drop))),
            ("update", Box::new(|s| s.update_buffer(2, &items(700..800)))),
            ("update special", Box::new(|s| s.update_buffer(3, &items(800..900)))),
            ("delete", Box::new(|s| s.delete_chunk(0).map(drop))),
            ("short insert", Box::new(|s| s.insert_buffer(1, &items(0..10)).map(drop))),
            (
                "vlmeta",
                Box::new(|s| {
                    s.vlmetalayers_mut().set("v", b"value")?;
                    s.flush()
                }),
            ),
            (
                "metalayer update",
                Box::new(|s| {
                    s.metalayers_mut().update("m", &[9; 3])?;
                    s.flush()
                }),
            ),
            (
                "metalayer add",
                Box::new(|s| {
                    s.metalayers_mut().add("grown", &[5; 5000])?;
                    s.flush()
                }),
            ),
        ];
        let mut bases = Vec::new();
        for sparse in [false, true] {
            let path = dir.join(format!("base-{sparse}.b2frame"));
            let mut s = SChunk::new(params());
            s.metalayers_mut().add("m", &[7; 3]).unwrap();
            for k in 0..5 {
                if k == 3 {
                    s.append_special(SpecialKind::Zeros, 400, &[]).unwrap();
                } else {
                    s.append_buffer(&items(k * 100..k * 100 + 100)).unwrap();
                }
            }
            drop(if sparse { s.into_sparse(&path).unwrap() } else { s.into_file(&path).unwrap() });
            bases.push(path);
        }
        let mut cases: Vec<(std::path::PathBuf, &str, &Change)> = Vec::new();
        for base in &bases {
            for (name, change) in &changes {
                cases.push((base.clone(), name, change));
            }
        }
        // An update that makes holes outweigh the data: the change ends with a compaction.
        let big = dir.join("big.b2frame");
        let mut s = SChunk::new(params());
        s.append_buffer(&xorshift32_bytes(3 << 19, 1)).unwrap();
        drop(s.into_file(&big).unwrap());
        let compaction: Change = Box::new(|s| s.update_buffer(0, &xorshift32_bytes(3 << 19, 2)));
        cases.push((big.clone(), "compaction", &compaction));
        let mut crashes = 0;
        for (base, name, change) in cases {
            let before = state(&base);
            let work = dir.join("work");
            copy_frame(&base, &work);
            let mut s = SChunk::open_mut(&work).unwrap();
            change(&mut s).unwrap();
            drop(s);
            let after = state(&work);
            assert_ne!(before, after, "{name}");
            if name == "compaction" {
                assert!(std::fs::metadata(&work).unwrap().len() < 2 * (3 << 19), "compacted");
            }
            for k in 0.. {
                copy_frame(&base, &work);
                let mut s = SChunk::open_mut(&work).unwrap();
                WRITES_LEFT.with(|w| w.set(Some(k)));
                let r = change(&mut s);
                WRITES_LEFT.with(|w| w.set(None));
                drop(s);
                let now = state(&work);
                if r.is_ok() {
                    assert_eq!(now, after, "{name}: {k} writes");
                    break;
                }
                crashes += 1;
                assert!(now == before || now == after, "{name} ({}): crash after {k} writes", base.display());
                // The frame takes the change after the crash.
                let mut s = SChunk::open_mut(&work).unwrap();
                change(&mut s).unwrap();
                drop(s);
                assert_eq!(state(&work), after, "{name}: redone after a crash after {k} writes");
                assert!(k < 100, "{name}: no end");
            }
        }
        assert!(crashes > 60, "{crashes} crash points");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// `rearrange` against a model built chunk by chunk: in memory, in a contiguous file
    /// and in a sparse directory, with the checksum table kept current.
    #[test]
    fn rearrange_moves_drops_and_fills_in_one_change() {
        let dir = std::env::temp_dir().join(format!("b2-rearrange-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let chunk_items = |k: i32| items(k * 100..k * 100 + 100);
        // A shuffle with fills; a kept prefix then moves from the tail; a shrink; a grow.
        let plans: [&[Option<u64>]; 4] = [
            &[Some(5), None, Some(0), None, None, Some(2)],
            &[Some(0), Some(1), None, Some(5), Some(2)],
            &[Some(0), Some(1), Some(2)],
            &[Some(0), Some(1), Some(2), Some(3), Some(4), Some(5), None, None],
        ];
        for (plan, store) in plans.iter().flat_map(|&plan| ["memory", "file", "sparse"].map(|st| (plan, st))) {
            let mut s = SChunk::new(params());
            for k in 0..6 {
                s.append_buffer(&chunk_items(k)).unwrap();
            }
            s.enable_checksums().unwrap();
            let path = dir.join(format!("{store}-{}.b2frame", plan.len()));
            let mut s = match store {
                "memory" => s,
                "file" => s.into_file(&path).unwrap(),
                _ => s.into_sparse(&path).unwrap(),
            };
            let zero = s.special_chunk(SpecialKind::Zeros, 400, &[]).unwrap();
            // Bad plans change nothing.
            assert!(matches!(s.rearrange(&[Some(6)], zero.clone()), Err(Error::ChunkOutOfRange { .. })));
            assert!(matches!(s.rearrange(&[Some(1), Some(1)], zero.clone()), Err(Error::InvalidParam { .. })));
            let short = s.special_chunk(SpecialKind::Zeros, 200, &[]).unwrap();
            assert!(matches!(s.rearrange(&[None], short), Err(Error::IncompatibleChunk { .. })));
            assert_eq!(s.nchunks(), 6);
            s.rearrange(plan, zero.clone()).unwrap();
            let mut model = SChunk::new(params());
            for &e in plan {
                match e {
                    Some(k) => model.append_buffer(&chunk_items(k as i32)).unwrap(),
                    None => model.append_chunk(zero.clone()).unwrap(),
                };
            }
            assert_eq!((s.nchunks(), s.nbytes()), (model.nchunks(), model.nbytes()), "{store}");
            for i in 0..model.nchunks() {
                assert_eq!(s.decompress_chunk(i).unwrap(), model.decompress_chunk(i).unwrap(), "{store} chunk {i}");
            }
            assert!(s.verify(true).is_none(), "{store}: checksums current");
            if store != "memory" {
                drop(s);
                let again = SChunk::open(&path).unwrap();
                assert_eq!(again.nchunks(), plan.len() as u64);
                for i in 0..model.nchunks() {
                    assert_eq!(again.decompress_chunk(i).unwrap(), model.decompress_chunk(i).unwrap(), "{store} {i}");
                }
                assert!(again.verify(true).is_none(), "{store}: checksums stored");
                // On disk the fill must be stored as a special offset.
                let mut w = SChunk::open_mut(&path).unwrap();
                let data = w.compress_buffer(9, &chunk_items(9)).unwrap();
                assert!(matches!(w.rearrange(&[None], data), Err(Error::IncompatibleChunk { .. })));
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
