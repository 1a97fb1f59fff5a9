//! The Milky Way explorer: ingest Gaia DR3 `gaia_source` files into a sparse 3-D count cube
//! stored as a Blosc2 NDim (b2nd) array, explore it and plot it, as in Francesc Alted's talk
//! "Exploring the Milky Way" (`shared/spec/gaia.md`).
//!
//! ```
//! use milkyway::geom::{select_distance, to_cartesian, Grid, K_EXACT};
//!
//! // Proxima Centauri: parallax 768.0665 mas.
//! let d = select_distance(768.0665, K_EXACT, 10_000.0).unwrap();
//! let cell = Grid::talk().cell(to_cartesian(217.392, -62.676, d)).unwrap();
//! assert_eq!(cell, [9998, 9998, 9996]);
//! ```
#![forbid(unsafe_code)]

pub mod cube;
pub mod cube_store;
pub mod explore;
pub mod geom;
pub mod ingest;
pub mod plot;
pub mod pyramid;
pub mod reader;
pub mod serve;
pub mod spill;
pub mod synth;
pub mod table;
pub mod view;

/// The credit line the Gaia data require.
pub const CREDIT: &str = "Gaia data: ESA/Gaia/DPAC (CC BY-SA 3.0 IGO)";
