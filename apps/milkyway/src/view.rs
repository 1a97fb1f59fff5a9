//! The query layer of the explorer: pure functions over an opened [`Galaxy`] (shared by
//! threads) that a server calls, with typed parameter errors it maps to HTTP statuses.
//!
//! * [`summary`]: counts, grid, bounding box, distance histogram, pyramid levels;
//! * [`projection`]: star density along an axis over a slab and a window, from the pyramid
//!   level that fits the view (or the star table for views finer than the first level);
//! * [`stars`]: the stars in a box or a sphere (the region semantics of `milkyway query`);
//! * [`cell`] and [`star`]: one cell, one star by `source_id`;
//! * [`occupancy`]: stars per cube chunk; [`overview`]: the non-empty cells of a coarse
//!   pyramid level.
//!
//! Coordinates are ly around the Sun (ICRS axes). A projection along x shows (y, z), along
//! y (x, z), along z (x, y); its image rows go from the highest v (row 0) down.

use serde::Serialize;

use crate::explore::{self, FoundStar, Galaxy, Histogram, QueryResult, Region};
use crate::geom::Grid;
use crate::pyramid::Level;

/// Largest projection side in pixels.
pub const MAX_SIZE: u32 = 2048;
/// Most stars a region query lists.
pub const MAX_LIMIT: usize = 100_000;
/// Most cells a projection decompresses from a pyramid level not kept in memory (uint32
/// each: 8 MiB).
pub const CELL_BUDGET: u64 = 1 << 21;
/// Most stars a projection bins from the star table (views finer than the first level;
/// about 10 ms of reading and binning, where a level's sums cost a few ms whatever the
/// view).
pub const STAR_BUDGET: u64 = 1 << 17;
/// Most cells per axis of the level [`overview`] returns.
pub const MAX_OVERVIEW_SIDE: u64 = 160;

/// A request the query layer refuses, or a galaxy it cannot read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    /// A parameter that does not parse.
    #[error("{param}: {value:?} is malformed, expected {expected}")]
    Malformed {
        /// The parameter.
        param: &'static str,
        /// Its value.
        value: String,
        /// What it should look like.
        expected: &'static str,
    },
    /// A parameter outside its range.
    #[error("{param}: {value:?} is out of range: {reason}")]
    OutOfRange {
        /// The parameter.
        param: &'static str,
        /// Its value.
        value: String,
        /// Why.
        reason: &'static str,
    },
    /// A request for more than is served.
    #[error("{param}: {value} is too large (at most {max})")]
    TooLarge {
        /// The parameter.
        param: &'static str,
        /// Its value.
        value: u64,
        /// The largest value served.
        max: u64,
    },
    /// A star that is not in the galaxy.
    #[error("no star with source_id {source_id}")]
    StarNotFound {
        /// The source_id looked up.
        source_id: i64,
    },
    /// A part of the galaxy the request needs is missing.
    #[error("the galaxy has no {what}; {hint}")]
    Missing {
        /// The part.
        what: &'static str,
        /// What to do.
        hint: &'static str,
    },
    /// Reading the galaxy's files failed.
    #[error("reading the galaxy failed: {0}")]
    Read(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ViewError {
    /// The HTTP status of the error: 400 malformed or out of range, 413 too large, 404 not
    /// found, 409 missing part of the galaxy, 500 read failure.
    pub fn status(&self) -> u16 {
        match self {
            ViewError::Malformed { .. } | ViewError::OutOfRange { .. } => 400,
            ViewError::TooLarge { .. } => 413,
            ViewError::StarNotFound { .. } => 404,
            ViewError::Missing { .. } => 409,
            ViewError::Read(_) => 500,
        }
    }
}

impl From<anyhow::Error> for ViewError {
    fn from(e: anyhow::Error) -> ViewError {
        ViewError::Read(e.into())
    }
}

impl From<blosc2_nd::Error> for ViewError {
    fn from(e: blosc2_nd::Error) -> ViewError {
        ViewError::Read(Box::new(e))
    }
}

/// A result of the query layer.
pub type ViewResult<T> = std::result::Result<T, ViewError>;

// Send + Sync: a server shares one opened galaxy between its threads.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Galaxy>();
};

/// A projection axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Axis {
    /// Along x: the image shows (y, z).
    X,
    /// Along y: the image shows (x, z).
    Y,
    /// Along z: the image shows (x, y).
    Z,
}

