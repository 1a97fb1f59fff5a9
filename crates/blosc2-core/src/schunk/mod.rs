//! Super-chunks: ordered sequences of chunks sharing compression parameters, with fixed
//! and variable-length metalayers (`shared/spec/frame.md` 1, 3.3, 4.2, 5, 6.1 and 7).
//!
//! A [`SChunk`] lives in one of three places:
//!
//! * **memory**: [`SChunk::new`], [`SChunk::from_cframe`] (the chunks stay in the frame's
//!   buffer, shared, not copied), [`SChunk::load`];
//! * **a frame opened read-only**: [`SChunk::open`] reads the header, trailer and offsets
//!   only; chunks are read on demand with positioned reads;
//! * **a frame changed in place on disk**: [`SChunk::open_mut`], [`SChunk::into_file`],
//!   [`SChunk::into_sparse`]; every change is committed crash-safely (`frame::disk`).
//!
//! [`SChunk::to_cframe`], [`SChunk::save`] and [`SChunk::save_sparse`] convert any of them
//! to a contiguous or sparse frame laid out as C-Blosc2 writes a frame that chunks were
//! appended to.

pub mod checksum;
mod ops;
mod save;

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use crate::chunk::{self, CompressParams, NdGeometry, SpecialKind};
use crate::error::{Error, Result};
use crate::frame::descriptor::Descriptor;
use crate::frame::disk::DiskFrame;
/// The metalayers module, kept under its earlier path (metalayers are part of frames).
pub use crate::frame::meta;
pub use crate::frame::meta::{Metalayers, VlMetalayers};
use crate::frame::reader::{ChunkInfo, ChunkLocation};
use crate::frame::Frame;
use crate::header::ChunkHeader;
use crate::tune::{Tuner, TunerSlot};

/// Chunks a frame may list beyond one per byte of its length and still be loaded into
/// memory ([`SChunk::from_frame`]).
const MEMORY_CHUNKS_SLACK: u64 = 1 << 20;

/// A chunk held in memory: a range of a shared buffer (a whole chunk vector, or a loaded
/// frame).
#[derive(Debug, Clone)]
struct ChunkBuf {
    buf: Arc<Vec<u8>>,
    start: usize,
    len: usize,
}

impl ChunkBuf {
    fn owned(v: Vec<u8>) -> ChunkBuf {
        let len = v.len();
        ChunkBuf { buf: Arc::new(v), start: 0, len }
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[self.start..self.start + self.len]
    }
}

#[derive(Debug)]
enum Store {
    Memory(Vec<ChunkBuf>),
    Frame(Frame),
    Disk(Box<DiskFrame>),
}

/// A super-chunk.
#[derive(Debug)]
pub struct SChunk {
    /// What its frame records: parameters, chunk-size state, sizes, metalayers, checksums.
    desc: Descriptor,
    /// Sum of the chunks' compressed sizes (for frames opened lazily: the chunks section).
    cbytes: u64,
    store: Store,
    /// Whether chunk reads check their checksum.
    verify_reads: bool,
    /// The tuner choosing the parameters of the chunks `*_buffer` calls compress.
    tuner: TunerSlot,
}

impl SChunk {
    /// An empty in-memory super-chunk whose new chunks are compressed with `cparams`.
    pub fn new(cparams: CompressParams) -> SChunk {
        SChunk::with_store(Descriptor::new(cparams), 0, Store::Memory(Vec::new()))
    }

    fn with_store(desc: Descriptor, cbytes: u64, store: Store) -> SChunk {
        SChunk { desc, cbytes, store, verify_reads: false, tuner: TunerSlot::default() }
    }

    /// A read-only super-chunk reading its chunks from `frame`.
    fn lazy(frame: Frame) -> SChunk {
        let (desc, cbytes) = (Descriptor::of_frame(&frame), frame.header().cbytes);
        SChunk::with_store(desc, cbytes, Store::Frame(frame))
    }

    /// Loads a contiguous frame held in memory as a mutable in-memory super-chunk. Chunk
    /// bytes stay in `cframe` (shared, not copied); mutations only change the chunk list.
    ///
    /// # Errors
    /// As [`Frame::from_bytes`], plus chunk header errors.
    pub fn from_cframe(cframe: Vec<u8>) -> Result<SChunk> {
        Self::from_frame(&Frame::from_bytes(cframe)?)
    }

