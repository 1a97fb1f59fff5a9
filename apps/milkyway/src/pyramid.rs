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
    /// Sums along each axis (see [`AxisSums`]), computed on first use ([`Level::sums`]) or
    /// by [`Pyramid::warm`].
    sums: std::sync::OnceLock<[AxisSums; 3]>,
}

/// The counts of a level summed along one axis `a`, for projections that cost the image's
/// cells rather than the level's volume.
///
/// For a level kept in memory, `prefix` holds the cumulative sums: for `t` in `0..=side`,
/// `prefix[(t * side + u) * side + v]` is the sum of the cells before `t` along `a` at
/// (u, v) of the other two axes (in increasing order), so any slab `[t0, t1)` is
/// `prefix[t1] - prefix[t0]`. For a larger level only the sum over the whole axis is kept
/// (`side²` values) and, when the level has at most [`MAX_SLAB_INDEX_CELLS`] non-empty
/// cells, those cells listed by their index along `a` ([`SlabIndex`]): a slab then costs its
/// non-empty cells. Sums are u32 with wrapping arithmetic: a difference is exact while the
/// stars of one line of cells are fewer than 2^32 (each stored cell is a u32 already).
#[derive(Debug, Clone, Default)]
pub struct AxisSums {
    /// `(side + 1) * side²` cumulative sums (levels kept in memory), else empty.
    pub prefix: Vec<u32>,
    /// `side²` sums over the whole axis.
    pub whole: Vec<u32>,
    /// The non-empty cells by their index along the axis (levels not kept in memory).
    pub slabs: Option<SlabIndex>,
}

/// Levels not kept in memory with at most this many non-empty cells keep a [`SlabIndex`]
/// per axis (8 bytes a cell and axis: 200 MB at most; 74 MB for level 5 of 10⁷ synthetic
/// rows, 3.07 million cells).
pub const MAX_SLAB_INDEX_CELLS: usize = 1 << 23;

/// The non-empty cells of a level ordered by their index `t` along one axis: those at `t`
/// are `start[t]..start[t + 1]`, with their indices along the other two axes (in increasing
/// axis order) and their counts.
#[derive(Debug, Clone, Default)]
pub struct SlabIndex {
    /// `side + 1` offsets.
    pub start: Vec<u32>,
    /// (u, v) of each cell.
    pub uv: Vec<[u16; 2]>,
    /// Count of each cell.
    pub count: Vec<u32>,
}

impl AxisSums {
    /// What a slab `[t0, t1)` costs to sum from these sums (values visited), or `None`
    /// when they cannot give it.
    pub fn cost(&self, side: u64, t0: u64, t1: u64) -> Option<u64> {
        if !self.prefix.is_empty() || (t0 == 0 && t1 == side && !self.whole.is_empty()) {
            return Some(side * side);
        }
        let s = self.slabs.as_ref()?;
        let (t0, t1) = (t0.min(side) as usize, t1.min(side) as usize);
        Some(u64::from(s.start[t1.max(t0)] - s.start[t0]))
    }
}

/// Levels of at most this many cells are kept decompressed in memory (16 MiB for the
/// largest: level 7, 157³ cells, on the talk's grid).
pub const MAX_CACHED_CELLS: u64 = 1 << 22;

fn as_u32(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("4"))).collect()
}

impl Level {
    /// The level's sums along each axis, computed on first use (a level kept in memory from
    /// its cells; a larger one by reading its non-empty chunks).
    ///
    /// # Errors
    /// Read errors.
    pub fn sums(&self) -> Result<&[AxisSums; 3]> {
        if let Some(s) = self.sums.get() {
            return Ok(s);
        }
        let s = match &self.cached {
            Some(c) => prefix_sums(c, self.side as usize),
            None => level_sums(&self.array, self.side)?,
        };
        // Two threads may compute them at once: the first stored wins, both are equal.
        let _ = self.sums.set(s);
        Ok(self.sums.get().expect("just set"))
    }

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

