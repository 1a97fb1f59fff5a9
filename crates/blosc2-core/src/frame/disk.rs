//! Frames modified in place on disk, crash-safely (`shared/spec/frame.md` 1, 7).
//!
//! Every change (append, insert, update, delete, metadata) is one *commit*. The write
//! order is what makes a process killed at any moment (SIGKILL, panic, OOM kill) harmless:
//!
//! * **contiguous frame**:
//!   1. new chunk data, then the new offsets chunk and trailer are written *after the
//!      current end of the frame* (`frame_len`), where nothing the committed header refers
//!      to lives. An update or insert never writes over the chunk it replaces or shifts:
//!      the new chunk goes to the end and only the offsets change; the replaced chunk, the
//!      old offsets chunk and the old trailer become unreferenced holes of the chunks
//!      section, which the format allows (spec 4.1);
//!   2. only then the header is rewritten (the *commit point*) with the new
//!      `compressed_size`, `frame_len` and `nbytes`. Only the bytes that differ from the
//!      committed header are written, in one `pwrite`: normally the fixed 87-byte part,
//!      inside the first page of the file. Linux checks for a fatal signal only between
//!      pages of a write, so a killed process leaves that write whole or not done. A
//!      change that spans more than one page (a metalayer updated in place far into a
//!      big header) and any change of the header's length (a metalayer added) rewrite
//!      the whole frame to a temporary file renamed over the original instead (atomic);
//!   3. bytes left past the new `frame_len` by an earlier killed commit are truncated.
//!
//!   A reader therefore finds either the old header, whose offsets, trailer and chunks
//!   were not touched, or the new one, whose data was written first: the file always
//!   opens and holds every chunk whose call returned. When holes outweigh the live
//!   chunks, the frame is compacted into a temporary file renamed over the original.
//! * **sparse frame**: a new chunk goes to a new file first (temporary name, renamed);
//!   updates and inserts use new file ids, never rewriting a file the index refers to;
//!   then the index is written to a temporary file renamed over `chunks.b2frame` (the
//!   commit point, atomic); files no longer referenced are removed last.
//!
//! Commits are ordered but not `fsync`ed: the guarantee above covers a killed process
//! (the page cache survives it). [`crate::schunk::SChunk::flush`] also `fsync`s (the
//! frame file; or the chunk files written since the last flush, the index and the
//! directory), so a frame not changed since its last flush survives a power loss too;
//! a power loss between a change and the next flush may lose the frame.
//!
//! Tested two ways: `schunk::ops::tests::every_crash_point_of_a_change_leaves_the_old_or_the_new_frame`
//! stops the writes at every point of every kind of change (the [`crash_point`] counter),
//! and `tests/frame_mutation.rs` kills writer processes with SIGKILL at random moments.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use super::descriptor::Descriptor;
use super::header::{FrameHeader, FrameType, FIXED_HEADER_LEN};
use super::offsets::{encode_offsets, OffsetsStyle};
use super::reader::{sparse_chunk_name, Frame, SPARSE_INDEX};
use super::source::read_exact_at;
use super::trailer::trailer_bytes;
use crate::error::{Error, Result};

/// Holes are compacted away once they exceed both the live chunk bytes and this size.
const COMPACT_MIN_HOLES: u64 = 1 << 20;

/// A frame on disk modified in place: each commit writes the state of a [`Descriptor`]
/// with new offsets.
#[derive(Debug)]
pub(crate) struct DiskFrame {
    /// Reader of the last committed state.
    pub(crate) frame: Frame,
    path: PathBuf,
    file: Option<File>,
    offsets: Vec<i64>,
    /// Contiguous: unreferenced bytes in the chunks section.
    holes: u64,
    /// Bytes of the stored chunks (chunk files of a sparse frame).
    live: u64,
    /// Contiguous: the header bytes as committed on disk.
    header_bytes: Vec<u8>,
    /// The frame must be rewritten whole: its header changed length or a change spans
    /// more than one page.
    needs_rewrite: bool,
    /// Sparse: chunk files written since the last [`DiskFrame::sync`].
    unsynced: Vec<PathBuf>,
    /// Sparse: the directory, held open for the writer's lock (a contiguous frame's lock
    /// is on `file`).
    _dir_lock: Option<File>,
}

/// Page size assumed for the atomicity of one header write (the smallest Linux page).
const PAGE: usize = 4096;

