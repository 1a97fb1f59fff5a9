//! The array viewer: its page and its API, as a router any binary can mount.
//!
//! | path | answer |
//! |---|---|
//! | `GET /` | the page |
//! | `GET /api/arrays` | `[{"name", "shape", "dtype"}]` |
//! | `GET /api/meta?array=NAME` | shape, dtype, fields, chunks, blocks, codec, filters, sizes, chunk kinds (exact, or from the offsets while the exact count runs), metalayers |
//! | `GET /api/chunkmap?array=NAME&axes=a,b[&at=i0,i1,...]` | kind and compressed size of each chunk of the plane of the chunk grid through `at` |
//! | `GET /api/slice?array=NAME&index=SEL[&step=K][&reduce=mean\|max\|min][&field=F]&format=npy\|json\|png\|f32` | the cells of a selection |
//! | `GET /api/stats?array=NAME&index=SEL[&step=K][&reduce=mean\|max\|min][&field=F]` | min, max, mean, non-zero count of those cells |
//!
//! `SEL` is NumPy's syntax (`0:100,5,::2`; missing trailing items are `:`); `step` is one
//! step for every dimension or one per dimension (`1,20,20`), multiplying the selection's
//! own; `reduce` gives one value per step box instead of its first cell. The `f32` answer
//! carries the statistics of its values in an `x-stats` header (the `stats` answer's JSON).
//! Malformed requests get 400, unknown arrays 404, answers over the cell budget 413,
//! each with one line of JSON.

pub mod catalog;
pub mod read;
pub mod values;

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use blosc2_nd::{parse_selection, NdArray, Reduce, Selection, SliceItem};
use serde::Deserialize;

use crate::assets::{self, Asset};
use crate::error::{Error, Result};
use crate::image::{encode_png, finite_range, ColorMap};
use crate::limits::Limits;
pub use catalog::{Catalog, ChunkCounts, Entry};
use read::{Stats, StatsBuilder};
use values::Numeric;

/// The page's files.
pub static ASSETS: &[Asset] = &[
    Asset {
        name: "viewer.html",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../../assets/viewer.html"),
        gzipped: false,
    },
    Asset {
        name: "viewer.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/viewer.js"),
        gzipped: false,
    },
];

/// What the viewer's handlers share.
#[derive(Debug)]
pub struct Viewer {
    /// The arrays served.
    pub catalog: Catalog,
    /// The limits applied.
    pub limits: Limits,
    /// Reads of cells running at a time (twice the cores): the others wait their turn, in
    /// order, so that the memory held is a few answers and the first requests finish first
    /// instead of all sharing the cores until the end.
    reads: tokio::sync::Semaphore,
}

/// The viewer's router (page, assets and API) over `catalog`; wrap it with
/// [`crate::layered`] (or serve it with [`crate::serve`]).
pub fn router(catalog: Catalog, limits: Limits) -> Router {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let state = Arc::new(Viewer { catalog, limits, reads: tokio::sync::Semaphore::new(2 * cores) });
    Router::new()
        .route("/", get(|| async { ASSETS[0].response() }))
        .route("/api/arrays", get(arrays))
        .route("/api/meta", get(meta))
        .route("/api/chunkmap", get(chunkmap))
        .route("/api/slice", get(slice))
        .route("/api/stats", get(stats))
        .with_state(state)
        .merge(assets::router(ASSETS))
}

type Q<T> = std::result::Result<Query<T>, QueryRejection>;

fn query<T>(q: Q<T>) -> Result<T> {
    q.map(|Query(t)| t).map_err(|e| Error::bad("query", e.body_text()))
}

/// Runs a blocking array read off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|_| Error::Internal("read task failed"))?
}

/// As [`blocking`], once one of the viewer's read slots is free.
async fn read<T: Send + 'static>(v: &Viewer, f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    let _slot = v.reads.acquire().await.map_err(|_| Error::Internal("reads closed"))?;
    blocking(f).await
}

async fn arrays(State(v): State<Arc<Viewer>>) -> Response {
    let list: Vec<serde_json::Value> = v
        .catalog
        .entries
        .iter()
        .map(|e| serde_json::json!({"name": e.name, "shape": e.array.shape(), "dtype": e.array.dtype().as_str()}))
        .collect();
    Json(list).into_response()
}

#[derive(Debug, Deserialize)]
struct ArrayQuery {
    array: Option<String>,
}

