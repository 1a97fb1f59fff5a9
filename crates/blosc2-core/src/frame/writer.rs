//! Writing super-chunks as contiguous frames (to a buffer, any writer or a file) and as
//! sparse-frame directories, laid out as C-Blosc2 3.x lays out a frame that chunks were
//! appended to (`shared/spec/frame.md` 1, 3, 4.3, 6 and 7): zero, NaN and uninitialized
//! chunks become special offsets, the offsets chunk is compressed as appends compress it.
//!
//! Files are written in the order chunk data, offsets, header, trailer, to a temporary
//! name renamed over the target at the end, so a crash never leaves a half-written frame
//! under the target name.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::header::{
    FrameHeader, FrameType, FLAG_OFFSETS_64, FLAG_VARIABLE_CHUNKS, FLAG_VL_BLOCKS, VERSION_FIXED, VERSION_VARIABLE,
};
use super::offsets::{encode_offsets, repeated_offsets, special_offset, OffsetsStyle};
use super::reader::{sparse_chunk_name, SPARSE_INDEX};
use super::trailer::trailer_bytes;
use crate::chunk::SpecialKind;
use crate::error::{Error, Result};
use crate::schunk::SChunk;

/// The plan of a frame: one offset per chunk and the bytes that precede the chunks.
struct Plan {
    offsets: Vec<i64>,
    /// Indices of the chunks stored as data, in file order.
    stored: Vec<u64>,
    /// Length of the chunks section (contiguous) or sum of the chunk files (sparse).
    data_len: u64,
}

fn io_err(e: &std::io::Error, path: &Path) -> Error {
    Error::io(e, path)
}

impl SChunk {
    fn plan(&self, sparse: bool) -> Result<Plan> {
        let n = self.nchunks();
        let mut offsets = Vec::with_capacity(n.min(1 << 24) as usize);
        let mut stored = Vec::new();
        let mut data_len = 0u64;
        for i in 0..n {
            let info = self.chunk_info(i)?;
            let special = match info.special {
                Some(k @ (SpecialKind::Zeros | SpecialKind::Nan | SpecialKind::Uninit)) if self.chunksize > 0 => {
                    special_offset(k)
                }
                _ => None,
            };
            match special {
                Some(o) => offsets.push(o),
                None => {
                    offsets.push(if sparse { stored.len() as i64 } else { data_len as i64 });
                    stored.push(i);
                    data_len += info.cbytes as u64;
                }
            }
        }
        Ok(Plan { offsets, stored, data_len })
    }

    /// The frame header this super-chunk gets (`frame_len` and `header_len` filled in by
    /// the caller).
    pub(crate) fn frame_header(&self, frame_type: FrameType, data_len: u64) -> FrameHeader {
        let variable = self.chunksize == 0;
        let mut flags = FLAG_OFFSETS_64;
        flags |= if variable || self.vl_blocks { VERSION_VARIABLE } else { VERSION_FIXED };
        if variable {
            flags |= FLAG_VARIABLE_CHUNKS;
        }
        if self.vl_blocks {
            flags |= FLAG_VL_BLOCKS;
        }
        let p = &self.cparams;
        FrameHeader {
            header_len: 0,
            frame_len: 0,
            general_flags: flags,
            frame_type,
            codec: p.codec,
            clevel: p.clevel,
            splitmode: p.splitmode,
            nbytes: self.nbytes,
            cbytes: data_len,
            typesize: p.typesize,
            blocksize: p.blocksize,
            chunksize: self.chunksize,
            nthreads_compress: p.nthreads.min(i16::MAX as usize) as i16,
            nthreads_decompress: self.dnthreads.min(i16::MAX as usize) as i16,
            has_vlmetalayers: !self.vlmetalayers.is_empty() || self.checksums.is_some(),
            filters: p.filters,
            codec_meta: p.codec_meta,
            use_dict: self.use_dict,
        }
    }

