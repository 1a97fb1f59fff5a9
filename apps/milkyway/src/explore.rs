//! Exploring a galaxy: whole-cube statistics from a walk over the chunk index (only
//! non-empty chunks are decompressed) and exact region queries over the star table
//! (`shared/spec/gaia.md` 3.6).

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use rayon::prelude::*;
use serde::Serialize;

use blosc2_nd::NdArray;

use crate::cube_store::{chunk_kind, read_chunk, ChunkKind};
use crate::geom::Grid;
use crate::ingest::{read_summary, Summary};
use crate::pyramid::Pyramid;
use crate::reader::Star;
use crate::table::StarTable;

/// A galaxy directory (or a bare cube file) with its grid and its opened arrays: the cube,
/// the star table and the pyramid. Shared by threads (`Send + Sync`): every read goes
/// through `&self`.
pub struct Galaxy {
    /// The directory (None for a bare cube file).
    pub dir: Option<PathBuf>,
    /// The cube.
    pub cube: NdArray,
    /// Its grid.
    pub grid: Grid,
    /// Its `summary.json` (None for a bare cube file).
    pub summary: Option<Summary>,
    /// The star table (None for a bare cube file).
    pub table: Option<StarTable>,
    /// The multiscale pyramid (None for a bare cube file or a galaxy ingested without one).
    pub pyramid: Option<Pyramid>,
}

impl Galaxy {
    /// Opens a galaxy directory, or a bare `.b2nd` cube (then 1 ly cells around the centre
    /// are assumed).
    ///
    /// # Errors
    /// Missing files, a cube that is not a 3-D uint8 array, or a grid that disagrees with it.
    pub fn open(path: &Path) -> Result<Galaxy> {
        if path.is_dir() {
            let s = read_summary(path)?;
            let cube = open_array(&path.join("cube.b2nd"))?;
            check_cube(&cube, &s.grid)?;
            let table = if path.join("stars").is_dir() { Some(StarTable::open(path)?) } else { None };
            let pyramid = Pyramid::open(path, &s.grid)?;
            return Ok(Galaxy { dir: Some(path.to_path_buf()), cube, grid: s.grid, summary: Some(s), table, pyramid });
        }
        let cube = open_array(path)?;
        if cube.ndim() != 3 {
            bail!("{} is not a 3-D array", path.display());
        }
        let side = cube.shape()[0];
        let grid = Grid {
            radius_ly: (side / 2) as f64,
            cell_ly: 1.0,
            side,
            offset: (side / 2) as i64,
            chunk: cube.chunks()[0],
            block: cube.blocks()[0],
        };
        check_cube(&cube, &grid)?;
        Ok(Galaxy { dir: None, cube, grid, summary: None, table: None, pyramid: None })
    }
}

/// Opens a b2nd array file, naming it in errors.
///
/// # Errors
/// A file that is not a b2nd array.
pub fn open_array(path: &Path) -> Result<NdArray> {
    NdArray::open(path).with_context(|| format!("cannot open {} as a b2nd array", path.display()))
}

fn check_cube(cube: &NdArray, g: &Grid) -> Result<()> {
    let want = crate::cube::cube_layout(g);
    let dtype = cube.dtype().as_str();
    if cube.shape() != want.shape || cube.chunks() != want.chunks || cube.blocks() != want.blocks || dtype != "|u1" {
        bail!(
            "cube layout shape {:?} chunks {:?} blocks {:?} dtype {} does not match the grid (expected {:?} {:?} {:?} {})",
            cube.shape(),
            cube.chunks(),
            cube.blocks(),
            dtype,
            want.shape,
            want.chunks,
            want.blocks,
            crate::cube::CUBE_DTYPE
        );
    }
    Ok(())
}

/// The fullest cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaxCell {
    /// Cell indices.
    pub cell: [u64; 3],
    /// Stars in it (as stored: saturates at 255).
    pub count: u64,
    /// Centre of the cell in ly.
    pub center_ly: [f64; 3],
}

/// Bounding box of the non-empty cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BBox {
    /// Lowest cell index per axis.
    pub lo_cell: [u64; 3],
    /// Highest cell index per axis.
    pub hi_cell: [u64; 3],
    /// Lower corner in ly.
    pub lo_ly: [f64; 3],
    /// Upper corner in ly (upper edge of the highest cells).
    pub hi_ly: [f64; 3],
}

