//! Storage of b2nd arrays (the cube and the star table) as contiguous Blosc2 frames with a
//! `b2nd` metalayer (`shared/spec/gaia.md` 3.5; the b2nd metalayer layout of C-Blosc2).
//!
//! This is the only module that knows how arrays are stored. It is written on top of
//! `blosc2-core` (frame header, offsets index, trailer) because the `blosc2-nd` crate is not
//! usable yet; its two types, [`ArrayWriter`] and [`ArrayReader`], are what the rest of the
//! application uses, so switching to `blosc2-nd` later only touches this file.
//!
//! The writer streams: chunks are appended in chunk order and written to disk at once; only
//! the offsets index (8 bytes per chunk) stays in memory; the header is written last, over a
//! placeholder of the same length. Chunks whose content is all zeros are stored as special
//! ZERO offsets (no bytes in the file).

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use blosc2_core::chunk::{self, CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::Pipeline;
use blosc2_core::frame::header::{FLAG_OFFSETS_64, VERSION_FIXED};
use blosc2_core::frame::offsets::{encode_offsets, OffsetsStyle, SPECIAL_ZEROS};
use blosc2_core::frame::trailer::trailer_bytes;
use blosc2_core::frame::{Frame, FrameHeader, FrameType};
use blosc2_core::schunk::{Metalayers, VlMetalayers};

/// Shape, chunk shape, block shape and dtype of a b2nd array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayMeta {
    /// Shape.
    pub shape: Vec<i64>,
    /// Chunk shape.
    pub chunks: Vec<i32>,
    /// Block shape.
    pub blocks: Vec<i32>,
    /// NumPy dtype string (`|u1`, `<i8`, `<f8`, `<f4`).
    pub dtype: String,
}

impl ArrayMeta {
    /// Bytes per item of the dtype.
    ///
    /// # Errors
    /// Unknown dtype string.
    pub fn typesize(&self) -> Result<usize> {
        let n: usize = self.dtype.get(2..).and_then(|s| s.parse().ok()).context("unsupported dtype")?;
        ensure!(matches!(n, 1 | 2 | 4 | 8), "unsupported dtype {}", self.dtype);
        Ok(n)
    }

    /// Items per chunk.
    pub fn chunk_items(&self) -> usize {
        self.chunks.iter().map(|&c| c as usize).product()
    }

    /// Items per block.
    pub fn block_items(&self) -> usize {
        self.blocks.iter().map(|&c| c as usize).product()
    }

    /// Chunks per dimension.
    pub fn chunk_grid(&self) -> Vec<u64> {
        self.shape.iter().zip(&self.chunks).map(|(&s, &c)| (s as u64).div_ceil(c as u64)).collect()
    }

    /// Total number of chunks.
    pub fn nchunks(&self) -> u64 {
        self.chunk_grid().iter().product()
    }

    /// The `b2nd` metalayer content, byte for byte as C-Blosc2 writes it.
    pub fn to_metalayer(&self) -> Vec<u8> {
        let nd = self.shape.len() as u8;
        let mut m = vec![0x97, 0x00, nd];
        m.push(0x90 | nd);
        for &s in &self.shape {
            m.push(0xd3);
            m.extend_from_slice(&s.to_be_bytes());
        }
        for dims in [&self.chunks, &self.blocks] {
            m.push(0x90 | nd);
            for &c in dims {
                m.push(0xd2);
                m.extend_from_slice(&c.to_be_bytes());
            }
        }
        m.push(0x00);
        m.push(0xdb);
        m.extend_from_slice(&(self.dtype.len() as u32).to_be_bytes());
        m.extend_from_slice(self.dtype.as_bytes());
        m
    }

    /// Parses a `b2nd` metalayer.
    ///
    /// # Errors
    /// Not msgpack, or not the 7-element layout of b2nd version 0.
    pub fn from_metalayer(bytes: &[u8]) -> Result<ArrayMeta> {
        let v = rmpv::decode::read_value(&mut &bytes[..]).context("b2nd metalayer is not msgpack")?;
        let a = v.as_array().context("b2nd metalayer is not an array")?;
        ensure!(a.len() >= 7, "b2nd metalayer has {} elements, expected 7", a.len());
        let ints = |x: &rmpv::Value| -> Result<Vec<i64>> {
            x.as_array()
                .context("b2nd metalayer: expected an array")?
                .iter()
                .map(|v| v.as_i64().context("not an integer"))
                .collect()
        };
        let shape = ints(&a[2])?;
        let chunks: Vec<i32> = ints(&a[3])?.into_iter().map(|v| v as i32).collect();
        let blocks: Vec<i32> = ints(&a[4])?.into_iter().map(|v| v as i32).collect();
        let dtype = a[6].as_str().context("b2nd dtype is not a string")?.to_string();
        ensure!(shape.len() == chunks.len() && shape.len() == blocks.len(), "b2nd metalayer: ndim mismatch");
        ensure!(chunks.iter().chain(&blocks).all(|&c| c > 0), "b2nd metalayer: non-positive chunk or block");
        Ok(ArrayMeta { shape, chunks, blocks, dtype })
    }
}

