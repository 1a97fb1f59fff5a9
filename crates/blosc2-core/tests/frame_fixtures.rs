//! Every frame, sparse-frame and b2nd fixture written by python-blosc2 4.14.1 opens, from a
//! file, from memory and through a memory map, and its layout, offsets, chunks, metalayers and vlmetalayers equal
//! the manifest; frames rebuilt from their parts equal the fixture bytes where C-Blosc2's
//! output is deterministic.

use blosc2_core::chunk::SpecialKind;
use blosc2_core::frame::{Frame, FrameType};
use blosc2_testkit::fs::testdata;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn manifest() -> Value {
    let text = std::fs::read_to_string(testdata("fixtures").join("manifest.json")).expect("manifest.json");
    serde_json::from_str(&text).expect("valid JSON")
}

fn frame_entries() -> Vec<Value> {
    let m = manifest();
    let v: Vec<Value> = m["files"].as_array().unwrap().iter().filter(|f| f["kind"] != "chunk").cloned().collect();
    assert!(v.len() >= 30, "expected every frame fixture, found {}", v.len());
    v
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn manifest_offset(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap(),
        Value::String(s) => u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap() as i64,
        _ => panic!("bad offset {v}"),
    }
}

fn special_name(k: Option<SpecialKind>) -> &'static str {
    k.map_or("none", SpecialKind::python_name)
}

