//! Reading frames (`shared/spec/frame.md` 8): contiguous frames in memory or in a file (at
//! any byte offset) and sparse-frame directories. Opening reads only the header, the
//! trailer and the offsets chunk; chunks are read on demand.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::header::{parse_metalayers, FrameHeader, FrameType, FIXED_HEADER_LEN};
use super::meta::{Metalayers, VlMetalayers};
use super::offsets::{decode_offsets_lazily, special_kind, ChunkCount, OffsetRules, Offsets};
use super::source::{FileSource, Source};
use super::trailer::{parse_trailer, parse_trailer_len, MIN_TRAILER_LEN, TRAILER_TAIL_LEN};
use crate::chunk::partial::ReadAt;
use crate::chunk::{self, special, CompressParams, SpecialKind, SplitMode};
use crate::codec::CodecId;
use crate::error::{Error, FramePart, Result};
use crate::filter::Pipeline;
use crate::header::{ChunkHeader, BLOSC1_HEADER_LEN, EXTENDED_HEADER_LEN, MAX_BUFFERSIZE};

/// How many times opening a file is retried when a concurrent commit changed it meanwhile.
pub const OPEN_ATTEMPTS: u32 = 16;

/// Name of the index file inside a sparse-frame directory.
pub const SPARSE_INDEX: &str = "chunks.b2frame";

/// File name of the chunk with file id `id` in a sparse frame (`{:08X}.chunk`).
pub fn sparse_chunk_name(id: u64) -> String {
    format!("{id:08X}.chunk")
}

/// Chunk counts up to which a variable-size sparse frame is opened without listing its
/// directory to check that it can hold that many chunk files.
const SPARSE_UNCOUNTED: u64 = 1 << 16;

/// The number of chunk files a sparse-frame directory can hold for its chunks: its entries
/// (counted only when the directory can be listed; otherwise no bound).
fn sparse_chunk_files(dir: &Path) -> u64 {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.count() as u64,
        Err(_) => u64::MAX,
    }
}

/// Where a chunk's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkLocation {
    /// At this offset of the chunks section of a contiguous frame.
    Offset(u64),
    /// In the sparse-frame file with this id.
    File(u64),
    /// Nowhere: a special offset (zeros, NaN or uninitialized).
    SpecialOffset,
    /// In memory (a super-chunk that is not backed by a frame).
    Memory,
}

/// Metadata of one chunk, read from its header only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkInfo {
    /// Chunk index.
    pub index: u64,
    /// Uncompressed size.
    pub nbytes: usize,
    /// Compressed size (header included; 32 for chunks stored as special offsets).
    pub cbytes: usize,
    /// The special kind, if any.
    pub special: Option<SpecialKind>,
    /// The repeated value of a repeated-value chunk.
    pub value: Option<Vec<u8>>,
    /// Where the chunk lives.
    pub location: ChunkLocation,
    /// The chunk's own header (codec, filters with their metas, split flag, block size);
    /// `None` for chunks stored as special offsets, which have none.
    pub header: Option<ChunkHeader>,
}

impl ChunkInfo {
    /// Compression ratio `nbytes / cbytes`.
    pub fn ratio(&self) -> f64 {
        if self.cbytes == 0 {
            0.0
        } else {
            self.nbytes as f64 / self.cbytes as f64
        }
    }

    /// Builds the info of an in-memory chunk from its bytes.
    pub(crate) fn from_chunk(index: u64, chunk: &[u8], location: ChunkLocation) -> Result<ChunkInfo> {
        let h = ChunkHeader::parse_prefix(chunk)?;
        let special = h.special();
        let value = match special {
            Some(SpecialKind::Value) => {
                let end = h.cbytes.min(chunk.len());
                Some(chunk[EXTENDED_HEADER_LEN.min(end)..end].to_vec())
            }
            _ => None,
        };
        Ok(ChunkInfo { index, nbytes: h.nbytes, cbytes: h.cbytes, special, value, location, header: Some(h) })
    }
}

