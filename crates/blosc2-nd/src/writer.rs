//! [`ArrayWriter`]: an array written to a `.b2nd` file chunk by chunk, in chunk order,
//! without holding it (`shared/spec/b2nd.md` 1, 7).
//!
//! Memory holds the chunk offsets only (8 bytes a chunk); the header, with the `b2nd`
//! metalayer, is written last, so the shape may change until then (a table whose length is
//! known at the end). Chunks come as uncompressed bytes, as compressed chunks (compressed
//! elsewhere, in parallel), as runs of empty chunks (special zero chunks: no bytes in the
//! file), or as the few non-zero blocks of a chunk
//! ([`blosc2_core::chunk::SparseChunkEncoder`]). The file holds the bytes
//! [`NdArray::from_bytes`] then [`NdArray::save`] write for the same content, and is
//! written under a temporary name renamed over the target by [`ArrayWriter::finish`]
//! (see [`blosc2_core::frame::FrameWriter`]).
//!
//! ```
//! use blosc2_nd::{ArrayWriter, DType, NdArray, Options};
//!
//! let dir = std::env::temp_dir().join(format!("b2nd-writer-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("column.b2nd");
//! let dtype = DType::parse("<i8").unwrap();
//! // A column of unknown length: chunks of 4 items, the shape set at the end.
//! let mut w = ArrayWriter::create(&path, &[0], &dtype, &Options::new().chunks(&[4]).blocks(&[2])).unwrap();
//! let items: Vec<i64> = (0..10).collect();
//! for c in items.chunks(4) {
//!     let mut bytes: Vec<u8> = c.iter().flat_map(|v| v.to_le_bytes()).collect();
//!     bytes.resize(w.chunk_nbytes(), 0); // the last chunk is padded
//!     w.append_chunk(&bytes).unwrap();
//! }
//! w.set_shape(&[10]).unwrap();
//! w.finish().unwrap();
//! assert_eq!(NdArray::open(&path).unwrap().to_vec::<i64>().unwrap(), items);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::path::Path;
use std::sync::OnceLock;

use blosc2_core::chunk::{self, ChunkHeader, CompressParams, SparseChunkEncoder, SpecialKind};
use blosc2_core::frame::FrameWriter;
use blosc2_core::tune::{compress_tuned, Fixed, Tuner, TunerSlot};

use crate::array::{NdArray, Options};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::geometry::Geometry;
use crate::metalayer::{B2ndMeta, NAME};

/// Writes an array to a new `.b2nd` file chunk by chunk (see the [module](self) docs).
#[derive(Debug)]
pub struct ArrayWriter {
    w: FrameWriter,
    geom: Geometry,
    meta: B2ndMeta,
    dtype: DType,
    cparams: CompressParams,
    chunk_nbytes: usize,
    /// A special zeros chunk of `chunk_nbytes`.
    zeros: Vec<u8>,
    /// The encoder of [`ArrayWriter::append_blocks`], made on first use.
    sparse: OnceLock<SparseChunkEncoder>,
    /// The tuner choosing the parameters of the chunks `append_chunk` compresses.
    tuner: TunerSlot,
}

impl ArrayWriter {
    /// Starts an array of `shape` and `dtype` at `path` (replaced by
    /// [`ArrayWriter::finish`]), with chunk and block shapes, compression parameters and
    /// extra metalayers from `opts` as [`NdArray::zeros`] takes them.
    ///
    /// # Errors
    /// As [`NdArray::zeros`], plus [`Error::Core`] for I/O errors.
    pub fn create(path: impl AsRef<Path>, shape: &[u64], dtype: &DType, opts: &Options) -> Result<ArrayWriter> {
        let a = NdArray::create(shape, dtype, opts)?;
        let chunk_nbytes = if a.geom.ndim() == 0 { a.geom.typesize() } else { a.geom.chunk_nbytes() };
        let s = a.schunk();
        let cparams = s.cparams().clone();
        let mut w = FrameWriter::create(path.as_ref(), cparams.clone(), s.metalayers().clone(), false)?;
        *w.vlmetalayers_mut() = s.vlmetalayers().clone();
        w.set_chunksize(chunk_nbytes)?;
        let zeros = s.special_chunk(SpecialKind::Zeros, chunk_nbytes, &[])?;
        Ok(ArrayWriter {
            w,
            geom: a.geom,
            meta: a.meta,
            dtype: a.dtype,
            cparams,
            chunk_nbytes,
            zeros,
            sparse: OnceLock::new(),
            tuner: TunerSlot::default(),
        })
    }

    /// The geometry (with the current shape).
    pub fn geometry(&self) -> &Geometry {
        &self.geom
    }

    /// The `b2nd` metalayer that will be written.
    pub fn meta(&self) -> &B2ndMeta {
        &self.meta
    }

    /// The dtype.
    pub fn dtype(&self) -> &DType {
        &self.dtype
    }

    /// The parameters chunks are compressed with (and that compressed chunks must have
    /// been made with for the file to equal the one [`NdArray::save`] writes).
    pub fn cparams(&self) -> &CompressParams {
        &self.cparams
    }

    /// Uncompressed bytes of a chunk: the chunk shape padded to whole blocks, blocks one
    /// after the other, each in C order.
    pub fn chunk_nbytes(&self) -> usize {
        self.chunk_nbytes
    }

    /// Chunks appended so far.
    pub fn nchunks(&self) -> u64 {
        self.w.nchunks()
    }

