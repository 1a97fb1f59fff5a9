//! b2nd box reads on an in-memory 3-D float32 array (200 x 200 x 200, chunks 50^3, blocks
//! 10^3, zstd clevel 5 with shuffle): one element, a plane across each of axes 0 and 2, a
//! 10^3 cube, and the whole array. Throughput is the bytes returned.
//!
//! `cargo bench -p blosc2-nd --bench box_read` (add `-- --quick` for a short run).

// criterion_group! defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use blosc2_core::chunk::CompressParams;
use blosc2_nd::{DType, NdArray, Options, Region};
use blosc2_testkit::data::sm64;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const N: u64 = 200;

/// A smooth float32 field with a little noise, C order.
fn field() -> Vec<u8> {
    let n = N as usize;
    (0..n * n * n)
        .flat_map(|i| {
            let (z, y, x) = (i / (n * n), i / n % n, i % n);
            let s = ((x as f64) * 0.03).sin() + ((y as f64) * 0.02).cos() + (z as f64) * 1e-3;
            let noise = (sm64(11, i as u64) >> 40) as f64 * 2f64.powi(-34);
            ((s + noise) as f32).to_le_bytes()
        })
        .collect()
}

fn box_read(c: &mut Criterion) {
    let dtype = DType::parse("<f4").expect("dtype");
    let params = CompressParams { typesize: 4, nthreads: 1, ..CompressParams::default() };
    let opts = Options::new().chunks(&[50, 50, 50]).blocks(&[10, 10, 10]).cparams(params);
    let a = NdArray::from_bytes(&[N, N, N], &dtype, &field(), &opts).expect("array");

    let cases: [(&str, [u64; 3], [u64; 3]); 5] = [
        ("element", [117, 42, 181], [118, 43, 182]),
        ("plane-axis0", [77, 0, 0], [78, N, N]),
        ("plane-axis2", [0, 0, 133], [N, N, 134]),
        ("cube10", [63, 101, 17], [73, 111, 27]),
        ("full", [0, 0, 0], [N, N, N]),
    ];
    let mut g = c.benchmark_group("box-read");
    g.measurement_time(Duration::from_secs(3));
    for (name, start, stop) in cases {
        let bytes = (0..3).map(|d| stop[d] - start[d]).product::<u64>() as usize * 4;
        let mut out = vec![0u8; bytes];
        g.throughput(Throughput::Bytes(bytes as u64));
        if name == "full" {
            g.sample_size(10);
        }
        g.bench_function(name, |b| {
            b.iter(|| {
                let r = Region::from_start_stop(black_box(&start), black_box(&stop)).expect("region");
                a.read_box_into(&r, &mut out).expect("read")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, box_read);
criterion_main!(benches);