/// Distance histogram from cell centres.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    /// Bin width in ly.
    pub bin_ly: f64,
    /// Stars per bin (bin k covers [k bin, (k+1) bin); the last bin also takes cell centres
    /// beyond the radius).
    pub counts: Vec<u64>,
}

/// Whole-cube statistics (`milkyway stats`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// Total stars (sum of the cells).
    pub stars: u64,
    /// Non-empty cells.
    pub nonempty_cells: u64,
    /// Non-empty (non-special) chunks.
    pub nonempty_chunks: u64,
    /// All chunks.
    pub nchunks: u64,
    /// ZERO chunks.
    pub zero_chunks: u64,
    /// Non-special chunks / all chunks.
    pub occupancy: f64,
    /// Cells at 255 (saturated).
    pub saturated_cells: u64,
    /// The fullest cell (the lowest cell index in C order on ties).
    pub max_cell: Option<MaxCell>,
    /// Bounding box.
    pub bbox: Option<BBox>,
    /// Distance histogram.
    pub distance_histogram: Histogram,
    /// Compressed bytes of the data chunks.
    pub cbytes: u64,
}

#[derive(Default)]
struct Part {
    stars: u64,
    cells: u64,
    sat: u64,
    max: Option<([u64; 3], u64)>,
    lo: Option<[u64; 3]>,
    hi: Option<[u64; 3]>,
    hist: Vec<u64>,
}

impl Part {
    fn merge(mut self, o: Part) -> Part {
        self.stars += o.stars;
        self.cells += o.cells;
        self.sat += o.sat;
        if let Some(m) = o.max {
            if self.max.is_none_or(|s| m.1 > s.1 || (m.1 == s.1 && m.0 < s.0)) {
                self.max = Some(m);
            }
        }
        self.lo = match (self.lo, o.lo) {
            (Some(a), Some(b)) => Some([0, 1, 2].map(|k| a[k].min(b[k]))),
            (a, b) => a.or(b),
        };
        self.hi = match (self.hi, o.hi) {
            (Some(a), Some(b)) => Some([0, 1, 2].map(|k| a[k].max(b[k]))),
            (a, b) => a.or(b),
        };
        if self.hist.len() < o.hist.len() {
            self.hist.resize(o.hist.len(), 0);
        }
        for (a, b) in self.hist.iter_mut().zip(o.hist) {
            *a += b;
        }
        self
    }
}

/// The non-zero bytes of `b` with their positions, skipping zero words quickly.
fn nonzero_bytes(b: &[u8]) -> impl Iterator<Item = (usize, u8)> + '_ {
    let words = b.chunks_exact(8);
    let tail_at = b.len() - words.remainder().len();
    let tail = b[tail_at..].iter().enumerate().map(move |(i, &v)| (tail_at + i, v));
    words
        .enumerate()
        .filter(|(_, w)| u64::from_ne_bytes((*w).try_into().expect("8 bytes")) != 0)
        .flat_map(|(k, w)| w.iter().enumerate().map(move |(i, &v)| (8 * k + i, v)))
        .chain(tail)
        .filter(|&(_, v)| v != 0)
}

