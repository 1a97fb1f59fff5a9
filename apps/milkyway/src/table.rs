//! The star table of a galaxy: 1-D b2nd arrays `stars/{source_id,x,y,z,mag}.b2nd` in
//! chunk order (chunk, offset in chunk, source_id), with an index of the rows of every
//! non-empty cube chunk (`stars/chunk_nchunk.b2nd`, `stars/chunk_start.b2nd`).

use std::ops::Range;
use std::path::Path;

use anyhow::{ensure, Result};
use blosc2_nd::{NdArray, Region};

use crate::cube::TABLE_FILES;
use crate::explore::open_array;
use crate::reader::Star;

/// An opened star table.
pub struct StarTable {
    cols: Vec<NdArray>,
    /// Number of stars.
    pub len: u64,
    /// Non-empty chunk numbers, ascending.
    pub chunk_nchunk: Vec<u64>,
    /// First row of each non-empty chunk (plus `len` at the end).
    pub chunk_start: Vec<u64>,
}

fn as_i64(b: &[u8]) -> Vec<i64> {
    b.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("8"))).collect()
}

fn as_f64(b: &[u8]) -> Vec<f64> {
    b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8"))).collect()
}

impl StarTable {
    /// Opens the table of the galaxy directory `galaxy`.
    ///
    /// # Errors
    /// Missing or inconsistent files.
    pub fn open(galaxy: &Path) -> Result<StarTable> {
        let dir = galaxy.join("stars");
        let cols: Vec<NdArray> = TABLE_FILES.iter().map(|f| open_array(&dir.join(f))).collect::<Result<_>>()?;
        for c in &cols {
            ensure!(c.ndim() == 1, "star table column of {} dimensions in {}", c.ndim(), dir.display());
        }
        let len = cols[0].shape()[0];
        for c in &cols[1..5] {
            ensure!(c.shape()[0] == len, "star table columns of different lengths in {}", dir.display());
        }
        let nidx = cols[5].shape()[0];
        let chunk_nchunk = as_i64(&cols[5].read_box(&Region::from_start_stop(&[0], &[nidx])?)?)
            .into_iter()
            .map(|v| v as u64)
            .collect();
        let mut chunk_start: Vec<u64> = as_i64(&cols[6].read_box(&Region::from_start_stop(&[0], &[nidx])?)?)
            .into_iter()
            .map(|v| v as u64)
            .collect();
        chunk_start.push(len);
        Ok(StarTable { cols, len, chunk_nchunk, chunk_start })
    }

    /// Rows of the stars in cube chunk `nchunk` (empty when it has none).
    pub fn rows_of_chunk(&self, nchunk: u64) -> Range<u64> {
        match self.chunk_nchunk.binary_search(&nchunk) {
            Ok(k) => self.chunk_start[k]..self.chunk_start[k + 1],
            Err(_) => 0..0,
        }
    }

    /// The stars of rows `r` (distance recomputed from the position).
    ///
    /// # Errors
    /// Read errors.
    pub fn read(&self, r: Range<u64>) -> Result<Vec<Star>> {
        if r.is_empty() {
            return Ok(Vec::new());
        }
        let region = Region::from_start_stop(&[r.start], &[r.end])?;
        let col = |k: usize| self.cols[k].read_box(&region);
        let ids = as_i64(&col(0)?);
        let x = as_f64(&col(1)?);
        let y = as_f64(&col(2)?);
        let z = as_f64(&col(3)?);
        let m = col(4)?;
        Ok((0..ids.len())
            .map(|i| {
                let pos = [x[i], y[i], z[i]];
                Star {
                    source_id: ids[i],
                    pos,
                    d_ly: (pos[0] * pos[0] + pos[1] * pos[1] + pos[2] * pos[2]).sqrt(),
                    mag: f32::from_le_bytes(m[4 * i..4 * i + 4].try_into().expect("4")),
                }
            })
            .collect())
    }

    /// The positions (x, y, z in ly) of rows `r`: three columns read of the five.
    ///
    /// # Errors
    /// Read errors.
    pub fn read_positions(&self, r: Range<u64>) -> Result<[Vec<f64>; 3]> {
        if r.is_empty() {
            return Ok([Vec::new(), Vec::new(), Vec::new()]);
        }
        let region = Region::from_start_stop(&[r.start], &[r.end])?;
        let col = |k: usize| -> Result<Vec<f64>> { Ok(as_f64(&self.cols[k].read_box(&region)?)) };
        Ok([col(1)?, col(2)?, col(3)?])
    }

    /// The row and the star of `source_id` (the first such row), scanning the source_id
    /// column a table chunk at a time.
    ///
    /// # Errors
    /// Read errors.
    pub fn find(&self, source_id: i64) -> Result<Option<(u64, Star)>> {
        let step = crate::cube::TABLE_CHUNK as u64;
        let want = source_id.to_le_bytes();
        let mut at = 0;
        while at < self.len {
            let end = (at + step).min(self.len);
            let ids = self.cols[0].read_box(&Region::from_start_stop(&[at], &[end])?)?;
            if let Some(i) = ids.chunks_exact(8).position(|c| c == want) {
                let row = at + i as u64;
                let s = self.read(row..row + 1)?.pop();
                return Ok(s.map(|s| (row, s)));
            }
            at = end;
        }
        Ok(None)
    }

    /// Calls `f` with every star in table order, reading a table chunk at a time.
    ///
    /// # Errors
    /// Read errors and the errors of `f`.
    pub fn for_each_star(&self, mut f: impl FnMut(Star) -> Result<()>) -> Result<()> {
        let step = crate::cube::TABLE_CHUNK as u64;
        let mut at = 0;
        while at < self.len {
            let end = (at + step).min(self.len);
            for s in self.read(at..end)? {
                f(s)?;
            }
            at = end;
        }
        Ok(())
    }
}
