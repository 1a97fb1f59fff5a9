//! Every chunk fixture written by python-blosc2 4.14.1 decodes to the content its manifest
//! describes, whole, by byte ranges around block edges and block by block; recompressing
//! that content with the manifest's parameters gives the fixture's exact bytes, for every
//! codec (libzstd 1.5.7 and liblz4 1.10.0 on both sides; zlib-rs writes zlib-ng 2.3.3's
//! streams; dictionaries trained by the same libzstd and liblz4) where C-Blosc2 is
//! deterministic (one thread).

use blosc2_core::chunk::{self, ChunkHeader, CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::Pipeline;
use blosc2_testkit::fs::testdata;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn manifest() -> Value {
    let text = std::fs::read_to_string(testdata("fixtures").join("manifest.json")).expect("manifest.json");
    serde_json::from_str(&text).expect("valid JSON")
}

fn chunk_entries() -> Vec<(String, Value, Vec<u8>)> {
    let m = manifest();
    let entries: Vec<_> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "chunk")
        .map(|f| {
            let path = f["path"].as_str().unwrap().to_string();
            let bytes = std::fs::read(testdata("fixtures").join(&path)).unwrap();
            (path, f.clone(), bytes)
        })
        .collect();
    assert!(entries.len() >= 200, "expected the whole chunk corpus, found {}", entries.len());
    entries
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

#[test]
fn every_chunk_fixture_decodes_to_its_manifest_content() {
    let mut checked = 0;
    for (path, entry, bytes) in chunk_entries() {
        let h = ChunkHeader::parse(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(h.nbytes as u64, entry["nbytes"].as_u64().unwrap(), "{path}");
        if let Some(hd) = entry.get("header") {
            assert_eq!(u64::from(h.typesize), hd["typesize"].as_u64().unwrap(), "{path}");
            assert_eq!(h.cbytes as u64, hd["cbytes"].as_u64().unwrap(), "{path}");
        }
        let out = chunk::decompress(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(out.len(), h.nbytes, "{path}");
        match entry["sha256"].as_str() {
            Some(expected) => assert_eq!(sha256_hex(&out), expected, "{path}"),
            None => assert!(path.contains("uninit"), "{path}: only uninit content is undefined"),
        }
        // Multi-threaded decoding gives the same bytes.
        let mut out2 = vec![0u8; h.nbytes];
        chunk::decompress_into(&bytes, &mut out2, 3).unwrap();
        assert_eq!(out2, out, "{path}: 3 threads");
        checked += 1;
    }
    assert!(checked >= 200);
}

#[test]
fn partial_reads_at_block_edges_equal_the_whole() {
    for (path, _entry, bytes) in chunk_entries() {
        let h = ChunkHeader::parse(&bytes).unwrap();
        let whole = chunk::decompress(&bytes).unwrap();
        let n = h.nbytes;
        if n == 0 {
            assert!(chunk::decompress_range(&bytes, 0, &mut [0u8; 1]).is_err());
            continue;
        }
        let bs = h.blocksize();
        let mut ranges = vec![(0, n), (0, 1), (n - 1, n), (n / 2, n / 2 + 1)];
        if !h.is_vl_blocks() {
            for edge in (bs..n).step_by(bs) {
                ranges.push((edge - 1, (edge + 1).min(n)));
                ranges.push((edge.saturating_sub(bs), edge));
                ranges.push((edge, (edge + bs).min(n)));
                ranges.push((edge - 1, edge));
                ranges.push((edge, edge + 1));
            }
        }
        for (a, b) in ranges {
            let mut out = vec![0u8; b - a];
            chunk::decompress_range(&bytes, a, &mut out).unwrap_or_else(|e| panic!("{path} {a}..{b}: {e}"));
            assert_eq!(out, whole[a..b], "{path} {a}..{b}");
        }
        // getitems counts header-typesize items.
        let ts = usize::from(h.typesize);
        if n / ts >= 3 {
            let items = chunk::getitems(&bytes, 1, 2).unwrap();
            assert_eq!(items, whole[ts..3 * ts], "{path}");
        }
        assert!(chunk::decompress_range(&bytes, n, &mut [0u8; 1]).is_err(), "{path}");
        // Block by block.
        if !h.is_vl_blocks() {
            let mut joined = Vec::new();
            for i in 0..h.nblocks() {
                joined.extend(chunk::decompress_block(&bytes, i).unwrap());
            }
            assert_eq!(joined, whole, "{path}");
            assert!(chunk::decompress_block(&bytes, h.nblocks()).is_err());
        }
    }
}

/// Manifest parameters as `CompressParams`, or `None` for chunks not made by `compress2`.
fn params_of(entry: &Value) -> Option<CompressParams> {
    let p = &entry["params"];
    let codec = p["codec"].as_u64()? as u8;
    let arr6 = |v: &Value| -> [u8; 6] {
        let a: Vec<u8> = v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u8).collect();
        a.try_into().unwrap()
    };
    Some(CompressParams {
        codec: CodecId(codec),
        codec_meta: 0,
        clevel: p["clevel"].as_u64()? as u8,
        typesize: p["typesize"].as_u64()? as usize,
        filters: Pipeline { filters: arr6(&p["filters"]), meta: arr6(&p["filters_meta"]) },
        blocksize: p["blocksize"].as_u64()? as usize,
        splitmode: SplitMode::from_code(p["splitmode"].as_u64()? as u8)?,
        nthreads: 1,
        use_dict: p["use_dict"].as_bool()?,
        geometry: None,
    })
}

#[test]
fn recompressing_gives_the_fixture_bytes_where_deterministic() {
    let mut identical = 0;
    let mut compared = std::collections::BTreeMap::new();
    let mut mismatches = Vec::new();
    for (path, entry, bytes) in chunk_entries() {
        let Some(params) = params_of(&entry) else { continue };
        if path.contains("nthreads4") {
            continue;
        }
        let h = ChunkHeader::parse(&bytes).unwrap();
        let content = chunk::decompress(&bytes).unwrap();
        let ours = chunk::compress(&params, &content).unwrap_or_else(|e| panic!("{path}: {e}"));
        // Whatever the codec, the header layout decisions must agree.
        let oh = ChunkHeader::parse(&ours).unwrap();
        assert_eq!(oh.blocksize_field, h.blocksize_field, "{path}: blocksize");
        assert_eq!(oh.typesize, h.typesize, "{path}: typesize");
        assert_eq!(chunk::decompress(&ours).unwrap(), content, "{path}: our chunk round trip");
        *compared.entry(params.codec.to_string()).or_insert(0) += 1;
        if ours == bytes {
            identical += 1;
        } else {
            let first = ours.iter().zip(&bytes).position(|(a, b)| a != b).unwrap_or(ours.len().min(bytes.len()));
            mismatches.push(format!(
                "{path}: ours {} bytes, theirs {}, first difference at {first}",
                ours.len(),
                bytes.len()
            ));
        }
    }
    let total: usize = compared.values().sum();
    assert!(mismatches.is_empty(), "{identical}/{total} identical; differing:\n{}", mismatches.join("\n"));
    // Every codec, Zstd and Zlib included, is compared on many fixtures.
    for codec in CodecId::ALL {
        let n = compared.get(&codec.to_string()).copied().unwrap_or(0);
        assert!(n >= 25, "{codec}: only {n} fixtures compared ({compared:?})");
    }
    eprintln!("{total} fixture chunks rebuilt byte for byte: {compared:?}");
}

#[test]
fn special_fixtures_are_rebuilt_exactly() {
    for (path, entry, bytes) in chunk_entries() {
        let Some(kind) = entry["params"]["special"].as_str() else { continue };
        let ts = entry["params"]["typesize"].as_u64().unwrap() as usize;
        let nbytes = entry["params"]["nbytes"].as_u64().unwrap() as usize;
        let params = CompressParams { typesize: ts, ..CompressParams::default() };
        let ours = match kind {
            "ZERO" => chunk::special::zeros(&params, nbytes).unwrap(),
            "NAN" => chunk::special::nans(&params, nbytes).unwrap(),
            "UNINIT" => chunk::special::uninit(&params, nbytes).unwrap(),
            "VALUE" => {
                let h = ChunkHeader::parse(&bytes).unwrap();
                chunk::special::repeat_value(&params, nbytes, &bytes[32..h.cbytes]).unwrap()
            }
            other => panic!("{path}: unknown special {other}"),
        };
        assert_eq!(hex::encode(&ours), hex::encode(&bytes), "{path}");
    }
}
