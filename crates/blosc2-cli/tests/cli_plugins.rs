//! The plugin codecs and filters on the command line: `--codec ndlz:4`, `--filter
//! ndcell:4` / `ndmean:4` with `convert` and `chunk compress`, `slice` of python-blosc2's
//! plugin arrays (NDLZ, NDCELL, NDMEAN and ZFP); python-blosc2 checks every result.

use std::path::Path;

use blosc2_nd::{DType, NdArray, Options};

mod common;
use blosc2_testkit::fs::testdata;
use blosc2_testkit::python::run_python_code;
use blosc2_testkit::temp_dir;
use common::{blosc2, ok};

/// python-blosc2 opens the array ARGV[1], compresses the data of ARGV[2] (a .npy) with the
/// array's chunks, blocks and parameters, and gets the same chunk bytes and values; a
/// lossless array holds exactly that data.
const SAME_AS_PYTHON: &str = r#"
import sys, dataclasses, blosc2, numpy as np
a = blosc2.open(sys.argv[1])
orig = np.load(sys.argv[2])
lossless = sys.argv[3] == "1"
cp = dataclasses.replace(a.schunk.cparams, nthreads=1)
b = blosc2.asarray(orig, chunks=a.chunks, blocks=a.blocks, cparams=cp)
assert a.schunk.nchunks == b.schunk.nchunks
for i in range(a.schunk.nchunks):
    assert a.schunk.get_chunk(i) == b.schunk.get_chunk(i), (sys.argv[1], i)
assert a[:].tobytes() == b[:].tobytes()
if lossless:
    assert a[:].tobytes() == orig.tobytes()
else:
    assert a[:].tobytes() != orig.tobytes()
"#;

fn npy_of(path: &Path, shape: &[u64], dtype: &str, bytes: &[u8]) {
    let a = NdArray::from_bytes(shape, &DType::parse(dtype).unwrap(), bytes, &Options::new()).unwrap();
    a.to_npy(path).unwrap();
}

fn image(n: usize, seed: u64) -> Vec<u8> {
    (0..n)
        .map(|i| {
            let r = (i as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56;
            if r < 20 {
                r as u8
            } else {
                ((i % 24) / 6 * 40) as u8
            }
        })
        .collect()
}

fn floats(n: usize) -> Vec<u8> {
    (0..n).flat_map(|i| ((i as f32 / 37.0).sin() * 100.0 + (i % 13) as f32).to_le_bytes()).collect()
}

#[test]
fn convert_writes_plugin_arrays_python_writes_alike() {
    let t = temp_dir!("cli-plugins-convert");
    let u1 = t.0.join("u1.npy");
    npy_of(&u1, &[97, 101], "|u1", &image(97 * 101, 1));
    let f4 = t.0.join("f4.npy");
    npy_of(&f4, &[61, 83], "<f4", &floats(61 * 83));
    let f4_3d = t.0.join("f43.npy");
    npy_of(&f4_3d, &[13, 17, 19], "<f4", &floats(13 * 17 * 19));
    let cases: Vec<(&str, &Path, Vec<&str>, bool)> = vec![
        ("ndlz4", &u1, vec!["--codec", "ndlz:4", "--chunks", "50,60", "--blocks", "22,30"], true),
        ("ndlz8", &u1, vec!["--codec", "ndlz:8", "--chunks", "64,64", "--blocks", "32,40"], true),
        (
            "ndlz4-f4",
            &f4,
            vec![
                "--codec",
                "ndlz:4",
                "--filter",
                "shuffle",
                "--splitmode",
                "always",
                "--chunks",
                "40,50",
                "--blocks",
                "16,20",
            ],
            true,
        ),
        (
            "ndmean",
            &f4,
            vec!["--codec", "blosclz", "--filter", "ndmean:4", "--chunks", "40,50", "--blocks", "16,20"],
            false,
        ),
        (
            "ndcell",
            &f4_3d,
            vec![
                "--codec", "lz4", "--filter", "ndcell:3", "--filter", "shuffle", "--chunks", "8,10,12", "--blocks",
                "4,5,6",
            ],
            true,
        ),
        ("ndlz4-sparse", &u1, vec!["--codec", "ndlz:4", "--chunks", "50,60", "--blocks", "22,30", "--sparse"], true),
    ];
    for (name, input, opts, lossless) in cases {
        let out = t.0.join(format!("{name}.b2nd"));
        let mut args = vec!["convert", input.to_str().unwrap(), out.to_str().unwrap()];
        args.extend(opts);
        ok(&args);
        run_python_code(SAME_AS_PYTHON, &[&out, input, Path::new(if lossless { "1" } else { "0" })]);
    }
    // .b2nd to .b2nd: python's NDLZ array recompressed with NDCELL.
    let src = testdata("plugins").join("b2nd/ndlz4-u1.b2nd");
    let out = t.0.join("re.b2nd");
    ok(&["convert", src.to_str().unwrap(), out.to_str().unwrap(), "--filter", "ndcell:4", "--codec", "zstd:0"]);
    run_python_code(SAME_AS_PYTHON, &[&out, &testdata("plugins").join("b2nd/ndlz4-u1.npy"), Path::new("1")]);
    // What C refuses, refused with the reason.
    let e = blosc2(&["convert", f4.to_str().unwrap(), t.0.join("x.b2nd").to_str().unwrap(), "--codec", "ndlz:4"]);
    assert!(!e.status.success());
    assert!(String::from_utf8_lossy(&e.stderr).contains("split mode always"), "{}", String::from_utf8_lossy(&e.stderr));
    let e = blosc2(&["convert", u1.to_str().unwrap(), t.0.join("x.b2nd").to_str().unwrap(), "--codec", "ndlz:5"]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("4 or 8"), "{}", String::from_utf8_lossy(&e.stderr));
    let e = blosc2(&["convert", u1.to_str().unwrap(), t.0.join("x.b2nd").to_str().unwrap(), "--codec", "ndlz:x"]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("not a number"), "{}", String::from_utf8_lossy(&e.stderr));
}

/// python-blosc2 checks each `[sliced, full, selection]` of the JSON list ARGV[1]: the .npy
/// we sliced equals its .npy cut by the selection.
const SLICE_CHECK: &str = r#"
import sys, json, numpy as np
items = json.load(open(sys.argv[1]))
for sliced, full, sel in items:
    got, want = np.load(sliced), np.load(full)[eval("np.s_[" + sel + "]")]
    assert got.dtype == want.dtype and got.shape == want.shape, (sliced, got.shape, want.shape)
    assert got.tobytes() == want.tobytes(), sliced
print(len(items))
"#;

#[test]
fn slice_reads_python_plugin_arrays() {
    let t = temp_dir!("cli-plugins-slice");
    let dir = testdata("plugins").join("b2nd");
    let mut items = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "b2nd") {
            continue;
        }
        let npy = p.with_extension("npy");
        let ndim = NdArray::open(&p).unwrap().ndim();
        for (k, sel) in [["3:40", "5:60,7:9", "2:11,3,1:15"], ["-5:", "::3,-2", "1,::4,5:"]].iter().enumerate() {
            let s = sel[ndim - 1];
            let out = t.0.join(format!("{}-{k}.npy", p.file_stem().unwrap().to_string_lossy()));
            ok(&["slice", "-o", out.to_str().unwrap(), "--", p.to_str().unwrap(), s]);
            items.push(serde_json::json!([out, npy, s]));
        }
        ok(&["verify", p.to_str().unwrap()]);
    }
    assert_eq!(items.len(), 30);
    let list = t.0.join("slices.json");
    std::fs::write(&list, serde_json::to_vec(&items).unwrap()).unwrap();
    run_python_code(SLICE_CHECK, &[&list]);
}

