//! Times 10x10x10 box reads from a 1 GiB float64 array on disk (512^3), written here or
//! given as an argument (e.g. one written by python-blosc2).
use std::time::Instant;

use blosc2_nd::{NdArray, Options, Region};

fn main() {
    let path = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("b2nd-1gib.b2nd"));
    if !path.exists() {
        let t = Instant::now();
        let n = 512usize;
        let mut a =
            NdArray::zeros(&[512, 512, 512], &blosc2_nd::DType::parse("<f8").unwrap(), &Options::new()).unwrap();
        // Fill slab by slab to bound memory.
        let slab = 32;
        for i in (0..n).step_by(slab) {
            let vals: Vec<u8> =
                (0..slab * n * n).flat_map(|k| (((i * n * n + k) as f64) / 3.0).to_le_bytes()).collect();
            a.write_box(
                &Region::from_start_shape(&[i as u64, 0, 0], &[slab as u64, n as u64, n as u64]).unwrap(),
                &vals,
            )
            .unwrap();
        }
        a.save(&path).unwrap();
        println!("wrote {} in {:?}: chunks {:?} blocks {:?}", path.display(), t.elapsed(), a.chunks(), a.blocks());
    }
    let a = NdArray::open(&path).unwrap();
    println!("chunks {:?} blocks {:?} nchunks {}", a.chunks(), a.blocks(), a.nchunks());
    let mut total = std::time::Duration::ZERO;
    let reps = 200u64;
    for k in 0..reps {
        let s = [(k * 37) % 500, (k * 91) % 500, (k * 53) % 500];
        let e = [s[0] + 10, s[1] + 10, s[2] + 10];
        let t = Instant::now();
        let v = a.read_box(&Region::from_start_stop(&s, &e).unwrap()).unwrap();
        total += t.elapsed();
        assert_eq!(v.len(), 8000);
    }
    println!("10^3 box read: {:?} per read (mean of {reps})", total / reps as u32);
}