/// Histogram bin of a cell (cell centre distance).
pub fn hist_bin(grid: &Grid, cell: [u64; 3], bin_ly: f64, nbins: usize) -> usize {
    let c = grid.cell_center(cell);
    let d = (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt();
    ((d / bin_ly) as usize).min(nbins - 1)
}

/// Computes [`Stats`] by walking the chunk index and decompressing only data chunks.
///
/// # Errors
/// Read and decoding errors.
pub fn stats(g: &Galaxy, bin_ly: f64) -> Result<Stats> {
    let n = g.cube.nchunks();
    let mut data = Vec::new();
    let mut zero = 0u64;
    let mut cbytes = 0u64;
    for i in 0..n {
        match chunk_kind(&g.cube, i)? {
            (ChunkKind::Zero, _) => zero += 1,
            (ChunkKind::Data, cb) => {
                data.push(i);
                cbytes += cb as u64;
            }
            (ChunkKind::OtherSpecial, _) => bail!("chunk {i} is a special chunk other than ZERO"),
        }
    }
    let grid = g.grid;
    let nbins = (grid.radius_ly / bin_ly).ceil().max(1.0) as usize;
    let part = data
        .par_iter()
        .map(|&i| -> Result<Part> {
            let mut p = Part { hist: vec![0; nbins], ..Default::default() };
            let bc = grid.block_cells();
            let c = g.cube.schunk().chunk(i)?;
            let blocks: Vec<(usize, Vec<u8>)> = match blosc2_core::chunk::nonzero_blocks(&c) {
                Some(list) => list
                    .into_iter()
                    .map(|bn| Ok((bn, blosc2_core::chunk::decompress_block(&c, bn)?)))
                    .collect::<Result<_>>()?,
                None => {
                    let mut buf = vec![0u8; g.cube.geometry().chunk_nbytes()];
                    read_chunk(&g.cube, i, &mut buf)?;
                    buf.chunks(bc).enumerate().map(|(bn, b)| (bn, b.to_vec())).collect()
                }
            };
            for (bn, block) in blocks {
                for (inb, v) in nonzero_bytes(&block) {
                    let off = bn * bc + inb;
                    let cell = grid.cell_at(i, off).context("non-zero padding in a chunk")?;
                    let v = u64::from(v);
                    p.stars += v;
                    p.cells += 1;
                    if v == 255 {
                        p.sat += 1;
                    }
                    if p.max.is_none_or(|m| v > m.1 || (v == m.1 && cell < m.0)) {
                        p.max = Some((cell, v));
                    }
                    p.lo = Some(p.lo.map_or(cell, |a| [0, 1, 2].map(|k| a[k].min(cell[k]))));
                    p.hi = Some(p.hi.map_or(cell, |a| [0, 1, 2].map(|k| a[k].max(cell[k]))));
                    p.hist[hist_bin(&grid, cell, bin_ly, nbins)] += v;
                }
            }
            Ok(p)
        })
        .try_reduce(|| Part { hist: vec![0; nbins], ..Default::default() }, |a, b| Ok(a.merge(b)))?;
    Ok(Stats {
        stars: part.stars,
        nonempty_cells: part.cells,
        nonempty_chunks: data.len() as u64,
        nchunks: n,
        zero_chunks: zero,
        occupancy: if n == 0 { 0.0 } else { data.len() as f64 / n as f64 },
        saturated_cells: part.sat,
        max_cell: part.max.map(|(cell, count)| MaxCell { cell, count, center_ly: grid.cell_center(cell) }),
        bbox: match (part.lo, part.hi) {
            (Some(lo), Some(hi)) => Some(BBox {
                lo_cell: lo,
                hi_cell: hi,
                lo_ly: grid.cell_corner(lo),
                hi_ly: grid.cell_corner(hi.map(|v| v + 1)),
            }),
            _ => None,
        },
        distance_histogram: Histogram { bin_ly, counts: part.hist },
        cbytes,
    })
}

/// A query region in ly around the Sun.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Region {
    /// Centre and radius: |p - c| <= r.
    Sphere {
        /// Centre.
        c: [f64; 3],
        /// Radius.
        r: f64,
    },
    /// Closed box lo <= p <= hi per axis.
    Box {
        /// Lower corner.
        lo: [f64; 3],
        /// Upper corner.
        hi: [f64; 3],
    },
}

