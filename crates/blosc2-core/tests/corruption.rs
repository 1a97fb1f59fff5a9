//! Corruption suite for chunks and frames: for every fixture and for frames we write,
//! every truncation of the headers and trailers (sampled truncations of the data), every
//! single-byte change in them (four changes per byte: the complement, the low bit, the
//! high bit, zero) and thousands of random byte changes in the data. Each input must give
//! `Ok` or a typed error: never a panic, never more than a second, and never a heap peak
//! above 64 MiB plus what the input's checked sizes justify (a counting global allocator
//! measures each input). Each corpus also runs in a child process under an address-space
//! limit whose peak virtual and resident memory are bounded
//! (`blosc2_testkit::alloc::limits`), which covers what the C codecs allocate.

use std::fmt::Display;
use std::path::{Path, PathBuf};

use blosc2_core::chunk::{self, CompressParams, SpecialKind};
use blosc2_core::codec::CodecId;
use blosc2_core::frame::Frame;
use blosc2_core::header::ChunkHeader;
use blosc2_core::schunk::SChunk;
use blosc2_core::Error;
use blosc2_testkit::alloc::limits;
use blosc2_testkit::data::{random_bytes, smooth_bytes};
use blosc2_testkit::fs::testdata;
use blosc2_testkit::{alloc, assert_typed, corrupt, temp_dir};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// Chunks claiming more than this are not decoded whole (a special chunk can legally claim
/// 2 GiB in 32 bytes); block 0 and one item still are.
const DECODE_LIMIT: usize = 16 << 20;

fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(ext))
        .collect();
    v.sort();
    v
}

/// Reads everything of one chunk; returns the bytes its checked header justifies.
fn exercise_chunk(bytes: &[u8], what: &dyn Display) -> usize {
    let h = match ChunkHeader::parse(bytes) {
        Ok(h) => h,
        Err(e) => {
            assert_typed!(e, what);
            return 0;
        }
    };
    let mut justified = h.blocksize_field.min(h.nbytes);
    let check = |r: Result<(), Error>| {
        if let Err(e) = r {
            assert_typed!(e, what);
        }
    };
    if h.nbytes <= DECODE_LIMIT {
        justified = justified.max(h.nbytes);
        check(chunk::decompress(bytes).map(drop));
        let mid = h.nbytes / 2;
        let mut dst = vec![0u8; (h.nbytes - mid).min(64)];
        check(chunk::decompress_range(bytes, mid, &mut dst));
    }
    check(chunk::decompress_block(bytes, 0).map(drop));
    check(chunk::getitems(bytes, 0, 1).map(drop));
    justified
}

/// Runs `exercise_chunk` on one input under the memory and time bounds.
fn run_chunk(bytes: &[u8], what: &dyn Display) {
    let (justified, cost) = alloc::measure(|| exercise_chunk(bytes, what));
    alloc::check(cost, justified.saturating_add(2 * bytes.len()), what);
}

/// Opens and reads a frame; returns the bytes its checked sizes justify.
fn exercise_frame(bytes: Vec<u8>, what: &dyn Display) -> usize {
    let len = bytes.len();
    let f = match Frame::from_bytes(bytes.clone()) {
        Ok(f) => f,
        Err(e) => {
            assert_typed!(e, what);
            return 0;
        }
    };
    let mut justified = 0usize;
    for (name, _) in f.metalayers().iter() {
        let _ = f.metalayers().get_value(name);
    }
    let names: Vec<String> = f.vlmetalayers().names().map(str::to_owned).collect();
    for name in &names {
        if let Some(c) = f.vlmetalayers().get_chunk(name) {
            if let Ok(h) = ChunkHeader::parse(c) {
                if h.nbytes > DECODE_LIMIT {
                    continue;
                }
                justified = justified.max(h.nbytes);
            }
        }
        if let Err(e) = f.vlmetalayers().get(name) {
            assert_typed!(e, what);
        }
    }
    for info in f.chunk_infos().take(64) {
        if let Err(e) = info {
            assert_typed!(e, what);
        }
    }
    for i in 0..f.nchunks().min(8) {
        match f.chunk_info(i) {
            Ok(info) if info.nbytes <= DECODE_LIMIT => {
                justified = justified.max(info.nbytes);
                if let Err(e) = f.decompress_chunk(i) {
                    assert_typed!(e, what);
                }
            }
            Ok(_) => {}
            Err(e) => assert_typed!(e, what),
        }
    }
    match SChunk::from_cframe(bytes) {
        Ok(s) => {
            if s.nbytes() > 0 && s.typesize() > 0 {
                let items = s.nbytes() / s.typesize() as u64;
                if let Err(e) = s.get_slice(items / 2, (items / 2 + 4).min(items)) {
                    assert_typed!(e, what);
                }
            }
        }
        Err(e) => assert_typed!(e, what),
    }
    justified.saturating_add(2 * len)
}

