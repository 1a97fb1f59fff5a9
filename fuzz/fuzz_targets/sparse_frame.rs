//! A sparse frame directory built from the input: an index file (`chunks.b2frame`) and up
//! to four chunk files, opened with `Frame::open`, walked, and every chunk read. Ok or a
//! typed error.
#![no_main]

#[path = "claims.rs"]
mod claims;

use std::path::PathBuf;
use std::sync::OnceLock;

use blosc2_core::frame::{sparse_chunk_name, Frame};
use claims::claims_too_many_chunks;
use libfuzzer_sys::fuzz_target;

/// One directory per fuzzing process, rewritten for every input.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("blosc2-fuzz-sparse-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temporary directory");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    // Bytes 0-1: index length; byte 2: number of chunk files (0-4); then the index, then
    // the chunk files' bytes split at the positions given by the next bytes.
    if data.len() < 3 {
        return;
    }
    let index_len = usize::from(u16::from_le_bytes([data[0], data[1]])).min(data.len() - 3);
    let nfiles = usize::from(data[2] % 5);
    let (index, mut rest) = data[3..].split_at(index_len);
    if claims_too_many_chunks(index) {
        return;
    }
    let d = dir();
    for entry in std::fs::read_dir(d).expect("readable directory").flatten() {
        let _ = std::fs::remove_file(entry.path());
    }
    std::fs::write(d.join("chunks.b2frame"), index).expect("write index");
    for id in 0..nfiles {
        let take = if id + 1 == nfiles || rest.len() < 2 {
            rest.len()
        } else {
            usize::from(u16::from_le_bytes([rest[0], rest[1]])).min(rest.len() - 2)
        };
        if id + 1 != nfiles && rest.len() >= 2 {
            rest = &rest[2..];
        }
        let (file, tail) = rest.split_at(take.min(rest.len()));
        std::fs::write(d.join(sparse_chunk_name(id as u64)), file).expect("write chunk file");
        rest = tail;
    }
    let Ok(frame) = Frame::open(d) else { return };
    let _ = frame.chunk_infos().take(4096).count();
    for i in 0..frame.nchunks().min(64) {
        if let Ok(info) = frame.chunk_info(i) {
            if info.nbytes > 1 << 22 {
                continue;
            }
        }
        let _ = frame.decompress_chunk(i);
    }
});
