//! Corruption suite for the plugin codecs and filters (NDLZ, NDCELL, NDMEAN): python-blosc2's
//! chunks (`testdata/plugins`) and chunks we write, truncated at every length, with every
//! byte changed four ways, with lying size fields (nbytes, blocksize, stream sizes, NDLZ's
//! embedded block shape) and decoded under lying geometries. Each input gives `Ok` or a
//! typed error: never a panic, never more than a second, never a heap peak above 64 MiB
//! plus what the checked sizes justify.

use std::fmt::Display;

use blosc2_core::chunk::{self, ChunkHeader, CompressParams, Decompressor, NdGeometry, SplitMode, StoredPlanes};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use blosc2_core::Error;
use blosc2_testkit::fs::testdata;
use blosc2_testkit::{alloc, assert_typed, corrupt};
use serde_json::Value;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// Decodes everything of `bytes` with `geometry`; returns the bytes its header justifies.
fn exercise(bytes: &[u8], geometry: Option<NdGeometry>, what: &dyn Display) -> usize {
    let d = Decompressor::new(geometry);
    let h = match ChunkHeader::parse(bytes) {
        Ok(h) => h,
        Err(e) => {
            assert_typed!(e, what);
            return 0;
        }
    };
    let check = |r: Result<(), Error>| {
        if let Err(e) = r {
            assert_typed!(e, what);
        }
    };
    if h.nbytes <= 16 << 20 {
        check(d.decompress(bytes).map(drop));
        let mut part = vec![0u8; h.nbytes.min(100)];
        check(d.decompress_range(bytes, h.nbytes - part.len(), &mut part));
    }
    check(d.decompress_block(bytes, 0).map(drop));
    let mut block = vec![0u8; h.blocksize().min(h.nbytes)];
    check(d.decode_block(bytes, 0, &mut block, StoredPlanes::Copy).map(drop));
    check(d.decode_block(bytes, 0, &mut block, StoredPlanes::InPlace).map(drop));
    h.nbytes.min(16 << 20).max(h.blocksize_field.min(16 << 20))
}

fn run(bytes: &[u8], geometry: Option<NdGeometry>, what: &dyn Display) {
    let (justified, cost) = alloc::measure(|| exercise(bytes, geometry, what));
    alloc::check(cost, justified.saturating_add(2 * bytes.len()), what);
}

/// A chunk to corrupt, with the geometry it was written for.
struct Case {
    name: String,
    chunk: Vec<u8>,
    geometry: NdGeometry,
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

fn cases() -> Vec<Case> {
    let dir = testdata("plugins");
    let m: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let mut v: Vec<Case> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "chunk")
        .map(|f| Case {
            name: f["path"].as_str().unwrap().to_string(),
            chunk: std::fs::read(dir.join(f["path"].as_str().unwrap())).unwrap(),
            geometry: NdGeometry::new(&usizes(&f["chunkshape"]), &usizes(&f["blockshape"])).unwrap(),
        })
        .collect();
    // Ours: small chunks of each plugin, several blocks each.
    let g = NdGeometry::new(&[24, 40], &[12, 20]).unwrap();
    let data: Vec<u8> = (0..24 * 40 * 4).map(|i| ((i / 7) % 9 + (i % 40) / 10) as u8).collect();
    // 12x20 blocks of 4x4 tiles of three values, with a few odd bytes: NDLZ compresses it.
    let tiles: Vec<u8> =
        (0..24 * 40).map(|k| if k % 97 == 5 { k as u8 } else { (((k % 20) / 4 + k / 80) % 3 * 50) as u8 }).collect();
    let floats: Vec<u8> = (0..24 * 40).flat_map(|i| ((i as f32) / 7.0).sin().to_le_bytes()).collect();
    let pipeline = |f: FilterId, m: u8| {
        let mut p = Pipeline::single(FilterId::SHUFFLE);
        p.filters[0] = f.0;
        p.meta[0] = m;
        p
    };
    let tiles32: Vec<u8> = tiles.iter().flat_map(|&t| (u32::from(t) * 0x0101 + 7).to_le_bytes()).collect();
    // NDLZ 8x8: 16x24 blocks of 8x8 tiles.
    let g8 = NdGeometry::new(&[32, 48], &[16, 24]).unwrap();
    let tiles8: Vec<u8> =
        (0..32 * 48).map(|k| if k % 97 == 5 { k as u8 } else { (((k % 24) / 8 + k / 192) % 3 * 50) as u8 }).collect();
    for (name, p, src) in [
        (
            "ndlz4",
            CompressParams { codec: CodecId::NDLZ, codec_meta: 4, typesize: 1, ..CompressParams::default() },
            &tiles[..],
        ),
        (
            "ndlz8",
            CompressParams {
                codec: CodecId::NDLZ,
                codec_meta: 8,
                typesize: 1,
                geometry: Some(g8),
                ..CompressParams::default()
            },
            &tiles8[..],
        ),
        (
            "ndlz4-split",
            CompressParams {
                codec: CodecId::NDLZ,
                codec_meta: 4,
                typesize: 4,
                splitmode: SplitMode::Always,
                ..CompressParams::default()
            },
            &tiles32[..],
        ),
        (
            "ndcell",
            CompressParams { typesize: 4, filters: pipeline(FilterId::NDCELL, 4), ..CompressParams::default() },
            &data[..],
        ),
        (
            "ndmean",
            CompressParams { typesize: 4, filters: pipeline(FilterId::NDMEAN, 3), ..CompressParams::default() },
            &floats[..],
        ),
    ] {
        let geometry = p.geometry.unwrap_or(g);
        let blocksize = geometry.block_items().unwrap() * p.typesize;
        let p = CompressParams { geometry: Some(geometry), blocksize, ..p };
        let chunk = chunk::compress(&p, src).unwrap();
        let h = ChunkHeader::parse(&chunk).unwrap();
        assert!(!h.is_memcpyed() && h.nblocks() == 4, "{name}");
        v.push(Case { name: format!("ours {name}"), chunk, geometry });
    }
    assert_eq!(v.len(), 17);
    v
}