fn run_frame(bytes: Vec<u8>, what: &dyn Display) {
    let len = bytes.len();
    let (justified, cost) = alloc::measure(|| exercise_frame(bytes, what));
    alloc::check(cost, justified.saturating_add(2 * len), what);
}

/// The header and block-starts area of a chunk (`len` when unknown).
fn chunk_head_len(bytes: &[u8]) -> usize {
    match ChunkHeader::parse(bytes) {
        Ok(h) if h.special().is_none() && !h.is_memcpyed() && h.blocksize_field > 0 => {
            let nblocks = h.nbytes.div_ceil(h.blocksize_field);
            (h.header_len() + 4 * nblocks).min(bytes.len())
        }
        Ok(h) => h.header_len().min(bytes.len()),
        Err(_) => bytes.len(),
    }
}

/// The structural byte ranges of a frame: header (with metalayers), the first chunk
/// headers, and everything after the chunks (offsets and trailer).
fn frame_structure(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let f = Frame::from_bytes(bytes.to_vec()).expect("pristine frame opens");
    let h = f.header();
    corrupt::frame_structure(bytes, h.header_len, h.cbytes, |b| {
        ChunkHeader::parse_prefix(b).ok().map(|ch| (ch.header_len(), ch.cbytes))
    })
}

/// Every cut and every change of the structural bytes, sampled cuts and `flips` random
/// changes elsewhere.
fn corrupt_frame(name: &str, bytes: &[u8], flips: usize) -> usize {
    let opens = |b: Vec<u8>, what: &str| {
        let cut = b.len();
        let (r, cost) = alloc::measure(|| Frame::from_bytes(b).map(drop));
        alloc::check(cost, 2 * cut, &what);
        if let Err(e) = r {
            assert_typed!(e, &what);
        }
    };
    corrupt::structural_suite(name, bytes, &frame_structure(bytes), (64, flips, 7), opens, |b, what| {
        run_frame(b, &what)
    })
}

/// Every cut and change of a chunk's header and block starts, sampled cuts and `flips`
/// random changes in its streams.
fn corrupt_chunk(name: &str, bytes: &[u8], flips: usize) -> usize {
    let head = chunk_head_len(bytes);
    let mut n = 0;
    let mut cuts: Vec<usize> = (0..=head.min(bytes.len())).collect();
    cuts.extend((head..bytes.len()).step_by((bytes.len() - head) / 32 + 1));
    for cut in cuts {
        run_chunk(&bytes[..cut], &format!("{name} cut to {cut}"));
        n += 1;
    }
    for (at, k, b) in corrupt::byte_changes(bytes, 0..head) {
        run_chunk(&b, &format!("{name}: change {k} at {at}"));
        n += 1;
    }
    let data: Vec<usize> = (head..bytes.len()).collect();
    for (j, at) in corrupt::sample(&data, flips, name.len() as u64).into_iter().enumerate() {
        let mut b = bytes.to_vec();
        b[at] ^= corrupt::flip_mask(3, j as u64);
        run_chunk(&b, &format!("{name}: data flip {j} at {at}"));
        n += 1;
    }
    n
}

/// Chunks we write ourselves, over codecs and filters.
fn written_chunks() -> Vec<(String, Vec<u8>)> {
    let data = smooth_bytes(20_000);
    let mut out = Vec::new();
    for codec in [CodecId::BLOSCLZ, CodecId::LZ4, CodecId::LZ4HC, CodecId::ZLIB, CodecId::ZSTD] {
        let p = CompressParams { codec, typesize: 8, blocksize: 4096, ..CompressParams::default() };
        out.push((format!("written-{codec:?}"), chunk::compress(&p, &data).unwrap()));
    }
    let p = CompressParams { typesize: 4, ..CompressParams::default() };
    out.push(("written-random".into(), chunk::compress(&p, &random_bytes(3000, 5)).unwrap()));
    out.push(("written-zeros".into(), chunk::special::zeros(&p, 4000).unwrap()));
    out.push(("written-value".into(), chunk::special::repeat_value(&p, 4000, &[1, 2, 3, 4]).unwrap()));
    out
}

