//! Reading only the needed blocks of a chunk stored in a frame file (`shared/spec/chunk.md`
//! 4-5, `frame.md` 4.1): the chunk header, the block-start table (and dictionary), then the
//! bytes of the wanted blocks; the rest of the returned buffer stays zero and is never
//! decoded. Used by box reads from frames opened lazily, so that a small box read costs a
//! few blocks of I/O, not whole chunks.

use std::path::{Path, PathBuf};

use blosc2_core::chunk::ChunkHeader;
use blosc2_core::frame::reader::sparse_chunk_name;
use blosc2_core::frame::ChunkLocation;
use blosc2_core::header::EXTENDED_HEADER_LEN;

use crate::array::NdArray;

/// DELTA filter id: its blocks refer to block 0.
const DELTA: u8 = 3;

#[cfg(unix)]
fn read_at(f: &std::fs::File, buf: &mut [u8], pos: u64) -> Option<()> {
    use std::os::unix::fs::FileExt;
    f.read_exact_at(buf, pos).ok()
}

#[cfg(not(unix))]
fn read_at(_f: &std::fs::File, _buf: &mut [u8], _pos: u64) -> Option<()> {
    None
}

/// Bytes read by the first read of a chunk: its header and the block-start table of up to
/// 248 blocks (one read instead of two).
const FIRST_READ: usize = 1024;

