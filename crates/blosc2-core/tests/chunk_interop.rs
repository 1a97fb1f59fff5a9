//! Chunks cross between this crate and python-blosc2 (C-Blosc2 3.3.5) in both directions,
//! for every codec x filter x typesize {1,2,4,8,16,3} x clevel {0,1,5,9} on random, smooth
//! and constant data whose sizes are multiples of neither the block size nor the typesize.
//! Both sides compress the same input with the same parameters: our chunk must be
//! python-blosc2's byte for byte wherever C-Blosc2's output is defined, and the lossy
//! pipelines must lose the same bits on both sides.

use blosc2_core::chunk::{self, CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use blosc2_testkit::data::{random_bytes, smooth_bytes};
use blosc2_testkit::python::run_python;
use blosc2_testkit::{python_script, temp_dir};
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
    let dir = temp_dir!("chunk-interop");
    let datasets: [(&str, Vec<u8>); 3] =
        [("random", random_bytes(NBYTES, 42)), ("smooth", smooth_bytes(NBYTES)), ("constant", vec![7u8; NBYTES])];
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
                        // All six slots, as in our header (python-blosc2 would put a shorter
                        // list first); python-blosc2 takes the meta bytes as signed int8.
                        let metas: Vec<i8> = filters.meta.iter().map(|&m| m as i8).collect();
                        cases.push(json!({
                            "name": name, "codec": codec.0, "clevel": clevel, "typesize": ts,
                            "filters": filters.filters, "filters_meta": metas, "splitmode": 3, "blocksize": 0,
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
    run_python(python_script!("chunk_interop.py"), &[dir.0.as_os_str()]);
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
    same_bytes_and_same_losses(&dir.0, &cases);
}

/// The word width DELTA works in for `ts` (`shared/spec/filters.md` 4).
fn delta_width(ts: usize) -> usize {
    match ts {
        1 | 2 | 4 | 8 => ts,
        _ if ts.is_multiple_of(8) => 8,
        _ => 1,
    }
}

/// Our chunks against python-blosc2's for the same input and parameters.
///
/// * Bytes: equal, codec by codec (Zstd and Zlib included: libzstd 1.5.7 on both sides, and
///   zlib-rs writes the streams zlib-ng 2.3.3 writes), but where C-Blosc2's output is not
///   defined: DELTA, TRUNC_PREC and INT_TRUNC leave the last `nbytes % width` bytes of a
///   chunk to whatever their buffer held (`filters.md` 4), and C-Blosc2 3.3.5 drops
///   BYTEDELTA from the pipeline at typesize 1 (writes slot 0) where we keep it.
/// * Lossy pipelines: both decodings equal but for those trailing bytes: a filter keeping
///   more (or fewer) bits than C-Blosc2's shows here.
fn same_bytes_and_same_losses(dir: &std::path::Path, cases: &[Value]) {
    let read = |name: &str, ext: &str| std::fs::read(dir.join(format!("{name}.{ext}"))).unwrap();
    let (mut compared, mut lossy_compared) = (std::collections::BTreeMap::new(), 0);
    let (mut differing, mut lossy_differing) = (Vec::new(), Vec::new());
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let ts = c["typesize"].as_u64().unwrap() as usize;
        let filters: Vec<FilterId> =
            c["filters"].as_array().unwrap().iter().map(|f| FilterId(f.as_u64().unwrap() as u8)).collect();
        // Bytes at the end of the chunk C-Blosc2 leaves unspecified.
        let unspecified = filters
            .iter()
            .map(|&f| match f {
                FilterId::DELTA => NBYTES % delta_width(ts),
                FilterId::TRUNC_PREC | FilterId::INT_TRUNC => NBYTES % ts,
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        let c_drops_bytedelta = ts == 1 && filters.contains(&FilterId::BYTEDELTA);
        if unspecified == 0 && !c_drops_bytedelta {
            let codec = CodecId(c["codec"].as_u64().unwrap() as u8);
            *compared.entry(codec.to_string()).or_insert(0) += 1;
            let (ours, theirs) = (read(name, "ours"), read(name, "theirs"));
            if ours != theirs {
                let at = ours.iter().zip(&theirs).position(|(a, b)| a != b).unwrap_or(ours.len().min(theirs.len()));
                differing.push(format!("{name}: {} and {} bytes, first difference at {at}", ours.len(), theirs.len()));
            }
        }
        if c["lossless"] == false {
            lossy_compared += 1;
            let ours = read(name, "ours_decoded");
            let theirs_path = dir.join(format!("{name}.theirs_decoded"));
            let theirs = if theirs_path.exists() { std::fs::read(theirs_path).unwrap() } else { read(name, "input") };
            let body = NBYTES - unspecified;
            if ours[..body] != theirs[..body] {
                let at = ours.iter().zip(&theirs).position(|(a, b)| a != b).unwrap();
                lossy_differing.push(format!("{name}: decoded data differ from byte {at}"));
            }
        }
    }
    assert!(
        lossy_differing.is_empty(),
        "{} of {lossy_compared} lossy cases lose other bits than python-blosc2:\n{}",
        lossy_differing.len(),
        lossy_differing[..lossy_differing.len().min(20)].join("\n")
    );
    let total: usize = compared.values().sum();
    assert!(
        differing.is_empty(),
        "{} of {total} chunks differ from python-blosc2's:\n{}",
        differing.len(),
        differing[..differing.len().min(20)].join("\n")
    );
    eprintln!(
        "{total} chunks equal python-blosc2's byte for byte ({compared:?}); {lossy_compared} lossy cases decode alike"
    );
    // Every codec is compared in most of its cases, and the lossy filters in all of theirs.
    for codec in CodecId::ALL {
        let n = compared.get(&codec.to_string()).copied().unwrap_or(0);
        assert!(n >= 300, "{codec}: only {n} chunks compared byte for byte");
    }
    assert!(lossy_compared >= 300, "only {lossy_compared} lossy cases compared");
}
