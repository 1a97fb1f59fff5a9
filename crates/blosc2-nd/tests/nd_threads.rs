//! An `NdArray` opened read-only is `Send + Sync` and serves box reads from several threads
//! at once with the same results as one thread (contiguous file and sparse directory).

use blosc2_nd::{NdArray, Options, Region};
use blosc2_testkit::data::sm64;
use blosc2_testkit::temp_dir;

const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<NdArray>();
};

#[test]
fn read_only_arrays_serve_many_threads() {
    let tmp = temp_dir!("nd-threads");
    let shape = [37u64, 29, 23];
    let values: Vec<i32> = (0..shape.iter().product::<u64>() as i32).map(|v| v.wrapping_mul(2_654_435) >> 3).collect();
    let opts = Options::new().chunks(&[10, 8, 12]).blocks(&[5, 4, 3]);
    let a = NdArray::from_slice(&shape, &values, &opts).unwrap();
    let file = tmp.0.join("t.b2nd");
    let dir = tmp.0.join("t-sparse.b2nd");
    a.save(&file).unwrap();
    a.save_sparse(&dir).unwrap();
    // The expected bytes of box [lo, hi) from the model.
    let expect = |lo: &[u64; 3], hi: &[u64; 3]| -> Vec<u8> {
        let mut out = Vec::new();
        for i in lo[0]..hi[0] {
            for j in lo[1]..hi[1] {
                for k in lo[2]..hi[2] {
                    let v = values[((i * shape[1] + j) * shape[2] + k) as usize];
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        out
    };
    for path in [&file, &dir] {
        let ro = NdArray::open(path).unwrap();
        std::thread::scope(|sc| {
            for t in 0..4u64 {
                let (ro, expect) = (&ro, &expect);
                sc.spawn(move || {
                    for round in 0..40u64 {
                        let r = sm64(t, round);
                        let lo = [r % 37, (r >> 8) % 29, (r >> 16) % 23];
                        let hi = [
                            (lo[0] + 1 + (r >> 24) % 15).min(37),
                            (lo[1] + 1 + (r >> 32) % 15).min(29),
                            (lo[2] + 1 + (r >> 40) % 15).min(23),
                        ];
                        assert_eq!(
                            ro.read_box(&Region::from_start_stop(&lo, &hi).unwrap()).unwrap(),
                            expect(&lo, &hi),
                            "thread {t} box {lo:?}..{hi:?}"
                        );
                        assert_eq!(ro.get_bytes(&lo).unwrap(), expect(&lo, &[lo[0] + 1, lo[1] + 1, lo[2] + 1]));
                    }
                });
            }
        });
    }
}
