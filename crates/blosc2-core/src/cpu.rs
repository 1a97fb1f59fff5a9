//! The run-time switch between the SIMD kernels and their scalar twins.

use std::sync::OnceLock;

/// Whether `BLOSC2_FORCE_SCALAR=1` was set when the kernels were first used (read once).
/// When set, SHUFFLE, BITSHUFFLE and BYTEDELTA use their scalar kernels and large outputs
/// are written without streaming stores. Also reachable as `filter::force_scalar`.
pub fn force_scalar() -> bool {
    static FORCE: OnceLock<bool> = OnceLock::new();
    *FORCE.get_or_init(|| std::env::var_os("BLOSC2_FORCE_SCALAR").is_some_and(|v| v == "1"))
}
