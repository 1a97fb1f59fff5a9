//! The multiscale pyramid of a galaxy: star counts summed over 2^k × 2^k × 2^k cells of the
//! cube, one uint32 b2nd array per level k in `pyramid/level_K.b2nd`, written and read with
//! `blosc2-nd` like the cube.
//!
//! Level k has `ceil(side / 2^k)` cells per axis; its cell `i` covers the cube cells
//! `[i 2^k, (i + 1) 2^k)` along each axis (the last cell may cover fewer). The stored
//! levels run from the first whose volume is at most [`MAX_FIRST_LEVEL_CELLS`] cells (k = 5,
//! 625³ cells of 32 ly, on the talk's 20,000³ grid) down to the first with at most
//! [`LAST_LEVEL_SIDE`] cells per axis (k = 12, 5³ cells of 4,096 ly), through the chunk grid
//! (k = 8: 79³ cells of 256 ly against the cube's 80³ chunks of 250 ly). Finer levels would
//! cost as much to build as the cube itself; views finer than the first level bin the stars
//! of the star table instead (see [`crate::view`]).
//!
//! The counts are exact (from the star positions, not from the cube's saturating uint8
//! cells). Chunks are 64³ cells, blocks 16³ (both clipped to the level's shape), ZSTD 1 +
//! shuffle; empty chunks are special ZERO chunks.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use blosc2_nd::{ArrayWriter, DType, NdArray, Region};
use rayon::prelude::*;

use crate::cube_store::array_options;
use crate::geom::Grid;

/// The directory of the pyramid in a galaxy.
pub const PYRAMID_DIR: &str = "pyramid";
/// The levels' dtype (star counts).
pub const LEVEL_DTYPE: &str = "<u4";
/// Chunk edge of the level arrays (cells).
pub const LEVEL_CHUNK: u64 = 64;
/// Block edge of the level arrays (cells).
pub const LEVEL_BLOCK: u64 = 16;
/// Most cells of the first (finest) stored level.
pub const MAX_FIRST_LEVEL_CELLS: u64 = 1 << 28;
/// The last (coarsest) stored level is the first with at most this many cells per axis.
pub const LAST_LEVEL_SIDE: u64 = 8;

/// Cells per axis of level `k`.
pub fn level_side(grid: &Grid, k: u32) -> u64 {
    grid.side.div_ceil(1u64 << k)
}

/// The stored levels of a grid, finest first.
pub fn levels(grid: &Grid) -> Vec<u32> {
    let mut k = 1;
    while k < 62 && level_side(grid, k).saturating_pow(3) > MAX_FIRST_LEVEL_CELLS {
        k += 1;
    }
    let mut out = vec![k];
    while level_side(grid, k) > LAST_LEVEL_SIDE && k < 62 {
        k += 1;
        out.push(k);
    }
    out
}

/// File name of level `k`.
pub fn level_file(k: u32) -> String {
    format!("level_{k}.b2nd")
}

/// The chunk and block layout of level `k`, as a [`Grid`] whose layout fields (side, chunk,
/// block) are the level's (its ly fields are the cube's and are not used).
pub fn level_layout(grid: &Grid, k: u32) -> Grid {
    let side = level_side(grid, k);
    let chunk = LEVEL_CHUNK.min(side);
    Grid { side, chunk, block: LEVEL_BLOCK.min(chunk), ..*grid }
}

/// Collects the cells of the stars and writes the levels.
#[derive(Debug, Clone)]
pub struct PyramidBuilder {
    grid: Grid,
    first: u32,
    /// C-order index at the first level of every star's cell.
    keys: Vec<u64>,
}

/// What writing a pyramid did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PyramidStats {
    /// The levels written (k), finest first.
    pub levels: Vec<u32>,
    /// Non-empty cells per level.
    pub nonempty_cells: Vec<u64>,
    /// Compressed bytes of the levels' data chunks.
    pub cbytes: u64,
    /// Seconds spent sorting and writing.
    pub build_s: f64,
}

impl PyramidBuilder {
    /// A builder for the cube grid `grid`.
    pub fn new(grid: Grid) -> PyramidBuilder {
        PyramidBuilder { grid, first: levels(&grid)[0], keys: Vec::new() }
    }

    /// Adds a star in cube cell `cell`.
    pub fn add_cell(&mut self, cell: [u64; 3]) {
        let k = self.first;
        let n = level_side(&self.grid, k);
        let c = cell.map(|v| v >> k);
        self.keys.push((c[0] * n + c[1]) * n + c[2]);
    }

    /// Adds a star at `pos` (ly); stars outside the cube are ignored.
    pub fn add(&mut self, pos: [f64; 3]) {
        if let Some(c) = self.grid.cell(pos) {
            self.add_cell(c);
        }
    }

