//! Helpers shared by the tests of the workspace, a dev-dependency only (never published):
//!
//! * [`data`]: deterministic pseudo-random and smooth test data (splitmix64, xorshift);
//!   the same seed gives the same bytes as before, which recorded values and
//!   python-generated fixtures rely on.
//! * [`alloc`]: a counting global allocator with per-call heap and time bounds, and
//!   process-wide memory limits for a test run in a child process.
//! * [`corrupt`]: byte changes, truncations, sampled flips and lying size fields for the
//!   corruption and hostile-input suites, a frame's structural ranges and the suite that
//!   runs them all.
//! * [`python`]: the python-blosc2 interpreter and running scripts with it.
//! * [`fs`]: the repository root and self-removing temporary directories.
//!
//! It depends on no crate of the workspace (blosc2-core's own tests use it): helpers that
//! need the library's types stay in the tests that use them.

#![deny(unsafe_code)]

pub mod alloc;
pub mod browser;
pub mod corrupt;
pub mod data;
pub mod fs;
pub mod python;
