//! Interoperability with python-blosc2: it reads our `.b2nd` files (and `.npy` files) equal
//! to ours, we read its files (resized, slice-assigned, sparse, many dtypes), and our
//! automatic chunk and block shapes equal its choices. The expected content of our arrays
//! that were resized or changed on disk comes from an `ndarray` model of the same
//! operations, not from our reader.

use std::ffi::OsStr;

use blosc2_nd::auto::{chunks_blocks, CacheSizes};
use blosc2_nd::{DType, NdArray, Options, Region};
use blosc2_testkit::data::{random_bytes, sm64};
use blosc2_testkit::python::run_python;
use blosc2_testkit::{python_script, temp_dir};
use ndarray::{s, Array2};
use serde_json::{json, Value};

fn data(n: usize, ts: usize, seed: u64) -> Vec<u8> {
    // Small values so that the data compresses a little.
    random_bytes(n * ts, seed).iter().map(|b| b % 16).collect()
}

struct Case {
    name: &'static str,
    shape: Vec<u64>,
    chunks: Option<Vec<u64>>,
    blocks: Option<Vec<u64>>,
    dtype: &'static str,
}

fn case(name: &'static str, shape: &[u64], chunks: &[u64], blocks: &[u64], dtype: &'static str) -> Case {
    Case { name, shape: shape.to_vec(), chunks: Some(chunks.to_vec()), blocks: Some(blocks.to_vec()), dtype }
}

/// Little-endian bytes of a model array, in C order.
fn le_bytes<T: Copy, const N: usize>(m: &Array2<T>, to_le: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    m.iter().flat_map(|&v| to_le(v)).collect()
}

/// Writes `bytes` (C order) as a `.npy` file of `dtype` and `shape`.
fn model_npy(path: &std::path::Path, dtype: &str, shape: &[u64], bytes: &[u8]) {
    let mut out = blosc2_nd::npy::header_bytes(&DType::parse(dtype).unwrap(), shape).unwrap();
    out.extend_from_slice(bytes);
    std::fs::write(path, out).unwrap();
}

/// `m` grown or shrunk to `shape`: new elements are zeros.
fn resized<T: Copy + Default>(m: &Array2<T>, shape: [usize; 2]) -> Array2<T> {
    let mut out = Array2::from_elem(shape, T::default());
    let (r, c) = (m.nrows().min(shape[0]), m.ncols().min(shape[1]));
    out.slice_mut(s![..r, ..c]).assign(&m.slice(s![..r, ..c]));
    out
}