impl Axis {
    /// Parses `x`, `y` or `z`.
    ///
    /// # Errors
    /// [`ViewError::Malformed`] for anything else.
    pub fn parse(s: &str) -> ViewResult<Axis> {
        match s {
            "x" => Ok(Axis::X),
            "y" => Ok(Axis::Y),
            "z" => Ok(Axis::Z),
            _ => Err(ViewError::Malformed { param: "axis", value: clip(s), expected: "x, y or z" }),
        }
    }

    /// The axis index (0, 1, 2).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The image axes (u, v) of a projection along this axis.
    pub fn image_axes(self) -> (usize, usize) {
        match self {
            Axis::X => (1, 2),
            Axis::Y => (0, 2),
            Axis::Z => (0, 1),
        }
    }
}

fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

fn number(param: &'static str, s: &str, expected: &'static str) -> ViewResult<f64> {
    let v: f64 = s.trim().parse().map_err(|_| ViewError::Malformed { param, value: clip(s), expected })?;
    if !v.is_finite() {
        return Err(ViewError::OutOfRange { param, value: clip(s), reason: "not a finite number" });
    }
    Ok(v)
}

/// Parses `a:b` (ly, finite, a < b).
///
/// # Errors
/// [`ViewError::Malformed`]; [`ViewError::OutOfRange`] for a >= b or non-finite bounds.
pub fn parse_range(param: &'static str, s: &str) -> ViewResult<(f64, f64)> {
    const EXPECTED: &str = "a:b (numbers in ly, a < b)";
    let (a, b) = s.split_once(':').ok_or(ViewError::Malformed { param, value: clip(s), expected: EXPECTED })?;
    let (a, b) = (number(param, a, EXPECTED)?, number(param, b, EXPECTED)?);
    if a >= b {
        return Err(ViewError::OutOfRange { param, value: clip(s), reason: "the lower bound must be below the upper" });
    }
    Ok((a, b))
}

/// Parses a window `u0:u1,v0:v1` (ly).
///
/// # Errors
/// As [`parse_range`].
pub fn parse_window(s: &str) -> ViewResult<[(f64, f64); 2]> {
    let (u, v) = s.split_once(',').ok_or(ViewError::Malformed {
        param: "window",
        value: clip(s),
        expected: "u0:u1,v0:v1 (numbers in ly)",
    })?;
    Ok([parse_range("window", u)?, parse_range("window", v)?])
}

/// Parses a projection size in pixels (1..=[`MAX_SIZE`]).
///
/// # Errors
/// [`ViewError::Malformed`], [`ViewError::OutOfRange`] for 0, [`ViewError::TooLarge`].
pub fn parse_size(s: &str) -> ViewResult<u32> {
    let v: u64 = s.trim().parse().map_err(|_| ViewError::Malformed {
        param: "size",
        value: clip(s),
        expected: "a number of pixels",
    })?;
    check_size(v)
}

fn check_size(v: u64) -> ViewResult<u32> {
    if v == 0 {
        return Err(ViewError::OutOfRange { param: "size", value: "0".into(), reason: "at least 1 pixel" });
    }
    if v > u64::from(MAX_SIZE) {
        return Err(ViewError::TooLarge { param: "size", value: v, max: MAX_SIZE.into() });
    }
    Ok(v as u32)
}

/// Parses a star limit (0..=[`MAX_LIMIT`]).
///
/// # Errors
/// [`ViewError::Malformed`], [`ViewError::TooLarge`].
pub fn parse_limit(s: &str) -> ViewResult<usize> {
    let v: u64 = s.trim().parse().map_err(|_| ViewError::Malformed {
        param: "limit",
        value: clip(s),
        expected: "a number of stars",
    })?;
    check_limit(v)
}

fn check_limit(v: u64) -> ViewResult<usize> {
    if v > MAX_LIMIT as u64 {
        return Err(ViewError::TooLarge { param: "limit", value: v, max: MAX_LIMIT as u64 });
    }
    Ok(v as usize)
}

/// Parses a sphere `x,y,z,r` as `milkyway query --sphere` does.
///
/// # Errors
/// [`ViewError::Malformed`]; [`ViewError::OutOfRange`] for non-finite numbers.
pub fn parse_sphere(s: &str) -> ViewResult<Region> {
    parse_region("sphere", s, Region::parse_sphere(s), "x,y,z,r (numbers in ly, r >= 0)")
}

/// Parses a box `x0:x1,y0:y1,z0:z1` as `milkyway query --box` does.
///
/// # Errors
/// [`ViewError::Malformed`]; [`ViewError::OutOfRange`] for non-finite numbers.
pub fn parse_box(s: &str) -> ViewResult<Region> {
    parse_region("box", s, Region::parse_box(s), "x0:x1,y0:y1,z0:z1 (numbers in ly, lower <= upper)")
}

