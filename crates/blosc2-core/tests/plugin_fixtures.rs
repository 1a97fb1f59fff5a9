//! python-blosc2's chunks and frames with the plugin codecs and filters (NDLZ, NDCELL,
//! NDMEAN; `testdata/plugins`), read through the core API alone: chunks decode to python's
//! bytes given the array geometry (and NDCELL/NDMEAN refuse without it), lossless chunks
//! re-encode to the same bytes, and the frames' chunks decode once the super-chunk has its
//! geometry.

use blosc2_core::chunk::{self, CompressParams, Decompressor, NdGeometry, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use blosc2_core::schunk::SChunk;
use blosc2_core::Error;
use blosc2_testkit::fs::testdata;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn fixtures() -> Vec<Value> {
    let p = testdata("plugins/manifest.json");
    let m: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    m["files"].as_array().unwrap().clone()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

fn geometry(chunks: &Value, blocks: &Value) -> NdGeometry {
    NdGeometry::new(&usizes(chunks), &usizes(blocks)).unwrap()
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn params(p: &Value, geometry: NdGeometry) -> CompressParams {
    let bytes = |v: &Value| -> [u8; 6] { usizes(v).iter().map(|&x| x as u8).collect::<Vec<_>>().try_into().unwrap() };
    CompressParams {
        codec: CodecId(p["codec"].as_u64().unwrap() as u8),
        codec_meta: p["codec_meta"].as_u64().unwrap() as u8,
        clevel: p["clevel"].as_u64().unwrap() as u8,
        typesize: p["typesize"].as_u64().unwrap() as usize,
        filters: Pipeline { filters: bytes(&p["filters"]), meta: bytes(&p["filters_meta"]) },
        blocksize: p["blocksize"].as_u64().unwrap() as usize,
        splitmode: SplitMode::from_code(p["splitmode"].as_u64().unwrap() as u8).unwrap(),
        geometry: Some(geometry),
        ..CompressParams::default()
    }
}

#[test]
fn chunks_decode_to_python_bytes_and_reencode_alike() {
    let dir = testdata("plugins");
    let mut checked = 0;
    for f in fixtures().iter().filter(|f| f["kind"] == "chunk") {
        let path = f["path"].as_str().unwrap();
        let c = std::fs::read(dir.join(path)).unwrap();
        let g = geometry(&f["chunkshape"], &f["blockshape"]);
        let d = Decompressor::new(Some(g));
        let out = d.decompress(&c).unwrap();
        assert_eq!(
            (out.len(), sha(&out)),
            (f["nbytes"].as_u64().unwrap() as usize, f["sha256"].as_str().unwrap().into())
        );
        // Every block, and a range across blocks, agree with the whole.
        let bs = chunk::ChunkHeader::parse(&c).unwrap().blocksize();
        for b in 0..out.len() / bs {
            assert_eq!(d.decompress_block(&c, b).unwrap(), out[b * bs..(b + 1) * bs], "{path} block {b}");
        }
        let mut part = vec![0u8; bs + 7];
        d.decompress_range(&c, bs / 2, &mut part).unwrap();
        assert_eq!(part, out[bs / 2..bs / 2 + bs + 7], "{path}");
        // Without geometry: NDCELL and NDMEAN cannot be undone, ZFP cannot decode its
        // blocks; NDLZ streams carry their shape.
        let p = params(&f["cparams"], g);
        let needs = needs_geometry(&p);
        match chunk::decompress(&c) {
            Err(Error::MissingGeometry { .. }) => assert!(needs, "{path}"),
            Ok(v) => assert!(!needs && v == out, "{path}"),
            Err(e) => panic!("{path}: {e}"),
        }
        if f["lossless"].as_bool().unwrap() {
            assert!(chunk::compress(&p, &out).unwrap() == c, "{path}: our chunk differs from python's");
        }
        checked += 1;
    }
    assert_eq!(checked, 12);
}

#[test]
fn frames_decode_once_the_schunk_has_its_geometry() {
    let dir = testdata("plugins");
    let mut checked = 0;
    for f in fixtures().iter().filter(|f| f["kind"].as_str().unwrap().starts_with("b2nd")) {
        let path = f["path"].as_str().unwrap();
        let g = geometry(&f["chunks"], &f["blocks"]);
        let mut s = SChunk::open(dir.join(path)).unwrap();
        assert_eq!(s.geometry(), None);
        let p = params(&f["cparams"], g);
        if needs_geometry(&p) {
            // Chunks stored as is (ZFP output larger than the input) decode without it.
            let coded = (0..s.nchunks())
                .find(|&i| !chunk::ChunkHeader::parse(&s.chunk(i).unwrap()).unwrap().is_memcpyed())
                .unwrap();
            assert!(matches!(s.decompress_chunk(coded), Err(Error::MissingGeometry { .. })), "{path}");
        }
        s.set_geometry(Some(g));
        assert_eq!(s.decompressor().geometry(), Some(&g));
        let mut all = Vec::new();
        for i in 0..s.nchunks() {
            all.push(s.decompress_chunk(i).unwrap());
        }
        // The frame's chunks hold the array padded to whole chunks: compare the array's
        // first row of elements with python's values.
        let npy = std::fs::read(dir.join(f["npy"].as_str().unwrap())).unwrap();
        let want = &npy[npy.len()
            - f["shape"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).product::<usize>()
                * p.typesize..];
        let first_block = usizes(&f["blocks"]);
        let row = *first_block.last().unwrap() * p.typesize;
        assert_eq!(all[0][..row], want[..row], "{path}");
        assert!(s.verify(true).is_none(), "{path}");
        checked += 1;
    }
    assert_eq!(checked, 15);
}

/// Whether a chunk written with `p` cannot be decoded without the array's geometry.
fn needs_geometry(p: &CompressParams) -> bool {
    p.filters.contains(FilterId::NDCELL)
        || p.filters.contains(FilterId::NDMEAN)
        || [CodecId::ZFP_ACC, CodecId::ZFP_PREC, CodecId::ZFP_RATE].contains(&p.codec)
}
