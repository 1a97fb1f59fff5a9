//! Codecs: each codec's block path (one 256 KiB shuffled block through [`CodecContext`],
//! clevel 5) and whole chunks (4 MiB, shuffle, typesize 8, clevel 5, one thread) through
//! `chunk::compress` / `chunk::decompress_into`.
//!
//! `cargo bench -p blosc2-core --bench codecs` (add `-- --quick` for a short run).

// criterion_group! defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use blosc2_core::chunk::{self, CompressParams};
use blosc2_core::codec::ndlz;
use blosc2_core::codec::{CodecContext, CodecId};
use blosc2_core::filter::shuffle;
use blosc2_core::geometry::NdGeometry;
use blosc2_testkit::data::sm64;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// A typical Blosc2 block.
const BLOCK: usize = 256 * 1024;
/// A typical chunk.
const CHUNK: usize = 4 << 20;
/// Compression level of every case.
const CLEVEL: u8 = 5;

/// `len` bytes of a slowly rising float64 ramp (whole numbers, whose low mantissa bytes are
/// zero) with noise in the lowest mantissa byte: about 5:1 after shuffle, compressible enough
/// for every codec (BloscLZ gives up on blocks it cannot shrink well).
fn ramp_f64(len: usize) -> Vec<u8> {
    (0..len / 8)
        .flat_map(|i| {
            let x = (i / 3) as f64;
            (x.to_bits() ^ (sm64(7, i as u64) & 0xFF)).to_le_bytes()
        })
        .collect()
}

fn name(codec: CodecId) -> &'static str {
    codec.name().unwrap_or("unknown")
}

fn block_path(c: &mut Criterion) {
    let raw = ramp_f64(BLOCK);
    let mut block = vec![0u8; BLOCK];
    shuffle::shuffle(8, &raw, &mut block);
    let mut g = c.benchmark_group("codec-block");
    g.throughput(Throughput::Bytes(BLOCK as u64));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(3));
    for codec in CodecId::ALL {
        let mut ctx = CodecContext::new();
        let mut comp = vec![0u8; BLOCK];
        g.bench_function(BenchmarkId::new("compress", name(codec)), |b| {
            b.iter(|| ctx.compress(codec, CLEVEL, black_box(&block), &mut comp).expect("compress"))
        });
        let n = ctx.compress(codec, CLEVEL, &block, &mut comp).expect("compress");
        assert!(n > 0, "{codec}: block did not compress");
        let format = codec.format().expect("built-in codec");
        let mut out = vec![0u8; BLOCK];
        g.bench_function(BenchmarkId::new("decompress", name(codec)), |b| {
            b.iter(|| ctx.decompress(format, 0, black_box(&comp[..n]), &mut out).expect("decompress"))
        });
        // Decoded here too: a filter on the command line may have skipped the bench above.
        ctx.decompress(format, 0, &comp[..n], &mut out).expect("decompress");
        assert_eq!(out, block);
    }
    g.finish();
}

fn whole_chunk(c: &mut Criterion) {
    let src = ramp_f64(CHUNK);
    let mut g = c.benchmark_group("chunk");
    g.throughput(Throughput::Bytes(CHUNK as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(3));
    for codec in CodecId::ALL {
        // Eight-byte elements, SHUFFLE, automatic block size and split mode, one thread.
        let params = CompressParams { codec, clevel: CLEVEL, ..CompressParams::default() };
        g.bench_function(BenchmarkId::new("compress", name(codec)), |b| {
            b.iter(|| chunk::compress(&params, black_box(&src)).expect("compress"))
        });
        let comp = chunk::compress(&params, &src).expect("compress");
        let mut out = vec![0u8; CHUNK];
        g.bench_function(BenchmarkId::new("decompress", name(codec)), |b| {
            b.iter(|| chunk::decompress_into(black_box(&comp), &mut out, 1).expect("decompress"))
        });
        chunk::decompress_into(&comp, &mut out, 1).expect("decompress");
        assert_eq!(out, src);
    }
    g.finish();
}

/// NDLZ (a plugin codec, not in [`CodecId::ALL`]) on one 512x512 block of bytes, with both
/// cell sides: tiles of constant cells, repeated cells, noise, and rows repeated in part.
fn ndlz_block(c: &mut Criterion) {
    const SIDE: usize = 512;
    let geometry = NdGeometry::new(&[SIDE, SIDE], &[SIDE, SIDE]).expect("geometry");
    let block: Vec<u8> = (0..SIDE * SIDE)
        .map(|i| {
            let (r, c) = (i / SIDE, i % SIDE);
            match (r / 64 + c / 64) % 4 {
                0 => (r / 8 + c / 8) as u8,
                1 => (r % 16 * 16 + c % 16) as u8,
                2 => sm64(3, i as u64) as u8,
                _ => c as u8 ^ (r / 4 % 4) as u8,
            }
        })
        .collect();
    let mut g = c.benchmark_group("ndlz-block");
    g.throughput(Throughput::Bytes(block.len() as u64));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(3));
    for meta in [4u8, 8] {
        let mut comp = vec![0u8; block.len()];
        g.bench_function(BenchmarkId::new("compress", meta), |b| {
            b.iter(|| ndlz::compress(meta, 1, &geometry, black_box(&block), &mut comp).expect("compress"))
        });
        let n = ndlz::compress(meta, 1, &geometry, &block, &mut comp).expect("compress");
        assert!(n > 0, "ndlz {meta}: block did not compress");
        let mut out = vec![0u8; block.len()];
        g.bench_function(BenchmarkId::new("decompress", meta), |b| {
            b.iter(|| ndlz::decompress(meta, black_box(&comp[..n]), &mut out).expect("decompress"))
        });
        ndlz::decompress(meta, &comp[..n], &mut out).expect("decompress");
        assert_eq!(out, block);
    }
    g.finish();
}

criterion_group!(benches, block_path, whole_chunk, ndlz_block);
criterion_main!(benches);
