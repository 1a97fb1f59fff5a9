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
use blosc2_server::image::{encode_png, ColorMap};
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

/// Runs a view-layer call off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> view::ViewResult<T> + Send + 'static) -> ApiResult<T> {
    Ok(tokio::task::spawn_blocking(f).await.map_err(|_| ApiError::Internal)??)
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
            let bytes: Vec<u8> = p.data.iter().flat_map(|v| v.to_le_bytes()).collect();
            (meta, [(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
        }
        Format::Png => {
            let vals: Vec<f64> =
                p.data.iter().map(|&v| if v > 0.0 { f64::from(v).ln_1p() } else { f64::NAN }).collect();
            let hi = blosc2_server::image::finite_range(&vals).map_or(1.0, |(_, hi)| hi);
            let png = encode_png(p.width, p.height, &vals, 0.0, hi, cmap);
            (meta, [(header::CONTENT_TYPE, "image/png")], png).into_response()
        }
    })
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