#[test]
fn python_reads_our_arrays() {
    let tmp = temp_dir!("nd-interop-ours");
    let dir = &tmp.0;
    let cases = vec![
        case("u1", &[1000], &[300], &[64], "|u1"),
        case("i1", &[17, 19], &[5, 7], &[2, 3], "|i1"),
        case("i2", &[5, 6, 7, 8], &[3, 4, 5, 6], &[2, 2, 3, 4], "<i2"),
        case("u2", &[33, 44], &[10, 20], &[5, 5], "<u2"),
        case("i4", &[100, 77], &[30, 20], &[7, 6], "<i4"),
        case("u4", &[9, 10, 11], &[4, 4, 4], &[4, 4, 4], "<u4"),
        case("i8", &[40, 25], &[16, 16], &[8, 8], "<i8"),
        case("u8", &[7, 10, 13], &[4, 6, 5], &[3, 4, 2], "<u8"),
        case("f2", &[50, 50], &[20, 20], &[10, 10], "<f2"),
        case("f4", &[7, 10, 13], &[4, 6, 5], &[3, 4, 2], "<f4"),
        case("f8", &[20, 30, 40], &[10, 16, 25], &[5, 8, 10], "<f8"),
        case("c8", &[64], &[20], &[6], "<c8"),
        case("c16", &[3, 5, 7, 2], &[2, 2, 2, 2], &[1, 2, 1, 2], "<c16"),
        case("b1", &[10, 100], &[4, 40], &[2, 16], "|b1"),
        case("S3", &[777], &[200], &[50], "|S3"),
        case("U5", &[60], &[25], &[10], "<U5"),
        case("M8", &[30], &[8], &[3], "<M8[ns]"),
        case("U70", &[40, 3], &[16, 2], &[4, 2], "<U70"),
        case(
            "dict",
            &[45],
            &[20],
            &[8],
            "{'names': ['a', 'b'], 'formats': ['<i2', '<f4'], 'offsets': [0, 4], 'itemsize': 12}",
        ),
        case("bei4", &[20, 20], &[8, 8], &[4, 4], ">i4"),
        case("struct", &[500], &[128], &[32], "[('x', '<i4'), ('y', '<f8'), ('name', 'S5')]"),
        case("scalar", &[], &[], &[], "<f8"),
        case("empty", &[0, 5], &[0, 5], &[0, 5], "<i4"),
        case("empty2", &[4, 0], &[2, 3], &[1, 2], "<f8"),
        Case { name: "auto2d", shape: vec![300, 400], chunks: None, blocks: None, dtype: "<f8" },
        Case { name: "auto3d", shape: vec![20, 30, 50], chunks: None, blocks: None, dtype: "<i4" },
    ];
    let mut listed = Vec::new();
    for (k, c) in cases.iter().enumerate() {
        let dtype = DType::parse(c.dtype).unwrap();
        let n: u64 = c.shape.iter().product();
        let mut bytes = data(n as usize, dtype.itemsize(), k as u64);
        if c.dtype == "|b1" {
            bytes.iter_mut().for_each(|b| *b &= 1);
        }
        if c.dtype.contains('U') {
            // Valid UCS-4 code points.
            bytes.chunks_exact_mut(4).for_each(|w| w.copy_from_slice(&[b'a' + w[0] % 26, 0, 0, 0]));
        }
        if c.dtype == "<f2" {
            bytes.chunks_exact_mut(2).for_each(|w| w[1] = 0x3c);
        }
        let opts = Options { chunks: c.chunks.clone(), blocks: c.blocks.clone(), ..Options::default() };
        let a = NdArray::from_bytes(&c.shape, &dtype, &bytes, &opts).unwrap();
        assert_eq!(a.to_bytes().unwrap(), bytes, "{}", c.name);
        a.save(dir.join(format!("{}.b2nd", c.name))).unwrap();
        a.to_npy(dir.join(format!("{}.npy", c.name))).unwrap();
        listed.push(json!({"file": format!("{}.b2nd", c.name), "npy": format!("{}.npy", c.name),
            "shape": a.shape(), "chunks": a.chunks(), "blocks": a.blocks()}));
    }
    // Zeros, full, resized (grown and shrunk), a sparse frame, a huge mostly-empty array.
    let opts = Options::new().chunks(&[4, 4]).blocks(&[2, 3]);
    let v: Vec<i32> = (0..60).collect();
    let mut grown = NdArray::from_slice(&[6, 10], &v, &opts).unwrap();
    grown.resize(&[11, 17]).unwrap();
    let mut shrunk = NdArray::from_slice(&[6, 10], &v, &opts).unwrap();
    shrunk.resize(&[5, 3]).unwrap();
    let mut mixed = NdArray::from_slice(&[6, 10], &v, &opts).unwrap();
    mixed.resize(&[13, 2]).unwrap();
    let zeros =
        NdArray::zeros(&[33, 44], &DType::parse("<f4").unwrap(), &Options::new().chunks(&[10, 20]).blocks(&[5, 5]))
            .unwrap();
    let full = NdArray::full_value(&[50, 40], 7i32, &Options::new().chunks(&[20, 20]).blocks(&[10, 10])).unwrap();
    let mut sparse = NdArray::zeros(
        &[2000, 2000],
        &DType::parse("|u1").unwrap(),
        &Options::new().chunks(&[100, 100]).blocks(&[25, 25]),
    )
    .unwrap();
    sparse.write_box(&Region::from_start_shape(&[150, 230], &[10, 30]).unwrap(), &[7u8; 300]).unwrap();
    sparse.write_box(&Region::from_start_shape(&[555, 1234], &[1, 1]).unwrap(), &[255]).unwrap();
    let sparse_stored = sparse.chunk_infos().filter(|i| i.as_ref().unwrap().special.is_none()).count();
    assert_eq!(sparse_stored, 2);
    // The same operations on `ndarray` models: what python-blosc2 must read.
    let base = Array2::from_shape_vec((6, 10), v.clone()).unwrap();
    let i4 = |m: &Array2<i32>| le_bytes(m, i32::to_le_bytes);
    let mut sparse_model = Array2::<u8>::zeros((2000, 2000));
    sparse_model.slice_mut(s![150..160, 230..260]).fill(7);
    sparse_model[[555, 1234]] = 255;
    let models: [(&str, &NdArray, &str, Vec<u8>); 6] = [
        ("grown", &grown, "<i4", i4(&resized(&base, [11, 17]))),
        ("shrunk", &shrunk, "<i4", i4(&resized(&base, [5, 3]))),
        ("mixed", &mixed, "<i4", i4(&resized(&base, [13, 2]))),
        ("zeros", &zeros, "<f4", vec![0; 33 * 44 * 4]),
        ("full", &full, "<i4", i4(&Array2::from_elem((50, 40), 7))),
        ("sparse", &sparse, "|u1", sparse_model.iter().copied().collect()),
    ];
    for (name, a, dtype, want) in models {
        assert_eq!(a.to_bytes().unwrap(), want, "{name}: our reader against the model");
        a.save(dir.join(format!("{name}.b2nd"))).unwrap();
        model_npy(&dir.join(format!("{name}.npy")), dtype, a.shape(), &want);
        listed.push(json!({"file": format!("{name}.b2nd"), "npy": format!("{name}.npy"),
            "shape": a.shape(), "chunks": a.chunks(), "blocks": a.blocks()}));
    }
    let dirframe = NdArray::from_slice(
        &[50, 60],
        &(0..3000).map(|x| x as f32).collect::<Vec<_>>(),
        &Options::new().chunks(&[20, 25]).blocks(&[10, 10]),
    )
    .unwrap();
    dirframe.save_sparse(dir.join("dirframe.b2nd")).unwrap();
    dirframe.to_npy(dir.join("dirframe.npy")).unwrap();
    listed.push(json!({"file": "dirframe.b2nd", "npy": "dirframe.npy", "shape": [50, 60], "chunks": [20, 25], "blocks": [10, 10]}));
    // Changed in place on disk (contiguous and sparse): box writes, then a resize.
    for (name, sparse_dir) in [("inplace.b2nd", false), ("inplace-dir.b2nd", true)] {
        let base = NdArray::from_slice(
            &[30, 40],
            &(0..1200).map(|x| x as u16).collect::<Vec<_>>(),
            &Options::new().chunks(&[8, 16]).blocks(&[4, 8]),
        )
        .unwrap();
        let p = dir.join(name);
        let mut d = if sparse_dir { base.into_sparse(&p).unwrap() } else { base.into_file(&p).unwrap() };
        d.write_box(&Region::from_start_shape(&[5, 5], &[10, 20]).unwrap(), &[9u8; 400]).unwrap();
        d.resize(&[41, 37]).unwrap();
        d.write_box(&Region::from_start_shape(&[40, 0], &[1, 37]).unwrap(), &[1u8; 74]).unwrap();
        let mut m = Array2::from_shape_vec((30, 40), (0..1200u16).collect()).unwrap();
        m.slice_mut(s![5..15, 5..25]).fill(0x0909);
        let mut m = resized(&m, [41, 37]);
        m.slice_mut(s![40..41, ..]).fill(0x0101);
        let want = le_bytes(&m, u16::to_le_bytes);
        assert_eq!(NdArray::open(&p).unwrap().to_bytes().unwrap(), want, "{name}: our reader against the model");
        let npy = format!("{name}.npy");
        model_npy(&dir.join(&npy), "<u2", &[41, 37], &want);
        listed.push(json!({"file": name, "npy": npy, "shape": [41, 37], "chunks": [8, 16], "blocks": [4, 8]}));
    }
    // Python then writes a 3x3 corner of this one; we read it back below.
    let modify =
        NdArray::from_slice(&[10, 10], &vec![1i64; 100], &Options::new().chunks(&[4, 4]).blocks(&[2, 2])).unwrap();
    modify.save(dir.join("modify.b2nd")).unwrap();
    modify.to_npy(dir.join("modify.npy")).unwrap();
    listed.push(json!({"file": "modify.b2nd", "npy": "modify.npy", "shape": [10, 10], "chunks": [4, 4], "blocks": [2, 2], "python_modifies": true}));
    std::fs::write(dir.join("ours.json"), serde_json::to_vec(&listed).unwrap()).unwrap();
    run_python(python_script!("nd_interop.py"), &[OsStr::new("check"), dir.as_os_str()]);
    let back = NdArray::open(dir.join("modify.b2nd")).unwrap().to_vec::<i64>().unwrap();
    for i in 0..10 {
        for j in 0..10 {
            assert_eq!(back[i * 10 + j], if i < 3 && j < 3 { 5 } else { 1 }, "({i}, {j})");
        }
    }
}