    /// Makes a mutable in-memory super-chunk from any frame: chunks of an in-memory frame
    /// are shared, chunks of on-disk frames are read once.
    ///
    /// # Errors
    /// Any error reading a chunk; [`Error::Unsupported`] when the frame lists more chunks
    /// than one per byte of its length plus 2^20 (a chunk table it cannot justify; open
    /// such a frame lazily with [`SChunk::open`]).
    pub fn from_frame(frame: &Frame) -> Result<SChunk> {
        // A repeated-value offsets chunk lists billions of chunks in 40 bytes; the chunk
        // table costs 24 bytes per chunk, so allow one chunk per frame byte plus 2^20.
        if frame.nchunks() > frame.header().frame_len.saturating_add(MEMORY_CHUNKS_SLACK) {
            return Err(Error::Unsupported {
                operation: "load into memory",
                what: "a frame listing more chunks than its size justifies (open it lazily instead)",
            });
        }
        let mut chunks = Vec::with_capacity(frame.nchunks().min(1 << 20) as usize);
        let mut cbytes = 0u64;
        let mut nbytes = 0u64;
        // Chunks synthesized for special offsets repeat: consecutive equal ones share a buffer.
        let mut last_owned: Option<ChunkBuf> = None;
        for i in 0..frame.nchunks() {
            let cb = match (frame.memory(), frame.stored_range(i)?) {
                (Some(buf), Some((pos, len))) => {
                    ChunkHeader::parse(&buf[pos as usize..pos as usize + len])?;
                    ChunkBuf { buf: Arc::clone(buf), start: pos as usize, len }
                }
                _ => {
                    let c = frame.chunk(i)?;
                    match &last_owned {
                        Some(last) if last.bytes() == &*c => last.clone(),
                        _ => {
                            let cb = ChunkBuf::owned(c.into_owned());
                            last_owned = Some(cb.clone());
                            cb
                        }
                    }
                }
            };
            cbytes += cb.len as u64;
            nbytes += ChunkHeader::parse_prefix(cb.bytes())?.nbytes as u64;
            chunks.push(cb);
        }
        let mut s = SChunk::with_store(Descriptor::of_frame(frame), 0, Store::Memory(chunks));
        if nbytes != s.desc.nbytes {
            return Err(Error::InvalidFrame {
                part: crate::error::FramePart::Header,
                offset: 29,
                reason: format!("nbytes {} differs from the chunks' total {nbytes}", s.desc.nbytes),
            });
        }
        s.cbytes = cbytes;
        Ok(s)
    }

    /// Opens a frame on disk (contiguous file or sparse directory) lazily: only the
    /// header, trailer and offsets are read now, chunks on demand. The result is
    /// read-only; use [`SChunk::load`] to modify a frame's content.
    ///
    /// # Errors
    /// As [`Frame::open`].
    pub fn open(path: impl AsRef<Path>) -> Result<SChunk> {
        Self::open_at(path, 0)
    }

    /// As [`SChunk::open`] for a contiguous frame starting at byte `offset` of a file.
    ///
    /// # Errors
    /// As [`Frame::open_at`].
    pub fn open_at(path: impl AsRef<Path>, offset: u64) -> Result<SChunk> {
        let frame = Frame::open_at(path, offset)?;
        Ok(Self::lazy(frame))
    }

    /// As [`SChunk::open`], reading a contiguous frame file through a memory map
    /// ([`Frame::open_mapped`], with its condition: the file must not be truncated or
    /// rewritten in place by another program while it is open).
    ///
    /// # Errors
    /// As [`Frame::open_mapped`].
    #[cfg(feature = "mmap")]
    pub fn open_mapped(path: impl AsRef<Path>) -> Result<SChunk> {
        let frame = Frame::open_mapped(path)?;
        Ok(Self::lazy(frame))
    }

    /// Reads a frame on disk into a mutable in-memory super-chunk.
    ///
    /// # Errors
    /// As [`Frame::open`] and [`SChunk::from_frame`].
    pub fn load(path: impl AsRef<Path>) -> Result<SChunk> {
        let path = path.as_ref();
        if path.is_dir() {
            return Self::from_frame(&Frame::open(path)?);
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(&e, path))?;
        Self::from_cframe(bytes)
    }

