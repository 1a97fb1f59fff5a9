//! Building the sparse count cube and the star table from binned stars
//! (`shared/spec/gaia.md` 3.4-3.5).
//!
//! Stars arrive grouped by slabs of chunks (see [`crate::spill`]); within a slab they are
//! sorted by (chunk, offset in chunk, source_id), each non-empty chunk is encoded from its
//! non-empty blocks alone (the core's [`SparseChunkEncoder`], in parallel) and appended in
//! chunk order to the cube's [`ArrayWriter`]; the runs of chunks that got no star are
//! special ZERO chunks.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use blosc2_core::chunk::SparseChunkEncoder;
use blosc2_nd::{ArrayWriter, DType};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cube_store::{array_options, Column1dWriter};
use crate::geom::Grid;
use crate::pyramid::PyramidBuilder;
use crate::reader::Star;

/// Items per chunk of the star-table arrays.
pub const TABLE_CHUNK: usize = 1 << 18;
/// Items per block of the star-table arrays.
pub const TABLE_BLOCK: usize = 1 << 14;

/// Shape, chunk shape and block shape of the cube of a grid (a uint8 array, [`CUBE_DTYPE`]).
pub fn cube_layout(grid: &Grid) -> CubeLayout {
    CubeLayout { shape: [grid.side; 3], chunks: [grid.chunk; 3], blocks: [grid.block; 3] }
}

/// The cube's dtype (star counts, saturating at 255).
pub const CUBE_DTYPE: &str = "|u1";

/// The b2nd layout of a cube.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CubeLayout {
    /// Shape (cells per axis).
    pub shape: [u64; 3],
    /// Chunk shape.
    pub chunks: [u64; 3],
    /// Block shape.
    pub blocks: [u64; 3],
}

/// Statistics of a built cube, gathered while writing it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CubeStats {
    /// Stars binned.
    pub stars: u64,
    /// Cells with at least one star.
    pub nonempty_cells: u64,
    /// Chunks with at least one star.
    pub nonempty_chunks: u64,
    /// Cells whose count exceeded 255 (stored as 255).
    pub saturated_cells: u64,
    /// The fullest cell (the lowest cell index in C order on ties) and its true count.
    pub max_cell: Option<([u64; 3], u64)>,
    /// Lowest and highest cell index per axis of non-empty cells.
    pub bbox_cells: Option<([u64; 3], [u64; 3])>,
    /// Lowest and highest coordinate in ly per axis of the stars.
    pub bbox_ly: Option<([f64; 3], [f64; 3])>,
    /// Stars per distance bin of `hist_bin_ly` (exact distances of the stars).
    pub distance_histogram: Vec<u64>,
    /// Bin width of the histogram in ly.
    pub hist_bin_ly: f64,
    /// Compressed bytes of the cube's data chunks.
    pub cube_cbytes: u64,
    /// The pyramid written with the cube (None when skipped).
    #[serde(default)]
    pub pyramid: Option<crate::pyramid::PyramidStats>,
}

/// A star with its cell keys.
#[derive(Debug, Clone, Copy)]
struct Keyed {
    nchunk: u64,
    offset: u32,
    star: Star,
}

/// One chunk: number, star range in the sorted slab.
struct Group {
    nchunk: u64,
    lo: usize,
    hi: usize,
}

/// What building one chunk produced.
struct Built {
    chunk: Vec<u8>,
    nonempty_cells: u64,
    saturated: u64,
    max: ([u64; 3], u64),
}

/// Writes the cube and the star table while slabs of stars are fed in chunk order.
pub struct CubeBuilder {
    grid: Grid,
    cube: ArrayWriter,
    next_chunk: u64,
    table: TableWriter,
    index: (Column1dWriter, Column1dWriter),
    rows: u64,
    enc: Arc<SparseChunkEncoder>,
    dir: std::path::PathBuf,
    pyramid: Option<PyramidBuilder>,
    /// Statistics so far.
    pub stats: CubeStats,
}

struct TableWriter {
    source_id: Column1dWriter,
    x: Column1dWriter,
    y: Column1dWriter,
    z: Column1dWriter,
    mag: Column1dWriter,
}

/// File names of a galaxy's star table (under `stars/`).
pub const TABLE_FILES: [&str; 7] =
    ["source_id.b2nd", "x.b2nd", "y.b2nd", "z.b2nd", "mag.b2nd", "chunk_nchunk.b2nd", "chunk_start.b2nd"];

