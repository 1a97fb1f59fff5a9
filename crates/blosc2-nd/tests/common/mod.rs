//! Helpers shared by the integration tests: test data and the python-blosc2 interpreter.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// splitmix64 output `j` for `seed` (WORKLOADS.md section 1).
pub fn sm64(seed: u64, j: u64) -> u64 {
    let mut z = seed.wrapping_add((j + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n` pseudo-random bytes.
pub fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    (0..n.div_ceil(8) as u64).flat_map(|j| sm64(seed, j).to_le_bytes()).take(n).collect()
}

/// Bytes of the float64 sequence i/3 + (i mod 17), cut to `n` bytes.
pub fn smooth_bytes(n: usize) -> Vec<u8> {
    (0..n.div_ceil(8)).flat_map(|i| (i as f64 / 3.0 + (i % 17) as f64).to_le_bytes()).take(n).collect()
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The Python interpreter that has python-blosc2: `$BLOSC2_PYTHON`, else the repository's
/// `.venv` (made by `scripts/test.sh`). Panics with a hint when neither works.
pub fn python() -> PathBuf {
    let candidate =
        std::env::var_os("BLOSC2_PYTHON").map(PathBuf::from).unwrap_or_else(|| repo_root().join(".venv/bin/python"));
    let ok = Command::new(&candidate).args(["-c", "import blosc2"]).status().map(|s| s.success()).unwrap_or(false);
    assert!(
        ok,
        "python-blosc2 not found at {} (run scripts/test.sh, which creates .venv, or set BLOSC2_PYTHON)",
        candidate.display()
    );
    candidate
}

/// Runs a Python script from `tests/python/` with arguments; panics with its stderr on failure.
pub fn run_python(script: &str, args: &[&std::ffi::OsStr]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python").join(script);
    let out = Command::new(python()).arg(&path).args(args).output().expect("python runs");
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh temporary directory under the target directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates `target/tmp/<name>-<pid>`.
    pub fn new(name: &str) -> TempDir {
        let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
