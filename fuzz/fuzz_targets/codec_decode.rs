//! Each codec's raw decoder (BloscLZ, LZ4, Zlib, Zstd; with and without a dictionary) on
//! any stream and any expected size, through the same entry point the chunk decoder uses.
//! Ok or a typed error; never more output than asked for.
#![no_main]

use blosc2_core::codec::CodecContext;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Byte 0: format (low 3 bits) and whether a dictionary is used (bit 3);
    // bytes 1-2: expected size; byte 3: dictionary length; then dictionary and stream.
    if data.len() < 4 {
        return;
    }
    let format = data[0] & 7;
    let with_dict = data[0] & 8 != 0;
    let expected = usize::from(u16::from_le_bytes([data[1], data[2]]));
    let dict_len = usize::from(data[3]).min(data.len() - 4);
    let (dict, stream) = data[4..].split_at(if with_dict { dict_len } else { 0 });
    let mut ctx = if with_dict { CodecContext::with_dict(dict) } else { CodecContext::new() };
    let mut out = vec![0u8; expected];
    if ctx.decompress(format, format, stream, &mut out).is_ok() {
        // A second call on the same context (its decoders are reused) gives the same bytes.
        let mut again = vec![0u8; expected];
        ctx.decompress(format, format, stream, &mut again).expect("the same stream decodes twice");
        assert_eq!(out, again);
    }
});
