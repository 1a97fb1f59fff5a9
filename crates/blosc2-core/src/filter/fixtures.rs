//! Golden-file checks of the filters against chunks written by C-Blosc2 3.3.5
//! (`testdata/fixtures`, see its README).
//!
//! For every fixture chunk whose streams this test can read (raw or run streams, or LZ4, zlib
//! and Zstd streams; not BloscLZ, dictionaries, VL blocks, memcpyed or special chunks), the
//! streams are decoded by hand, the pipeline is undone block by block, and the SHA-256 of the
//! result must match the manifest. Then the forward pipeline applied to the decoded blocks must
//! give back the stored filtered bytes exactly. The chunk layer has the full fixture tests;
//! this one pins the filters alone.

use std::io::Read;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::Pipeline;

/// `testdata/fixtures` of the workspace, or `$BLOSC2_FIXTURES_DIR`; panics when it has no
/// manifest (the test cannot pass without its fixtures).
fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os("BLOSC2_FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures"));
    assert!(
        dir.join("manifest.json").is_file(),
        "{} has no manifest.json: the fixture test needs testdata/fixtures (or BLOSC2_FIXTURES_DIR)",
        dir.display()
    );
    dir
}

fn le_i32(b: &[u8], at: usize) -> i32 {
    i32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// The decoded chunk and the filtered bytes of every block, or `None` if this test cannot
/// read the chunk.
fn decode(chunk: &[u8]) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
    let (version, flags, typesize) = (chunk[0], chunk[2], usize::from(chunk[3]));
    let nbytes = le_i32(chunk, 4) as usize;
    let extended = flags & 0x05 == 0x05;
    let memcpyed = flags & 0x02 != 0;
    if !extended || memcpyed || chunk[31] & 0x71 != 0 || chunk[30] & 1 != 0 || nbytes == 0 {
        return None;
    }
    let blocksize = (le_i32(chunk, 8) as usize).min(nbytes);
    let mut p = Pipeline::default();
    p.filters.copy_from_slice(&chunk[16..22]);
    p.meta.copy_from_slice(&chunk[24..30]);
    let nblocks = nbytes.div_ceil(blocksize);
    let mut out = vec![0u8; nbytes];
    let mut filtered_blocks = Vec::new();
    for b in 0..nblocks {
        let bsize = blocksize.min(nbytes - b * blocksize);
        let nstreams = if flags & 0x10 == 0 && bsize == blocksize { typesize } else { 1 };
        let neblock = bsize / nstreams;
        let mut block = vec![0u8; bsize];
        let mut pos = le_i32(chunk, 32 + 4 * b) as usize;
        for stream in block.chunks_exact_mut(neblock) {
            let csize = le_i32(chunk, pos);
            pos += 4;
            if csize <= 0 {
                stream.fill((-csize) as u8);
                pos += usize::from(csize < 0);
                continue;
            }
            let data = &chunk[pos..pos + csize as usize];
            pos += csize as usize;
            if data.len() == neblock {
                stream.copy_from_slice(data);
                continue;
            }
            let v = match flags >> 5 {
                1 => lz4_flex::block::decompress(data, neblock).ok()?,
                3 => {
                    let mut v = Vec::new();
                    flate2::read::ZlibDecoder::new(data).read_to_end(&mut v).ok()?;
                    v
                }
                4 => zstd::bulk::decompress(data, neblock).ok()?,
                _ => return None,
            };
            stream.copy_from_slice(&v);
        }
        filtered_blocks.push(block.clone());
        let reference = out[..blocksize].to_vec();
        let mut scratch = vec![0u8; bsize];
        p.backward(typesize, b * blocksize, &mut block, &reference, &mut scratch, version).expect("backward");
        out[b * blocksize..b * blocksize + bsize].copy_from_slice(&block);
    }
    Some((out, filtered_blocks))
}

#[test]
fn fixture_chunks_both_directions() {
    let dir = fixtures_dir();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let mut checked = 0;
    for entry in manifest["files"].as_array().unwrap() {
        if entry["kind"] != "chunk" {
            continue;
        }
        let path = entry["path"].as_str().unwrap();
        let chunk = std::fs::read(dir.join(path)).unwrap();
        let Some((out, filtered_blocks)) = decode(&chunk) else {
            continue;
        };
        let hash: String = Sha256::digest(&out).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hash, entry["sha256"].as_str().unwrap(), "{path}: decoded content");
        let p = Pipeline { filters: chunk[16..22].try_into().unwrap(), meta: chunk[24..30].try_into().unwrap() };
        let (typesize, blocksize) = (usize::from(chunk[3]), filtered_blocks[0].len());
        for (b, want) in filtered_blocks.iter().enumerate() {
            let src = &out[b * blocksize..b * blocksize + want.len()];
            let (mut dst, mut scratch) = (vec![0u8; want.len()], vec![0u8; want.len()]);
            p.forward(typesize, b * blocksize, src, &out[..blocksize], &mut dst, &mut scratch).unwrap();
            assert!(&dst == want, "{path}: block {b} filtered bytes differ");
        }
        checked += 1;
    }
    assert!(checked >= 100, "only {checked} fixture chunks could be checked");
}