/// Frames we write ourselves: fixed and variable chunk sizes, special chunks, metalayers
/// and vlmetalayers, several codecs.
fn written_frames() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let p = CompressParams { codec: CodecId::LZ4, typesize: 4, ..CompressParams::default() };
    let mut s = SChunk::new(p);
    s.metalayers_mut()
        .add_value("meta", &rmpv::Value::Array(vec![rmpv::Value::from(1), rmpv::Value::from("x")]))
        .unwrap();
    s.vlmetalayers_mut().set_value("info", &rmpv::Value::from("a vlmetalayer")).unwrap();
    for k in 0..4 {
        s.append_buffer(&smooth_bytes(4000 + k * 8)[k * 8..]).unwrap();
    }
    s.append_special(SpecialKind::Zeros, 4000, &[]).unwrap();
    out.push(("written-fixed".into(), s.to_cframe().unwrap()));
    let p = CompressParams { codec: CodecId::ZSTD, typesize: 8, ..CompressParams::default() };
    let mut s = SChunk::new(p);
    for k in 1..5 {
        s.append_buffer(&smooth_bytes(800 * k)).unwrap();
    }
    s.append_special(SpecialKind::Value, 800, &[9; 8]).unwrap();
    out.push(("written-variable".into(), s.to_cframe().unwrap()));
    out
}

#[test]
fn every_chunk_fixture_survives_corruption() {
    let _g = alloc::lock();
    if limits::ran_in_child("every_chunk_fixture_survives_corruption") {
        return;
    }
    let mut n = 0;
    let mut chunks = 0;
    let dirs = files_in_dirs(&testdata("fixtures").join("chunks"));
    for dir in dirs {
        for p in files_in(&dir, ".chunk") {
            let bytes = std::fs::read(&p).unwrap();
            let name = p.strip_prefix(testdata("fixtures")).unwrap().display().to_string();
            // Big chunks: fewer random flips, each one decodes the whole chunk.
            let flips = if bytes.len() > 50_000 { 8 } else { 40 };
            n += corrupt_chunk(&name, &bytes, flips);
            chunks += 1;
        }
    }
    for (name, bytes) in written_chunks() {
        n += corrupt_chunk(&name, &bytes, 200);
        chunks += 1;
    }
    eprintln!("{chunks} chunks, {n} corrupted inputs");
    assert!(chunks > 200 && n > 50_000, "{chunks} chunks, {n} inputs");
    limits::report();
}

fn files_in_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    v.sort();
    v
}

