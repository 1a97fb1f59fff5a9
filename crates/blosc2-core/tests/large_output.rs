//! Chunks whose decoded size reaches `streaming::MIN_LEN` are written with streaming stores
//! (constant blocks, memcpyed data, special chunks, the unshuffle and the staged copy of
//! other pipelines): every such path must give the same bytes as the regular one, whatever
//! the alignment of the destination.

use blosc2_core::chunk::{self, special, CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use blosc2_core::streaming;
use blosc2_testkit::data::{Rand, XorShift64, GAMMA};

/// Sizes just above the streaming threshold, one with a short last block.
fn sizes() -> [usize; 2] {
    [streaming::MIN_LEN, streaming::MIN_LEN + 4 * 65_536 + 24]
}

/// Smooth data with runs of zeros (so some blocks are constant) and a noisy stretch.
fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = XorShift64(seed | 1);
    (0..len)
        .map(|i| {
            let x = rng.next_u64();
            match (i / 300_000) % 4 {
                0 => 0,
                1 => (i / 97) as u8,
                2 => (x as u8) & 0x0F,
                _ => x as u8,
            }
        })
        .collect()
}

fn pipeline(ids: &[FilterId]) -> Pipeline {
    let mut p = Pipeline::default();
    for (slot, id) in ids.iter().enumerate() {
        p.filters[slot] = id.0;
    }
    p
}

/// Decodes `c` into destinations at several offsets from an allocation and with 1 and 2
/// threads, checking every copy against `want` and the bytes around it.
fn check_decodes(c: &[u8], want: &[u8], what: &str) {
    for off in [0usize, 1, 8, 16, 24] {
        for nthreads in [1, 2] {
            let mut buf = vec![0xA5u8; want.len() + off + 64];
            let n = chunk::decompress_into(c, &mut buf[off..off + want.len()], nthreads).unwrap();
            assert_eq!(n, want.len());
            assert!(buf[off..off + want.len()] == *want, "{what}: off {off}, {nthreads} threads");
            assert!(buf[..off].iter().chain(&buf[off + want.len()..]).all(|&b| b == 0xA5), "{what}: outside");
        }
    }
    // A range as large as the threshold, starting inside a block.
    let start = 1000;
    let mut part = vec![0u8; want.len() - start];
    chunk::decompress_range(c, start, &mut part).unwrap();
    assert!(part == want[start..], "{what}: range");
}

#[test]
fn pipelines_decode_the_same_into_large_destinations() {
    let shuffle = [FilterId::SHUFFLE];
    let bitshuffle = [FilterId::BITSHUFFLE];
    let delta_shuffle = [FilterId::DELTA, FilterId::SHUFFLE];
    let shuffle_bytedelta = [FilterId::SHUFFLE, FilterId::BYTEDELTA];
    let none: [FilterId; 0] = [];
    let cases: [(&[FilterId], &[usize]); 5] = [
        (&shuffle, &[2, 3, 4, 8, 12, 16]),
        (&bitshuffle, &[4, 8]),
        (&delta_shuffle, &[8]),
        (&shuffle_bytedelta, &[4]),
        (&none, &[8]),
    ];
    for len in sizes() {
        let src = data(len, len as u64);
        for (filters, typesizes) in cases {
            for &typesize in typesizes {
                for codec in [CodecId::LZ4, CodecId::BLOSCLZ] {
                    let p = CompressParams {
                        codec,
                        typesize,
                        filters: pipeline(filters),
                        splitmode: SplitMode::Always,
                        ..CompressParams::default()
                    };
                    let c = chunk::compress(&p, &src).unwrap();
                    check_decodes(&c, &src, &format!("{codec} {filters:?} ts{typesize} len {len}"));
                }
            }
        }
    }
}

#[test]
fn constant_memcpyed_and_special_chunks_decode_the_same() {
    for len in sizes() {
        let p = CompressParams { codec: CodecId::LZ4, typesize: 8, ..CompressParams::default() };
        // All blocks constant (a byte that is not zero, and zeros).
        for v in [0u8, 0x3C] {
            let src = vec![v; len];
            let c = chunk::compress(&p, &src).unwrap();
            check_decodes(&c, &src, &format!("constant {v}"));
        }
        // Incompressible: stored as is.
        let noise = XorShift64(GAMMA).bytes(len);
        let c = chunk::compress(&CompressParams { clevel: 0, ..p.clone() }, &noise).unwrap();
        check_decodes(&c, &noise, "memcpyed");
        let c = chunk::compress(&p, &noise).unwrap();
        check_decodes(&c, &noise, "incompressible");
        // Special chunks.
        let zeros = special::zeros(&p, len).unwrap();
        check_decodes(&zeros, &vec![0u8; len], "special zeros");
        let value = special::repeat_value(&p, len, &7.5f64.to_le_bytes()).unwrap();
        let want: Vec<u8> = 7.5f64.to_le_bytes().iter().copied().cycle().take(len).collect();
        check_decodes(&value, &want, "special value");
    }
}
