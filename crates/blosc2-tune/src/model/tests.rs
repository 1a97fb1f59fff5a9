use super::*;
use crate::features::{self, NDATA};
use crate::PerfMode;

/// A model with one hidden layer of two units over two categories, whose output is
/// worked out by hand below.
fn tiny() -> String {
    let names: Vec<String> = FEATURE_NAMES.iter().map(|s| format!("{s:?}")).collect();
    let mut mean = vec!["0"; NFEATURES];
    let mut std = vec!["0"; NFEATURES];
    // Only feature 1 (entropy, mean 0.5, std 0.25) and 9 (tradeoff, mean 0, std 1) count.
    (mean[1], std[1], std[9]) = ("0.5", "0.25", "1");
    let row = |a: f32, b: f32| {
        let mut r = vec![0f32; NFEATURES];
        (r[1], r[9]) = (a, b);
        format!("{r:?}")
    };
    format!(
        r#"{{"format": "blosc2-tune-model", "version": 1, "features": [{}], "mean": [{}], "std": [{}],
        "categories": ["lz4-1-nofilter-auto", "zstd-9-shuffle-auto"],
        "layers": [{{"act": "relu", "w": [{}, {}], "b": [0, -0.5]}},
                   {{"act": "linear", "w": [[1, 0], [0, 2]], "b": [0.25, 0]}}]}}"#,
        names.join(","),
        mean.join(","),
        std.join(","),
        row(1.0, 0.0),
        row(0.0, 1.0)
    )
}

#[test]
fn inference_equals_the_hand_computed_tiny_model() {
    let m = Model::parse(&tiny()).unwrap();
    let mut x = [0f32; NFEATURES];
    // entropy 0.75 -> z = 1; tradeoff 0.9 -> z = 0.9. Hidden: relu(1) = 1, relu(0.9 - 0.5)
    // = 0.4. Outputs: 1 + 0.25 = 1.25, 2 x 0.4 = 0.8: the first category.
    (x[1], x[9]) = (0.75, 0.9);
    x[7] = 1e9; // std 0: ignored
    let s = m.scores(&x);
    assert!((s[0] - 1.25).abs() < 1e-6 && (s[1] - 0.8).abs() < 1e-6, "{s:?}");
    assert_eq!(m.predict(&x).label(), "lz4-1-nofilter-auto");
    // entropy 0.5 -> z = 0, tradeoff 1 -> hidden (0, 0.5) -> outputs (0.25, 1.0): the
    // second.
    (x[1], x[9]) = (0.5, 1.0);
    assert_eq!(m.scores(&x), vec![0.25, 1.0]);
    assert_eq!(m.predict(&x).label(), "zstd-9-shuffle-auto");
    let top: Vec<String> = m.top(&x, 5).iter().map(Setting::label).collect();
    assert_eq!(top, ["zstd-9-shuffle-auto", "lz4-1-nofilter-auto"]);
}

