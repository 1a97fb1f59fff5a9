//! Property tests: any bytes under any parameters compress and decompress back exactly,
//! whole, by range and by block, with one or several threads.

use blosc2_core::chunk::{self, ChunkHeader, CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use blosc2_testkit::data::{random_bytes, smooth_bytes};
use proptest::prelude::*;

/// Input data: random, repetitive or smooth, so codecs, runs and raw streams all occur.
fn data() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..5000),
        (1usize..20_000, any::<u8>(), 1usize..64).prop_map(|(n, v, period)| {
            (0..n).map(|i| if i % period == 0 { v.wrapping_add(i as u8) } else { v }).collect()
        }),
        (1usize..40_000).prop_map(smooth_bytes),
        (1usize..40_000, any::<u64>()).prop_map(|(n, s)| random_bytes(n, s)),
    ]
}

/// Lossless pipelines as real writers build them (DELTA, when present, in the first slot used).
fn pipeline() -> impl Strategy<Value = Pipeline> {
    let lossless = prop_oneof![
        Just(FilterId::SHUFFLE),
        Just(FilterId::BITSHUFFLE),
        Just(FilterId::BYTEDELTA),
        Just(FilterId::NOFILTER)
    ];
    (any::<bool>(), prop::collection::vec((lossless, 0u8..3), 0..5)).prop_map(|(delta, rest)| {
        let mut p = Pipeline::default();
        let n = rest.len() + usize::from(delta);
        let mut slot = 6 - n;
        if delta {
            p.filters[slot] = FilterId::DELTA.0;
            slot += 1;
        }
        for (f, meta) in rest {
            p.filters[slot] = f.0;
            // SHUFFLE/BYTEDELTA take a group size; 0 means the typesize.
            p.meta[slot] = if f == FilterId::SHUFFLE || f == FilterId::BYTEDELTA { meta * 2 } else { 0 };
            slot += 1;
        }
        p
    })
}

fn params() -> impl Strategy<Value = CompressParams> {
    (
        prop::sample::select(CodecId::ALL.to_vec()),
        0u8..=9,
        prop_oneof![1usize..=17, Just(300usize)],
        pipeline(),
        prop_oneof![Just(0usize), 1usize..5000],
        prop::sample::select(vec![SplitMode::Always, SplitMode::Never, SplitMode::Auto, SplitMode::ForwardCompat]),
        1usize..=3,
        any::<bool>(),
    )
        .prop_map(|(codec, clevel, typesize, filters, blocksize, splitmode, nthreads, dict)| CompressParams {
            codec,
            codec_meta: 0,
            clevel,
            typesize,
            filters,
            blocksize,
            splitmode,
            nthreads,
            // Dictionaries where the codec has them (others refuse `use_dict`).
            use_dict: dict && matches!(codec, CodecId::ZSTD | CodecId::LZ4 | CodecId::LZ4HC),
            geometry: None,
        })
}

/// A caller's own pool, for `Compressor::on_current_pool`.
static POOL3: std::sync::LazyLock<rayon::ThreadPool> =
    std::sync::LazyLock::new(|| rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap());

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn compress_then_decompress_gives_the_input(src in data(), p in params(), a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
        let packed = chunk::compress(&p, &src).unwrap();
        let h = ChunkHeader::parse(&packed).unwrap();
        prop_assert_eq!(h.nbytes, src.len());
        prop_assert!(packed.len() <= src.len() + 32);
        prop_assert_eq!(h.cbytes, packed.len());
        let out = chunk::decompress(&packed).unwrap();
        prop_assert!(out == src, "round trip differs");
        // Blocks spread over a caller's pool give the same bytes as the shared pools.
        let on_pool = POOL3.install(|| chunk::Compressor::on_current_pool(p.clone()).compress(&src)).unwrap();
        prop_assert!(on_pool == packed, "a compressor on the caller's pool differs from compress");
        let c = chunk::Compressor::new(p.clone());
        prop_assert!(c.compress(&src).unwrap() == packed, "Compressor::compress differs from compress");
        // The thread's kept output buffer, used a second time.
        prop_assert!(c.compress(&src).unwrap() == packed, "Compressor::compress differs the second time");
        let mut out2 = vec![0u8; src.len()];
        chunk::decompress_into(&packed, &mut out2, p.nthreads).unwrap();
        prop_assert!(out2 == src, "threaded round trip differs");
        if !src.is_empty() {
            let (mut lo, mut hi) = (a.index(src.len()), b.index(src.len()) + 1);
            if lo >= hi { std::mem::swap(&mut lo, &mut hi); hi += 1; }
            let hi = hi.min(src.len());
            let mut part = vec![0u8; hi - lo];
            chunk::decompress_range(&packed, lo, &mut part).unwrap();
            prop_assert!(part[..] == src[lo..hi], "range {}..{} differs", lo, hi);
        }
    }
}

#[test]
fn compress_into_a_small_destination_fails_cleanly() {
    let src = random_bytes(10_000, 1);
    let p = CompressParams::default();
    let mut dst = vec![0u8; 100];
    assert!(matches!(chunk::compress_into(&p, &src, &mut dst), Err(blosc2_core::Error::DestinationTooSmall { .. })));
    let mut dst = vec![0u8; src.len() + 32];
    let n = chunk::compress_into(&p, &src, &mut dst).unwrap();
    assert_eq!(chunk::decompress(&dst[..n]).unwrap(), src);
}

#[test]
fn bad_parameters_are_typed_errors() {
    let src = vec![1u8; 1000];
    let bad = [
        CompressParams { clevel: 10, ..CompressParams::default() },
        CompressParams { typesize: 0, ..CompressParams::default() },
        CompressParams { codec: CodecId(3), ..CompressParams::default() },
        CompressParams { filters: Pipeline::single(FilterId(99)), ..CompressParams::default() },
        CompressParams { typesize: 3, filters: Pipeline::single(FilterId::TRUNC_PREC), ..CompressParams::default() },
    ];
    for p in bad {
        assert!(chunk::compress(&p, &src).is_err(), "{p:?}");
    }
}

#[test]
fn zeros_become_a_special_chunk_and_runs_are_encoded() {
    let p = CompressParams { typesize: 4, codec: CodecId::LZ4, ..CompressParams::default() };
    let z = chunk::compress(&p, &vec![0u8; 100_000]).unwrap();
    assert_eq!(z.len(), 32);
    assert_eq!(ChunkHeader::parse(&z).unwrap().special(), Some(chunk::SpecialKind::Zeros));
    let v = chunk::compress(&p, &vec![9u8; 100_000]).unwrap();
    assert!(v.len() < 200, "a constant buffer is a few run tokens, got {} bytes", v.len());
    assert_eq!(chunk::decompress(&v).unwrap(), vec![9u8; 100_000]);
}
