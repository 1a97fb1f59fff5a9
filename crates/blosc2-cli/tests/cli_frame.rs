//! The `blosc2 compress|decompress|info` commands: round trips through contiguous and
//! sparse frames, `info --json` against the fixtures' manifest, python-blosc2 reading
//! what `blosc2 compress` wrote, and one-line errors with exit status 1.

use std::ffi::OsStr;
use std::process::Command;

use serde_json::Value;

mod common;
use blosc2_testkit::data::{smooth_bytes, Rand, XorShift64};
use blosc2_testkit::fs::testdata;
use blosc2_testkit::python::python;
use blosc2_testkit::temp_dir;
use common::{blosc2, compress_args, info_json, ok, p};

#[test]
fn compress_and_decompress_round_trip_contiguous_and_sparse() {
    let t = temp_dir!("cli-frame-roundtrip");
    // Sizes: empty, below one chunk, exactly two chunks, two and a bit; plus zeros, which
    // become special chunks.
    let mut cases: Vec<(String, Vec<u8>)> = [0usize, 1000, 2 * 65_536, 2 * 65_536 + 12_345]
        .iter()
        .map(|&n| (format!("smooth{n}"), smooth_bytes(n)))
        .collect();
    let mut z = smooth_bytes(65_536);
    z.extend(vec![0u8; 3 * 65_536]);
    z.extend(smooth_bytes(100));
    cases.push(("zeros".into(), z));
    for (name, data) in &cases {
        let input = t.0.join(format!("{name}.bin"));
        std::fs::write(&input, data).unwrap();
        for sparse in [false, true] {
            for codec in ["zstd", "lz4", "blosclz"] {
                let frame = t.0.join(format!("{name}-{codec}-{sparse}.b2frame"));
                let out = t.0.join(format!("{name}-{codec}-{sparse}.out"));
                let mut args = compress_args(&input, &frame, codec, "8");
                args.extend(["--nthreads", "2"].map(OsStr::new));
                if sparse {
                    args.push("--sparse".as_ref());
                }
                ok(&args);
                assert_eq!(frame.is_dir(), sparse);
                ok(&[OsStr::new("decompress"), p(&frame), p(&out)]);
                assert_eq!(std::fs::read(&out).unwrap(), *data, "{name} {codec} sparse={sparse}");
                let j = info_json(&frame);
                assert_eq!(j["nchunks"].as_u64().unwrap(), data.len().div_ceil(65_536) as u64);
                assert_eq!(j["header"]["nbytes"].as_u64().unwrap(), data.len() as u64);
                assert_eq!(j["header"]["codec"], codec);
                assert_eq!(j["header"]["frame_type"], if sparse { "sparse" } else { "contiguous" });
                if name == "zeros" {
                    let specials: Vec<&str> =
                        j["chunks"].as_array().unwrap().iter().map(|c| c["special"].as_str().unwrap()).collect();
                    assert_eq!(specials, ["none", "zero", "zero", "zero", "none"]);
                }
            }
        }
    }
    // Writing over an existing frame replaces it.
    let input = t.0.join("smooth1000.bin");
    let frame = t.0.join("smooth1000-zstd-true.b2frame");
    ok(&[
        OsStr::new("compress"),
        p(&input),
        p(&frame),
        OsStr::new("--sparse"),
        OsStr::new("--chunksize"),
        OsStr::new("100"),
    ]);
    assert_eq!(info_json(&frame)["nchunks"], 10);
    assert_eq!(std::fs::read_dir(&frame).unwrap().count(), 11, "old chunk files are gone");
    // The default chunk size is 8 MiB.
    let big = t.0.join("big.bin");
    std::fs::write(&big, smooth_bytes((8 << 20) + 5)).unwrap();
    let frame = t.0.join("big.b2frame");
    ok(&[OsStr::new("compress"), p(&big), p(&frame)]);
    let j = info_json(&frame);
    assert_eq!(j["header"]["chunksize"], 8 << 20);
    assert_eq!(j["nchunks"], 2);
}

