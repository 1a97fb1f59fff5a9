//! The ZFP codecs' decoder (`codec::zfp::decompress`) on any stream, mode, meta, typesize and
//! block shape (1-4 dimensions of 1-16 values): Ok with exactly the block's bytes, or a typed
//! error. A decoded block compresses (when its dimensions allow) to a stream that decodes.
#![no_main]

use blosc2_core::codec::zfp::{self, ZfpMode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Byte 0: mode (bits 0-1), float64 (bit 2), ndim - 1 (bits 3-4); byte 1: meta;
    // then one byte per dimension (1 + low 4 bits); then the stream.
    if data.len() < 2 {
        return;
    }
    let mode = match data[0] & 3 {
        0 => ZfpMode::Accuracy,
        1 => ZfpMode::Precision,
        _ => ZfpMode::Rate,
    };
    let typesize = if data[0] & 4 != 0 { 8 } else { 4 };
    let ndim = usize::from((data[0] >> 3) & 3) + 1;
    let meta = data[1];
    if data.len() < 2 + ndim {
        return;
    }
    let shape: Vec<usize> = data[2..2 + ndim].iter().map(|&b| usize::from(b & 15) + 1).collect();
    let stream = &data[2 + ndim..];
    let nbytes = shape.iter().product::<usize>() * typesize;
    let mut out = vec![0u8; nbytes + 3];
    let Ok(n) = zfp::decompress(mode, meta, typesize, &shape, stream, &mut out) else {
        return;
    };
    assert_eq!(n, nbytes);
    if shape.iter().all(|&d| d >= 4) {
        let mut comp = vec![0u8; nbytes];
        let c = zfp::compress(mode, meta, typesize, &shape, &out[..n], &mut comp).expect("valid parameters");
        if c > 0 {
            let mut again = vec![0u8; nbytes];
            zfp::decompress(mode, meta, typesize, &shape, &comp[..c], &mut again).expect("our stream decodes");
        }
    }
});
