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

/// Runs `blosc2` with `args`, `stdin` on its standard input (written from another thread,
/// so that a large input cannot block against a full output pipe).
pub fn blosc2_stdin<S: AsRef<OsStr>>(args: &[S], stdin: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_blosc2"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("blosc2 runs");
    let mut pipe = child.stdin.take().unwrap();
    std::thread::scope(|s| {
        s.spawn(move || {
            let _ = pipe.write_all(stdin);
        });
        child.wait_with_output().expect("blosc2 ends")
    })
}

/// As [`blosc2_stdin`], asserting success.
pub fn ok_stdin<S: AsRef<OsStr>>(args: &[S], stdin: &[u8]) -> Output {
    let r = blosc2_stdin(args, stdin);
    let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect();
    assert!(r.status.success(), "{shown:?}: {}", String::from_utf8_lossy(&r.stderr));
    r
}

/// Float32 values with a slow trend and some noise (compressible, not trivially).
pub fn floats(n_bytes: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..n_bytes.div_ceil(4))
        .flat_map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((i as f32 * 0.001).sin() + (x % 1000) as f32 * 1e-6).to_le_bytes()
        })
        .take(n_bytes)
        .collect()
}

/// The names in `dir`.
pub fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// The Python interpreter with python-blosc2: `$BLOSC2_PYTHON`, else the repository's
/// `.venv` (made by `scripts/test.sh`). Panics with a hint when neither works.
pub fn python() -> PathBuf {
    let candidate = std::env::var_os("BLOSC2_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"));
    let ok = Command::new(&candidate).args(["-c", "import blosc2"]).status().is_ok_and(|s| s.success());
    assert!(ok, "python-blosc2 not found at {} (run scripts/test.sh or set BLOSC2_PYTHON)", candidate.display());
    candidate
}