/// The region `parsed` from the value `s` of `param`: [`ViewError::Malformed`] (saying what
/// was `expected`) when it did not parse, [`ViewError::OutOfRange`] for non-finite numbers.
fn parse_region<E>(
    param: &'static str,
    s: &str,
    parsed: Result<Region, E>,
    expected: &'static str,
) -> ViewResult<Region> {
    let r = parsed.map_err(|_| ViewError::Malformed { param, value: clip(s), expected })?;
    let (lo, hi) = r.bounds();
    if lo.iter().chain(&hi).all(|v| v.is_finite()) {
        Ok(r)
    } else {
        Err(ViewError::OutOfRange { param, value: clip(s), reason: "not finite numbers" })
    }
}

/// Parses a position `x,y,z` (ly).
///
/// # Errors
/// [`ViewError::Malformed`]; [`ViewError::OutOfRange`] for non-finite numbers.
pub fn parse_point(s: &str) -> ViewResult<[f64; 3]> {
    const EXPECTED: &str = "x,y,z (numbers in ly)";
    let parts: Vec<&str> = s.split(',').collect();
    if parts.len() != 3 {
        return Err(ViewError::Malformed { param: "cell", value: clip(s), expected: EXPECTED });
    }
    Ok([number("cell", parts[0], EXPECTED)?, number("cell", parts[1], EXPECTED)?, number("cell", parts[2], EXPECTED)?])
}

/// Parses a `source_id`.
///
/// # Errors
/// [`ViewError::Malformed`].
pub fn parse_source_id(s: &str) -> ViewResult<i64> {
    s.trim().parse().map_err(|_| ViewError::Malformed {
        param: "source_id",
        value: clip(s),
        expected: "an integer Gaia source_id",
    })
}

/// The cube's extent along every axis in ly (lower, upper).
pub fn extent(grid: &Grid) -> (f64, f64) {
    (-(grid.offset as f64) * grid.cell_ly, (grid.side as f64 - grid.offset as f64) * grid.cell_ly)
}

/// A pyramid level as the summary lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelInfo {
    /// Cells of 2^k cube cells per axis.
    pub k: u32,
    /// Cells per axis.
    pub side: u64,
    /// Cell edge in ly.
    pub cell_ly: f64,
}

/// What the summary endpoint answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GalaxySummary {
    /// Stars in the galaxy.
    pub stars: u64,
    /// Non-empty cube cells.
    pub nonempty_cells: u64,
    /// Non-empty cube chunks.
    pub nonempty_chunks: u64,
    /// All cube chunks.
    pub nchunks: u64,
    /// Cells above 255 stars (stored as 255 in the cube).
    pub saturated_cells: u64,
    /// The grid.
    pub grid: Grid,
    /// Chunk edge in ly.
    pub chunk_ly: f64,
    /// The cube's extent along every axis in ly.
    pub extent_ly: (f64, f64),
    /// Lowest and highest star coordinates per axis (ly).
    pub bbox_ly: Option<([f64; 3], [f64; 3])>,
    /// Stars per distance bin (exact distances).
    pub histogram: Histogram,
    /// The pyramid levels, finest first (empty without a pyramid).
    pub levels: Vec<LevelInfo>,
}

/// The galaxy's counts, grid, bounding box, histogram and pyramid levels (from
/// `summary.json`; nothing is decompressed).
///
/// # Errors
/// [`ViewError::Missing`] for a bare cube.
pub fn summary(g: &Galaxy) -> ViewResult<GalaxySummary> {
    let s = g.summary.as_ref().ok_or(ViewError::Missing { what: "summary.json", hint: "open a galaxy directory" })?;
    let c = &s.cube;
    Ok(GalaxySummary {
        stars: c.stars,
        nonempty_cells: c.nonempty_cells,
        nonempty_chunks: c.nonempty_chunks,
        nchunks: g.grid.nchunks(),
        saturated_cells: c.saturated_cells,
        grid: g.grid,
        chunk_ly: g.grid.chunk as f64 * g.grid.cell_ly,
        extent_ly: extent(&g.grid),
        bbox_ly: c.bbox_ly,
        histogram: Histogram { bin_ly: c.hist_bin_ly, counts: c.distance_histogram.clone() },
        levels: g
            .pyramid
            .iter()
            .flat_map(|p| &p.levels)
            .map(|l| LevelInfo { k: l.k, side: l.side, cell_ly: l.cell_ly(&g.grid) })
            .collect(),
    })
}

