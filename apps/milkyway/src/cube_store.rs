//! How the galaxy's arrays (the cube and the star table) are stored: b2nd arrays written
//! and read with `blosc2-nd` (`shared/spec/gaia.md` 3.5).
//!
//! The layout and the format are the array crate's: [`blosc2_nd::ArrayWriter`] streams the
//! arrays to their files chunk by chunk (the cube's empty chunks are special ZERO chunks
//! with no bytes in the file; its other chunks are built from their non-empty blocks by
//! the core's [`blosc2_core::chunk::SparseChunkEncoder`]) and [`blosc2_nd::NdArray`] reads
//! them. This module only fixes the compression parameters, buffers the star table's
//! columns item by item, and tells chunk kinds apart for the statistics walk.

use std::path::Path;

use anyhow::{ensure, Context, Result};
use blosc2_core::chunk::{CompressParams, Output, SpecialKind};
use blosc2_core::codec::CodecId;
use blosc2_nd::{ArrayWriter, DType, NdArray, Options};

/// The options of every array of a galaxy: the given chunk and block shapes, ZSTD level 1
/// with the default shuffle, one thread per chunk.
pub fn array_options(chunks: &[u64], blocks: &[u64]) -> Options {
    let cparams = CompressParams { codec: CodecId::ZSTD, clevel: 1, nthreads: 1, ..CompressParams::default() };
    Options::new().chunks(chunks).blocks(blocks).cparams(cparams)
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

/// Kind of chunk `i` of `a` and its compressed size, from the chunk index (a special
/// offset) or the chunk header; nothing is decompressed.
///
/// # Errors
/// Index out of range or unreadable chunk header.
pub fn chunk_kind(a: &NdArray, i: u64) -> Result<(ChunkKind, usize)> {
    let info = a.schunk().chunk_info(i)?;
    let kind = match info.special {
        None => ChunkKind::Data,
        Some(SpecialKind::Zeros) => ChunkKind::Zero,
        Some(_) => ChunkKind::OtherSpecial,
    };
    Ok((kind, info.cbytes))
}

/// Decompresses chunk `i` of `a` into `dst` (one chunk buffer, block-major order).
///
/// # Errors
/// Read or decoding errors; a chunk of another size.
pub fn read_chunk(a: &NdArray, i: u64, dst: &mut [u8]) -> Result<()> {
    let c = a.schunk().chunk(i)?;
    let n = a
        .schunk()
        .decompressor()
        .with_nthreads(1)
        .with_output(Output::Cached)
        .decompress_into(&c, dst)
        .with_context(|| format!("chunk {i}"))?;
    ensure!(n == dst.len(), "chunk {i} has {n} bytes, expected {}", dst.len());
    Ok(())
}

/// Writes a 1-D array of fixed-size items pushed one at a time, in chunks of
/// `chunk_items` (blocks of `block_items`); its length is known at the end.
pub struct Column1dWriter {
    writer: ArrayWriter,
    buf: Vec<u8>,
    len: u64,
    typesize: usize,
}

impl Column1dWriter {
    /// Creates the array file (`dtype` a NumPy dtype string such as `<f8`).
    ///
    /// # Errors
    /// Bad dtype or layout; I/O errors.
    pub fn create(path: &Path, dtype: &str, chunk_items: usize, block_items: usize) -> Result<Column1dWriter> {
        let dtype = DType::parse(dtype)?;
        let opts = array_options(&[chunk_items as u64], &[block_items.min(chunk_items) as u64]);
        let writer = ArrayWriter::create(path, &[0], &dtype, &opts)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Column1dWriter {
            buf: Vec::with_capacity(writer.chunk_nbytes()),
            typesize: dtype.itemsize(),
            writer,
            len: 0,
        })
    }

    /// Sets the tuner that chooses the compression parameters of the chunks written from
    /// then on (`None`: the galaxy's fixed ones). Item size and block size stay the
    /// array's, so the file reads as without.
    pub fn set_tuner(&mut self, tuner: Option<Box<dyn blosc2_core::tune::Tuner>>) {
        self.writer.set_tuner(tuner);
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
            self.writer.append_chunk(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Pads and writes the last chunk, sets the length and finishes the file; returns the
    /// length.
    ///
    /// # Errors
    /// Compression and I/O errors.
    pub fn finish(mut self) -> Result<u64> {
        if !self.buf.is_empty() {
            self.buf.resize(self.writer.chunk_nbytes(), 0);
            self.writer.append_chunk(&self.buf)?;
        }
        self.writer.set_shape(&[self.len])?;
        self.writer.finish()?;
        Ok(self.len)
    }
}
