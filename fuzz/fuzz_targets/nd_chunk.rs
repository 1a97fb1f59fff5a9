//! Chunks decoded with an array geometry (the NDLZ, NDCELL and NDMEAN plugins use it): Ok
//! or a typed error whatever the chunk and the geometry.
#![no_main]

use blosc2_core::chunk::{Decompressor, NdGeometry};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Byte 0: ndim (0..=4); then ndim block dimensions as u16; the rest is the chunk.
    if data.is_empty() {
        return;
    }
    let ndim = usize::from(data[0] % 5);
    if data.len() < 1 + 2 * ndim {
        return;
    }
    let dims: Vec<usize> = data[1..1 + 2 * ndim].chunks(2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]]))).collect();
    let chunk = &data[1 + 2 * ndim..];
    let d = Decompressor::new(Some(NdGeometry::new(&dims, &dims).unwrap()));
    if let Ok(v) = d.decompress(chunk) {
        // Block by block agrees with the whole.
        if let Ok(b) = d.decompress_block(chunk, 0) {
            assert_eq!(b, v[..b.len()]);
        }
    }
});