/// The fields of the manifest's `layout` that `info --json` reports.
fn check_against_manifest(entry: &Value) {
    let path = testdata("fixtures").join(entry["path"].as_str().unwrap());
    let j = info_json(&path);
    let name = entry["path"].as_str().unwrap();
    let l = &entry["layout"];
    let h = &j["header"];
    for k in ["header_len", "frame_len", "nbytes", "cbytes", "blocksize", "chunksize", "typesize"] {
        assert_eq!(h[k], l[k], "{name}: {k}");
    }
    assert_eq!(j["trailer_len"], l["trailer_len"], "{name}");
    assert_eq!(h["general_flags"], l["general_flags"], "{name}");
    assert_eq!(h["frame_type"], if l["frame_type"] == 1 { "sparse" } else { "contiguous" }, "{name}");
    assert_eq!(j["nchunks"], entry["nchunks"], "{name}");
    if let Some(cp) = entry["params"].get("cparams") {
        assert_eq!(h["codec"], cp["codec_name"], "{name}");
        assert_eq!(h["clevel"], cp["clevel"], "{name}");
        let slots: Vec<u64> = cp["filters"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        let listed: Vec<(u64, u64)> = h["filters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["slot"].as_u64().unwrap(), f["id"].as_u64().unwrap()))
            .collect();
        let want: Vec<(u64, u64)> =
            slots.iter().enumerate().filter(|(_, &id)| id != 0).map(|(k, &id)| (k as u64, id)).collect();
        assert_eq!(listed, want, "{name}: filters");
    }
    // Chunk table.
    let chunks = j["chunks"].as_array().unwrap();
    for (k, c) in entry["chunks"].as_array().unwrap().iter().enumerate() {
        if c.is_object() {
            assert_eq!(chunks[k]["nbytes"], c["nbytes"], "{name}: chunk {k}");
            assert_eq!(chunks[k]["cbytes"], c["cbytes"], "{name}: chunk {k}");
            assert_eq!(chunks[k]["special"], c["special"], "{name}: chunk {k}");
        }
    }
    if let Some(s) = entry.get("chunk_specials").and_then(Value::as_array) {
        let got: Vec<&Value> = chunks.iter().map(|c| &c["special"]).collect();
        assert_eq!(got, s.iter().collect::<Vec<_>>(), "{name}: specials");
    }
    // Metalayers: raw bytes, and a decoded value for msgpack ones.
    let metas = j["metalayers"].as_array().unwrap();
    let mut want: Vec<(String, String)> = Vec::new();
    if let Some(hx) = entry.get("b2nd_metalayer_hex").and_then(Value::as_str) {
        want.push(("b2nd".into(), hx.into()));
        assert_eq!(j["kind"], "b2nd", "{name}");
    } else {
        assert_eq!(j["kind"], "frame", "{name}");
    }
    for key in ["metalayers", "other_metalayers"] {
        if let Some(m) = entry.get(key).and_then(Value::as_object) {
            for (k, v) in m {
                want.push((k.clone(), v["raw_hex"].as_str().unwrap().into()));
            }
        }
    }
    assert_eq!(metas.len(), want.len(), "{name}: metalayers");
    for (k, hx) in want {
        let m = metas.iter().find(|m| m["name"] == k.as_str()).unwrap_or_else(|| panic!("{name}: no {k}"));
        assert_eq!(m["raw_hex"], hx.as_str(), "{name}: {k}");
        assert_eq!(m["size"], hx.len() / 2, "{name}: {k}");
        assert!(m.get("value").is_some(), "{name}: {k} decodes as msgpack");
    }
    if let Some(vl) = entry.get("vlmetalayers").and_then(Value::as_object) {
        let got = j["vlmetalayers"].as_array().unwrap();
        assert_eq!(got.len(), vl.len(), "{name}: vlmetalayers");
        for (k, v) in vl {
            let g = got.iter().find(|m| m["name"] == k.as_str()).unwrap_or_else(|| panic!("{name}: no vlmeta {k}"));
            if let Some(hx) = v.get("msgpack_hex").and_then(Value::as_str) {
                assert_eq!(g["size"], hx.len() / 2, "{name}: vlmeta {k}");
            }
            assert!(g.get("value").is_some(), "{name}: vlmeta {k}");
        }
    }
}

#[test]
fn info_json_matches_the_fixture_manifest() {
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("fixtures").join("manifest.json")).unwrap()).unwrap();
    let wanted = [
        "frames/schunk-special-chunks.b2frame",
        "frames/schunk-variable-chunks.b2frame",
        "frames/schunk-basic-lz4.b2frame",
        "frames/schunk-edited.b2frame",
        "sframes/schunk-sparse.b2frame",
        "b2nd/with-meta.b2nd",
        "b2nd/sparse-mostly-zeros.b2nd",
        "sframes/2d-float32-sparse.b2nd",
    ];
    for w in wanted {
        let e = m["files"].as_array().unwrap().iter().find(|f| f["path"] == w).unwrap_or_else(|| panic!("{w}"));
        check_against_manifest(e);
    }
    // Decoded values: the sparse fixture's metalayer and vlmetalayer are msgpack strings;
    // the repeated-value chunk shows its value; chunk locations name files.
    let j = info_json(&testdata("fixtures").join("sframes/schunk-sparse.b2frame"));
    assert_eq!(j["metalayers"][0]["value"], "sparse-demo");
    assert_eq!(j["vlmetalayers"][0]["value"], "sparse");
    assert_eq!(j["chunks"][1]["location"], "file 3");
    let j = info_json(&testdata("fixtures").join("frames/schunk-special-chunks.b2frame"));
    assert_eq!(j["chunks"][3]["value"], "00001040");
    assert_eq!(j["chunks"][1]["location"], "special offset");
    // The b2nd metalayer decodes to [version, ndim, shape, chunks, blocks, dtype format, dtype].
    let j = info_json(&testdata("fixtures").join("b2nd/1d-uint8.b2nd"));
    assert_eq!(j["metalayers"][0]["value"], serde_json::json!([0, 1, [1000], [300], [64], 0, "|u1"]));
    // Text output: header, metalayers and one row per chunk.
    let r = ok(&[OsStr::new("info"), p(&testdata("fixtures").join("frames/schunk-special-chunks.b2frame"))]);
    let text = String::from_utf8(r.stdout).unwrap();
    assert!(text.contains("chunksize: 4000"), "{text}");
    assert!(text.contains("value=00001040"), "{text}");
    assert_eq!(text.lines().filter(|l| l.contains("special offset")).count(), 2, "{text}");
}

