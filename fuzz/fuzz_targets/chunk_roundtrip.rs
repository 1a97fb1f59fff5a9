//! Random data and parameters: compress then decompress gives the input back.
//!
//! Input: codec, clevel, typesize (1-255), blocksize, split mode and threads, six filter
//! slots and their six meta bytes (17 bytes), then the data. Any pipeline of the filters
//! we write: shuffle, bitshuffle, delta, bytedelta and the lossy trunc_prec and int_trunc.
//! Parameters the pipeline check refuses must be refused by `compress` too; the others must
//! compress. Lossless pipelines give the input back; a pipeline whose only lossy filter is
//! its first gives back that filter applied to the input (or the input itself when the
//! chunk fell back to a plain copy, which holds the untruncated input as in C-Blosc2); any
//! other lossy one decodes to the input's length.
#![no_main]

use blosc2_core::chunk::{self, ChunkHeader, CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{int_trunc, trunc_prec, FilterId, Pipeline};
use libfuzzer_sys::fuzz_target;

const HEAD: usize = 17;

/// The filter of a slot for a choice byte: an empty slot twice as likely as each filter.
fn slot_filter(choice: u8) -> FilterId {
    let filters = &FilterId::WITHOUT_GEOMETRY;
    match usize::from(choice) % (filters.len() + 2) {
        0 | 1 => FilterId::NOFILTER,
        k => filters[k - 2],
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < HEAD {
        return;
    }
    let (p, src) = data.split_at(HEAD);
    let codec = CodecId::ALL[usize::from(p[0]) % CodecId::ALL.len()];
    let typesize = usize::from(p[2]).max(1);
    let mut filters = Pipeline::default();
    for slot in 0..6 {
        filters.filters[slot] = slot_filter(p[5 + slot]).0;
        filters.meta[slot] = p[11 + slot];
    }
    let params = CompressParams {
        codec,
        codec_meta: 0,
        clevel: p[1] % 10,
        typesize,
        filters,
        blocksize: if p[3] & 1 == 0 { 0 } else { usize::from(p[3]) * 16 },
        splitmode: SplitMode::from_code(p[4] % 4 + 1).unwrap_or_default(),
        nthreads: 1 + usize::from(p[4] >> 7),
        // Bit 6 of the split byte: dictionaries, where the codec has them.
        use_dict: p[4] & 0x40 != 0 && matches!(codec, CodecId::ZSTD | CodecId::LZ4 | CodecId::LZ4HC),
        geometry: None,
    };
    if filters.validate_for_compression(typesize).is_err() {
        assert!(chunk::compress(&params, src).is_err(), "{params:?}: refused by the pipeline check, not by compress");
        return;
    }
    let packed = chunk::compress(&params, src).expect("valid parameters compress");
    let back = chunk::decompress(&packed).expect("our chunks decode");
    let active: Vec<(FilterId, u8)> =
        filters.filters.iter().zip(filters.meta).filter(|(&f, _)| f != 0).map(|(&f, m)| (FilterId(f), m)).collect();
    let lossy: Vec<usize> = (0..active.len()).filter(|&i| active[i].0.is_lossy()).collect();
    match lossy.as_slice() {
        [] => assert_eq!(back, src),
        [0] => {
            let (f, meta) = active[0];
            let mut want = vec![0u8; src.len()];
            match f {
                FilterId::TRUNC_PREC => trunc_prec::apply(typesize, meta, src, &mut want),
                _ => int_trunc::apply(typesize, meta, src, &mut want),
            }
            .expect("parameters checked above");
            let copied = ChunkHeader::parse(&packed).expect("our chunk").is_memcpyed();
            assert!(
                back == want || (copied && back == src),
                "{params:?}: the lossy pipeline did not give the truncated input back"
            );
        }
        _ => assert_eq!(back.len(), src.len()),
    }
});