/// A projection request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProjectionRequest {
    /// The axis summed over.
    pub axis: Axis,
    /// The slab along the axis (ly, half-open); the whole cube when `None`.
    pub slab: Option<(f64, f64)>,
    /// The window (u, v ranges in ly, half-open); the whole cube when `None`.
    pub window: Option<[(f64, f64); 2]>,
    /// Pixels along the longer side of the window (the other side keeps square pixels).
    pub size: u32,
}

/// A density projection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Projection {
    /// The axis summed over.
    pub axis: Axis,
    /// Image width (along u).
    pub width: u32,
    /// Image height (along v).
    pub height: u32,
    /// The window (u, v ranges in ly).
    pub window: [(f64, f64); 2],
    /// The slab (ly).
    pub slab: (f64, f64),
    /// The pyramid level read (k), or 0 when the stars were binned from the star table.
    pub level: u32,
    /// Edge in ly of the cells read (the cube cell for the star table).
    pub cell_ly: f64,
    /// Stars per pixel, row-major, row 0 at the highest v. Where level cells are larger than
    /// pixels each pixel gets its share of the cell under its centre (cell count × pixel
    /// area / cell area).
    pub data: Vec<f32>,
    /// Stars counted (sum over the level cells or stars taken).
    pub total: u64,
    /// For pictures: where level cells are binned into pixels and the pixels' edges are not
    /// whole numbers of cells, some columns (rows) take one cell more than others and a
    /// uniform density would show stripes; a picture multiplies pixel (column `i`, row `j`)
    /// by `cols[i] * rows[j]`, the mean number of cells per column (row) over that
    /// column's (row's). `None` when no correction applies. Not part of the counts.
    #[serde(skip)]
    pub picture_weights: Option<(Vec<f32>, Vec<f32>)>,
}

/// How a projection reads the galaxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Stars binned from the star table.
    Stars,
    /// Pyramid level k.
    Level(u32),
}

/// Level-cell index range `[i0, i1)` along one axis of the cells of level `k` whose centre
/// lies in `[lo, hi)` ly; a range reaching the cube's end takes the last cell too, whose
/// centre lies past the end when the level's cells do not divide the cube (level 7 of the
/// talk's grid: 157 cells of 128 ly over 20,000 ly), so that whole views count every star.
pub fn centre_range(grid: &Grid, k: u32, lo: f64, hi: f64) -> (u64, u64) {
    let e = (1u64 << k) as f64;
    let side = crate::pyramid::level_side(grid, k);
    // Centre of cell i: ((i + 0.5) e - offset) cell_ly.
    let first = |v: f64| -> u64 {
        let x = ((v / grid.cell_ly + grid.offset as f64) / e - 0.5).ceil();
        x.clamp(0.0, side as f64) as u64
    };
    let end = if hi >= extent(grid).1 { side } else { first(hi) };
    (first(lo), end)
}

/// Centre in ly of cell `i` of level `k` along an axis.
pub fn level_centre(grid: &Grid, k: u32, i: u64) -> f64 {
    (((i as f64) + 0.5) * (1u64 << k) as f64 - grid.offset as f64) * grid.cell_ly
}

fn image_size(window: [(f64, f64); 2], size: u32) -> (u32, u32) {
    let (wu, wv) = (window[0].1 - window[0].0, window[1].1 - window[1].0);
    let other = |a: f64, b: f64| ((f64::from(size) * a / b).round() as u32).clamp(1, size);
    if wu >= wv {
        (size, other(wv, wu))
    } else {
        (other(wu, wv), size)
    }
}

/// The resolved geometry of a projection request.
#[derive(Debug, Clone, Copy)]
struct View {
    axis: Axis,
    slab: (f64, f64),
    window: [(f64, f64); 2],
    width: u32,
    height: u32,
    px: (f64, f64),
}

fn resolve(g: &Galaxy, req: &ProjectionRequest) -> ViewResult<View> {
    check_size(req.size.into())?;
    let (elo, ehi) = extent(&g.grid);
    let slab = req.slab.unwrap_or((elo, ehi));
    let window = req.window.unwrap_or([(elo, ehi), (elo, ehi)]);
    for (param, (a, b)) in [("slab", slab), ("window", window[0]), ("window", window[1])] {
        if !(a.is_finite() && b.is_finite() && a < b) {
            return Err(ViewError::OutOfRange {
                param,
                value: format!("{a}:{b}"),
                reason: "need finite bounds, lower below upper",
            });
        }
        if b <= elo || a >= ehi {
            return Err(ViewError::OutOfRange { param, value: format!("{a}:{b}"), reason: "outside the cube" });
        }
    }
    let (width, height) = image_size(window, req.size);
    let px = ((window[0].1 - window[0].0) / f64::from(width), (window[1].1 - window[1].0) / f64::from(height));
    Ok(View { axis: req.axis, slab, window, width, height, px })
}

