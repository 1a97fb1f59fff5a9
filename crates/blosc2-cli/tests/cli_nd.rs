//! The array commands: `blosc2 convert` between `.npy` and `.b2nd` (both ways, sparse
//! frames, chunk options), `blosc2 slice` and the array section of `blosc2 info`.

use blosc2_nd::{NdArray, Options};

mod common;
use blosc2_testkit::temp_dir;
use common::{blosc2, ok};

#[test]
fn convert_slice_and_info() {
    let t = temp_dir!("cli-nd-convert");
    let values: Vec<i32> = (0..24 * 30 * 7).collect();
    let src = NdArray::from_slice(&[24, 30, 7], &values, &Options::new()).unwrap();
    let npy = t.0.join("a.npy");
    src.to_npy(&npy).unwrap();
    let b2nd = t.0.join("a.b2nd");
    let (npy_s, b2nd_s) = (npy.to_str().unwrap(), b2nd.to_str().unwrap());
    ok(&["convert", npy_s, b2nd_s, "--chunks", "10,10,7", "--blocks", "5,5,7", "--codec", "lz4", "--clevel", "3"]);
    let a = NdArray::open(&b2nd).unwrap();
    assert_eq!((a.chunks(), a.blocks()), (&[10, 10, 7][..], &[5, 5, 7][..]));
    assert_eq!(a.schunk().cparams().codec, blosc2_core::codec::CodecId::LZ4);
    assert_eq!(a.to_vec::<i32>().unwrap(), values);
    // Back to .npy: byte for byte the same file.
    let back = t.0.join("back.npy");
    ok(&["convert", b2nd_s, back.to_str().unwrap()]);
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&npy).unwrap());
    // To a sparse frame with automatic shapes, then .b2nd to .b2nd with new chunks.
    let dir = t.0.join("s.b2nd");
    ok(&["convert", npy_s, dir.to_str().unwrap(), "--sparse"]);
    assert!(dir.is_dir());
    let re = t.0.join("re.b2nd");
    ok(&["convert", dir.to_str().unwrap(), re.to_str().unwrap(), "--chunks", "24,1,7"]);
    let r = NdArray::open(&re).unwrap();
    assert_eq!(r.chunks(), &[24, 1, 7]);
    assert_eq!(r.to_vec::<i32>().unwrap(), values);
    // Slice: ranges and an integer index that drops its dimension.
    let s = t.0.join("s.npy");
    ok(&["slice", b2nd_s, "2:5,3,1:6", "-o", s.to_str().unwrap()]);
    let got = NdArray::from_npy(&s, &Options::new()).unwrap();
    assert_eq!(got.shape(), &[3, 5]);
    let want: Vec<i32> = (2..5).flat_map(|i| (1..6).map(move |k| i * 210 + 3 * 7 + k)).collect();
    assert_eq!(got.to_vec::<i32>().unwrap(), want);
    // Out of range: a one-line error naming the dimension, exit status 1.
    let e = blosc2(&["slice", b2nd_s, ":,0:31", "-o", s.to_str().unwrap()]);
    assert_eq!(e.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&e.stderr).contains("dimension 1"), "{}", String::from_utf8_lossy(&e.stderr));
    // Info shows the array section.
    let out = ok(&["info", b2nd_s]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("array:") && text.contains("shape: [24,30,7]") && text.contains("chunks: [10,10,7]"),
        "{text}"
    );
    let out = ok(&["info", "--json", b2nd_s]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["array"]["dtype"], "<i4");
    assert_eq!(v["array"]["chunk_grid"], serde_json::json!([3, 3, 1]));
    assert_eq!(v["array"]["chunk_kinds"]["stored"], 9);
}
