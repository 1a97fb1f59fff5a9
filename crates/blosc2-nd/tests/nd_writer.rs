//! [`ArrayWriter`]: arrays streamed to a file chunk by chunk (from bytes, compressed
//! chunks, runs of zero chunks or non-zero blocks) are byte-identical to the arrays
//! `NdArray::from_bytes` + `save` write; the shape can be set at the end; python-blosc2
//! reads them.

use std::process::Command;

use blosc2_core::chunk::CompressParams;
use blosc2_core::codec::CodecId;
use blosc2_nd::{ArrayWriter, DType, Error, NdArray, Options};
use blosc2_testkit::data::sm64;
use blosc2_testkit::python::python;
use blosc2_testkit::temp_dir;

struct Case {
    shape: Vec<u64>,
    chunks: Vec<u64>,
    blocks: Vec<u64>,
    dtype: &'static str,
}

fn case(shape: &[u64], chunks: &[u64], blocks: &[u64], dtype: &'static str) -> Case {
    Case { shape: shape.to_vec(), chunks: chunks.to_vec(), blocks: blocks.to_vec(), dtype }
}

fn opts(c: &Case) -> Options {
    let p = CompressParams { codec: CodecId::ZSTD, clevel: 1, ..CompressParams::default() };
    Options::new().chunks(&c.chunks).blocks(&c.blocks).cparams(p)
}

/// C-order bytes of the case's array: zeros except a few runs of small values, so that
/// some chunks and many blocks are empty.
fn sparse_data(c: &Case, seed: u64) -> Vec<u8> {
    let ts = DType::parse(c.dtype).unwrap().itemsize();
    let n = c.shape.iter().product::<u64>() as usize * ts;
    let mut v = vec![0u8; n];
    for k in 0..6 {
        let r = sm64(seed, k) as usize;
        if n == 0 {
            break;
        }
        let at = r % n;
        let len = (r >> 40) % 40;
        for (i, b) in v[at..(at + len).min(n)].iter_mut().enumerate() {
            *b = (i % 7) as u8 + 1;
        }
    }
    v
}

/// How the chunks reach the writer.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Bytes,
    Compressed,
    Blocks,
}

/// Writes `a`'s chunks with an [`ArrayWriter`] created for `shape` (then set to `a`'s).
fn stream(a: &NdArray, path: &std::path::Path, start_shape: &[u64], c: &Case, mode: Mode) {
    let dtype = DType::parse(c.dtype).unwrap();
    let mut w = ArrayWriter::create(path, start_shape, &dtype, &opts(c)).unwrap();
    let bb = a.geometry().block_nbytes();
    let mut zeros = 0;
    for i in 0..a.nchunks() {
        let bytes = a.schunk().decompress_chunk(i).unwrap();
        match mode {
            Mode::Bytes => w.append_chunk(&bytes).unwrap(),
            Mode::Compressed => w.append_compressed(&a.schunk().chunk(i).unwrap()).unwrap(),
            Mode::Blocks => {
                let blocks: Vec<(usize, &[u8])> =
                    bytes.chunks(bb).enumerate().filter(|(_, b)| b.iter().any(|&v| v != 0)).collect();
                if blocks.is_empty() {
                    zeros += 1;
                    continue;
                }
                w.append_zeros(zeros).unwrap();
                zeros = 0;
                w.append_blocks(&blocks).unwrap();
            }
        }
    }
    w.append_zeros(zeros).unwrap();
    assert_eq!(w.nchunks(), a.nchunks());
    if start_shape != a.shape() {
        w.set_shape(a.shape()).unwrap();
    }
    assert_eq!(w.meta(), a.meta());
    w.finish().unwrap();
}

#[test]
fn streamed_arrays_equal_saved_ones() {
    let tmp = temp_dir!("nd-writer-equal");
    let cases = [
        case(&[1000], &[300], &[64], "|u1"),
        case(&[100, 77], &[30, 20], &[7, 6], "<i4"),
        case(&[40, 40, 40], &[20, 20, 20], &[5, 5, 5], "|u1"),
        case(&[20, 30, 40], &[10, 16, 25], &[5, 8, 10], "<f8"),
        case(&[50_000], &[8192], &[1024], "<i8"),
        case(&[], &[], &[], "<f4"),
    ];
    for (k, c) in cases.iter().enumerate() {
        let dtype = DType::parse(c.dtype).unwrap();
        let a = NdArray::from_bytes(&c.shape, &dtype, &sparse_data(c, k as u64), &opts(c)).unwrap();
        let saved = tmp.0.join(format!("{k}.saved.b2nd"));
        a.save(&saved).unwrap();
        let want = std::fs::read(&saved).unwrap();
        for mode in [Mode::Bytes, Mode::Compressed, Mode::Blocks] {
            let path = tmp.0.join(format!("{k}-{mode:?}.b2nd"));
            stream(&a, &path, &c.shape, c, mode);
            assert!(std::fs::read(&path).unwrap() == want, "case {k} {mode:?}: the files differ");
        }
        // The length of the first dimension given at the end.
        if !c.shape.is_empty() {
            let mut start = c.shape.clone();
            start[0] = 0;
            let path = tmp.0.join(format!("{k}-late-shape.b2nd"));
            stream(&a, &path, &start, c, Mode::Blocks);
            assert!(std::fs::read(&path).unwrap() == want, "case {k}: shape set at the end");
        }
    }
}

