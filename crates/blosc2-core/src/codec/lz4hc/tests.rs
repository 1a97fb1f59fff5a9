//! The encoder against liblz4 1.10 (`LZ4_compress_HC` through the `lz4` crate), byte for
//! byte, at every level, on inputs that reach every branch of both strategies, and with
//! every room from none to the bound (liblz4's limited mode gives up at the same points).

use super::*;
use proptest::prelude::*;

/// liblz4's stream for `src` at `level` with `cap` bytes of room; empty when it gives up.
fn reference(level: u8, src: &[u8], cap: usize) -> Vec<u8> {
    let mut dst = vec![0u8; cap];
    let mode = lz4::block::CompressionMode::HIGHCOMPRESSION(i32::from(level));
    match lz4::block::compress_to_buffer(src, Some(mode), false, &mut dst) {
        Ok(n) => {
            dst.truncate(n);
            dst
        }
        Err(_) => Vec::new(),
    }
}

/// Our stream, as [`reference`]; the encoder with bounds-checked reads (the safe twin of
/// the hot loops, `access::Checked`) must write the same.
fn ours(enc: &mut Encoder, level: u8, src: &[u8], cap: usize) -> Vec<u8> {
    let out = ours_as::<access::Unchecked>(enc, level, src, cap);
    assert!(ours_as::<access::Checked>(enc, level, src, cap) == out, "checked and unchecked reads differ");
    out
}

fn ours_as<A: Access>(enc: &mut Encoder, level: u8, src: &[u8], cap: usize) -> Vec<u8> {
    // Room beyond `cap` filled with a marker: nothing may be written there.
    let mut dst = vec![0xA5u8; cap + 64];
    let n = enc.compress_as::<A>(level, src, &mut dst[..cap]);
    assert!(dst[cap..].iter().all(|&b| b == 0xA5), "wrote past the room");
    dst.truncate(n);
    dst
}

/// Checks every level with full room and with the rooms `caps(reference length, bound)`.
fn check(enc: &mut Encoder, src: &[u8], caps: impl Fn(usize, usize) -> Vec<usize>) {
    let bound = compress_bound(src.len());
    for level in 1..=9u8 {
        let full = reference(level, src, bound);
        assert!(!full.is_empty());
        let got = ours(enc, level, src, bound);
        assert!(got == full, "level {level}, {} bytes: {} bytes, liblz4 {}", src.len(), got.len(), full.len());
        let mut out = vec![0u8; src.len()];
        assert_eq!(lz4_flex::block::decompress_into(&got, &mut out).ok(), Some(src.len()));
        assert!(out == src, "level {level}: does not decode to the input");
        for cap in caps(full.len(), bound) {
            let want = reference(level, src, cap);
            let got = ours(enc, level, src, cap);
            assert!(
                got == want,
                "level {level}, {} bytes, room {cap}: {} bytes, liblz4 {}",
                src.len(),
                got.len(),
                want.len()
            );
        }
    }
}

/// Rooms around the places where liblz4's limited mode decides: none, a few bytes, the
/// length it needs and up to its margins above, the bound, and one random room.
fn rooms_near(len: usize, bound: usize, pick: usize) -> Vec<usize> {
    let mut v: Vec<usize> = vec![0, 1, 2, len / 2, bound - 1, pick % (bound + 1)];
    v.extend(len.saturating_sub(3)..(len + 12).min(bound));
    v
}

