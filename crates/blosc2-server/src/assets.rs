//! Static assets compiled into the binary and served by name from a fixed table: no part
//! of a URL ever reaches the file system.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The name it is served under (`/assets/NAME`).
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
    /// Whether `bytes` are gzip-compressed (served with `Content-Encoding: gzip`).
    pub gzipped: bool,
}

impl Asset {
    /// The response serving the asset.
    pub fn response(&self) -> Response {
        let cache = (header::CACHE_CONTROL, "no-cache");
        if self.gzipped {
            ([(header::CONTENT_TYPE, self.content_type), (header::CONTENT_ENCODING, "gzip"), cache], self.bytes)
                .into_response()
        } else {
            ([(header::CONTENT_TYPE, self.content_type), cache], self.bytes).into_response()
        }
    }
}

/// The asset named `name` in `table`.
///
/// # Errors
/// [`crate::Error::NotFound`].
pub fn find(table: &'static [Asset], name: &str) -> crate::Result<&'static Asset> {
    table.iter().find(|a| a.name == name).ok_or_else(|| crate::Error::NotFound { what: "asset", name: name.into() })
}

/// A router serving `table` under `/assets/{name}`.
pub fn router(table: &'static [Asset]) -> Router {
    Router::new().route(
        "/assets/{name}",
        get(move |Path(name): Path<String>| async move {
            match find(table, &name) {
                Ok(a) => a.response(),
                Err(e) => e.into_response(),
            }
        }),
    )
}
