//! The common stack of every server (timeouts, concurrency limit, compression, JSON
//! errors for what the layers refuse) and the blocking `serve` that runs it.

use std::net::SocketAddr;

use axum::error_handling::HandleErrorLayer;
use axum::http::StatusCode;
use axum::response::Response;
use axum::{BoxError, Router};
use tower::ServiceBuilder;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;

use crate::error::error_response;
use crate::limits::Limits;

async fn layer_error(err: BoxError) -> Response {
    if err.is::<tower::timeout::error::Elapsed>() {
        error_response(StatusCode::REQUEST_TIMEOUT, "request timed out")
    } else {
        error_response(StatusCode::INTERNAL_SERVER_ERROR, &format!("internal error: {err}"))
    }
}

/// `router` with the limits' timeout and concurrency limit, gzip for text and JSON
/// answers over 1 KiB (not for images and binary arrays, which are compressed already or
/// wanted fast), and a JSON 404 for unknown paths.
pub fn layered(router: Router, limits: &Limits) -> Router {
    let compress = SizeAbove::new(1024)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::const_new("application/octet-stream"))
        .and(NotForContentType::const_new("application/x-npy"));
    router
        .fallback(|| async { error_response(StatusCode::NOT_FOUND, "no such path") })
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(layer_error))
                .timeout(limits.request_timeout)
                .concurrency_limit(limits.max_concurrent.max(1)),
        )
        .layer(CompressionLayer::new().gzip(true).compress_when(compress))
}

/// Serves `router` (see [`layered`]) on `bind:port` until Ctrl-C, printing the URL; port 0
/// picks a free port. Blocks; builds its own tokio runtime.
///
/// # Errors
/// The address does not parse or cannot be bound; the runtime cannot start.
pub fn serve(router: Router, limits: &Limits, bind: &str, port: u16) -> std::io::Result<()> {
    let ip: std::net::IpAddr = bind
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("--bind {bind}: {e}")))?;
    let app = layered(router, limits);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, port)).await?;
        let addr = listener.local_addr()?;
        let host = if addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
        let host = if addr.is_ipv6() && !host.starts_with('[') { format!("[{host}]") } else { host };
        println!("serving on http://{host}:{}/ (Ctrl-C stops)", addr.port());
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    })
}