#[test]
fn every_frame_fixture_survives_corruption() {
    let _g = alloc::lock();
    if limits::ran_in_child("every_frame_fixture_survives_corruption") {
        return;
    }
    let mut n = 0;
    let mut frames = 0;
    let mut paths = files_in(&testdata("fixtures").join("frames"), ".b2frame");
    paths.extend(files_in(&testdata("fixtures").join("b2nd"), ".b2nd"));
    for p in paths {
        let bytes = std::fs::read(&p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let flips = if bytes.len() > 20_000 { 150 } else { 400 };
        n += corrupt_frame(&name, &bytes, flips);
        frames += 1;
    }
    // The frame embedded at offset 1000 of a file, read in place.
    let embedded = std::fs::read(testdata("fixtures").join("frames/embedded-at-offset-1000.bin")).unwrap();
    n += corrupt_frame("embedded", &embedded[1000..], 200);
    eprintln!("{frames} frame fixtures, {n} corrupted inputs");
    assert!(n > 50_000, "{n} inputs");
    limits::report();
}

#[test]
fn written_frames_survive_corruption() {
    let _g = alloc::lock();
    if limits::ran_in_child("written_frames_survive_corruption") {
        return;
    }
    let mut n = 0;
    for (name, bytes) in written_frames() {
        n += corrupt_frame(&name, &bytes, 3000);
    }
    eprintln!("{n} corrupted inputs");
    assert!(n > 6000);
    limits::report();
}

/// A sparse frame's index file (`chunks.b2frame`) and first chunk file: every cut and every
/// change of their bytes, opened from a directory.
#[test]
fn sparse_frames_survive_corruption() {
    let _g = alloc::lock();
    if limits::ran_in_child("sparse_frames_survive_corruption") {
        return;
    }
    let tmp = temp_dir!("corrupt-sparse");
    let mut n = 0;
    for src in [
        testdata("fixtures").join("sframes/schunk-sparse.b2frame"),
        testdata("fixtures").join("sframes/2d-float32-sparse.b2nd"),
    ] {
        let dir = tmp.0.join(src.file_name().unwrap());
        std::fs::create_dir_all(&dir).unwrap();
        let copy_all = || {
            for p in files_in(&src, "") {
                let to = dir.join(p.file_name().unwrap());
                let _ = std::fs::remove_file(&to);
                std::fs::copy(&p, &to).unwrap();
            }
        };
        for file in ["chunks.b2frame", "00000000.chunk"] {
            let original = std::fs::read(src.join(file)).unwrap();
            let limit = if file == "chunks.b2frame" { original.len() } else { 64.min(original.len()) };
            let mut inputs: Vec<(String, Vec<u8>)> =
                (0..limit).map(|c| (format!("cut {c}"), original[..c].to_vec())).collect();
            inputs.extend(
                corrupt::byte_changes(&original, 0..limit).map(|(at, k, b)| (format!("change {k} at {at}"), b)),
            );
            for (label, b) in inputs {
                copy_all();
                // The copies keep the fixtures' read-only mode: replace, do not overwrite.
                std::fs::remove_file(dir.join(file)).unwrap();
                std::fs::write(dir.join(file), &b).unwrap();
                let what = format!("{}/{file}: {label}", src.display());
                let (r, cost) = alloc::measure(|| -> Result<(), Error> {
                    let f = Frame::open(&dir)?;
                    for i in 0..f.nchunks().min(8) {
                        if f.chunk_info(i)?.nbytes <= DECODE_LIMIT {
                            f.decompress_chunk(i)?;
                        }
                    }
                    Ok(())
                });
                alloc::check(cost, DECODE_LIMIT, &what);
                if let Err(e) = r {
                    assert_typed!(e, &what);
                }
                n += 1;
            }
        }
    }
    assert!(n > 2000, "{n} inputs");
    limits::report();
}

/// The allocator measures what it should (otherwise every bound above is vacuous).
#[test]
fn counting_allocator_sees_allocations() {
    let _g = alloc::lock();
    // Other threads of the test harness may free a few bytes while we measure: allow a
    // page of slack below the exact figure.
    let slack = 4096;
    let (v, cost) = alloc::measure(|| vec![1u8; 3 << 20]);
    assert!(cost.peak >= (3 << 20) - slack, "{cost:?}");
    drop(v);
    let (_, cost) =
        alloc::measure(|| chunk::decompress(&chunk::special::zeros(&CompressParams::default(), 5 << 20).unwrap()));
    assert!(cost.peak >= (5 << 20) - slack, "{cost:?}");
}

/// Every one of the 255 other values at every header position: the 32-byte headers of the
/// documentation chunks, and the header and tail (offsets and trailer) of a small frame.
#[test]
fn every_value_of_every_header_byte() {
    let _g = alloc::lock();
    if limits::ran_in_child("every_value_of_every_header_byte") {
        return;
    }
    let mut n = 0;
    for p in files_in(&testdata("fixtures").join("chunks/doc"), ".chunk") {
        let bytes = std::fs::read(&p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        for (at, v, b) in corrupt::other_values(&bytes, 0..32.min(bytes.len())) {
            run_chunk(&b, &format!("{name}: byte {at} = {v}"));
            n += 1;
        }
    }
    let bytes = std::fs::read(testdata("fixtures").join("frames/schunk-basic-lz4.b2frame")).unwrap();
    let st = frame_structure(&bytes);
    for (at, v, b) in corrupt::other_values(&bytes, [st[0].clone(), st[1].clone()].into_iter().flatten()) {
        run_frame(b, &format!("schunk-basic-lz4: byte {at} = {v}"));
        n += 1;
    }
    eprintln!("{n} inputs");
    assert!(n > 50_000, "{n}");
    limits::report();
}

/// Inputs the fuzz targets once failed on (`testdata/regressions/TARGET/`), replayed with
/// the same memory bound as the corruption suite.
#[test]
fn fuzz_regressions_stay_fixed() {
    let _g = alloc::lock();
    if limits::ran_in_child("fuzz_regressions_stay_fixed") {
        return;
    }
    let root = testdata("regressions");
    let mut n = 0;
    for dir in files_in_dirs(&root) {
        let target = dir.file_name().unwrap().to_string_lossy().into_owned();
        for p in files_in(&dir, "") {
            let bytes = std::fs::read(&p).unwrap();
            let what = p.display();
            match target.as_str() {
                "frame_open" => run_frame(bytes, &what),
                "chunk_decompress" => run_chunk(&bytes, &what),
                other => panic!("no replay for fuzz target {other}"),
            }
            n += 1;
        }
    }
    assert!(n > 0, "no regression inputs found under {}", root.display());
    limits::report();
}