#[test]
fn cuts_and_byte_changes() {
    let _guard = alloc::lock();
    for c in cases() {
        run(&c.chunk, Some(c.geometry), &c.name);
        for cut in 0..c.chunk.len() {
            run(&c.chunk[..cut], Some(c.geometry), &format_args!("{} cut to {cut}", c.name));
        }
        // Every byte of the header and block starts, and of the first 600 bytes of data; a
        // sample of the rest.
        let positions: Vec<usize> = (0..c.chunk.len()).filter(|&p| p < 650 || p % 7 == 0).collect();
        for (at, _, bad) in corrupt::byte_changes(&c.chunk, positions) {
            let was = c.chunk[at];
            if bad[at] != was {
                run(&bad, Some(c.geometry), &format_args!("{} byte {at} {was:#04x} -> {:#04x}", c.name, bad[at]));
            }
        }
    }
}

/// Size fields that lie: the header's nbytes, blocksize and cbytes, each block's first
/// stream size, and NDLZ's embedded block shape, set to values around the truth and to
/// extremes.
#[test]
fn lying_sizes() {
    let _guard = alloc::lock();
    for c in cases() {
        let h = ChunkHeader::parse(&c.chunk).unwrap();
        let mut fields = vec![("nbytes", 4usize), ("blocksize", 8), ("cbytes", 12)];
        let starts: Vec<usize> = (0..h.nblocks())
            .map(|b| i32::from_le_bytes(c.chunk[32 + 4 * b..36 + 4 * b].try_into().unwrap()) as usize)
            .collect();
        for (b, &s) in starts.iter().enumerate() {
            fields.push((if b == 0 { "stream 0 size" } else { "a stream size" }, s));
            // An NDLZ stream's block shape (after ndim) when the stream is coded.
            let csize = i32::from_le_bytes(c.chunk[s..s + 4].try_into().unwrap());
            if h.udcodec == CodecId::NDLZ.0 && csize > 9 && (csize as usize) < h.blocksize() {
                fields.push(("ndlz rows", s + 5));
                fields.push(("ndlz columns", s + 9));
            }
        }
        for (field, at) in fields {
            let truth = i32::from_le_bytes(c.chunk[at..at + 4].try_into().unwrap());
            for lie in corrupt::lies_i32(truth) {
                let bad = corrupt::patched(&c.chunk, at, &lie.to_le_bytes());
                run(&bad, Some(c.geometry), &format_args!("{} {field} {truth} -> {lie}", c.name));
            }
        }
    }
}

/// The right chunk with the wrong geometry: other block shapes, other dimensions, zero
/// and huge dimensions, none at all.
#[test]
fn lying_geometries() {
    let _guard = alloc::lock();
    for c in cases() {
        let b = c.geometry.blockshape().to_vec();
        let mut shapes: Vec<Vec<usize>> = vec![
            vec![],
            vec![b.iter().product()],
            b.iter().rev().copied().collect(),
            b.iter().map(|&x| x + 1).collect(),
            b.iter().map(|&x| x.saturating_sub(1)).collect(),
            b.iter().map(|&x| x * 2).collect(),
            b.iter().chain(&[1]).copied().collect(),
            vec![0; b.len()],
            vec![i32::MAX as usize; b.len()],
            vec![1; 9],
            vec![2; 16],
        ];
        shapes.retain(|s| s.as_slice() != b.as_slice());
        for s in shapes {
            let g = NdGeometry::new(&s, &s).unwrap();
            run(&c.chunk, Some(g), &format_args!("{} with block shape {s:?}", c.name));
        }
        // Without geometry, NDCELL and NDMEAN say what is missing.
        let h = ChunkHeader::parse(&c.chunk).unwrap();
        if h.filters.contains(FilterId::NDCELL) || h.filters.contains(FilterId::NDMEAN) {
            assert!(matches!(chunk::decompress(&c.chunk), Err(Error::MissingGeometry { .. })), "{}", c.name);
        }
    }
}
