//! Helpers shared by the CLI tests: running the `blosc2` binary and listing what it wrote.
//! Test data, temporary directories, fixtures and python-blosc2 come from `blosc2-testkit`.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// `path` as an argument.
pub fn p(path: &Path) -> &OsStr {
    path.as_os_str()
}

/// The arguments of `blosc2 compress input frame` in chunks of 64 KiB with `codec` and
/// `typesize`, for the caller to add its options to.
pub fn compress_args<'a>(input: &'a Path, frame: &'a Path, codec: &'a str, typesize: &'a str) -> Vec<&'a OsStr> {
    let options = ["--chunksize", "65536", "--codec", codec, "--typesize", typesize];
    [OsStr::new("compress"), p(input), p(frame)].into_iter().chain(options.map(OsStr::new)).collect()
}

/// What `blosc2 info path --json` prints, parsed.
pub fn info_json(path: &Path) -> Value {
    let r = ok(&[OsStr::new("info"), p(path), OsStr::new("--json")]);
    serde_json::from_slice(&r.stdout).expect("info --json prints JSON")
}

/// The tuner's environment variables: each switches `compress` and `convert` to tuning.
pub const BTUNE_VARS: [&str; 5] =
    ["BTUNE_TRADEOFF", "BTUNE_PERF_MODE", "BTUNE_TRACE", "BTUNE_MODELS_DIR", "BTUNE_USE_INFERENCE"];

/// The `blosc2` binary as a command, without the tuner's environment variables of the
/// caller (so that a test's output does not depend on them).
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_blosc2"));
    for k in BTUNE_VARS {
        c.env_remove(k);
    }
    c
}

/// Runs `blosc2` with `args`.
pub fn blosc2<S: AsRef<OsStr>>(args: &[S]) -> Output {
    command().args(args).output().expect("blosc2 runs")
}

/// Runs `blosc2` with `args` and asserts it succeeded.
pub fn ok<S: AsRef<OsStr>>(args: &[S]) -> Output {
    let r = blosc2(args);
    let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect();
    assert!(r.status.success(), "{shown:?}: {}", String::from_utf8_lossy(&r.stderr));
    r
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

/// The names in `dir`, sorted.
pub fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}