impl Region {
    /// Parses `x,y,z,r` as a sphere.
    ///
    /// # Errors
    /// Not four numbers, or a negative radius.
    pub fn parse_sphere(s: &str) -> Result<Region> {
        let v: Vec<f64> = s
            .split(',')
            .map(|t| t.trim().parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .with_context(|| format!("--sphere {s:?}: expected x,y,z,r (numbers in ly)"))?;
        if v.len() != 4 {
            bail!("--sphere {s:?}: expected x,y,z,r with r >= 0");
        }
        Region::sphere([v[0], v[1], v[2]], v[3]).map_err(|_| anyhow!("--sphere {s:?}: expected x,y,z,r with r >= 0"))
    }

    /// The sphere of centre `c` and radius `r` (ly), as `--sphere x,y,z,r` gives it.
    ///
    /// # Errors
    /// A NaN or negative radius.
    pub fn sphere(c: [f64; 3], r: f64) -> Result<Region> {
        if r.is_nan() || r < 0.0 {
            bail!("the radius of a sphere must be a number >= 0, not {r}");
        }
        Ok(Region::Sphere { c, r })
    }

    /// The closed box from `lo` to `hi` (ly), as `--box x0:x1,y0:y1,z0:z1` gives it.
    ///
    /// # Errors
    /// A NaN bound, or a lower bound above its upper bound.
    pub fn cuboid(lo: [f64; 3], hi: [f64; 3]) -> Result<Region> {
        for a in 0..3 {
            if lo[a].is_nan() || hi[a].is_nan() || lo[a] > hi[a] {
                bail!("box axis {a}: expected lo <= hi, got {}:{}", lo[a], hi[a]);
            }
        }
        Ok(Region::Box { lo, hi })
    }

    /// Parses `x0:x1,y0:y1,z0:z1` as a box.
    ///
    /// # Errors
    /// Not three ranges of numbers with lo <= hi.
    pub fn parse_box(s: &str) -> Result<Region> {
        let err = || format!("--box {s:?}: expected x0:x1,y0:y1,z0:z1 (numbers in ly)");
        let parts: Vec<&str> = s.split(',').collect();
        if parts.len() != 3 {
            bail!(err());
        }
        let mut lo = [0.0f64; 3];
        let mut hi = [0.0f64; 3];
        for (a, p) in parts.iter().enumerate() {
            let (l, h) = p.split_once(':').with_context(err)?;
            lo[a] = l.trim().parse().with_context(err)?;
            hi[a] = h.trim().parse().with_context(err)?;
        }
        Region::cuboid(lo, hi).map_err(|_| anyhow!(err()))
    }

    /// Whether `p` lies in the region.
    pub fn contains(&self, p: [f64; 3]) -> bool {
        match *self {
            Region::Sphere { c, r } => {
                let d = [p[0] - c[0], p[1] - c[1], p[2] - c[2]];
                d[0] * d[0] + d[1] * d[1] + d[2] * d[2] <= r * r
            }
            Region::Box { lo, hi } => (0..3).all(|a| p[a] >= lo[a] && p[a] <= hi[a]),
        }
    }

    /// Whether every point of the axis-aligned box `lo..=hi` lies in the region.
    pub fn contains_box(&self, lo: [f64; 3], hi: [f64; 3]) -> bool {
        match *self {
            Region::Sphere { c, r } => {
                let far = |a: usize| (lo[a] - c[a]).abs().max((hi[a] - c[a]).abs());
                let d = [far(0), far(1), far(2)];
                d[0] * d[0] + d[1] * d[1] + d[2] * d[2] <= r * r
            }
            Region::Box { lo: l, hi: h } => (0..3).all(|a| l[a] <= lo[a] && hi[a] <= h[a]),
        }
    }

    /// Whether no point of the axis-aligned box `lo..=hi` lies in the region.
    pub fn misses_box(&self, lo: [f64; 3], hi: [f64; 3]) -> bool {
        match *self {
            Region::Sphere { c, r } => {
                let near = |a: usize| (lo[a] - c[a]).max(c[a] - hi[a]).max(0.0);
                let d = [near(0), near(1), near(2)];
                d[0] * d[0] + d[1] * d[1] + d[2] * d[2] > r * r
            }
            Region::Box { lo: l, hi: h } => (0..3).any(|a| hi[a] < l[a] || lo[a] > h[a]),
        }
    }

    /// Axis-aligned bounds.
    pub fn bounds(&self) -> ([f64; 3], [f64; 3]) {
        match *self {
            Region::Sphere { c, r } => (c.map(|v| v - r), c.map(|v| v + r)),
            Region::Box { lo, hi } => (lo, hi),
        }
    }
}

/// A star found by a query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundStar {
    /// Gaia source_id.
    pub source_id: i64,
    /// x in ly.
    pub x: f64,
    /// y in ly.
    pub y: f64,
    /// z in ly.
    pub z: f64,
    /// Distance from the Sun in ly.
    pub distance_ly: f64,
    /// G magnitude (NaN when the catalogue had none).
    pub mag: f32,
}

impl From<&Star> for FoundStar {
    fn from(s: &Star) -> FoundStar {
        FoundStar { source_id: s.source_id, x: s.pos[0], y: s.pos[1], z: s.pos[2], distance_ly: s.d_ly, mag: s.mag }
    }
}

/// Result of a query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryResult {
    /// Stars in the region.
    pub count: u64,
    /// The stars (table order: by chunk, cell, source_id), at most the limit.
    pub stars: Vec<FoundStar>,
}