fn entry<'a>(v: &'a Viewer, name: Option<&str>) -> Result<&'a Entry> {
    v.catalog.get(name.ok_or_else(|| Error::bad("array", "missing"))?)
}

/// The `meta` answer of an entry.
pub fn meta_json(e: &Entry) -> serde_json::Value {
    let a = &e.array;
    let p = a.schunk().cparams();
    let filters: Vec<serde_json::Value> = p
        .filters
        .filters
        .iter()
        .zip(&p.filters.meta)
        .filter(|(&f, _)| f != 0)
        .map(|(&f, &m)| serde_json::json!({"name": blosc2_core::filter::FilterId(f).to_string(), "meta": m}))
        .collect();
    let fields: Vec<serde_json::Value> = a
        .dtype()
        .fields()
        .unwrap_or_default()
        .iter()
        .map(|f| {
            let numeric = Numeric::new(a.dtype(), Some(&f.name)).is_ok();
            serde_json::json!({"name": f.name, "dtype": f.dtype.as_str(), "offset": f.offset, "numeric": numeric})
        })
        .collect();
    let (nbytes, cbytes) = (a.schunk().nbytes(), a.schunk().cbytes());
    let numeric = Numeric::new(a.dtype(), None).is_ok();
    let counts = e.quick_counts();
    serde_json::json!({
        "name": e.name,
        "shape": a.shape(),
        "dtype": a.dtype().as_str(),
        "kind": format!("{:?}", a.dtype().kind()),
        "itemsize": a.dtype().itemsize(),
        "numeric": numeric,
        "fields": fields,
        "chunks": a.chunks(),
        "blocks": a.blocks(),
        "chunk_grid": a.geometry().chunk_grid(),
        "nchunks": a.nchunks(),
        "codec": p.codec.to_string(),
        "codec_meta": p.codec_meta,
        "clevel": p.clevel,
        "filters": filters,
        "nbytes": nbytes,
        "cbytes": cbytes,
        "cratio": if cbytes > 0 { nbytes as f64 / cbytes as f64 } else { 0.0 },
        "chunk_kinds": counts,
        // Mostly special zero chunks: the page shows such arrays by block maxima.
        "sparse": (counts.zeros + counts.uninit) * 2 > a.nchunks(),
        "layout": if a.is_plain() { "super-chunk" } else { "b2nd" },
        "metalayers": a.schunk().metalayers().iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "vlmetalayers": a.schunk().vlmetalayers().names().collect::<Vec<_>>(),
    })
}

async fn meta(State(v): State<Arc<Viewer>>, q: Q<ArrayQuery>) -> Result<Response> {
    let q = query(q)?;
    entry(&v, q.array.as_deref())?;
    let r = blocking(move || {
        let e = entry(&v, q.array.as_deref())?;
        Ok(meta_json(e))
    })
    .await?;
    Ok(Json(r).into_response())
}

#[derive(Debug, Deserialize)]
struct ChunkmapQuery {
    array: Option<String>,
    axes: Option<String>,
    at: Option<String>,
}

fn parse_list(name: &'static str, s: &str) -> Result<Vec<u64>> {
    if s.trim().is_empty() {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|x| x.trim().parse::<u64>().map_err(|_| Error::bad(name, format!("{x:?} is not a count"))))
        .collect()
}

/// Kind codes of the chunk map: stored, zeros, NaN, uninitialized, repeated value,
/// unreadable.
fn kind_code(info: &blosc2_nd::Result<blosc2_nd::NdChunkInfo>) -> u8 {
    use blosc2_core::chunk::SpecialKind;
    match info {
        Ok(i) => match i.special {
            None => 0,
            Some(SpecialKind::Zeros) => 1,
            Some(SpecialKind::Nan) => 2,
            Some(SpecialKind::Uninit) => 3,
            Some(_) => 4,
        },
        Err(_) => 5,
    }
}

