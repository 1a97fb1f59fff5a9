//! Opt-in per-chunk checksums and whole-super-chunk verification.
//!
//! With [`SChunk::enable_checksums`] a super-chunk keeps a table of one CRC-32 per chunk,
//! hashed over the compressed chunk bytes, and stores it in the [`NAME`] vlmetalayer (the
//! format, with [`chunk_checksum`] and the table encoding, is `frame::checksum`'s,
//! re-exported here).
//!
//! The table is kept current by append, insert, update and delete, and written with the
//! frame (to a file, a sparse directory or a buffer); the copy visible through
//! [`SChunk::vlmetalayers`] is refreshed at each write. Frames opened with the
//! vlmetalayer present have checksums enabled. [`SChunk::set_verify_reads`] makes every
//! chunk read check its hash; [`SChunk::verify`] checks everything and reports the first
//! [`Problem`].

use std::borrow::Cow;
use std::fmt;

use super::SChunk;
use crate::chunk;
use crate::error::{Error, Result};
use crate::frame::checksum::table_err;
pub use crate::frame::checksum::{chunk_checksum, decode_table, encode_table, read_table, ALGORITHM, NAME};
use crate::header::ChunkHeader;

/// The first problem [`SChunk::verify`] finds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// Chunk `index` cannot be read or decoded.
    Chunk {
        /// The chunk.
        index: u64,
        /// What went wrong.
        error: Error,
    },
    /// Chunk `index` does not hash to the recorded checksum.
    Checksum {
        /// The chunk.
        index: u64,
        /// The recorded checksum.
        expected: u32,
        /// The checksum of the chunk as stored.
        found: u32,
    },
    /// The checksum table lists a different number of chunks than the super-chunk has.
    TableLength {
        /// Chunks in the super-chunk.
        chunks: u64,
        /// Entries in the table.
        sums: u64,
    },
    /// The checksum vlmetalayer cannot be read.
    Table {
        /// What went wrong.
        error: Error,
    },
    /// A vlmetalayer cannot be decoded.
    VlMetalayer {
        /// Its name.
        name: String,
        /// What went wrong.
        error: Error,
    },
    /// The chunks' sizes do not add up to the size the header records.
    Nbytes {
        /// The recorded total.
        header: u64,
        /// The chunks' total.
        chunks: u64,
    },
}

impl Problem {
    /// The chunk the problem is in, if it is in one.
    pub fn chunk_index(&self) -> Option<u64> {
        match self {
            Problem::Chunk { index, .. } | Problem::Checksum { index, .. } => Some(*index),
            _ => None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Chunk { index, error } => write!(f, "chunk {index}: {error}"),
            Problem::Checksum { index, expected, found } => {
                write!(f, "chunk {index}: checksum {found:#010x} differs from the recorded {expected:#010x}")
            }
            Problem::TableLength { chunks, sums } => {
                write!(f, "checksum table lists {sums} chunks, the frame has {chunks}")
            }
            Problem::Table { error } => write!(f, "checksum table: {error}"),
            Problem::VlMetalayer { name, error } => write!(f, "vlmetalayer '{name}': {error}"),
            Problem::Nbytes { header, chunks } => {
                write!(f, "chunks hold {chunks} bytes but the header says {header}")
            }
        }
    }
}

impl SChunk {
    /// Starts keeping a checksum table: hashes every chunk present now (trusting them as
    /// they are) and every chunk added later. Written with the frame in the
    /// [`NAME`] vlmetalayer. A no-op when already on.
    ///
    /// # Errors
    /// Chunk read errors; [`Error::Metalayer`] when 16 vlmetalayers already exist.
    pub fn enable_checksums(&mut self) -> Result<()> {
        if self.desc.checksums.is_some() {
            return Ok(());
        }
        self.desc.checksums_room()?;
        let sums = (0..self.nchunks()).map(|i| Ok(chunk_checksum(&self.raw_chunk(i)?))).collect::<Result<_>>()?;
        self.desc.start_checksums(sums)
    }

    /// Stops keeping checksums and removes the table.
    pub fn disable_checksums(&mut self) {
        self.desc.checksums = None;
        let _ = self.desc.vlmetalayers.delete(NAME);
    }