/// Compression parameters of an array: `codec`/`clevel` with the default shuffle, one block
/// per `block_items` items.
pub fn array_cparams(meta: &ArrayMeta, codec: CodecId, clevel: u8) -> Result<CompressParams> {
    let typesize = meta.typesize()?;
    Ok(CompressParams {
        codec,
        codec_meta: 0,
        clevel,
        typesize,
        filters: Pipeline::shuffle(),
        blocksize: meta.block_items() * typesize,
        splitmode: SplitMode::Auto,
        nthreads: 1,
        use_dict: false,
        geometry: None,
    })
}

/// Writes a b2nd array chunk by chunk, in chunk order, to a new frame file.
pub struct ArrayWriter {
    path: PathBuf,
    file: BufWriter<File>,
    meta: ArrayMeta,
    cparams: CompressParams,
    chunk_nbytes: usize,
    offsets: Vec<i64>,
    data_len: u64,
    header_len: usize,
}

impl ArrayWriter {
    /// Creates (truncates) `path` for an array described by `meta`.
    ///
    /// # Errors
    /// I/O errors; a chunk above 2 GiB.
    pub fn create(path: &Path, meta: ArrayMeta, cparams: CompressParams) -> Result<ArrayWriter> {
        let chunk_nbytes = meta.chunk_items() * meta.typesize()?;
        ensure!(chunk_nbytes > 0 && chunk_nbytes < i32::MAX as usize, "chunk of {chunk_nbytes} bytes");
        let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut w = ArrayWriter {
            path: path.to_path_buf(),
            file: BufWriter::with_capacity(1 << 20, file),
            meta,
            cparams,
            chunk_nbytes,
            offsets: Vec::new(),
            data_len: 0,
            header_len: 0,
        };
        let header = w.header(0)?;
        w.header_len = header.len();
        w.file.write_all(&vec![0u8; header.len()]).with_context(|| format!("writing {}", w.path.display()))?;
        Ok(w)
    }

    fn header(&self, frame_len: u64) -> Result<Vec<u8>> {
        let mut ml = Metalayers::new();
        ml.add("b2nd", &self.meta.to_metalayer())?;
        let p = &self.cparams;
        let h = FrameHeader {
            header_len: 0,
            frame_len,
            general_flags: FLAG_OFFSETS_64 | VERSION_FIXED,
            frame_type: FrameType::Contiguous,
            codec: p.codec,
            clevel: p.clevel,
            splitmode: p.splitmode,
            nbytes: self.offsets.len() as u64 * self.chunk_nbytes as u64,
            cbytes: self.data_len,
            typesize: p.typesize,
            blocksize: p.blocksize,
            chunksize: self.chunk_nbytes as i32,
            nthreads_compress: 1,
            nthreads_decompress: 1,
            has_vlmetalayers: false,
            filters: p.filters,
            codec_meta: p.codec_meta,
            use_dict: false,
        };
        Ok(h.to_bytes(&ml)?)
    }

    /// Uncompressed bytes of one chunk.
    pub fn chunk_nbytes(&self) -> usize {
        self.chunk_nbytes
    }

    /// Chunks written so far.
    pub fn nchunks(&self) -> u64 {
        self.offsets.len() as u64
    }

    /// The compression parameters.
    pub fn cparams(&self) -> &CompressParams {
        &self.cparams
    }

    /// Appends a special ZERO chunk.
    pub fn append_zeros(&mut self) {
        self.offsets.push(SPECIAL_ZEROS);
    }

    /// Appends a chunk compressed with [`ArrayWriter::cparams`] from a full chunk buffer.
    ///
    /// # Errors
    /// I/O errors.
    pub fn append_compressed(&mut self, chunk: &[u8]) -> Result<()> {
        self.offsets.push(self.data_len as i64);
        self.file.write_all(chunk).with_context(|| format!("writing {}", self.path.display()))?;
        self.data_len += chunk.len() as u64;
        Ok(())
    }

    /// Compresses and appends a full chunk buffer (all zeros become a ZERO chunk).
    ///
    /// # Errors
    /// Wrong buffer size, compression or I/O errors.
    pub fn append_raw(&mut self, raw: &[u8]) -> Result<()> {
        ensure!(raw.len() == self.chunk_nbytes, "chunk buffer of {} bytes, expected {}", raw.len(), self.chunk_nbytes);
        if raw.iter().all(|&b| b == 0) {
            self.append_zeros();
            return Ok(());
        }
        let c = chunk::compress(&self.cparams, raw)?;
        self.append_compressed(&c)
    }

