//! The repository's files and temporary directories for the tests.

use std::path::{Path, PathBuf};

/// The repository root (every crate of the workspace sits two levels below it).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// `testdata/<sub>` of the repository (`sub` may be empty or a deeper path).
pub fn testdata(sub: &str) -> PathBuf {
    repo_root().join("testdata").join(sub)
}

/// A fresh temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates `<base>/<name>-<pid>`, first removing whatever a killed run left there.
    /// Integration tests and benches make one under the target directory with
    /// [`temp_dir!`](crate::temp_dir).
    pub fn new_in(base: impl AsRef<Path>, name: &str) -> TempDir {
        let p = base.as_ref().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside.
    pub fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `temp_dir!(name)`: a [`TempDir`](crate::fs::TempDir) `<name>-<pid>` in the target
/// directory's `tmp` (`CARGO_TARGET_TMPDIR` of the calling test, which only integration
/// tests and benches have: a macro, so that it is read where the test is compiled).
#[macro_export]
macro_rules! temp_dir {
    ($name:expr) => {
        $crate::fs::TempDir::new_in(env!("CARGO_TARGET_TMPDIR"), $name)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temp_dir_is_fresh_and_removed() {
        let base = std::env::temp_dir();
        let t = TempDir::new_in(&base, "testkit-fs");
        std::fs::write(t.join("f"), b"x").unwrap();
        let again = TempDir::new_in(&base, "testkit-fs");
        assert!(!again.join("f").exists());
        let p = again.path().to_path_buf();
        drop(again);
        drop(t);
        assert!(!p.exists());
        assert!(testdata("fixtures").join("manifest.json").is_file());
    }
}
