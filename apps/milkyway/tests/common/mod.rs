//! Helpers shared by the explorer's tests: the Gaia sample rows and the `milkyway` binary.
//! Temporary directories and python-blosc2 come from `blosc2-testkit`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use blosc2_testkit::fs::testdata;

/// `testdata/gaia` (real DR3 rows, ESA/Gaia/DPAC).
pub fn gaia_dir() -> PathBuf {
    testdata("gaia")
}

/// The expected values of `testdata/gaia/expected_values.json`.
pub fn expected() -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(gaia_dir().join("expected_values.json")).unwrap()).unwrap()
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

/// Every star of a galaxy's star table, in table order.
pub fn table_stars(galaxy: &Path) -> Vec<milkyway::reader::Star> {
    let mut v = Vec::new();
    milkyway::table::StarTable::open(galaxy)
        .unwrap()
        .for_each_star(|s| {
            v.push(s);
            Ok(())
        })
        .unwrap();
    v
}
