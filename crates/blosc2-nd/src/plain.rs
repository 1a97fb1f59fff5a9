//! Plain super-chunks (a `.b2frame` without a `b2nd` metalayer, as python-blosc2's
//! `SChunk` writes) seen as 1-D arrays of their `typesize`-byte items, so that the strided
//! and reduced reads ([`NdArray::read_strided`], [`NdArray::read_reduced`]) and the chunk
//! metadata work on them as on any array.
//!
//! The chunks of such a frame all hold `chunksize` bytes but the last, which holds the rest:
//! the view's chunk shape is `chunksize / typesize` items and its block shape the first
//! chunk's block size (or the whole chunk). Nothing is written to the frame.

use std::path::Path;

use blosc2_core::chunk::ChunkHeader;
use blosc2_core::schunk::SChunk;

use crate::array::NdArray;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::geometry::Geometry;
use crate::metalayer::{B2ndMeta, NAME};

impl NdArray {
    /// A super-chunk without a `b2nd` metalayer as a 1-D array of its items: unsigned
    /// integers for item sizes of 1, 2, 4 and 8 bytes (little-endian), else raw bytes
    /// (`|S<typesize>`).
    ///
    /// Read such an array with [`NdArray::read_strided`] and [`NdArray::read_reduced`]:
    /// the box reads ([`NdArray::read_box`]) expect chunks of the padded chunk shape and
    /// refuse a short last chunk.
    ///
    /// # Errors
    /// [`Error::DtypeMismatch`] when the super-chunk has a `b2nd` metalayer (open it as an
    /// array) ; [`Error::ChunkMismatch`] when it has no fixed chunk size, when its sizes are
    /// not whole items or when its chunk count does not fit its size.
    pub fn from_plain_schunk(schunk: SChunk) -> Result<NdArray> {
        if schunk.metalayers().get(NAME).is_some() {
            return Err(Error::DtypeMismatch {
                expected: "a super-chunk without a b2nd metalayer".into(),
                found: "a b2nd array".into(),
            });
        }
        let ts = schunk.typesize().max(1);
        let mismatch = |reason, expected: u64, found: u64| Error::ChunkMismatch { index: 0, reason, expected, found };
        let nbytes = schunk.nbytes();
        let nchunks = schunk.nchunks();
        let chunksize = u64::try_from(schunk.chunksize()).unwrap_or(0);
        if nchunks > 0 && chunksize == 0 {
            return Err(mismatch("the super-chunk has no fixed chunk size", 1, 0));
        }
        if !chunksize.is_multiple_of(ts as u64) || !nbytes.is_multiple_of(ts as u64) {
            return Err(mismatch("sizes are not whole items", ts as u64, chunksize));
        }
        let want = if chunksize == 0 { 0 } else { nbytes.div_ceil(chunksize) };
        if nchunks != want {
            return Err(Error::ChunkMismatch {
                index: nchunks.min(want),
                reason: "number of chunks differs from the size and chunk size",
                expected: want,
                found: nchunks,
            });
        }
        let len = nbytes / ts as u64;
        let chunk_items = chunksize / ts as u64;
        // The block size of the first chunk, when it is whole items inside the chunk.
        let first_block = if nchunks > 0 {
            let c = schunk.chunk(0)?;
            ChunkHeader::parse(&c)?.blocksize() as u64
        } else {
            0
        };
        let block_items = match first_block / ts as u64 {
            b if b > 0 && first_block % ts as u64 == 0 && b <= chunk_items => b,
            _ => chunk_items,
        };
        let dtype = match ts {
            1 => DType::parse("|u1")?,
            2 => DType::parse("<u2")?,
            4 => DType::parse("<u4")?,
            8 => DType::parse("<u8")?,
            _ => DType::bytes_of(ts),
        };
        let geom = Geometry::new(&[len], &[chunk_items], &[block_items], ts)?;
        let narrow = |v: u64| i32::try_from(v).unwrap_or(i32::MAX);
        let meta = B2ndMeta {
            version: 0,
            shape: vec![len as i64],
            chunkshape: vec![narrow(chunk_items)],
            blockshape: vec![narrow(block_items)],
            dtype_format: 0,
            dtype: Some(dtype.as_str().to_string()),
        };
        let mut cparams = schunk.cparams().clone();
        cparams.nthreads = 1;
        Ok(NdArray { schunk, geom, dtype, meta, cparams })
    }

    /// Opens a plain super-chunk file (or sparse-frame directory) read-only as a 1-D array
    /// ([`NdArray::from_plain_schunk`]).
    ///
    /// # Errors
    /// Frame errors; as [`NdArray::from_plain_schunk`].
    pub fn open_plain(path: impl AsRef<Path>) -> Result<NdArray> {
        Self::from_plain_schunk(SChunk::open(path.as_ref())?)
    }

    /// As [`NdArray::open_plain`], through a memory map (see [`NdArray::open_mapped`]).
    ///
    /// # Errors
    /// As [`NdArray::open_plain`], plus [`blosc2_core::Error::Io`] when the file cannot be
    /// mapped.
    #[cfg(feature = "mmap")]
    pub fn open_plain_mapped(path: impl AsRef<Path>) -> Result<NdArray> {
        Self::from_plain_schunk(SChunk::open_mapped(path.as_ref())?)
    }

    /// Whether this is a plain super-chunk seen as an array ([`NdArray::from_plain_schunk`]):
    /// it has no `b2nd` metalayer.
    pub fn is_plain(&self) -> bool {
        self.schunk.metalayers().get(NAME).is_none()
    }

    /// The uncompressed size chunk `index` must have: the padded chunk shape's, or for a
    /// plain super-chunk the chunk size (the rest for the last chunk).
    pub(crate) fn expected_chunk_nbytes(&self, index: u64) -> usize {
        let g = &self.geom;
        if !self.is_plain() {
            return g.chunk_nbytes();
        }
        let cs = g.chunkshape().first().copied().unwrap_or(0) * g.typesize() as u64;
        let total = g.nitems() * g.typesize() as u64;
        cs.min(total.saturating_sub(index * cs)) as usize
    }
}
