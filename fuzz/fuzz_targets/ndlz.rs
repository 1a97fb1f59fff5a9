//! NDLZ (codec 32): any stream decodes to Ok or a typed error, never more output than asked
//! for; any 2-d block of bytes that NDLZ compresses decodes back to itself.
#![no_main]

use blosc2_core::codec::ndlz;
use blosc2_core::geometry::NdGeometry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Byte 0: bit 0 the cell side (4 or 8), bit 7 round trip instead of decoding;
    // bytes 1-2: the expected size (decoding) or the block's width (round trip).
    if data.len() < 3 {
        return;
    }
    let meta = if data[0] & 1 == 0 { 4 } else { 8 };
    let arg = usize::from(u16::from_le_bytes([data[1], data[2]]));
    let rest = &data[3..];
    if data[0] & 0x80 == 0 {
        let mut out = vec![0u8; arg];
        if let Ok(n) = ndlz::decompress(meta, rest, &mut out) {
            assert!(n <= out.len());
        }
        return;
    }
    let width = arg % 200 + 1;
    let rows = rest.len() / width;
    let src = &rest[..rows * width];
    let g = NdGeometry::new(&[rows, width], &[rows, width]).unwrap();
    let mut packed = vec![0u8; src.len()];
    let n = ndlz::compress(meta, 1, &g, src, &mut packed).expect("a 2-d block of bytes");
    if n > 0 {
        let mut back = vec![0u8; src.len()];
        assert_eq!(ndlz::decompress(meta, &packed[..n], &mut back).expect("our streams decode"), src.len());
        assert_eq!(back, src);
    }
});
