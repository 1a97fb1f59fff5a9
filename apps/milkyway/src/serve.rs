//! `milkyway serve`: the HTTP API (and page) over one opened [`Galaxy`]. A thin shell over
//! [`crate::view`]: handlers parse the query into the view layer's types, call it off the
//! async threads and encode its answer as JSON, PNG or little-endian `f32`; errors are one
//! line of JSON with the status of [`ViewError::status`] (malformed parameters 400).
//!
//! * `GET /api/summary`: [`view::summary`] (key `stars`: the total);
//! * `GET /api/projection?axis=x|y|z&size=N[&slab=a:b][&window=u0:u1,v0:v1][&format=png|json|f32][&cmap=NAME]`:
//!   [`view::projection`]; a PNG of log(1 + stars per pixel) by default, the counts as JSON
//!   or as raw `f32` (headers `x-width`, `x-height`, `x-level`, `x-cell-ly`, `x-total`);
//! * `GET /api/stars?sphere=x,y,z,r&limit=N` or `?box=x0:x1,y0:y1,z0:z1&limit=N`:
//!   [`view::stars`] (`count`, `omitted`, `stars` with `source_id`, `x`, `y`, `z`, `mag`);
//! * `GET /api/cell?at=x,y,z`, `GET /api/star?source_id=N`, `GET /api/occupancy`,
//!   `GET /api/overview[?side=N]`.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use blosc2_server::assets::{self, Asset};
use blosc2_server::image::ColorMap;
use blosc2_server::{error_response, Limits};
use serde::Deserialize;

use crate::explore::Galaxy;
use crate::view::{self, Axis, ProjectionRequest, ViewError};

/// Stars listed by `/api/stars` when the request names no limit.
pub const DEFAULT_LIMIT: usize = 1000;

/// The page and the assets it loads, served by name (no URL reaches the file system).
pub static ASSETS: &[Asset] = &[
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../assets/serve.html"),
        gzipped: false,
    },
    Asset {
        name: "serve.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/serve.js"),
        gzipped: false,
    },
    Asset {
        name: "plotly.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/plotly-2.35.3.min.js.gz"),
        gzipped: true,
    },
];

/// A failed request: a status and one line of JSON.
#[derive(Debug)]
pub enum ApiError {
    /// The view layer refused the request or could not read the galaxy.
    View(ViewError),
    /// The query string does not parse, or a parameter is missing or extra (400).
    Bad(String),
    /// The worker task failed (500).
    Internal,
}

impl From<ViewError> for ApiError {
    fn from(e: ViewError) -> ApiError {
        ApiError::View(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::View(e) => {
                let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                error_response(status, &e.to_string())
            }
            ApiError::Bad(m) => error_response(StatusCode::BAD_REQUEST, &m),
            ApiError::Internal => {
                error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error: worker task failed")
            }
        }
    }
}

type ApiResult<T> = std::result::Result<T, ApiError>;
type Q<T> = std::result::Result<Query<T>, QueryRejection>;

fn query<T>(q: Q<T>) -> ApiResult<T> {
    q.map(|Query(t)| t).map_err(|e| ApiError::Bad(format!("query: {}", e.body_text())))
}

/// View-layer calls running at once: twice the cores. Requests beyond wait their turn (in
/// arrival order) holding no buffers, so memory stays bounded by this many calls' worth
/// whatever the number of clients, and the cores are not shared between more calls than
/// they can run.
fn work_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        tokio::sync::Semaphore::new(2 * std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
    })
}

/// Runs a view-layer call off the async threads, once a work permit is free.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> view::ViewResult<T> + Send + 'static) -> ApiResult<T> {
    let permit = work_permits().acquire().await.map_err(|_| ApiError::Internal)?;
    let r = tokio::task::spawn_blocking(f).await.map_err(|_| ApiError::Internal)?;
    drop(permit);
    Ok(r?)
}

/// The router of `milkyway serve` over `galaxy` (page, assets and API); wrap it with
/// [`blosc2_server::layered`] or serve it with [`blosc2_server::serve`].
pub fn router(galaxy: Arc<Galaxy>) -> Router {
    Router::new()
        .route("/", get(|| async { ASSETS[0].response() }))
        .route("/api/summary", get(summary))
        .route("/api/projection", get(projection))
        .route("/api/stars", get(stars))
        .route("/api/cell", get(cell))
        .route("/api/star", get(star))
        .route("/api/occupancy", get(occupancy))
        .route("/api/overview", get(overview))
        .with_state(galaxy)
        .merge(assets::router(ASSETS))
}

