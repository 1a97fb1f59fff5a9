//! Random compression parameters through the library API, checked by python-blosc2
//! (C-Blosc2 3.3.5): whatever a caller asks for, the chunk we write either decodes in
//! C-Blosc2 to exactly the bytes we decode it to (the input, for lossless pipelines), or
//! the request is refused with an error. Pipelines fill any of the six slots, in any order,
//! with any meta byte (0 included: BYTEDELTA's meta 0 once gave chunks C-Blosc2 refused),
//! over typesizes 1-255, every codec, level, split mode and block size, and data of lengths
//! that are multiples of nothing in particular.
//!
//! Where python-blosc2 writes a chunk for the same parameters, ours must equal it byte for
//! byte (same codec libraries), or, for a request we refuse, python-blosc2 must fail too or
//! write a chunk that does not give back its input.
//!
//! `PIPELINE_SEED=N` replays another set of cases; `PIPELINE_CASES=N` changes their number;
//! `PIPELINE_VERBOSE=1` prints each refusal; `PIPELINE_KEEP=1` keeps the cases' files.

use blosc2_core::chunk::{self, CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use blosc2_testkit::data::{random_bytes, smooth_bytes, Rand, Sm64Stream};
use blosc2_testkit::python::run_python;
use blosc2_testkit::{python_script, temp_dir};
use serde_json::{json, Value};

fn random_meta(rng: &mut Sm64Stream, id: FilterId, typesize: usize) -> u8 {
    match rng.below(4) {
        0 => 0,
        1 => typesize.min(255) as u8,
        2 => match id {
            // Bit counts that fit the element (negative: bits to drop).
            FilterId::TRUNC_PREC | FilterId::INT_TRUNC => {
                let bits = (8 * typesize.min(8)) as i64;
                let v = rng.below(2 * bits as usize) as i64 - bits;
                (v as i8) as u8
            }
            _ => rng.pick(&[1u8, 2, 3, 4, 8, 16]),
        },
        _ => rng.next_u64() as u8,
    }
}

fn random_params(rng: &mut Sm64Stream) -> CompressParams {
    let typesize = match rng.below(10) {
        0 => rng.pick(&[3usize, 5, 7, 12, 255]),
        1 => rng.pick(&[16usize, 32, 64]),
        _ => rng.pick(&[1usize, 2, 4, 8]),
    };
    let mut filters = Pipeline::default();
    for _ in 0..rng.below(4) {
        let slot = rng.below(6);
        let id = rng.pick(&FilterId::WITHOUT_GEOMETRY);
        filters.filters[slot] = id.0;
        filters.meta[slot] = random_meta(rng, id, typesize);
    }
    let codec = rng.pick(&CodecId::ALL);
    let dict_codec = matches!(codec, CodecId::ZSTD | CodecId::LZ4 | CodecId::LZ4HC);
    CompressParams {
        codec,
        codec_meta: 0,
        clevel: rng.pick(&[0u8, 1, 3, 5, 9]),
        typesize,
        filters,
        blocksize: match rng.below(3) {
            0 => 0,
            1 => rng.pick(&[1usize, 7, 64, 1000, 4096, 32768]),
            _ => typesize * rng.pick(&[1usize, 8, 100, 1024]),
        },
        splitmode: rng.pick(&[SplitMode::Always, SplitMode::Never, SplitMode::Auto, SplitMode::ForwardCompat]),
        nthreads: rng.pick(&[1usize, 2]),
        use_dict: dict_codec && rng.below(4) == 0,
        geometry: None,
    }
}

fn random_data(rng: &mut Sm64Stream, typesize: usize) -> Vec<u8> {
    let n = match rng.below(4) {
        0 => rng.below(64),
        1 => typesize * (1 + rng.below(4096)),
        _ => rng.below(100_000),
    };
    let seed = rng.next_u64();
    match rng.below(3) {
        0 => random_bytes(n, seed),
        1 => smooth_bytes(n),
        _ => (0..n).map(|i| ((i / typesize.max(1)) as u8).wrapping_mul(3)).collect(),
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn random_parameters_decode_in_c_blosc2_or_are_refused() {
    let seed = env_u64("PIPELINE_SEED", 0x5eed_b10c);
    let ncases = env_u64("PIPELINE_CASES", 600) as usize;
    let mut rng = Sm64Stream::new(seed, 0);
    let dir = temp_dir!("pipeline-interop");
    let mut cases = Vec::new();
    let mut refused = Vec::new();
    for i in 0..ncases {
        let params = random_params(&mut rng);
        let data = random_data(&mut rng, params.typesize);
        let name = format!("case{i}");
        let lossless = !params.filters.filters.iter().any(|&f| FilterId(f).is_lossy());
        std::fs::write(dir.0.join(format!("{name}.input")), &data).unwrap();
        let mut refusal = String::new();
        let ours = match chunk::compress(&params, &data) {
            Ok(c) => Some(c),
            Err(e) => {
                refusal = e.to_string();
                // A refusal names its reason.
                assert!(!e.to_string().is_empty(), "{name}: an error without a message");
                if std::env::var_os("PIPELINE_VERBOSE").is_some() {
                    eprintln!("{name} refused: {e}");
                }
                refused.push(name.clone());
                None
            }
        };
        if let Some(ours) = &ours {
            let decoded = chunk::decompress(ours).unwrap_or_else(|e| panic!("{name} {params:?}: {e}"));
            if lossless {
                assert!(decoded == data, "{name} {params:?}: our round trip differs");
            }
            std::fs::write(dir.0.join(format!("{name}.ours")), ours).unwrap();
            std::fs::write(dir.0.join(format!("{name}.ours_decoded")), &decoded).unwrap();
        }
        cases.push(json!({
            "name": name,
            "params": format!("{params:?}"),
            "codec": params.codec.0,
            "clevel": params.clevel,
            "typesize": params.typesize,
            // python-blosc2 takes the six slots as they are (0 = empty) and metas as int8.
            "filters": params.filters.filters,
            "filters_meta": params.filters.meta.iter().map(|&m| m as i8).collect::<Vec<_>>(),
            "splitmode": params.splitmode.code(),
            "blocksize": params.blocksize,
            "nthreads": params.nthreads,
            "use_dict": params.use_dict,
            "lossless": lossless,
            "ours": ours.is_some(),
            "refusal": refusal,
        }));
    }
    // Most refusals are lossy filters asked for element sizes or bit counts they cannot
    // take (C-Blosc2 refuses those too, or writes chunks that do not decode).
    assert!(cases.len() - refused.len() >= ncases / 2, "too many refusals: {}", refused.len());
    std::fs::write(dir.0.join("cases.json"), serde_json::to_vec(&cases).unwrap()).unwrap();
    run_python(python_script!("pipeline_interop.py"), &[dir.0.as_os_str()]);
    let results: Value = serde_json::from_slice(&std::fs::read(dir.0.join("results.json")).unwrap()).unwrap();
    if std::env::var_os("PIPELINE_KEEP").is_some() {
        eprintln!("cases kept in {}", dir.0.display());
        std::mem::forget(dir);
    }
    let failures: Vec<&str> = results["failures"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(
        failures.is_empty(),
        "seed {seed}: {} failures, e.g.:\n{}",
        failures.len(),
        failures.iter().take(20).copied().collect::<Vec<_>>().join("\n")
    );
    assert_eq!(results["checked"].as_u64().unwrap() as usize, cases.len());
    let identical = results["identical"].as_u64().unwrap() as usize;
    eprintln!(
        "{} cases: {} refused, {identical} chunks equal C-Blosc2's, {} differ where it is no reference",
        cases.len(),
        refused.len(),
        results["differing_not_compared"]
    );
    assert!(identical >= (cases.len() - refused.len()) / 2, "only {identical} chunks equal python-blosc2's");
}
