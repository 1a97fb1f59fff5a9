//! NDLZ round trips, token coverage and hostile streams.

use super::*;
use blosc2_testkit::data::mix64;
use proptest::prelude::*;

fn geometry(b0: usize, b1: usize) -> NdGeometry {
    NdGeometry::new(&[b0, b1], &[b0, b1]).unwrap()
}

/// A block made of 8x8 regions of one of several kinds (one byte, a tile from a small set,
/// rows taken from different tiles, small-palette noise, noise), so that every kind of
/// match occurs with both cell sizes.
fn block(b0: usize, b1: usize, seed: u64, palette: u8) -> Vec<u8> {
    let tile = |t: u64, r: usize, c: usize| (mix64(seed ^ (t << 8) ^ (r as u64) << 4 ^ c as u64) % 251) as u8;
    (0..b0 * b1)
        .map(|k| {
            let (i, j) = (k / b1, k % b1);
            let region = mix64(seed.wrapping_add(((i / 8) * 1000 + j / 8) as u64));
            let (r, c) = (i % 8, j % 8);
            match region % 6 {
                0 => (region >> 8) as u8 % 3,
                1 => tile(region >> 8 & 3, r, c),
                2 => tile(mix64(region ^ (r / 2) as u64) & 3, r, c),
                3 => tile(mix64(region ^ r as u64) & 3, r, c),
                4 => (mix64(seed ^ k as u64) % u64::from(palette)) as u8,
                _ => mix64(seed ^ k as u64 ^ 0x55) as u8,
            }
        })
        .collect()
}

fn round_trip(meta: u8, b0: usize, b1: usize, src: &[u8]) -> Option<Vec<u8>> {
    let g = geometry(b0, b1);
    let mut packed = vec![0u8; src.len()];
    let n = compress(meta, 1, &g, src, &mut packed).unwrap();
    if n == 0 {
        return None;
    }
    assert!(n <= src.len());
    let mut out = vec![0xAAu8; src.len()];
    assert_eq!(decompress(meta, &packed[..n], &mut out).unwrap(), src.len());
    assert_eq!(out, src, "meta {meta} block {b0}x{b1}");
    Some(packed[..n].to_vec())
}

#[test]
fn every_token_kind_is_written_and_read() {
    for meta in [4u8, 8] {
        let mut seen = [false; 256];
        for seed in 1..40u64 {
            for (b0, b1) in [(64, 64), (37, 50), (128, 96), (9, 200)] {
                let src = block(b0, b1, seed, 1 + (seed % 4) as u8);
                let Some(packed) = round_trip(meta, b0, b1, &src) else { continue };
                // Walk the tokens through a decoder that records them.
                record_tokens(meta, &packed, [b0, b1], &mut seen);
            }
        }
        let kinds: Vec<u8> = if meta == 4 {
            vec![0, 64, 192, 136, 144, 152, 176, 184, 128, 224, 232, 240, 248, 40, 48, 56]
        } else {
            let mut v = vec![0, 64, 192];
            v.extend(168..174);
            v.extend(136..143);
            v
        };
        let missing: Vec<u8> = kinds.into_iter().filter(|&k| !seen[usize::from(k)]).collect();
        assert!(missing.is_empty(), "meta {meta}: tokens never written: {missing:?}");
    }
}

/// Marks the tokens of a valid stream (re-decoding it cell by cell).
fn record_tokens(meta: u8, s: &[u8], shape: [usize; 2], seen: &mut [bool; 256]) {
    let side = usize::from(meta);
    let stop = [shape[0].div_ceil(side), shape[1].div_ceil(side)];
    let mut ip = HEADER;
    for i0 in 0..stop[0] {
        for i1 in 0..stop[1] {
            let pad = [extent(i0, stop[0], shape[0], side), extent(i1, stop[1], shape[1], side)];
            let t = s[ip];
            seen[usize::from(t)] = true;
            ip += 1 + match (meta, t) {
                (_, 0) => pad[0] * pad[1],
                (_, 64) => 1,
                (_, 192) => 2,
                (4, 224..) => 6,
                (4, 128..=191) => 10,
                (4, 40..=63) => 4,
                (8, 168..=175) => 2 + 40,
                (8, 136..=143) => 2 + 48,
                _ => unreachable!("token {t}"),
            };
        }
    }
    assert_eq!(ip, s.len());
}

#[test]
fn small_and_incompressible_blocks_are_given_up() {
    let g = geometry(3, 5);
    assert_eq!(compress(4, 1, &g, &[1; 15], &mut [0; 15]).unwrap(), 0); // under 16 bytes
    let g = geometry(7, 9);
    assert_eq!(compress(8, 1, &g, &[1; 63], &mut [0; 63]).unwrap(), 0); // under 64 bytes
    let noise: Vec<u8> = (0..4096u64).map(|i| mix64(i) as u8).collect();
    let g = geometry(64, 64);
    assert_eq!(compress(4, 1, &g, &noise, &mut vec![0; 4096]).unwrap(), 0);
    // Too little room for the header: stored raw (C fails the whole chunk here).
    assert_eq!(compress(4, 1, &g, &vec![0; 4096], &mut [0; 8]).unwrap(), 0);
}