    /// The level's cells summed along `axis` over `[t.0, t.1)`, for `u` and `v` the cell
    /// ranges of the other two axes (in increasing axis order): `nu * nv` sums, C order,
    /// computed from [`AxisSums`] in `O(nu * nv)`; `None` when the level keeps no sums for
    /// that slab (a level not kept in memory and a slab short of the whole axis).
    ///
    /// # Errors
    /// Read errors while computing the sums (first use).
    pub fn slab_image(&self, axis: usize, t: (u64, u64), u: (u64, u64), v: (u64, u64)) -> Result<Option<Vec<u64>>> {
        let n = self.side as usize;
        let s = &self.sums()?[axis];
        let (t0, t1) = (t.0 as usize, t.1 as usize);
        let (u0, u1, v0, v1) = (u.0 as usize, u.1 as usize, v.0 as usize, v.1 as usize);
        if t0 >= t1 || u0 >= u1 || v0 >= v1 || t1 > n || u1 > n || v1 > n {
            return Ok(Some(Vec::new()));
        }
        let mut out = Vec::with_capacity((u1 - u0) * (v1 - v0));
        if !s.prefix.is_empty() {
            let (a, b) = (&s.prefix[t0 * n * n..(t0 + 1) * n * n], &s.prefix[t1 * n * n..(t1 + 1) * n * n]);
            for iu in u0..u1 {
                let r = iu * n;
                out.extend((v0..v1).map(|iv| u64::from(b[r + iv].wrapping_sub(a[r + iv]))));
            }
        } else if t0 == 0 && t1 == n && !s.whole.is_empty() {
            for iu in u0..u1 {
                out.extend(s.whole[iu * n + v0..iu * n + v1].iter().map(|&c| u64::from(c)));
            }
        } else if let Some(ix) = &s.slabs {
            let nv = v1 - v0;
            out.resize((u1 - u0) * nv, 0);
            let cells = ix.start[t0] as usize..ix.start[t1] as usize;
            for (&[u, v], &c) in ix.uv[cells.clone()].iter().zip(&ix.count[cells]) {
                let (u, v) = (usize::from(u), usize::from(v));
                if u >= u0 && u < u1 && v >= v0 && v < v1 {
                    out[(u - u0) * nv + v - v0] += u64::from(c);
                }
            }
        } else {
            return Ok(None);
        }
        Ok(Some(out))
    }
}

/// The sums along every axis of a level kept in memory (`cells`, C order, `side³`).
fn prefix_sums(cells: &[u32], side: usize) -> [AxisSums; 3] {
    let n = side;
    let nn = n * n;
    (0..3)
        .map(|axis| {
            let mut p = vec![0u32; (n + 1) * nn];
            for t in 0..n {
                let (before, after) = p.split_at_mut((t + 1) * nn);
                let (prev, next) = (&before[t * nn..], &mut after[..nn]);
                for a in 0..n {
                    for b in 0..n {
                        // (u, v) = (a, b); the cell's C-order index with t along `axis`.
                        let f = match axis {
                            0 => (t * n + a) * n + b,
                            1 => (a * n + t) * n + b,
                            _ => (a * n + b) * n + t,
                        };
                        next[a * n + b] = prev[a * n + b].wrapping_add(cells[f]);
                    }
                }
            }
            let whole = p[n * nn..].to_vec();
            AxisSums { prefix: p, whole, slabs: None }
        })
        .collect::<Vec<_>>()
        .try_into()
        .expect("three axes")
}

