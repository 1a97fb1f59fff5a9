//! The raw BloscLZ decoder on any stream and any expected size.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let expected = usize::from(u16::from_le_bytes([data[0], data[1]]));
    let mut out = vec![0u8; expected];
    let _ = blosc2_core::codec::blosclz::decompress(&data[2..], &mut out);
});
