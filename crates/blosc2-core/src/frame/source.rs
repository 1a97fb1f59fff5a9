//! Where frame bytes come from: a shared in-memory buffer (borrowed, never copied) or a
//! file read with positioned reads (`shared/spec/frame.md` 8: readers fetch only the parts
//! they need) or through a memory map (feature `mmap`, on request).

use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::chunk::partial::ReadAt;
use crate::error::{Error, FramePart, Result};

/// Bytes of a frame: memory or a file. Positions are absolute in the buffer or file.
#[derive(Debug, Clone)]
pub enum Source {
    /// A shared buffer.
    Memory(Arc<Vec<u8>>),
    /// A file opened for reading.
    File(Arc<FileSource>),
}

/// A file read by position (`pread` on Unix), or through a memory map of its bytes at open
/// ([`FileSource::open_mapped`]), shareable between threads.
#[derive(Debug)]
pub struct FileSource {
    file: File,
    path: PathBuf,
    len: u64,
    #[cfg(feature = "mmap")]
    map: Option<memmap2::Mmap>,
    #[cfg(not(unix))]
    lock: std::sync::Mutex<()>,
}

impl FileSource {
    /// Opens `path` for reading.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be opened.
    pub fn open(path: &Path) -> Result<FileSource> {
        let file = File::open(path).map_err(|e| Error::io(&e, path))?;
        let len = file.metadata().map_err(|e| Error::io(&e, path))?.len();
        Ok(FileSource {
            file,
            path: path.to_path_buf(),
            len,
            #[cfg(feature = "mmap")]
            map: None,
            #[cfg(not(unix))]
            lock: std::sync::Mutex::new(()),
        })
    }

    /// Opens `path` for reading through a read-only memory map of its bytes at open: reads
    /// borrow from the map (no copy, no system call), and the kernel pages the file in as
    /// it is touched.
    ///
    /// The file must not shrink while it is mapped: a read of a page past its new end
    /// kills the process (`SIGBUS`). This library's writers never truncate a frame that
    /// readers may have open (they append, and replace files by renaming;
    /// `docs/concurrency.md`); other programs that rewrite the file in place can.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be opened or mapped.
    #[cfg(feature = "mmap")]
    #[allow(unsafe_code)]
    pub fn open_mapped(path: &Path) -> Result<FileSource> {
        let mut s = Self::open(path)?;
        let too_big = || Error::io(&std::io::Error::from(std::io::ErrorKind::OutOfMemory), path);
        let len = usize::try_from(s.len).map_err(|_| too_big())?;
        if len > 0 {
            // SAFETY: the map is read-only, of the `len` bytes the file had when opened, and
            // lives as long as `s`. Its bytes are only read through `mapped`, as plain
            // bytes that every reader checks before use (they may change under the map like
            // any file content). The one hazard, the file shrinking below `len` while
            // mapped, is the documented condition of this function.
            let map = unsafe { memmap2::MmapOptions::new().len(len).map(&s.file) }.map_err(|e| Error::io(&e, path))?;
            s.map = Some(map);
        }
        Ok(s)
    }

    /// The mapped bytes, when opened with [`FileSource::open_mapped`].
    pub(crate) fn mapped(&self) -> Option<&[u8]> {
        #[cfg(feature = "mmap")]
        if let Some(m) = &self.map {
            return Some(m);
        }
        None
    }

    /// The file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file, for callers that read parts of it themselves.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Up to `max` bytes at `pos` as the file holds them now (fewer at the end of the
    /// file as opened, none when the read fails): what a reader compares before and after
    /// parsing to notice a concurrent commit.
    pub(crate) fn peek(&self, pos: u64, max: usize) -> Vec<u8> {
        let n = self.len.saturating_sub(pos).min(max as u64) as usize;
        let mut buf = vec![0u8; n];
        match self.pread(&mut buf, pos) {
            Ok(()) => buf,
            Err(_) => Vec::new(),
        }
    }

    /// The file's length now (it may have grown since it was opened).
    pub(crate) fn current_len(&self) -> Option<u64> {
        self.file.metadata().ok().map(|m| m.len())
    }

    /// The file's length when it was opened: the limit of every read through this source.
    pub(crate) fn opened_len(&self) -> u64 {
        self.len
    }

    #[cfg(unix)]
    fn pread(&self, buf: &mut [u8], pos: u64) -> std::io::Result<()> {
        read_exact_at(&self.file, buf, pos)
    }

    #[cfg(not(unix))]
    fn pread(&self, buf: &mut [u8], pos: u64) -> std::io::Result<()> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        read_exact_at(&self.file, buf, pos)
    }
}

