//! Chunks cross between this crate and python-blosc2 (C-Blosc2 3.3.5) in both directions,
//! for every codec x filter x typesize {1,2,4,8,16,3} x clevel {0,1,5,9} on random, smooth
//! and constant data whose sizes are multiples of neither the block size nor the typesize.

mod common;

use blosc2_core::chunk::{self, CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use serde_json::{json, Value};

const NBYTES: usize = 70_001;

/// (name, pipeline, lossless) for a typesize; `None` when the filter cannot take it.
fn pipelines(ts: usize) -> Vec<(&'static str, Pipeline, bool)> {
    let single = |id: FilterId, meta: u8| {
        let mut p = Pipeline::single(id);
        p.meta[5] = meta;
        p
    };
    let mut v = vec![
        ("nofilter", Pipeline::default(), true),
        ("shuffle", single(FilterId::SHUFFLE, 0), true),
        ("bitshuffle", single(FilterId::BITSHUFFLE, 0), true),
        ("delta", single(FilterId::DELTA, 0), true),
        (
            "bytedelta",
            Pipeline {
                filters: [0, 0, 0, 0, FilterId::SHUFFLE.0, FilterId::BYTEDELTA.0],
                meta: [0, 0, 0, 0, 0, ts as u8],
            },
            true,
        ),
    ];
    if ts == 4 || ts == 8 {
        v.push(("trunc_prec", single(FilterId::TRUNC_PREC, 10), false));
    }
    if matches!(ts, 1 | 2 | 4 | 8) {
        v.push(("int_trunc", single(FilterId::INT_TRUNC, (-3i8) as u8), false));
    }
    v
}

#[test]
fn chunks_cross_both_ways_with_python_blosc2() {
    let dir = common::TempDir::new("chunk-interop");
    let datasets: [(&str, Vec<u8>); 3] = [
        ("random", common::random_bytes(NBYTES, 42)),
        ("smooth", common::smooth_bytes(NBYTES)),
        ("constant", vec![7u8; NBYTES]),
    ];
    let mut cases = Vec::new();
    for (dname, data) in &datasets {
        let input_name = format!("{dname}.input");
        std::fs::write(dir.0.join(&input_name), data).unwrap();
        for codec in CodecId::ALL {
            for ts in [1usize, 2, 4, 8, 16, 3] {
                for (fname, filters, lossless) in pipelines(ts) {
                    for clevel in [0u8, 1, 5, 9] {
                        let params = CompressParams {
                            codec,
                            codec_meta: 0,
                            clevel,
                            typesize: ts,
                            filters,
                            blocksize: 0,
                            splitmode: SplitMode::Auto,
                            nthreads: 1,
                            use_dict: false,
                            geometry: None,
                        };
                        let name = format!("{dname}-{codec}-{fname}-ts{ts}-cl{clevel}");
                        let ours = chunk::compress(&params, data).unwrap_or_else(|e| panic!("{name}: {e}"));
                        let decoded = chunk::decompress(&ours).unwrap_or_else(|e| panic!("{name}: {e}"));
                        if lossless {
                            assert!(decoded == *data, "{name}: our round trip differs");
                        }
                        std::fs::write(dir.0.join(format!("{name}.ours")), &ours).unwrap();
                        // The Python side reads the input under the case name; a lossless
                        // decoding is the input (checked above), so it is a link too.
                        let link = dir.0.join(format!("{name}.input"));
                        std::fs::hard_link(dir.0.join(&input_name), &link).unwrap();
                        let ours_decoded = dir.0.join(format!("{name}.ours_decoded"));
                        if lossless {
                            std::fs::hard_link(dir.0.join(&input_name), &ours_decoded).unwrap();
                        } else {
                            std::fs::write(ours_decoded, &decoded).unwrap();
                        }
                        let active: Vec<u8> = filters.filters.iter().copied().filter(|&f| f != 0).collect();
                        // python-blosc2 takes the meta bytes as signed int8.
                        let metas: Vec<i8> = filters
                            .filters
                            .iter()
                            .zip(filters.meta)
                            .filter(|(&f, _)| f != 0)
                            .map(|(_, m)| m as i8)
                            .collect();
                        cases.push(json!({
                            "name": name, "codec": codec.0, "clevel": clevel, "typesize": ts,
                            "filters": active, "filters_meta": metas, "splitmode": 3, "blocksize": 0,
                            "lossless": lossless,
                        }));
                    }
                }
            }
        }
    }
    let n = cases.len();
    assert!(n > 1000, "the matrix should hold every combination, has {n}");
    std::fs::write(dir.0.join("cases.json"), serde_json::to_vec(&cases).unwrap()).unwrap();
    common::run_python("chunk_interop.py", &[dir.0.as_os_str()]);
    let results: Value = serde_json::from_slice(&std::fs::read(dir.0.join("results.json")).unwrap()).unwrap();
    let failures: Vec<&str> = results["failures"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(
        failures.is_empty(),
        "{} failures, e.g.:\n{}",
        failures.len(),
        failures.iter().take(20).copied().collect::<Vec<_>>().join("\n")
    );
    assert_eq!(results["checked"].as_u64().unwrap() as usize, n);
    // Their chunks decode with our decoder exactly as python-blosc2 decodes them.
    let mut bad = Vec::new();
    for c in &cases {
        let name = c["name"].as_str().unwrap();
        let theirs = std::fs::read(dir.0.join(format!("{name}.theirs"))).unwrap();
        // python-blosc2 wrote its decoding only where it is not the input.
        let decoded_by_python = dir.0.join(format!("{name}.theirs_decoded"));
        let expected = match decoded_by_python.exists() {
            true => std::fs::read(decoded_by_python).unwrap(),
            false => std::fs::read(dir.0.join(format!("{name}.input"))).unwrap(),
        };
        match chunk::decompress(&theirs) {
            Ok(got) if got == expected => {}
            Ok(_) => bad.push(format!("{name}: decoded differently")),
            Err(e) => bad.push(format!("{name}: {e}")),
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {n} python chunks decode wrongly:\n{}",
        bad.len(),
        bad[..bad.len().min(20)].join("\n")
    );
}