/// The compression parameters C-Blosc2 uses to synthesize the chunk of a special offset:
/// its defaults with the frame's typesize and blocksize.
pub(crate) fn special_params(typesize: usize, blocksize: usize) -> CompressParams {
    CompressParams {
        codec: CodecId::BLOSCLZ,
        codec_meta: 0,
        clevel: 5,
        typesize,
        filters: Pipeline::shuffle(),
        blocksize,
        splitmode: SplitMode::ForwardCompat,
        nthreads: 1,
        use_dict: false,
        geometry: None,
    }
}

/// A frame opened for reading: header, metalayers, vlmetalayers and offsets in memory,
/// chunks fetched on demand.
#[derive(Debug, Clone)]
pub struct Frame {
    source: Source,
    start: u64,
    sparse_dir: Option<PathBuf>,
    header: FrameHeader,
    metalayers: Metalayers,
    vlmetalayers: VlMetalayers,
    trailer_len: u64,
    offsets: Offsets,
}

/// The bytes of a source before `end`.
struct Bounded<'a> {
    source: &'a Source,
    end: u64,
}

impl ReadAt for Bounded<'_> {
    fn size(&self) -> u64 {
        self.end
    }

    fn read_exact_at(&self, buf: &mut [u8], pos: u64) -> Result<()> {
        self.source.read_exact_at(buf, pos)
    }
}

fn frame_err(part: FramePart, offset: u64, reason: String) -> Error {
    Error::InvalidFrame { part, offset, reason }
}

impl Frame {
    /// Reads a contiguous frame held in `buf` (which must start with the frame; it may
    /// continue after it).
    ///
    /// # Errors
    /// [`Error::NotAFrame`] when `buf` is no frame; [`Error::InvalidFrame`] naming the part
    /// that is wrong.
    pub fn from_bytes(buf: Vec<u8>) -> Result<Frame> {
        Self::from_shared(Arc::new(buf), 0)
    }

    /// Reads a contiguous frame starting at byte `offset` of a shared buffer; chunks are
    /// borrowed from the buffer, never copied.
    ///
    /// # Errors
    /// As [`Frame::from_bytes`].
    pub fn from_shared(buf: Arc<Vec<u8>>, offset: u64) -> Result<Frame> {
        Self::parse(Source::Memory(buf), offset, None)
    }

    /// Opens a frame on disk: a contiguous frame file, or a sparse-frame directory.
    ///
    /// # Errors
    /// [`Error::Io`] when the path cannot be read; otherwise as [`Frame::from_bytes`].
    pub fn open(path: impl AsRef<Path>) -> Result<Frame> {
        Self::open_at(path, 0)
    }

