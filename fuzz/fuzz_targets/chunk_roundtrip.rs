//! Random data and parameters: compress then decompress gives the input back.
#![no_main]

use blosc2_core::chunk::{self, CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let (p, src) = data.split_at(6);
    let codec = CodecId::ALL[usize::from(p[0]) % CodecId::ALL.len()];
    let filters = [FilterId::NOFILTER, FilterId::SHUFFLE, FilterId::BITSHUFFLE, FilterId::DELTA, FilterId::BYTEDELTA];
    let f = filters[usize::from(p[1]) % filters.len()];
    let params = CompressParams {
        codec,
        codec_meta: 0,
        clevel: p[2] % 10,
        typesize: usize::from(p[3] % 17).max(1),
        filters: Pipeline::single(f),
        blocksize: if p[4] & 1 == 0 { 0 } else { usize::from(p[4]) * 16 },
        splitmode: SplitMode::from_code(p[5] % 4 + 1).unwrap_or_default(),
        nthreads: 1 + usize::from(p[5] >> 7),
        // Bit 6 of the split byte: dictionaries, where the codec has them.
        use_dict: p[5] & 0x40 != 0 && matches!(codec, CodecId::ZSTD | CodecId::LZ4 | CodecId::LZ4HC),
        geometry: None,
    };
    let packed = chunk::compress(&params, src).expect("valid parameters compress");
    let back = chunk::decompress(&packed).expect("our chunks decode");
    assert_eq!(back, src);
});
