//! The python-blosc2 interpreter the interoperability tests run.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fs::repo_root;

/// The Python interpreter that has python-blosc2: `$BLOSC2_PYTHON`, else the repository's
/// `.venv` (made by `scripts/test.sh`). Panics with a hint when neither works.
pub fn python() -> PathBuf {
    let candidate =
        std::env::var_os("BLOSC2_PYTHON").map(PathBuf::from).unwrap_or_else(|| repo_root().join(".venv/bin/python"));
    let ok = Command::new(&candidate).args(["-c", "import blosc2"]).status().is_ok_and(|s| s.success());
    assert!(
        ok,
        "python-blosc2 not found at {} (run scripts/test.sh, which creates .venv, or set BLOSC2_PYTHON)",
        candidate.display()
    );
    candidate
}

/// Runs the Python script file `script` with `args`; panics with its output on failure.
/// A test's own scripts are at [`python_script!`](crate::python_script).
pub fn run_python<S: AsRef<OsStr>>(script: impl AsRef<Path>, args: &[S]) {
    let script = script.as_ref();
    let out = Command::new(python()).arg(script).args(args).output().expect("python runs");
    assert!(
        out.status.success(),
        "{} failed:\n{}\n{}",
        script.file_name().unwrap_or(script.as_os_str()).to_string_lossy(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the Python code `code` (`python -c`) with `args`; returns its standard output,
/// trimmed, and panics with its output on failure.
pub fn run_python_code<S: AsRef<OsStr>>(code: &str, args: &[S]) -> String {
    let out = Command::new(python()).arg("-c").arg(code).args(args).output().expect("python runs");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `python_script!("name.py")`: the path of `tests/python/name.py` in the calling test's
/// crate (a macro, so that the crate is the one where the test is compiled).
#[macro_export]
macro_rules! python_script {
    ($name:literal) => {
        ::std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/", $name))
    };
}
