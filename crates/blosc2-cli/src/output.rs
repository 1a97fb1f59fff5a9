//! Where commands read and write: files under one durability rule, or the standard streams
//! (`-`).
//!
//! Every file (or sparse-frame directory) a command writes goes to a temporary name beside
//! the target, `.NAME.tmp-PID`, and is renamed over the target once complete, so an
//! interrupted command never leaves a partial file under the target's name and a failed one
//! leaves what was there. Nothing is flushed to the disk (fsync) unless `--sync` asks: then
//! the file is synced before the rename and its directory after it. A later command writing
//! the same target removes the temporaries of processes that no longer run.
//!
//! A closed pipe on the output ends the command quietly with [`EXIT_BROKEN_PIPE`].

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// `--sync` and `--quiet`, for every command that writes a file.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct OutputArgs {
    /// Flush the output to the disk (fsync) before renaming it into place (by default the
    /// system writes it back in its own time).
    #[arg(long)]
    pub sync: bool,
    /// No progress bar (one is drawn on standard error when it is a terminal and the
    /// command runs over a second).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Exit status after the reader of our standard output went away (128 + SIGPIPE, what a
/// shell reports for a program the signal ended).
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// Whether `p` names a standard stream (`-`).
pub fn is_stdio(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// What a path argument is called in messages (`-` is the standard input or output).
pub fn shown(p: &Path, stream: &str) -> String {
    if is_stdio(p) {
        stream.to_string()
    } else {
        p.display().to_string()
    }
}

/// Whether `e` comes from writing to a pipe whose reader has gone.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || matches!(
                c.downcast_ref::<blosc2_core::Error>(),
                Some(blosc2_core::Error::Io { kind: io::ErrorKind::BrokenPipe, .. })
            )
    })
}

/// The standard output as a file (unbuffered: the commands write whole chunks).
pub fn stdout() -> Result<File> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let fd = io::stdout().as_fd().try_clone_to_owned().context("cannot use the standard output")?;
        Ok(File::from(fd))
    }
    #[cfg(not(unix))]
    {
        anyhow::bail!("'-' (the standard output) is supported on Unix only")
    }
}

/// The standard input as a file (unbuffered: the commands read whole chunks).
pub fn stdin() -> Result<File> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let fd = io::stdin().as_fd().try_clone_to_owned().context("cannot use the standard input")?;
        Ok(File::from(fd))
    }
    #[cfg(not(unix))]
    {
        anyhow::bail!("'-' (the standard input) is supported on Unix only")
    }
}

/// Fills `buf` from `r` as far as the input allows; returns the bytes read (short only at
/// the end of the input).
pub fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A writer that can be flushed to the disk: what [`seal`] syncs (a file, or a test double
/// that counts the calls).
pub trait Durable: Write {
    /// Flushes the data and metadata to the storage device (`fsync`).
    fn sync_to_disk(&mut self) -> io::Result<()>;
}

impl Durable for File {
    fn sync_to_disk(&mut self) -> io::Result<()> {
        self.sync_all()
    }
}

/// Flushes `w`, and syncs it to the disk only when `sync` is set: the step between writing a
/// temporary file and renaming it into place.
pub fn seal<W: Durable>(w: &mut W, sync: bool) -> io::Result<()> {
    w.flush()?;
    if sync {
        w.sync_to_disk()?;
    }
    Ok(())
}

/// Syncs a directory (after a rename in it, so that the new name survives a power loss).
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("cannot sync {}", dir.display()))
}

