//! A Btune-style tuner of Blosc2 compression parameters (`shared/spec/btune.md`, issue
//! 17): for a tradeoff between compression ratio (1) and speed (0), it picks codec, filter
//! pipeline, split mode and clevel per chunk by trial compressions of sampled blocks,
//! following the reference's readapt schedule with its defects fixed.
//!
//! ```
//! use blosc2_core::chunk::CompressParams;
//! use blosc2_core::schunk::SChunk;
//! use blosc2_tune::{Btune, BtuneConfig, SearchSpace};
//!
//! let cfg = BtuneConfig { tradeoff: 0.9, ..BtuneConfig::default() };
//! let tuner = Btune::new(cfg, SearchSpace::default());
//! let record = tuner.record();
//! let mut s = SChunk::new(CompressParams { typesize: 8, ..CompressParams::default() });
//! s.set_tuner(Some(Box::new(tuner)));
//! let data: Vec<u8> = (0..100_000u64).flat_map(|i| (i * 3).to_le_bytes()).collect();
//! s.append_buffer(&data).unwrap();
//! assert_eq!(s.decompress_chunk(0).unwrap(), data);
//! assert_eq!(record.choices().len(), 1);
//! ```
#![forbid(unsafe_code)]

pub mod config;
pub mod cost;
mod error;
pub mod features;
mod meter;
pub mod model;
pub mod objective;
pub mod search;
pub mod space;
pub mod staged;
pub mod trace;
mod tuner;

pub use config::{parse_tradeoff, AcceptRule, Behaviour, BtuneConfig, PerfMode, RepeatMode, Strategy};
pub use error::{Error, Result};
pub use model::Model;
pub use objective::Objective;
pub use space::{FilterKind, SearchSpace, Setting};
pub use tuner::{Btune, ChunkChoice, Record, TraceSink};