/// The sums over each whole axis of a level not kept in memory and, for a level of at most
/// [`MAX_SLAB_INDEX_CELLS`] non-empty cells, its [`SlabIndex`] per axis: its non-empty
/// chunks are read one at a time into one buffer (ZERO chunks are skipped from their
/// metadata).
fn level_sums(array: &NdArray, side: u64) -> Result<[AxisSums; 3]> {
    let n = side as usize;
    let chunks: Vec<u64> = (0..array.nchunks())
        .filter_map(|i| match array.chunk_info(i) {
            Ok(c) if c.special == Some(blosc2_core::chunk::SpecialKind::Zeros) => None,
            Ok(_) => Some(Ok(i)),
            Err(e) => Some(Err(e)),
        })
        .collect::<std::result::Result<_, _>>()?;
    let cs = array.chunks().to_vec();
    ensure!(cs.len() == 3 && side <= u64::from(u16::MAX), "a pyramid level of {side} cells a side");
    let per_axis: Vec<u64> = (0..3).map(|a| side.div_ceil(cs[a])).collect();
    // One chunk at a time into one buffer: no transient allocation per chunk.
    let mut buf = vec![0u8; 4 * cs.iter().product::<u64>() as usize];
    let mut cells: Vec<([u16; 3], u32)> = Vec::new();
    for &i in &chunks {
        let cc = [i / (per_axis[1] * per_axis[2]), (i / per_axis[2]) % per_axis[1], i % per_axis[2]];
        let lo: Vec<u64> = (0..3).map(|a| cc[a] * cs[a]).collect();
        let hi: Vec<u64> = (0..3).map(|a| ((cc[a] + 1) * cs[a]).min(side)).collect();
        let sh = [0, 1, 2].map(|a| (hi[a] - lo[a]) as usize);
        let vals = &mut buf[..4 * sh.iter().product::<usize>()];
        array.read_box_into(&Region::from_start_stop(&lo, &hi)?, vals)?;
        for (f, b) in vals.chunks_exact(4).enumerate() {
            let c = u32::from_le_bytes(b.try_into().expect("4"));
            if c > 0 {
                let idx = [f / (sh[1] * sh[2]), (f / sh[2]) % sh[1], f % sh[2]];
                cells.push(([0, 1, 2].map(|a| (idx[a] as u64 + lo[a]) as u16), c));
            }
        }
    }
    drop(buf);
    let ncells = cells.len();
    let cells = cells.iter();
    Ok([0usize, 1, 2].map(|axis| {
        let (ua, va) = match axis {
            0 => (1, 2),
            1 => (0, 2),
            _ => (0, 1),
        };
        let mut whole = vec![0u32; n * n];
        for &(c, v) in cells.clone() {
            let at = usize::from(c[ua]) * n + usize::from(c[va]);
            whole[at] = whole[at].wrapping_add(v);
        }
        let slabs = (ncells <= MAX_SLAB_INDEX_CELLS).then(|| {
            let mut start = vec![0u32; n + 1];
            for (c, _) in cells.clone() {
                start[usize::from(c[axis]) + 1] += 1;
            }
            for t in 0..n {
                start[t + 1] += start[t];
            }
            let mut next = start.clone();
            let mut uv = vec![[0u16; 2]; ncells];
            let mut count = vec![0u32; ncells];
            for &(c, v) in cells.clone() {
                let at = &mut next[usize::from(c[axis])];
                uv[*at as usize] = [c[ua], c[va]];
                count[*at as usize] = v;
                *at += 1;
            }
            SlabIndex { start, uv, count }
        });
        AxisSums { prefix: Vec::new(), whole, slabs }
    }))
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
        Pyramid::open_caching(galaxy, grid, MAX_CACHED_CELLS)
    }

    /// As [`Pyramid::open`], keeping in memory the levels of at most `max_cached_cells`
    /// cells (0: none, so every level keeps only its sums over whole axes).
    ///
    /// # Errors
    /// As [`Pyramid::open`].
    pub fn open_caching(galaxy: &Path, grid: &Grid, max_cached_cells: u64) -> Result<Option<Pyramid>> {
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
            let cached = if side.pow(3) <= max_cached_cells {
                Some(as_u32(&array.read_box(&Region::whole(&[side; 3]))?))
            } else {
                None
            };
            out.push(Level { k, side, array, cached, sums: std::sync::OnceLock::new() });
        }
        Ok(Some(Pyramid { levels: out }))
    }
}

impl Pyramid {
    /// Computes every level's sums now rather than on first use (a server does this before
    /// taking requests; on the 10⁷-row benchmark galaxy about a second and 175 MB).
    ///
    /// # Errors
    /// Read errors.
    pub fn warm(&self) -> Result<()> {
        for l in &self.levels {
            l.sums()?;
        }
        Ok(())
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
