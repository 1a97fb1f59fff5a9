//! Any bytes given to the chunk decoder: whole, by range, by block. Ok or a typed error;
//! a block left shuffled is the same whether its stored streams are copied or not.
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
    // Block 0 left shuffled, with its stored streams left in the chunk or copied: the same
    // bytes, and every stream left in place lies inside the chunk.
    let len = h.blocksize().min(h.nbytes);
    if len > 0 && len <= 1 << 22 {
        let mut copied = vec![0u8; len];
        let mut left = vec![0u8; len];
        let d = chunk::Decompressor::default();
        let a = d.decode_block(data, 0, &mut copied, chunk::StoredPlanes::Copy);
        let b = d.decode_block(data, 0, &mut left, chunk::StoredPlanes::InPlace);
        assert_eq!(a.is_ok(), b.is_ok());
        if let (Ok(chunk::DecodedBlock::Shuffled(a)), Ok(chunk::DecodedBlock::Shuffled(b))) = (a, b) {
            assert_eq!(a.typesize(), b.typesize());
            for j in 0..a.typesize() {
                assert_eq!(a.plane(j), b.plane(j));
            }
            assert_eq!(a.tail(), b.tail());
        }
    }
});