    /// Writes the offsets, trailer and header and flushes (without syncing to the disk; see
    /// [`crate::ingest::sync_tree`]). `shape`, when given,
    /// replaces the shape of the metadata (for arrays whose length is known only now).
    ///
    /// # Errors
    /// Fewer or more chunks than the shape needs; I/O errors.
    pub fn finish(mut self, shape: Option<Vec<i64>>) -> Result<()> {
        if let Some(s) = shape {
            ensure!(s.len() == self.meta.shape.len(), "shape rank changed");
            self.meta.shape = s;
        }
        ensure!(
            self.nchunks() == self.meta.nchunks(),
            "{}: {} chunks written, the shape needs {}",
            self.path.display(),
            self.nchunks(),
            self.meta.nchunks()
        );
        let offsets =
            if self.offsets.is_empty() { Vec::new() } else { encode_offsets(&self.offsets, OffsetsStyle::Appended)? };
        let trailer = trailer_bytes(&VlMetalayers::new())?;
        let frame_len = self.header_len as u64 + self.data_len + offsets.len() as u64 + trailer.len() as u64;
        let ctx = || format!("writing {}", self.path.display());
        self.file.write_all(&offsets).with_context(ctx)?;
        self.file.write_all(&trailer).with_context(ctx)?;
        let header = self.header(frame_len)?;
        ensure!(header.len() == self.header_len, "frame header length changed");
        let mut f =
            self.file.into_inner().map_err(|e| anyhow::anyhow!("writing {}: {}", self.path.display(), e.error()))?;
        f.seek(SeekFrom::Start(0)).with_context(|| format!("writing {}", self.path.display()))?;
        f.write_all(&header).with_context(|| format!("writing {}", self.path.display()))?;
        Ok(())
    }
}

/// Kind of a stored chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKind {
    /// An ordinary chunk with data.
    Data,
    /// A special all-zero chunk.
    Zero,
    /// Another special chunk (NaN, uninitialized, repeated value).
    OtherSpecial,
}

/// Reads a b2nd array from a frame file.
pub struct ArrayReader {
    path: PathBuf,
    frame: Frame,
    meta: ArrayMeta,
}

impl ArrayReader {
    /// Opens `path` (reads header, metalayers and the offsets index only).
    ///
    /// # Errors
    /// Not a Blosc2 frame, no `b2nd` metalayer, or a malformed one.
    pub fn open(path: &Path) -> Result<ArrayReader> {
        let frame = Frame::open(path).with_context(|| format!("cannot open {} as a b2nd array", path.display()))?;
        let Some(ml) = frame.metalayers().get("b2nd") else {
            bail!("{} is a Blosc2 frame without the `b2nd` metalayer", path.display());
        };
        let meta = ArrayMeta::from_metalayer(ml).with_context(|| path.display().to_string())?;
        ensure!(
            frame.nchunks() == meta.nchunks(),
            "{}: {} chunks, its shape needs {}",
            path.display(),
            frame.nchunks(),
            meta.nchunks()
        );
        Ok(ArrayReader { path: path.to_path_buf(), frame, meta })
    }

    /// Shape and layout.
    pub fn meta(&self) -> &ArrayMeta {
        &self.meta
    }

    /// The underlying frame.
    pub fn frame(&self) -> &Frame {
        &self.frame
    }

    /// Number of chunks.
    pub fn nchunks(&self) -> u64 {
        self.frame.nchunks()
    }

    /// Bytes of one decompressed chunk.
    pub fn chunk_nbytes(&self) -> usize {
        self.meta.chunk_items() * self.meta.typesize().unwrap_or(1)
    }

    /// Kind of chunk `i` from the offsets index, plus its compressed size (0 for special
    /// offsets); reads the chunk header only when the index does not tell.
    ///
    /// # Errors
    /// Index out of range or unreadable chunk header.
    pub fn chunk_kind(&self, i: u64) -> Result<(ChunkKind, usize)> {
        let o = self.frame.offsets().get(i)?.with_context(|| format!("{}: no chunk {i}", self.path.display()))?;
        if o == SPECIAL_ZEROS || (o < 0 && (o as u64 >> 56) & 0x7f == 1) {
            return Ok((ChunkKind::Zero, 0));
        }
        let info = self.frame.chunk_info(i)?;
        Ok(match info.special {
            None => (ChunkKind::Data, info.cbytes),
            Some(blosc2_core::chunk::SpecialKind::Zeros) => (ChunkKind::Zero, info.cbytes),
            Some(_) => (ChunkKind::OtherSpecial, info.cbytes),
        })
    }

