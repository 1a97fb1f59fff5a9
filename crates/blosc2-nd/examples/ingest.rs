//! Times building a 256 MiB float64 array from a buffer and reading it back whole.
use std::time::Instant;

use blosc2_nd::{NdArray, Options};

fn main() {
    let (a, b, c) = (256usize, 512usize, 256usize);
    let vals: Vec<f64> = (0..a * b * c).map(|i| (i as f64) / 3.0 + (i % 17) as f64).collect();
    let t = Instant::now();
    let arr = NdArray::from_slice(&[a as u64, b as u64, c as u64], &vals, &Options::new()).unwrap();
    let dt = t.elapsed();
    println!(
        "from_slice 256 MiB: {dt:?} ({:.0} MB/s), chunks {:?} blocks {:?}, cbytes {}",
        268.435456 / dt.as_secs_f64(),
        arr.chunks(),
        arr.blocks(),
        arr.schunk().cbytes()
    );
    let t = Instant::now();
    let back = arr.to_bytes().unwrap();
    let dt = t.elapsed();
    println!("to_bytes: {dt:?} ({:.0} MB/s)", 268.435456 / dt.as_secs_f64());
    assert_eq!(back.len(), a * b * c * 8);
}
