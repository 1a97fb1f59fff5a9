//! `.npy` answers: the header of the array crate's `npy` module before the data.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use blosc2_nd::DType;

/// The bytes of a `.npy` file of `shape` and `dtype` holding `data` (C order).
///
/// # Errors
/// [`crate::Error::Read`] when the header cannot be written (a dtype NumPy cannot name).
pub fn npy_bytes(dtype: &DType, shape: &[u64], data: &[u8]) -> crate::Result<Vec<u8>> {
    let mut out = blosc2_nd::npy::header_bytes(dtype, shape).map_err(crate::Error::Read)?;
    out.extend_from_slice(data);
    Ok(out)
}

/// A response with `.npy` bytes, offered for download as `filename`.
pub fn npy_response(bytes: Vec<u8>, filename: &str) -> Response {
    let name: String = filename.chars().filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c)).collect();
    let disp = format!("attachment; filename=\"{name}\"");
    ([(header::CONTENT_TYPE, "application/x-npy".to_string()), (header::CONTENT_DISPOSITION, disp)], bytes)
        .into_response()
}