    /// A new encoder of this array's chunks from their non-zero blocks, for callers that
    /// build chunks on several threads and append them with
    /// [`ArrayWriter::append_compressed`].
    ///
    /// # Errors
    /// Invalid compression parameters.
    pub fn sparse_encoder(&self) -> Result<SparseChunkEncoder> {
        Ok(SparseChunkEncoder::new(&self.cparams, self.chunk_nbytes)?)
    }

    /// Compresses and appends the next chunk: `data` is its uncompressed content
    /// ([`ArrayWriter::chunk_nbytes`] bytes, padding included). A chunk of zeros becomes
    /// a special zero chunk, as [`blosc2_core::chunk::compress`] makes it.
    ///
    /// # Errors
    /// [`Error::BufferSize`]; compression and I/O errors.
    pub fn append_chunk(&mut self, data: &[u8]) -> Result<()> {
        if data.len() != self.chunk_nbytes {
            return Err(Error::BufferSize { expected: self.chunk_nbytes as u64, found: data.len() as u64 });
        }
        let c = match &mut self.tuner.0 {
            None => chunk::compress(&self.cparams, data)?,
            Some(t) => {
                let index = self.w.nchunks();
                compress_tuned(t.as_mut(), index, &self.cparams, Fixed { blocksize: true }, data, chunk::compress)?
            }
        };
        self.w.append_chunk_bytes(&c)?;
        Ok(())
    }

    /// Sets the tuner that chooses the parameters of the chunks
    /// [`ArrayWriter::append_chunk`] compresses from then on (`None`: the array's own). The
    /// typesize and block size stay the array's.
    pub fn set_tuner(&mut self, tuner: Option<Box<dyn Tuner>>) {
        self.tuner = TunerSlot(tuner);
    }

    /// Takes the tuner out (see [`ArrayWriter::set_tuner`]).
    pub fn take_tuner(&mut self) -> Option<Box<dyn Tuner>> {
        self.tuner.0.take()
    }

    /// Appends a compressed chunk (compressed with [`ArrayWriter::cparams`], or any chunk
    /// of [`ArrayWriter::chunk_nbytes`] bytes).
    ///
    /// # Errors
    /// [`Error::ChunkMismatch`] for a chunk of another size; chunk header and I/O errors.
    pub fn append_compressed(&mut self, chunk: &[u8]) -> Result<()> {
        let h = ChunkHeader::parse(chunk).map_err(Error::Core)?;
        if h.nbytes != self.chunk_nbytes {
            return Err(Error::ChunkMismatch {
                index: self.nchunks(),
                reason: "chunk size differs from the padded chunk shape",
                expected: self.chunk_nbytes as u64,
                found: h.nbytes as u64,
            });
        }
        self.w.append_chunk_bytes(chunk)?;
        Ok(())
    }

    /// Appends `count` chunks of zeros (special zero chunks: 8 bytes of offsets each).
    ///
    /// # Errors
    /// I/O errors; too many chunks for a frame.
    pub fn append_zeros(&mut self, count: u64) -> Result<()> {
        self.w.append_chunk_repeated(&self.zeros, count)?;
        Ok(())
    }

    /// Appends the chunk whose blocks are zeros except `blocks` (block index in the chunk,
    /// block bytes), in increasing index order, without compressing the empty blocks (see
    /// [`SparseChunkEncoder::encode`]).
    ///
    /// # Errors
    /// As [`SparseChunkEncoder::encode`]; I/O errors.
    pub fn append_blocks<B: AsRef<[u8]>>(&mut self, blocks: &[(usize, B)]) -> Result<()> {
        let enc = match self.sparse.get() {
            Some(e) => e,
            None => {
                let e = self.sparse_encoder()?;
                self.sparse.get_or_init(|| e)
            }
        };
        let c = enc.encode(blocks)?;
        self.w.append_chunk_bytes(&c)?;
        Ok(())
    }

    /// Changes the shape written (same number of dimensions; the chunk and block shapes
    /// stay), for arrays whose extent is known only at the end. The chunks appended by
    /// [`ArrayWriter::finish`] must be the ones this shape needs.
    ///
    /// # Errors
    /// [`Error::Shape`] for another number of dimensions or an invalid shape.
    pub fn set_shape(&mut self, shape: &[u64]) -> Result<()> {
        let n = self.geom.ndim();
        if shape.len() != n {
            return Err(Error::shape(
                crate::error::ShapeErrorKind::RankMismatch,
                "shape",
                0,
                shape.len() as i64,
                n as i64,
            ));
        }
        let geom = Geometry::new(shape, self.geom.chunkshape(), self.geom.blockshape(), self.geom.typesize())?;
        let mut meta = self.meta.clone();
        meta.shape = shape.iter().map(|&s| s as i64).collect();
        self.w.update_metalayer(NAME, &meta.encode())?;
        self.geom = geom;
        self.meta = meta;
        Ok(())
    }

    /// Writes the offsets, trailer and header and renames the file over the target (not
    /// `fsync`ed, as [`NdArray::save`]).
    ///
    /// # Errors
    /// [`Error::ChunkMismatch`] when the chunks appended are not the ones the shape needs;
    /// I/O errors. The target is then left as it was.
    pub fn finish(self) -> Result<()> {
        let want = if self.geom.ndim() == 0 { 1 } else { self.geom.nchunks() };
        if self.nchunks() != want {
            return Err(Error::ChunkMismatch {
                index: self.nchunks().min(want),
                reason: "number of chunks differs from the chunk grid",
                expected: want,
                found: self.nchunks(),
            });
        }
        self.w.finish()?;
        Ok(())
    }
}
