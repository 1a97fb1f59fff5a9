//! Writing a frame chunk by chunk ([`FrameWriter`]), to a contiguous frame file or a
//! sparse-frame directory, laid out as C-Blosc2 3.x lays out a frame that chunks were
//! appended to (`shared/spec/frame.md` 1, 3, 4.3, 6 and 7): zero, NaN and uninitialized
//! chunks become special offsets while the chunk size is fixed, the offsets chunk is
//! compressed as appends compress it.
//!
//! Files are written in the order chunk data, offsets, header, trailer, to a temporary
//! name renamed over the target at the end, so a crash never leaves a half-written frame
//! under the target name.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::descriptor::{ChunkOp, Descriptor};
use super::disk::temp_name;
use super::header::FrameType;
use super::meta::{Metalayers, VlMetalayers};
use super::offsets::special_offset;
use super::reader::{sparse_chunk_name, SPARSE_INDEX};
use crate::chunk::CompressParams;
use crate::error::{Error, Result};
use crate::header::{ChunkHeader, SpecialKind};
use crate::tune::{compress_tuned, Fixed, Tuner, TunerSlot};

fn io_err(e: &std::io::Error, path: &Path) -> Error {
    Error::io(e, path)
}

/// Writes a frame chunk by chunk without keeping the chunks: memory holds the offsets
/// only, so inputs of any size stream through. The frame goes to a temporary name (a file,
/// or a directory for a sparse frame) that [`FrameWriter::finish`] renames over the target;
/// a writer dropped unfinished removes it. The layout is the one a super-chunk's
/// `save`/`save_sparse` give the same chunks: chunks in append order, zero/NaN/uninit
/// chunks as special offsets while the chunk size is fixed.
///
/// Unlike a super-chunk opened for changes on disk (`SChunk::open_mut`), nothing is
/// readable under the target name before `finish`: this is for building a frame in one go
/// (the CLI's `compress`), where per-append commits would rewrite the offsets `n` times.
#[derive(Debug)]
pub struct FrameWriter {
    /// Parameters, chunk-size state, sizes, metalayers, vlmetalayers and checksums.
    desc: Descriptor,
    /// The tuner choosing the parameters of the chunks `append_buffer` compresses.
    tuner: TunerSlot,
    target: PathBuf,
    tmp: PathBuf,
    sparse: bool,
    file: Option<std::io::BufWriter<std::fs::File>>,
    header_len: u64,
    offsets: Vec<i64>,
    /// Special chunks stored as special offsets: (index, chunk), materialized by `finish`
    /// if the chunk size turns variable.
    specials: Vec<(usize, Vec<u8>)>,
    /// Runs of special chunks appended by [`FrameWriter::append_chunk_repeated`]: (first
    /// index, count, chunk), as `specials`.
    special_runs: Vec<(usize, u64, std::sync::Arc<[u8]>)>,
    data_len: u64,
    stored: u64,
    last_nbytes: usize,
    finished: bool,
}

