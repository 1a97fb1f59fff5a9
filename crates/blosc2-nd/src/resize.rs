//! Resizing (`shared/spec/b2nd.md` 5): chunks that fall outside the new shape are deleted
//! (from the last index down), chunks that become new are inserted as special zero chunks
//! (no data written), and the `b2nd` metalayer is rewritten in place.

use blosc2_core::chunk::SpecialKind;

use crate::array::NdArray;
use crate::error::{Error, Result, ShapeErrorKind as K};
use crate::metalayer::NAME;
use crate::shape::{product, unravel, Geometry};

impl NdArray {
    /// Changes the shape, growing or shrinking any dimension. New regions read as zeros
    /// (elements of surviving edge chunks that become visible show what the chunk held in
    /// its padding, zeros when written by this crate or python-blosc2).
    ///
    /// # Errors
    /// [`Error::Shape`] for a rank change or an invalid new geometry; core errors (a
    /// read-only array cannot be resized).
    pub fn resize(&mut self, new_shape: &[u64]) -> Result<()> {
        let n = self.ndim();
        if new_shape.len() != n {
            return Err(Error::shape(K::RankMismatch, "shape", 0, new_shape.len() as i64, n as i64));
        }
        let new = Geometry::new(new_shape, self.chunks(), self.blocks(), self.geom.typesize())?;
        let old_grid = self.geom.chunk_grid().to_vec();
        let old_n = self.geom.nchunks();
        let new_grid = new.chunk_grid().to_vec();
        let nbytes = self.geom.chunk_nbytes();
        // Shrink: delete chunks outside the new grid, last first.
        let keep_grid: Vec<u64> = (0..n).map(|d| old_grid[d].min(new_grid[d])).collect();
        if old_n > 0 {
            for i in (0..old_n).rev() {
                let c = unravel(i, &old_grid);
                if (0..n).any(|d| c[d] >= new_grid[d]) {
                    self.schunk.delete_chunk(i)?;
                }
            }
        }
        // Grow: insert zero chunks at the new positions, first to last.
        let kept = if old_n == 0 { 0 } else { product(&keep_grid).expect("smaller than before") };
        if new.nchunks() > kept {
            let zero = self.schunk.special_chunk(SpecialKind::Zeros, nbytes, &[])?;
            for i in 0..new.nchunks() {
                let c = unravel(i, &new_grid);
                if kept == 0 || (0..n).any(|d| c[d] >= keep_grid[d]) {
                    self.schunk.insert_chunk(i, zero.clone())?;
                }
            }
        }
        self.meta.shape = new_shape.iter().map(|&s| s as i64).collect();
        self.schunk.metalayers_mut().update(NAME, &self.meta.encode())?;
        self.schunk.flush()?;
        self.geom = new;
        Ok(())
    }
}