fn naive_box(full: &[u8], shape: &[u64], start: &[u64], stop: &[u64], ts: usize) -> Vec<u8> {
    let n = shape.len();
    let bshape: Vec<u64> = (0..n).map(|d| stop[d] - start[d]).collect();
    let total: u64 = bshape.iter().product();
    let strides: Vec<u64> = (0..n).map(|d| shape[d + 1..].iter().product()).collect();
    let mut out = Vec::new();
    for k in 0..total {
        let mut rem = k;
        let mut off = 0;
        for d in (0..n).rev() {
            off += (start[d] + rem % bshape[d]) * strides[d];
            rem /= bshape[d];
        }
        let o = off as usize * ts;
        out.extend_from_slice(&full[o..o + ts]);
    }
    out
}

#[test]
fn we_read_python_arrays() {
    let tmp = temp_dir!("nd-interop-theirs");
    let dir = &tmp.0;
    run_python(python_script!("nd_interop.py"), &[OsStr::new("make"), dir.as_os_str()]);
    let items: Value = serde_json::from_slice(&std::fs::read(dir.join("theirs.json")).unwrap()).unwrap();
    let items = items.as_array().unwrap();
    assert!(items.len() >= 17);
    for it in items {
        let file = it["file"].as_str().unwrap();
        let a = NdArray::open(dir.join(file)).unwrap();
        let npy = std::fs::read(dir.join(it["npy"].as_str().unwrap())).unwrap();
        let (h, want) = blosc2_nd::npy::read(&npy).unwrap();
        let u = |v: &Value| v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect::<Vec<_>>();
        assert_eq!(a.shape(), u(&it["shape"]), "{file}");
        assert_eq!(a.chunks(), u(&it["chunks"]), "{file}");
        assert_eq!(a.blocks(), u(&it["blocks"]), "{file}");
        assert_eq!(a.shape(), h.shape, "{file}");
        assert_eq!(a.dtype().itemsize(), h.dtype.itemsize(), "{file}");
        let full = a.to_bytes().unwrap();
        assert_eq!(full, want, "{file}");
        let ts = a.dtype().itemsize();
        for k in 0..10u64 {
            let (mut start, mut stop) = (Vec::new(), Vec::new());
            for (d, &s) in a.shape().iter().enumerate() {
                let r1 = sm64(k + 100, 2 * d as u64) % (s + 1);
                let r2 = sm64(k + 100, 2 * d as u64 + 1) % (s + 1);
                start.push(r1.min(r2));
                stop.push(r1.max(r2));
            }
            assert_eq!(
                a.read_box(&Region::from_start_stop(&start, &stop).unwrap()).unwrap(),
                naive_box(&full, a.shape(), &start, &stop, ts),
                "{file}"
            );
        }
        // Loaded in memory, then written by us: still equal after a round trip.
        let mut m = NdArray::load(dir.join(file)).unwrap();
        let corner: Vec<u64> = m.shape().iter().map(|&s| s.min(2)).collect();
        let n: u64 = corner.iter().product();
        let patch = vec![0u8; n as usize * ts];
        m.write_box(&Region::whole(&corner), &patch).unwrap();
        assert_eq!(m.read_box(&Region::whole(&corner)).unwrap(), patch, "{file}");
    }
}