/// The directory holding `target` (`.` for a bare name).
pub fn parent_dir(target: &Path) -> &Path {
    target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// The target a write replaces: `path` itself, or the file a symbolic link at `path` points
/// to (the link stays a link).
pub fn resolve_target(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// The temporary name a write to `target` goes to first: `.NAME.tmp-PID` beside it.
pub fn temp_path(target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent_dir(target).join(format!(".{name}.tmp-{}", std::process::id()))
}

/// Whether process `pid` exists.
#[allow(unsafe_code)]
fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else { return true };
        // SAFETY: kill with signal 0 sends nothing; it only checks that the process exists.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Removes the temporaries of writes to `target` whose process no longer runs (a command
/// that was killed); those of running processes are left alone.
pub fn remove_stale_temps(target: &Path) {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = std::fs::read_dir(parent_dir(target)) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(&prefix) else { continue };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let Ok(pid) = digits.parse::<u32>() else { continue };
        if pid == std::process::id() || alive(pid) {
            continue;
        }
        let p = entry.path();
        let _ = if entry.file_type().is_ok_and(|t| t.is_dir()) {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
    }
}

/// A file being written under the durability rule: created under [`temp_path`], renamed
/// over the target by [`OutFile::commit`]; dropped uncommitted, it is removed.
#[derive(Debug)]
pub struct OutFile {
    target: PathBuf,
    tmp: PathBuf,
    file: Option<File>,
    sync: bool,
}

impl OutFile {
    /// Starts writing `target` (fsynced at the commit when `sync`).
    ///
    /// # Errors
    /// The temporary file cannot be created.
    pub fn create(target: &Path, sync: bool) -> Result<OutFile> {
        let target = resolve_target(target);
        remove_stale_temps(&target);
        let tmp = temp_path(&target);
        let file = File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        Ok(OutFile { target, tmp, file: Some(file), sync })
    }

    /// The temporary file's path.
    pub fn tmp_path(&self) -> &Path {
        &self.tmp
    }

    /// The file being written.
    pub fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("an OutFile holds its file until the commit")
    }

    /// Flushes (and with `sync`, fsyncs) the file and renames it over the target.
    ///
    /// # Errors
    /// I/O errors; the target is then left as it was.
    pub fn commit(mut self) -> Result<()> {
        let mut file = self.file.take().expect("committed once");
        seal(&mut file, self.sync).with_context(|| format!("cannot write {}", self.tmp.display()))?;
        drop(file);
        std::fs::rename(&self.tmp, &self.target)
            .with_context(|| format!("cannot rename to {}", self.target.display()))?;
        if self.sync {
            sync_dir(parent_dir(&self.target))?;
        }
        self.tmp = PathBuf::new();
        Ok(())
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

impl Drop for OutFile {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            self.file = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// A file or sparse-frame directory complete under a temporary name (written by a library
/// call that takes a path); removed when dropped uncommitted.
pub struct Staged(PathBuf);

impl Staged {
    /// Takes charge of `path`.
    pub fn new(path: PathBuf) -> Staged {
        Staged(path)
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Renames it over `target` (syncing it first, and the directory after, with `sync`). A
    /// sparse frame replacing another is renamed in two steps (a directory cannot be renamed
    /// over a non-empty one): for a moment neither is under the target's name.
    ///
    /// # Errors
    /// I/O errors; the target is then as it was.
    pub fn commit(mut self, target: &Path, sync: bool) -> Result<()> {
        let staged = std::mem::take(&mut self.0);
        let result = (|| {
            if sync {
                sync_tree(&staged)?;
            }
            if staged.is_dir() && target.is_dir() {
                // A directory cannot be renamed over another: the old frame steps aside first.
                let old = PathBuf::from(format!("{}.old", staged.display()));
                std::fs::rename(target, &old).with_context(|| format!("cannot replace {}", target.display()))?;
                if let Err(e) = std::fs::rename(&staged, target) {
                    let _ = std::fs::rename(&old, target);
                    return Err(e).with_context(|| format!("cannot rename to {}", target.display()));
                }
                let _ = std::fs::remove_dir_all(&old);
            } else {
                std::fs::rename(&staged, target).with_context(|| format!("cannot rename to {}", target.display()))?;
            }
            if sync {
                sync_dir(parent_dir(target))?;
            }
            Ok(())
        })();
        if result.is_err() {
            self.0 = staged;
        }
        result
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            let _ = if self.0.is_dir() { std::fs::remove_dir_all(&self.0) } else { std::fs::remove_file(&self.0) };
        }
    }
}

/// Syncs a file, or a directory and everything in it, to the disk.
pub fn sync_tree(path: &Path) -> Result<()> {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).with_context(|| format!("cannot read {}", path.display()))? {
            let entry = entry.with_context(|| format!("cannot read {}", path.display()))?;
            sync_tree(&entry.path())?;
        }
        sync_dir(path)
    } else {
        std::fs::File::open(path).and_then(|f| f.sync_all()).with_context(|| format!("cannot sync {}", path.display()))
    }
}

/// Writes `bytes` to `path` under the durability rule (or to the standard output for `-`).
///
/// # Errors
/// I/O errors; the target is then left as it was.
pub fn write_file(path: &Path, bytes: &[u8], sync: bool) -> Result<()> {
    if is_stdio(path) {
        return stdout()?.write_all(bytes).context("cannot write to the standard output");
    }
    let mut out = OutFile::create(path, sync)?;
    out.write_all(bytes).with_context(|| format!("cannot write {}", out.tmp_path().display()))?;
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that counts flushes and syncs.
    #[derive(Default)]
    struct Counting {
        bytes: Vec<u8>,
        flushes: usize,
        syncs: usize,
    }

    impl Write for Counting {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.bytes.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            self.flushes += 1;
            Ok(())
        }
    }

    impl Durable for Counting {
        fn sync_to_disk(&mut self) -> io::Result<()> {
            self.syncs += 1;
            Ok(())
        }
    }

    #[test]
    fn seal_syncs_only_when_asked() {
        let mut w = Counting::default();
        w.write_all(b"abc").unwrap();
        seal(&mut w, false).unwrap();
        assert_eq!((w.flushes, w.syncs), (1, 0));
        seal(&mut w, true).unwrap();
        assert_eq!((w.flushes, w.syncs), (2, 1));
        assert_eq!(w.bytes, b"abc");
    }

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("blosc2-cli-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn out_file_replaces_the_target_only_at_the_commit() {
        let d = scratch("commit");
        let target = d.join("f.bin");
        std::fs::write(&target, b"old").unwrap();
        let mut o = OutFile::create(&target, false).unwrap();
        o.write_all(b"new content").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        let tmp = o.tmp_path().to_path_buf();
        assert!(tmp.exists());
        o.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new content");
        assert!(!tmp.exists());
        // Dropped uncommitted: the target stays, the temporary goes.
        let mut o = OutFile::create(&target, true).unwrap();
        o.write_all(b"lost").unwrap();
        drop(o);
        assert_eq!(std::fs::read(&target).unwrap(), b"new content");
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
        // With sync, the same result.
        write_file(&target, b"synced", true).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"synced");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        let d = scratch("stale");
        let target = d.join("f.bin");
        // A process id that does not run: a child that has exited and been reaped.
        let dead = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = dead.id();
        let mut dead = dead;
        dead.wait().unwrap();
        let stale = d.join(format!(".f.bin.tmp-{dead_pid}"));
        let stale_dir = d.join(format!(".f.bin.tmp-{dead_pid}.tmp{dead_pid}"));
        let live = d.join(format!(".f.bin.tmp-{}", std::process::id()));
        let other = d.join(format!(".g.bin.tmp-{dead_pid}"));
        std::fs::write(&stale, b"x").unwrap();
        std::fs::create_dir_all(stale_dir.join("sub")).unwrap();
        std::fs::write(&live, b"x").unwrap();
        std::fs::write(&other, b"x").unwrap();
        remove_stale_temps(&target);
        assert!(!stale.exists() && !stale_dir.exists());
        assert!(live.exists() && other.exists());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
