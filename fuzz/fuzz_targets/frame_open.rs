//! Any bytes opened as a contiguous frame: header, trailer, metalayers, vlmetalayers, the
//! chunk metadata walk and every chunk read. Ok or a typed error.
#![no_main]

use blosc2_core::frame::{Frame, FrameHeader};
use libfuzzer_sys::fuzz_target;

/// Frames whose fixed chunk size and total size claim more than this many chunks are
/// skipped: opening them legitimately holds 8 bytes per claimed chunk in memory (as
/// C-Blosc2 does; up to 2 GiB), which is slow to fuzz, not a bug.
const MAX_CLAIMED_CHUNKS: u64 = 1 << 22;

fn claims_too_many_chunks(frame: &[u8]) -> bool {
    FrameHeader::parse(frame)
        .is_ok_and(|h| h.chunksize > 0 && h.nbytes / h.chunksize as u64 > MAX_CLAIMED_CHUNKS)
}

fuzz_target!(|data: &[u8]| {
    if claims_too_many_chunks(data) {
        return;
    }
    let Ok(frame) = Frame::from_bytes(data.to_vec()) else { return };
    for (name, _) in frame.metalayers().iter() {
        let _ = frame.metalayers().get_value(name);
    }
    let names: Vec<String> = frame.vlmetalayers().names().map(str::to_owned).collect();
    for name in names {
        let _ = frame.vlmetalayers().get_value(&name);
    }
    for info in frame.chunk_infos().take(4096) {
        let _ = info;
    }
    for i in 0..frame.nchunks().min(256) {
        if let Ok(info) = frame.chunk_info(i) {
            if info.nbytes > 1 << 22 {
                continue;
            }
        }
        let _ = frame.decompress_chunk(i);
    }
});