#[test]
fn writer_errors_leave_no_file() {
    let tmp = temp_dir!("nd-writer-errors");
    let c = case(&[100], &[30], &[10], "<i4");
    let dtype = DType::parse(c.dtype).unwrap();
    let path = tmp.0.join("a.b2nd");
    let mut w = ArrayWriter::create(&path, &c.shape, &dtype, &opts(&c)).unwrap();
    assert_eq!(w.chunk_nbytes(), 120);
    assert!(matches!(w.append_chunk(&[0u8; 119]), Err(Error::BufferSize { expected: 120, found: 119 })));
    let other = blosc2_core::chunk::compress(w.cparams(), &[1u8; 240]).unwrap();
    assert!(matches!(w.append_compressed(&other), Err(Error::ChunkMismatch { .. })));
    assert!(w.append_blocks(&[(3, vec![1u8; 40])]).is_err(), "block beyond the chunk");
    assert!(w.set_shape(&[10, 10]).is_err(), "another rank");
    w.append_chunk(&[1u8; 120]).unwrap();
    w.append_zeros(2).unwrap();
    // Four chunks needed, three given.
    assert!(matches!(w.finish(), Err(Error::ChunkMismatch { expected: 4, found: 3, .. })));
    assert!(!path.exists());
    assert_eq!(std::fs::read_dir(&tmp.0).unwrap().count(), 0, "no temporary file left");
}

#[test]
fn python_reads_streamed_arrays() {
    let tmp = temp_dir!("nd-writer-python");
    let dir = &tmp.0;
    // A sparse cube from blocks and zero runs, a column whose length is set at the end,
    // and an empty column (python-blosc2 gives an empty array the chunk size too).
    let cube = case(&[60, 60, 60], &[20, 20, 20], &[5, 5, 5], "|u1");
    let a =
        NdArray::from_bytes(&cube.shape, &DType::parse("|u1").unwrap(), &sparse_data(&cube, 9), &opts(&cube)).unwrap();
    stream(&a, &dir.join("cube.b2nd"), &cube.shape, &cube, Mode::Blocks);
    std::fs::write(dir.join("cube.raw"), a.to_bytes().unwrap()).unwrap();
    let col = case(&[1000], &[256], &[64], "<i8");
    let values: Vec<u8> = (0..1000i64).flat_map(|v| (v * v).to_le_bytes()).collect();
    let a = NdArray::from_bytes(&col.shape, &DType::parse("<i8").unwrap(), &values, &opts(&col)).unwrap();
    stream(&a, &dir.join("col.b2nd"), &[0], &col, Mode::Bytes);
    let w = ArrayWriter::create(dir.join("empty.b2nd"), &[0], &DType::parse("<f8").unwrap(), &opts(&col)).unwrap();
    w.finish().unwrap();
    let script = r#"
import sys, blosc2, numpy as np
d = sys.argv[1]
a = blosc2.open(d + "/cube.b2nd")
assert a.shape == (60, 60, 60) and a.chunks == (20, 20, 20) and a.blocks == (5, 5, 5), a.shape
want = np.fromfile(d + "/cube.raw", dtype=np.uint8).reshape(60, 60, 60)
assert (a[...] == want).all()
c = blosc2.open(d + "/col.b2nd")
assert c.shape == (1000,) and str(c.dtype) == "int64"
assert (c[...] == np.arange(1000, dtype=np.int64) ** 2).all()
e = blosc2.open(d + "/empty.b2nd")
assert e.shape == (0,) and e.schunk.nchunks == 0 and e.schunk.chunksize == 256 * 8, e.schunk.chunksize
print("ok")
"#;
    let out = Command::new(python()).args(["-c", script]).arg(dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