/// Level cells a projection from level `k` reads.
fn cells_read(g: &Galaxy, v: &View, k: u32) -> u64 {
    let (lo, hi) = view_box(v);
    (0..3)
        .map(|a| {
            let (i0, i1) = centre_range(&g.grid, k, lo[a], hi[a]);
            (i1 - i0).max(1)
        })
        .product()
}

/// Whether `level`'s sums along the view's axis answer the view without reading cells,
/// visiting at most [`CELL_BUDGET`] values: a level kept in memory (any slab), a slab
/// covering the whole axis, or a slab of at most that many non-empty cells.
fn summed(g: &Galaxy, v: &View, level: &Level) -> ViewResult<bool> {
    let (t0, t1) = centre_range(&g.grid, level.k, v.slab.0, v.slab.1);
    Ok(level.sums()?[v.axis.index()].cost(level.side, t0, t1).is_some_and(|c| c <= CELL_BUDGET))
}

/// The source a projection reads: the coarsest pyramid level whose cells are no larger than
/// a pixel, or a coarser one when it would decompress more than [`CELL_BUDGET`] cells (levels
/// kept in memory have no budget); the star
/// table when pixels are finer than the first level and the view holds at most
/// [`STAR_BUDGET`] stars.
///
/// # Errors
/// As [`projection`].
pub fn choose_source(g: &Galaxy, req: &ProjectionRequest) -> ViewResult<Source> {
    let v = resolve(g, req)?;
    choose(g, &v)
}

fn view_box(v: &View) -> ([f64; 3], [f64; 3]) {
    let (ua, va) = v.axis.image_axes();
    let mut lo = [0.0; 3];
    let mut hi = [0.0; 3];
    (lo[v.axis.index()], hi[v.axis.index()]) = v.slab;
    (lo[ua], hi[ua]) = v.window[0];
    (lo[va], hi[va]) = v.window[1];
    (lo, hi)
}

fn choose(g: &Galaxy, v: &View) -> ViewResult<Source> {
    let p = g
        .pyramid
        .as_ref()
        .ok_or(ViewError::Missing { what: "pyramid", hint: "run `milkyway index GALAXY` to build it" })?;
    let px = v.px.0.max(v.px.1);
    let ks: Vec<u32> = p.levels.iter().map(|l| l.k).collect();
    let first = ks[0];
    let fit = (px / g.grid.cell_ly).log2().floor();
    if fit < f64::from(first) {
        let table = explore::table(g)?;
        let (lo, hi) = view_box(v);
        let n: u64 = explore::rows_in_box(g, table, lo, hi).iter().map(|r| r.end - r.start).sum();
        if n <= STAR_BUDGET {
            return Ok(Source::Stars);
        }
    }
    let mut at = ks.iter().rposition(|&k| f64::from(k) <= fit).unwrap_or(0);
    while at + 1 < ks.len() && !summed(g, v, &p.levels[at])? && cells_read(g, v, ks[at]) > CELL_BUDGET {
        at += 1;
    }
    Ok(Source::Level(ks[at]))
}

/// The density of the stars along `req.axis` over the slab and the window, read from the
/// source [`choose_source`] picks.
///
/// Level cells (and stars) are taken when their centre (position) lies in the half-open
/// slab. Where level cells are no larger than pixels, each cell whose centre lies in the
/// window adds its count to the pixel under its centre (stars likewise by position); where
/// they are larger, each pixel gets its share of the cell under the pixel's centre.
///
/// # Errors
/// [`ViewError`] for a bad size, slab or window (outside the cube, empty), a galaxy without
/// pyramid, read errors.
pub fn projection(g: &Galaxy, req: &ProjectionRequest) -> ViewResult<Projection> {
    let v = resolve(g, req)?;
    match choose(g, &v)? {
        Source::Stars => project_stars(g, &v),
        Source::Level(k) => {
            let p = g.pyramid.as_ref().expect("chosen from the pyramid");
            let level = p.levels.iter().find(|l| l.k == k).expect("a stored level");
            project_level(g, &v, level)
        }
    }
}

/// The projection of `req` from pyramid level `k` (whatever it costs), for tests and
/// benchmarks.
///
/// # Errors
/// As [`projection`]; [`ViewError::OutOfRange`] for a level not stored.
pub fn projection_from(g: &Galaxy, req: &ProjectionRequest, source: Source) -> ViewResult<Projection> {
    let v = resolve(g, req)?;
    match source {
        Source::Stars => project_stars(g, &v),
        Source::Level(k) => {
            let level = g
                .pyramid
                .as_ref()
                .and_then(|p| p.levels.iter().find(|l| l.k == k))
                .ok_or(ViewError::OutOfRange { param: "level", value: k.to_string(), reason: "not a stored level" })?;
            project_level(g, &v, level)
        }
    }
}