fn io(e: &std::io::Error, p: &Path) -> Error {
    Error::io(e, p)
}

#[cfg(test)]
thread_local! {
    /// Crash simulation for tests: the number of file-system writes this thread may still
    /// make before they all fail, as if the process died there (`None`: no limit).
    pub(crate) static WRITES_LEFT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Counts one write against `WRITES_LEFT` (tests only; a no-op otherwise).
pub(crate) fn crash_point(path: &Path) -> Result<()> {
    #[cfg(test)]
    {
        let dead = WRITES_LEFT.with(|w| match w.get() {
            Some(0) => true,
            Some(n) => {
                w.set(Some(n - 1));
                false
            }
            None => false,
        });
        if dead {
            let e = std::io::Error::other("simulated crash");
            return Err(io(&e, path));
        }
    }
    let _ = path;
    Ok(())
}

#[cfg(unix)]
fn write_at(f: &File, buf: &[u8], pos: u64, path: &Path) -> Result<()> {
    use std::os::unix::fs::FileExt;
    crash_point(path)?;
    f.write_all_at(buf, pos).map_err(|e| io(&e, path))
}

fn read_at(f: &File, buf: &mut [u8], pos: u64, path: &Path) -> Result<()> {
    read_exact_at(f, buf, pos).map_err(|e| io(&e, path))
}

#[cfg(not(unix))]
fn write_at(mut f: &File, buf: &[u8], pos: u64, path: &Path) -> Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    crash_point(path)?;
    f.seek(SeekFrom::Start(pos)).map_err(|e| io(&e, path))?;
    f.write_all(buf).map_err(|e| io(&e, path))
}

/// The temporary name a file is written under before it is renamed over `path`.
pub(crate) fn temp_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}

/// Writes `bytes` to a temporary name next to `path` and renames it over `path` (the
/// temporary file is removed when this fails).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_name(path);
    let res = (|| {
        crash_point(&tmp)?;
        std::fs::write(&tmp, bytes).map_err(|e| io(&e, &tmp))?;
        crash_point(path)?;
        std::fs::rename(&tmp, path).map_err(|e| io(&e, path))
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Takes the writer's lock on a frame: an exclusive advisory lock (`flock`) on the frame
/// file, or on the directory of a sparse frame. Returns the file opened for writing
/// (contiguous) or the locked directory (sparse).
///
/// A contiguous frame replaced by a rename (compaction, atomic rewrite) while this ran is
/// opened again, so the lock is always on the file the path names. File systems without
/// locks are written without one.
fn lock_writer(path: &Path) -> Result<(Option<File>, Option<File>)> {
    let meta = std::fs::metadata(path).map_err(|e| io(&e, path))?;
    if meta.is_dir() {
        let dir = File::open(path).map_err(|e| io(&e, path))?;
        try_lock(&dir, path)?;
        return Ok((None, Some(dir)));
    }
    for _ in 0..super::reader::OPEN_ATTEMPTS {
        let f = OpenOptions::new().read(true).write(true).open(path).map_err(|e| io(&e, path))?;
        try_lock(&f, path)?;
        if names_same_file(&f, path)? {
            return Ok((Some(f), None));
        }
    }
    Err(Error::WriterActive { path: path.display().to_string() })
}

/// How long a writer waits for a lock held elsewhere before giving up: a lock can be held
/// for a moment by a child process being spawned (it shares the open file until its
/// `exec` closes it).
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(500);

fn try_lock(f: &File, path: &Path) -> Result<()> {
    let since = std::time::Instant::now();
    loop {
        match f.try_lock() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) if since.elapsed() < LOCK_PATIENCE => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::WriterActive { path: path.display().to_string() })
            }
            // No locks on this file system (some network file systems): proceed unlocked.
            Err(std::fs::TryLockError::Error(_)) => return Ok(()),
        }
    }
}

/// Whether the open file `f` is still the one `path` names.
#[cfg(unix)]
fn names_same_file(f: &File, path: &Path) -> Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let (a, b) = (f.metadata().map_err(|e| io(&e, path))?, std::fs::metadata(path).map_err(|e| io(&e, path))?);
    Ok(a.dev() == b.dev() && a.ino() == b.ino())
}

#[cfg(not(unix))]
fn names_same_file(_: &File, _: &Path) -> Result<bool> {
    Ok(true)
}