fn open_entry(e: &Value) -> Frame {
    let path = testdata("fixtures").join(e["path"].as_str().unwrap());
    let offset = e["offset"].as_u64().unwrap_or(0);
    Frame::open_at(&path, offset).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn check_frame(name: &str, e: &Value, f: &Frame) {
    let nchunks = e["nchunks"].as_u64().unwrap();
    assert_eq!(f.nchunks(), nchunks, "{name}");
    assert_eq!(i64::from(f.header().chunksize), e["chunksize"].as_i64().unwrap(), "{name}");
    assert_eq!(f.header().typesize as u64, e["typesize"].as_u64().unwrap(), "{name}");
    if let Some(l) = e.get("layout") {
        let h = f.header();
        assert_eq!(h.header_len as u64, l["header_len"].as_u64().unwrap(), "{name}");
        assert_eq!(h.frame_len, l["frame_len"].as_u64().unwrap(), "{name}");
        assert_eq!(f.trailer_len(), l["trailer_len"].as_u64().unwrap(), "{name}");
        assert_eq!(format!("{:#04x}", h.general_flags), l["general_flags"].as_str().unwrap(), "{name}");
        assert_eq!(h.nbytes, l["nbytes"].as_u64().unwrap(), "{name}");
        assert_eq!(h.cbytes, l["cbytes"].as_u64().unwrap(), "{name}");
        assert_eq!(h.blocksize as u64, l["blocksize"].as_u64().unwrap(), "{name}");
        let ft = if h.frame_type == FrameType::Sparse { 1 } else { 0 };
        assert_eq!(ft, l["frame_type"].as_u64().unwrap(), "{name}");
    }
    if let Some(offs) = e.get("offsets").and_then(Value::as_array) {
        let want: Vec<i64> = offs.iter().map(manifest_offset).collect();
        assert_eq!(f.offsets().to_vec().unwrap(), want, "{name}");
    }
    // Metalayers: plain frames list raw bytes; b2nd arrays have "b2nd" plus user layers.
    let mut metas: Vec<(String, String)> = Vec::new();
    if let Some(hexs) = e.get("b2nd_metalayer_hex").and_then(Value::as_str) {
        metas.push(("b2nd".into(), hexs.into()));
    }
    for key in ["metalayers", "other_metalayers"] {
        if let Some(m) = e.get(key).and_then(Value::as_object) {
            for (k, v) in m {
                metas.push((k.clone(), v["raw_hex"].as_str().unwrap().to_string()));
            }
        }
    }
    assert_eq!(f.metalayers().len(), metas.len(), "{name}: metalayer count");
    for (k, hexs) in &metas {
        let got = f.metalayers().get(k).unwrap_or_else(|| panic!("{name}: no metalayer {k}"));
        assert_eq!(hex::encode(got), *hexs, "{name}: metalayer {k}");
    }
    let names: Vec<&str> = f.metalayers().iter().map(|(n, _)| n).collect();
    if e.get("b2nd_metalayer_hex").is_some() {
        assert_eq!(names[0], "b2nd", "{name}: b2nd comes first");
    }
    if let Some(vl) = e.get("vlmetalayers").and_then(Value::as_object) {
        assert_eq!(f.vlmetalayers().len(), vl.len(), "{name}: vlmetalayer count");
        for (k, v) in vl {
            let got = f.vlmetalayers().get(k).unwrap_or_else(|err| panic!("{name}: vlmeta {k}: {err}"));
            if let Some(hexs) = v.get("msgpack_hex").and_then(Value::as_str) {
                assert_eq!(hex::encode(&got), hexs, "{name}: vlmetalayer {k}");
            }
            blosc2_core::schunk::meta::unpack_value(k, &got).unwrap();
        }
    }
    // Chunks: per-chunk manifest entries (plain frames) or chunk_sha256 lists (b2nd).
    let mut all = Vec::new();
    let mut content_defined = true;
    for i in 0..nchunks {
        let info = f.chunk_info(i).unwrap_or_else(|err| panic!("{name}: chunk {i} info: {err}"));
        let data = f.decompress_chunk(i).unwrap_or_else(|err| panic!("{name}: chunk {i}: {err}"));
        assert_eq!(data.len(), info.nbytes, "{name}: chunk {i}");
        if let Some(c) = e.get("chunks").and_then(Value::as_array).and_then(|c| c.get(i as usize)) {
            if c.is_object() {
                assert_eq!(info.nbytes as u64, c["nbytes"].as_u64().unwrap(), "{name}: chunk {i}");
                assert_eq!(info.cbytes as u64, c["cbytes"].as_u64().unwrap(), "{name}: chunk {i}");
                assert_eq!(special_name(info.special), c["special"].as_str().unwrap(), "{name}: chunk {i}");
                match c["sha256"].as_str() {
                    Some(s) => assert_eq!(sha256_hex(&data), s, "{name}: chunk {i}"),
                    None => content_defined = false,
                }
            }
        }
        if let Some(s) = e.get("chunk_specials").and_then(Value::as_array) {
            assert_eq!(special_name(info.special), s[i as usize].as_str().unwrap(), "{name}: chunk {i}");
        }
        if let Some(s) = e.get("chunk_sha256").and_then(Value::as_array) {
            match s[i as usize].as_str() {
                Some(s) => assert_eq!(sha256_hex(&data), s, "{name}: chunk {i}"),
                None => content_defined = false,
            }
        }
        all.extend_from_slice(&data);
    }
    if e["kind"] != "b2nd" && e["kind"] != "b2nd-sframe" && content_defined {
        if let Some(s) = e["sha256"].as_str() {
            assert_eq!(sha256_hex(&all), s, "{name}: all chunks");
        }
    }
    assert_eq!(all.len() as u64, f.header().nbytes, "{name}");
}

#[test]
fn every_frame_fixture_opens_and_matches_the_manifest() {
    let mut checked = 0;
    for e in frame_entries() {
        let name = e["path"].as_str().unwrap().to_string();
        let f = open_entry(&e);
        check_frame(&name, &e, &f);
        // The same frame from memory (contiguous frames only).
        let path = testdata("fixtures").join(&name);
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            let offset = e["offset"].as_u64().unwrap_or(0);
            let m = Frame::from_shared(std::sync::Arc::new(bytes), offset).unwrap();
            assert!(m.is_in_memory());
            check_frame(&name, &e, &m);
            // And through a memory map (frames at offset 0).
            #[cfg(feature = "mmap")]
            if offset == 0 {
                let m = Frame::open_mapped(&path).unwrap_or_else(|err| panic!("{name}: {err}"));
                assert!(m.is_mapped() && !f.is_mapped());
                check_frame(&name, &e, &m);
            }
        }
        checked += 1;
    }
    assert!(checked >= 30);
}