    /// Header bytes, offsets chunk and trailer of a frame with this plan.
    fn frame_parts(&self, plan: &Plan, frame_type: FrameType) -> Result<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        let offsets =
            if plan.offsets.is_empty() { Vec::new() } else { encode_offsets(&plan.offsets, OffsetsStyle::Appended)? };
        let trailer = trailer_bytes(&*self.vlmetalayers_to_write()?)?;
        let mut h = self.frame_header(frame_type, plan.data_len);
        let header_len = h.to_bytes(&self.metalayers)?.len() as u64;
        let data = if frame_type == FrameType::Contiguous { plan.data_len } else { 0 };
        h.frame_len = header_len + data + offsets.len() as u64 + trailer.len() as u64;
        Ok((h.to_bytes(&self.metalayers)?, offsets, trailer))
    }

    /// Serializes the super-chunk as a contiguous frame in a new buffer (each chunk is
    /// copied once).
    ///
    /// # Errors
    /// Chunk read errors; [`Error::Metalayer`] for metadata that does not fit a frame.
    pub fn to_cframe(&self) -> Result<Vec<u8>> {
        let plan = self.plan(false)?;
        let (header, offsets, trailer) = self.frame_parts(&plan, FrameType::Contiguous)?;
        let total = header.len() as u64 + plan.data_len + offsets.len() as u64 + trailer.len() as u64;
        let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
        out.extend_from_slice(&header);
        for &i in &plan.stored {
            out.extend_from_slice(&self.chunk(i)?);
        }
        out.extend_from_slice(&offsets);
        out.extend_from_slice(&trailer);
        Ok(out)
    }

    /// Writes the super-chunk as a contiguous frame to `w` (chunk data, then offsets,
    /// trailer; the header is computed first and written at the start); returns the frame
    /// length.
    ///
    /// # Errors
    /// As [`SChunk::to_cframe`], plus [`Error::Io`].
    pub fn write_cframe<W: Write>(&self, w: &mut W) -> Result<u64> {
        let plan = self.plan(false)?;
        let (header, offsets, trailer) = self.frame_parts(&plan, FrameType::Contiguous)?;
        let here = Path::new("<writer>");
        w.write_all(&header).map_err(|e| io_err(&e, here))?;
        for &i in &plan.stored {
            w.write_all(&self.chunk(i)?).map_err(|e| io_err(&e, here))?;
        }
        w.write_all(&offsets).map_err(|e| io_err(&e, here))?;
        w.write_all(&trailer).map_err(|e| io_err(&e, here))?;
        Ok(header.len() as u64 + plan.data_len + offsets.len() as u64 + trailer.len() as u64)
    }

    /// Saves the super-chunk as a contiguous frame file (`.b2frame`), replacing `path`
    /// atomically (written under a temporary name, then renamed). Like a commit it is not
    /// `fsync`ed: open the file and [`SChunk::flush`] it when the frame must survive a power
    /// loss.
    ///
    /// # Errors
    /// As [`SChunk::write_cframe`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let tmp = temp_name(path);
        let res = (|| {
            let f = std::fs::File::create(&tmp).map_err(|e| io_err(&e, &tmp))?;
            let mut w = std::io::BufWriter::new(f);
            self.write_cframe(&mut w)?;
            super::disk::crash_point(&tmp)?;
            w.into_inner().map_err(|e| io_err(e.error(), &tmp))?;
            super::disk::crash_point(path)?;
            std::fs::rename(&tmp, path).map_err(|e| io_err(&e, path))
        })();
        if res.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        res
    }

    /// Writes a new contiguous frame at `path` holding `nchunks` special chunks of kind
    /// `kind` (zeros, NaN or uninitialized) of `chunk_nbytes` bytes each, with this
    /// (empty) super-chunk's parameters, metalayers and vlmetalayers. Neither the work nor
    /// the file size depends on `nchunks`: the offsets are one 40-byte repeated-value
    /// chunk, as C-Blosc2's `fill_special` writes, so a frame of a million chunks takes
    /// microseconds. The file is written under a temporary name and renamed over `path`;
    /// like a commit it is not `fsync`ed (open it and [`SChunk::flush`] for that).
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when the super-chunk already has chunks, for a `Value` kind,
    /// or when the sizes do not fit a frame; [`Error::Io`].
    pub fn save_special(
        &self,
        path: impl AsRef<Path>,
        kind: SpecialKind,
        chunk_nbytes: usize,
        nchunks: u64,
    ) -> Result<()> {
        let path = path.as_ref();
        let bad = |name: &'static str, value: i64, reason: &'static str| Error::InvalidParam { name, value, reason };
        if self.nchunks() != 0 {
            return Err(bad("nchunks", self.nchunks() as i64, "save_special needs an empty super-chunk"));
        }
        let special = special_offset(kind).ok_or(bad("kind", 0, "special offsets exist for zeros, NaN and uninit"))?;
        let chunksize = i32::try_from(chunk_nbytes)
            .ok()
            .filter(|&c| c > 0 && (c as usize) <= crate::header::MAX_BUFFERSIZE)
            .ok_or(bad("chunk_nbytes", chunk_nbytes as i64, "a chunk holds 1 byte to 2 GiB"))?;
        let mut h = self.frame_header(FrameType::Contiguous, 0);
        if nchunks > 0 {
            // As the first appended chunk would set it.
            h.chunksize = chunksize;
        }
        h.nbytes = nchunks.checked_mul(chunk_nbytes as u64).ok_or(bad(
            "nchunks",
            nchunks as i64,
            "the total size overflows",
        ))?;
        let offsets = if nchunks == 0 { Vec::new() } else { repeated_offsets(special, nchunks)? };
        let trailer = trailer_bytes(&*self.vlmetalayers_to_write()?)?;
        let header_len = h.to_bytes(&self.metalayers)?.len() as u64;
        h.frame_len = header_len + offsets.len() as u64 + trailer.len() as u64;
        let mut bytes = h.to_bytes(&self.metalayers)?;
        bytes.extend_from_slice(&offsets);
        bytes.extend_from_slice(&trailer);
        super::disk::write_atomically(path, &bytes)
    }

    /// Saves the super-chunk as a sparse frame: directory `dir` with one
    /// `NNNNNNNN.chunk` file per stored chunk and the index `chunks.b2frame`. Chunk files
    /// left from an earlier content of `dir` are removed.
    ///
    /// # Errors
    /// As [`SChunk::save`].
    pub fn save_sparse(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| io_err(&e, dir))?;
        let plan = self.plan(true)?;
        let mut keep = std::collections::HashSet::new();
        for (id, &i) in plan.stored.iter().enumerate() {
            let name = sparse_chunk_name(id as u64);
            let path = dir.join(&name);
            std::fs::write(&path, &*self.chunk(i)?).map_err(|e| io_err(&e, &path))?;
            keep.insert(name);
        }
        let (header, offsets, trailer) = self.frame_parts(&plan, FrameType::Sparse)?;
        let index = dir.join(SPARSE_INDEX);
        let tmp = temp_name(&index);
        let mut bytes = header;
        bytes.extend_from_slice(&offsets);
        bytes.extend_from_slice(&trailer);
        std::fs::write(&tmp, &bytes).map_err(|e| io_err(&e, &tmp))?;
        std::fs::rename(&tmp, &index).map_err(|e| io_err(&e, &index))?;
        for entry in std::fs::read_dir(dir).map_err(|e| io_err(&e, dir))? {
            let entry = entry.map_err(|e| io_err(&e, dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_chunk = name.len() == 14 && name.ends_with(".chunk");
            if is_chunk && !keep.contains(&name) {
                let p = entry.path();
                std::fs::remove_file(&p).map_err(|e| io_err(&e, &p))?;
            }
        }
        Ok(())
    }
}

