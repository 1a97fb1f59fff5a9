//! Helpers shared by the CLI tests: running the binary, temporary directories, fixtures.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs `blosc2` with `args`.
pub fn blosc2<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blosc2")).args(args).output().expect("blosc2 runs")
}

/// Runs `blosc2` with `args` and asserts it succeeded.
pub fn ok<S: AsRef<OsStr>>(args: &[S]) -> Output {
    let r = blosc2(args);
    let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect();
    assert!(r.status.success(), "{shown:?}: {}", String::from_utf8_lossy(&r.stderr));
    r
}

/// A fresh directory under the target's temporary directory, removed on drop.
pub struct Tmp(pub PathBuf);

impl Tmp {
    /// Creates `cli-<name>-<pid>`.
    pub fn new(name: &str) -> Tmp {
        let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Tmp(d)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The python-blosc2 fixtures copied into the repository.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
}