    /// Opens a contiguous frame starting at byte `offset` of a file (or a sparse directory
    /// when `path` is one and `offset` is 0).
    ///
    /// # Errors
    /// As [`Frame::open`].
    pub fn open_at(path: impl AsRef<Path>, offset: u64) -> Result<Frame> {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|e| Error::io(&e, path))?;
        if meta.is_dir() {
            if offset != 0 {
                return Err(Error::InvalidParam {
                    name: "offset",
                    value: offset as i64,
                    reason: "sparse frames start at offset 0",
                });
            }
            let index = path.join(SPARSE_INDEX);
            if !index.is_file() {
                return Err(Error::NotAFrame { reason: format!("directory {} has no {SPARSE_INDEX}", path.display()) });
            }
            let src = Source::File(Arc::new(FileSource::open(&index)?));
            return Self::parse(src, 0, Some(path.to_path_buf()));
        }
        Self::open_contiguous(path, offset, FileSource::open)
    }

    /// Opens a frame on disk as [`Frame::open`] does, reading a contiguous frame file
    /// through a memory map ([`FileSource::open_mapped`]): chunks are borrowed from the
    /// map instead of read into new buffers, which saves a copy per read when the file is
    /// in the page cache. The file must not be truncated or rewritten in place by another
    /// program while the frame is open (see [`FileSource::open_mapped`]); this library's
    /// writers may append to it. A sparse-frame directory is opened as by [`Frame::open`].
    ///
    /// # Errors
    /// As [`Frame::open`], plus [`Error::Io`] when the file cannot be mapped.
    #[cfg(feature = "mmap")]
    pub fn open_mapped(path: impl AsRef<Path>) -> Result<Frame> {
        let path = path.as_ref();
        if std::fs::metadata(path).map_err(|e| Error::io(&e, path))?.is_dir() {
            return Self::open(path);
        }
        Self::open_contiguous(path, 0, FileSource::open_mapped)
    }

    /// Opens a contiguous frame file that a writer in another process may be committing
    /// to. A commit writes its data first and the header last (`frame/disk.rs`), so a
    /// header read whole refers only to bytes already written; the fixed header is read
    /// before and after parsing, and a parse that raced a commit (the header changed, or
    /// the file grew past the length seen at open) is redone on the new state, at most
    /// [`OPEN_ATTEMPTS`] times.
    fn open_contiguous(path: &Path, offset: u64, open: fn(&Path) -> Result<FileSource>) -> Result<Frame> {
        let mut attempt = 1;
        loop {
            let file = Arc::new(open(path)?);
            let before = file.peek(offset, FIXED_HEADER_LEN);
            let result = Self::parse(Source::File(Arc::clone(&file)), offset, None);
            let after = file.peek(offset, FIXED_HEADER_LEN);
            let raced = before != after || (result.is_err() && file.current_len() != Some(file.opened_len()));
            if !raced || attempt >= OPEN_ATTEMPTS {
                return result;
            }
            attempt += 1;
        }
    }

    fn parse(source: Source, start: u64, sparse_dir: Option<PathBuf>) -> Result<Frame> {
        let avail = source.len().saturating_sub(start);
        let fixed = source.read_at(start, avail.min(FIXED_HEADER_LEN as u64) as usize, FramePart::Header, start)?;
        let header = FrameHeader::parse(&fixed)?;
        drop(fixed);
        let hdr_err = |at: u64, reason: String| frame_err(FramePart::Header, at, reason);
        match (header.frame_type, sparse_dir.is_some()) {
            (FrameType::Contiguous, true) => {
                return Err(hdr_err(26, "the index of a sparse directory says contiguous frame".into()));
            }
            (FrameType::Sparse, false) => {
                return Err(hdr_err(26, "a sparse-frame index cannot be read as a contiguous frame".into()));
            }
            _ => {}
        }
        if header.frame_len > avail {
            return Err(hdr_err(15, format!("frame_len {} exceeds the {avail} bytes available", header.frame_len)));
        }
        if header.frame_len < (FIXED_HEADER_LEN + MIN_TRAILER_LEN) as u64 {
            return Err(hdr_err(15, format!("frame_len {} is too small", header.frame_len)));
        }
        let flen = header.frame_len;
        let tail_pos = flen - TRAILER_TAIL_LEN as u64;
        let tail = source.read_at(start + tail_pos, TRAILER_TAIL_LEN, FramePart::Trailer, start)?;
        let trailer_len = u64::from(parse_trailer_len(&tail, tail_pos)?);
        drop(tail);
        if trailer_len < MIN_TRAILER_LEN as u64 || trailer_len > flen - header.header_len as u64 {
            return Err(frame_err(
                FramePart::Trailer,
                tail_pos,
                format!("trailer length {trailer_len} does not fit a frame of {flen} bytes"),
            ));
        }
        let trailer_start = flen - trailer_len;
        let hbytes = source.read_at(start, header.header_len, FramePart::Metalayers, start)?;
        let metalayers = parse_metalayers(&hbytes)?;
        drop(hbytes);
        let tbytes = source.read_at(start + trailer_start, trailer_len as usize, FramePart::Trailer, start)?;
        let vlmetalayers = parse_trailer(&tbytes, trailer_start)?;
        drop(tbytes);

        let sparse = header.frame_type == FrameType::Sparse;
        let data_end = header.header_len as u64 + if sparse { 0 } else { header.cbytes };
        if data_end > trailer_start {
            return Err(hdr_err(
                38,
                format!("chunks section ends at {data_end}, after the trailer start {trailer_start}"),
            ));
        }
        let offsets = if header.nbytes == 0 {
            Offsets::List(Vec::new())
        } else {
            let pos = data_end;
            if pos + EXTENDED_HEADER_LEN as u64 > trailer_start {
                return Err(frame_err(FramePart::Offsets, pos, "no room for the offsets chunk".into()));
            }
            let oh = source.read_at(start + pos, EXTENDED_HEADER_LEN, FramePart::Offsets, start)?;
            let oheader = ChunkHeader::parse_prefix(&oh)
                .map_err(|e| frame_err(FramePart::Offsets, pos, format!("bad offsets chunk header: {e}")))?;
            drop(oh);
            let ocbytes = oheader.cbytes as u64;
            let expected = if header.chunksize > 0 {
                let n = header.nbytes.div_ceil(header.chunksize as u64);
                if n.saturating_mul(8) > MAX_BUFFERSIZE as u64 {
                    return Err(hdr_err(29, format!("{n} chunks do not fit one offsets chunk")));
                }
                ChunkCount::Exactly(n)
            } else {
                // Without a fixed chunk size every chunk is stored (no special offsets) at
                // its own place: in the chunks section, at least a chunk header each, or
                // in its own file of the sparse directory (listed only for big claims).
                let claimed = oheader.nbytes as u64 / 8;
                ChunkCount::AtMost(match &sparse_dir {
                    None => header.cbytes / BLOSC1_HEADER_LEN as u64,
                    Some(_) if claimed <= SPARSE_UNCOUNTED => SPARSE_UNCOUNTED,
                    Some(dir) => sparse_chunk_files(dir),
                })
            };
            if pos + ocbytes > trailer_start {
                return Err(frame_err(
                    FramePart::Offsets,
                    pos,
                    format!("offsets chunk of {ocbytes} bytes runs into the trailer at {trailer_start}"),
                ));
            }
            let ochunk = source.read_at(start + pos, ocbytes as usize, FramePart::Offsets, start)?.into_owned();
            let rules = OffsetRules {
                specials: header.chunksize > 0,
                chunks_len: sparse_dir.is_none().then_some(header.cbytes),
            };
            decode_offsets_lazily(ochunk, expected, pos, rules)?
        };
        Ok(Frame { source, start, sparse_dir, header, metalayers, vlmetalayers, trailer_len, offsets })
    }

    /// A reader of a frame just written by this process to `path` (file or sparse
    /// directory), built from the parts it wrote instead of parsing them again.
    pub(crate) fn from_written(
        path: &Path,
        header: FrameHeader,
        metalayers: Metalayers,
        vlmetalayers: VlMetalayers,
        offsets: Vec<i64>,
    ) -> Result<Frame> {
        let sparse = header.frame_type == FrameType::Sparse;
        let file = if sparse { path.join(SPARSE_INDEX) } else { path.to_path_buf() };
        let source = Source::File(Arc::new(FileSource::open(&file)?));
        let trailer_len = crate::frame::trailer::trailer_bytes(&vlmetalayers)?.len() as u64;
        Ok(Frame {
            source,
            start: 0,
            sparse_dir: sparse.then(|| path.to_path_buf()),
            header,
            metalayers,
            vlmetalayers,
            trailer_len,
            offsets: Offsets::List(offsets),
        })
    }

    /// The decoded fixed header.
    pub fn header(&self) -> &FrameHeader {
        &self.header
    }

    /// The fixed metalayers.
    pub fn metalayers(&self) -> &Metalayers {
        &self.metalayers
    }

    /// The variable-length metalayers.
    pub fn vlmetalayers(&self) -> &VlMetalayers {
        &self.vlmetalayers
    }

    /// The chunk offsets.
    pub fn offsets(&self) -> &Offsets {
        &self.offsets
    }

    /// Number of chunks.
    pub fn nchunks(&self) -> u64 {
        self.offsets.len()
    }

    /// Length of the trailer.
    pub fn trailer_len(&self) -> u64 {
        self.trailer_len
    }

    /// Byte offset of the frame in its buffer or file.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// The directory of a sparse frame.
    pub fn sparse_dir(&self) -> Option<&Path> {
        self.sparse_dir.as_deref()
    }

    /// The open file of a frame read from a file (not the files of a sparse frame's
    /// chunks): readers of chunk parts use it instead of opening the file again.
    pub fn file(&self) -> Option<&std::fs::File> {
        match &self.source {
            Source::File(f) => Some(f.file()),
            Source::Memory(_) => None,
        }
    }

    /// Whether the frame bytes are in memory.
    pub fn is_in_memory(&self) -> bool {
        matches!(self.source, Source::Memory(_))
    }

    /// Whether the frame is read through a memory map ([`Frame::open_mapped`]): its chunks
    /// are borrowed, so readers take them whole rather than fetching parts.
    pub fn is_mapped(&self) -> bool {
        matches!(&self.source, Source::File(f) if f.mapped().is_some())
    }

    /// The shared buffer of an in-memory frame.
    pub(crate) fn memory(&self) -> Option<&Arc<Vec<u8>>> {
        match &self.source {
            Source::Memory(b) => Some(b),
            Source::File(_) => None,
        }
    }

    /// Source position and length of chunk `i` when it is stored in a contiguous frame
    /// (`None` for special offsets and sparse frames).
    pub(crate) fn stored_range(&self, i: u64) -> Result<Option<(u64, usize)>> {
        let o = self.offset(i)?;
        if o < 0 || self.sparse_dir.is_some() {
            return Ok(None);
        }
        self.locate(i, o as u64).map(Some)
    }

    fn offset(&self, i: u64) -> Result<i64> {
        self.offsets.get(i)?.ok_or(Error::ChunkOutOfRange { index: i, nchunks: self.nchunks() })
    }

    /// Uncompressed size of the chunk a special offset stands for (spec 4.1).
    fn special_nbytes(&self, i: u64) -> usize {
        let cs = self.header.chunksize.max(1) as u64;
        let rem = self.header.nbytes % cs;
        if i + 1 == self.nchunks() && rem != 0 {
            rem as usize
        } else {
            cs as usize
        }
    }

    /// Absolute source position and length of stored chunk `i` at `offset` of a
    /// contiguous frame, after reading and checking its header.
    fn locate(&self, i: u64, offset: u64) -> Result<(u64, usize)> {
        self.locate_with_head(i, offset).map(|(pos, len, _)| (pos, len))
    }

    /// As [`Frame::locate`], also returning the chunk's 32-byte header (one read).
    fn locate_with_head(&self, i: u64, offset: u64) -> Result<(u64, usize, Cow<'_, [u8]>)> {
        let pos = self.start + self.header.header_len as u64 + offset;
        let part = FramePart::Chunk(i);
        let h = self.source.read_at(pos, EXTENDED_HEADER_LEN, part, self.start)?;
        let cbytes = ChunkHeader::parse_prefix(&h)?.cbytes as u64;
        if cbytes < EXTENDED_HEADER_LEN as u64 || offset + cbytes > self.header.cbytes {
            return Err(frame_err(
                part,
                pos - self.start,
                format!("chunk of {cbytes} bytes at offset {offset} exceeds the chunks section"),
            ));
        }
        Ok((pos, cbytes as usize, h))
    }

    fn sparse_file(&self, id: u64) -> PathBuf {
        self.sparse_dir.as_ref().expect("sparse").join(sparse_chunk_name(id))
    }

    fn read_sparse_chunk(&self, i: u64, id: u64) -> Result<Vec<u8>> {
        let path = self.sparse_file(id);
        let mut data = std::fs::read(&path).map_err(|e| Error::io(&e, &path))?;
        let h = ChunkHeader::parse(&data)
            .map_err(|e| frame_err(FramePart::Chunk(i), 0, format!("{}: {e}", path.display())))?;
        data.truncate(h.cbytes);
        Ok(data)
    }

    /// The compressed chunk `i`: borrowed from an in-memory frame, read from disk otherwise,
    /// or synthesized for a special offset.
    ///
    /// # Errors
    /// [`Error::ChunkOutOfRange`]; [`Error::InvalidFrame`] (part `Chunk(i)`) when the chunk
    /// lies outside the chunks section; [`Error::Io`] for unreadable chunk files.
    pub fn chunk(&self, i: u64) -> Result<Cow<'_, [u8]>> {
        let o = self.offset(i)?;
        if o < 0 {
            let nbytes = self.special_nbytes(i);
            let p = special_params(self.header.typesize, self.header.blocksize);
            let c = match special_kind(o, i)? {
                SpecialKind::Zeros => special::zeros(&p, nbytes),
                SpecialKind::Nan => special::nans(&p, nbytes),
                _ => special::uninit(&p, nbytes),
            }?;
            return Ok(Cow::Owned(c));
        }
        if self.sparse_dir.is_some() {
            return Ok(Cow::Owned(self.read_sparse_chunk(i, o as u64)?));
        }
        let (pos, len) = self.locate(i, o as u64)?;
        self.source.read_at(pos, len, FramePart::Chunk(i), self.start)
    }

    /// As [`Frame::chunk`], into `buf` (resized to the chunk): a reader that takes the
    /// chunks one after the other reuses one allocation instead of a new one per chunk.
    ///
    /// # Errors
    /// As [`Frame::chunk`].
    pub fn chunk_into(&self, i: u64, buf: &mut Vec<u8>) -> Result<()> {
        let o = self.offset(i)?;
        if o < 0 || self.sparse_dir.is_some() {
            let c = self.chunk(i)?;
            buf.clear();
            buf.extend_from_slice(&c);
            return Ok(());
        }
        let (pos, len) = self.locate(i, o as u64)?;
        self.source.read_at_into(pos, len, FramePart::Chunk(i), self.start, buf)
    }

    /// Chunk `i` with, when its blocks can be read one by one, only the blocks covering
    /// the bytes `ranges` (of the decompressed chunk; `(start, end)`, end exclusive) read
    /// from the frame's file or the chunk's file: the header, the block-start table (and
    /// dictionary), then the wanted blocks' streams (block 0 too with DELTA), built at the
    /// start of `buf` as a compact chunk whose length is returned
    /// ([`chunk::partial::read_blocks`]). Other chunks (special, memcpyed, VL-block ones,
    /// special offsets) are returned whole. Decode only `ranges` of the result
    /// ([`chunk::Decompressor::decompress_range`]): other blocks decode to wrong bytes.
    ///
    /// A small read of a chunk stored in a file costs a few blocks of I/O instead of the
    /// whole chunk. Frames in memory or mapped read the same way; their chunks are cheaper
    /// borrowed whole ([`Frame::chunk`]). Checksums (a checksum table) are not verified:
    /// they cover whole chunks.
    ///
    /// `buf` is grown as needed and never shrunk, so that a buffer kept for the next read
    /// is neither allocated nor zeroed again.
    ///
    /// # Errors
    /// [`Error::ChunkOutOfRange`]; [`Error::Io`] for unreadable files; the errors of
    /// [`chunk::partial::read_blocks`] for a chunk that lies outside the chunks section
    /// (or its file), or whose table, dictionary or streams lie outside the chunk.
    pub fn read_chunk_blocks(&self, i: u64, ranges: &[(usize, usize)], buf: &mut Vec<u8>) -> Result<usize> {
        self.read_chunk_blocks_threads(i, ranges, buf, 1)
    }

    /// [`Frame::read_chunk_blocks`] with up to `threads` reads of the file at a time (on
    /// the current rayon pool) when the wanted blocks are large enough to gain from it
    /// ([`chunk::partial::read_blocks_threads`]).
    ///
    /// # Errors
    /// As [`Frame::read_chunk_blocks`].
    pub fn read_chunk_blocks_threads(
        &self,
        i: u64,
        ranges: &[(usize, usize)],
        buf: &mut Vec<u8>,
        threads: usize,
    ) -> Result<usize> {
        let o = self.offset(i)?;
        if o < 0 {
            let c = self.chunk(i)?;
            if buf.len() < c.len() {
                buf.resize(c.len(), 0);
            }
            buf[..c.len()].copy_from_slice(&c);
            return Ok(c.len());
        }
        if self.sparse_dir.is_some() {
            let f = FileSource::open(&self.sparse_file(o as u64))?;
            return chunk::partial::read_blocks_threads(&f, 0, ranges, buf, threads);
        }
        // The chunk lies in the chunks section.
        let section = self.start + self.header.header_len as u64;
        let end = section.saturating_add(self.header.cbytes).min(self.source.len());
        let pos = section.saturating_add(o as u64).min(end);
        chunk::partial::read_blocks_threads(&Bounded { source: &self.source, end }, pos, ranges, buf, threads)
    }

    /// Decompresses chunk `i`, with no array geometry: the chunks of a b2nd array that
    /// use NDCELL or NDMEAN decode through [`crate::schunk::SChunk`] once its geometry is
    /// set ([`crate::schunk::SChunk::set_geometry`]; the array crate does it).
    ///
    /// # Errors
    /// As [`Frame::chunk`], plus chunk decoding errors.
    pub fn decompress_chunk(&self, i: u64) -> Result<Vec<u8>> {
        chunk::decompress(&self.chunk(i)?)
    }

    /// Metadata of chunk `i` from its header alone (for sparse frames the chunk file's
    /// first bytes).
    ///
    /// # Errors
    /// As [`Frame::chunk`].
    pub fn chunk_info(&self, i: u64) -> Result<ChunkInfo> {
        let o = self.offset(i)?;
        if o < 0 {
            let kind = special_kind(o, i)?;
            let nbytes = self.special_nbytes(i);
            return Ok(ChunkInfo {
                index: i,
                nbytes,
                cbytes: EXTENDED_HEADER_LEN,
                special: Some(kind),
                value: None,
                location: ChunkLocation::SpecialOffset,
                header: None,
            });
        }
        if self.sparse_dir.is_some() {
            let path = self.sparse_file(o as u64);
            let f = FileSource::open(&path)?;
            let src = Source::File(Arc::new(f));
            let n = src.len().min(EXTENDED_HEADER_LEN as u64 + 256) as usize;
            let head = src.read_at(0, n, FramePart::Chunk(i), 0)?;
            let h = ChunkHeader::parse_prefix(&head)?;
            if h.cbytes as u64 > src.len() {
                return Err(frame_err(FramePart::Chunk(i), 0, format!("{} is truncated", path.display())));
            }
            let mut info = ChunkInfo::from_chunk(i, &head, ChunkLocation::File(o as u64))?;
            if info.special == Some(SpecialKind::Value) && h.cbytes > head.len() {
                info.value = Some(src.read_at(32, h.cbytes - 32, FramePart::Chunk(i), 0)?.into_owned());
            }
            return Ok(info);
        }
        let (pos, len, head) = self.locate_with_head(i, o as u64)?;
        let mut info = ChunkInfo::from_chunk(i, &head, ChunkLocation::Offset(o as u64))?;
        if info.special == Some(SpecialKind::Value) {
            let v = self.source.read_at(pos + 32, len - 32, FramePart::Chunk(i), self.start)?;
            info.value = Some(v.into_owned());
        }
        Ok(info)
    }

    /// Metadata of every chunk in order, decompressing nothing.
    pub fn chunk_infos(&self) -> impl Iterator<Item = Result<ChunkInfo>> + '_ {
        (0..self.nchunks()).map(|i| self.chunk_info(i))
    }
}
