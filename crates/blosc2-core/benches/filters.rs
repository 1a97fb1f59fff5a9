//! SHUFFLE and BITSHUFFLE kernels on one 256 KiB block, typesizes 4 and 8, for every kernel
//! table this CPU can run (`scalar`, the forced-scalar path, and the SIMD ones, e.g. `sse2`
//! and `avx2`), forward and backward.
//!
//! `cargo bench -p blosc2-core --bench filters` (add `-- --quick` for a short run).

// criterion_group! defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use blosc2_core::filter::{bitshuffle, shuffle};
use blosc2_testkit::data::sm64;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// A typical Blosc2 block (C-Blosc2's automatic block size for clevel 5 and typesize 8).
const BLOCK: usize = 256 * 1024;

/// `len` bytes of a smooth float64 signal with noise in the low mantissa bits.
fn smooth_f64(len: usize) -> Vec<u8> {
    (0..len / 8)
        .flat_map(|i| {
            let x = (i as f64 * 1e-3).sin() * 100.0;
            (x.to_bits() ^ (sm64(7, i as u64) & 0xFFF)).to_le_bytes()
        })
        .collect()
}

fn filters(c: &mut Criterion) {
    let src = smooth_f64(BLOCK);
    let mut dst = vec![0u8; BLOCK];
    let mut back = vec![0u8; BLOCK];

    let mut g = c.benchmark_group("shuffle");
    g.throughput(Throughput::Bytes(BLOCK as u64));
    for k in shuffle::available() {
        for ts in [4, 8] {
            g.bench_function(BenchmarkId::new(format!("shuffle/{}", k.name), ts), |b| {
                b.iter(|| k.shuffle(ts, black_box(&src), &mut dst))
            });
            k.shuffle(ts, &src, &mut dst);
            g.bench_function(BenchmarkId::new(format!("unshuffle/{}", k.name), ts), |b| {
                b.iter(|| k.unshuffle(ts, black_box(&dst), &mut back))
            });
            // Checked outside the timed closure, which a name filter may skip.
            k.unshuffle(ts, &dst, &mut back);
            assert_eq!(back, src);
        }
    }
    g.finish();

    let mut g = c.benchmark_group("bitshuffle");
    g.throughput(Throughput::Bytes(BLOCK as u64));
    for k in bitshuffle::available() {
        for ts in [4, 8] {
            g.bench_function(BenchmarkId::new(format!("bitshuffle/{}", k.name), ts), |b| {
                b.iter(|| k.bitshuffle(ts, black_box(&src), &mut dst))
            });
            k.bitshuffle(ts, &src, &mut dst);
            g.bench_function(BenchmarkId::new(format!("bitunshuffle/{}", k.name), ts), |b| {
                b.iter(|| k.bitunshuffle(ts, black_box(&dst), &mut back))
            });
            k.bitunshuffle(ts, &dst, &mut back);
            assert_eq!(back, src);
        }
    }
    g.finish();
}

criterion_group!(benches, filters);
criterion_main!(benches);
