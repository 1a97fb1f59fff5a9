//! Pipeline tests: round trips, buffer discipline, untrusted parameters.

use super::*;
use blosc2_testkit::data::{Rand, XorShift64};
use proptest::prelude::*;

fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = XorShift64::new(seed);
    (0..len)
        .map(|i| {
            let x = rng.next_u64();
            // Smooth-ish data so that deltas matter, with some noise.
            (i as u64 / 3).wrapping_add(x >> 61) as u8
        })
        .collect()
}

/// Encodes a chunk of `nbytes` split in blocks of `blocksize`, then decodes it block by
/// block (block 0 first, as DELTA needs), with both `backward` and `backward_into`.
fn round_trip(p: &Pipeline, typesize: usize, blocksize: usize, src: &[u8]) {
    let first = &src[..blocksize.min(src.len())];
    let mut encoded = Vec::new();
    for (b, block) in src.chunks(blocksize).enumerate() {
        let before = block.to_vec();
        let mut dst = vec![0u8; block.len()];
        let mut scratch = vec![0x5Au8; block.len() + 3];
        p.forward(typesize, b * blocksize, block, first, &mut dst, &mut scratch).unwrap();
        assert_eq!(block, &before[..], "forward modified src");
        encoded.push(dst);
    }
    let mut decoded: Vec<Vec<u8>> = Vec::new();
    for (b, enc) in encoded.iter().enumerate() {
        let reference = decoded.first().cloned().unwrap_or_default();
        let mut buf = enc.clone();
        let mut scratch = vec![0u8; enc.len()];
        p.backward(typesize, b * blocksize, &mut buf, &reference, &mut scratch, 5).unwrap();
        let mut filtered = enc.clone();
        let mut out = vec![0u8; enc.len()];
        p.backward_into(typesize, b * blocksize, &mut filtered, &mut out, &reference, 5).unwrap();
        assert_eq!(buf, out, "backward and backward_into differ: {p:?} ts={typesize}");
        decoded.push(buf);
    }
    assert_eq!(decoded.concat(), src, "round trip failed: {p:?} ts={typesize} bs={blocksize}");
}

#[test]
fn names() {
    assert_eq!(FilterId::SHUFFLE.name(), Some("shuffle"));
    assert_eq!(FilterId::TRUNC_PREC.name(), Some("trunc_prec"));
    assert_eq!(FilterId::BYTEDELTA.name(), Some("bytedelta"));
    assert_eq!(FilterId(200).name(), None);
    for id in [0u8, 1, 2, 3, 4, 32, 33, 34, 35, 36] {
        let id = FilterId(id);
        assert_eq!(FilterId::from_name(id.name().unwrap()), Some(id));
    }
    assert_eq!(FilterId::from_name("BITSHUFFLE"), Some(FilterId::BITSHUFFLE));
    assert_eq!(FilterId::from_name("zstd"), None);
    assert_eq!(FilterId::INT_TRUNC.to_string(), "int_trunc");
    assert_eq!(FilterId(99).to_string(), "filter#99");
}

#[test]
fn constructors() {
    let p = Pipeline::shuffle();
    assert_eq!(p.filters, [0, 0, 0, 0, 0, 1]);
    assert_eq!(p.meta, [0; 6]);
    assert!(p.contains(FilterId::SHUFFLE));
    assert!(!p.contains(FilterId::NOFILTER));
    assert!(!p.contains(FilterId::DELTA));
    assert_eq!(Pipeline::single(FilterId::BITSHUFFLE).filters[5], 2);
    assert!(Pipeline::default().is_empty());
}