    /// The open file of a read-only super-chunk read from a contiguous frame file
    /// ([`SChunk::open`]), for readers that fetch parts of chunks themselves instead of
    /// opening the file again. `None` in memory, for sparse frames and for frames opened for
    /// modification (whose file a commit may replace).
    pub fn frame_file(&self) -> Option<&std::fs::File> {
        match &self.store {
            Store::Frame(f) if f.sparse_dir().is_none() => f.file(),
            _ => None,
        }
    }

    /// The frame this super-chunk reads from, when opened lazily.
    pub fn frame(&self) -> Option<&Frame> {
        match &self.store {
            Store::Frame(f) => Some(f),
            Store::Disk(d) => Some(&d.frame),
            Store::Memory(_) => None,
        }
    }

    /// Opens a frame file (at offset 0) or a sparse-frame directory for modification:
    /// chunks are read on demand and every change is committed to disk crash-safely (see
    /// the `frame::disk` module). Metalayer and vlmetalayer changes are written by the next
    /// chunk operation or by [`SChunk::flush`].
    ///
    /// One writer at a time: the handle holds an exclusive advisory lock on the frame file
    /// (or sparse directory) until dropped; readers are never blocked and see each commit
    /// whole (`docs/concurrency.md`).
    ///
    /// # Errors
    /// As [`Frame::open`], plus [`Error::Io`] when the file is not writable and
    /// [`Error::WriterActive`] when another handle has it open for writing.
    pub fn open_mut(path: impl AsRef<Path>) -> Result<SChunk> {
        let d = DiskFrame::open(path.as_ref())?;
        let (desc, cbytes) = (Descriptor::of_frame(&d.frame), d.frame.header().cbytes);
        Ok(SChunk::with_store(desc, cbytes, Store::Disk(Box::new(d))))
    }

    /// Writes this super-chunk to a contiguous frame file (replacing `path`) and returns
    /// it backed by that file, ready for crash-safe in-place changes.
    ///
    /// # Errors
    /// As [`SChunk::save`] and [`SChunk::open_mut`].
    pub fn into_file(self, path: impl AsRef<Path>) -> Result<SChunk> {
        self.save(path.as_ref())?;
        Self::open_mut(path)
    }

    /// Writes this super-chunk as a sparse frame in directory `dir` and returns it backed
    /// by that directory.
    ///
    /// # Errors
    /// As [`SChunk::save_sparse`] and [`SChunk::open_mut`].
    pub fn into_sparse(self, dir: impl AsRef<Path>) -> Result<SChunk> {
        self.save_sparse(dir.as_ref())?;
        Self::open_mut(dir)
    }

    /// Commits pending metalayer and vlmetalayer changes of a super-chunk backed by a frame
    /// on disk, then `fsync`s it (no-op for other super-chunks). Metalayers added since the
    /// frame was opened make a contiguous frame's header grow: the frame is then rewritten
    /// to a temporary file renamed over the original (atomic); a sparse frame's index is
    /// always rewritten whole. See the `frame::disk` module for what survives a crash.
    ///
    /// # Errors
    /// I/O errors; [`Error::Metalayer`] for metalayers that do not fit a header.
    pub fn flush(&mut self) -> Result<()> {
        if let Store::Disk(d) = &self.store {
            let offsets = d.offsets().to_vec();
            self.disk_commit(offsets, &[])?;
            if let Store::Disk(d) = &mut self.store {
                d.sync()?;
            }
        }
        Ok(())
    }

    /// Compression parameters for new chunks.
    pub fn cparams(&self) -> &CompressParams {
        &self.desc.cparams
    }

    /// Sets the tuner that chooses the parameters of every chunk compressed from then on
    /// by [`SChunk::append_buffer`], [`SChunk::insert_buffer`], [`SChunk::update_buffer`]
    /// (and what calls them); `None` goes back to the super-chunk's own parameters. The
    /// typesize stays the super-chunk's (see [`crate::tune::admit`]).
    pub fn set_tuner(&mut self, tuner: Option<Box<dyn Tuner>>) {
        self.tuner = TunerSlot(tuner);
    }

