//! Hostile chunks: every truncation and thousands of random byte flips of every fixture
//! chunk give Ok or a typed error, never a panic; hostile header sizes are rejected before
//! any allocation they would imply.

use std::path::PathBuf;

use blosc2_core::chunk::{self, ChunkHeader};
use blosc2_testkit::data::{Rand, Sm64Stream};
use blosc2_testkit::fs::testdata;

fn fixture_chunks() -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(p: &std::path::Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(p).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "chunk") {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path, bytes));
            }
        }
    }
    let mut v = Vec::new();
    walk(&testdata("fixtures/chunks"), &mut v);
    assert!(v.len() >= 200);
    v
}

/// Runs every decoding entry point; only the absence of panics matters here.
fn exercise(bytes: &[u8]) {
    let Ok(h) = ChunkHeader::parse(bytes) else {
        assert!(chunk::decompress(bytes).is_err());
        return;
    };
    // Keep hostile-but-valid huge sizes from making the test slow: cap what we decode.
    if h.nbytes > 64 << 20 {
        let mut small = vec![0u8; 1024];
        let _ = chunk::decompress_range(bytes, 0, &mut small);
        return;
    }
    let whole = chunk::decompress(bytes);
    let mut out = vec![0u8; h.nbytes];
    let threaded = chunk::decompress_into(bytes, &mut out, 2);
    assert_eq!(whole.is_ok(), threaded.is_ok());
    if h.nbytes > 2 {
        let mut part = vec![0u8; 2];
        let _ = chunk::decompress_range(bytes, h.nbytes / 2, &mut part);
    }
    let _ = chunk::decompress_block(bytes, 0);
}

#[test]
fn every_truncation_is_an_error_or_ok() {
    for (path, bytes) in fixture_chunks() {
        for len in 0..bytes.len() {
            let cut = &bytes[..len];
            exercise(cut);
            // A chunk cut short of its cbytes never decodes.
            assert!(chunk::decompress(cut).is_err(), "{} cut to {len}", path.display());
        }
    }
}

#[test]
fn random_byte_flips_never_panic() {
    let mut rng = Sm64Stream::new(7, 0x1234_5678);
    let mut flipped = 0;
    for (_path, bytes) in fixture_chunks() {
        // Every single byte of the header and block table, then random positions.
        let table_end = bytes.len().min(32 + 64);
        for pos in 0..table_end {
            for bit in [0x01u8, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[pos] ^= bit;
                exercise(&b);
                flipped += 1;
            }
        }
        for _ in 0..2000 {
            let mut b = bytes.clone();
            let n = 1 + (rng.next_u64() % 3) as usize;
            for _ in 0..n {
                let pos = (rng.next_u64() % b.len() as u64) as usize;
                b[pos] = rng.next_u64() as u8;
            }
            exercise(&b);
            flipped += 1;
        }
    }
    assert!(flipped > 400_000);
}

#[test]
fn hostile_sizes_are_rejected() {
    // A header that claims 2 GiB of data in 40 bytes of streams: fine as zeros (special),
    // rejected as a regular chunk whose tables are missing.
    let mut h = [0u8; 48];
    h[0] = 5;
    h[1] = 1;
    h[2] = 0x05;
    h[3] = 1;
    h[4..8].copy_from_slice(&(i32::MAX - 32).to_le_bytes());
    h[8..12].copy_from_slice(&1i32.to_le_bytes()); // blocksize 1: two billion blocks
    h[12..16].copy_from_slice(&48i32.to_le_bytes());
    assert!(chunk::decompress(&h).is_err());
    // Negative sizes.
    let mut n = h;
    n[4..8].copy_from_slice(&(-5i32).to_le_bytes());
    assert!(ChunkHeader::parse(&n).is_err());
    // cbytes larger than the buffer.
    let mut c = h;
    c[12..16].copy_from_slice(&(1i32 << 30).to_le_bytes());
    assert!(ChunkHeader::parse(&c).is_err());
    // Block starts pointing backwards into the header.
    let mut b = h;
    b[4..8].copy_from_slice(&64i32.to_le_bytes());
    b[8..12].copy_from_slice(&64i32.to_le_bytes());
    b[32..36].copy_from_slice(&4i32.to_le_bytes());
    assert!(chunk::decompress(&b).is_err());
}
