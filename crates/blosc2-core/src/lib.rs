//! The Blosc2 format: codecs, filters and chunks, byte-compatible with C-Blosc2 3.x and
//! python-blosc2 4.x.
//!
//! ```
//! use blosc2_core::chunk::{self, CompressParams};
//!
//! let data: Vec<u8> = (0..10_000u32).flat_map(|v| v.to_le_bytes()).collect();
//! let params = CompressParams { typesize: 4, ..CompressParams::default() };
//! let packed = chunk::compress(&params, &data).unwrap();
//! assert!(packed.len() < data.len());
//! assert_eq!(chunk::decompress(&packed).unwrap(), data);
//! ```
#![deny(unsafe_code)]

pub mod buffer;
pub mod chunk;
pub mod codec;
pub mod cpu;
pub mod error;
pub mod filter;
pub mod frame;
pub mod geometry;
pub mod header;
pub mod schunk;
pub mod streaming;

pub use error::{Error, Result};