pub(super) fn temp_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}

/// Writes a frame chunk by chunk without keeping the chunks: memory holds the offsets
/// only, so inputs of any size stream through. The frame goes to a temporary name (a file,
/// or a directory for a sparse frame) that [`FrameWriter::finish`] renames over the target;
/// a writer dropped unfinished removes it. The layout is the one
/// [`SChunk::save`]/[`SChunk::save_sparse`] give the same chunks: chunks in append order,
/// zero/NaN/uninit chunks as special offsets while the chunk size is fixed.
///
/// Unlike a super-chunk opened with [`SChunk::open_mut`], nothing is readable under the
/// target name before `finish`: this is for building a frame in one go (the CLI's
/// `compress`), where per-append commits would rewrite the offsets `n` times.
#[derive(Debug)]
pub struct FrameWriter {
    s: SChunk,
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
        cparams: crate::chunk::CompressParams,
        metalayers: crate::schunk::Metalayers,
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
        let mut s = SChunk::new(cparams);
        s.metalayers = metalayers;
        let tmp = temp_name(&target);
        let ft = if sparse { FrameType::Sparse } else { FrameType::Contiguous };
        let placeholder = s.frame_header(ft, 0).to_bytes(&s.metalayers)?;
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
            s,
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
    pub fn vlmetalayers_mut(&mut self) -> &mut crate::schunk::VlMetalayers {
        &mut self.s.vlmetalayers
    }