/// The limits `milkyway serve` runs with: 10 s per request, 64 at a time.
pub fn limits() -> Limits {
    Limits { request_timeout: std::time::Duration::from_secs(10), ..Limits::default() }
}

/// Opens `galaxy` and serves it on `bind:port` until Ctrl-C.
///
/// # Errors
/// The galaxy cannot be opened; the address cannot be bound.
pub fn run(galaxy: &std::path::Path, bind: &str, port: u16) -> anyhow::Result<()> {
    let g = Galaxy::open(galaxy)?;
    if let Some(p) = &g.pyramid {
        p.warm()?;
    }
    let limits = limits();
    blosc2_server::serve(router(Arc::new(g)), &limits, bind, port)?;
    Ok(())
}

async fn summary(State(g): State<Arc<Galaxy>>) -> ApiResult<Response> {
    Ok(Json(view::summary(&g)?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectionQuery {
    axis: Option<String>,
    size: Option<String>,
    slab: Option<String>,
    window: Option<String>,
    format: Option<String>,
    cmap: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Png,
    Json,
    F32,
}

fn required<'a>(name: &str, v: &'a Option<String>) -> ApiResult<&'a str> {
    v.as_deref().ok_or_else(|| ApiError::Bad(format!("{name}: missing")))
}

async fn projection(State(g): State<Arc<Galaxy>>, q: Q<ProjectionQuery>) -> ApiResult<Response> {
    let q = query(q)?;
    let axis = Axis::parse(required("axis", &q.axis)?)?;
    let size = view::parse_size(required("size", &q.size)?)?;
    let slab = q.slab.as_deref().map(|s| view::parse_range("slab", s)).transpose()?;
    let window = q.window.as_deref().map(view::parse_window).transpose()?;
    let format = match q.format.as_deref().unwrap_or("png") {
        "png" => Format::Png,
        "json" => Format::Json,
        "f32" => Format::F32,
        other => {
            let other: String = other.chars().take(32).collect();
            return Err(ApiError::Bad(format!("format: {other:?} is not png, json or f32")));
        }
    };
    let cmap = match q.cmap.as_deref() {
        None => ColorMap::Magma,
        Some(s) => s.parse::<ColorMap>().map_err(|e| ApiError::Bad(e.to_string()))?,
    };
    let req = ProjectionRequest { axis, slab, window, size };
    let p = blocking(move || view::projection(&g, &req)).await?;
    let meta = [
        (HeaderName::from_static("x-width"), p.width.to_string()),
        (HeaderName::from_static("x-height"), p.height.to_string()),
        (HeaderName::from_static("x-level"), p.level.to_string()),
        (HeaderName::from_static("x-cell-ly"), p.cell_ly.to_string()),
        (HeaderName::from_static("x-total"), p.total.to_string()),
    ];
    Ok(match format {
        Format::Json => (meta, Json(p)).into_response(),
        Format::F32 => {
            let mut bytes = Vec::with_capacity(4 * p.data.len());
            for v in &p.data {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            (meta, [(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
        }
        Format::Png => {
            let png = blocking(move || {
                let data = match &p.picture_weights {
                    None => p.data,
                    Some((cols, rows)) => p
                        .data
                        .chunks_exact(p.width as usize)
                        .zip(rows)
                        .flat_map(|(line, wr)| line.iter().zip(cols).map(move |(&v, wc)| v * wc * wr))
                        .collect(),
                };
                Ok(density_png(p.width, p.height, &data, cmap))
            })
            .await?;
            (meta, [(header::CONTENT_TYPE, "image/png")], png).into_response()
        }
    })
}

/// A PNG of log(1 + stars per pixel) through `cmap`, from 0 to the image's highest value
/// (the handler first applies the projection's `picture_weights`);
/// empty pixels transparent. An 8-bit palette image (index 0 transparent, 1..=255 the
/// colour map's 255 steps): a quarter of the bytes of RGBA to filter and compress, and one
/// logarithm per run of equal pixels (a level cell upsampled to many pixels is a run).
pub fn density_png(width: u32, height: u32, data: &[f32], cmap: ColorMap) -> Vec<u8> {
    let max = data.iter().fold(0.0f32, |m, &v| if v > m { v } else { m });
    let hi = if max > 0.0 { f64::from(max).ln_1p() } else { 1.0 };
    let mut palette = Vec::with_capacity(3 * 256);
    palette.extend_from_slice(&[0, 0, 0]);
    for i in 0..255 {
        palette.extend_from_slice(&cmap.color(f64::from(i) / 254.0));
    }
    let (mut last, mut last_index) = (0.0f32, 0u8);
    let index: Vec<u8> = data
        .iter()
        .map(|&v| {
            if v.is_nan() || v <= 0.0 {
                return 0;
            }
            if v != last {
                last = v;
                last_index = 1 + ((f64::from(v).ln_1p() / hi).clamp(0.0, 1.0) * 254.0).round() as u8;
            }
            last_index
        })
        .collect();
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Indexed);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_palette(palette);
    enc.set_trns(vec![0u8]);
    enc.set_compression(png::Compression::Fast);
    let mut w = enc.write_header().expect("writing to a Vec");
    w.write_image_data(&index).expect("writing to a Vec");
    drop(w);
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StarsQuery {
    sphere: Option<String>,
    #[serde(rename = "box")]
    box_: Option<String>,
    limit: Option<String>,
}

async fn stars(State(g): State<Arc<Galaxy>>, q: Q<StarsQuery>) -> ApiResult<Response> {
    let q = query(q)?;
    let region = match (&q.sphere, &q.box_) {
        (Some(s), None) => view::parse_sphere(s)?,
        (None, Some(b)) => view::parse_box(b)?,
        _ => return Err(ApiError::Bad("region: give exactly one of sphere=x,y,z,r or box=x0:x1,y0:y1,z0:z1".into())),
    };
    let limit = q.limit.as_deref().map(view::parse_limit).transpose()?.unwrap_or(DEFAULT_LIMIT);
    let r = blocking(move || view::stars(&g, &region, limit)).await?;
    Ok(Json(r).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CellQuery {
    at: Option<String>,
}

async fn cell(State(g): State<Arc<Galaxy>>, q: Q<CellQuery>) -> ApiResult<Response> {
    let q = query(q)?;
    let p = view::parse_point(required("at", &q.at)?)?;
    Ok(Json(blocking(move || view::cell(&g, p)).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StarQuery {
    source_id: Option<String>,
}

async fn star(State(g): State<Arc<Galaxy>>, q: Q<StarQuery>) -> ApiResult<Response> {
    let q = query(q)?;
    let id = view::parse_source_id(required("source_id", &q.source_id)?)?;
    Ok(Json(blocking(move || view::star(&g, id)).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoQuery {}

async fn occupancy(State(g): State<Arc<Galaxy>>, q: Q<NoQuery>) -> ApiResult<Response> {
    query(q)?;
    Ok(Json(blocking(move || view::occupancy(&g)).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverviewQuery {
    side: Option<String>,
}

async fn overview(State(g): State<Arc<Galaxy>>, q: Q<OverviewQuery>) -> ApiResult<Response> {
    let q = query(q)?;
    let side = match q.side.as_deref() {
        None => view::MAX_OVERVIEW_SIDE,
        Some(s) => {
            let v: u64 =
                s.trim().parse().map_err(|_| ApiError::Bad(format!("side: {:?} is not a number of cells", clip(s))))?;
            if v == 0 {
                return Err(ApiError::Bad("side: at least 1 cell".into()));
            }
            v
        }
    };
    Ok(Json(blocking(move || view::overview(&g, side)).await?).into_response())
}

fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn density_png_colours() {
        let data = [0.0, 1.0, 1.0, 255.0, f32::NAN, 15.0];
        let png = density_png(3, 2, &data, ColorMap::Gray);
        let dec = png::Decoder::new(std::io::Cursor::new(png));
        let mut r = dec.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size()];
        let info = r.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height, info.color_type), (3, 2, png::ColorType::Indexed));
        // Index 0 transparent, the highest value the last colour, log scale between.
        let at1 = 1 + (2f64.ln() / 256f64.ln() * 254.0).round() as u8;
        let at15 = 1 + (16f64.ln() / 256f64.ln() * 254.0).round() as u8;
        assert_eq!(&buf[..6], &[0, at1, at1, 255, 0, at15]);
        let info = r.info();
        let pal = info.palette.as_ref().unwrap();
        assert_eq!(&pal[..3], &[0, 0, 0]);
        assert_eq!(&pal[255 * 3..], &ColorMap::Gray.color(1.0));
        assert_eq!(
            &pal[3 * usize::from(at15)..3 * usize::from(at15) + 3],
            &ColorMap::Gray.color(f64::from(at15 - 1) / 254.0)
        );
        assert_eq!(info.trns.as_deref(), Some(&[0u8][..]));
        // An empty image: every pixel transparent.
        let png = density_png(2, 1, &[0.0, 0.0], ColorMap::Magma);
        let mut r = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size()];
        r.next_frame(&mut buf).unwrap();
        assert_eq!(buf, [0, 0]);
    }
}