    /// Writes every level into `dir` (created).
    ///
    /// # Errors
    /// I/O and compression errors.
    pub fn write(self, dir: &Path) -> Result<PyramidStats> {
        let start = Instant::now();
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let grid = self.grid;
        let mut keys = self.keys;
        keys.par_sort_unstable();
        let mut cells: Vec<(u64, u32)> = Vec::new();
        for k in keys {
            match cells.last_mut() {
                Some((c, n)) if *c == k => *n = n.saturating_add(1),
                _ => cells.push((k, 1)),
            }
        }
        let mut stats = PyramidStats::default();
        let ks = levels(&grid);
        for (i, &k) in ks.iter().enumerate() {
            if i > 0 {
                cells = coarsen(&grid, k - 1, &cells);
            }
            stats.cbytes += write_level(&dir.join(level_file(k)), &grid, k, &cells)?;
            stats.levels.push(k);
            stats.nonempty_cells.push(cells.len() as u64);
        }
        stats.build_s = start.elapsed().as_secs_f64();
        Ok(stats)
    }
}

/// The cells of level `k + 1` from the (sorted, distinct) cells of level `k`.
fn coarsen(grid: &Grid, k: u32, cells: &[(u64, u32)]) -> Vec<(u64, u32)> {
    let (n, m) = (level_side(grid, k), level_side(grid, k + 1));
    let mut up: Vec<(u64, u32)> = cells
        .iter()
        .map(|&(f, v)| {
            let c = [f / (n * n), (f / n) % n, f % n].map(|x| x / 2);
            ((c[0] * m + c[1]) * m + c[2], v)
        })
        .collect();
    up.par_sort_unstable_by_key(|c| c.0);
    let mut out: Vec<(u64, u32)> = Vec::with_capacity(up.len());
    for (f, v) in up {
        match out.last_mut() {
            Some((c, n)) if *c == f => *n = n.saturating_add(v),
            _ => out.push((f, v)),
        }
    }
    out
}

/// Writes one level from its non-empty cells (C-order index, count); returns the compressed
/// bytes of its data chunks.
fn write_level(path: &Path, grid: &Grid, k: u32, cells: &[(u64, u32)]) -> Result<u64> {
    let l = level_layout(grid, k);
    let n = l.side;
    let dtype = DType::parse(LEVEL_DTYPE)?;
    let mut w = ArrayWriter::create(path, &[n; 3], &dtype, &array_options(&[l.chunk; 3], &[l.block; 3]))
        .with_context(|| format!("cannot create {}", path.display()))?;
    ensure!(w.chunk_nbytes() == 4 * l.chunk_cells(), "chunk buffer of a pyramid level and of its layout differ");
    let mut keyed: Vec<(u64, usize, u32)> = cells
        .iter()
        .map(|&(f, v)| {
            let c = [f / (n * n), (f / n) % n, f % n];
            (l.nchunk(l.chunk_coords(c)), l.offset_in_chunk(c), v)
        })
        .collect();
    keyed.par_sort_unstable_by_key(|c| (c.0, c.1));
    let groups: Vec<&[(u64, usize, u32)]> = keyed.chunk_by(|a, b| a.0 == b.0).collect();
    let enc = w.sparse_encoder()?;
    let bc = l.block_cells();
    let built: Vec<(u64, Vec<u8>)> = groups
        .par_iter()
        .map(|g| -> Result<(u64, Vec<u8>)> {
            let mut blocks: Vec<(usize, Vec<u8>)> = Vec::new();
            for &(_, off, v) in g.iter() {
                let bn = off / bc;
                if blocks.last().is_none_or(|(b, _)| *b != bn) {
                    blocks.push((bn, vec![0u8; 4 * bc]));
                }
                let o = 4 * (off % bc);
                blocks.last_mut().expect("pushed").1[o..o + 4].copy_from_slice(&v.to_le_bytes());
            }
            Ok((g[0].0, enc.encode(&blocks)?))
        })
        .collect::<Result<_>>()?;
    let mut next = 0;
    let mut cbytes = 0;
    for (nchunk, chunk) in built {
        w.append_zeros(nchunk - next)?;
        w.append_compressed(&chunk)?;
        cbytes += chunk.len() as u64;
        next = nchunk + 1;
    }
    w.append_zeros(l.nchunks() - next)?;
    w.finish()?;
    Ok(cbytes)
}

/// One opened level.
#[derive(Debug)]
pub struct Level {
    /// Its k (cells of 2^k cube cells per axis).
    pub k: u32,
    /// Cells per axis.
    pub side: u64,
    /// The array.
    pub array: NdArray,
    /// The decompressed counts (C order) of a level of at most [`MAX_CACHED_CELLS`] cells,
    /// read once when the pyramid is opened.
    pub cached: Option<Vec<u32>>,
}