    /// Takes the tuner out (see [`SChunk::set_tuner`]).
    pub fn take_tuner(&mut self) -> Option<Box<dyn Tuner>> {
        self.tuner.0.take()
    }

    /// The b2nd geometry given to the codecs and filters of this super-chunk's chunks, when
    /// it holds an array (see [`SChunk::set_geometry`]).
    pub fn geometry(&self) -> Option<&NdGeometry> {
        self.desc.cparams.geometry.as_ref()
    }

    /// Sets the geometry of the array this super-chunk holds, as the array layer reads it
    /// from the `b2nd` metalayer: the NDLZ codec and the NDCELL and NDMEAN filters need it
    /// (C-Blosc2's plugins read that metalayer themselves). New chunks are compressed with
    /// it and every chunk read through this super-chunk is decoded with it. It is not
    /// stored in the frame.
    pub fn set_geometry(&mut self, geometry: Option<NdGeometry>) {
        self.desc.cparams.geometry = geometry;
    }

    /// The chunk decompressor of this super-chunk: its geometry and its threads
    /// ([`SChunk::dnthreads`]).
    pub fn decompressor(&self) -> chunk::Decompressor {
        chunk::Decompressor::new(self.desc.cparams.geometry).with_nthreads(self.desc.dnthreads)
    }

    /// Threads used to decompress.
    pub fn dnthreads(&self) -> usize {
        self.desc.dnthreads
    }

    /// Sets the threads used to decompress.
    pub fn set_dnthreads(&mut self, n: usize) {
        self.desc.dnthreads = n.max(1);
    }

    /// Element size.
    pub fn typesize(&self) -> usize {
        self.desc.cparams.typesize
    }

    /// Number of chunks.
    pub fn nchunks(&self) -> u64 {
        match &self.store {
            Store::Memory(v) => v.len() as u64,
            Store::Frame(f) => f.nchunks(),
            Store::Disk(d) => d.frame.nchunks(),
        }
    }

    /// Sum of the chunks' uncompressed sizes.
    pub fn nbytes(&self) -> u64 {
        self.desc.nbytes
    }

    /// Sum of the chunks' compressed sizes (for frames opened lazily: the chunks section).
    pub fn cbytes(&self) -> u64 {
        self.cbytes
    }

    /// The chunk size field: > 0 fixed, 0 variable, -1 before the first chunk.
    pub fn chunksize(&self) -> i32 {
        self.desc.chunksize
    }

    /// Sets the chunk size field while the super-chunk has no chunk, for super-chunks whose
    /// chunk size is known beforehand: C-Blosc2 gives a b2nd array the size of its chunk
    /// shape from the start, so an array without chunks records it too. Chunks appended
    /// later follow the usual rules against it.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] once the super-chunk has chunks, or for a size above 2 GiB.
    pub fn set_chunksize(&mut self, nbytes: usize) -> Result<()> {
        if self.nchunks() > 0 {
            return Err(Error::InvalidParam {
                name: "chunksize",
                value: i64::try_from(nbytes).unwrap_or(i64::MAX),
                reason: "set before the first chunk only",
            });
        }
        self.desc.chunksize = i32::try_from(nbytes)
            .ok()
            .filter(|&c| c as usize <= crate::header::MAX_BUFFERSIZE)
            .ok_or(Error::InvalidParam {
                name: "chunksize",
                value: i64::try_from(nbytes).unwrap_or(i64::MAX),
                reason: "above 2 GiB",
            })?;
        Ok(())
    }

    /// Whether the chunks are VL-block chunks.
    pub fn is_vl_blocks(&self) -> bool {
        self.desc.vl_blocks
    }

    /// The fixed metalayers.
    pub fn metalayers(&self) -> &Metalayers {
        &self.desc.metalayers
    }

    /// The fixed metalayers, to add or update (for a frame on disk, written by the next
    /// chunk operation or [`SChunk::flush`]).
    pub fn metalayers_mut(&mut self) -> &mut Metalayers {
        &mut self.desc.metalayers
    }

    /// The variable-length metalayers (with checksums on, the `checksums` entry is
    /// refreshed each time the super-chunk is written).
    pub fn vlmetalayers(&self) -> &VlMetalayers {
        &self.desc.vlmetalayers
    }

