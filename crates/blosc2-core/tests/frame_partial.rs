//! `Frame::read_chunk_blocks`: reading only the blocks of a chunk that a range needs, from
//! contiguous frame files, sparse frames, memory-mapped and in-memory frames; hostile
//! frames give errors.

use blosc2_core::chunk::{self, CompressParams, SpecialKind};
use blosc2_core::filter::{FilterId, Pipeline};
use blosc2_core::frame::{ChunkLocation, Frame};
use blosc2_core::schunk::SChunk;

const BLOCK: usize = 4096;
const CHUNK: usize = 16 * BLOCK;

fn values(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n / 8)
        .flat_map(|i| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (i as u64 * 3 + (x >> 60)).to_le_bytes()
        })
        .collect()
}

/// A super-chunk of stored chunks (shuffle, DELTA), a memcpyed one, and special ones.
fn schunk() -> SChunk {
    let p = CompressParams { blocksize: BLOCK, ..CompressParams::default() };
    let mut sc = SChunk::new(p.clone());
    sc.append_buffer(&values(1, CHUNK)).unwrap();
    let delta = CompressParams { filters: Pipeline::single(FilterId::DELTA), ..p.clone() };
    sc.append_chunk(chunk::compress(&delta, &values(2, CHUNK)).unwrap()).unwrap();
    let raw = CompressParams { clevel: 0, ..p.clone() };
    sc.append_chunk(chunk::compress(&raw, &values(3, CHUNK)).unwrap()).unwrap();
    sc.append_special(SpecialKind::Zeros, CHUNK, &[]).unwrap();
    sc.append_chunk(chunk::special::repeat_value(&p, CHUNK, &5u64.to_le_bytes()).unwrap()).unwrap();
    sc.append_buffer(&values(4, CHUNK)).unwrap();
    sc
}

fn check(f: &Frame, whole: &[Vec<u8>]) {
    let mut buf = Vec::new();
    for (i, want) in whole.iter().enumerate() {
        for ranges in [vec![(0, 1)], vec![(5 * BLOCK + 3, 7 * BLOCK - 1)], vec![(BLOCK, 2 * BLOCK), (CHUNK - 8, CHUNK)]]
        {
            let n = f.read_chunk_blocks(i as u64, &ranges, &mut buf).unwrap();
            let c = &buf[..n];
            for &(a, b) in &ranges {
                let mut got = vec![0u8; b - a];
                chunk::decompress_range(c, a, &mut got).unwrap();
                assert_eq!(got, want[a..b], "chunk {i} range {a}..{b}");
            }
            if i == 0 || i == 1 || i == 5 {
                assert!(n < f.chunk(i as u64).unwrap().len() * 3 / 4, "chunk {i}: {n} bytes");
            }
        }
    }
    assert!(f.read_chunk_blocks(whole.len() as u64, &[(0, 1)], &mut buf).is_err(), "no such chunk");
}

#[test]
fn blocks_read_from_every_kind_of_frame() {
    let dir = std::env::temp_dir().join(format!("b2-frame-partial-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sc = schunk();
    let whole: Vec<Vec<u8>> = (0..sc.nchunks()).map(|i| sc.decompress_chunk(i).unwrap()).collect();
    let file = dir.join("a.b2frame");
    let sparse = dir.join("a-dir.b2frame");
    sc.save(&file).unwrap();
    sc.save_sparse(&sparse).unwrap();
    check(&Frame::open(&file).unwrap(), &whole);
    check(&Frame::open(&sparse).unwrap(), &whole);
    check(&Frame::from_bytes(sc.to_cframe().unwrap()).unwrap(), &whole);
    #[cfg(feature = "mmap")]
    check(&Frame::open_mapped(&file).unwrap(), &whole);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hostile_frames_give_errors() {
    let sc = schunk();
    let cframe = sc.to_cframe().unwrap();
    let f = Frame::from_bytes(cframe.clone()).unwrap();
    let ChunkLocation::Offset(o) = f.chunk_info(0).unwrap().location else { panic!("stored chunk") };
    let at = (f.header().header_len as u64 + o) as usize;
    let mut buf = Vec::new();
    // Chunk 0's cbytes past the chunks section, its block starts past its end, a dropped tail.
    let mut bad = cframe.clone();
    bad[at + 12..at + 16].copy_from_slice(&(i32::MAX).to_le_bytes());
    let b = Frame::from_bytes(bad).unwrap();
    assert!(b.read_chunk_blocks(0, &[(0, 1)], &mut buf).is_err());
    assert!(buf.len() <= cframe.len());
    let mut bad = cframe.clone();
    bad[at + 32..at + 36].copy_from_slice(&(cframe.len() as i32).to_le_bytes());
    let b = Frame::from_bytes(bad).unwrap();
    assert!(b.read_chunk_blocks(0, &[(0, 1)], &mut buf).is_err());
    assert!(b.read_chunk_blocks(0, &[(0, CHUNK + 1)], &mut buf).is_err(), "range past the chunk");
    // Every single damaged byte of chunk 0's header and table: an error or a chunk, no panic.
    for k in 0..32 + 4 * 16 {
        for v in [0u8, 0x7f, 0xff] {
            let mut bad = cframe.clone();
            bad[at + k] = v;
            if let Ok(b) = Frame::from_bytes(bad) {
                let _ = b.read_chunk_blocks(0, &[(3 * BLOCK, 4 * BLOCK)], &mut buf);
                assert!(buf.len() <= cframe.len());
            }
        }
    }
}
