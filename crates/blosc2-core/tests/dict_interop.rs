//! Chunks and frames compressed with dictionaries (`use_dict`) against python-blosc2 4.14.1
//! (C-Blosc2 3.3.5, zstd 1.5.7, liblz4 1.10.0): our chunks are python-blosc2's bytes for
//! every codec with dictionaries (ZSTD, LZ4, LZ4HC) x clevel x typesize x filter x block
//! size on several data sets, and python-blosc2 decodes every chunk and frame we write.
//!
//! Where C-Blosc2 writes a chunk it cannot read back (a chunk stored as is that keeps the
//! dictionary flag, or an input under 32 bytes), ours is its chunk without dictionary.

use blosc2_core::chunk::{self, ChunkHeader, CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use blosc2_core::schunk::SChunk;
use blosc2_core::Error;
use blosc2_testkit::data::{random_bytes, sm64, smooth_bytes};
use blosc2_testkit::fs::testdata;
use blosc2_testkit::python::run_python;
use blosc2_testkit::{python_script, temp_dir};
use serde_json::{json, Value};

/// Words for text-like data.
const WORDS: [&str; 16] = [
    "the",
    "blosc",
    "chunk",
    "of",
    "a",
    "frame",
    "with",
    "dictionary",
    "and",
    "block",
    "zstd",
    "lz4",
    "data",
    "is",
    "compressed",
    "small",
];

fn text(n: usize, seed: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(n + 16);
    let mut j = 0;
    while v.len() < n {
        let r = sm64(seed, j);
        v.extend_from_slice(WORDS[(r % 16) as usize].as_bytes());
        v.push(if r.is_multiple_of(11) { b'\n' } else { b' ' });
        j += 1;
    }
    v.truncate(n);
    v
}

/// int64 records: a slowly growing id, a small category and a noisy measurement.
fn records(n: usize) -> Vec<u8> {
    (0..n.div_ceil(8) as u64)
        .flat_map(|i| {
            let v = match i % 3 {
                0 => 1_000_000 + i / 3,
                1 => sm64(7, i) % 5,
                _ => 20_000 + sm64(9, i) % 300,
            };
            v.to_le_bytes()
        })
        .take(n)
        .collect()
}

/// Whole elements of 8 bytes (C-Blosc2's DELTA does not give back a last partial element,
/// dictionary or not); other lengths are in [`small_inputs`] and the odd-length cases.
fn datasets() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("smooth", smooth_bytes(150_000)),
        ("records", records(131_072)),
        ("text", text(100_000, 3)),
        ("random", random_bytes(60_000, 5)),
        ("zeros", vec![0u8; 65_536]),
        ("sevens", vec![7u8; 40_000]),
        ("lowcard", random_bytes(90_000, 8).iter().map(|b| b % 4).collect()),
    ]
}

/// Inputs around the sizes where C-Blosc2 starts or stops making a dictionary.
fn small_inputs() -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for n in [0usize, 20, 31, 32, 40, 1000, 5119, 5120, 5200, 20_000] {
        v.push((format!("text{n}"), text(n, 11)));
        v.push((format!("run{n}"), vec![9u8; n]));
    }
    v
}

fn pipeline(name: &str, ts: usize) -> Pipeline {
    match name {
        "nofilter" => Pipeline::default(),
        "shuffle" => Pipeline::single(FilterId::SHUFFLE),
        "bitshuffle" => Pipeline::single(FilterId::BITSHUFFLE),
        "delta" => Pipeline { filters: [0, 0, 0, 0, FilterId::DELTA.0, FilterId::SHUFFLE.0], meta: [0; 6] },
        "bytedelta" => Pipeline {
            filters: [0, 0, 0, 0, FilterId::SHUFFLE.0, FilterId::BYTEDELTA.0],
            meta: [0, 0, 0, 0, 0, ts as u8],
        },
        _ => unreachable!("{name}"),
    }
}

