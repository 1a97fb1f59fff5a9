//! The opt-in per-chunk checksum table (`schunk::checksum`): kept current by every
//! mutation in memory, on disk (contiguous and sparse) and by the streaming writer;
//! every single-byte change of a small frame's chunk data is detected; python-blosc2 still
//! opens and reads frames that carry the table, and a chunk it appends shows up as a
//! table out of date.

use std::process::Command;

use blosc2_core::chunk::{CompressParams, SpecialKind};
use blosc2_core::codec::CodecId;
use blosc2_core::frame::{Frame, FrameWriter};
use blosc2_core::schunk::checksum::{self, Problem};
use blosc2_core::schunk::{Metalayers, SChunk};
use blosc2_core::Error;
use blosc2_testkit::data::{random_bytes, smooth_bytes};
use blosc2_testkit::python::python;
use blosc2_testkit::temp_dir;

fn params() -> CompressParams {
    CompressParams { codec: CodecId::LZ4, typesize: 4, ..CompressParams::default() }
}

fn data(k: u64, n: usize) -> Vec<u8> {
    // Half noise, half smooth: compresses, but not into a run.
    let mut v = random_bytes(n / 2, k);
    v.extend(smooth_bytes(n - n / 2));
    v
}

/// The table stored in the vlmetalayer must equal the sums of the chunks as stored.
fn assert_table_current(s: &SChunk) {
    let stored = checksum::decode_table(&s.vlmetalayers().get(checksum::NAME).unwrap()).unwrap();
    let actual: Vec<u32> = (0..s.nchunks()).map(|i| checksum::chunk_checksum(&s.chunk(i).unwrap())).collect();
    assert_eq!(stored, actual);
    assert_eq!(s.verify(true), None);
}

fn mutate(s: &mut SChunk) {
    s.append_buffer(&data(1, 4000)).unwrap();
    s.append_buffer(&data(2, 4000)).unwrap();
    s.append_special(SpecialKind::Zeros, 4000, &[]).unwrap();
    s.insert_buffer(1, &data(3, 4000)).unwrap();
    s.update_buffer(0, &data(4, 4000)).unwrap();
    s.delete_chunk(2).unwrap();
    let z = s.special_chunk(SpecialKind::Zeros, 4000, &[]).unwrap();
    s.append_chunk_repeated(z, 5).unwrap();
    s.set_slice(10, &[9; 8000]).unwrap();
}

#[test]
fn checksums_follow_every_mutation_in_memory_and_on_disk() {
    let tmp = temp_dir!("checksums-mut");
    let mut s = SChunk::new(params());
    s.append_buffer(&data(0, 4000)).unwrap();
    s.enable_checksums().unwrap();
    mutate(&mut s);
    let frame = s.to_cframe().unwrap();
    let loaded = SChunk::from_cframe(frame.clone()).unwrap();
    assert!(loaded.has_checksums());
    assert_table_current(&loaded);
    assert_eq!(loaded.nchunks(), s.nchunks());
    for sparse in [false, true] {
        let path = tmp.0.join(format!("f-{sparse}.b2frame"));
        let s = SChunk::from_cframe(frame.clone()).unwrap();
        let mut d = if sparse { s.into_sparse(&path).unwrap() } else { s.into_file(&path).unwrap() };
        assert!(d.has_checksums());
        mutate(&mut d);
        drop(d);
        let ro = SChunk::open(&path).unwrap();
        assert!(ro.has_checksums());
        assert_table_current(&ro);
        assert_eq!(ro.nchunks(), 2 * loaded.nchunks() - 1);
    }
    // Turning them off removes the table.
    let mut s = SChunk::from_cframe(frame).unwrap();
    s.disable_checksums();
    assert!(!SChunk::from_cframe(s.to_cframe().unwrap()).unwrap().vlmetalayers().contains(checksum::NAME));
}

#[test]
fn the_streaming_writer_records_checksums() {
    let tmp = temp_dir!("checksums-writer");
    for sparse in [false, true] {
        let path = tmp.0.join(format!("w-{sparse}.b2frame"));
        let mut w = FrameWriter::create(&path, params(), Metalayers::new(), sparse).unwrap();
        w.enable_checksums().unwrap();
        for k in 0..5 {
            w.append_buffer(&data(k, 4000)).unwrap();
        }
        w.append_buffer(&[0; 4000]).unwrap();
        w.append_buffer(&data(9, 1000)).unwrap();
        assert!(w.enable_checksums().is_err(), "too late once chunks exist");
        w.finish().unwrap();
        let s = SChunk::open(&path).unwrap();
        assert!(s.has_checksums());
        assert_eq!(s.nchunks(), 7);
        assert_table_current(&s);
        // The writer's frame equals the one a super-chunk with checksums saves.
        let mut m = SChunk::new(params());
        m.enable_checksums().unwrap();
        for k in 0..5 {
            m.append_buffer(&data(k, 4000)).unwrap();
        }
        m.append_buffer(&[0; 4000]).unwrap();
        m.append_buffer(&data(9, 1000)).unwrap();
        if !sparse {
            assert_eq!(std::fs::read(&path).unwrap(), m.to_cframe().unwrap());
        }
    }
}

