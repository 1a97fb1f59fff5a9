//! Corruption suite for b2nd files: for every b2nd fixture and for arrays we write, every
//! truncation of the frame header (with the `b2nd` metalayer) and of the offsets and
//! trailer, every single-byte change in them (four changes per byte), and random byte
//! changes in the chunk data. Each input is opened with `NdArray::from_cframe` and read
//! (a few boxes, single items, the whole array when small); the result must be `Ok` or a
//! typed error, never a panic, never more than a second, never a heap peak above 64 MiB
//! plus what the checked shape and sizes justify (a counting global allocator measures it).
//! Each corpus also runs in a child process under an address-space limit whose peak
//! virtual and resident memory are bounded (`blosc2_testkit::alloc::limits`), which
//! covers what the C codecs allocate.

use std::fmt::Display;
use std::path::PathBuf;

use blosc2_core::frame::Frame;
use blosc2_core::header::ChunkHeader;
use blosc2_nd::{DType, NdArray, Options, Region};
use blosc2_testkit::alloc::limits;
use blosc2_testkit::fs::testdata;
use blosc2_testkit::{alloc, assert_typed, corrupt};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// Arrays bigger than this are not read whole; boxes are always read.
const READ_LIMIT: u64 = 16 << 20;

/// Opens and reads an array; returns the bytes its checked geometry justifies.
fn exercise(bytes: Vec<u8>, what: &dyn Display) -> usize {
    let len = bytes.len();
    let a = match NdArray::from_cframe(bytes) {
        Ok(a) => a,
        Err(e) => {
            assert_typed!(e, what);
            return 2 * len;
        }
    };
    let itemsize = a.dtype().itemsize() as u64;
    let chunk = a.chunks().iter().product::<u64>().saturating_mul(itemsize);
    let mut justified = (2 * len as u64).saturating_add(chunk.min(READ_LIMIT));
    let check = |r: blosc2_nd::Result<()>| {
        if let Err(e) = r {
            assert_typed!(e, what);
        }
    };
    for info in a.chunk_infos().take(64) {
        check(info.map(drop));
    }
    let shape = a.shape().to_vec();
    if shape.iter().all(|&s| s > 0) {
        for k in 0..3u64 {
            let start: Vec<u64> = shape.iter().map(|&s| [0, s / 2, s - 1][k as usize]).collect();
            let stop: Vec<u64> = start.iter().zip(&shape).map(|(&b, &s)| (b + 3).min(s)).collect();
            check(a.read_box(&Region::from_start_stop(&start, &stop).unwrap()).map(drop));
        }
        check(a.get_bytes(&vec![0; shape.len()]).map(drop));
    }
    let total = a.len().saturating_mul(itemsize);
    if total <= READ_LIMIT {
        justified = justified.saturating_add(total);
        check(a.to_bytes().map(drop));
    }
    justified as usize
}

fn run(bytes: Vec<u8>, what: &dyn Display) {
    let (justified, cost) = alloc::measure(|| exercise(bytes, what));
    alloc::check(cost, justified, what);
}

/// Header, first chunk headers, and everything after the chunks.
fn structure(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let f = Frame::from_bytes(bytes.to_vec()).expect("pristine frame opens");
    let h = f.header();
    corrupt::frame_structure(bytes, h.header_len, h.cbytes, |b| {
        ChunkHeader::parse_prefix(b).ok().map(|ch| (ch.header_len(), ch.cbytes))
    })
}

fn corrupt(name: &str, bytes: &[u8], flips: usize) -> usize {
    let st = structure(bytes);
    corrupt::structural_suite(name, bytes, &st, (32, flips, 11), |b, what| run(b, &what), |b, what| run(b, &what))
}

fn fixtures() -> Vec<PathBuf> {
    let dir = testdata("fixtures/b2nd");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

#[test]
fn every_b2nd_fixture_survives_corruption() {
    let _g = alloc::lock();
    if limits::ran_in_child("every_b2nd_fixture_survives_corruption") {
        return;
    }
    let mut n = 0;
    let files = fixtures();
    for p in &files {
        let bytes = std::fs::read(p).unwrap();
        let flips = if bytes.len() > 20_000 { 100 } else { 300 };
        n += corrupt(&p.file_name().unwrap().to_string_lossy(), &bytes, flips);
    }
    eprintln!("{} fixtures, {n} corrupted inputs", files.len());
    assert!(files.len() >= 19 && n > 30_000, "{n} inputs");
    limits::report();
}

#[test]
fn written_arrays_survive_corruption() {
    let _g = alloc::lock();
    if limits::ran_in_child("written_arrays_survive_corruption") {
        return;
    }
    let mut n = 0;
    let opts = Options::new().chunks(&[6, 7, 5]).blocks(&[3, 4, 5]);
    let values: Vec<f32> = (0..10 * 9 * 5).map(|i| i as f32 / 7.0).collect();
    let a = NdArray::from_slice(&[10, 9, 5], &values, &opts).unwrap();
    n += corrupt("written-3d-f32", &a.to_cframe().unwrap(), 3000);
    let opts = Options::new().chunks(&[16]).blocks(&[8]).metalayer("extra", &[0x93, 1, 2, 3]);
    let z = NdArray::zeros(&[100], &DType::parse("<i8").unwrap(), &opts).unwrap();
    n += corrupt("written-zeros-i8", &z.to_cframe().unwrap(), 500);
    eprintln!("{n} corrupted inputs");
    assert!(n > 4000, "{n} inputs");
    limits::report();
}

/// Every one of the 255 other values at every byte of the frame header (which holds the
/// `b2nd` metalayer) and of the offsets and trailer of a small array.
#[test]
fn every_value_of_every_header_byte() {
    let _g = alloc::lock();
    if limits::ran_in_child("every_value_of_every_header_byte") {
        return;
    }
    let path = testdata("fixtures/b2nd/1d-uint8.b2nd");
    let bytes = std::fs::read(path).unwrap();
    let st = structure(&bytes);
    let mut n = 0;
    for (at, v, b) in corrupt::other_values(&bytes, [st[0].clone(), st[1].clone()].into_iter().flatten()) {
        run(b, &format!("1d-uint8: byte {at} = {v}"));
        n += 1;
    }
    eprintln!("{n} inputs");
    assert!(n > 20_000, "{n}");
    limits::report();
}
