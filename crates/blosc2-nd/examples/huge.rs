//! Creates a 20,000^3 uint8 array of zeros on disk, writes a few boxes, reads one back.
use std::time::Instant;

use blosc2_nd::{DType, NdArray, Options, Region};

fn main() {
    let dir = std::env::temp_dir().join("b2nd-huge");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("huge.b2nd");
    let t = Instant::now();
    let a = NdArray::zeros(&[20000, 20000, 20000], &DType::parse("|u1").unwrap(), &Options::new()).unwrap();
    println!(
        "zeros in memory: {:?} chunks {:?} blocks {:?} nchunks {}",
        t.elapsed(),
        a.chunks(),
        a.blocks(),
        a.nchunks()
    );
    let mut a = a.into_file(&path).unwrap();
    println!("created + saved: {:?}, file {} bytes", t.elapsed(), std::fs::metadata(&path).unwrap().len());
    let t = Instant::now();
    let data = vec![7u8; 10 * 10 * 10];
    for k in 0..5u64 {
        a.write_box(&Region::from_start_shape(&[k * 3999, k * 3000 + 5, k * 1234], &[10, 10, 10]).unwrap(), &data)
            .unwrap();
    }
    println!("5 box writes: {:?}, file {} bytes", t.elapsed(), std::fs::metadata(&path).unwrap().len());
    let a = NdArray::open(&path).unwrap();
    let t = Instant::now();
    let got = a.read_box(&Region::from_start_stop(&[3999, 3005, 1234], &[4009, 3015, 1244]).unwrap()).unwrap();
    println!("10^3 read: {:?} ok={}", t.elapsed(), got == data);
}