/// Levels of at most this many cells are kept decompressed in memory (16 MiB for the
/// largest: level 7, 157³ cells, on the talk's grid).
pub const MAX_CACHED_CELLS: u64 = 1 << 22;

fn as_u32(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("4"))).collect()
}

impl Level {
    /// Cell edge in ly.
    pub fn cell_ly(&self, grid: &Grid) -> f64 {
        grid.cell_ly * (1u64 << self.k) as f64
    }

    /// The counts of the cells in `[lo, hi)` per axis (C order).
    ///
    /// # Errors
    /// A box outside the level; read errors.
    pub fn read(&self, lo: [u64; 3], hi: [u64; 3]) -> Result<Vec<u32>> {
        let r = Region::from_start_stop(&lo, &hi)?;
        let Some(all) = &self.cached else { return Ok(as_u32(&self.array.read_box(&r)?)) };
        r.check_within(&[self.side; 3])?;
        let n = self.side as usize;
        let (lo, hi) = (lo.map(|v| v as usize), hi.map(|v| v as usize));
        let mut out = Vec::with_capacity((hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]));
        for i in lo[0]..hi[0] {
            for j in lo[1]..hi[1] {
                let at = (i * n + j) * n;
                out.extend_from_slice(&all[at + lo[2]..at + hi[2]]);
            }
        }
        Ok(out)
    }
}

/// The opened levels of a galaxy, finest first.
#[derive(Debug, Default)]
pub struct Pyramid {
    /// The levels.
    pub levels: Vec<Level>,
}

impl Pyramid {
    /// The pyramid directory of a galaxy.
    pub fn dir(galaxy: &Path) -> PathBuf {
        galaxy.join(PYRAMID_DIR)
    }

    /// Opens the pyramid of the galaxy `galaxy` of grid `grid`: `None` when the galaxy has
    /// none (ingested before pyramids existed: `milkyway index` adds it).
    ///
    /// # Errors
    /// A level missing or of the wrong shape or dtype.
    pub fn open(galaxy: &Path, grid: &Grid) -> Result<Option<Pyramid>> {
        let dir = Pyramid::dir(galaxy);
        if !dir.is_dir() {
            return Ok(None);
        }
        let mut out = Vec::new();
        for k in levels(grid) {
            let p = dir.join(level_file(k));
            let array = crate::explore::open_array(&p)?;
            let side = level_side(grid, k);
            ensure!(
                array.shape() == [side; 3] && array.dtype().as_str() == LEVEL_DTYPE,
                "{} has shape {:?} and dtype {}, expected {:?} {}",
                p.display(),
                array.shape(),
                array.dtype().as_str(),
                [side; 3],
                LEVEL_DTYPE
            );
            let cached = if side.pow(3) <= MAX_CACHED_CELLS {
                Some(as_u32(&array.read_box(&Region::whole(&[side; 3]))?))
            } else {
                None
            };
            out.push(Level { k, side, array, cached });
        }
        Ok(Some(Pyramid { levels: out }))
    }
}

/// Builds the pyramid of an existing galaxy from its star table (`milkyway index`): written
/// to `pyramid.partial-PID` and renamed to `pyramid` at the end, replacing an old one.
///
/// # Errors
/// A galaxy without a star table; I/O errors.
pub fn index(galaxy: &Path) -> Result<PyramidStats> {
    let s = crate::ingest::read_summary(galaxy)?;
    let table = crate::table::StarTable::open(galaxy)?;
    let mut b = PyramidBuilder::new(s.grid);
    b.keys.reserve(table.len as usize);
    table.for_each_star(|st| {
        b.add(st.pos);
        Ok(())
    })?;
    let staging = galaxy.join(format!("{PYRAMID_DIR}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let stats = b.write(&staging);
    let stats = match stats {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let dir = Pyramid::dir(galaxy);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    std::fs::rename(&staging, &dir).with_context(|| format!("cannot rename to {}", dir.display()))?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn talk_levels() {
        let g = Grid::talk();
        assert_eq!(levels(&g), (5..=12).collect::<Vec<_>>());
        assert_eq!(level_side(&g, 5), 625);
        assert_eq!(level_side(&g, 8), 79);
        assert_eq!(level_side(&g, 12), 5);
    }

    #[test]
    fn small_grid_levels() {
        let g = Grid::new(100.0, 1.0, 30, 7).unwrap();
        assert_eq!(levels(&g), vec![1, 2, 3, 4, 5]);
        assert_eq!(level_side(&g, 5), 7);
    }
}
