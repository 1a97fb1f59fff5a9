//! Frames modified in place on disk, crash-safely (`shared/spec/frame.md` 1, 7).
//!
//! Every change (append, insert, update, delete, metadata) is one *commit*:
//!
//! * **contiguous frame**: new chunk data, then the new offsets chunk and trailer are
//!   written *after the current end of the frame* (`frame_len`), where nothing live lives;
//!   only then the header is rewritten (one `write` call) with the new `compressed_size`,
//!   `frame_len` and `nbytes`. The old offsets chunk and trailer become an unreferenced
//!   hole of the chunks section, which the format allows (spec 4.1). A process killed at
//!   any moment leaves either the old header (whose offsets and trailer were not touched)
//!   or the new one (whose data was written first): the file always opens and holds every
//!   chunk whose call returned. When holes outweigh the live chunks, the frame is
//!   compacted into a temporary file renamed over the original (atomic).
//! * **sparse frame**: a new chunk goes to a new file first; then the index is written to a
//!   temporary file renamed over `chunks.b2frame` (atomic); files no longer referenced are
//!   removed last.
//!
//! Writes are ordered but not `fsync`ed: the guarantee covers a killed process (the page
//! cache survives it), not a power loss.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use super::header::{FrameHeader, FrameType};
use super::offsets::{encode_offsets, OffsetsStyle};
use super::reader::{sparse_chunk_name, Frame, SPARSE_INDEX};
use super::trailer::trailer_bytes;
use crate::error::{Error, Result};
use crate::schunk::SChunk;

/// Holes are compacted away once they exceed both the live chunk bytes and this size.
const COMPACT_MIN_HOLES: u64 = 1 << 20;

/// A frame on disk that a super-chunk modifies.
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
}

fn io(e: &std::io::Error, p: &Path) -> Error {
    Error::io(e, p)
}

#[cfg(unix)]
fn write_at(f: &File, buf: &[u8], pos: u64, path: &Path) -> Result<()> {
    use std::os::unix::fs::FileExt;
    f.write_all_at(buf, pos).map_err(|e| io(&e, path))
}

#[cfg(not(unix))]
fn write_at(mut f: &File, buf: &[u8], pos: u64, path: &Path) -> Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    f.seek(SeekFrom::Start(pos)).map_err(|e| io(&e, path))?;
    f.write_all(buf).map_err(|e| io(&e, path))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(name);
    std::fs::write(&tmp, bytes).map_err(|e| io(&e, &tmp))?;
    std::fs::rename(&tmp, path).map_err(|e| io(&e, path))
}

impl DiskFrame {
    /// Opens a frame file or sparse directory for modification (frames embedded at an
    /// offset cannot be modified).
    pub(crate) fn open(path: &Path) -> Result<DiskFrame> {
        let frame = Frame::open(path)?;
        let file = if frame.sparse_dir().is_some() {
            None
        } else {
            Some(OpenOptions::new().read(true).write(true).open(path).map_err(|e| io(&e, path))?)
        };
        let offsets = frame.offsets().to_vec();
        let mut live = 0;
        for (i, &o) in offsets.iter().enumerate() {
            if o >= 0 {
                live += frame.chunk_info(i as u64)?.cbytes as u64;
            }
        }
        let holes = if file.is_some() { frame.header().cbytes.saturating_sub(live) } else { 0 };
        Ok(DiskFrame { frame, path: path.to_path_buf(), file, offsets, holes, live })
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
    /// replaced by where those chunks get stored) and the metadata of `s`.
    pub(crate) fn commit(&mut self, s: &SChunk, mut offsets: Vec<i64>, new_chunks: &[(usize, &[u8])]) -> Result<()> {
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
            let h = self.commit_sparse(s, &mut offsets, new_chunks, &kept, live)?;
            for o in removed {
                let p = self.path.join(sparse_chunk_name(o as u64));
                let _ = std::fs::remove_file(p);
            }
            self.holes = 0;
            h
        } else {
            let old_meta =
                self.frame.header().frame_len - self.frame.header().header_len as u64 - self.frame.header().cbytes;
            let h = self.commit_contiguous(s, &mut offsets, new_chunks)?;
            self.holes += freed + old_meta;
            h
        };
        self.live = live;
        self.frame =
            Frame::from_written(&self.path, header, s.metalayers().clone(), s.vlmetalayers().clone(), offsets.clone())?;
        self.offsets = offsets;
        Ok(())
    }

    fn commit_contiguous(
        &mut self,
        s: &SChunk,
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
        let trailer = trailer_bytes(s.vlmetalayers())?;
        write_at(f, &off, pos, &self.path)?;
        write_at(f, &trailer, pos + off.len() as u64, &self.path)?;
        let mut header = s.frame_header(FrameType::Contiguous, pos - hl);
        header.frame_len = pos + off.len() as u64 + trailer.len() as u64;
        let bytes = header.to_bytes(s.metalayers())?;
        if bytes.len() as u64 != hl {
            return Err(Error::Metalayer {
                name: String::new(),
                reason: "metalayers of a frame on disk cannot change size",
            });
        }
        // The commit point: one write of the header.
        write_at(f, &bytes, 0, &self.path)?;
        let flen = f.metadata().map_err(|e| io(&e, &self.path))?.len();
        if flen > header.frame_len {
            f.set_len(header.frame_len).map_err(|e| io(&e, &self.path))?;
        }
        header.header_len = hl as usize;
        Ok(header)
    }

    fn commit_sparse(
        &mut self,
        s: &SChunk,
        offsets: &mut [i64],
        new_chunks: &[(usize, &[u8])],
        kept: &HashSet<i64>,
        live: u64,
    ) -> Result<FrameHeader> {
        let first = kept.iter().copied().chain(self.offsets.iter().copied()).max().unwrap_or(-1).max(-1) + 1;
        for (id, &(i, c)) in (first..).zip(new_chunks) {
            let p = self.path.join(sparse_chunk_name(id as u64));
            write_atomically(&p, c)?;
            offsets[i] = id;
        }
        let off = if offsets.is_empty() { Vec::new() } else { encode_offsets(offsets, OffsetsStyle::Appended)? };
        let trailer = trailer_bytes(s.vlmetalayers())?;
        let mut header = s.frame_header(FrameType::Sparse, live);
        let hbytes = header.to_bytes(s.metalayers())?;
        header.frame_len = (hbytes.len() + off.len() + trailer.len()) as u64;
        let mut index = header.to_bytes(s.metalayers())?;
        index.extend_from_slice(&off);
        index.extend_from_slice(&trailer);
        write_atomically(&self.path.join(SPARSE_INDEX), &index)?;
        header.header_len = hbytes.len();
        Ok(header)
    }

    /// Whether the holes are worth a compaction.
    pub(crate) fn wants_compaction(&self) -> bool {
        self.holes > COMPACT_MIN_HOLES && self.holes > self.live
    }

    /// The path of the frame.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}