impl DiskFrame {
    /// Opens a frame file or sparse directory for modification (frames embedded at an
    /// offset cannot be modified).
    pub(crate) fn open(path: &Path) -> Result<DiskFrame> {
        // The writer's lock first, then the state it protects.
        let (file, dir_lock) = lock_writer(path)?;
        let frame = Frame::open(path)?;
        if frame.sparse_dir().is_some() != file.is_none() {
            return Err(Error::NotAFrame { reason: format!("{} changed kind while being opened", path.display()) });
        }
        let offsets = frame.offsets().to_vec()?;
        let mut live = 0;
        for (i, &o) in offsets.iter().enumerate() {
            if o >= 0 {
                live += frame.chunk_info(i as u64)?.cbytes as u64;
            }
        }
        let holes = if file.is_some() { frame.header().cbytes.saturating_sub(live) } else { 0 };
        let header_bytes = match &file {
            Some(f) => {
                let mut b = vec![0u8; frame.header().header_len];
                read_at(f, &mut b, 0, path)?;
                b
            }
            None => Vec::new(),
        };
        Ok(DiskFrame {
            frame,
            path: path.to_path_buf(),
            file,
            offsets,
            holes,
            live,
            header_bytes,
            needs_rewrite: false,
            unsynced: Vec::new(),
            _dir_lock: dir_lock,
        })
    }

    /// The committed offsets.
    pub(crate) fn offsets(&self) -> &[i64] {
        &self.offsets
    }

    /// Whether this is a sparse frame.
    pub(crate) fn is_sparse(&self) -> bool {
        self.file.is_none()
    }

    /// Size of the stored chunk behind a non-negative offset.
    fn stored_size(&self, offset: i64) -> Result<u64> {
        let i = self.offsets.iter().position(|&o| o == offset).expect("committed offset") as u64;
        Ok(self.frame.chunk_info(i)?.cbytes as u64)
    }

    /// Commits a new state: `offsets` (entries listed in `new_chunks` are placeholders
    /// replaced by where those chunks get stored) and the metadata of `desc`, whose
    /// vlmetalayers are written as they are (a checksum table synced into them first).
    pub(crate) fn commit(
        &mut self,
        desc: &Descriptor,
        mut offsets: Vec<i64>,
        new_chunks: &[(usize, &[u8])],
    ) -> Result<()> {
        let placeholders: HashSet<usize> = new_chunks.iter().map(|(i, _)| *i).collect();
        let kept: HashSet<i64> = offsets
            .iter()
            .enumerate()
            .filter(|(i, o)| **o >= 0 && !placeholders.contains(i))
            .map(|(_, &o)| o)
            .collect();
        let mut freed = 0u64;
        let mut removed = Vec::new();
        for &o in &self.offsets {
            if o >= 0 && !kept.contains(&o) && !removed.contains(&o) {
                freed += self.stored_size(o)?;
                removed.push(o);
            }
        }
        let added: u64 = new_chunks.iter().map(|(_, c)| c.len() as u64).sum();
        let live = (self.live + added).saturating_sub(freed);
        let header = if self.is_sparse() {
            let h = self.commit_sparse(desc, &mut offsets, new_chunks, &kept, live)?;
            for o in removed {
                let p = self.path.join(sparse_chunk_name(o as u64));
                if crash_point(&p).is_ok() {
                    let _ = std::fs::remove_file(p);
                }
            }
            self.holes = 0;
            h
        } else {
            let old_meta =
                self.frame.header().frame_len - self.frame.header().header_len as u64 - self.frame.header().cbytes;
            let h = self.commit_contiguous(desc, &mut offsets, new_chunks)?;
            self.holes += freed + old_meta;
            h
        };
        self.live = live;
        self.frame = Frame::from_written(
            &self.path,
            header,
            desc.metalayers.clone(),
            desc.vlmetalayers.clone(),
            offsets.clone(),
        )?;
        self.offsets = offsets;
        Ok(())
    }