fn params(codec: CodecId, clevel: u8, ts: usize, filters: Pipeline, blocksize: usize) -> CompressParams {
    CompressParams {
        codec,
        codec_meta: 0,
        clevel,
        typesize: ts,
        filters,
        blocksize,
        splitmode: SplitMode::Auto,
        nthreads: 1,
        use_dict: true,
        geometry: None,
    }
}

/// The case description the Python side reads.
fn case(name: &str, p: &CompressParams) -> Value {
    // All six slots: python-blosc2 puts a shorter list in the first slots.
    let metas: Vec<i8> = p.filters.meta.iter().map(|&m| m as i8).collect();
    json!({
        "name": name, "codec": p.codec.0, "clevel": p.clevel, "typesize": p.typesize,
        "filters": p.filters.filters, "filters_meta": metas, "splitmode": p.splitmode.code(),
        "blocksize": p.blocksize,
    })
}

const DICT_CODECS: [CodecId; 3] = [CodecId::ZSTD, CodecId::LZ4, CodecId::LZ4HC];

#[test]
fn dict_chunks_and_frames_match_python_blosc2() {
    let dir = temp_dir!("dict-interop");
    let d = &dir.0;
    let mut cases = Vec::new();
    let mut ours_with_dict = 0;
    let mut add = |name: String, p: &CompressParams, data: &[u8], cases: &mut Vec<Value>| {
        let ours = chunk::compress(p, data).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(chunk::decompress(&ours).unwrap_or_else(|e| panic!("{name}: {e}")), data, "{name}");
        // Several threads give the same bytes.
        let threaded = CompressParams { nthreads: 3, ..p.clone() };
        assert!(chunk::compress(&threaded, data).unwrap() == ours, "{name}: threads change the chunk");
        if ChunkHeader::parse(&ours).unwrap().blosc2_flags & 1 != 0 {
            ours_with_dict += 1;
        }
        std::fs::write(d.join(format!("{name}.input")), data).unwrap();
        std::fs::write(d.join(format!("{name}.ours")), &ours).unwrap();
        cases.push(case(&name, p));
    };
    for (dname, data) in datasets() {
        for codec in DICT_CODECS {
            for clevel in [1u8, 5, 9] {
                for ts in [1usize, 4, 8] {
                    for fname in ["nofilter", "shuffle", "bitshuffle", "delta", "bytedelta"] {
                        // python-blosc2 drops BYTEDELTA at typesize 1.
                        if fname == "bytedelta" && ts == 1 {
                            continue;
                        }
                        for blocksize in [0usize, 8192, 32_768] {
                            if (clevel != 5 || ts == 4) && blocksize == 32_768 {
                                continue;
                            }
                            let p = params(codec, clevel, ts, pipeline(fname, ts), blocksize);
                            add(
                                format!("{dname}-{codec}-cl{clevel}-ts{ts}-{fname}-bs{blocksize}"),
                                &p,
                                &data,
                                &mut cases,
                            );
                        }
                    }
                }
            }
        }
    }
    for (dname, data) in small_inputs() {
        for codec in DICT_CODECS {
            // (An empty input with a block size given is another matter: C-Blosc2 writes
            // that block size in the header, we write 1, dictionary or not.)
            for blocksize in if data.is_empty() { &[0usize][..] } else { &[0, 1024] } {
                let p = params(codec, 5, 1, pipeline("shuffle", 1), *blocksize);
                add(format!("{dname}-{codec}-bs{blocksize}"), &p, &data, &mut cases);
            }
        }
    }
    // Never-split and always-split streams with typesize 8, a typesize above 255, and
    // lengths that are not whole elements.
    let smooth = smooth_bytes(120_000);
    let odd = smooth_bytes(150_001);
    for codec in DICT_CODECS {
        for fname in ["nofilter", "shuffle", "bitshuffle"] {
            for clevel in [1u8, 9] {
                let p = params(codec, clevel, 4, pipeline(fname, 4), 0);
                add(format!("odd-{codec}-cl{clevel}-{fname}"), &p, &odd, &mut cases);
            }
        }
        for split in [SplitMode::Always, SplitMode::Never] {
            let p = CompressParams { splitmode: split, ..params(codec, 7, 8, pipeline("shuffle", 8), 16_384) };
            add(format!("split-{}-{codec}", split.name()), &p, &smooth, &mut cases);
        }
        // A block size given: C-Blosc2 chooses the automatic one with the typesize before
        // it becomes 1, we after (a difference without dictionaries too).
        let p = params(codec, 5, 300, pipeline("shuffle", 1), 30_000);
        add(format!("ts300-{codec}"), &p, &smooth, &mut cases);
    }
    let nchunk_cases = cases.len();
    // Frames: a super-chunk of several chunks (the last one short) compressed with dictionaries.
    let records = records(5 * 65_536 + 12_345);
    for codec in DICT_CODECS {
        let p = params(codec, 5, 8, pipeline("shuffle", 8), 8192);
        let mut s = SChunk::new(p.clone());
        for part in records.chunks(65_536) {
            s.append_buffer(part).unwrap();
        }
        let name = format!("frame-{codec}");
        let frame = format!("{name}.b2frame");
        s.save(d.join(&frame)).unwrap();
        let back = SChunk::open(d.join(&frame)).unwrap();
        assert!(back.cparams().use_dict, "{name}: use_dict read back");
        std::fs::write(d.join(format!("{name}.input")), &records).unwrap();
        let mut c = case(&name, &p);
        c["frame"] = json!(frame);
        c["nchunks"] = json!(s.nchunks());
        c["chunksize"] = json!(65_536);
        cases.push(c);
    }
    assert!(ours_with_dict > nchunk_cases / 2, "only {ours_with_dict} of {nchunk_cases} chunks have a dictionary");
    std::fs::write(d.join("cases.json"), serde_json::to_vec(&cases).unwrap()).unwrap();
    run_python(python_script!("dict_interop.py"), &[d.as_os_str()]);

    let results: Value = serde_json::from_slice(&std::fs::read(d.join("results.json")).unwrap()).unwrap();
    let failures: Vec<&str> = results["failures"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(
        failures.is_empty(),
        "{} failures of {}:\n{}",
        failures.len(),
        cases.len(),
        failures.iter().take(30).copied().collect::<Vec<_>>().join("\n")
    );
    assert_eq!(results["checked"].as_u64().unwrap() as usize, cases.len());
    // Python-blosc2 made as many dictionary chunks as we did.
    assert_eq!(results["with_dict"].as_u64().unwrap() as usize, ours_with_dict);
    // The chunks C-Blosc2 cannot read back are all chunks it stored as is (memcpyed flag).
    let undecodable = results["undecodable"].as_object().unwrap();
    for (name, flags) in undecodable {
        assert!(flags.as_u64().unwrap() & 0x02 != 0, "{name}: python-blosc2 fails on a compressed chunk");
    }
    assert!(undecodable.keys().any(|k| k.starts_with("random-")), "the incompressible cases are there");
}

#[test]
fn dict_fallbacks_and_refusals() {
    let data = smooth_bytes(200_000);
    // Codecs without dictionaries are refused, whatever the clevel (C-Blosc2 does the same).
    for codec in [CodecId::BLOSCLZ, CodecId::ZLIB] {
        for clevel in [0u8, 5] {
            let p = CompressParams { codec, clevel, use_dict: true, ..CompressParams::default() };
            let e = chunk::compress(&p, &data).unwrap_err();
            assert_eq!(e, Error::DictUnsupported(codec.0));
            assert_eq!(e.code(), -8);
            assert!(e.to_string().contains("only supported for ZSTD, LZ4, and LZ4HC"), "{e}");
        }
    }
    for codec in DICT_CODECS {
        let with = CompressParams { codec, use_dict: true, ..CompressParams::default() };
        let without = CompressParams { use_dict: false, ..with.clone() };
        // clevel 0: stored as is, no dictionary flag.
        let p0 = CompressParams { clevel: 0, ..with.clone() };
        let p0_plain = CompressParams { clevel: 0, ..without.clone() };
        assert_eq!(chunk::compress(&p0, &data).unwrap(), chunk::compress(&p0_plain, &data).unwrap());
        // Too small for a dictionary (nbytes / 20 < 256): the plain chunk.
        for n in [10usize, 31, 32, 100, 5119] {
            let small = &data[..n];
            let ours = chunk::compress(&with, small).unwrap();
            assert_eq!(ours, chunk::compress(&without, small).unwrap(), "{codec} {n}");
            assert_eq!(chunk::decompress(&ours).unwrap(), small);
        }
        // Empty: as C-Blosc2, the chunk stored as is also has the all-zeros flag.
        let mut empty = chunk::compress(&without, &[]).unwrap();
        empty[31] |= 0x10;
        assert_eq!(chunk::compress(&with, &[]).unwrap(), empty, "{codec}");
        assert!(chunk::decompress(&empty).unwrap().is_empty());
        // A dictionary chunk: flag set, dictionary right after bstarts, within limits.
        let ours = chunk::compress(&with, &data).unwrap();
        let h = ChunkHeader::parse(&ours).unwrap();
        assert_eq!(h.blosc2_flags & 1, 1, "{codec}");
        let at = 32 + 4 * h.nblocks();
        let size = i32::from_le_bytes(ours[at..at + 4].try_into().unwrap());
        assert!(size > 0 && size as usize <= 200_000 / 20, "{codec}: dict size {size}");
        assert_eq!(chunk::decompress(&ours).unwrap(), data);
        // Room for the chunk but not for a compressed one: stored as is, without the flag.
        let random = random_bytes(100_000, 1);
        let stored = chunk::compress(&with, &random).unwrap();
        let h = ChunkHeader::parse(&stored).unwrap();
        assert!(h.is_memcpyed() && h.blosc2_flags & 1 == 0, "{codec}");
        assert_eq!(chunk::decompress(&stored).unwrap(), random);
        // compress_into: the same chunk with the usual room, a typed error without room.
        let mut dst = vec![0u8; data.len() + 32];
        let n = chunk::compress_into(&with, &data, &mut dst).unwrap();
        assert_eq!(dst[..n], ours);
        // Room for the dictionary but not for the blocks, and not even for the dictionary.
        for room in [ours.len() / 2, 100] {
            let mut short = vec![0u8; room];
            match chunk::compress_into(&with, &data, &mut short) {
                Err(Error::DestinationTooSmall { .. }) => {}
                other => panic!("{codec}: {other:?}"),
            }
        }
    }
}

/// python-blosc2's frame fixture with dictionaries (`frames/schunk-zstd-dict.b2frame`):
/// recompressing its content with its parameters gives the fixture byte for byte, header
/// (`use_dict` flag) included.
#[test]
fn the_dict_frame_fixture_is_rebuilt_exactly() {
    let path = testdata("fixtures/frames/schunk-zstd-dict.b2frame");
    let fixture = std::fs::read(&path).unwrap();
    let theirs = SChunk::from_cframe(fixture.clone()).unwrap();
    assert!(theirs.cparams().use_dict);
    let p = params(CodecId::ZSTD, 5, 1, pipeline("shuffle", 1), 8192);
    let mut s = SChunk::new(p);
    for i in 0..theirs.nchunks() {
        s.append_buffer(&theirs.decompress_chunk(i).unwrap()).unwrap();
    }
    assert!(s.to_cframe().unwrap() == fixture, "rebuilt frame differs from the fixture");
}