/// Every byte of the chunks section of a small frame, changed two ways: each change is
/// found, in the chunk that holds the byte, by `verify` and by verified reads.
#[test]
fn every_single_byte_change_in_chunk_data_is_detected() {
    let mut s = SChunk::new(params());
    s.enable_checksums().unwrap();
    for k in 0..3 {
        s.append_buffer(&data(k, 600)).unwrap();
    }
    let frame = s.to_cframe().unwrap();
    let f = Frame::from_bytes(frame.clone()).unwrap();
    let start = f.header().header_len;
    let end = start + f.header().cbytes as usize;
    // Chunk boundaries, walking the chunks in file order.
    let mut bounds = vec![start];
    for i in 0..3 {
        bounds.push(bounds[i] + s.chunk(i as u64).unwrap().len());
    }
    assert_eq!(bounds[3], end);
    let mut checked = 0;
    for at in start..end {
        let chunk = (bounds.iter().rposition(|&b| b <= at).unwrap()) as u64;
        for mask in [0xffu8, 0x01] {
            let mut b = frame.clone();
            b[at] ^= mask;
            checked += 1;
            // A change that breaks the structure is detected by opening.
            let Ok(mut bad) = SChunk::from_cframe(b) else { continue };
            let problem = bad.verify(false).unwrap_or_else(|| panic!("byte {at} ^ {mask:#x}: not detected"));
            match &problem {
                Problem::Checksum { index, .. } | Problem::Chunk { index, .. } => {
                    assert_eq!(*index, chunk, "byte {at}: {problem}")
                }
                Problem::Nbytes { .. } => {}
                other => panic!("byte {at}: unexpected {other}"),
            }
            bad.set_verify_reads(true);
            let r = (0..3).try_for_each(|i| bad.decompress_chunk(i).map(drop));
            assert!(r.is_err(), "byte {at} ^ {mask:#x}: verified reads missed it");
        }
    }
    assert!(checked > 3000, "{checked}");
}

#[test]
fn verified_reads_report_the_chunk() {
    let mut s = SChunk::new(params());
    s.enable_checksums().unwrap();
    s.append_buffer(&data(0, 4000)).unwrap();
    s.append_buffer(&data(1, 4000)).unwrap();
    let mut frame = s.to_cframe().unwrap();
    let f = Frame::from_bytes(frame.clone()).unwrap();
    let second = f.header().header_len + s.chunk(0).unwrap().len() + 100;
    frame[second] ^= 0x10;
    let mut bad = SChunk::from_cframe(frame).unwrap();
    // Unverified reads see whatever the bytes decode to; verified ones refuse.
    bad.set_verify_reads(true);
    assert!(bad.decompress_chunk(0).is_ok());
    match bad.decompress_chunk(1) {
        Err(Error::ChecksumMismatch { index: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(bad.verify(false), Some(Problem::Checksum { index: 1, .. })));
}

#[test]
fn python_blosc2_reads_frames_with_checksums_and_appends_to_them() {
    let tmp = temp_dir!("checksums-py");
    let path = tmp.0.join("c.b2frame");
    let mut s = SChunk::new(params());
    s.enable_checksums().unwrap();
    s.vlmetalayers_mut().set_value("user", &rmpv::Value::from("kept")).unwrap();
    let mut all = Vec::new();
    for k in 0..4 {
        let d = data(k, 4000);
        s.append_buffer(&d).unwrap();
        all.extend(d);
    }
    s.save(&path).unwrap();
    std::fs::write(tmp.0.join("c.raw"), &all).unwrap();
    let script = r#"
import sys, blosc2
path, raw = sys.argv[1], sys.argv[2]
s = blosc2.open(path, mode="a")
want = open(raw, "rb").read()
got = b"".join(bytes(s.decompress_chunk(i)) for i in range(s.nchunks))
assert got == want, "data differs"
meta = s.vlmeta.getall()
assert meta["user"] == "kept", meta
assert meta["checksums"]["algorithm"] == "crc32", meta["checksums"]
assert len(meta["checksums"]["sums"]) == 4 * s.nchunks
s.append_data(b"\x01" * 4000)
"#;
    let out = Command::new(python()).args(["-c", script]).arg(&path).arg(tmp.0.join("c.raw")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // python-blosc2 appended a chunk without a checksum: verify says so, and our writers
    // refuse to record sums on top of a stale table.
    let s = SChunk::open(&path).unwrap();
    assert_eq!(s.nchunks(), 5);
    assert_eq!(s.verify(true), Some(Problem::TableLength { chunks: 5, sums: 4 }));
    let mut m = SChunk::open_mut(&path).unwrap();
    assert!(matches!(m.append_buffer(&data(7, 4000)), Err(Error::Metalayer { .. })));
    // Rebuilding trusts the chunks as they are.
    m.disable_checksums();
    m.enable_checksums().unwrap();
    m.append_buffer(&data(7, 4000)).unwrap();
    drop(m);
    assert_eq!(SChunk::open(&path).unwrap().verify(true), None);
}