#[test]
fn python_blosc2_reads_frames_written_by_blosc2_compress() {
    let py = python();
    let t = temp_dir!("cli-frame-python");
    let input = t.0.join("in.bin");
    let mut data = smooth_bytes(300_000);
    data.extend(vec![0u8; 100_000]);
    data.extend(smooth_bytes(12_345));
    std::fs::write(&input, &data).unwrap();
    let script = "import sys, hashlib, blosc2\n\
        s = blosc2.open(sys.argv[1])\n\
        h = hashlib.sha256()\n\
        for i in range(s.nchunks):\n    h.update(s.decompress_chunk(i))\n\
        print(s.nchunks, s.nbytes, s.chunksize, s.typesize, blosc2.Codec(s.cparams.codec).name, h.hexdigest())\n";
    for (sparse, codec) in [(false, "zstd"), (true, "lz4"), (false, "blosclz")] {
        let frame = t.0.join(format!("f-{sparse}-{codec}.b2frame"));
        let mut args: Vec<&OsStr> = vec![
            "compress".as_ref(),
            p(&input),
            p(&frame),
            "--chunksize".as_ref(),
            "100000".as_ref(),
            "--codec".as_ref(),
            codec.as_ref(),
            "--typesize".as_ref(),
            "4".as_ref(),
            "--filter".as_ref(),
            "bitshuffle".as_ref(),
        ];
        if sparse {
            args.push("--sparse".as_ref());
        }
        ok(&args);
        let out = Command::new(&py).args(["-c", script]).arg(&frame).output().unwrap();
        assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
        let sha = {
            use sha2::Digest;
            sha2::Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        let want = format!("5 {} 100000 4 {} {sha}", data.len(), codec.to_uppercase());
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), want, "sparse={sparse} {codec}");
    }
}

