//! LZ4HC compression, this crate's encoder against liblz4 1.10 (`LZ4_compress_HC` through
//! the `lz4` crate), on shuffled 256 KiB blocks with as much room as Blosc2 gives a block's
//! stream (its own size), at clevels 5 and 9.
//!
//! `cargo bench -p blosc2-core --bench lz4hc` measures a generated float64 ramp; with
//! `BLOSC2_LZ4HC_DATA=DIR` (the files of `blosc2 bench --workload datasets --save DIR`) it
//! measures the middle 16 MiB of each benchmark data set found there instead.
//!
//! With `LZ4HC_ONESHOT=IMPL` (`ours`, `liblz4` or `none`, which only prepares the blocks)
//! it compresses the blocks of `LZ4HC_DATASET` (a data set name, in `BLOSC2_LZ4HC_DATA`) at
//! `LZ4HC_LEVEL` once and prints the total compressed size, without criterion: the run to
//! give `valgrind --tool=callgrind` (subtract the `none` run to count only the encoder).
//! `LZ4HC_ONESHOT=alternate` times both implementations in turn `LZ4HC_RUNS` times (default
//! 7) and prints each one's best and median time.

// criterion_group! defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use blosc2_core::codec::lz4hc;
use blosc2_core::filter::shuffle;
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};

/// A typical Blosc2 block.
const BLOCK: usize = 256 * 1024;
/// Bytes of each data set measured.
const SIZE: usize = 16 << 20;