impl CubeBuilder {
    /// Creates `dir/cube.b2nd` and `dir/stars/*.b2nd` (and `dir/pyramid/` at the end when
    /// `pyramid` is set).
    ///
    /// # Errors
    /// I/O errors.
    pub fn create(dir: &Path, grid: Grid, hist_bin_ly: f64, pyramid: bool) -> Result<CubeBuilder> {
        let l = cube_layout(&grid);
        let dtype = DType::parse(CUBE_DTYPE)?;
        let cube = ArrayWriter::create(dir.join("cube.b2nd"), &l.shape, &dtype, &array_options(&l.chunks, &l.blocks))?;
        let sd = dir.join("stars");
        std::fs::create_dir_all(&sd)?;
        let col = |name: &str, dt: &str| Column1dWriter::create(&sd.join(name), dt, TABLE_CHUNK, TABLE_BLOCK);
        let table = TableWriter {
            source_id: col(TABLE_FILES[0], "<i8")?,
            x: col(TABLE_FILES[1], "<f8")?,
            y: col(TABLE_FILES[2], "<f8")?,
            z: col(TABLE_FILES[3], "<f8")?,
            mag: col(TABLE_FILES[4], "<f4")?,
        };
        let index = (col(TABLE_FILES[5], "<i8")?, col(TABLE_FILES[6], "<i8")?);
        let nbins = (grid.radius_ly / hist_bin_ly).ceil().max(1.0) as usize;
        let stats = CubeStats { hist_bin_ly, distance_histogram: vec![0; nbins], ..Default::default() };
        anyhow::ensure!(cube.chunk_nbytes() == grid.chunk_cells(), "chunk buffer of the cube and of its grid differ");
        let enc = Arc::new(cube.sparse_encoder()?);
        let pyramid = pyramid.then(|| PyramidBuilder::new(grid));
        Ok(CubeBuilder {
            grid,
            cube,
            next_chunk: 0,
            table,
            index,
            rows: 0,
            enc,
            dir: dir.to_path_buf(),
            pyramid,
            stats,
        })
    }

    /// Compresses the star table's five columns (source_id, x, y, z, mag) with a tuner of
    /// `cfg` each, over the default search space; the cube and the chunk index keep their
    /// fixed parameters.
    pub fn tune_table(&mut self, cfg: &blosc2_tune::BtuneConfig) {
        let t = &mut self.table;
        for c in [&mut t.source_id, &mut t.x, &mut t.y, &mut t.z, &mut t.mag] {
            let tuner = blosc2_tune::Btune::new(cfg.clone(), blosc2_tune::SearchSpace::default());
            c.set_tuner(Some(Box::new(tuner)));
        }
    }

    /// Adds the stars of a slab: every star must lie in chunks not yet written (slabs come
    /// in chunk order).
    ///
    /// # Errors
    /// A star outside the cube or in an already written chunk; compression and I/O errors.
    pub fn add_slab(&mut self, stars: Vec<Star>) -> Result<()> {
        let g = self.grid;
        let mut keyed = Vec::with_capacity(stars.len());
        for s in stars {
            let Some(c) = g.cell(s.pos) else {
                anyhow::bail!("star {} at {:?} ly lies outside the cube", s.source_id, s.pos);
            };
            let nchunk = g.nchunk(g.chunk_coords(c));
            anyhow::ensure!(nchunk >= self.next_chunk, "stars are not in chunk order");
            keyed.push(Keyed { nchunk, offset: g.offset_in_chunk(c) as u32, star: s });
        }
        keyed.par_sort_unstable_by(|a, b| {
            (a.nchunk, a.offset, a.star.source_id)
                .cmp(&(b.nchunk, b.offset, b.star.source_id))
                .then(a.star.pos[0].total_cmp(&b.star.pos[0]))
                .then(a.star.pos[1].total_cmp(&b.star.pos[1]))
                .then(a.star.pos[2].total_cmp(&b.star.pos[2]))
        });
        let mut groups = Vec::new();
        let mut lo = 0;
        while lo < keyed.len() {
            let n = keyed[lo].nchunk;
            let mut hi = lo;
            while hi < keyed.len() && keyed[hi].nchunk == n {
                hi += 1;
            }
            groups.push(Group { nchunk: n, lo, hi });
            lo = hi;
        }
        let bc = g.block_cells();
        let enc = self.enc.clone();
        // Compress in windows so that at most a bounded number of compressed chunks waits;
        // window k is written (in chunk order, on one thread) while window k + 1 is
        // compressed (on the others).
        let encode = |window: &[Group]| -> Vec<Result<Built>> {
            window
                .par_iter()
                .map(|grp| {
                    let mut nonempty = 0;
                    let mut saturated = 0;
                    let mut max: Option<([u64; 3], u64)> = None;
                    let ks = &keyed[grp.lo..grp.hi];
                    let mut blocks: Vec<(usize, Vec<(u32, u8)>)> = Vec::new();
                    let mut i = 0;
                    while i < ks.len() {
                        let off = ks[i].offset as usize;
                        let mut j = i;
                        while j < ks.len() && ks[j].offset as usize == off {
                            j += 1;
                        }
                        let n = (j - i) as u64;
                        nonempty += 1;
                        if n > 255 {
                            saturated += 1;
                        }
                        let cell = g.cell_at(grp.nchunk, off).expect("offset of a star");
                        if max.is_none_or(|(c, m)| n > m || (n == m && cell < c)) {
                            max = Some((cell, n));
                        }
                        let bn = off / bc;
                        if blocks.last().is_none_or(|(b, _)| *b != bn) {
                            blocks.push((bn, Vec::new()));
                        }
                        blocks.last_mut().expect("pushed").1.push(((off % bc) as u32, n.min(255) as u8));
                        i = j;
                    }
                    let max = max.expect("a non-empty chunk");
                    Ok(Built { chunk: enc.encode_bytes(&blocks)?, nonempty_cells: nonempty, saturated, max })
                })
                .collect()
        };
        let mut pending: Option<(&[Group], Vec<Result<Built>>)> = None;
        for window in groups.chunks(1024).map(Some).chain(std::iter::once(None)) {
            let (next, written) = rayon::join(
                || window.map(|w| (w, encode(w))),
                || match pending.take() {
                    Some((w, built)) => self.write_window(w, built, &keyed),
                    None => Ok(()),
                },
            );
            written?;
            pending = next;
        }
        Ok(())
    }

