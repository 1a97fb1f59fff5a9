//! Array geometry (`shared/spec/b2nd.md` 2 and 3): the chunk and block grids of an array,
//! where an element lives, and the row-major index maths (products, strides, C-order
//! linear indices) the rest of the crate builds on.

use crate::error::{Error, Result, ShapeErrorKind as K};
use crate::metalayer::MAX_DIM;
use blosc2_core::header::{MAX_BLOCKSIZE, MAX_BUFFERSIZE};

/// The geometry of an array: shape, chunk shape, block shape and element size, with the
/// derived grids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Geometry {
    shape: Vec<u64>,
    chunkshape: Vec<u64>,
    blockshape: Vec<u64>,
    typesize: usize,
    extchunkshape: Vec<u64>,
    grid: Vec<u64>,
    blocks_per_chunk: Vec<u64>,
    nchunks: u64,
}

/// Number of items of a shape (1 for 0-d), or `None` on overflow.
pub fn product(shape: &[u64]) -> Option<u64> {
    shape.iter().try_fold(1u64, |a, &s| a.checked_mul(s))
}

/// Row-major strides (in elements) of `shape`.
pub fn strides(shape: &[u64]) -> Vec<u64> {
    let mut s = vec![1u64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

/// Converts signed extents, rejecting negative ones.
pub fn to_unsigned(what: &'static str, v: &[i64]) -> Result<Vec<u64>> {
    v.iter().enumerate().map(|(d, &x)| u64::try_from(x).map_err(|_| Error::shape(K::Negative, what, d, x, 0))).collect()
}

impl Geometry {
    /// Checks and derives a geometry. Rules of C-Blosc2 3.3 plus python-blosc2's
    /// `blocks <= chunks`; every product checked for overflow and the chunk and block sizes
    /// against the format limits.
    ///
    /// # Errors
    /// [`Error::Shape`] naming the shape and dimension at fault.
    pub fn new(shape: &[u64], chunkshape: &[u64], blockshape: &[u64], typesize: usize) -> Result<Geometry> {
        let n = shape.len();
        if n > MAX_DIM {
            return Err(Error::shape(K::TooManyDims, "shape", n, n as i64, MAX_DIM as i64));
        }
        for (what, s) in [("chunks", chunkshape), ("blocks", blockshape)] {
            if s.len() != n {
                return Err(Error::shape(K::RankMismatch, what, 0, s.len() as i64, n as i64));
            }
        }
        if typesize == 0 {
            return Err(Error::shape(K::Zero, "typesize", 0, 0, 1));
        }
        let big = |what, d, v: u64| Error::shape(K::Overflow, what, d, v.min(i64::MAX as u64) as i64, i64::MAX);
        let mut extchunkshape = Vec::with_capacity(n);
        let mut grid = Vec::with_capacity(n);
        let mut bpc = Vec::with_capacity(n);
        for d in 0..n {
            let (s, c, b) = (shape[d], chunkshape[d], blockshape[d]);
            if s > i64::MAX as u64 {
                return Err(big("shape", d, s));
            }
            if c > i32::MAX as u64 {
                return Err(big("chunks", d, c));
            }
            if c == 0 && s > 0 {
                return Err(Error::shape(K::Zero, "chunks", d, 0, 1));
            }
            if b == 0 && c > 0 {
                return Err(Error::shape(K::Zero, "blocks", d, 0, 1));
            }
            if b > c {
                return Err(Error::shape(K::NotNested, "blocks", d, b as i64, c as i64));
            }
            let ext = if b == 0 { 0 } else { c.div_ceil(b) * b };
            extchunkshape.push(ext);
            grid.push(if c == 0 { 0 } else { s.div_ceil(c) });
            bpc.push(ext.checked_div(b).unwrap_or(0));
        }
        let chunk_items = product(&extchunkshape).ok_or_else(|| big("chunks", 0, u64::MAX))?;
        let chunk_bytes = chunk_items.checked_mul(typesize as u64).ok_or_else(|| big("chunks", 0, u64::MAX))?;
        if chunk_bytes > MAX_BUFFERSIZE as u64 {
            return Err(Error::shape(K::Overflow, "chunks", 0, chunk_bytes as i64, MAX_BUFFERSIZE as i64));
        }
        let block_bytes = product(blockshape).unwrap_or(u64::MAX).saturating_mul(typesize as u64);
        if block_bytes > MAX_BLOCKSIZE as u64 {
            return Err(Error::shape(K::Overflow, "blocks", 0, block_bytes as i64, MAX_BLOCKSIZE as i64));
        }
        let nchunks = if shape.contains(&0) { 0 } else { product(&grid).ok_or_else(|| big("shape", 0, u64::MAX))? };
        let nitems = product(shape).ok_or_else(|| big("shape", 0, u64::MAX))?;
        nitems.checked_mul(typesize as u64).ok_or_else(|| big("shape", 0, u64::MAX))?;
        nchunks.checked_mul(chunk_bytes).filter(|&v| v <= i64::MAX as u64).ok_or_else(|| big("shape", 0, u64::MAX))?;
        Ok(Geometry {
            shape: shape.to_vec(),
            chunkshape: chunkshape.to_vec(),
            blockshape: blockshape.to_vec(),
            typesize,
            extchunkshape,
            grid,
            blocks_per_chunk: bpc,
            nchunks,
        })
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The array shape.
    pub fn shape(&self) -> &[u64] {
        &self.shape
    }

    /// The chunk shape.
    pub fn chunkshape(&self) -> &[u64] {
        &self.chunkshape
    }

    /// The block shape.
    pub fn blockshape(&self) -> &[u64] {
        &self.blockshape
    }

    /// Element size in bytes.
    pub fn typesize(&self) -> usize {
        self.typesize
    }

    /// The chunk shape rounded up to whole blocks.
    pub fn extchunkshape(&self) -> &[u64] {
        &self.extchunkshape
    }

    /// Chunks per dimension.
    pub fn chunk_grid(&self) -> &[u64] {
        &self.grid
    }

    /// Blocks per chunk per dimension.
    pub fn blocks_per_chunk(&self) -> &[u64] {
        &self.blocks_per_chunk
    }

    /// Number of chunks.
    pub fn nchunks(&self) -> u64 {
        self.nchunks
    }

    /// Number of elements.
    pub fn nitems(&self) -> u64 {
        product(&self.shape).expect("checked in new")
    }

    /// Uncompressed bytes of every chunk (padding included).
    pub fn chunk_nbytes(&self) -> usize {
        product(&self.extchunkshape).expect("checked") as usize * self.typesize
    }

    /// Items per block.
    pub fn block_items(&self) -> usize {
        product(&self.blockshape).expect("checked") as usize
    }

    /// Bytes per block.
    pub fn block_nbytes(&self) -> usize {
        self.block_items() * self.typesize
    }

    /// Blocks per chunk.
    pub fn nblocks(&self) -> usize {
        product(&self.blocks_per_chunk).expect("checked") as usize
    }

    /// Chunk coordinates of chunk `index`.
    pub fn chunk_coords(&self, index: u64) -> Vec<u64> {
        unravel(index, &self.grid)
    }

    /// Chunk index of chunk coordinates.
    pub fn chunk_index(&self, coords: &[u64]) -> u64 {
        ravel(coords, &self.grid)
    }

    /// The chunk index of element `idx` and its byte offset in the decompressed chunk
    /// (`shared/spec/b2nd.md` 3); `None` when `idx` is not inside the array.
    pub fn locate(&self, idx: &[u64]) -> Option<(u64, usize)> {
        let n = self.ndim();
        if idx.len() != n || (0..n).any(|d| idx[d] >= self.shape[d]) {
            return None;
        }
        let mut c = vec![0; n];
        let mut b = vec![0; n];
        let mut q = vec![0; n];
        for d in 0..n {
            c[d] = idx[d] / self.chunkshape[d];
            let p = idx[d] % self.chunkshape[d];
            b[d] = p / self.blockshape[d];
            q[d] = p % self.blockshape[d];
        }
        let bi = ravel(&b, &self.blocks_per_chunk) as usize;
        let ei = ravel(&q, &self.blockshape) as usize;
        Some((self.chunk_index(&c), (bi * self.block_items() + ei) * self.typesize))
    }
}

/// C-order linear index of `coords` in `grid`.
pub fn ravel(coords: &[u64], grid: &[u64]) -> u64 {
    coords.iter().zip(grid).fold(0u64, |a, (&c, &g)| a * g + c)
}

/// Coordinates of C-order linear index `i` in `grid`.
pub fn unravel(mut i: u64, grid: &[u64]) -> Vec<u64> {
    let mut out = vec![0; grid.len()];
    for d in (0..grid.len()).rev() {
        if grid[d] > 0 {
            out[d] = i % grid[d];
            i /= grid[d];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_worked_example() {
        let g = Geometry::new(&[7, 10, 13], &[4, 6, 5], &[3, 4, 2], 4).unwrap();
        assert_eq!(g.extchunkshape(), &[6, 8, 6]);
        assert_eq!(g.chunk_grid(), &[2, 2, 3]);
        assert_eq!(g.nchunks(), 12);
        assert_eq!(g.chunk_nbytes(), 1152);
        assert_eq!(g.block_nbytes(), 96);
        assert_eq!(g.locate(&[6, 9, 12]), Some((11, 184)));
        assert_eq!(g.locate(&[1, 5, 3]), Some((0, 428)));
        assert_eq!(g.locate(&[5, 7, 11]), Some((11, 44)));
        assert_eq!(g.locate(&[7, 0, 0]), None);
    }

    #[test]
    fn invalid_geometries_are_typed_errors() {
        let e = Geometry::new(&[10, 10], &[5, 5], &[6, 5], 4).unwrap_err();
        assert!(matches!(e, Error::Shape { kind: K::NotNested, dim: 0, .. }), "{e}");
        assert!(matches!(Geometry::new(&[10], &[0], &[0], 4), Err(Error::Shape { kind: K::Zero, .. })));
        assert!(matches!(Geometry::new(&[10], &[5, 5], &[5, 5], 4), Err(Error::Shape { kind: K::RankMismatch, .. })));
        assert!(matches!(
            Geometry::new(&[1 << 40, 1 << 40], &[1 << 20, 1 << 20], &[1, 1], 1),
            Err(Error::Shape { kind: K::Overflow, .. })
        ));
        assert!(matches!(Geometry::new(&[u64::MAX; 3], &[1; 3], &[1; 3], 1), Err(Error::Shape { .. })));
        assert!(matches!(to_unsigned("shape", &[3, -1]), Err(Error::Shape { kind: K::Negative, dim: 1, .. })));
        assert_eq!(Geometry::new(&[0, 5], &[0, 5], &[0, 5], 4).unwrap().nchunks(), 0);
        assert_eq!(Geometry::new(&[], &[], &[], 8).unwrap().chunk_nbytes(), 8);
    }
}