#[test]
fn automatic_shapes_match_python() {
    let tmp = temp_dir!("nd-interop-auto");
    let dir = &tmp.0;
    let cases: Vec<(Vec<u64>, &str)> = vec![
        (vec![1000, 1000], "<f8"),
        (vec![10_000_000], "<f4"),
        (vec![100, 200, 300], "<i4"),
        (vec![1_048_576, 3], "<f4"),
        (vec![20000, 20000, 20000], "|u1"),
        (vec![50], "<i8"),
        (vec![7, 13, 17, 19], "<f8"),
        (vec![123_457], "<i2"),
        (vec![3, 100_003], "|u1"),
        (vec![999, 1001], "<c16"),
        (vec![2, 3, 5, 7, 11, 13], "<f4"),
        (vec![0, 10], "<f4"),
        (vec![1], "<U10"),
    ];
    let input: Vec<Value> = cases.iter().map(|(s, d)| json!([s, d])).collect();
    std::fs::write(dir.join("auto_in.json"), serde_json::to_vec(&input).unwrap()).unwrap();
    run_python(python_script!("nd_interop.py"), &[OsStr::new("auto"), dir.as_os_str()]);
    let out: Value = serde_json::from_slice(&std::fs::read(dir.join("auto_out.json")).unwrap()).unwrap();
    let caches = CacheSizes::detect();
    for ((shape, dt), want) in cases.iter().zip(out.as_array().unwrap()) {
        let d = DType::parse(dt).unwrap();
        let (c, b) = chunks_blocks(shape, None, None, d.itemsize(), &caches).unwrap();
        let u = |v: &Value| v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect::<Vec<_>>();
        assert_eq!((c, b), (u(&want[0]), u(&want[1])), "{shape:?} {dt}");
    }
}

