//! Any bytes given to the chunk decoder: whole, by range, by block. Ok or a typed error.
#![no_main]

use blosc2_core::chunk::{self, ChunkHeader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(h) = ChunkHeader::parse(data) else { return };
    // Valid headers may claim up to 2 GiB; decode a window of bounded size instead.
    if h.nbytes <= 1 << 22 {
        let _ = chunk::decompress(data);
        let mut out = vec![0u8; h.nbytes];
        let _ = chunk::decompress_into(data, &mut out, 2);
    }
    let n = h.nbytes.min(4096);
    let mut part = vec![0u8; n / 2];
    let _ = chunk::decompress_range(data, n / 4, &mut part);
    let _ = chunk::decompress_block(data, 0);
});