    /// The variable-length metalayers, to add, update or delete.
    pub fn vlmetalayers_mut(&mut self) -> &mut VlMetalayers {
        &mut self.desc.vlmetalayers
    }

    fn check_index(&self, i: u64) -> Result<()> {
        if i >= self.nchunks() {
            return Err(Error::ChunkOutOfRange { index: i, nchunks: self.nchunks() });
        }
        Ok(())
    }

    /// The compressed chunk `i` (borrowed when it is in memory), checked against its
    /// checksum when [`SChunk::set_verify_reads`] is on.
    ///
    /// # Errors
    /// [`Error::ChunkOutOfRange`]; frame read errors; [`Error::ChecksumMismatch`].
    pub fn chunk(&self, i: u64) -> Result<Cow<'_, [u8]>> {
        let c = self.raw_chunk(i)?;
        self.check_read(i, &c)?;
        Ok(c)
    }

    /// The compressed chunk `i`, never checked against its checksum.
    fn raw_chunk(&self, i: u64) -> Result<Cow<'_, [u8]>> {
        self.check_index(i)?;
        match &self.store {
            Store::Memory(v) => Ok(Cow::Borrowed(v[i as usize].bytes())),
            Store::Frame(f) => f.chunk(i),
            Store::Disk(d) => d.frame.chunk(i),
        }
    }

    /// Decompresses chunk `i`.
    ///
    /// # Errors
    /// As [`SChunk::chunk`], plus decoding errors.
    pub fn decompress_chunk(&self, i: u64) -> Result<Vec<u8>> {
        let c = self.chunk(i)?;
        let h = ChunkHeader::parse(&c)?;
        let mut out = crate::buffer::zeroed(h.nbytes);
        self.decompressor().decompress_into(&c, &mut out)?;
        Ok(out)
    }

    /// Decompresses chunk `i` into `dst`; returns its size.
    ///
    /// # Errors
    /// As [`SChunk::decompress_chunk`], plus [`Error::DestinationTooSmall`].
    pub fn decompress_chunk_into(&self, i: u64, dst: &mut [u8]) -> Result<usize> {
        let c = self.chunk(i)?;
        self.decompressor().decompress_into(&c, dst)
    }

    /// Metadata of chunk `i` from its header.
    ///
    /// # Errors
    /// As [`SChunk::chunk`].
    pub fn chunk_info(&self, i: u64) -> Result<ChunkInfo> {
        self.check_index(i)?;
        match &self.store {
            Store::Memory(v) => ChunkInfo::from_chunk(i, v[i as usize].bytes(), ChunkLocation::Memory),
            Store::Frame(f) => f.chunk_info(i),
            Store::Disk(d) => d.frame.chunk_info(i),
        }
    }

    /// Metadata of every chunk in order, decompressing nothing.
    pub fn chunk_infos(&self) -> impl Iterator<Item = Result<ChunkInfo>> + '_ {
        (0..self.nchunks()).map(|i| self.chunk_info(i))
    }

    /// Uncompressed size of chunk `i` (header read only).
    ///
    /// # Errors
    /// As [`SChunk::chunk_info`].
    pub fn chunk_nbytes(&self, i: u64) -> Result<usize> {
        if let Store::Memory(v) = &self.store {
            self.check_index(i)?;
            return Ok(ChunkHeader::parse_prefix(v[i as usize].bytes())?.nbytes);
        }
        Ok(self.chunk_info(i)?.nbytes)
    }

    /// A special chunk of `nbytes` bytes built with this super-chunk's parameters (C:
    /// `blosc2_chunk_zeros/nans/uninit/repeatval` with the schunk's cparams).
    ///
    /// # Errors
    /// Parameter errors of [`crate::chunk::special`].
    pub fn special_chunk(&self, kind: SpecialKind, nbytes: usize, value: &[u8]) -> Result<Vec<u8>> {
        let p = &self.desc.cparams;
        match kind {
            SpecialKind::Zeros => chunk::special::zeros(p, nbytes),
            SpecialKind::Nan => chunk::special::nans(p, nbytes),
            SpecialKind::Uninit => chunk::special::uninit(p, nbytes),
            SpecialKind::Value => chunk::special::repeat_value(p, nbytes, value),
        }
    }
}
