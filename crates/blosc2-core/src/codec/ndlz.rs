//! NDLZ, the C-Blosc2 plugin codec (id 32) for 2-d blocks of bytes.

use crate::error::{Error, Result};
use crate::geometry::NdGeometry;

/// Compresses one stream (not yet supported).
///
/// # Errors
/// [`Error::UnsupportedCodec`].
pub fn compress(_meta: u8, _typesize: usize, _geometry: &NdGeometry, _src: &[u8], _dst: &mut [u8]) -> Result<usize> {
    Err(Error::UnsupportedCodec(32))
}

/// Decodes one stream (not yet supported).
///
/// # Errors
/// [`Error::UnsupportedCodec`].
pub fn decompress(_meta: u8, _src: &[u8], _dst: &mut [u8]) -> Result<usize> {
    Err(Error::UnsupportedCodec(32))
}