#[test]
fn validate() {
    let ok = |f: [u8; 6], m: [u8; 6], ts| Pipeline { filters: f, meta: m }.validate_for_compression(ts);
    assert!(ok([0, 0, 0, 0, 0, 1], [0; 6], 8).is_ok());
    assert!(ok([0, 0, 0, 0, 3, 1], [0; 6], 4).is_ok());
    assert!(ok([0, 0, 0, 0, 1, 35], [0, 0, 0, 0, 0, 4], 4).is_ok());
    assert!(ok([0, 0, 0, 0, 4, 1], [0, 0, 0, 0, 10, 0], 4).is_ok());
    assert!(ok([0, 0, 0, 0, 36, 1], [0, 0, 0, 0, 0xFA, 0], 4).is_ok());
    // NDCELL / NDMEAN: checked on each block, with the geometry (as C-Blosc2 does).
    assert!(ok([0, 0, 0, 0, 0, 32], [0; 6], 4).is_ok());
    assert!(ok([0, 0, 0, 0, 0, 33], [0; 6], 4).is_ok());
    assert!(ok([0, 0, 0, 0, 33, 3], [0; 6], 4).is_err()); // DELTA after lossy NDMEAN
    assert!(matches!(ok([0, 0, 0, 0, 0, 7], [0; 6], 4), Err(Error::UnsupportedFilter(7))));
    assert!(matches!(
        ok([0, 0, 0, 0, 4, 1], [0, 0, 0, 0, 10, 0], 2),
        Err(Error::InvalidFilterParams { filter: 4, typesize: 2, meta: 10, .. })
    ));
    assert!(ok([0, 0, 0, 0, 4, 1], [0; 6], 4).is_err()); // p = 0 zeroes the mantissa
    assert!(ok([0, 0, 0, 0, 36, 0], [0, 0, 0, 0, 1, 0], 3).is_err());
    assert!(ok([0, 0, 0, 0, 0, 34], [0; 6], 4).is_err());
    assert!(ok([0, 0, 0, 4, 3, 0], [0, 0, 0, 10, 0, 0], 4).is_err()); // DELTA after lossy
                                                                      // DELTA after any filter, or twice, is decoded wrongly by C-Blosc2 with threads.
    assert!(ok([0, 0, 0, 1, 3, 0], [0; 6], 4).is_err());
    assert!(ok([0, 0, 0, 3, 3, 0], [0; 6], 4).is_err());
    assert!(ok([0, 3, 0, 1, 0, 0], [0; 6], 4).is_ok());
    assert!(ok([0, 0, 0, 0, 0, 1], [0; 6], 0).is_err());
    assert!(ok([0, 0, 0, 0, 0, 1], [0; 6], 256).is_err());
}

#[test]
fn single_shuffle_writes_dst_directly() {
    let p = Pipeline::shuffle();
    let src = data(1000, 1);
    let mut dst = vec![0u8; 1000];
    // An empty scratch is fine for one filter: nothing goes through it.
    p.forward(4, 0, &src, &src, &mut dst, &mut []).unwrap();
    let mut want = vec![0u8; 1000];
    shuffle::shuffle(4, &src, &mut want);
    assert_eq!(dst, want);
    // Scratch too short with two filters is an error, not a panic.
    let two = Pipeline { filters: [0, 0, 0, 0, 1, 2], meta: [0; 6] };
    assert!(matches!(two.forward(4, 0, &src, &src, &mut dst, &mut [0u8; 10]), Err(Error::DestinationTooSmall { .. })));
    assert!(two.backward(4, 0, &mut dst, &[], &mut [0u8; 10], 5).is_err());
    assert!(two.forward(4, 0, &src, &src, &mut [0u8; 5], &mut [0u8; 1000]).is_err());
}

