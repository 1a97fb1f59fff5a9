//! Hostile b2nd metalayers, hand-built: shapes whose product overflows, negative and zero
//! extents, chunk grids of trillions of chunks, block shapes larger than chunks, dtypes of
//! absurd size, too many dimensions. Each gives a typed error without allocating beyond
//! 64 MiB and within a second (a counting global allocator measures every case); a legal
//! array of 260 million zero chunks in a 300-byte file opens lazily and reads.

use blosc2_core::chunk::{CompressParams, SpecialKind};
use blosc2_core::schunk::SChunk;
use blosc2_nd::{B2ndMeta, NdArray, Region};
use blosc2_testkit::{alloc, temp_dir};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

fn meta(shape: &[i64], chunks: &[i32], blocks: &[i32], dtype: &str) -> B2ndMeta {
    B2ndMeta {
        version: 0,
        shape: shape.to_vec(),
        chunkshape: chunks.to_vec(),
        blockshape: blocks.to_vec(),
        dtype_format: 0,
        dtype: Some(dtype.to_string()),
    }
}

/// A frame with `meta` as its `b2nd` metalayer and `nchunks` zero chunks of `chunk_nbytes`.
fn frame_with(meta_bytes: &[u8], typesize: usize, nchunks: u64, chunk_nbytes: usize) -> Vec<u8> {
    let mut s = SChunk::new(CompressParams { typesize, ..CompressParams::default() });
    s.metalayers_mut().add("b2nd", meta_bytes).unwrap();
    let zeros = s.special_chunk(SpecialKind::Zeros, chunk_nbytes, &[]).unwrap();
    s.append_chunk_repeated(zeros, nchunks).unwrap();
    s.to_cframe().unwrap()
}

/// Opens `frame` as an array under the bounds; returns it when it opened.
fn open_bounded(what: &str, frame: Vec<u8>) -> Option<NdArray> {
    let (r, cost) = alloc::measure(|| NdArray::from_cframe(frame));
    alloc::check(cost, 0, &what);
    match r {
        Ok(a) => Some(a),
        Err(e) => {
            assert!(e.code() < 0 && !e.to_string().is_empty(), "{what}: {e:?}");
            None
        }
    }
}

#[test]
fn hostile_geometries_are_typed_errors() {
    let _g = alloc::lock();
    let big = i64::MAX;
    let cases: Vec<(&str, B2ndMeta)> = vec![
        ("shape product overflows", meta(&[1 << 62, 1 << 62], &[1, 1], &[1, 1], "<i8")),
        ("shape times itemsize overflows", meta(&[1 << 61], &[1], &[1], "<i8")),
        ("shape i64::MAX", meta(&[big, big, big], &[4, 4, 4], &[2, 2, 2], "|u1")),
        ("negative shape", meta(&[-5, 10], &[5, 5], &[5, 5], "<i4")),
        ("zero chunk shape", meta(&[10], &[0], &[1], "<i4")),
        ("negative chunk shape", meta(&[10], &[-2], &[1], "<i4")),
        ("zero block shape", meta(&[10], &[5], &[0], "<i4")),
        ("block larger than chunk", meta(&[10], &[5], &[7], "<i4")),
        ("chunk bytes overflow i32", meta(&[1 << 40, 1 << 40], &[i32::MAX, i32::MAX], &[1, 1], "<f8")),
        ("trillions of chunks", meta(&[1 << 40], &[1], &[1], "<i8")),
        ("chunk grid overflows", meta(&[big, big], &[1, 1], &[1, 1], "<i8")),
        ("huge void dtype", meta(&[10], &[5], &[5], "|V99999999999999999999")),
        ("huge string dtype", meta(&[10], &[5], &[5], "<U4611686018427387904")),
        ("dtype vs typesize", meta(&[10], &[5], &[5], "<i4")),
    ];
    for (what, m) in cases {
        // Every frame holds 2 zero chunks of 40 bytes with typesize 8: consistent with
        // none of the geometries above.
        let frame = frame_with(&m.encode(), 8, 2, 40);
        assert!(open_bounded(what, frame).is_none(), "{what}: accepted");
    }
    // Raw metalayer bytes: 17 dimensions, a truncated shape, an ndim that disagrees.
    let mut seventeen = meta(&[1; 16], &[1; 16], &[1; 16], "<i8").encode();
    seventeen[2] = 17;
    let mut short = meta(&[4, 4], &[2, 2], &[1, 1], "<i8").encode();
    short.truncate(20);
    let mut ndim = meta(&[4, 4], &[2, 2], &[1, 1], "<i8").encode();
    ndim[2] = 3;
    let mut dtype_len = meta(&[4], &[2], &[1], "<i8").encode();
    let n = dtype_len.len();
    dtype_len[n - 7..n - 3].copy_from_slice(&u32::MAX.to_be_bytes());
    for (what, bytes) in [("17 dims", seventeen), ("short", short), ("ndim", ndim), ("dtype length", dtype_len)] {
        assert!(open_bounded(what, frame_with(&bytes, 8, 2, 40)).is_none(), "{what}: accepted");
    }
}

#[test]
fn hundreds_of_millions_of_zero_chunks_open_lazily() {
    let _g = alloc::lock();
    let n: u64 = 260_000_000;
    let m = meta(&[n as i64 * 1000], &[1000], &[1000], "<i8");
    // Built from two chunks, then the counts patched: appending 260 million chunks in
    // memory would itself cost 6 GB.
    let small = frame_with(&m.encode(), 8, 2, 8000);
    let f = blosc2_core::frame::Frame::from_bytes(small.clone()).unwrap();
    let hl = f.header().header_len;
    // The offsets chunk of an all-zeros fixed-size frame is one repeated-value chunk
    // right after the header: patch its nbytes and the frame's nbytes.
    assert_eq!(f.header().cbytes, 0, "all special offsets");
    let mut b = small.clone();
    b[30..38].copy_from_slice(&((n * 8000) as i64).to_be_bytes());
    b[hl + 4..hl + 8].copy_from_slice(&((n * 8) as i32).to_le_bytes());
    let tmp = temp_dir!("nd-hostile");
    let path = tmp.0.join("huge.b2nd");
    std::fs::write(&path, &b).unwrap();
    let (a, cost) = alloc::measure(|| NdArray::open(&path));
    alloc::check(cost, 0, &"open");
    let a = a.unwrap();
    assert_eq!(a.nchunks(), n);
    let last = n * 1000;
    let end = Region::from_start_stop(&[last - 3], &[last]).unwrap();
    let (v, cost) = alloc::measure(|| a.read_box(&end));
    alloc::check(cost, 0, &"read the end");
    assert_eq!(v.unwrap(), vec![0; 24]);
    // In memory it would need a chunk table the 300-byte file cannot justify.
    assert!(open_bounded("from_cframe", b).is_none());
}