    /// Whether a checksum table is kept.
    pub fn has_checksums(&self) -> bool {
        self.desc.checksums.is_some()
    }

    /// Makes every chunk read ([`SChunk::chunk`] and all decoding built on it) check the
    /// chunk's checksum, failing with [`Error::ChecksumMismatch`]; off by default, and
    /// without effect when no table is kept.
    pub fn set_verify_reads(&mut self, on: bool) {
        self.verify_reads = on;
    }

    /// Checks the whole super-chunk and returns the first problem: every vlmetalayer
    /// decodes, the checksum table (if any) matches the chunk count and every chunk's
    /// bytes, every chunk reads and, with `decode`, decompresses, and the chunk sizes add
    /// up to the recorded total.
    pub fn verify(&self, decode: bool) -> Option<Problem> {
        self.verify_with(decode, &mut |_| {})
    }

    /// [`SChunk::verify`], calling `checked` with each chunk's uncompressed size once the
    /// chunk has passed (for a progress display).
    pub fn verify_with(&self, decode: bool, checked: &mut dyn FnMut(u64)) -> Option<Problem> {
        for (name, c) in self.desc.vlmetalayers.iter_chunks() {
            if name == NAME {
                continue;
            }
            if let Err(error) = chunk::decompress(c) {
                return Some(Problem::VlMetalayer { name: name.to_string(), error });
            }
        }
        let n = self.nchunks();
        let table: Option<Cow<'_, [u32]>> = match (&self.desc.checksums, read_table(&self.desc.vlmetalayers, n)) {
            (Some(t), _) => Some(Cow::Borrowed(t)),
            (None, Some(Ok(t))) => Some(Cow::Owned(t)),
            (None, Some(Err(error))) => return Some(Problem::Table { error }),
            (None, None) => None,
        };
        if let Some(t) = &table {
            if t.len() as u64 != n {
                return Some(Problem::TableLength { chunks: n, sums: t.len() as u64 });
            }
        }
        let mut total = 0u64;
        for i in 0..n {
            let c = match self.raw_chunk(i) {
                Ok(c) => c,
                Err(error) => return Some(Problem::Chunk { index: i, error }),
            };
            if let Some(t) = &table {
                let found = chunk_checksum(&c);
                if found != t[i as usize] {
                    return Some(Problem::Checksum { index: i, expected: t[i as usize], found });
                }
            }
            let nbytes = match ChunkHeader::parse(&c) {
                Ok(h) => h.nbytes,
                Err(error) => return Some(Problem::Chunk { index: i, error }),
            };
            if decode {
                let mut out = vec![0u8; nbytes];
                if let Err(error) = self.decompressor().with_output(chunk::Output::Cached).decompress_into(&c, &mut out)
                {
                    return Some(Problem::Chunk { index: i, error });
                }
            }
            total += nbytes as u64;
            checked(nbytes as u64);
        }
        if total != self.desc.nbytes {
            return Some(Problem::Nbytes { header: self.desc.nbytes, chunks: total });
        }
        None
    }

    /// Checks chunk `i` against the table when reads are verified.
    pub(super) fn check_read(&self, i: u64, chunk: &[u8]) -> Result<()> {
        if !self.verify_reads {
            return Ok(());
        }
        if let Some(t) = &self.desc.checksums {
            let expected = *t.get(i as usize).ok_or(Error::ChecksumMismatch { index: i, expected: 0, found: 0 })?;
            let found = chunk_checksum(chunk);
            if found != expected {
                return Err(Error::ChecksumMismatch { index: i, expected, found });
            }
        }
        Ok(())
    }

    /// Fails when the table no longer matches the chunk count (chunks added by a writer
    /// that does not keep checksums): changing the chunks would then record wrong sums.
    pub(super) fn checksums_ready(&self) -> Result<()> {
        match &self.desc.checksums {
            Some(t) if t.len() as u64 != self.nchunks() => Err(table_err(
                "the checksum table does not match the chunks (run verify; disable and re-enable checksums to rebuild)",
            )),
            _ => Ok(()),
        }
    }
}