/// python-blosc2 writes ARGV[1] (raw bytes) as a one-chunk, one-block uint8 array of shape
/// ARGV[2] with NDLZ meta ARGV[3]; its chunk equals ours (ARGV[4]), and it decompresses
/// ours to the input.
const ONE_CHUNK: &str = r#"
import sys, blosc2, numpy as np
shape = tuple(int(x) for x in sys.argv[2].split(","))
data = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(shape)
a = blosc2.asarray(data, chunks=shape, blocks=shape, cparams=blosc2.CParams(codec=blosc2.Codec.NDLZ, codec_meta=int(sys.argv[3]), nthreads=1))
ours = open(sys.argv[4], "rb").read()
assert a.schunk.get_chunk(0) == ours
assert blosc2.decompress2(ours) == data.tobytes()
"#;

#[test]
fn chunk_compress_takes_the_array_geometry() {
    let t = temp_dir!("cli-plugins-chunk");
    let raw = t.0.join("in.bin");
    let data = image(48 * 56, 3);
    std::fs::write(&raw, &data).unwrap();
    let (c, back) = (t.0.join("c.chunk"), t.0.join("back.bin"));
    let s = |p: &Path| p.to_str().unwrap().to_string();
    for meta in ["4", "8"] {
        let codec = format!("ndlz:{meta}");
        ok(&["chunk", "compress", &s(&raw), &s(&c), "--typesize", "1", "--codec", &codec, "--blockshape", "48,56"]);
        run_python_code(ONE_CHUNK, &[&raw, Path::new("48,56"), Path::new(meta), &c]);
        ok(&["chunk", "decompress", &s(&c), &s(&back)]);
        assert_eq!(std::fs::read(&back).unwrap(), data);
    }
    // NDCELL: without the block shape neither way works, with it the bytes come back.
    let e = blosc2(&["chunk", "compress", &s(&raw), &s(&c), "--typesize", "1", "--filter", "ndcell:4"]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("--blockshape"), "{}", String::from_utf8_lossy(&e.stderr));
    ok(&["chunk", "compress", &s(&raw), &s(&c), "--typesize", "1", "--filter", "ndcell:4", "--blockshape", "24,56"]);
    let e = blosc2(&["chunk", "decompress", &s(&c), &s(&back)]);
    assert!(!e.status.success());
    assert!(String::from_utf8_lossy(&e.stderr).contains("NDCELL needs"), "{}", String::from_utf8_lossy(&e.stderr));
    ok(&["chunk", "decompress", &s(&c), &s(&back), "--blockshape", "24,56", "--chunkshape", "48,56"]);
    assert_eq!(std::fs::read(&back).unwrap(), data);
    // A frame of plain chunks has no array geometry: refused, pointing to convert.
    let e = blosc2(&["compress", &s(&raw), &s(&t.0.join("f.b2frame")), "--codec", "ndlz:4"]);
    assert!(!e.status.success());
    assert!(String::from_utf8_lossy(&e.stderr).contains("blosc2 convert"), "{}", String::from_utf8_lossy(&e.stderr));
}
