//! The n-dimensional geometry of an array's chunks and blocks, for the codecs and filters
//! that work on blocks as n-dimensional tiles (`shared/spec/b2nd.md` 3).
//!
//! C-Blosc2's NDCELL and NDMEAN filters and its NDLZ and ZFP codecs read the `b2nd`
//! metalayer of the super-chunk a chunk belongs to (through `cparams->schunk` and
//! `dparams->schunk`) for the array's number of dimensions, chunk shape and block shape. This
//! crate does not parse that metalayer (the array crate does): whoever knows the array
//! passes an [`NdGeometry`] along, in [`crate::chunk::CompressParams::geometry`] to compress,
//! in a [`crate::chunk::Decompressor`] to decompress, or once for all chunks of a super-chunk with
//! [`crate::schunk::SChunk::set_geometry`].
//!
//! ```
//! use blosc2_core::geometry::NdGeometry;
//!
//! let g = NdGeometry::new(&[100, 130], &[20, 30]).unwrap();
//! assert_eq!(g.ndim(), 2);
//! assert_eq!(g.blockshape(), &[20, 30]);
//! assert_eq!(g.block_items(), Some(600));
//! ```

use crate::error::{Error, Result};

/// Most dimensions a b2nd array has (C: `B2ND_MAX_DIM`).
pub const MAX_DIM: usize = 16;

/// The chunk shape and block shape of the b2nd array a chunk belongs to: the shapes of its
/// `b2nd` metalayer (`int32` values there, so each dimension is at most `i32::MAX`).
///
/// The value is not checked against any chunk: the codecs and filters that use it check
/// that the block they get is `prod(blockshape) * typesize` bytes, as C-Blosc2's do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NdGeometry {
    ndim: u8,
    chunkshape: [usize; MAX_DIM],
    blockshape: [usize; MAX_DIM],
}

impl NdGeometry {
    /// The geometry of an array with this chunk shape and block shape (0 to 16 dimensions).
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when the two shapes differ in length, have more than
    /// [`MAX_DIM`] dimensions, or a dimension exceeds `i32::MAX` (what the metalayer holds).
    pub fn new(chunkshape: &[usize], blockshape: &[usize]) -> Result<NdGeometry> {
        let bad = |name, value: usize, reason| Err(Error::InvalidParam { name, value: value as i64, reason });
        if chunkshape.len() != blockshape.len() {
            return bad("blockshape.len()", blockshape.len(), "must equal the chunk shape's length");
        }
        if chunkshape.len() > MAX_DIM {
            return bad("ndim", chunkshape.len(), "a b2nd array has at most 16 dimensions");
        }
        let max = i32::MAX as usize;
        if let Some(&c) = chunkshape.iter().find(|&&c| c > max) {
            return bad("chunkshape", c, "a dimension must fit an i32");
        }
        if let Some(&b) = blockshape.iter().find(|&&b| b > max) {
            return bad("blockshape", b, "a dimension must fit an i32");
        }
        let mut g = NdGeometry { ndim: chunkshape.len() as u8, chunkshape: [0; MAX_DIM], blockshape: [0; MAX_DIM] };
        g.chunkshape[..chunkshape.len()].copy_from_slice(chunkshape);
        g.blockshape[..blockshape.len()].copy_from_slice(blockshape);
        Ok(g)
    }

    /// Number of dimensions (0 to 16).
    pub fn ndim(&self) -> usize {
        usize::from(self.ndim)
    }

    /// The chunk shape (`ndim` values).
    pub fn chunkshape(&self) -> &[usize] {
        &self.chunkshape[..self.ndim()]
    }

    /// The block shape (`ndim` values).
    pub fn blockshape(&self) -> &[usize] {
        &self.blockshape[..self.ndim()]
    }

    /// Items in a block (`prod(blockshape)`), or `None` when the product overflows.
    pub fn block_items(&self) -> Option<usize> {
        self.blockshape().iter().try_fold(1usize, |n, &b| n.checked_mul(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_checked() {
        let g = NdGeometry::new(&[4, 5, 6], &[2, 5, 3]).unwrap();
        assert_eq!((g.ndim(), g.chunkshape(), g.blockshape()), (3, &[4, 5, 6][..], &[2, 5, 3][..]));
        assert_eq!(g.block_items(), Some(30));
        assert_eq!(NdGeometry::new(&[], &[]).unwrap().block_items(), Some(1));
        let err = |c: &[usize], b: &[usize]| match NdGeometry::new(c, b) {
            Err(Error::InvalidParam { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(err(&[4, 5], &[2]), "blockshape.len()");
        assert_eq!(err(&[1; 17], &[1; 17]), "ndim");
        assert_eq!(err(&[1 << 31], &[1]), "chunkshape");
        assert_eq!(err(&[1], &[1 << 31]), "blockshape");
        let huge = NdGeometry::new(&[i32::MAX as usize; 16], &[i32::MAX as usize; 16]).unwrap();
        assert_eq!(huge.block_items(), None);
    }
}