/// The star table of a galaxy directory.
///
/// # Errors
/// A bare cube without a star table.
pub fn table(g: &Galaxy) -> Result<&StarTable> {
    g.table.as_ref().context("queries need a galaxy directory (with its star table), not a bare cube")
}

/// The cube chunks (coordinates, lowest and highest per axis) that the axis-aligned box
/// `lo..=hi` (ly) touches, or `None` when it misses the cube.
pub fn chunk_range(grid: &Grid, lo: [f64; 3], hi: [f64; 3]) -> Option<([u64; 3], [u64; 3])> {
    let clamp = |v: f64| -> u64 {
        let i = (v / grid.cell_ly).floor() + grid.offset as f64;
        i.clamp(0.0, (grid.side - 1) as f64) as u64
    };
    let outside = (0..3).any(|a| hi[a] < -(grid.offset as f64) * grid.cell_ly || lo[a] > grid.radius_ly * 2.0);
    if outside {
        return None;
    }
    Some(([0, 1, 2].map(|a| clamp(lo[a]) / grid.chunk), [0, 1, 2].map(|a| clamp(hi[a]) / grid.chunk)))
}

/// Star-table rows of every non-empty cube chunk the box `lo..=hi` (ly) touches, in chunk
/// order (rows of neighbouring chunks merged into one range).
pub fn rows_in_box(g: &Galaxy, table: &StarTable, lo: [f64; 3], hi: [f64; 3]) -> Vec<std::ops::Range<u64>> {
    let mut out = Vec::new();
    let Some((clo, chi)) = chunk_range(&g.grid, lo, hi) else { return out };
    for ci in clo[0]..=chi[0] {
        for cj in clo[1]..=chi[1] {
            for ck in clo[2]..=chi[2] {
                let rows = table.rows_of_chunk(g.grid.nchunk([ci, cj, ck]));
                if rows.is_empty() {
                    continue;
                }
                // Consecutive chunks along the last axis have consecutive rows: one read.
                match out.last_mut() {
                    Some(last) if last.end == rows.start => last.end = rows.end,
                    _ => out.push(rows),
                }
            }
        }
    }
    out
}

/// Calls `f` with the position of every star of the cube chunks the box `lo..=hi` (ly)
/// touches (a superset of the stars in the box), reading only their position columns.
///
/// # Errors
/// Read errors; a bare cube without a star table; the errors of `f`.
pub fn for_each_position_near(
    g: &Galaxy,
    lo: [f64; 3],
    hi: [f64; 3],
    mut f: impl FnMut([f64; 3]) -> Result<()>,
) -> Result<()> {
    let table = table(g)?;
    for rows in rows_in_box(g, table, lo, hi) {
        let [x, y, z] = table.read_positions(rows)?;
        for i in 0..x.len() {
            f([x[i], y[i], z[i]])?;
        }
    }
    Ok(())
}

/// Where the stars of cube chunk `cc` lie against `region`: `Some(true)` all inside,
/// `Some(false)` all outside, `None` either. The chunk's box is grown by a millionth of a
/// cell against rounding in the cell of a star on a chunk face.
fn chunk_against(grid: &Grid, region: &Region, cc: [u64; 3]) -> Option<bool> {
    let m = grid.cell_ly * 1e-6;
    let lo = grid.cell_corner(cc.map(|c| c * grid.chunk)).map(|v| v - m);
    let hi = grid.cell_corner(cc.map(|c| (c + 1) * grid.chunk)).map(|v| v + m);
    if region.contains_box(lo, hi) {
        Some(true)
    } else if region.misses_box(lo, hi) {
        Some(false)
    } else {
        None
    }
}

/// Calls `f` with every star of the cube chunks the box `lo..=hi` (ly) touches (a superset
/// of the stars in the box), reading only their table rows.
///
/// # Errors
/// Read errors; a bare cube without a star table; the errors of `f`.
pub fn for_each_star_near(
    g: &Galaxy,
    lo: [f64; 3],
    hi: [f64; 3],
    mut f: impl FnMut(&Star) -> Result<()>,
) -> Result<()> {
    let table = table(g)?;
    for rows in rows_in_box(g, table, lo, hi) {
        for s in table.read(rows)? {
            f(&s)?;
        }
    }
    Ok(())
}

