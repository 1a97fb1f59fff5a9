//! Speed and ratio of the ZFP codecs on a float32 cube, block by block on one thread, to set
//! beside `bench/zfp_speed.py` (python-blosc2 on the same cube, chunks and blocks).
//!
//! ```sh
//! .venv/bin/python bench/zfp_speed.py 256 /tmp/cube.f32      # writes the cube, times python-blosc2
//! cargo run --release -p blosc2-core --example zfp_speed -- /tmp/cube.f32 256
//! ```
//!
//! The cube (N^3 little-endian float32) is cut into 32^3 blocks, as the python side's b2nd
//! array is; each block is gathered into a contiguous buffer first (not timed), then
//! compressed and decompressed (timed), 5 rounds, best kept. A block whose stream would not
//! be smaller is counted at its raw size, as C-Blosc2 stores it.

use std::time::Instant;

use blosc2_core::codec::zfp::{self, ZfpMode};

const BLOCK: usize = 32;
const CASES: [(ZfpMode, i8); 3] = [(ZfpMode::Accuracy, -3), (ZfpMode::Precision, 12), (ZfpMode::Rate, 25)];

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: zfp_speed FILE N");
    let n: usize = args.next().expect("usage: zfp_speed FILE N").parse().expect("N");
    let raw = std::fs::read(&path).expect("cube file");
    assert_eq!(raw.len(), n * n * n * 4, "{path} is not a {n}^3 float32 cube");
    assert_eq!(n % BLOCK, 0, "N must be a multiple of {BLOCK}");
    let nb = n / BLOCK;
    let bytes = BLOCK * BLOCK * BLOCK * 4;
    let mut blocks = Vec::with_capacity(nb * nb * nb);
    for bz in 0..nb {
        for by in 0..nb {
            for bx in 0..nb {
                let mut b = Vec::with_capacity(bytes);
                for z in 0..BLOCK {
                    for y in 0..BLOCK {
                        let row = ((bz * BLOCK + z) * n + by * BLOCK + y) * n + bx * BLOCK;
                        b.extend_from_slice(&raw[row * 4..(row + BLOCK) * 4]);
                    }
                }
                blocks.push(b);
            }
        }
    }
    let shape = [BLOCK; 3];
    let total = (blocks.len() * bytes) as f64;
    println!("{n}^3 float32 ({:.1} MB), {} blocks of {BLOCK}^3, one thread", total / 1e6, blocks.len());
    println!("{:<10} {:>5} {:>8} {:>12} {:>12}", "codec", "meta", "ratio", "comp MB/s", "decomp MB/s");
    for (mode, meta) in CASES {
        let meta = meta as u8;
        let mut streams = vec![vec![0u8; bytes]; blocks.len()];
        let mut sizes = vec![0usize; blocks.len()];
        let mut best_c = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            for ((b, s), size) in blocks.iter().zip(&mut streams).zip(&mut sizes) {
                *size = zfp::compress(mode, meta, 4, &shape, b, s).expect("compress");
            }
            best_c = best_c.min(t.elapsed().as_secs_f64());
        }
        let stored: usize = sizes.iter().map(|&s| if s == 0 { bytes } else { s }).sum();
        let mut out = vec![0u8; bytes];
        let mut best_d = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            for (s, &size) in streams.iter().zip(&sizes) {
                if size > 0 {
                    zfp::decompress(mode, meta, 4, &shape, &s[..size], &mut out).expect("decompress");
                }
            }
            best_d = best_d.min(t.elapsed().as_secs_f64());
        }
        println!(
            "{:<10} {:>5} {:>8.2} {:>12.1} {:>12.1}",
            mode.name(),
            meta as i8,
            total / stored as f64,
            total / best_c / 1e6,
            total / best_d / 1e6
        );
    }
}