/// splitmix64 (WORKLOADS.md section 1, counter form).
fn sm64(seed: u64, j: u64) -> u64 {
    let mut z = seed.wrapping_add((j + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The element size of a data set, from the name's type suffix.
fn typesize(name: &str) -> usize {
    match name.rsplit('_').next() {
        Some("f64" | "i64") => 8,
        Some("f32" | "i32") => 4,
        _ => 1,
    }
}

/// `data` cut into 256 KiB blocks, each byte-shuffled for `typesize`.
fn blocks(data: &[u8], typesize: usize) -> Vec<Vec<u8>> {
    data.chunks(BLOCK)
        .map(|b| {
            let mut out = vec![0u8; b.len()];
            shuffle::shuffle(typesize, b, &mut out);
            out
        })
        .collect()
}

/// The data sets to measure: (name, shuffled blocks).
fn datasets(only: Option<&str>) -> Vec<(String, Vec<Vec<u8>>)> {
    let Some(dir) = std::env::var_os("BLOSC2_LZ4HC_DATA").map(PathBuf::from) else {
        // A float64 ramp with noise in the lowest mantissa byte (as benches/codecs.rs).
        let raw: Vec<u8> = (0..SIZE / 8 / 4)
            .flat_map(|i| (((i / 3) as f64).to_bits() ^ (sm64(7, i as u64) & 0xFF)).to_le_bytes())
            .collect();
        return vec![("ramp_f64".to_string(), blocks(&raw, 8))];
    };
    let names = ["smooth_noise_f32", "arange_i64", "linspace_f64", "galaxy_u8", "random_bytes"];
    names
        .iter()
        .filter(|n| only.is_none_or(|o| o == **n))
        .filter_map(|n| {
            let data = std::fs::read(dir.join(format!("{n}.bin"))).ok()?;
            // The middle 16 MiB (galaxy_u8 is zero but for a region near its middle).
            let start = data.len().saturating_sub(SIZE) / 2;
            Some((n.to_string(), blocks(&data[start..data.len().min(start + SIZE)], typesize(n))))
        })
        .collect()
}

/// Compresses every block with room for its own size; the total compressed size (a block
/// that does not fit counts as stored).
fn run_liblz4(blocks: &[Vec<u8>], level: u8, dst: &mut [u8]) -> usize {
    let mode = lz4::block::CompressionMode::HIGHCOMPRESSION(i32::from(level));
    blocks
        .iter()
        .map(|b| match lz4::block::compress_to_buffer(b, Some(mode), false, &mut dst[..b.len()]) {
            Ok(n) => n,
            Err(_) => b.len(),
        })
        .sum()
}

/// As [`run_liblz4`], with this crate's encoder.
fn run_ours(enc: &mut lz4hc::Encoder, blocks: &[Vec<u8>], level: u8, dst: &mut [u8]) -> usize {
    blocks
        .iter()
        .map(|b| match enc.compress(level, b, &mut dst[..b.len()]) {
            0 => b.len(),
            n => n,
        })
        .sum()
}

fn oneshot(which: &str) {
    let level: u8 = std::env::var("LZ4HC_LEVEL").ok().and_then(|l| l.parse().ok()).unwrap_or(9);
    let name = std::env::var("LZ4HC_DATASET").ok();
    let mut dst = vec![0u8; BLOCK];
    let mut enc = lz4hc::Encoder::new();
    for (name, blocks) in datasets(name.as_deref()) {
        let nbytes: usize = blocks.iter().map(Vec::len).sum();
        match which {
            "none" => println!("{name} level {level}: {nbytes} bytes prepared"),
            "ours" => println!("{name} level {level}: ours {} bytes", run_ours(&mut enc, &blocks, level, &mut dst)),
            "liblz4" => println!("{name} level {level}: liblz4 {} bytes", run_liblz4(&blocks, level, &mut dst)),
            "alternate" => {
                let runs: usize = std::env::var("LZ4HC_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(7);
                let (mut t_ours, mut t_lib) = (Vec::new(), Vec::new());
                let (mut n_ours, mut n_lib) = (0, 0);
                for _ in 0..runs {
                    let t = Instant::now();
                    n_lib = run_liblz4(&blocks, level, &mut dst);
                    t_lib.push(t.elapsed());
                    let t = Instant::now();
                    n_ours = run_ours(&mut enc, &blocks, level, &mut dst);
                    t_ours.push(t.elapsed());
                }
                assert_eq!(n_ours, n_lib, "{name}: different compressed sizes");
                let stats = |v: &mut Vec<Duration>| {
                    v.sort();
                    let mbs = |d: Duration| nbytes as f64 / d.as_secs_f64() / 1e6;
                    format!(
                        "best {:7.1} ms ({:6.1} MB/s), median {:7.1} ms",
                        v[0].as_secs_f64() * 1e3,
                        mbs(v[0]),
                        v[v.len() / 2].as_secs_f64() * 1e3
                    )
                };
                println!(
                    "{name:17} c{level} ratio {:6.2}  liblz4 {}  ours {}  (median ratio {:.3})",
                    nbytes as f64 / n_ours as f64,
                    stats(&mut t_lib),
                    stats(&mut t_ours),
                    t_lib[runs / 2].as_secs_f64() / t_ours[runs / 2].as_secs_f64()
                );
            }
            other => panic!("LZ4HC_ONESHOT: unknown implementation {other}"),
        }
    }
}

fn encoders(c: &mut Criterion) {
    let mut g = c.benchmark_group("lz4hc");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(3));
    let mut dst = vec![0u8; BLOCK];
    let mut enc = lz4hc::Encoder::new();
    for (name, blocks) in datasets(None) {
        // Four blocks per data set: 1 MiB per iteration.
        let blocks = &blocks[..blocks.len().min(4)];
        g.throughput(Throughput::Bytes(blocks.iter().map(|b| b.len() as u64).sum()));
        for level in [5u8, 9] {
            g.bench_function(BenchmarkId::new(format!("liblz4/c{level}"), &name), |b| {
                b.iter(|| run_liblz4(black_box(blocks), level, &mut dst))
            });
            g.bench_function(BenchmarkId::new(format!("ours/c{level}"), &name), |b| {
                b.iter(|| run_ours(&mut enc, black_box(blocks), level, &mut dst))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, encoders);

fn main() {
    if let Ok(which) = std::env::var("LZ4HC_ONESHOT") {
        oneshot(&which);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