#[test]
fn a_model_round_trips_through_its_json() {
    let m = Model::parse(&tiny()).unwrap();
    let text = m.to_json();
    let back = Model::parse(&text).unwrap();
    assert_eq!(back, m);
    assert_eq!(back.to_json(), text);
    let dir = std::env::temp_dir().join(format!("blosc2-tune-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("m.json");
    std::fs::write(&p, &text).unwrap();
    assert_eq!(Model::load(&p).unwrap(), m);
    let cfg = crate::BtuneConfig { models_dir: Some(p.clone()), ..crate::BtuneConfig::default() };
    assert_eq!(*Model::for_config(&cfg, None).unwrap(), m, "a file as models_dir");
    let cfg = crate::BtuneConfig { models_dir: Some(dir.join("nope.json")), ..crate::BtuneConfig::default() };
    assert!(Model::for_config(&cfg, None).unwrap_err().to_string().contains("nope.json"));
    let cfg = crate::BtuneConfig { models_dir: Some(dir.clone()), ..crate::BtuneConfig::default() };
    assert!(matches!(Model::for_config(&cfg, None), Err(Error::Model { .. })), "no model.json there");
    std::fs::write(dir.join("model.json"), &text).unwrap();
    assert_eq!(*Model::for_config(&cfg, None).unwrap(), m);
    assert_eq!(*Model::for_config(&cfg, Some(&p)).unwrap(), m);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_model_files_are_one_line_errors() {
    let good = tiny();
    let cases: Vec<(String, &str)> = vec![
        (good[..good.len() / 2].to_string(), "not a model file"),
        (String::new(), "not a model file"),
        (good.replace("\"version\": 1", "\"version\": 2"), "version 2"),
        (good.replace("blosc2-tune-model", "other"), "format"),
        (good.replace("zstd-9-shuffle-auto", "zstd-9-shufle-auto"), "unknown setting label"),
        (good.replace("zstd-9-shuffle-auto", "lz4-1-nofilter-auto"), "twice"),
        (good.replace("\"b\": [0, -0.5]", "\"b\": [0]"), "biases"),
        (good.replace("\"b\": [0, -0.5]", "\"b\": [NaN, -0.5]"), "not a model file"),
        (good.replace("\"b\": [0, -0.5]", "\"b\": [1e39, -0.5]"), "not finite"),
        (good.replace("[[1, 0], [0, 2]]", "[[1, 0, 3], [0, 2, 3]]"), "row 0 has 3 weights"),
        (good.replace("[[1, 0], [0, 2]], \"b\": [0.25, 0]", "[[1, 0]], \"b\": [0.25]"), "1 outputs for 2"),
        (good.replace("\"act\": \"linear\"", "\"act\": \"relu\""), "activation"),
        (good.replace("\"log2_typesize\"", "\"typesize\""), "features"),
        (good.replace("\"mean\": [0,", "\"mean\": ["), "means"),
        (good.replace("\"std\": [0,", "\"std\": [-1,"), "std >= 0"),
        (good.replace("\"layers\"", "\"extra\": 1, \"layers\""), "not a model file"),
    ];
    for (text, what) in cases {
        let e = Model::parse(&text).expect_err(what).to_string();
        // 1e39 overflows f32: an infinity refused as not finite, or refused by the JSON
        // reader itself when serde_json is built with features (in a workspace build) that
        // check the range.
        let overflow = what == "not finite" && e.contains("number out of range");
        assert!(e.contains(what) || overflow, "{what}: {e}");
        assert!(!e.contains('\n'), "{e}");
    }
    let missing = Model::load(Path::new("/nonexistent/model.json")).unwrap_err().to_string();
    assert!(missing.starts_with("model /nonexistent/model.json: "), "{missing}");
}

#[test]
fn labels_parse_back_to_their_settings() {
    for s in crate::SearchSpace::default().iter().chain(crate::SearchSpace::reference(0.1, PerfMode::Comp).iter()) {
        assert_eq!(parse_label(&s.label()), Some(s));
    }
    for bad in [
        "",
        "zstd-5-shuffle",
        "zstd-10-shuffle-auto",
        "zstd-5-shuffle-auto-x",
        "foo-5-shuffle-auto",
        "zstd-05-shuffle-auto",
    ] {
        assert_eq!(parse_label(bad), None, "{bad}");
    }
}

#[test]
fn the_shipped_model_loads_and_speaks_the_default_space() {
    let m = Model::builtin().unwrap();
    let space: Vec<Setting> = crate::SearchSpace::default().iter().collect();
    assert!(m.categories().iter().all(|c| space.contains(c)));
    let x = features::chunk_features(&[1, 2, 3, 4, 5, 6, 7, 8], 8, 0, 0.5, PerfMode::Comp);
    assert!(space.contains(&m.predict(&x)));
}

/// A world of examples where the best setting follows the tradeoff and the entropy.
fn examples(n: usize) -> (Vec<Example>, TrainOptions) {
    let space = crate::SearchSpace {
        codecs: vec![CodecId::LZ4, CodecId::ZSTD],
        filters: vec![FilterKind::None, FilterKind::Shuffle],
        clevels: vec![1, 9],
        splits: vec![SplitMode::Auto],
    };
    let ex = (0..n)
        .map(|i| {
            let e = (i % 10) as f32 / 10.0;
            let mut data = [0f32; NDATA];
            (data[0], data[1], data[2]) = (3.0, e, e * 0.8);
            let cells = space
                .iter()
                .map(|s| {
                    let slow = s.codec == CodecId::ZSTD;
                    let mut r = if slow { 4.0 } else { 2.0 } * (1.0 + f64::from(s.clevel) / 20.0);
                    if s.filter == FilterKind::Shuffle {
                        r *= 1.0 + f64::from(e);
                    }
                    let speed = if slow { 2e8 } else { 2e9 } / (1.0 + f64::from(s.clevel) / 5.0);
                    let nbytes = 1 << 20;
                    Cell { nbytes, cbytes: (nbytes as f64 / r) as usize, ctime: nbytes as f64 / speed, dtime: 1e-4 }
                })
                .collect();
            Example { data, cells }
        })
        .collect();
    let opts = TrainOptions { space, modes: vec![PerfMode::Comp], epochs: 60, hidden: 8, ..TrainOptions::default() };
    (ex, opts)
}

#[test]
fn training_is_deterministic_for_a_seed_and_learns_a_simple_world() {
    let (ex, opts) = examples(40);
    let (a, ra) = train(&ex, &opts).unwrap();
    let (b, rb) = train(&ex, &opts).unwrap();
    assert_eq!(a.to_json(), b.to_json(), "same examples and seed, same bytes");
    assert_eq!(ra, rb);
    let (c, _) = train(&ex, &TrainOptions { seed: 2, ..opts.clone() }).unwrap();
    assert_ne!(c.to_json(), a.to_json(), "another seed, other weights");
    assert_eq!((ra.train_chunks, ra.test_chunks), (32, 8));
    assert!(ra.j_fraction > 0.9 && ra.accuracy > 0.6, "{ra:?}");
    assert!(ra.j_fraction >= ra.default_fraction - 1e-9, "{ra:?}");
    assert_eq!(Model::parse(&a.to_json()).unwrap(), a);
    assert!(a.categories().iter().any(|s| s.codec == CodecId::LZ4));
    assert!(a.categories().iter().any(|s| s.codec == CodecId::ZSTD));
    assert!(matches!(train(&[], &opts), Err(Error::Training(_))));
    let mut short = ex.clone();
    short[3].cells.pop();
    assert!(matches!(train(&short, &opts), Err(Error::Training(_))));
}

#[test]
fn a_measured_chunk_has_exact_ratios() {
    let data: Vec<u8> = (0..50_000u32).flat_map(|i| (i / 3).to_le_bytes()).collect();
    let space = crate::SearchSpace::default();
    let e = measure_chunk(&data, 4, 0, &space, 2).unwrap();
    assert_eq!(e.cells.len(), 60);
    for (s, c) in space.iter().zip(&e.cells) {
        let base = blosc2_core::chunk::CompressParams { typesize: 4, nthreads: 1, ..Default::default() };
        let n = blosc2_core::chunk::compress(&s.apply(&base), &data).unwrap().len();
        assert_eq!((c.nbytes, c.cbytes), (data.len(), n), "{}", s.label());
        assert!(c.ctime > 0.0 && c.dtime > 0.0);
    }
    assert_eq!(e.data, features::data_features(&data, 4, 0));
    assert!(measure_chunk(&[], 4, 0, &space, 1).is_err());
}

/// Inference cost (not a test of speed: run with `--ignored --nocapture` to print it).
#[test]
#[ignore]
fn inference_cost() {
    let m = Model::builtin().unwrap();
    let x = features::chunk_features(&vec![3u8; 1 << 16], 4, 0, 0.5, PerfMode::Comp);
    let n = 100_000;
    let t = std::time::Instant::now();
    let mut acc = 0;
    for _ in 0..n {
        acc += m.predict_index(std::hint::black_box(&x));
    }
    let us = t.elapsed().as_secs_f64() / f64::from(n) * 1e6;
    println!("inference: {us:.3} us per chunk ({} categories, {acc})", m.categories().len());
}