fn chunkmap_json(a: &NdArray, q: &ChunkmapQuery, limits: &Limits) -> Result<serde_json::Value> {
    let n = a.ndim();
    let axes = parse_list("axes", q.axes.as_deref().unwrap_or(if n >= 2 { "0,1" } else { "0" }))?;
    let axes: Vec<usize> = axes.into_iter().map(|x| x as usize).collect();
    if n == 0 {
        if !axes.is_empty() && q.axes.is_some() {
            return Err(Error::bad("axes", "a 0-D array has no axes"));
        }
    } else if axes.is_empty()
        || axes.len() > 2
        || axes.iter().any(|&x| x >= n)
        || (axes.len() == 2 && axes[0] == axes[1])
    {
        return Err(Error::bad("axes", format!("one or two different axes below {n}")));
    }
    let at = parse_list("at", q.at.as_deref().unwrap_or(""))?;
    if !at.is_empty() && at.len() != n {
        return Err(Error::bad("at", format!("{n} indices, one per dimension")));
    }
    let grid = a.geometry().chunk_grid().to_vec();
    let mut base = vec![0u64; n];
    for (d, b) in base.iter_mut().enumerate() {
        let i = at.get(d).copied().unwrap_or(0);
        if i >= a.shape()[d].max(1) {
            return Err(Error::bad(
                "at",
                format!("index {i} out of range for dimension {d} of length {}", a.shape()[d]),
            ));
        }
        *b = i / a.chunks()[d].max(1);
    }
    let axes = if n == 0 { Vec::new() } else { axes };
    let dims: Vec<u64> = axes.iter().map(|&x| grid[x]).collect();
    let cells: u64 = dims.iter().product();
    limits.check_cells("chunk map", cells)?;
    let mut kinds = Vec::with_capacity(cells as usize);
    let mut cbytes = Vec::with_capacity(cells as usize);
    let mut coords = base.clone();
    for k in 0..cells {
        if let [x] = axes[..] {
            coords[x] = k;
        } else if let [x, y] = axes[..] {
            coords[x] = k / dims[1];
            coords[y] = k % dims[1];
        }
        let index = if n == 0 { 0 } else { blosc2_nd::geometry::ravel(&coords, &grid) };
        let info = a.chunk_info(index);
        kinds.push(kind_code(&info));
        cbytes.push(info.map_or(0, |i| i.cbytes));
    }
    Ok(serde_json::json!({
        "axes": axes,
        "grid": dims,
        "chunks": axes.iter().map(|&x| a.chunks()[x]).collect::<Vec<_>>(),
        "chunk_nbytes": a.geometry().chunk_nbytes(),
        "kind_names": ["stored", "zeros", "nan", "uninit", "value", "unreadable"],
        "kinds": kinds,
        "cbytes": cbytes,
    }))
}

async fn chunkmap(State(v): State<Arc<Viewer>>, q: Q<ChunkmapQuery>) -> Result<Response> {
    let q = query(q)?;
    entry(&v, q.array.as_deref())?;
    let r = blocking(move || {
        let e = entry(&v, q.array.as_deref())?;
        chunkmap_json(&e.array, &q, &v.limits)
    })
    .await?;
    Ok(Json(r).into_response())
}

/// The parameters of `/api/slice` and `/api/stats`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SliceQuery {
    /// Array name.
    pub array: Option<String>,
    /// NumPy selection.
    pub index: Option<String>,
    /// One step, or one per dimension.
    pub step: Option<String>,
    /// `npy`, `json`, `png` or `f32`.
    pub format: Option<String>,
    /// The field of a structured dtype.
    pub field: Option<String>,
    /// `stride` (every step-th cell, the default), or `mean`, `max`, `min` of each step box.
    pub reduce: Option<String>,
    /// Colour map of `png`.
    pub cmap: Option<String>,
    /// Low colour limit of `png` (default: the minimum).
    pub vmin: Option<String>,
    /// High colour limit of `png` (default: the maximum).
    pub vmax: Option<String>,
}

/// A resolved selection of an array.
struct Plan {
    sel: Selection,
    reduce: Option<Reduce>,
}

