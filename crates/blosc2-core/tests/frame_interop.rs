//! Frames cross between this crate and python-blosc2 4.14.1 (C-Blosc2 3.3.5) both ways:
//! python-blosc2 opens our contiguous frames, sparse frames and in-memory cframes and
//! reads the same chunks, items, metalayers and vlmetalayers; we open the frames it writes
//! after appends, inserts, updates, deletes and special chunks.

use blosc2_core::chunk::{CompressParams, SpecialKind};
use blosc2_core::codec::CodecId;
use blosc2_core::frame::Frame;
use blosc2_core::schunk::meta::pack_value;
use blosc2_core::schunk::SChunk;
use blosc2_testkit::python::run_python;
use blosc2_testkit::{python_script, temp_dir};
use rmpv::Value as Mp;
use serde_json::{json, Value};

fn i32_bytes(it: impl Iterator<Item = i32>) -> Vec<u8> {
    it.flat_map(|v| v.to_le_bytes()).collect()
}

fn lz4_params() -> CompressParams {
    CompressParams { codec: CodecId::LZ4, typesize: 4, ..CompressParams::default() }
}

/// A super-chunk with regular, special (zeros, NaN, value) and short chunks, metalayers
/// and vlmetalayers.
fn build_basic() -> SChunk {
    let mut s = SChunk::new(lz4_params());
    s.metalayers_mut().add_value("m1", &Mp::Array(vec![1.into(), 2.into(), 3.into()])).unwrap();
    s.metalayers_mut().add_value("abc", &Mp::from("hello")).unwrap();
    s.append_buffer(&i32_bytes(0..1000)).unwrap();
    s.append_special(SpecialKind::Zeros, 4000, &[]).unwrap();
    s.append_buffer(&i32_bytes((0..1000).map(|v| v * 7 - 3000))).unwrap();
    s.append_special(SpecialKind::Nan, 4000, &[]).unwrap();
    s.append_special(SpecialKind::Value, 4000, &2.25f32.to_le_bytes()).unwrap();
    s.insert_buffer(1, &i32_bytes((0..1000).map(|v| v % 13))).unwrap();
    s.append_buffer(&i32_bytes(0..300)).unwrap();
    let vl = s.vlmetalayers_mut();
    vl.set_value("vl1", &Mp::Map(vec![(Mp::from("a"), Mp::from(1))])).unwrap();
    vl.set_value("tuple", &Mp::Array(vec![Mp::from("__tuple__"), 1.into(), "two".into(), Mp::F64(3.0)])).unwrap();
    vl.set_value("gone", &Mp::Nil).unwrap();
    vl.set_value("big", &Mp::Binary((0..200u8).collect())).unwrap();
    vl.delete("gone").unwrap();
    s
}

fn build_variable() -> SChunk {
    let mut s = SChunk::new(lz4_params());
    for n in [100, 50, 100, 300] {
        s.append_buffer(&i32_bytes(0..n)).unwrap();
    }
    s.update_buffer(1, &i32_bytes(0..75)).unwrap();
    s.delete_chunk(2).unwrap();
    assert_eq!(s.chunksize(), 0);
    s
}

/// Changes a super-chunk the way the C tests do: append, insert, update, delete, special
/// chunks and vlmetalayers.
fn edit(s: &mut SChunk) {
    s.update_buffer(0, &i32_bytes((0..1000).rev())).unwrap();
    s.insert_special(2, SpecialKind::Zeros, 4000, &[]).unwrap();
    s.delete_chunk(4).unwrap();
    s.insert_buffer(3, &i32_bytes((0..1000).map(|v| v * v))).unwrap();
    s.vlmetalayers_mut().set_value("edited", &Mp::Boolean(true)).unwrap();
    // A metalayer added to a frame on disk: the header grows (contiguous frames are
    // rewritten atomically by the flush).
    s.metalayers_mut().add_value("added", &Mp::from("later")).unwrap();
    s.flush().unwrap();
    s.append_buffer(&i32_bytes(0..1000)).unwrap();
}

fn content(s: &SChunk) -> Vec<u8> {
    (0..s.nchunks()).flat_map(|i| s.decompress_chunk(i).unwrap()).collect()
}

fn describe(name: &str, path: &str, s: &SChunk, slices: &[(u64, u64)], cframe: bool, dir: &std::path::Path) -> Value {
    let cpath = format!("{name}.content");
    std::fs::write(dir.join(&cpath), content(s)).unwrap();
    let metas: Vec<Value> = s.metalayers().iter().map(|(n, c)| json!([n, hex::encode(c)])).collect();
    let vls: Vec<Value> =
        s.vlmetalayers().names().map(|n| json!([n, hex::encode(s.vlmetalayers().get(n).unwrap())])).collect();
    json!({"name": name, "path": path, "cframe": cframe, "content": cpath, "nchunks": s.nchunks(),
           "slices": slices, "metalayers": metas, "vlmetalayers": vls})
}