#[test]
fn fixed_pipelines_round_trip() {
    let pipelines: &[([u8; 6], [u8; 6])] = &[
        ([0; 6], [0; 6]),
        ([0, 0, 0, 0, 0, 1], [0; 6]),
        ([0, 0, 0, 0, 0, 2], [0; 6]),
        ([0, 0, 0, 0, 3, 1], [0; 6]),
        ([0, 0, 0, 0, 3, 2], [0; 6]),
        ([0, 0, 0, 0, 1, 35], [0; 6]),
        ([0, 0, 0, 0, 1, 35], [0, 0, 0, 0, 0, 4]),
        ([0, 0, 0, 0, 1, 34], [0; 6]),
        ([0, 0, 0, 3, 1, 2], [0; 6]),
        ([3, 1, 35, 2, 1, 0], [0, 2, 0, 0, 4, 0]),
        ([0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 4]),
        ([0, 0, 0, 0, 0, 3], [0; 6]),
        ([1, 1, 1, 1, 1, 1], [0, 2, 3, 4, 5, 6]),
    ];
    for &(filters, meta) in pipelines {
        let p = Pipeline { filters, meta };
        for ts in [1usize, 2, 3, 4, 8, 12, 16] {
            for (nbytes, bs) in [(4000, 1024), (4099, 1024), (96, 96), (37, 16), (5000, 5000)] {
                round_trip(&p, ts, bs, &data(nbytes, (ts + nbytes) as u64));
            }
        }
    }
}

#[test]
fn delta_reference_is_original_first_block() {
    // DELTA in slot 4 with SHUFFLE before it: the reference is still the original first
    // block (not the shuffled one), and decoding uses the decoded first block.
    let p = Pipeline { filters: [0, 0, 0, 1, 3, 0], meta: [0; 6] };
    round_trip(&p, 4, 64, &data(256, 9));
    let b0 = data(64, 3);
    let b1 = data(64, 4);
    let mut got = vec![0u8; 64];
    p.forward(4, 64, &b1, &b0, &mut got, &mut [0u8; 64]).unwrap();
    let mut sh = vec![0u8; 64];
    shuffle::shuffle(4, &b1, &mut sh);
    let want: Vec<u8> = sh.iter().zip(&b0).map(|(a, b)| a ^ b).collect();
    assert_eq!(got, want);
}

#[test]
fn lossy_filters() {
    let vals: Vec<u8> = [1.5f32, core::f32::consts::PI, -2.0e-3].iter().flat_map(|v| v.to_le_bytes()).collect();
    let p = Pipeline { filters: [0, 0, 0, 0, 4, 1], meta: [0, 0, 0, 0, 10, 0] };
    let mut enc = vec![0u8; 12];
    p.forward(4, 0, &vals, &vals, &mut enc, &mut [0u8; 12]).unwrap();
    p.backward(4, 0, &mut enc, &[], &mut [0u8; 12], 5).unwrap();
    let mut want = vec![0u8; 12];
    trunc_prec::apply(4, 10, &vals, &mut want).unwrap();
    assert_eq!(enc, want);
    assert_eq!(u32::from_le_bytes(enc[4..8].try_into().unwrap()), 0x4049_0000);

    let ints: Vec<u8> = (0..16i32).flat_map(|v| (v * 1000).to_le_bytes()).collect();
    let p = Pipeline { filters: [0, 0, 0, 0, 36, 1], meta: [0, 0, 0, 0, 0xFA, 0] };
    let mut enc = vec![0u8; 64];
    p.forward(4, 0, &ints, &ints, &mut enc, &mut [0u8; 64]).unwrap();
    p.backward(4, 0, &mut enc, &[], &mut [0u8; 64], 5).unwrap();
    let mut want = vec![0u8; 64];
    int_trunc::apply(4, 0xFA, &ints, &mut want).unwrap();
    assert_eq!(enc, want);
    // Invalid lossy parameters are compression errors.
    let bad = Pipeline { filters: [0, 0, 0, 0, 0, 4], meta: [0, 0, 0, 0, 0, 10] };
    assert!(bad.forward(2, 0, &ints, &ints, &mut enc, &mut [0u8; 64]).is_err());
    // ... but decoding ignores them.
    assert!(bad.backward(2, 0, &mut enc, &[], &mut [0u8; 64], 5).is_ok());
}

