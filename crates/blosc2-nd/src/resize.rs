//! Resizing (`shared/spec/b2nd.md` 5): chunks that fall outside the new shape are dropped,
//! chunks that become new are special zero chunks (no data written), and the `b2nd`
//! metalayer is rewritten in place, all in one change of the super-chunk (one commit on disk,
//! not `fsync`ed, like every change: `docs/concurrency.md`).

use blosc2_core::chunk::SpecialKind;

use crate::array::NdArray;
use crate::error::{Error, Result, ShapeErrorKind as K};
use crate::geometry::{ravel, Geometry};
use crate::metalayer::NAME;

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
        // (An empty array's grid has a zero extent: no old chunk is inside it.)
        let plan = chunk_plan(&old_grid, &new_grid);
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

/// For each chunk of `new_grid` in C order, the index of the chunk of `old_grid` at the same
/// grid coordinates, or `None` where the old grid has none. The coordinates are stepped like
/// an odometer rather than recomputed for every chunk.
fn chunk_plan(old_grid: &[u64], new_grid: &[u64]) -> Vec<Option<u64>> {
    let total: u64 = new_grid.iter().product();
    let mut plan = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    let mut c = vec![0u64; new_grid.len()];
    for _ in 0..total {
        let inside = c.iter().zip(old_grid).all(|(&x, &g)| x < g);
        plan.push(inside.then(|| ravel(&c, old_grid)));
        for d in (0..c.len()).rev() {
            c[d] += 1;
            if c[d] < new_grid[d] {
                break;
            }
            c[d] = 0;
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::chunk_plan;
    use crate::geometry::{ravel, unravel};

    /// The stepped plan against the definition: each new chunk's coordinates, looked up in
    /// the old grid.
    #[test]
    fn chunk_plan_maps_grid_coordinates() {
        let grids: [(&[u64], &[u64]); 7] = [
            (&[7, 7, 7], &[8, 7, 7]),
            (&[8, 7, 7], &[7, 7, 7]),
            (&[3, 4, 5], &[5, 2, 6]),
            (&[1], &[4]),
            (&[4, 1], &[2, 3]),
            (&[2, 3, 1, 2], &[3, 3, 2, 1]),
            (&[5, 5], &[0, 5]),
        ];
        for (old, new) in grids {
            let want: Vec<Option<u64>> = (0..new.iter().product::<u64>())
                .map(|k| {
                    let c = unravel(k, new);
                    c.iter().zip(old).all(|(&x, &g)| x < g).then(|| ravel(&c, old))
                })
                .collect();
            assert_eq!(chunk_plan(old, new), want, "{old:?} -> {new:?}");
        }
    }
}