fn pixel(lo: f64, px: f64, n: u32, x: f64) -> Option<usize> {
    let i = ((x - lo) / px).floor();
    (i >= 0.0).then(|| (i as usize).min(n as usize - 1))
}

fn empty(v: &View, level: u32, cell_ly: f64) -> Projection {
    Projection {
        axis: v.axis,
        width: v.width,
        height: v.height,
        window: v.window,
        slab: v.slab,
        level,
        cell_ly,
        data: vec![0.0; v.width as usize * v.height as usize],
        total: 0,
        picture_weights: None,
    }
}

fn project_stars(g: &Galaxy, v: &View) -> ViewResult<Projection> {
    let mut out = empty(v, 0, g.grid.cell_ly);
    let (lo, hi) = view_box(v);
    let (ua, va) = v.axis.image_axes();
    let a = v.axis.index();
    explore::for_each_position_near(g, lo, hi, |p| {
        let inside = p[a] >= v.slab.0
            && p[a] < v.slab.1
            && p[ua] >= v.window[0].0
            && p[ua] < v.window[0].1
            && p[va] >= v.window[1].0
            && p[va] < v.window[1].1;
        if inside {
            if let (Some(i), Some(j)) =
                (pixel(v.window[0].0, v.px.0, v.width, p[ua]), pixel(v.window[1].0, v.px.1, v.height, p[va]))
            {
                out.data[(v.height as usize - 1 - j) * v.width as usize + i] += 1.0;
                out.total += 1;
            }
        }
        Ok(())
    })?;
    Ok(out)
}

fn project_level(g: &Galaxy, v: &View, level: &Level) -> ViewResult<Projection> {
    let grid = &g.grid;
    let k = level.k;
    let cell = level.cell_ly(grid);
    let mut out = empty(v, k, cell);
    let (ua, va) = v.axis.image_axes();
    let a = v.axis.index();
    let up = cell > v.px.0.max(v.px.1);
    // Cells read: centre in the slab; along u and v, centre in the window (binning) or
    // overlapping the window (sharing).
    let mut lo = [0u64; 3];
    let mut hi = [0u64; 3];
    (lo[a], hi[a]) = centre_range(grid, k, v.slab.0, v.slab.1);
    for (ax, w) in [(ua, v.window[0]), (va, v.window[1])] {
        (lo[ax], hi[ax]) = if up {
            let (i0, _) = centre_range(grid, k, w.0 - cell / 2.0, w.1);
            let (_, i1) = centre_range(grid, k, w.0, w.1 + cell / 2.0);
            (i0, i1)
        } else {
            centre_range(grid, k, w.0, w.1)
        };
    }
    if (0..3).any(|x| lo[x] >= hi[x]) {
        return Ok(out);
    }
    let sh = [0, 1, 2].map(|x| (hi[x] - lo[x]) as usize);
    let (nu, nv) = (sh[ua], sh[va]);
    // Sum over the projection axis into a (u, v) image of level cells: from the level's
    // sums when it keeps them for this slab, else from the cells read.
    let img = match level.slab_image(a, (lo[a], hi[a]), (lo[ua], hi[ua]), (lo[va], hi[va]))? {
        Some(img) => img,
        None => sum_cells(level, lo, hi, a)?,
    };
    let (w, h) = (v.width as usize, v.height as usize);
    if up {
        let share = (v.px.0 * v.px.1 / (cell * cell)) as f32;
        let e = (1u64 << k) as f64;
        let index = |x: f64| ((x / grid.cell_ly + grid.offset as f64) / e).floor();
        // The level cell under each column and row centre (None outside the cells read).
        let under = |n: usize, w0: f64, px: f64, ax: usize| -> Vec<Option<usize>> {
            (0..n)
                .map(|i| {
                    let j = index(w0 + i as f64 * px + px / 2.0);
                    (j >= lo[ax] as f64 && j < hi[ax] as f64).then(|| j as usize - lo[ax] as usize)
                })
                .collect()
        };
        let cols = under(w, v.window[0].0, v.px.0, ua);
        let rows = under(h, v.window[1].0, v.px.1, va);
        for (row, jv) in rows.iter().rev().enumerate() {
            let Some(jv) = *jv else { continue };
            let line = &mut out.data[row * w..(row + 1) * w];
            for (px, ju) in line.iter_mut().zip(&cols) {
                if let Some(ju) = *ju {
                    *px = img[ju * nv + jv] as f32 * share;
                }
            }
        }
        out.total = img.iter().sum();
    } else {
        // Cells per column and per row, for the picture's weights.
        let per = |n: usize, lo: u64, w0: f64, px: f64, len: u32| -> Vec<Option<usize>> {
            (0..n).map(|i| pixel(w0, px, len, level_centre(grid, k, lo + i as u64))).collect()
        };
        let col_of = per(nu, lo[ua], v.window[0].0, v.px.0, v.width);
        let row_of = per(nv, lo[va], v.window[1].0, v.px.1, v.height);
        let weights = |of: &[Option<usize>], len: usize, rev: bool| -> Vec<f32> {
            let mut n = vec![0u32; len];
            for &p in of.iter().flatten() {
                n[p] += 1;
            }
            let used: Vec<u32> = n.iter().copied().filter(|&c| c > 0).collect();
            let mean = used.iter().map(|&c| f64::from(c)).sum::<f64>() / used.len().max(1) as f64;
            let mut wt: Vec<f32> = n.iter().map(|&c| if c > 0 { (mean / f64::from(c)) as f32 } else { 1.0 }).collect();
            if rev {
                wt.reverse();
            }
            wt
        };
        out.picture_weights = Some((weights(&col_of, w, false), weights(&row_of, h, true)));
        for iu in 0..nu {
            let Some(col) = col_of[iu] else { continue };
            for iv in 0..nv {
                let c = img[iu * nv + iv];
                if c == 0 {
                    continue;
                }
                let Some(j) = row_of[iv] else { continue };
                out.data[(h - 1 - j) * w + col] += c as f32;
                out.total += c;
            }
        }
    }
    Ok(out)
}