#[test]
fn arrays_without_chunks_record_the_chunk_size_python_records() {
    let tmp = temp_dir!("nd-interop-empty");
    let cases: [(&[u64], &[u64], &[u64]); 3] =
        [(&[0, 10], &[4, 10], &[2, 10]), (&[0, 5], &[0, 5], &[0, 5]), (&[10, 0, 3], &[5, 2, 3], &[5, 1, 3])];
    let dt = DType::parse("<i4").unwrap();
    for (k, (shape, chunks, blocks)) in cases.iter().enumerate() {
        let a = NdArray::from_bytes(shape, &dt, &[], &Options::new().chunks(chunks).blocks(blocks)).unwrap();
        let ours = tmp.join(format!("ours{k}.b2nd"));
        a.save(&ours).unwrap();
        let code = "import sys, blosc2, numpy as np\n\
            shape, chunks, blocks = (tuple(int(x) for x in s.split(',') if x) for s in sys.argv[1:4])\n\
            p = blosc2.asarray(np.zeros(shape, dtype='i4'), urlpath=sys.argv[5], mode='w', chunks=chunks, blocks=blocks)\n\
            del p\n\
            o = blosc2.open(sys.argv[4])\n\
            print(o.schunk.chunksize, blosc2.open(sys.argv[5]).schunk.chunksize)";
        let join = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        let theirs = tmp.join(format!("py{k}.b2nd"));
        let out = blosc2_testkit::python::run_python_code(
            code,
            &[join(shape), join(chunks), join(blocks), ours.display().to_string(), theirs.display().to_string()],
        );
        let v: Vec<&str> = out.split_whitespace().collect();
        assert_eq!(v.len(), 2, "{out}");
        assert_eq!(v[0], v[1], "chunk size of an array of shape {shape:?}, chunks {chunks:?}: ours, python's");
        assert_eq!(a.schunk().chunksize().to_string(), v[0]);
    }
}