/// Reads up to `buf.len()` bytes at `pos` (fewer at the end of the file); the count read.
#[cfg(unix)]
fn read_some_at(f: &std::fs::File, buf: &mut [u8], pos: u64) -> Option<usize> {
    use std::os::unix::fs::FileExt;
    let mut done = 0;
    while done < buf.len() {
        match f.read_at(&mut buf[done..], pos + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(done)
}

#[cfg(not(unix))]
fn read_some_at(_f: &std::fs::File, _buf: &mut [u8], _pos: u64) -> Option<usize> {
    None
}

impl NdArray {
    /// Where chunk `index` is stored in a file: the file and the chunk's first byte.
    fn chunk_file(&self, index: u64) -> Option<(PathBuf, u64)> {
        let frame = self.schunk.frame()?;
        if frame.is_in_memory() || frame.is_mapped() {
            return None;
        }
        match self.schunk.chunk_info(index).ok()?.location {
            ChunkLocation::Offset(o) => {
                let path = self.path.as_deref()?;
                Some((path.to_path_buf(), frame.start() + frame.header().header_len as u64 + o))
            }
            ChunkLocation::File(id) => Some((frame.sparse_dir()?.join(sparse_chunk_name(id)), 0)),
            _ => None,
        }
    }

    /// Chunk `index` with only the blocks covering bytes `ranges` (of the decompressed
    /// chunk) read from its file, built in `buf`: the length of the chunk at its start, or
    /// `None` when this does not apply (in-memory and mapped arrays, whose chunks are
    /// borrowed whole; special or memcpyed chunks,
    /// anything unexpected): the caller then reads the chunk whole, which also reports any
    /// error. `buf` is grown as needed and never shrunk, so that a buffer kept for the next
    /// read is neither allocated nor zeroed again.
    pub(crate) fn partial_chunk(&self, index: u64, ranges: &[(usize, usize)], buf: &mut Vec<u8>) -> Option<usize> {
        let (path, pos) = self.chunk_file(index)?;
        // A read-only contiguous frame keeps its file open; chunk files of a sparse frame
        // (and frames opened for modification) are opened by path.
        let opened;
        let f = match self.schunk.frame_file() {
            Some(f) => f,
            None => {
                opened = std::fs::File::open(Path::new(&path)).ok()?;
                &opened
            }
        };
        // The header and, usually, the block-start table in one read.
        let mut first = [0u8; FIRST_READ];
        let got = read_some_at(f, &mut first, pos)?;
        if got < EXTENDED_HEADER_LEN {
            return None;
        }
        let head: [u8; EXTENDED_HEADER_LEN] = first[..EXTENDED_HEADER_LEN].try_into().ok()?;
        let h = ChunkHeader::parse_prefix(&head).ok()?;
        if !h.is_extended() || h.special().is_some() || h.is_memcpyed() || h.is_vl_blocks() || h.nbytes == 0 {
            return None;
        }
        let (cbytes, nblocks, bs) = (h.cbytes, h.nblocks(), h.blocksize());
        let mut table_end = EXTENDED_HEADER_LEN.checked_add(nblocks.checked_mul(4)?)?;
        if table_end + 4 > cbytes {
            return None;
        }
        // `buf[..len]` is the chunk built so far: the header, block-start table (and
        // dictionary) as stored, then the wanted blocks' streams.
        let mut len = table_end + 4;
        grow(buf, len);
        let have = got.min(len);
        buf[..have].copy_from_slice(&first[..have]);
        if have < len {
            read_at(f, &mut buf[have..len], pos + have as u64)?;
        }
        if h.has_dict() {
            let size = i32::from_le_bytes(buf[table_end..table_end + 4].try_into().ok()?);
            let end = table_end.checked_add(4)?.checked_add(usize::try_from(size).ok()?)?;
            if end > cbytes {
                return None;
            }
            grow(buf, end);
            read_at(f, &mut buf[table_end..end], pos + table_end as u64)?;
            table_end = end;
        }
        len = table_end;
        let starts: Vec<usize> = (0..nblocks)
            .map(|b| {
                let at = EXTENDED_HEADER_LEN + 4 * b;
                i32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes")) as usize
            })
            .collect();
        if starts.iter().any(|&s| s < table_end || s >= cbytes) {
            return None;
        }
        let mut wanted: Vec<usize> = Vec::new();
        if h.filters.filters.contains(&DELTA) {
            wanted.push(0);
        }
        for &(a, b) in ranges {
            if b > a {
                wanted.extend(a / bs..=((b - 1) / bs).min(nblocks - 1));
            }
        }
        wanted.sort_unstable();
        wanted.dedup();
        let mut sorted = starts.clone();
        sorted.sort_unstable();
        sorted.dedup();
        // A compact chunk: the wanted blocks' streams follow the table, their starts are
        // rewritten, the other starts point at the first stream (valid, never decoded) and
        // the header's cbytes is the compact length.
        let mut moved = vec![None; nblocks];
        // Each wanted block's stored range; ranges that follow one another in the file (the
        // blocks of one row of a plane, say) are fetched with one read.
        let mut run: Option<(usize, usize)> = None; // (file start, file end) of the pending run
        let fetch = |buf: &mut Vec<u8>, len: &mut usize, (from, to): (usize, usize)| -> Option<()> {
            let at = *len;
            *len += to - from;
            grow(buf, *len);
            read_at(f, &mut buf[at..*len], pos + from as u64)
        };
        for &b in &wanted {
            let s = starts[b];
            let next = sorted.partition_point(|&x| x <= s);
            let end = sorted.get(next).copied().unwrap_or(cbytes);
            run = match run {
                Some((from, to)) if to == s => Some((from, end)),
                Some(r) => {
                    fetch(buf, &mut len, r)?;
                    Some((s, end))
                }
                None => Some((s, end)),
            };
            // Where the block lands: after what is fetched, at its place in the pending run.
            let (from, _) = run.expect("just set");
            moved[b] = Some(len + (s - from));
        }
        if let Some(r) = run {
            fetch(buf, &mut len, r)?;
        }
        let first = moved.iter().flatten().copied().next()?;
        for (b, m) in moved.iter().enumerate() {
            let at = EXTENDED_HEADER_LEN + 4 * b;
            buf[at..at + 4].copy_from_slice(&i32::try_from(m.unwrap_or(first)).ok()?.to_le_bytes());
        }
        buf[12..16].copy_from_slice(&i32::try_from(len).ok()?.to_le_bytes());
        Some(len)
    }
}

/// Makes `buf` at least `n` bytes long (zeroing only what it adds).
fn grow(buf: &mut Vec<u8>, n: usize) {
    if buf.len() < n {
        buf.resize(n, 0);
    }
}

#[cfg(test)]
mod tests {
    use crate::{NdArray, Options};

    #[test]
    fn only_the_wanted_blocks_are_read() {
        let dir = std::env::temp_dir().join(format!("b2nd-partial-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let values: Vec<u64> = (0..64 * 64).map(|i| i * 2_654_435_761 % 1_000_003).collect();
        let a = NdArray::from_slice(&[64, 64], &values, &Options::new().chunks(&[32, 64]).blocks(&[8, 64])).unwrap();
        for sparse in [false, true] {
            let path = dir.join(if sparse { "p-dir.b2nd" } else { "p.b2nd" });
            if sparse {
                a.save_sparse(&path).unwrap();
            } else {
                a.save(&path).unwrap();
            }
            let f = NdArray::open(&path).unwrap();
            let bb = f.geometry().block_nbytes();
            let mut buf = Vec::new();
            let n = f.partial_chunk(1, &[(2 * bb, 3 * bb)], &mut buf).expect("partial read applies");
            let c = buf[..n].to_vec();
            let whole = f.schunk().chunk(1).unwrap();
            let mut got = vec![0u8; bb];
            blosc2_core::chunk::decompress_range(&c, 2 * bb, &mut got).unwrap();
            assert_eq!(got, f.schunk().decompress_chunk(1).unwrap()[2 * bb..3 * bb]);
            // Only the header, the table and one of the four blocks were read.
            assert!(c.len() < whole.len() / 2, "{} of {} bytes read", c.len(), whole.len());
            // Blocks 0 and 1 (next to each other in the file, fetched together) and 3.
            // The same buffer again: longer than this chunk, with the last one's bytes.
            let n = f.partial_chunk(1, &[(0, 2 * bb), (3 * bb, 4 * bb)], &mut buf).expect("partial read applies");
            let c = &buf[..n];
            let all = f.schunk().decompress_chunk(1).unwrap();
            for b in [0, 1, 3] {
                blosc2_core::chunk::decompress_range(c, b * bb, &mut got).unwrap();
                assert_eq!(got, all[b * bb..(b + 1) * bb], "block {b}");
            }
            assert!(NdArray::load(&path).unwrap().partial_chunk(1, &[(0, bb)], &mut buf).is_none());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