#[test]
fn version2_bitshuffle_rule() {
    // 10 elements of 2 bytes: version >= 3 bitshuffles the first 8, version 2 copied it all.
    let src = data(20, 5);
    let p = Pipeline::single(FilterId::BITSHUFFLE);
    let mut enc = vec![0u8; 20];
    p.forward(2, 0, &src, &src, &mut enc, &mut [0u8; 20]).unwrap();
    assert_ne!(enc, src);
    let mut v2 = src.clone();
    p.backward(2, 0, &mut v2, &[], &mut [0u8; 20], 2).unwrap();
    assert_eq!(v2, src, "version 2: a plain copy");
    let mut v5 = enc.clone();
    p.backward(2, 0, &mut v5, &[], &mut [0u8; 20], 5).unwrap();
    assert_eq!(v5, src);
    // 16 elements: version 2 bitshuffles as well.
    let src = data(32, 6);
    let mut enc = vec![0u8; 32];
    p.forward(2, 0, &src, &src, &mut enc, &mut [0u8; 32]).unwrap();
    p.backward(2, 0, &mut enc, &[], &mut [0u8; 32], 2).unwrap();
    assert_eq!(enc, src);
}

#[test]
fn unsupported_on_decode() {
    for id in [32u8, 33] {
        let p = Pipeline::single(FilterId(id));
        let mut buf = vec![0u8; 64];
        assert!(matches!(
            p.backward(4, 0, &mut buf, &[], &mut [0u8; 64], 5),
            Err(Error::MissingGeometry { needed_by }) if needed_by == FilterId(id).name().unwrap().to_uppercase()
        ));
    }
    for id in [5u8, 31, 37, 200, 255] {
        let p = Pipeline::single(FilterId(id));
        let mut buf = vec![0u8; 64];
        assert!(matches!(
            p.backward(4, 0, &mut buf, &[], &mut [0u8; 64], 5),
            Err(Error::UnsupportedFilter(x)) if x == id
        ));
    }
}