#[test]
fn frames_cross_both_ways_with_python_blosc2() {
    let dir = temp_dir!("frame-interop");
    let d = &dir.0;
    let basic = build_basic();
    let variable = build_variable();
    basic.save(d.join("ours-basic.b2frame")).unwrap();
    basic.save_sparse(d.join("ours-sparse.b2frame")).unwrap();
    std::fs::write(d.join("ours-cframe.bin"), basic.to_cframe().unwrap()).unwrap();
    variable.save(d.join("ours-variable.b2frame")).unwrap();
    // Frames changed in place on disk (holes, special offsets, materialized specials).
    let mut disk = build_basic().into_file(d.join("ours-disk.b2frame")).unwrap();
    edit(&mut disk);
    let mut disk_sparse = build_basic().into_sparse(d.join("ours-disk-sparse.b2frame")).unwrap();
    edit(&mut disk_sparse);
    let mut model = build_basic();
    edit(&mut model);
    assert_eq!(content(&disk), content(&model));
    assert_eq!(content(&disk_sparse), content(&model));
    let slices = [(0u64, 10u64), (990, 1010), (2500, 6300), (0, 7300)];
    let cases = json!([
        describe("ours-basic", "ours-basic.b2frame", &basic, &slices, false, d),
        describe("ours-sparse", "ours-sparse.b2frame", &basic, &slices, false, d),
        describe("ours-cframe", "ours-cframe.bin", &basic, &slices, true, d),
        describe("ours-variable", "ours-variable.b2frame", &variable, &[], false, d),
        describe("ours-disk", "ours-disk.b2frame", &disk, &[], false, d),
        describe("ours-disk-sparse", "ours-disk-sparse.b2frame", &disk_sparse, &[], false, d),
    ]);
    std::fs::write(d.join("ours.json"), serde_json::to_vec(&cases).unwrap()).unwrap();
    // Our own reading of what we wrote, lazily and loaded.
    for (p, s) in
        [("ours-basic.b2frame", &basic), ("ours-sparse.b2frame", &basic), ("ours-variable.b2frame", &variable)]
    {
        let lazy = SChunk::open(d.join(p)).unwrap();
        assert_eq!(content(&lazy), content(s), "{p}");
        assert_eq!(lazy.get_slice(0, 10).unwrap(), content(s)[..40], "{p}");
    }

    run_python(python_script!("frame_interop.py"), &[d.as_os_str()]);

    let results: Value = serde_json::from_slice(&std::fs::read(d.join("results.json")).unwrap()).unwrap();
    let failures = results["failures"].as_array().unwrap();
    assert!(failures.is_empty(), "python-blosc2 disagrees:\n{failures:#?}");
    assert_eq!(results["checked"], 6);

    let theirs: Value = serde_json::from_slice(&std::fs::read(d.join("theirs.json")).unwrap()).unwrap();
    let theirs = theirs.as_array().unwrap();
    assert_eq!(theirs.len(), 6);
    for t in theirs {
        let name = t["name"].as_str().unwrap();
        let path = d.join(t["path"].as_str().unwrap());
        let frame = if t["cframe"].as_bool().unwrap() {
            Frame::from_bytes(std::fs::read(&path).unwrap()).unwrap()
        } else {
            Frame::open(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let expected = std::fs::read(d.join(t["content"].as_str().unwrap())).unwrap();
        assert_eq!(frame.nchunks(), t["nchunks"].as_u64().unwrap(), "{name}");
        let got: Vec<u8> = (0..frame.nchunks()).flat_map(|i| frame.decompress_chunk(i).unwrap()).collect();
        assert_eq!(got, expected, "{name}: chunks");
        let metas: Vec<Value> = frame.metalayers().iter().map(|(n, c)| json!([n, hex::encode(c)])).collect();
        assert_eq!(Value::Array(metas), t["metalayers"], "{name}: metalayers");
        let vls: Vec<Value> = frame
            .vlmetalayers()
            .names()
            .map(|n| json!([n, hex::encode(frame.vlmetalayers().get(n).unwrap())]))
            .collect();
        assert_eq!(Value::Array(vls), t["vlmetalayers"], "{name}: vlmetalayers");
        // Through a mutable super-chunk and back to a frame of ours.
        let s = SChunk::from_frame(&frame).unwrap();
        assert_eq!(i64::from(s.chunksize()), t["chunksize"].as_i64().unwrap(), "{name}");
        let again = Frame::from_bytes(s.to_cframe().unwrap()).unwrap();
        let got: Vec<u8> = (0..again.nchunks()).flat_map(|i| again.decompress_chunk(i).unwrap()).collect();
        assert_eq!(got, expected, "{name}: rewritten");
        assert_eq!(again.metalayers(), frame.metalayers(), "{name}");
        assert_eq!(again.vlmetalayers(), frame.vlmetalayers(), "{name}");
    }
    // A value python-blosc2 packed decodes with our msgpack helpers.
    let edited = Frame::open(d.join("theirs-edited.b2frame")).unwrap();
    let note = edited.vlmetalayers().get_value("note").unwrap();
    assert_eq!(pack_value("note", &note).unwrap(), edited.vlmetalayers().get("note").unwrap());
}
