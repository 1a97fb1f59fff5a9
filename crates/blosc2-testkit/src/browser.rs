//! Page tests in headless Chromium: a Playwright script run by `node` against a server the
//! test started, with npm's playwright-core from the committed lockfile in
//! `crates/blosc2-server/tests/browser` (`npm ci` there; `scripts/test.sh` runs it).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fs::repo_root;

/// The `node_modules` folder holding playwright-core; panics with the command that installs
/// it when it is missing.
pub fn node_modules() -> PathBuf {
    let modules = repo_root().join("crates/blosc2-server/tests/browser/node_modules");
    assert!(
        modules.join("playwright-core").is_dir(),
        "playwright-core is not installed: run `npm ci --prefix crates/blosc2-server/tests/browser` (needs node and npm)"
    );
    modules
}

/// Runs the Playwright `script` with `node SCRIPT URL SHOTS`, playwright-core found through
/// `NODE_PATH`, and panics with its output unless it succeeds and wrote each of the
/// `screenshots` (more than 10 kB each) into `shots`. Returns the script's standard output.
pub fn run_page_test(script: &Path, url: &str, shots: &Path, screenshots: &[&str]) -> String {
    let run = Command::new("node")
        .arg(script)
        .arg(url)
        .arg(shots)
        .env("NODE_PATH", node_modules())
        .output()
        .expect("node runs (apt-get install nodejs npm)");
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(run.status.success(), "browser test failed:\n{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    for shot in screenshots {
        let len = std::fs::metadata(shots.join(shot)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 10_000, "screenshot {shot}: {len} bytes");
    }
    stdout
}