/// The cells of `level` in `[lo, hi)` summed along `axis`: a `(u, v)` image, C order.
fn sum_cells(level: &Level, lo: [u64; 3], hi: [u64; 3], axis: usize) -> ViewResult<Vec<u64>> {
    let n: u64 = (0..3).map(|x| hi[x] - lo[x]).product();
    if n > CELL_BUDGET * 64 {
        return Err(ViewError::TooLarge { param: "level cells read", value: n, max: CELL_BUDGET * 64 });
    }
    let vals = level.read(lo, hi)?;
    let sh = [0, 1, 2].map(|x| (hi[x] - lo[x]) as usize);
    let (ua, va) = match axis {
        0 => (1, 2),
        1 => (0, 2),
        _ => (0, 1),
    };
    let nv = sh[va];
    let mut img = vec![0u64; sh[ua] * nv];
    for (f, &c) in vals.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let idx = [f / (sh[1] * sh[2]), (f / sh[2]) % sh[1], f % sh[2]];
        img[idx[ua] * nv + idx[va]] += u64::from(c);
    }
    Ok(img)
}

/// The image of level cells [`projection`] bins (summed along `axis` over `[lo, hi)`),
/// computed from the cells themselves, never from the level's sums: the reference the
/// sums are tested against.
///
/// # Errors
/// Read errors; a box too large.
pub fn level_image_from_cells(level: &Level, lo: [u64; 3], hi: [u64; 3], axis: Axis) -> ViewResult<Vec<u64>> {
    sum_cells(level, lo, hi, axis.index())
}

/// A region query's answer, with the stars left out by the limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StarsResult {
    /// Stars in the region.
    pub count: u64,
    /// Stars in the region not listed (count - listed).
    pub omitted: u64,
    /// The stars listed (table order: by chunk, cell, source_id).
    pub stars: Vec<FoundStar>,
}

/// The stars in `region` (exactly as `milkyway query`), at most `limit` of them listed.
///
/// # Errors
/// [`ViewError::TooLarge`] for a limit above [`MAX_LIMIT`]; [`ViewError::Missing`] for a
/// bare cube; read errors.
pub fn stars(g: &Galaxy, region: &Region, limit: usize) -> ViewResult<StarsResult> {
    check_limit(limit as u64)?;
    if g.table.is_none() {
        return Err(ViewError::Missing { what: "star table", hint: "open a galaxy directory" });
    }
    let QueryResult { count, stars } = explore::query(g, region, Some(limit))?;
    Ok(StarsResult { count, omitted: count - stars.len() as u64, stars })
}

/// One cube cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellInfo {
    /// Cell indices.
    pub cell: [u64; 3],
    /// Lower corner in ly.
    pub lo_ly: [f64; 3],
    /// Centre in ly.
    pub center_ly: [f64; 3],
    /// The count stored in the cube (saturates at 255).
    pub stored: u8,
    /// The stars in the cell (from the star table, exact).
    pub stars: Vec<FoundStar>,
}