/// Damaged frame files read through a memory map give what positioned reads give: the
/// same chunks, or an error (never a crash: every range is checked against the length
/// mapped). Cuts at many lengths and bytes changed all along each fixture.
#[cfg(feature = "mmap")]
#[test]
fn damaged_frame_files_read_alike_through_a_memory_map() {
    let dir = std::env::temp_dir().join(format!("b2-mapped-damage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let read_all = |f: blosc2_core::Result<Frame>| -> Result<Vec<Vec<u8>>, String> {
        let f = f.map_err(|e| e.to_string())?;
        (0..f.nchunks()).map(|i| f.decompress_chunk(i).map_err(|e| e.to_string())).collect()
    };
    let mut cases = 0;
    for e in frame_entries() {
        let name = e["path"].as_str().unwrap();
        let path = testdata("fixtures").join(name);
        if !path.is_file() || e["offset"].as_u64().unwrap_or(0) != 0 {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        let mut variants: Vec<Vec<u8>> = (0..24).map(|k| bytes[..n * k / 24].to_vec()).collect();
        for k in 0..48 {
            let mut b = bytes.clone();
            let at = (k * 7919 + 13) % n;
            b[at] ^= 0x5a;
            variants.push(b);
        }
        for (k, b) in variants.iter().enumerate() {
            let file = dir.join(format!("v{k}.b2frame"));
            std::fs::write(&file, b).unwrap();
            let plain = read_all(Frame::open(&file));
            let mapped = read_all(Frame::open_mapped(&file));
            assert_eq!(plain, mapped, "{name}, variant {k}");
            cases += 1;
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(cases > 500, "{cases} damaged files");
}

#[test]
fn chunk_into_reads_what_chunk_reads() {
    // Every fixture (files at an offset, sparse directories, special chunks), from a file,
    // through a map and from memory, whole and damaged: the same bytes or the same error,
    // with one buffer reused across chunks and files.
    let dir = std::env::temp_dir().join(format!("b2-chunk-into-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut buf = Vec::new();
    let mut same = |f: &Frame, what: &str| {
        for i in 0..f.nchunks() + 1 {
            let want = f.chunk(i).map(|c| c.into_owned()).map_err(|e| e.to_string());
            let got = f.chunk_into(i, &mut buf).map(|()| buf.clone()).map_err(|e| e.to_string());
            assert_eq!(got, want, "{what}: chunk {i}");
        }
    };
    let mut cases = 0;
    for e in frame_entries() {
        let name = e["path"].as_str().unwrap();
        let f = open_entry(&e);
        same(&f, name);
        let path = testdata("fixtures").join(name);
        if !path.is_file() || e["offset"].as_u64().unwrap_or(0) != 0 {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        same(&Frame::from_bytes(bytes.clone()).unwrap(), name);
        same(&Frame::open_mapped(&path).unwrap(), name);
        let n = bytes.len();
        for k in 0..16 {
            let mut b = bytes.clone();
            b[(k * 7919 + 13) % n] ^= 0x5a;
            let file = dir.join(format!("v{k}.b2frame"));
            std::fs::write(&file, &b).unwrap();
            if let Ok(f) = Frame::open(&file) {
                same(&f, &format!("{name}, variant {k}"));
                cases += 1;
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(cases > 100, "{cases} damaged files");
}

#[test]
fn sparse_fixture_uses_chunk_files() {
    let f = Frame::open(testdata("fixtures").join("sframes/schunk-sparse.b2frame")).unwrap();
    assert_eq!(f.header().frame_type, FrameType::Sparse);
    assert_eq!(f.chunk_info(1).unwrap().location, blosc2_core::frame::ChunkLocation::File(3));
    assert_eq!(f.chunk_info(4).unwrap().location, blosc2_core::frame::ChunkLocation::SpecialOffset);
    // The index alone is not a contiguous frame.
    let err = Frame::open(testdata("fixtures").join("sframes/schunk-sparse.b2frame/chunks.b2frame")).unwrap_err();
    assert!(matches!(err, blosc2_core::Error::InvalidFrame { .. }), "{err}");
}

#[test]
fn non_frames_say_so() {
    let err = Frame::open(testdata("fixtures").join("manifest.json")).unwrap_err();
    assert!(matches!(err, blosc2_core::Error::NotAFrame { .. }), "{err}");
    let err = Frame::open(testdata("fixtures").join("frames")).unwrap_err();
    assert!(matches!(err, blosc2_core::Error::NotAFrame { .. }), "{err}");
    let err = Frame::open(testdata("fixtures").join("does-not-exist")).unwrap_err();
    assert!(matches!(err, blosc2_core::Error::Io { .. }), "{err}");
    let err = Frame::open_at(testdata("fixtures").join("frames/embedded-at-offset-1000.bin"), 0).unwrap_err();
    assert!(matches!(err, blosc2_core::Error::NotAFrame { .. }), "{err}");
}

/// The manifest entry without the parts that depend on where chunks were placed.
fn without_layout(e: &Value) -> Value {
    let mut e = e.clone();
    e.as_object_mut().unwrap().remove("layout");
    e.as_object_mut().unwrap().remove("offsets");
    e
}

/// Frames whose chunks python-blosc2 placed out of order or left holes in (updates,
/// deletes): rebuilding them gives the same content in a different layout.
const REORDERED: [&str; 3] =
    ["frames/schunk-edited.b2frame", "b2nd/shrunk-float32.b2nd", "b2nd/sparse-mostly-zeros.b2nd"];

#[test]
fn rebuilt_frames_equal_the_fixture_bytes() {
    use blosc2_core::schunk::SChunk;
    let mut identical = 0;
    for e in frame_entries() {
        let name = e["path"].as_str().unwrap();
        let path = testdata("fixtures").join(name);
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let offset = e["offset"].as_u64().unwrap_or(0);
        let frame = Frame::from_shared(std::sync::Arc::new(bytes.clone()), offset).unwrap();
        let s = SChunk::from_frame(&frame).unwrap();
        let ours = s.to_cframe().unwrap();
        let original = &bytes[offset as usize..offset as usize + frame.header().frame_len as usize];
        if REORDERED.contains(&name) {
            let again = Frame::from_bytes(ours).unwrap();
            check_frame(name, &without_layout(&e), &again);
        } else {
            assert!(ours == original, "{name}: rebuilt frame differs");
            identical += 1;
        }
    }
    assert_eq!(identical, 28);
}

#[test]
fn rebuilt_sparse_frame_equals_the_fixture_files() {
    use blosc2_core::schunk::SChunk;
    let tmp = std::env::temp_dir().join(format!("b2-sparse-rebuild-{}", std::process::id()));
    let src = testdata("fixtures").join("sframes/2d-float32-sparse.b2nd");
    let s = SChunk::open(&src).unwrap();
    s.save_sparse(&tmp).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&src).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    let mut ours: Vec<_> = std::fs::read_dir(&tmp).unwrap().map(|e| e.unwrap().file_name()).collect();
    ours.sort();
    assert_eq!(names, ours);
    for n in names {
        assert!(std::fs::read(src.join(&n)).unwrap() == std::fs::read(tmp.join(&n)).unwrap(), "{n:?}");
    }
    // The other sparse fixture (chunk files out of order) rebuilds to the same content.
    let e = frame_entries().into_iter().find(|e| e["path"] == "sframes/schunk-sparse.b2frame").unwrap();
    SChunk::load(testdata("fixtures").join("sframes/schunk-sparse.b2frame")).unwrap().save_sparse(&tmp).unwrap();
    check_frame("rebuilt schunk-sparse", &without_layout(&e), &Frame::open(&tmp).unwrap());
    // And converts to a contiguous frame and back.
    let cf = SChunk::open(&tmp).unwrap().to_cframe().unwrap();
    check_frame("schunk-sparse as cframe", &without_layout(&e), &Frame::from_bytes(cf).unwrap());
    std::fs::remove_dir_all(&tmp).unwrap();
}

#[test]
fn opening_a_100k_chunk_frame_reads_only_metadata() {
    use blosc2_core::chunk::{CompressParams, SpecialKind};
    use blosc2_core::schunk::SChunk;
    let tmp = std::env::temp_dir().join(format!("b2-100k-{}.b2frame", std::process::id()));
    let mut s = SChunk::new(CompressParams { typesize: 8, ..CompressParams::default() });
    for i in 0..100_000u64 {
        if i % 10 == 3 {
            s.append_special(SpecialKind::Zeros, 8, &[]).unwrap();
        } else {
            s.append_buffer(&i.to_le_bytes()).unwrap();
        }
    }
    s.save(&tmp).unwrap();
    let t = std::time::Instant::now();
    let f = SChunk::open(&tmp).unwrap();
    let elapsed = t.elapsed();
    assert_eq!(f.nchunks(), 100_000);
    assert!(elapsed.as_millis() < 500, "opening took {elapsed:?}");
    assert_eq!(f.decompress_chunk(99_999).unwrap(), 99_999u64.to_le_bytes());
    assert_eq!(f.get_slice(12, 15).unwrap(), [12u64, 0, 14].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>());
    let t = std::time::Instant::now();
    let zeros = f.chunk_infos().filter(|i| i.as_ref().unwrap().special == Some(SpecialKind::Zeros)).count();
    assert_eq!(zeros, 10_000);
    assert!(t.elapsed().as_secs() < 5, "iterating chunk metadata took {:?}", t.elapsed());
    std::fs::remove_file(&tmp).unwrap();
}

#[test]
fn basic_frame_rebuilt_from_its_data_equals_the_fixture() {
    use blosc2_core::chunk::CompressParams;
    use blosc2_core::codec::CodecId;
    use blosc2_core::schunk::SChunk;
    let m = manifest();
    let e = m["files"].as_array().unwrap().iter().find(|f| f["path"] == "frames/schunk-basic-lz4.b2frame").unwrap();
    let fixture = std::fs::read(testdata("fixtures").join("frames/schunk-basic-lz4.b2frame")).unwrap();
    let mut s = SChunk::new(CompressParams { codec: CodecId::LZ4, typesize: 4, ..CompressParams::default() });
    // In creation order (serde_json sorts object keys).
    for name in ["m1", "abc"] {
        let v = hex::decode(e["metalayers"][name]["raw_hex"].as_str().unwrap()).unwrap();
        s.metalayers_mut().add(name, &v).unwrap();
    }
    let data: Vec<u8> = (0..4700i32).flat_map(|v| v.to_le_bytes()).collect();
    s.append_data(&data, 4000).unwrap();
    // Order of the trailer as written by python-blosc2.
    for name in ["vl1", "vl2", "tuple", "nested"] {
        let v = hex::decode(e["vlmetalayers"][name]["msgpack_hex"].as_str().unwrap()).unwrap();
        s.vlmetalayers_mut().set(name, &v).unwrap();
    }
    let ours = s.to_cframe().unwrap();
    assert_eq!(ours.len(), fixture.len());
    let diff: Vec<usize> = (0..ours.len()).filter(|&i| ours[i] != fixture[i]).collect();
    assert!(diff.is_empty(), "{} bytes differ, first at {:?}", diff.len(), diff.first());
}