#[test]
fn parameters_c_refuses() {
    let src = vec![0u8; 256];
    let bad = |r: Result<usize>| match r {
        Err(Error::InvalidCodecParams { codec: 32, reason, .. }) => reason,
        other => panic!("{other:?}"),
    };
    assert!(bad(compress(5, 1, &geometry(16, 16), &src, &mut vec![0; 256])).contains("4 or 8"));
    let g3 = NdGeometry::new(&[4, 8, 8], &[4, 8, 8]).unwrap();
    assert!(bad(compress(4, 1, &g3, &src, &mut vec![0; 256])).contains("2-d"));
    assert!(bad(compress(4, 4, &geometry(8, 8), &src, &mut vec![0; 256])).contains("split mode"));
    assert!(bad(decompress(0, &src, &mut vec![0; 256])).contains("4 or 8"));
}

#[test]
fn hostile_streams_are_errors() {
    let src = block(40, 40, 3, 2);
    for meta in [4u8, 8] {
        let packed = round_trip(meta, 40, 40, &src).expect("compressible");
        let mut out = vec![0u8; src.len()];
        let err = |s: &[u8], out: &mut [u8]| decompress(meta, s, out);
        // Too short, wrong ndim, negative or too large shapes.
        assert!(err(&packed[..8], &mut out).is_err());
        let mut p = packed.clone();
        p[0] = 3;
        assert!(err(&p, &mut out).is_err());
        let mut p = packed.clone();
        p[1..5].copy_from_slice(&(-1i32).to_le_bytes());
        assert!(err(&p, &mut out).is_err());
        let mut p = packed.clone();
        p[1..5].copy_from_slice(&41i32.to_le_bytes());
        assert!(err(&p, &mut out).is_err());
        // A smaller shape decodes fewer bytes than asked for: the caller sees the size.
        let mut p = packed.clone();
        p[1..5].copy_from_slice(&1i32.to_le_bytes());
        assert!(!matches!(err(&p, &mut out), Ok(n) if n == out.len()));
        // Every truncation is an error.
        for cut in 0..packed.len() {
            assert!(err(&packed[..cut], &mut out).is_err(), "meta {meta} cut {cut}");
        }
        // Every single-byte change is an error or decodes to some block; never a panic.
        for at in 0..packed.len() {
            for x in [0x01u8, 0x80, 0xFF] {
                let mut p = packed.clone();
                p[at] ^= x;
                let _ = err(&p, &mut out);
            }
        }
    }
}

/// The 4x4 row matches C cannot decode (distance 65533-65534 for three rows, see
/// `cell4::FAR`) are not written, nearer ones are: a block whose last cell repeats three rows
/// of its first, 65531 to 65534 bytes of stream later, round-trips.
#[test]
fn far_row_matches_round_trip() {
    let gap = 21_836usize; // the cell that repeats rows of cell 0
    for extra in 1..=4usize {
        let (b0, b1) = (4, 4 * (gap + 1));
        let mut src = vec![0u8; b0 * b1];
        let mut put = |k: usize, rows: [[u8; 4]; 4]| {
            for (r, row) in rows.iter().enumerate() {
                src[r * b1 + 4 * k..r * b1 + 4 * k + 4].copy_from_slice(row);
            }
        };
        let abcd = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]];
        let x = [[21, 22, 23, 24], [25, 26, 27, 28], [29, 30, 31, 32], [33, 34, 35, 36]];
        // Stream: header 9, cell 0 literal (17), cell 1 literal (17), `extra` cells of one
        // byte (2 each), cell matches (3 each): cell `gap` starts 65535 - extra + 10 in.
        put(0, abcd);
        put(1, x);
        for k in 2..2 + extra {
            put(k, [[7; 4]; 4]);
        }
        for k in 2 + extra..gap {
            put(k, x);
        }
        put(gap, [abcd[0], abcd[1], abcd[2], [40, 41, 42, 43]]);
        let packed = round_trip(4, b0, b1, &src).expect("compressible");
        let anchor = packed.len() - 7; // the last cell: token, distance, one literal row
        let triple = packed[anchor] == (7 << 5) | (1 << 3);
        assert_eq!(triple, extra >= 3, "extra {extra}: token {}", packed[anchor]);
        if triple {
            assert_eq!(u16::from_le_bytes([packed[anchor + 1], packed[anchor + 2]]) as usize, 65535 - extra);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_blocks_round_trip(meta in prop::sample::select(vec![4u8, 8]), b0 in 1usize..90, b1 in 1usize..90,
                                seed in any::<u64>(), palette in 1u8..6) {
        let src = block(b0, b1, seed, palette);
        round_trip(meta, b0, b1, &src);
    }

    #[test]
    fn random_streams_never_panic(meta in prop::sample::select(vec![4u8, 8]), body in prop::collection::vec(any::<u8>(), 0..400),
                                  b0 in 0i32..40, b1 in 0i32..40, room in 0usize..2000) {
        let mut s = vec![2u8];
        s.extend_from_slice(&b0.to_le_bytes());
        s.extend_from_slice(&b1.to_le_bytes());
        s.extend_from_slice(&body);
        let mut out = vec![0u8; room];
        let _ = decompress(meta, &s, &mut out);
    }
}