/// Fills `buf` with the bytes of `file` at `pos`: the one positioned read of the frame
/// layer (`pread` on Unix; elsewhere a seek and a read, which callers sharing the file
/// between threads serialize).
///
/// # Errors
/// The I/O error, [`std::io::ErrorKind::UnexpectedEof`] when the file ends first.
#[cfg(unix)]
pub(crate) fn read_exact_at(file: &File, buf: &mut [u8], pos: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, pos)
}

/// Fills `buf` with the bytes of `file` at `pos`: the one positioned read of the frame
/// layer (`pread` on Unix; elsewhere a seek and a read, which callers sharing the file
/// between threads serialize).
///
/// # Errors
/// The I/O error, [`std::io::ErrorKind::UnexpectedEof`] when the file ends first.
#[cfg(not(unix))]
pub(crate) fn read_exact_at(mut file: &File, buf: &mut [u8], pos: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(pos))?;
    file.read_exact(buf)
}

/// Chunk parts read by position ([`crate::chunk::partial`]), below the file length at
/// open.
impl ReadAt for FileSource {
    fn size(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, buf: &mut [u8], pos: u64) -> Result<()> {
        if pos.checked_add(buf.len() as u64).is_none_or(|e| e > self.len) {
            let reason = format!("{} bytes at {pos} lie past its end ({} bytes)", buf.len(), self.len);
            return Err(Error::io(&std::io::Error::new(std::io::ErrorKind::UnexpectedEof, reason), &self.path));
        }
        if let Some(m) = self.mapped() {
            // The range is inside `len`, the length mapped.
            buf.copy_from_slice(&m[pos as usize..pos as usize + buf.len()]);
            return Ok(());
        }
        self.pread(buf, pos).map_err(|e| Error::io(&e, &self.path))
    }
}

/// Chunk parts read by position ([`crate::chunk::partial`]); positions are absolute.
impl ReadAt for Source {
    fn size(&self) -> u64 {
        self.len()
    }

    fn read_exact_at(&self, buf: &mut [u8], pos: u64) -> Result<()> {
        match self {
            Source::Memory(b) => ReadAt::read_exact_at(b.as_slice(), buf, pos),
            Source::File(f) => ReadAt::read_exact_at(f.as_ref(), buf, pos),
        }
    }
}

impl Source {
    /// Total length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Source::Memory(b) => b.len() as u64,
            Source::File(f) => f.len,
        }
    }

    /// Whether the source is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads `len` bytes at `pos`; the range is checked against the source length before any
    /// allocation. `part` and `frame_start` name the frame part in errors.
    ///
    /// # Errors
    /// [`Error::InvalidFrame`] when the range is outside the source; [`Error::Io`] when the
    /// read fails.
    pub fn read_at(&self, pos: u64, len: usize, part: FramePart, frame_start: u64) -> Result<Cow<'_, [u8]>> {
        let end = pos.checked_add(len as u64);
        if end.is_none_or(|e| e > self.len()) {
            return Err(Error::InvalidFrame {
                part,
                offset: pos.saturating_sub(frame_start),
                reason: format!("{len} bytes at {pos} lie past the end of the data ({} bytes)", self.len()),
            });
        }
        match self {
            Source::Memory(b) => Ok(Cow::Borrowed(&b[pos as usize..pos as usize + len])),
            Source::File(f) => {
                if let Some(m) = f.mapped() {
                    // The range is inside `len()`, the length mapped.
                    return Ok(Cow::Borrowed(&m[pos as usize..pos as usize + len]));
                }
                let mut buf = vec![0u8; len];
                f.pread(&mut buf, pos).map_err(|e| Error::io(&e, &f.path))?;
                Ok(Cow::Owned(buf))
            }
        }
    }

    /// As [`Source::read_at`], into `buf` (resized to `len`; its allocation is reused).
    ///
    /// # Errors
    /// As [`Source::read_at`].
    pub fn read_at_into(
        &self,
        pos: u64,
        len: usize,
        part: FramePart,
        frame_start: u64,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        match self {
            Source::File(f) if f.mapped().is_none() => {
                if pos.checked_add(len as u64).is_none_or(|e| e > self.len()) {
                    // The same error as read_at's, without reading.
                    return self.read_at(pos, len, part, frame_start).map(drop);
                }
                buf.resize(len, 0);
                f.pread(buf, pos).map_err(|e| Error::io(&e, &f.path))
            }
            _ => {
                let c = self.read_at(pos, len, part, frame_start)?;
                buf.clear();
                buf.extend_from_slice(&c);
                Ok(())
            }
        }
    }
}