fn plan(a: &NdArray, q: &SliceQuery, limits: &Limits) -> Result<Plan> {
    let n = a.ndim();
    let mut items = parse_selection(q.index.as_deref().unwrap_or("")).map_err(Error::Selection)?;
    if items.len() > n {
        return Err(Error::bad("index", format!("{} items for a {n}-D array", items.len())));
    }
    items.resize(n, SliceItem::FULL);
    // Ranges as NumPy reads them: bounds clipped to the dimension, an empty range when the
    // stop comes before the start (indices out of range stay errors).
    for (item, &len) in items.iter_mut().zip(a.shape()) {
        if let SliceItem::Range { start, stop, step } = *item {
            let len = i64::try_from(len).unwrap_or(i64::MAX);
            let clip = |v: Option<i64>, default: i64| match v {
                None => default,
                Some(v) if v < 0 => v.saturating_add(len).max(0),
                Some(v) => v.min(len),
            };
            let a = clip(start, 0);
            let b = clip(stop, len).max(a);
            *item = SliceItem::Range { start: Some(a), stop: Some(b), step };
        }
    }
    if let Some(s) = q.step.as_deref() {
        let steps = parse_list("step", s)?;
        if steps.iter().any(|&k| k == 0 || k > i64::MAX as u64) {
            return Err(Error::bad("step", "steps are positive"));
        }
        let steps = match steps.len() {
            1 => vec![steps[0]; n],
            k if k == n => steps,
            k => {
                return Err(Error::bad("step", format!("{k} steps for a {n}-D array: give one, or one per dimension")))
            }
        };
        for (item, &k) in items.iter_mut().zip(&steps) {
            if let SliceItem::Range { step, .. } = item {
                *step = step.checked_mul(k as i64).ok_or_else(|| Error::bad("step", "step too large"))?;
            }
        }
    }
    let sel = Selection::resolve(&items, a.shape()).map_err(Error::Selection)?;
    let reduce = match q.reduce.as_deref() {
        None | Some("stride") => None,
        Some("mean") => Some(Reduce::Mean),
        Some("max") => Some(Reduce::Max),
        Some("min") => Some(Reduce::Min),
        Some(r) => return Err(Error::bad("reduce", format!("{r:?}: stride, mean, max or min"))),
    };
    let cells = sel.stepped_shape().iter().try_fold(1u64, |acc, &x| acc.checked_mul(x)).unwrap_or(u64::MAX);
    limits.check_cells("selection", cells)?;
    Ok(Plan { sel, reduce })
}

/// The cells of a plan: raw element bytes (strided) or one number per box (reduced).
enum Cells {
    Raw(Vec<u8>),
    Reduced(Vec<f64>),
}

fn read_plan(a: &NdArray, p: &Plan, num: Option<&Numeric>, limits: &Limits) -> Result<Cells> {
    if let Some(how) = p.reduce {
        let num = num.ok_or_else(|| Error::bad("reduce", "block reductions need numbers"))?;
        return Ok(Cells::Reduced(read::read_reduced(a, &p.sel, how, num, limits.read_budget)?));
    }
    Ok(Cells::Raw(read::read_strided(a, &p.sel)?))
}

fn parse_limit(name: &'static str, s: Option<&str>) -> Result<Option<f64>> {
    match s {
        None | Some("") => Ok(None),
        Some(t) => t
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(|| Error::bad(name, format!("{t:?} is not a number"))),
    }
}