    fn commit_contiguous(
        &mut self,
        desc: &Descriptor,
        offsets: &mut [i64],
        new_chunks: &[(usize, &[u8])],
    ) -> Result<FrameHeader> {
        let f = self.file.as_ref().expect("contiguous");
        let h = self.frame.header();
        let hl = h.header_len as u64;
        let mut pos = h.frame_len;
        for &(i, c) in new_chunks {
            write_at(f, c, pos, &self.path)?;
            offsets[i] = (pos - hl) as i64;
            pos += c.len() as u64;
        }
        let off = if offsets.is_empty() { Vec::new() } else { encode_offsets(offsets, OffsetsStyle::Appended)? };
        let trailer = trailer_bytes(&desc.vlmetalayers)?;
        write_at(f, &off, pos, &self.path)?;
        write_at(f, &trailer, pos + off.len() as u64, &self.path)?;
        let mut header = desc.header(FrameType::Contiguous, pos - hl);
        header.frame_len = pos + off.len() as u64 + trailer.len() as u64;
        let mut bytes = header.to_bytes(&desc.metalayers)?;
        if bytes.len() as u64 != hl {
            // Metalayers added or resized: commit the chunks with the header layout on disk
            // (the old metalayers), then rewrite the whole frame atomically.
            bytes = header.to_bytes(self.frame.metalayers())?;
            self.needs_rewrite = true;
        }
        // The commit point: one write of the bytes that changed, within one page.
        let old = &self.header_bytes;
        if let Some(first) = (0..bytes.len()).find(|&k| bytes[k] != old[k]) {
            let last = (0..bytes.len()).rev().find(|&k| bytes[k] != old[k]).unwrap_or(first);
            if first / PAGE == last / PAGE {
                write_at(f, &bytes[first..=last], first as u64, &self.path)?;
            } else {
                // Fixed fields first (one page), then the rest via an atomic rewrite.
                write_at(f, &bytes[..FIXED_HEADER_LEN], 0, &self.path)?;
                bytes[FIXED_HEADER_LEN..].copy_from_slice(&old[FIXED_HEADER_LEN..]);
                self.needs_rewrite = true;
            }
        }
        self.header_bytes = bytes;
        let flen = f.metadata().map_err(|e| io(&e, &self.path))?.len();
        if flen > header.frame_len {
            crash_point(&self.path)?;
            f.set_len(header.frame_len).map_err(|e| io(&e, &self.path))?;
        }
        header.header_len = hl as usize;
        Ok(header)
    }

    fn commit_sparse(
        &mut self,
        desc: &Descriptor,
        offsets: &mut [i64],
        new_chunks: &[(usize, &[u8])],
        kept: &HashSet<i64>,
        live: u64,
    ) -> Result<FrameHeader> {
        let first = kept.iter().copied().chain(self.offsets.iter().copied()).max().unwrap_or(-1).max(-1) + 1;
        for (id, &(i, c)) in (first..).zip(new_chunks) {
            let p = self.path.join(sparse_chunk_name(id as u64));
            write_atomically(&p, c)?;
            self.unsynced.push(p);
            offsets[i] = id;
        }
        let parts = desc.parts(FrameType::Sparse, offsets, live, &desc.vlmetalayers)?;
        let mut index = parts.header_bytes;
        index.extend_from_slice(&parts.offsets);
        index.extend_from_slice(&parts.trailer);
        write_atomically(&self.path.join(SPARSE_INDEX), &index)?;
        Ok(parts.header)
    }

    /// Whether the frame must be rewritten whole: the holes are worth a compaction, or the
    /// last commit left part of the metadata to an atomic rewrite.
    pub(crate) fn wants_compaction(&self) -> bool {
        self.needs_rewrite || (self.holes > COMPACT_MIN_HOLES && self.holes > self.live)
    }

    /// Makes the committed state durable: `fsync` of the frame file, or of the chunk files
    /// written since the last sync, the index and the directory of a sparse frame.
    pub(crate) fn sync(&mut self) -> Result<()> {
        if let Some(f) = &self.file {
            return f.sync_all().map_err(|e| io(&e, &self.path));
        }
        let sync_path = |p: &Path| -> Result<()> {
            match File::open(p) {
                Ok(f) => f.sync_all().map_err(|e| io(&e, p)),
                // Written, then removed by a later commit.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io(&e, p)),
            }
        };
        for p in std::mem::take(&mut self.unsynced) {
            sync_path(&p)?;
        }
        sync_path(&self.path.join(SPARSE_INDEX))?;
        #[cfg(unix)]
        sync_path(&self.path)?;
        Ok(())
    }

    /// The path of the frame.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}
