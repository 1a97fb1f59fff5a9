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
use super::offsets::{encode_offsets, special_offset, OffsetsStyle};
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
            has_vlmetalayers: !self.vlmetalayers.is_empty(),
            filters: p.filters,
            codec_meta: p.codec_meta,
            use_dict: self.use_dict,
        }
    }

    /// Header bytes, offsets chunk and trailer of a frame with this plan.
    fn frame_parts(&self, plan: &Plan, frame_type: FrameType) -> Result<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        let offsets =
            if plan.offsets.is_empty() { Vec::new() } else { encode_offsets(&plan.offsets, OffsetsStyle::Appended)? };
        let trailer = trailer_bytes(&self.vlmetalayers)?;
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
    /// atomically.
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
            let f = w.into_inner().map_err(|e| io_err(e.error(), &tmp))?;
            f.sync_all().map_err(|e| io_err(&e, &tmp))?;
            std::fs::rename(&tmp, path).map_err(|e| io_err(&e, path))
        })();
        if res.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        res
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

fn temp_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}
