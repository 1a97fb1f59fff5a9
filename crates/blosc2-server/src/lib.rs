//! The web layer of the blosc2 tools: one implementation of what every server of the
//! project needs, and the array viewer's API.
//!
//! * [`Error`]: the one error type; every failed request is answered with a status and
//!   one line of JSON (`{"error": "..."}`): 400 malformed, 404 unknown, 413 over budget.
//! * [`Limits`]: cell budget, request timeout, concurrent requests.
//! * [`assets`]: files compiled in and served by name from a fixed table.
//! * [`image`]: colour maps and PNG encoding of 2-D values; [`npy`]: `.npy` answers.
//! * [`layered`] and [`serve`]: the common tower stack (timeout, concurrency limit, gzip,
//!   JSON 404) and a blocking server with graceful shutdown on Ctrl-C.
//! * [`viewer`]: the page and API of `blosc2 view` over a [`viewer::Catalog`] of arrays.
//!
//! ```no_run
//! use blosc2_server::{serve, viewer, Limits};
//!
//! let catalog = viewer::Catalog::find(&["data".into()]);
//! let limits = Limits::default();
//! serve(viewer::router(catalog, limits.clone()), &limits, "127.0.0.1", 8090).unwrap();
//! ```
#![forbid(unsafe_code)]

pub mod assets;
pub mod error;
pub mod image;
pub mod limits;
pub mod npy;
mod serve;
pub mod viewer;

pub use error::{error_response, Error, Result};
pub use limits::Limits;
pub use serve::{layered, serve};