impl FrameWriter {
    /// Starts a contiguous frame file (`sparse == false`) or a sparse-frame directory at
    /// `path`, with chunks compressed by `cparams` and the given fixed metalayers. A sparse
    /// target that exists must be a sparse frame (it is replaced by `finish`).
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::Metalayer`] for metalayers that do not fit a header;
    /// [`Error::InvalidParam`] when a sparse target exists and is not a sparse frame.
    pub fn create(
        path: impl AsRef<Path>,
        cparams: CompressParams,
        metalayers: Metalayers,
        sparse: bool,
    ) -> Result<FrameWriter> {
        let target = path.as_ref().to_path_buf();
        if sparse && target.exists() && !target.join(SPARSE_INDEX).is_file() {
            return Err(Error::InvalidParam {
                name: "path",
                value: 0,
                reason: "the target of a sparse frame exists and is not a sparse frame",
            });
        }
        let mut desc = Descriptor::new(cparams);
        desc.metalayers = metalayers;
        let tmp = temp_name(&target);
        let ft = if sparse { FrameType::Sparse } else { FrameType::Contiguous };
        let placeholder = desc.header(ft, 0).to_bytes(&desc.metalayers)?;
        let header_len = placeholder.len() as u64;
        let file = if sparse {
            let _ = std::fs::remove_dir_all(&tmp);
            std::fs::create_dir_all(&tmp).map_err(|e| io_err(&e, &tmp))?;
            None
        } else {
            let f = std::fs::File::create(&tmp).map_err(|e| io_err(&e, &tmp))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            w.write_all(&placeholder).map_err(|e| io_err(&e, &tmp))?;
            Some(w)
        };
        Ok(FrameWriter {
            desc,
            tuner: TunerSlot::default(),
            target,
            tmp,
            sparse,
            file,
            header_len,
            offsets: Vec::new(),
            specials: Vec::new(),
            special_runs: Vec::new(),
            data_len: 0,
            stored: 0,
            last_nbytes: 0,
            finished: false,
        })
    }

    /// The variable-length metalayers written by [`FrameWriter::finish`].
    pub fn vlmetalayers_mut(&mut self) -> &mut VlMetalayers {
        &mut self.desc.vlmetalayers
    }

    /// Compression parameters of the frame.
    pub fn cparams(&self) -> &CompressParams {
        &self.desc.cparams
    }

    /// Records a CRC-32 of every chunk appended from now on, written in the `checksums`
    /// vlmetalayer by [`FrameWriter::finish`] (see [`super::checksum`]).
    ///
    /// # Errors
    /// [`Error::Unsupported`] once chunks were appended; [`Error::Metalayer`] when 16
    /// vlmetalayers already exist.
    pub fn enable_checksums(&mut self) -> Result<()> {
        if !self.offsets.is_empty() {
            return Err(Error::Unsupported { operation: "enable checksums", what: "a frame writer with chunks" });
        }
        if self.desc.checksums.is_some() {
            return Ok(());
        }
        self.desc.checksums_room()?;
        self.desc.start_checksums(Vec::new())
    }

    /// Number of chunks appended so far.
    pub fn nchunks(&self) -> u64 {
        self.offsets.len() as u64
    }

    /// Uncompressed bytes appended so far.
    pub fn nbytes(&self) -> u64 {
        self.desc.nbytes
    }

    /// Compresses `data` with the frame's parameters and appends it.
    ///
    /// # Errors
    /// Compression errors, then as [`FrameWriter::append_chunk`].
    pub fn append_buffer(&mut self, data: &[u8]) -> Result<u64> {
        let c = match &mut self.tuner.0 {
            None => crate::chunk::compress(&self.desc.cparams, data)?,
            Some(t) => {
                let index = self.offsets.len() as u64;
                compress_tuned(t.as_mut(), index, &self.desc.cparams, Fixed::default(), data, crate::chunk::compress)?
            }
        };
        self.append_chunk(c)
    }

    /// Sets the tuner that chooses the parameters of the chunks
    /// [`FrameWriter::append_buffer`] compresses from then on (`None`: the frame's own).
    pub fn set_tuner(&mut self, tuner: Option<Box<dyn Tuner>>) {
        self.tuner = TunerSlot(tuner);
    }

    /// Takes the tuner out (see [`FrameWriter::set_tuner`]).
    pub fn take_tuner(&mut self) -> Option<Box<dyn Tuner>> {
        self.tuner.0.take()
    }

    fn write_data(&mut self, chunk: &[u8]) -> Result<i64> {
        if let Some(w) = &mut self.file {
            w.write_all(chunk).map_err(|e| io_err(&e, &self.tmp))?;
            let o = self.data_len as i64;
            self.data_len += chunk.len() as u64;
            Ok(o)
        } else {
            let p = self.tmp.join(sparse_chunk_name(self.stored));
            std::fs::write(&p, chunk).map_err(|e| io_err(&e, &p))?;
            self.data_len += chunk.len() as u64;
            self.stored += 1;
            Ok(self.stored as i64 - 1)
        }
    }

    /// Appends a compressed chunk under C-Blosc2's chunk-size rules for appends; returns
    /// the number of chunks.
    ///
    /// # Errors
    /// Header errors; [`Error::IncompatibleChunk`] when regular and VL-block chunks mix or a
    /// chunk is above 2 GiB; [`Error::Io`].
    pub fn append_chunk(&mut self, chunk: Vec<u8>) -> Result<u64> {
        self.append_chunk_bytes(&chunk)
    }

    /// [`FrameWriter::append_chunk`] from a borrowed chunk (the bytes after its `cbytes` are
    /// ignored), for callers that reuse one buffer for every chunk they compress.
    ///
    /// # Errors
    /// As [`FrameWriter::append_chunk`].
    pub fn append_chunk_bytes(&mut self, chunk: &[u8]) -> Result<u64> {
        let h = ChunkHeader::parse(chunk)?;
        let chunk = &chunk[..h.cbytes];
        let n = self.offsets.len();
        // The first chunk sets the chunk size, also over one given by `set_chunksize`.
        let preset = self.desc.chunksize;
        if n == 0 {
            self.desc.chunksize = -1;
        }
        let sizes = match self.desc.admit(&h, ChunkOp::Append, n as u64, || Ok(self.last_nbytes)) {
            Ok(sizes) => sizes,
            Err(e) => {
                self.desc.chunksize = preset;
                return Err(e);
            }
        };
        if n * 8 + 8 > crate::header::MAX_BUFFERSIZE {
            return Err(Error::InvalidParam { name: "nchunks", value: n as i64, reason: "too many chunks" });
        }
        self.desc.set_sizes(sizes);
        let offset = match self.desc.special_offset(h.special()) {
            Some(o) => {
                self.specials.push((n, chunk.to_vec()));
                o
            }
            None => self.write_data(chunk)?,
        };
        self.offsets.push(offset);
        self.desc.checksum_insert(n as u64, chunk);
        self.desc.nbytes += h.nbytes as u64;
        self.last_nbytes = h.nbytes;
        Ok(self.offsets.len() as u64)
    }

    /// Appends `count` copies of a compressed chunk; returns the number of chunks. Zero,
    /// NaN and uninitialized chunks of the frame's chunk size are special offsets: a run of
    /// them costs 8 bytes of offsets per chunk and nothing else, however long (an array
    /// writer's empty chunks). Other chunks are written `count` times.
    ///
    /// # Errors
    /// As [`FrameWriter::append_chunk`].
    pub fn append_chunk_repeated(&mut self, chunk: &[u8], count: u64) -> Result<u64> {
        let h = crate::header::ChunkHeader::parse(chunk)?;
        let chunk = &chunk[..h.cbytes];
        let special = match h.special() {
            Some(k @ (SpecialKind::Zeros | SpecialKind::Nan | SpecialKind::Uninit)) => special_offset(k),
            _ => None,
        };
        let mut left = count;
        while left > 0 {
            let n = self.offsets.len();
            // Appending this chunk changes nothing but the counts: the rest is one run.
            let steady = n > 0
                && self.desc.chunksize > 0
                && h.nbytes == self.desc.chunksize as usize
                && self.last_nbytes == h.nbytes
                && h.is_vl_blocks() == self.desc.vl_blocks;
            let (Some(offset), true) = (special, steady) else {
                self.append_chunk_bytes(chunk)?;
                left -= 1;
                continue;
            };
            let total = usize::try_from(left).ok().and_then(|l| l.checked_add(n));
            if total.is_none_or(|t| t.saturating_mul(8).saturating_add(8) > crate::header::MAX_BUFFERSIZE) {
                return Err(Error::InvalidParam { name: "nchunks", value: n as i64, reason: "too many chunks" });
            }
            let shared = match self.special_runs.last() {
                Some((_, _, c)) if **c == *chunk => c.clone(),
                _ => chunk.into(),
            };
            self.offsets.resize(n + left as usize, offset);
            if let Some(t) = &mut self.desc.checksums {
                let sum = crate::frame::checksum::chunk_checksum(chunk);
                t.resize(t.len() + left as usize, sum);
            }
            self.desc.nbytes += left * h.nbytes as u64;
            self.special_runs.push((n, left, shared));
            left = 0;
        }
        Ok(self.offsets.len() as u64)
    }

    /// Sets the chunk size the header records while no chunk is appended (-1 otherwise),
    /// for frames whose chunk size is known beforehand: C-Blosc2 gives a b2nd array the
    /// size of its chunk shape from the start, so an array without chunks still says it.
    /// The first chunk appended sets the chunk size again, as usual.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] once chunks were appended, or for a size above 2 GiB.
    pub fn set_chunksize(&mut self, nbytes: usize) -> Result<()> {
        if !self.offsets.is_empty() {
            return Err(Error::InvalidParam {
                name: "chunksize",
                value: nbytes as i64,
                reason: "set before the first chunk only",
            });
        }
        self.desc.chunksize = i32::try_from(nbytes)
            .ok()
            .filter(|&c| c as usize <= crate::header::MAX_BUFFERSIZE)
            .ok_or(Error::InvalidParam { name: "chunksize", value: nbytes as i64, reason: "above 2 GiB" })?;
        Ok(())
    }

    /// The fixed metalayers written by [`FrameWriter::finish`].
    pub fn metalayers(&self) -> &Metalayers {
        &self.desc.metalayers
    }

    /// Replaces the content of fixed metalayer `name` by one of the same length (the
    /// header's room was set by [`FrameWriter::create`]), for what is known only at the
    /// end: an array's final shape in its `b2nd` metalayer.
    ///
    /// # Errors
    /// [`Error::Metalayer`] when `name` does not exist or the length differs.
    pub fn update_metalayer(&mut self, name: &str, content: &[u8]) -> Result<()> {
        self.desc.metalayers.update(name, content)
    }

    /// Writes the offsets, trailer and header and renames the frame over the target (not
    /// `fsync`ed, as a super-chunk's `save`).
    ///
    /// # Errors
    /// [`Error::Io`]; as [`super::offsets::encode_offsets`] and
    /// [`super::trailer::trailer_bytes`].
    pub fn finish(mut self) -> Result<()> {
        if self.desc.chunksize <= 0 {
            for (first, count, c) in std::mem::take(&mut self.special_runs) {
                self.specials.extend((first..first + count as usize).map(|i| (i, c.to_vec())));
            }
            self.specials.sort_by_key(|&(i, _)| i);
            for (i, c) in std::mem::take(&mut self.specials) {
                self.offsets[i] = self.write_data(&c)?;
            }
        }
        self.desc.sync_checksums()?;
        let ft = if self.sparse { FrameType::Sparse } else { FrameType::Contiguous };
        let parts = self.desc.parts(ft, &self.offsets, self.data_len, &self.desc.vlmetalayers)?;
        debug_assert_eq!(parts.header_bytes.len() as u64, self.header_len);
        if let Some(mut w) = self.file.take() {
            use std::io::{Seek, SeekFrom};
            let tmp = self.tmp.clone();
            let e = |e: std::io::Error| io_err(&e, &tmp);
            w.write_all(&parts.offsets).map_err(e)?;
            w.write_all(&parts.trailer).map_err(e)?;
            w.seek(SeekFrom::Start(0)).map_err(e)?;
            w.write_all(&parts.header_bytes).map_err(e)?;
            w.into_inner().map_err(|x| io_err(x.error(), &tmp))?;
            std::fs::rename(&tmp, &self.target).map_err(|e| io_err(&e, &self.target))?;
        } else {
            let index = self.tmp.join(SPARSE_INDEX);
            let mut bytes = parts.header_bytes;
            bytes.extend_from_slice(&parts.offsets);
            bytes.extend_from_slice(&parts.trailer);
            std::fs::write(&index, &bytes).map_err(|e| io_err(&e, &index))?;
            if self.target.join(SPARSE_INDEX).is_file() {
                std::fs::remove_dir_all(&self.target).map_err(|e| io_err(&e, &self.target))?;
            }
            std::fs::rename(&self.tmp, &self.target).map_err(|e| io_err(&e, &self.target))?;
        }
        self.finished = true;
        Ok(())
    }
}

impl Drop for FrameWriter {
    fn drop(&mut self) {
        if !self.finished {
            self.file = None;
            if self.sparse {
                let _ = std::fs::remove_dir_all(&self.tmp);
            } else {
                let _ = std::fs::remove_file(&self.tmp);
            }
        }
    }
}
