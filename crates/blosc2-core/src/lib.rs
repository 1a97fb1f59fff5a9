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
//!
//! # Layers
//!
//! The modules depend on each other one way only, lower layers first (`a -> b`: `a` uses
//! `b`; `scripts/check_layers.py` fails on any cycle, and on `frame` naming `schunk`):
//!
//! | module | uses |
//! |---|---|
//! | `buffer`, [`cpu`] (CPU features, cache sizes, the `BLOSC2_FORCE_SCALAR` switch), `codec_id` (codec ids and names) | nothing |
//! | [`error`] | `codec_id` |
//! | [`geometry`] | `error` |
//! | [`codec`] | `codec_id`, `error`, `geometry` |
//! | [`streaming`] | `cpu` |
//! | [`filter`] | `cpu`, `error`, `geometry`, `streaming` |
//! | [`header`] (the chunk header) | `codec`, `error`, `filter` |
//! | [`chunk`] | `buffer`, `codec`, `error`, `filter`, `geometry`, `header`, `streaming` |
//! | [`frame`] | `chunk`, `codec`, `error`, `filter`, `header` |
//! | [`schunk`] | `buffer`, `chunk`, `codec`, `error`, `filter`, `frame`, `header` |
//!
//! So: `codec`/`filter` -> `header` -> `chunk` -> `frame` -> `schunk`. The chunk header
//! sits above the codecs and filters because it decodes their ids into their types.
//! Frames hold everything a frame records about a super-chunk (`frame::meta` for
//! metalayers, `frame::checksum` for the checksum table, and a crate-internal descriptor
//! with the chunk-size and special-offset rules) and the [`frame::FrameWriter`]; a
//! [`schunk::SChunk`] keeps that descriptor and stores its chunks in memory, in a frame
//! read lazily, or in a frame changed in place on disk. `schunk::meta`,
//! `schunk::{Metalayers, VlMetalayers}` and `schunk::checksum`'s format items are
//! re-exports of the frame layer's.
#![deny(unsafe_code)]

pub mod buffer;
pub mod chunk;
pub mod codec;
mod codec_id;
pub mod cpu;
pub mod error;
pub mod filter;
pub mod frame;
pub mod geometry;
pub mod header;
pub mod schunk;
pub mod streaming;
pub mod tune;

pub use error::{Error, Result};