/// Stars of the galaxy inside `region`, exactly (positions from the star table), reading only
/// the table rows of the chunks the region touches.
///
/// # Errors
/// Read errors; a bare cube without a star table.
///
/// The stars of a chunk lying wholly inside the region are counted from the table's chunk
/// index, and read only while the listing is short of the limit; chunks wholly outside
/// (the corners of a sphere's bounding box) are skipped; the other chunks' stars are
/// tested one by one (only their positions read once the listing is full). The same
/// answer as testing every star of the touched chunks ([`for_each_star_in`]).
pub fn query(g: &Galaxy, region: &Region, limit: Option<usize>) -> Result<QueryResult> {
    let table = table(g)?;
    let grid = &g.grid;
    let mut res = QueryResult { count: 0, stars: Vec::new() };
    let room = |res: &QueryResult| limit.map_or(u64::MAX, |l| l.saturating_sub(res.stars.len()) as u64);
    let (lo, hi) = region.bounds();
    let Some((clo, chi)) = chunk_range(grid, lo, hi) else { return Ok(res) };
    // Runs of consecutive chunks of one kind (inside or not), in table order.
    let mut runs: Vec<(bool, Range<u64>)> = Vec::new();
    for ci in clo[0]..=chi[0] {
        for cj in clo[1]..=chi[1] {
            for ck in clo[2]..=chi[2] {
                let rows = table.rows_of_chunk(grid.nchunk([ci, cj, ck]));
                if rows.is_empty() {
                    continue;
                }
                let inside = match chunk_against(grid, region, [ci, cj, ck]) {
                    Some(false) => continue,
                    Some(true) => true,
                    None => false,
                };
                match runs.last_mut() {
                    Some((kind, r)) if *kind == inside && r.end == rows.start => r.end = rows.end,
                    _ => runs.push((inside, rows)),
                }
            }
        }
    }
    // While the listing is short of the limit: whole rows, in table order.
    let mut at = 0;
    while at < runs.len() && room(&res) > 0 {
        let (inside, rows) = runs[at].clone();
        at += 1;
        if inside {
            res.count += rows.end - rows.start;
            let take = room(&res).min(rows.end - rows.start);
            res.stars.extend(table.read(rows.start..rows.start + take)?.iter().map(FoundStar::from));
            continue;
        }
        for s in table.read(rows)? {
            if region.contains(s.pos) {
                res.count += 1;
                if room(&res) > 0 {
                    res.stars.push(FoundStar::from(&s));
                }
            }
        }
    }
    // Then counting only: the chunks inside from the index; the positions of the others,
    // read in spans (of at most a table chunk) that bridge gaps of up to a table block, so
    // that a block shared by two runs is decompressed once.
    let mut span: Option<(Range<u64>, Vec<Range<u64>>)> = None;
    let count_span = |span: (Range<u64>, Vec<Range<u64>>), count: &mut u64| -> Result<()> {
        let (all, parts) = span;
        let [x, y, z] = table.read_positions(all.clone())?;
        for p in parts {
            let (a, b) = ((p.start - all.start) as usize, (p.end - all.start) as usize);
            *count += (a..b).filter(|&i| region.contains([x[i], y[i], z[i]])).count() as u64;
        }
        Ok(())
    };
    for (inside, rows) in runs.drain(at..) {
        if inside {
            res.count += rows.end - rows.start;
            continue;
        }
        match &mut span {
            Some((all, parts))
                if rows.start - all.end <= crate::cube::TABLE_BLOCK as u64
                    && rows.end - all.start <= crate::cube::TABLE_CHUNK as u64 =>
            {
                all.end = rows.end;
                parts.push(rows);
            }
            _ => {
                if let Some(done) = span.replace((rows.clone(), vec![rows])) {
                    count_span(done, &mut res.count)?;
                }
            }
        }
    }
    if let Some(done) = span {
        count_span(done, &mut res.count)?;
    }
    Ok(res)
}

/// Calls `f` on every star of the galaxy inside `region` (all the star table's fields), in
/// table order (by chunk, cell, source_id): the stars [`query`] counts and lists.
///
/// # Errors
/// Read errors; a bare cube without a star table; the errors of `f`.
pub fn for_each_star_in(g: &Galaxy, region: &Region, mut f: impl FnMut(&Star) -> Result<()>) -> Result<()> {
    let (lo, hi) = region.bounds();
    for_each_star_near(g, lo, hi, |s| if region.contains(s.pos) { f(s) } else { Ok(()) })
}