    /// The compressed bytes of chunk `i`.
    ///
    /// # Errors
    /// Read errors.
    pub fn chunk(&self, i: u64) -> Result<Cow<'_, [u8]>> {
        Ok(self.frame.chunk(i)?)
    }

    /// Decompresses chunk `i` into `dst` (one chunk buffer, block-major order).
    ///
    /// # Errors
    /// Read or decoding errors.
    pub fn read_chunk(&self, i: u64, dst: &mut [u8]) -> Result<()> {
        let c = self.frame.chunk(i)?;
        let n =
            chunk::decompress_into_cached(&c, dst, 1).with_context(|| format!("{}: chunk {i}", self.path.display()))?;
        ensure!(n == dst.len(), "{}: chunk {i} has {n} bytes, expected {}", self.path.display(), dst.len());
        Ok(())
    }

    /// Items `start..stop` of a 1-D array (chunk and block shapes equal as this crate
    /// writes them), as bytes.
    ///
    /// # Errors
    /// Not 1-D, range out of bounds, read errors.
    pub fn read_items_1d(&self, start: u64, stop: u64) -> Result<Vec<u8>> {
        ensure!(self.meta.shape.len() == 1, "not a 1-D array");
        ensure!(start <= stop && stop <= self.meta.shape[0] as u64, "range {start}..{stop} out of bounds");
        let ts = self.meta.typesize()?;
        let per = self.meta.chunks[0] as u64;
        let mut out = Vec::with_capacity(((stop - start) as usize) * ts);
        let mut at = start;
        while at < stop {
            let ci = at / per;
            let lo = at - ci * per;
            let hi = (stop - ci * per).min(per);
            let c = self.frame.chunk(ci)?;
            let mut part = vec![0u8; ((hi - lo) as usize) * ts];
            chunk::decompress_range(&c, lo as usize * ts, &mut part)?;
            out.extend_from_slice(&part);
            at = ci * per + hi;
        }
        Ok(out)
    }
}

/// Writes a whole 1-D array of fixed-size items from an iterator of item bytes, in chunks of
/// `chunk_items` (blocks of `block_items`).
pub struct Column1dWriter {
    writer: ArrayWriter,
    buf: Vec<u8>,
    len: u64,
    typesize: usize,
}

impl Column1dWriter {
    /// Creates the array file.
    ///
    /// # Errors
    /// As [`ArrayWriter::create`].
    pub fn create(path: &Path, dtype: &str, chunk_items: usize, block_items: usize) -> Result<Column1dWriter> {
        let meta = ArrayMeta {
            shape: vec![0],
            chunks: vec![chunk_items as i32],
            blocks: vec![block_items.min(chunk_items) as i32],
            dtype: dtype.to_string(),
        };
        let typesize = meta.typesize()?;
        let cparams = array_cparams(&meta, CodecId::ZSTD, 1)?;
        let writer = ArrayWriter::create(path, meta, cparams)?;
        Ok(Column1dWriter { buf: Vec::with_capacity(writer.chunk_nbytes()), writer, len: 0, typesize })
    }

    /// Appends one item (its little-endian bytes).
    ///
    /// # Errors
    /// Compression or I/O errors when a chunk completes.
    pub fn push(&mut self, item: &[u8]) -> Result<()> {
        if self.push_deferred(item) {
            self.write_full_chunk()?;
        }
        Ok(())
    }

    /// Appends one item without writing a completed chunk: returns true when the chunk is
    /// complete, and then [`Column1dWriter::write_full_chunk`] must be called before the
    /// next push (so that several columns can compress their chunks in parallel).
    pub fn push_deferred(&mut self, item: &[u8]) -> bool {
        debug_assert_eq!(item.len(), self.typesize);
        self.buf.extend_from_slice(item);
        self.len += 1;
        self.buf.len() >= self.writer.chunk_nbytes()
    }

    /// Compresses and writes the buffered chunk if it is complete.
    ///
    /// # Errors
    /// Compression or I/O errors.
    pub fn write_full_chunk(&mut self) -> Result<()> {
        if self.buf.len() >= self.writer.chunk_nbytes() {
            self.writer.append_raw(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Pads and writes the last chunk, then finishes the file.
    ///
    /// # Errors
    /// As [`ArrayWriter::finish`].
    pub fn finish(mut self) -> Result<u64> {
        if !self.buf.is_empty() {
            self.buf.resize(self.writer.chunk_nbytes(), 0);
            self.writer.append_raw(&self.buf)?;
        }
        let len = self.len;
        self.writer.finish(Some(vec![len as i64]))?;
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metalayer_matches_c_bytes() {
        let m = ArrayMeta { shape: vec![20000; 3], chunks: vec![250; 3], blocks: vec![25; 3], dtype: "|u1".into() };
        let b = m.to_metalayer();
        assert_eq!(b.len(), 72);
        assert_eq!(&b[..4], &[0x97, 0, 3, 0x93]);
        assert_eq!(ArrayMeta::from_metalayer(&b).unwrap(), m);
    }
}
