//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// `testdata/gaia` (real DR3 rows, ESA/Gaia/DPAC).
pub fn gaia_dir() -> PathBuf {
    repo_root().join("testdata/gaia")
}

/// The expected values of `testdata/gaia/expected_values.json`.
pub fn expected() -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(gaia_dir().join("expected_values.json")).unwrap()).unwrap()
}

/// A fresh temporary directory under the target directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates `target/tmp/milkyway-<name>-<pid>`.
    pub fn new(name: &str) -> TempDir {
        let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("milkyway-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    /// A path inside.
    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The Python interpreter with python-blosc2: `$BLOSC2_PYTHON`, else the repository's `.venv`.
pub fn python() -> PathBuf {
    let candidate =
        std::env::var_os("BLOSC2_PYTHON").map(PathBuf::from).unwrap_or_else(|| repo_root().join(".venv/bin/python"));
    let ok = Command::new(&candidate).args(["-c", "import blosc2"]).status().map(|s| s.success()).unwrap_or(false);
    assert!(ok, "python-blosc2 not found at {} (run scripts/test.sh or set BLOSC2_PYTHON)", candidate.display());
    candidate
}

/// Runs the `milkyway` binary; returns (status code, stdout, stderr).
pub fn milkyway(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_milkyway")).args(args).output().expect("milkyway runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Gunzips `src` into `dst`.
pub fn gunzip(src: &Path, dst: &Path) {
    let mut d = flate2::read::MultiGzDecoder::new(std::fs::File::open(src).unwrap());
    let mut f = std::fs::File::create(dst).unwrap();
    std::io::copy(&mut d, &mut f).unwrap();
}