    /// Compression parameters of the frame.
    pub fn cparams(&self) -> &crate::chunk::CompressParams {
        &self.s.cparams
    }

    /// Records a CRC-32 of every chunk appended from now on, written in the `checksums`
    /// vlmetalayer by [`FrameWriter::finish`] (see [`crate::schunk::checksum`]).
    ///
    /// # Errors
    /// [`Error::Unsupported`] once chunks were appended; as
    /// [`SChunk::enable_checksums`].
    pub fn enable_checksums(&mut self) -> Result<()> {
        if !self.offsets.is_empty() {
            return Err(Error::Unsupported { operation: "enable checksums", what: "a frame writer with chunks" });
        }
        self.s.enable_checksums()
    }

    /// Number of chunks appended so far.
    pub fn nchunks(&self) -> u64 {
        self.offsets.len() as u64
    }

    /// Uncompressed bytes appended so far.
    pub fn nbytes(&self) -> u64 {
        self.s.nbytes
    }

    /// Compresses `data` with the frame's parameters and appends it.
    ///
    /// # Errors
    /// Compression errors, then as [`FrameWriter::append_chunk`].
    pub fn append_buffer(&mut self, data: &[u8]) -> Result<u64> {
        let c = self.s.compress_buffer(data)?;
        self.append_chunk(c)
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
        let h = crate::header::ChunkHeader::parse(chunk)?;
        let chunk = &chunk[..h.cbytes];
        let n = self.offsets.len();
        if n > 0 && h.is_vl_blocks() != self.s.vl_blocks {
            return Err(Error::IncompatibleChunk { reason: "regular and VL-block chunks cannot be mixed" });
        }
        if h.nbytes > i32::MAX as usize {
            return Err(Error::IncompatibleChunk { reason: "chunk above 2 GiB" });
        }
        if n * 8 + 8 > crate::header::MAX_BUFFERSIZE {
            return Err(Error::InvalidParam { name: "nchunks", value: n as i64, reason: "too many chunks" });
        }
        if n == 0 {
            self.s.vl_blocks = h.is_vl_blocks();
            self.s.chunksize = h.nbytes as i32;
        }
        let cs = self.s.chunksize;
        if cs > 0 && ((n > 0 && self.last_nbytes < cs as usize) || h.nbytes > cs as usize) {
            self.s.chunksize = 0;
        }
        let special = match h.special() {
            Some(k @ (SpecialKind::Zeros | SpecialKind::Nan | SpecialKind::Uninit)) if self.s.chunksize > 0 => {
                special_offset(k)
            }
            _ => None,
        };
        let sum = self.s.checksums.is_some().then(|| crate::schunk::checksum::chunk_checksum(chunk));
        let offset = match special {
            Some(o) => {
                self.specials.push((n, chunk.to_vec()));
                o
            }
            None => self.write_data(chunk)?,
        };
        self.offsets.push(offset);
        if let (Some(t), Some(sum)) = (&mut self.s.checksums, sum) {
            t.push(sum);
        }
        self.s.nbytes += h.nbytes as u64;
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
                && self.s.chunksize > 0
                && h.nbytes == self.s.chunksize as usize
                && self.last_nbytes == h.nbytes
                && h.is_vl_blocks() == self.s.vl_blocks;
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
            if let Some(t) = &mut self.s.checksums {
                let sum = crate::schunk::checksum::chunk_checksum(chunk);
                t.resize(t.len() + left as usize, sum);
            }
            self.s.nbytes += left * h.nbytes as u64;
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
        self.s.chunksize = i32::try_from(nbytes)
            .ok()
            .filter(|&c| c as usize <= crate::header::MAX_BUFFERSIZE)
            .ok_or(Error::InvalidParam { name: "chunksize", value: nbytes as i64, reason: "above 2 GiB" })?;
        Ok(())
    }