    /// Appends the chunks of `window` (with the ZERO chunks before each) and their stars.
    fn write_window(&mut self, window: &[Group], built: Vec<Result<Built>>, keyed: &[Keyed]) -> Result<()> {
        for (grp, b) in window.iter().zip(built) {
            let b = b?;
            self.cube.append_zeros(grp.nchunk - self.next_chunk)?;
            self.next_chunk = grp.nchunk;
            self.cube.append_compressed(&b.chunk)?;
            self.next_chunk += 1;
            self.stats.cube_cbytes += b.chunk.len() as u64;
            self.stats.nonempty_chunks += 1;
            self.stats.nonempty_cells += b.nonempty_cells;
            self.stats.saturated_cells += b.saturated;
            let cell = b.max.0;
            if self.stats.max_cell.is_none_or(|(c, m)| b.max.1 > m || (b.max.1 == m && cell < c)) {
                self.stats.max_cell = Some((cell, b.max.1));
            }
            self.index.0.push(&(grp.nchunk as i64).to_le_bytes())?;
            self.index.1.push(&(self.rows as i64).to_le_bytes())?;
            for k in &keyed[grp.lo..grp.hi] {
                self.push_star(&k.star)?;
            }
        }
        Ok(())
    }

    fn push_star(&mut self, s: &Star) -> Result<()> {
        let g = self.grid;
        let c = g.cell(s.pos).expect("checked");
        if let Some(p) = &mut self.pyramid {
            p.add_cell(c);
        }
        let st = &mut self.stats;
        st.stars += 1;
        st.bbox_cells = Some(match st.bbox_cells {
            None => (c, c),
            Some((lo, hi)) => ([0, 1, 2].map(|a| lo[a].min(c[a])), [0, 1, 2].map(|a| hi[a].max(c[a]))),
        });
        st.bbox_ly = Some(match st.bbox_ly {
            None => (s.pos, s.pos),
            Some((lo, hi)) => ([0, 1, 2].map(|a| lo[a].min(s.pos[a])), [0, 1, 2].map(|a| hi[a].max(s.pos[a]))),
        });
        let bin = ((s.d_ly / st.hist_bin_ly) as usize).min(st.distance_histogram.len() - 1);
        st.distance_histogram[bin] += 1;
        let t = &mut self.table;
        // The columns complete their chunks together (same items per chunk): compress them
        // in parallel.
        let full = [
            t.source_id.push_deferred(&s.source_id.to_le_bytes()),
            t.x.push_deferred(&s.pos[0].to_le_bytes()),
            t.y.push_deferred(&s.pos[1].to_le_bytes()),
            t.z.push_deferred(&s.pos[2].to_le_bytes()),
            t.mag.push_deferred(&s.mag.to_le_bytes()),
        ];
        if full.contains(&true) {
            vec![&mut t.source_id, &mut t.x, &mut t.y, &mut t.z, &mut t.mag]
                .into_par_iter()
                .try_for_each(|c| c.write_full_chunk())?;
        }
        self.rows += 1;
        Ok(())
    }

    /// Writes the remaining ZERO chunks, closes every file and writes the pyramid.
    ///
    /// # Errors
    /// I/O errors.
    pub fn finish(mut self) -> Result<CubeStats> {
        self.cube.append_zeros(self.grid.nchunks() - self.next_chunk)?;
        self.cube.finish()?;
        let t = self.table;
        for c in [t.source_id, t.x, t.y, t.z, t.mag, self.index.0, self.index.1] {
            c.finish()?;
        }
        if let Some(p) = self.pyramid {
            self.stats.pyramid = Some(p.write(&crate::pyramid::Pyramid::dir(&self.dir))?);
        }
        Ok(self.stats)
    }
}