/// A lossless pipeline as real writers build it: DELTA, if any, in the first active slot.
fn lossless_pipeline() -> impl Strategy<Value = Pipeline> {
    (
        proptest::collection::vec(prop_oneof![Just(0u8), Just(1), Just(2), Just(35), Just(34)], 6),
        proptest::collection::vec(prop_oneof![Just(0u8), 1u8..=20], 6),
        any::<bool>(),
    )
        .prop_map(|(f, m, delta)| {
            let mut p = Pipeline::default();
            p.filters.copy_from_slice(&f);
            p.meta.copy_from_slice(&m);
            if delta {
                let first = p.filters.iter().position(|&x| x != 0).unwrap_or(5);
                let slot = first.saturating_sub(1);
                p.filters[slot] = 3;
            }
            p
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_pipelines_round_trip(
        p in lossless_pipeline(),
        ts in prop_oneof![1usize..=17, Just(32usize), Just(255usize)],
        nbytes in 0usize..5000,
        bs in 1usize..2048,
        seed in any::<u64>(),
    ) {
        round_trip(&p, ts, bs, &data(nbytes, seed));
    }

    #[test]
    fn backward_never_panics(
        filters in proptest::collection::vec(any::<u8>(), 6),
        meta in proptest::collection::vec(any::<u8>(), 6),
        ts in 0usize..=300,
        len in 0usize..3000,
        offset in 0usize..4,
        reflen in 0usize..3000,
        version in any::<u8>(),
        scratch_len in prop_oneof![Just(0usize), Just(3000usize), 0usize..3000],
    ) {
        let mut p = Pipeline::default();
        // Bias towards implemented ids.
        for (slot, &f) in filters.iter().enumerate() {
            p.filters[slot] = if f < 200 { [0u8, 1, 2, 3, 4, 34, 35, 36][usize::from(f) % 8] } else { f };
        }
        p.meta.copy_from_slice(&meta);
        let mut buf = data(len, len as u64);
        let reference = data(reflen, 1);
        let mut scratch = vec![0u8; scratch_len];
        let _ = p.backward(ts, offset * len, &mut buf, &reference, &mut scratch, version);
        let mut filtered = data(len, 2);
        let mut out = vec![0u8; len];
        let _ = p.backward_into(ts, offset * len, &mut filtered, &mut out, &reference, version);
    }
}

/// The kernel tables come from one choice, `cpu::isa`: every filter's table of an instruction
/// set carries its name, BITSHUFFLE's byte step is SHUFFLE's table of the same set, and every
/// table this CPU runs gives the scalar twin's bytes.
#[test]
fn every_kernel_table_follows_the_cpu_and_equals_the_scalar_twin() {
    use crate::cpu;
    assert!(std::ptr::eq(shuffle::kernels(), shuffle::table(cpu::isa())));
    assert!(std::ptr::eq(bitshuffle::kernels(), bitshuffle::table(cpu::isa())));
    if cpu::force_scalar() {
        assert_eq!(shuffle::kernels().name, "scalar");
        assert_eq!(bitshuffle::kernels().name, "scalar");
    }
    assert_eq!(shuffle::available().len(), cpu::isas().len());
    assert_eq!(bitshuffle::available().len(), cpu::isas().len());
    let sk = shuffle::table(cpu::Isa::Scalar);
    let bk = bitshuffle::table(cpu::Isa::Scalar);
    assert!(std::ptr::eq(sk, &shuffle::SCALAR) && std::ptr::eq(bk, &bitshuffle::scalar::KERNELS));
    for isa in [cpu::Isa::Sse2, cpu::Isa::Avx2, cpu::Isa::Neon] {
        if !cpu::isas().contains(&isa) {
            assert!(std::ptr::eq(shuffle::table(isa), sk), "{}: not on this CPU", isa.name());
            assert!(std::ptr::eq(bitshuffle::table(isa), bk), "{}: not on this CPU", isa.name());
        }
    }
    for &isa in cpu::isas() {
        let (s_k, b_k) = (shuffle::table(isa), bitshuffle::table(isa));
        assert_eq!((s_k.name, b_k.name), (isa.name(), isa.name()));
        assert!(std::ptr::eq(b_k.bytes, s_k), "{}: bitshuffle's byte step", isa.name());
        for s in [1usize, 2, 3, 4, 8, 16, 24] {
            for len in [0usize, 7 * s, 64 * s + 5, 5000 * s + 3] {
                let src = data(len, (s * 131 + len) as u64);
                let run = |f: &dyn Fn(&[u8], &mut [u8])| {
                    let mut out = vec![0u8; len];
                    f(&src, &mut out);
                    out
                };
                let ctx = format!("{} s={s} len={len}", isa.name());
                assert!(run(&|a, b| s_k.shuffle(s, a, b)) == run(&|a, b| sk.shuffle(s, a, b)), "{ctx}");
                assert!(run(&|a, b| s_k.shuffle_cold(s, a, b)) == run(&|a, b| sk.shuffle(s, a, b)), "{ctx}");
                assert!(run(&|a, b| s_k.unshuffle(s, a, b)) == run(&|a, b| sk.unshuffle(s, a, b)), "{ctx}");
                assert!(run(&|a, b| s_k.unshuffle_streaming(s, a, b)) == run(&|a, b| sk.unshuffle(s, a, b)), "{ctx}");
                assert!(run(&|a, b| b_k.bitshuffle(s, a, b)) == run(&|a, b| bk.bitshuffle(s, a, b)), "{ctx}");
                assert!(run(&|a, b| b_k.bitshuffle_cold(s, a, b)) == run(&|a, b| bk.bitshuffle(s, a, b)), "{ctx}");
                assert!(run(&|a, b| b_k.bitunshuffle(s, a, b)) == run(&|a, b| bk.bitunshuffle(s, a, b)), "{ctx}");
                assert!(
                    run(&|a, b| b_k.bitunshuffle_streaming(s, a, b)) == run(&|a, b| bk.bitunshuffle(s, a, b)),
                    "{ctx}"
                );
            }
        }
    }
}