fn splitmix(seed: u64, j: u64) -> u64 {
    let mut z = seed.wrapping_add((j + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Float32 samples of a noisy sine, byte-shuffled as Blosc2's shuffle does.
fn shuffled_floats(n: usize, seed: u64, noise_bits: u32) -> Vec<u8> {
    let count = n / 4;
    let mut raw = Vec::with_capacity(n);
    for i in 0..count {
        let x = (i as f32 * 0.001).sin() * 100.0;
        let bits = x.to_bits() ^ (splitmix(seed, i as u64) as u32 & ((1u32 << noise_bits) - 1));
        raw.extend_from_slice(&bits.to_le_bytes());
    }
    let mut out = vec![0u8; n];
    for i in 0..count {
        for b in 0..4 {
            out[b * count + i] = raw[4 * i + b];
        }
    }
    // A tail that is not a whole float stays as is (Blosc2 leaves it unshuffled).
    for (k, b) in out.iter_mut().enumerate().skip(4 * count) {
        *b = k as u8;
    }
    out
}

#[test]
fn tiny_inputs_at_every_room() {
    let mut enc = Encoder::new();
    for n in 0..64usize {
        for src in [
            vec![0u8; n],
            (0..n).map(|i| i as u8).collect::<Vec<u8>>(),
            (0..n).map(|i| (i % 3) as u8).collect(),
            (0..n).map(|i| splitmix(5, i as u64) as u8).collect(),
            (0..n).map(|i| if i % 16 < 9 { 7 } else { splitmix(9, i as u64) as u8 }).collect(),
        ] {
            check(&mut enc, &src, |_, bound| (0..=bound).collect());
        }
    }
}

#[test]
fn every_room_on_small_inputs() {
    let mut enc = Encoder::new();
    for (seed, n) in [(1u64, 200usize), (2, 777), (3, 1500)] {
        for src in [
            (0..n).map(|i| (splitmix(seed, (i / 5) as u64) % 7) as u8).collect::<Vec<u8>>(),
            (0..n).map(|i| if (i / 40) % 2 == 0 { 0 } else { splitmix(seed, i as u64) as u8 }).collect(),
            shuffled_floats(n, seed, 6),
        ] {
            check(&mut enc, &src, |_, bound| (0..=bound).collect());
        }
    }
}

#[test]
fn long_runs_and_long_matches() {
    let mut enc = Encoder::new();
    // Runs far longer than 64 KiB (pattern analysis, the 255-byte length fields), a run
    // broken by noise, and a long period (matches near the maximal distance).
    let mut broken = vec![0u8; 300_000];
    for i in (0..broken.len()).step_by(70_001) {
        broken[i] = 1;
    }
    let period: Vec<u8> = (0..65_530u64).map(|i| splitmix(3, i) as u8).collect();
    let far: Vec<u8> = period.iter().chain(&period).chain(&period[..1000]).copied().collect();
    let far2: Vec<u8> = (0..3 * 65_536u64).map(|i| splitmix(4, i % 65_536) as u8).collect();
    for src in [vec![0u8; 300_000], broken, far, far2] {
        check(&mut enc, &src, |len, bound| rooms_near(len, bound, 12345));
    }
}

#[test]
fn state_reuse_and_table_reset_give_fresh_results() {
    let src = shuffled_floats(100_000, 7, 10);
    let mut fresh = Encoder::new();
    let mut want = Vec::new();
    for level in 1..=9u8 {
        want.push(ours(&mut fresh, level, &src, compress_bound(src.len())));
        fresh = Encoder::new();
    }
    // One encoder, levels in turn, other inputs in between, and numbers crossing the limit
    // where the tables are cleared.
    let mut enc = Encoder::new();
    let other: Vec<u8> = (0..50_000u64).map(|i| (splitmix(1, i / 3) % 4) as u8).collect();
    for round in 0..3 {
        if round == 2 {
            enc.next_base = (INDEX_LIMIT - 70_000) as u32;
        }
        for level in 1..=9u8 {
            let _ = ours(&mut enc, 10 - level, &other, compress_bound(other.len()));
            let got = ours(&mut enc, level, &src, compress_bound(src.len()));
            assert!(got == want[usize::from(level) - 1], "round {round}, level {level}");
        }
    }
}

#[test]
fn inputs_above_the_liblz4_limit_are_refused() {
    assert_eq!(compress_bound(MAX_INPUT_SIZE + 1), 0);
    assert_eq!(compress_bound(0), 16);
    assert!(supports(1) && supports(9) && !supports(0) && !supports(10));
}

/// Inputs for the property tests: random bytes, few symbols in runs, short periods with
/// noise (pattern analysis at level 9), shuffled floats, and a mix of those.
fn input() -> impl Strategy<Value = Vec<u8>> {
    let size = prop_oneof![3 => 0usize..64, 3 => 64usize..4096, 2 => 4096usize..70_000, 1 => 70_000usize..300_000];
    (size, 0u8..5, any::<u64>(), 1usize..=16, 0u32..12).prop_map(|(n, kind, seed, period, noise)| match kind {
        0 => (0..n).map(|i| splitmix(seed, i as u64) as u8).collect(),
        1 => {
            let mut v = Vec::with_capacity(n);
            let mut j = 0u64;
            while v.len() < n {
                let r = splitmix(seed, j);
                j += 1;
                let len = 1 + (r >> 8) as usize % 300;
                v.extend(std::iter::repeat_n((r % 4) as u8, len.min(n - v.len())));
            }
            v
        }
        2 => {
            let unit: Vec<u8> = (0..period).map(|i| splitmix(seed, i as u64) as u8).collect();
            (0..n)
                .map(|i| {
                    let r = splitmix(seed ^ 0xABCD, i as u64);
                    if noise > 0 && r & ((1 << noise) - 1) == 0 {
                        r as u8
                    } else {
                        unit[i % period]
                    }
                })
                .collect()
        }
        3 => shuffled_floats(n, seed, noise.max(1)),
        _ => (0..n)
            .map(|i| {
                let block = splitmix(seed, (i / 997) as u64);
                match block % 3 {
                    0 => splitmix(seed, i as u64) as u8,
                    1 => (block >> 8) as u8,
                    _ => (i % (1 + (block >> 16) as usize % 16)) as u8,
                }
            })
            .collect(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    /// Byte identity with liblz4 at every level, with full room and with rooms around the
    /// stream's length (small inputs: every room).
    #[test]
    fn matches_liblz4(src in input(), pick in any::<usize>()) {
        let mut enc = Encoder::new();
        if src.len() < 600 {
            check(&mut enc, &src, |_, bound| (0..=bound).collect());
        } else {
            check(&mut enc, &src, |len, bound| rooms_near(len, bound, pick));
        }
    }
}
