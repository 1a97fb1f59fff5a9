//! Any bytes opened as a b2nd array from a contiguous frame (`NdArray::from_cframe`):
//! frame, `b2nd` metalayer, dtype, geometry checks, then a few box reads whose sizes are
//! bounded by the fuzzer. Ok or a typed error.
#![no_main]

#[path = "claims.rs"]
mod claims;

use blosc2_nd::{NdArray, Region};
use claims::claims_too_many_chunks;
use libfuzzer_sys::fuzz_target;

/// Largest box read, in bytes (keeps each input fast and the allocation bounded).
const MAX_BOX_BYTES: u64 = 1 << 22;

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the boxes; the rest is the frame.
    let Some((&pick, frame)) = data.split_first() else { return };
    if claims_too_many_chunks(frame) {
        return;
    }
    let Ok(a) = NdArray::from_cframe(frame.to_vec()) else { return };
    let shape = a.shape().to_vec();
    let itemsize = a.dtype().itemsize() as u64;
    let _ = a.chunk_infos().take(64).count();
    if shape.iter().any(|&s| s == 0) {
        return;
    }
    for k in 0..3u64 {
        // A box from a corner, the middle or the end, at most 3 items wide per axis.
        let start: Vec<u64> = shape
            .iter()
            .enumerate()
            .map(|(d, &s)| match (u64::from(pick) + k + d as u64) % 3 {
                0 => 0,
                1 => s / 2,
                _ => s - 1,
            })
            .collect();
        let stop: Vec<u64> = start.iter().zip(&shape).map(|(&b, &s)| (b + 3).min(s)).collect();
        let items: u64 = start.iter().zip(&stop).map(|(&b, &e)| e - b).product();
        if items.saturating_mul(itemsize) > MAX_BOX_BYTES {
            continue;
        }
        let Ok(r) = Region::from_start_stop(&start, &stop) else { continue };
        let _ = a.read_box(&r);
    }
    if !shape.is_empty() {
        let _ = a.get_bytes(&vec![0; shape.len()]);
    }
});