#[test]
fn bad_input_gives_one_line_and_status_1() {
    let t = temp_dir!("cli-frame-bad");
    let input = t.0.join("in.bin");
    std::fs::write(&input, smooth_bytes(50_000)).unwrap();
    let frame = t.0.join("f.b2frame");
    ok(&[OsStr::new("compress"), p(&input), p(&frame), OsStr::new("--chunksize"), OsStr::new("8192")]);
    let mut bytes = std::fs::read(&frame).unwrap();
    let len = bytes.len();
    let truncated = t.0.join("truncated.b2frame");
    std::fs::write(&truncated, &bytes[..len / 2]).unwrap();
    // A chunk header whose cbytes runs past the chunks section.
    let hl = u32::from_be_bytes(bytes[11..15].try_into().unwrap()) as usize;
    bytes[hl + 12..hl + 16].copy_from_slice(&u32::MAX.to_le_bytes());
    let damaged = t.0.join("damaged.b2frame");
    std::fs::write(&damaged, &bytes).unwrap();
    let b2nd = testdata("fixtures").join("b2nd/2d-int32.b2nd");
    let out = t.0.join("out.bin");
    let missing = t.0.join("missing");
    let cases: Vec<(Vec<&OsStr>, &str)> = vec![
        (vec!["decompress".as_ref(), p(&truncated), p(&out)], "truncated"),
        (vec!["decompress".as_ref(), p(&damaged), p(&out)], "chunk 0"),
        (vec!["decompress".as_ref(), p(&input), p(&out)], "frame"),
        (vec!["decompress".as_ref(), p(&missing), p(&out)], "missing"),
        (vec!["decompress".as_ref(), p(&b2nd), p(&out)], "blosc2 slice"),
        (vec!["info".as_ref(), p(&input)], "frame"),
        (vec!["info".as_ref(), p(&damaged)], "unreadable"),
        (vec!["compress".as_ref(), p(&missing), p(&out)], "missing"),
        (vec!["compress".as_ref(), p(&input), p(&out), "--chunksize".as_ref(), "0".as_ref()], "chunksize"),
        (vec!["compress".as_ref(), p(&input), p(&out), "--codec".as_ref(), "snappy".as_ref()], "codec"),
        (vec!["compress".as_ref(), p(&input), p(&t.0), "--sparse".as_ref()], "not a sparse frame"),
    ];
    for (args, needle) in cases {
        let r = blosc2(&args);
        assert_eq!(r.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("error: ") && err.contains(needle), "{args:?}: {err}");
    }
    assert!(!out.exists(), "a failed command leaves no output");
    let leftovers: Vec<_> = std::fs::read_dir(&t.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn compress_writes_the_frame_the_library_writes() {
    // Runs of zeros (equal chunks: the command compresses the first and reuses it), a short
    // zero chunk at the end, incompressible bytes, with and without checksums: the file is
    // byte for byte the frame the library's FrameWriter makes of the same chunks.
    use blosc2_core::chunk::CompressParams;
    use blosc2_core::codec::CodecId;
    use blosc2_core::frame::FrameWriter;
    use blosc2_core::schunk::Metalayers;
    let t = temp_dir!("cli-frame-library");
    let cs = 65_536;
    let mut rng = XorShift64(0x2545_F491_4F6C_DD1D);
    let mut data = smooth_bytes(cs);
    data.extend(vec![0u8; 3 * cs]);
    data.extend((0..cs).map(|_| (rng.next_u64() >> 24) as u8));
    data.extend(vec![0u8; cs + 1000]);
    let input = t.0.join("in.bin");
    std::fs::write(&input, &data).unwrap();
    for codec in ["lz4", "zstd"] {
        for checksum in [false, true] {
            let frame = t.0.join(format!("{codec}-{checksum}.b2frame"));
            let mut args = compress_args(&input, &frame, codec, "4");
            if checksum {
                args.push("--checksum".as_ref());
            }
            ok(&args);
            let params = CompressParams {
                codec: CodecId::from_name(codec).unwrap(),
                typesize: 4,
                nthreads: 1,
                ..CompressParams::default()
            };
            let lib = t.0.join(format!("{codec}-{checksum}-lib.b2frame"));
            let mut w = FrameWriter::create(&lib, params, Metalayers::new(), false).unwrap();
            if checksum {
                w.enable_checksums().unwrap();
            }
            for piece in data.chunks(cs) {
                w.append_buffer(piece).unwrap();
            }
            w.finish().unwrap();
            assert!(std::fs::read(&frame).unwrap() == std::fs::read(&lib).unwrap(), "{codec} checksum={checksum}");
        }
    }
}
