//! LZ4HC through the crate's API: `CodecContext` (our encoder at clevels 1-9) gives liblz4
//! 1.10's streams byte for byte, whatever the room, with one context reused across codecs
//! and levels; chunks of the benchmark data sets are C-Blosc2's (python-blosc2's) byte for
//! byte at every clevel.
//!
//! The encoder's own tests (`codec::lz4hc::tests`) compare it with liblz4 on many more
//! inputs; these check the wiring.

use blosc2_core::chunk::{self, CompressParams, SplitMode};
use blosc2_core::codec::{lz4hc, CodecContext, CodecId};
use blosc2_core::filter::{shuffle, Pipeline};
use blosc2_testkit::data::{random_bytes, sm64, smooth_bytes};
use blosc2_testkit::python::run_python;
use blosc2_testkit::{python_script, temp_dir};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// liblz4's `LZ4_compress_HC` with `room` bytes of room; empty when it gives up.
fn liblz4(clevel: u8, src: &[u8], room: usize) -> Vec<u8> {
    let mut dst = vec![0u8; room];
    let mode = lz4::block::CompressionMode::HIGHCOMPRESSION(i32::from(clevel));
    match lz4::block::compress_to_buffer(src, Some(mode), false, &mut dst) {
        Ok(n) => dst[..n].to_vec(),
        Err(_) => Vec::new(),
    }
}

/// Shuffled float32 samples of a noisy sine: the kind of block Blosc2 gives LZ4HC.
fn shuffled_floats(n: usize, seed: u64) -> Vec<u8> {
    let raw: Vec<u8> = (0..n / 4)
        .flat_map(|i| {
            let x = (i as f32 * 0.002).sin() * 1000.0;
            (x.to_bits() ^ (sm64(seed, i as u64) as u32 & 0x3FF)).to_le_bytes()
        })
        .collect();
    let mut out = vec![0u8; raw.len()];
    shuffle::shuffle(4, &raw, &mut out);
    out
}

#[test]
fn codec_context_gives_liblz4_streams_at_every_clevel_and_room() {
    let inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        vec![7u8; 5],
        vec![0u8; 100_000],
        random_bytes(50_000, 3),
        smooth_bytes(200_001),
        shuffled_floats(256 * 1024, 9),
        (0..150_000u32).map(|i| (i % 13) as u8 ^ (i / 4096) as u8).collect(),
    ];
    let mut ctx = CodecContext::new();
    for src in &inputs {
        let bound = lz4hc::compress_bound(src.len());
        for clevel in 1..=9u8 {
            let full = liblz4(clevel, src, bound);
            // Rooms Blosc2 gives (the stream's own size), the bound, and around liblz4's length.
            let mut rooms = vec![bound, src.len(), full.len(), full.len().saturating_sub(1), full.len() / 2, 1];
            rooms.retain(|&r| r > 0);
            for room in rooms {
                let want = liblz4(clevel, src, room);
                let mut dst = vec![0u8; room];
                let n = ctx.compress(CodecId::LZ4HC, clevel, src, &mut dst).unwrap();
                assert!(
                    dst[..n] == want[..],
                    "{} bytes, clevel {clevel}, room {room}: {n} bytes, liblz4 {}",
                    src.len(),
                    want.len()
                );
                // Other codecs in between leave the LZ4HC state as it should be.
                let mut other = vec![0u8; src.len() + 64];
                ctx.compress(CodecId::LZ4, clevel, src, &mut other).unwrap();
            }
        }
    }
}

#[test]
fn lz4hc_chunks_round_trip_at_every_clevel() {
    let data = shuffled_floats(3 << 20, 5);
    for clevel in 1..=9u8 {
        for typesize in [1usize, 4, 8] {
            let params = CompressParams {
                codec: CodecId::LZ4HC,
                clevel,
                typesize,
                filters: Pipeline::shuffle(),
                nthreads: 2,
                ..CompressParams::default()
            };
            let packed = chunk::compress(&params, &data).unwrap();
            assert!(packed.len() < data.len(), "clevel {clevel}: no compression");
            assert!(chunk::decompress(&packed).unwrap() == data, "clevel {clevel} typesize {typesize}");
        }
    }
}

/// The typesize of a benchmark data set, from its name.
fn typesize(name: &str) -> usize {
    match name.rsplit('_').next() {
        Some("f64" | "i64") => 8,
        Some("f32") => 4,
        _ => 1,
    }
}

/// The benchmark data sets (`blosc2 bench --workload datasets --save DIR`), cut into 8 MiB
/// chunks as `blosc2 compress` does, with LZ4HC and shuffle at clevels 1-9: every chunk
/// must be python-blosc2's (C-Blosc2 3.3.5 with liblz4 1.10.0) byte for byte. Run with
/// `BLOSC2_LZ4HC_DATA=DIR cargo test -p blosc2-core --release --test lz4hc -- --ignored`.
#[test]
#[ignore = "needs BLOSC2_LZ4HC_DATA, the benchmark data sets saved by `blosc2 bench --workload datasets --save`"]
fn benchmark_dataset_chunks_are_c_blosc2_s() {
    let dir = std::path::PathBuf::from(
        std::env::var_os("BLOSC2_LZ4HC_DATA").expect("set BLOSC2_LZ4HC_DATA to the saved data sets"),
    );
    const CHUNK: usize = 8 << 20;
    let tmp = temp_dir!("lz4hc-datasets");
    let mut cases = Vec::new();
    let mut ours = std::collections::BTreeMap::new();
    for name in ["smooth_noise_f32", "arange_i64", "linspace_f64", "galaxy_u8", "random_bytes"] {
        let path = dir.join(format!("{name}.bin"));
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (k, chunk_data) in data.chunks(CHUNK).enumerate() {
            for clevel in 1..=9u8 {
                let params = CompressParams {
                    codec: CodecId::LZ4HC,
                    clevel,
                    typesize: typesize(name),
                    filters: Pipeline::shuffle(),
                    splitmode: SplitMode::Auto,
                    nthreads: 2,
                    ..CompressParams::default()
                };
                let packed = chunk::compress(&params, chunk_data).unwrap();
                let case = format!("{name}-{k}-c{clevel}");
                ours.insert(case.clone(), hex::encode(Sha256::digest(&packed)));
                cases.push(json!({
                    "name": case, "path": path, "offset": k * CHUNK, "size": chunk_data.len(),
                    "typesize": typesize(name), "clevel": clevel,
                }));
            }
        }
    }
    std::fs::write(tmp.0.join("cases.json"), serde_json::to_vec(&cases).unwrap()).unwrap();
    run_python(python_script!("lz4hc_datasets.py"), &[tmp.0.as_os_str()]);
    let theirs: Value = serde_json::from_slice(&std::fs::read(tmp.0.join("digests.json")).unwrap()).unwrap();
    let differ: Vec<&String> =
        ours.iter().filter(|(k, v)| theirs[k.as_str()].as_str() != Some(v.as_str())).map(|(k, _)| k).collect();
    assert!(
        differ.is_empty(),
        "{} of {} chunks differ from python-blosc2's, e.g. {:?}",
        differ.len(),
        ours.len(),
        &differ[..differ.len().min(10)]
    );
    eprintln!("{} chunks equal to python-blosc2's", ours.len());
}
