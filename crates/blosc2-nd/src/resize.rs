//! Resizing (`shared/spec/b2nd.md` 5): chunks that fall outside the new shape are dropped,
//! chunks that become new are special zero chunks (no data written), and the `b2nd`
//! metalayer is rewritten in place, all in one change of the super-chunk (one commit on disk,
//! not `fsync`ed, like every change: `docs/concurrency.md`).

use blosc2_core::chunk::SpecialKind;

use crate::array::NdArray;
use crate::error::{Error, Result, ShapeErrorKind as K};
use crate::metalayer::NAME;
use crate::shape::{ravel, unravel, Geometry};

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
        let new_grid = new.chunk_grid().to_vec();
        // Chunk k of the new grid is the old chunk at the same grid coordinates when the
        // old grid had one there, else a special zero chunk; old chunks outside the new
        // grid are dropped. One change of the super-chunk (one commit on disk).
        let old_n = self.geom.nchunks();
        let plan: Vec<Option<u64>> = (0..new.nchunks())
            .map(|k| {
                let c = unravel(k, &new_grid);
                let inside = old_n > 0 && (0..n).all(|d| c[d] < old_grid[d]);
                inside.then(|| ravel(&c, &old_grid))
            })
            .collect();
        let zero = self.schunk.special_chunk(SpecialKind::Zeros, self.geom.chunk_nbytes(), &[])?;
        // The new shape goes into the metalayer first, so that the chunks and the shape are
        // committed together (on disk, one commit: never the new chunks with the old shape).
        let mut meta = self.meta.clone();
        meta.shape = new_shape.iter().map(|&s| s as i64).collect();
        self.schunk.metalayers_mut().update(NAME, &meta.encode())?;
        if let Err(e) = self.schunk.rearrange(&plan, zero) {
            // Same length as the content just replaced, so this cannot fail.
            let _ = self.schunk.metalayers_mut().update(NAME, &self.meta.encode());
            return Err(e.into());
        }
        self.meta = meta;
        self.geom = new;
        Ok(())
    }
}