    /// The fixed metalayers written by [`FrameWriter::finish`].
    pub fn metalayers(&self) -> &crate::schunk::Metalayers {
        &self.s.metalayers
    }

    /// Replaces the content of fixed metalayer `name` by one of the same length (the
    /// header's room was set by [`FrameWriter::create`]), for what is known only at the
    /// end: an array's final shape in its `b2nd` metalayer.
    ///
    /// # Errors
    /// [`Error::Metalayer`] when `name` does not exist or the length differs.
    pub fn update_metalayer(&mut self, name: &str, content: &[u8]) -> Result<()> {
        self.s.metalayers.update(name, content)
    }

    /// Writes the offsets, trailer and header and renames the frame over the target (not
    /// `fsync`ed, as [`SChunk::save`]).
    ///
    /// # Errors
    /// [`Error::Io`]; as [`encode_offsets`] and [`trailer_bytes`].
    pub fn finish(mut self) -> Result<()> {
        if self.s.chunksize <= 0 {
            for (first, count, c) in std::mem::take(&mut self.special_runs) {
                self.specials.extend((first..first + count as usize).map(|i| (i, c.to_vec())));
            }
            self.specials.sort_by_key(|&(i, _)| i);
            for (i, c) in std::mem::take(&mut self.specials) {
                self.offsets[i] = self.write_data(&c)?;
            }
        }
        self.s.cbytes = self.data_len;
        let offsets =
            if self.offsets.is_empty() { Vec::new() } else { encode_offsets(&self.offsets, OffsetsStyle::Appended)? };
        self.s.sync_checksums()?;
        let trailer = trailer_bytes(&self.s.vlmetalayers)?;
        let ft = if self.sparse { FrameType::Sparse } else { FrameType::Contiguous };
        let mut h = self.s.frame_header(ft, self.data_len);
        let data = if self.sparse { 0 } else { self.data_len };
        h.frame_len = self.header_len + data + offsets.len() as u64 + trailer.len() as u64;
        let header = h.to_bytes(&self.s.metalayers)?;
        debug_assert_eq!(header.len() as u64, self.header_len);
        if let Some(mut w) = self.file.take() {
            use std::io::{Seek, SeekFrom};
            let tmp = self.tmp.clone();
            let e = |e: std::io::Error| io_err(&e, &tmp);
            w.write_all(&offsets).map_err(e)?;
            w.write_all(&trailer).map_err(e)?;
            w.seek(SeekFrom::Start(0)).map_err(e)?;
            w.write_all(&header).map_err(e)?;
            w.into_inner().map_err(|x| io_err(x.error(), &tmp))?;
            std::fs::rename(&tmp, &self.target).map_err(|e| io_err(&e, &self.target))?;
        } else {
            let index = self.tmp.join(SPARSE_INDEX);
            let mut bytes = header;
            bytes.extend_from_slice(&offsets);
            bytes.extend_from_slice(&trailer);
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

#[cfg(test)]
mod tests {
    use super::FrameWriter;
    use crate::chunk::{CompressParams, SpecialKind};
    use crate::frame::Frame;
    use crate::schunk::{Metalayers, SChunk};

    fn params() -> CompressParams {
        CompressParams { typesize: 4, codec: crate::codec::CodecId::LZ4, ..CompressParams::default() }
    }

    fn items(k: u32, n: u32) -> Vec<u8> {
        (k..k + n).flat_map(|v| (v / 3).to_le_bytes()).collect()
    }

    #[test]
    fn streamed_frames_equal_saved_ones() {
        let dir = std::env::temp_dir().join(format!("b2-fw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut meta = Metalayers::new();
        meta.add("m", &[0x93, 1, 2, 3]).unwrap();
        // Fixed chunk size with special chunks (bytes identical to save), then a variable
        // one whose special chunk must be materialized (same content).
        for (variable, sparse) in [(false, false), (false, true), (true, false), (true, true)] {
            let name = format!("f-{variable}-{sparse}");
            let (a, b) = (dir.join(format!("{name}.stream")), dir.join(format!("{name}.saved")));
            let mut w = FrameWriter::create(&a, params(), meta.clone(), sparse).unwrap();
            let mut s = SChunk::new(params());
            s.metalayers_mut().add("m", &[0x93, 1, 2, 3]).unwrap();
            for k in 0..5u32 {
                let n = if variable && k == 3 { 50 } else { 100 };
                let c = if k == 2 {
                    s.special_chunk(SpecialKind::Zeros, 400, &[]).unwrap()
                } else {
                    crate::chunk::compress(&params(), &items(k * 100, n)).unwrap()
                };
                w.append_chunk(c.clone()).unwrap();
                s.append_chunk(c).unwrap();
            }
            w.vlmetalayers_mut().set("v", b"x").unwrap();
            s.vlmetalayers_mut().set("v", b"x").unwrap();
            w.finish().unwrap();
            if sparse {
                s.save_sparse(&b).unwrap();
            } else {
                s.save(&b).unwrap();
            }
            let (fa, fb) = (Frame::open(&a).unwrap(), Frame::open(&b).unwrap());
            assert_eq!(fa.header(), fb.header(), "{name}");
            for i in 0..5 {
                assert_eq!(fa.decompress_chunk(i).unwrap(), fb.decompress_chunk(i).unwrap(), "{name} {i}");
            }
            if !variable && !sparse {
                assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "{name}");
            }
        }
        // An unfinished writer leaves nothing behind.
        let c = dir.join("dropped");
        drop(FrameWriter::create(&c, params(), Metalayers::new(), false).unwrap());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 8);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn repeated_chunks_equal_chunks_appended_one_by_one() {
        let dir = std::env::temp_dir().join(format!("b2-fw-rep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let s = SChunk::new(params());
        let zeros = s.special_chunk(SpecialKind::Zeros, 400, &[]).unwrap();
        let nans = s.special_chunk(SpecialKind::Nan, 400, &[]).unwrap();
        let value = s.special_chunk(SpecialKind::Value, 400, &7u32.to_le_bytes()).unwrap();
        let data = crate::chunk::compress(&params(), &items(0, 100)).unwrap();
        let short = crate::chunk::compress(&params(), &items(0, 50)).unwrap();
        let short_zeros = s.special_chunk(SpecialKind::Zeros, 200, &[]).unwrap();
        // (chunk, count) runs: special runs at the start, after data, of another kind, of
        // a value chunk (written each time), and runs that turn the chunk size variable.
        let cases: Vec<Vec<(&[u8], u64)>> = vec![
            vec![(&zeros, 3), (&data, 1), (&zeros, 1000), (&nans, 2), (&zeros, 0), (&data, 2), (&zeros, 5)],
            vec![(&data, 1), (&value, 3), (&zeros, 4)],
            vec![(&zeros, 3), (&short_zeros, 2), (&zeros, 2)],
            vec![(&zeros, 4), (&short, 1), (&zeros, 3)],
            vec![(&short_zeros, 3), (&zeros, 2)],
        ];
        for (k, runs) in cases.iter().enumerate() {
            for checksums in [false, true] {
                let (a, b) = (dir.join(format!("{k}-{checksums}.rep")), dir.join(format!("{k}-{checksums}.one")));
                let mut wa = FrameWriter::create(&a, params(), Metalayers::new(), false).unwrap();
                let mut wb = FrameWriter::create(&b, params(), Metalayers::new(), false).unwrap();
                if checksums {
                    wa.enable_checksums().unwrap();
                    wb.enable_checksums().unwrap();
                }
                for &(c, n) in runs {
                    let na = wa.append_chunk_repeated(c, n).unwrap();
                    for _ in 0..n {
                        wb.append_chunk_bytes(c).unwrap();
                    }
                    assert_eq!(na, wb.nchunks());
                }
                assert_eq!(wa.nbytes(), wb.nbytes());
                wa.finish().unwrap();
                wb.finish().unwrap();
                let (fa, fb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
                assert_eq!(fa, fb, "case {k}, checksums {checksums}");
                let f = Frame::open(&a).unwrap();
                let total: u64 = runs.iter().map(|r| r.1).sum();
                assert_eq!(f.nchunks(), total);
                for i in 0..total {
                    f.decompress_chunk(i).unwrap();
                }
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn chunk_size_and_metalayer_set_before_finishing() {
        let dir = std::env::temp_dir().join(format!("b2-fw-meta-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut meta = Metalayers::new();
        meta.add("m", &[0x93, 1, 2, 3]).unwrap();
        // No chunk: the header tells the chunk size given beforehand, or -1.
        for (set, want) in [(None, -1), (Some(400), 400)] {
            let p = dir.join(format!("empty-{want}"));
            let mut w = FrameWriter::create(&p, params(), meta.clone(), false).unwrap();
            if let Some(n) = set {
                w.set_chunksize(n).unwrap();
            }
            w.update_metalayer("m", &[0x93, 4, 5, 6]).unwrap();
            assert!(w.update_metalayer("m", &[0x92, 4, 5]).is_err(), "another length");
            assert!(w.update_metalayer("n", &[0x90]).is_err(), "no such metalayer");
            assert_eq!(w.metalayers().get("m"), Some(&[0x93, 4, 5, 6][..]));
            w.finish().unwrap();
            let f = Frame::open(&p).unwrap();
            assert_eq!((f.header().chunksize, f.nchunks()), (want, 0));
            assert_eq!(f.metalayers().get("m"), Some(&[0x93, 4, 5, 6][..]));
        }
        // With chunks the first chunk sets it, as without.
        let (a, b) = (dir.join("a"), dir.join("b"));
        let mut wa = FrameWriter::create(&a, params(), meta.clone(), false).unwrap();
        let mut wb = FrameWriter::create(&b, params(), meta.clone(), false).unwrap();
        wa.set_chunksize(1000).unwrap();
        for w in [&mut wa, &mut wb] {
            w.append_buffer(&items(0, 100)).unwrap();
            assert!(w.set_chunksize(400).is_err());
        }
        wa.finish().unwrap();
        wb.finish().unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