/// The cube cell holding position `p` (ly): its stored count and its stars.
///
/// # Errors
/// [`ViewError::OutOfRange`] outside the cube; read errors.
pub fn cell(g: &Galaxy, p: [f64; 3]) -> ViewResult<CellInfo> {
    let grid = &g.grid;
    let c = grid.cell(p).ok_or(ViewError::OutOfRange {
        param: "cell",
        value: format!("{},{},{}", p[0], p[1], p[2]),
        reason: "outside the cube",
    })?;
    let stored = g.cube.get_bytes(&c)?.first().copied().unwrap_or(0);
    let mut stars = Vec::new();
    if let Some(table) = &g.table {
        for s in table.read(table.rows_of_chunk(grid.nchunk(grid.chunk_coords(c))))? {
            if grid.cell(s.pos) == Some(c) {
                stars.push(FoundStar::from(&s));
            }
        }
    }
    Ok(CellInfo { cell: c, lo_ly: grid.cell_corner(c), center_ly: grid.cell_center(c), stored, stars })
}

/// The star of `source_id`.
///
/// # Errors
/// [`ViewError::StarNotFound`]; [`ViewError::Missing`] for a bare cube; read errors.
pub fn star(g: &Galaxy, source_id: i64) -> ViewResult<FoundStar> {
    let table = g.table.as_ref().ok_or(ViewError::Missing { what: "star table", hint: "open a galaxy directory" })?;
    match table.find(source_id)? {
        Some((_, s)) => Ok(FoundStar::from(&s)),
        None => Err(ViewError::StarNotFound { source_id }),
    }
}

/// Stars per non-empty cube chunk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Occupancy {
    /// Chunks per axis.
    pub chunks_per_axis: u64,
    /// Chunk edge in ly.
    pub chunk_ly: f64,
    /// Lower corner of chunk (0, 0, 0) in ly.
    pub origin_ly: f64,
    /// Non-empty chunks: coordinates and star count, in chunk order.
    pub chunks: Vec<([u64; 3], u64)>,
}

/// The occupancy of the chunk grid (from the star table's chunk index).
///
/// # Errors
/// [`ViewError::Missing`] for a bare cube.
pub fn occupancy(g: &Galaxy) -> ViewResult<Occupancy> {
    let table = g.table.as_ref().ok_or(ViewError::Missing { what: "star table", hint: "open a galaxy directory" })?;
    let grid = &g.grid;
    let chunks = table
        .chunk_nchunk
        .iter()
        .enumerate()
        .map(|(i, &n)| (grid.chunk_of(n), table.chunk_start[i + 1] - table.chunk_start[i]))
        .collect();
    Ok(Occupancy {
        chunks_per_axis: grid.chunks_per_axis(),
        chunk_ly: grid.chunk as f64 * grid.cell_ly,
        origin_ly: extent(grid).0,
        chunks,
    })
}

/// The non-empty cells of a coarse pyramid level (for a 3-D overview).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    /// The level (k).
    pub level: u32,
    /// Its cell edge in ly.
    pub cell_ly: f64,
    /// Non-empty cells: centre in ly and star count.
    pub cells: Vec<([f64; 3], u32)>,
}

/// The non-empty cells of the finest level with at most `max_side` cells per axis (at most
/// [`MAX_OVERVIEW_SIDE`]).
///
/// # Errors
/// [`ViewError::TooLarge`] for `max_side` above the limit; [`ViewError::Missing`] without
/// pyramid; read errors.
pub fn overview(g: &Galaxy, max_side: u64) -> ViewResult<Overview> {
    if max_side > MAX_OVERVIEW_SIDE {
        return Err(ViewError::TooLarge { param: "side", value: max_side, max: MAX_OVERVIEW_SIDE });
    }
    let p = g
        .pyramid
        .as_ref()
        .ok_or(ViewError::Missing { what: "pyramid", hint: "run `milkyway index GALAXY` to build it" })?;
    let level = p.levels.iter().find(|l| l.side <= max_side).unwrap_or(p.levels.last().expect("levels"));
    let n = level.side;
    let vals = level.read([0; 3], [n; 3])?;
    let k = level.k;
    let cells = vals
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(f, &c)| {
            let f = f as u64;
            let i = [f / (n * n), (f / n) % n, f % n];
            (i.map(|x| level_centre(&g.grid, k, x)), c)
        })
        .collect();
    Ok(Overview { level: k, cell_ly: level.cell_ly(&g.grid), cells })
}
