//! The one error type of the web layer: every failed request is answered with a 4xx or
//! 5xx status and one line of JSON, `{"error": "..."}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A request the server does not answer with data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A query parameter is missing, malformed or out of range (400).
    #[error("bad parameter {name}: {reason}")]
    BadParameter {
        /// The parameter's name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No such array or asset (404).
    #[error("unknown {what}: {name}")]
    NotFound {
        /// What was looked up (`array`, `asset`).
        what: &'static str,
        /// The name asked for.
        name: String,
    },
    /// The answer would hold more cells than the configured budget (413).
    #[error("{what} of {cells} cells is over the budget of {budget} cells: use a step or a smaller region")]
    TooLarge {
        /// What would be too large (`selection`, `read`, `chunk map`).
        what: &'static str,
        /// Cells asked for (saturated at `u64::MAX`).
        cells: u64,
        /// The configured budget.
        budget: u64,
    },
    /// A selection of the array that the array crate refuses (400).
    #[error("bad selection: {0}")]
    Selection(#[source] blosc2_nd::Error),
    /// The array file could not be read or decoded (500).
    #[error("array read failed: {0}")]
    Read(#[source] blosc2_nd::Error),
    /// A worker task failed (500).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl Error {
    /// A [`Error::BadParameter`].
    pub fn bad(name: &'static str, reason: impl Into<String>) -> Error {
        Error::BadParameter { name, reason: reason.into() }
    }

    /// The HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadParameter { .. } | Error::Selection(_) => StatusCode::BAD_REQUEST,
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Read(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Sorts an error of the array crate: problems of the request (selections, out-of-range
/// indices) are the client's, anything else the file's.
impl From<blosc2_nd::Error> for Error {
    fn from(e: blosc2_nd::Error) -> Error {
        use blosc2_nd::Error as E;
        match e {
            E::OutOfRange { .. } | E::SliceSyntax { .. } | E::Shape { .. } => Error::Selection(e),
            other => Error::Read(other),
        }
    }
}

/// Any `Result` of the web layer.
pub type Result<T> = std::result::Result<T, Error>;

/// The one-line JSON body of an error with `status` (also used for the status codes the
/// tower layers produce: timeouts, overload).
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let line = message.replace(['\n', '\r'], " ");
    let body = serde_json::json!({ "error": line }).to_string();
    (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        error_response(self.status(), &self.to_string())
    }
}