fn octets(ctype: &'static str, body: Vec<u8>, extra: Vec<(&'static str, String)>) -> Response {
    let mut r = ([(header::CONTENT_TYPE, ctype)], body).into_response();
    for (k, v) in extra {
        if let Ok(v) = axum::http::HeaderValue::from_str(&v) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

fn join(v: &[u64]) -> String {
    v.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}

fn slice_answer(a: &NdArray, q: &SliceQuery, limits: &Limits) -> Result<Response> {
    let format = q.format.as_deref().unwrap_or("npy");
    if !matches!(format, "npy" | "json" | "png" | "f32") {
        return Err(Error::bad("format", format!("{format:?}: npy, json, png or f32")));
    }
    let cmap: ColorMap = q.cmap.as_deref().unwrap_or("viridis").parse()?;
    let (vmin, vmax) = (parse_limit("vmin", q.vmin.as_deref())?, parse_limit("vmax", q.vmax.as_deref())?);
    let needs_numbers = format != "npy" || q.reduce.as_deref().is_some_and(|r| r != "stride");
    let num = match Numeric::new(a.dtype(), q.field.as_deref()) {
        Ok(n) => Some(n),
        Err(e) if needs_numbers || q.field.is_some() => return Err(e),
        Err(_) => None,
    };
    let p = plan(a, q, limits)?;
    let shape = p.sel.result_shape();
    if format == "png" && shape.len() > 2 {
        return Err(Error::bad(
            "format",
            format!("png needs a 1-D or 2-D result, not {}-D (index some dimensions)", shape.len()),
        ));
    }
    let cells = read_plan(a, &p, num.as_ref(), limits)?;
    let shape_header = ("x-shape", join(&shape));
    match format {
        "npy" => {
            let (dtype, bytes) = match (&cells, &num) {
                (Cells::Reduced(v), _) => {
                    (blosc2_nd::DType::parse("<f8")?, v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>())
                }
                (Cells::Raw(b), Some(n)) if q.field.is_some() => (n.dtype.clone(), n.extract(b)),
                (Cells::Raw(b), _) => (a.dtype().clone(), b.clone()),
            };
            let body = crate::npy::npy_bytes(&dtype, &shape, &bytes)?;
            let stem = q.array.as_deref().unwrap_or("slice").rsplit('/').next().unwrap_or("slice");
            let stem = stem.trim_end_matches(".b2nd").trim_end_matches(".b2frame");
            let mut r = crate::npy::npy_response(body, &format!("{stem}-slice.npy"));
            if let Ok(v) = axum::http::HeaderValue::from_str(&shape_header.1) {
                r.headers_mut().insert(shape_header.0, v);
            }
            Ok(r)
        }
        "json" => {
            let num = num.expect("checked above");
            let values: Vec<serde_json::Value> = match &cells {
                Cells::Reduced(v) => v
                    .iter()
                    .map(|&x| serde_json::Number::from_f64(x).map_or(serde_json::Value::Null, Into::into))
                    .collect(),
                Cells::Raw(b) => (0..num.count(b)).map(|i| num.json(b, i)).collect(),
            };
            let dtype = if p.reduce.is_some() { "<f8".to_string() } else { num.dtype.as_str().to_string() };
            Ok(Json(serde_json::json!({"shape": shape, "dtype": dtype, "values": values})).into_response())
        }
        _ => {
            let num = num.expect("checked above");
            if format == "f32" {
                // One pass: the f32 values and their statistics.
                let mut stats = StatsBuilder::default();
                let mut body = Vec::new();
                let mut push = |x: f64| {
                    stats.add(x);
                    body.extend_from_slice(&(x as f32).to_le_bytes());
                };
                match &cells {
                    Cells::Reduced(v) => v.iter().for_each(|&x| push(x)),
                    Cells::Raw(b) => num.each_value(b, push),
                }
                let stats = stats.finish();
                let (lo, hi) = (vmin.or(stats.min).unwrap_or(0.0), vmax.or(stats.max).unwrap_or(1.0));
                let stats = serde_json::to_string(&stats).unwrap_or_default();
                let h = vec![shape_header, ("x-vmin", lo.to_string()), ("x-vmax", hi.to_string()), ("x-stats", stats)];
                return Ok(octets("application/octet-stream", body, h));
            }
            let values = match cells {
                Cells::Reduced(v) => v,
                Cells::Raw(b) => num.values(&b),
            };
            let auto = finite_range(&values).unwrap_or((0.0, 1.0));
            let (lo, hi) = (vmin.unwrap_or(auto.0), vmax.unwrap_or(auto.1));
            let limits_h = vec![shape_header, ("x-vmin", lo.to_string()), ("x-vmax", hi.to_string())];
            let (h, w) = match shape[..] {
                [] => (1, 1),
                [w] => (1, w),
                [h, w] => (h, w),
                _ => unreachable!("checked above"),
            };
            let (h, w) = (u32::try_from(h), u32::try_from(w));
            let (Ok(h), Ok(w)) = (h, w) else { return Err(Error::bad("index", "image too large")) };
            Ok(octets("image/png", encode_png(w, h, &values, lo, hi, cmap), limits_h))
        }
    }
}

async fn slice(State(v): State<Arc<Viewer>>, q: Q<SliceQuery>) -> Result<Response> {
    let q = query(q)?;
    let name = q.array.clone();
    let a = entry(&v, name.as_deref())?.array.clone();
    let w = Arc::clone(&v);
    read(&v, move || slice_answer(&a, &q, &w.limits)).await
}

fn stats_answer(a: &NdArray, q: &SliceQuery, limits: &Limits) -> Result<Stats> {
    let num = Numeric::new(a.dtype(), q.field.as_deref())?;
    let p = plan(a, q, limits)?;
    Ok(match read_plan(a, &p, Some(&num), limits)? {
        Cells::Reduced(v) => Stats::of(v),
        Cells::Raw(b) => {
            let mut s = StatsBuilder::default();
            num.each_value(&b, |v| s.add(v));
            s.finish()
        }
    })
}

async fn stats(State(v): State<Arc<Viewer>>, q: Q<SliceQuery>) -> Result<Response> {
    let q = query(q)?;
    let name = q.array.clone();
    let a = entry(&v, name.as_deref())?.array.clone();
    let w = Arc::clone(&v);
    let s = read(&v, move || stats_answer(&a, &q, &w.limits)).await?;
    Ok(Json(s).into_response())
}
