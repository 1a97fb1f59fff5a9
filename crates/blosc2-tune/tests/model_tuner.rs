//! The tuner with a model: the first chunk's search starts from the prediction (shown in
//! the trace) and tries few settings; with `use_inference = -1` every chunk takes the
//! prediction without trials; every chunk decompresses to its input.

use std::io::Write;
use std::sync::{Arc, Mutex};

use blosc2_core::chunk::CompressParams;
use blosc2_core::schunk::SChunk;
use blosc2_tune::features::FEATURE_NAMES;
use blosc2_tune::{Btune, BtuneConfig, Model, SearchSpace};

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A model that always answers `label` (one category, zero weights).
fn constant(label: &str) -> Arc<Model> {
    ranked(&[label])
}

/// A model that always ranks `labels` in this order (zero weights, falling biases).
fn ranked(labels: &[&str]) -> Arc<Model> {
    let names: Vec<String> = FEATURE_NAMES.iter().map(|s| format!("{s:?}")).collect();
    let zeros = vec!["0"; names.len()].join(",");
    let cats: Vec<String> = labels.iter().map(|l| format!("{l:?}")).collect();
    let w = vec![format!("[{zeros}]"); labels.len()].join(",");
    let b: Vec<String> = (0..labels.len()).map(|i| format!("{}", labels.len() - i)).collect();
    let text = format!(
        r#"{{"format": "blosc2-tune-model", "version": 1, "features": [{}], "mean": [{zeros}], "std": [{zeros}],
        "categories": [{}], "layers": [{{"act": "linear", "w": [{w}], "b": [{}]}}]}}"#,
        names.join(","),
        cats.join(","),
        b.join(",")
    );
    Arc::new(Model::parse(&text).unwrap())
}

fn data(n: usize, k: u64) -> Vec<u8> {
    (0..n as u64).flat_map(|i| (k * 1000 + i / 3 + (i * 7919) % 13).to_le_bytes()).collect()
}

/// The trace of `tuner` on a super-chunk of one chunk, `d` (checked to decompress to it).
fn one_chunk_trace(tuner: Btune, d: &[u8]) -> String {
    let buf = Buf::default();
    let mut s = SChunk::new(CompressParams { typesize: 8, nthreads: 1, ..CompressParams::default() });
    s.set_tuner(Some(Box::new(tuner.with_trace(Box::new(buf.clone())))));
    s.append_buffer(d).unwrap();
    assert_eq!(s.decompress_chunk(0).unwrap(), d);
    let trace = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    trace
}

fn run(use_inference: i32, model: Arc<Model>) -> (Vec<String>, String, usize) {
    run_at(0.5, use_inference, model)
}

fn run_at(tradeoff: f64, use_inference: i32, model: Arc<Model>) -> (Vec<String>, String, usize) {
    let cfg = BtuneConfig { tradeoff, use_inference, ..BtuneConfig::default() };
    let buf = Buf::default();
    let tuner = Btune::new(cfg, SearchSpace::default()).with_model(Some(model)).with_trace(Box::new(buf.clone()));
    let record = tuner.record();
    let mut s = SChunk::new(CompressParams { typesize: 8, nthreads: 1, ..CompressParams::default() });
    s.set_tuner(Some(Box::new(tuner)));
    let inputs: Vec<Vec<u8>> = (0..4).map(|k| data(60_000, k)).collect();
    for c in &inputs {
        s.append_buffer(c).unwrap();
    }
    for (i, c) in inputs.iter().enumerate() {
        assert_eq!(&s.decompress_chunk(i as u64).unwrap(), c, "chunk {i}");
    }
    let labels = record
        .choices()
        .iter()
        .map(|c| {
            let p = CompressParams {
                codec: blosc2_core::codec::CodecId::from_name(&c.codec).unwrap(),
                filters: blosc2_core::filter::Pipeline { filters: c.filters, meta: c.filters_meta },
                clevel: c.clevel,
                typesize: 8,
                ..CompressParams::default()
            };
            blosc2_tune::Setting::of(&p).unwrap().label()
        })
        .collect();
    let trace = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    (labels, trace, record.tuning().1)
}

#[test]
fn the_search_starts_from_the_prediction() {
    let (labels, trace, trials) = run(1, constant("lz4-5-bitshuffle-auto"));
    assert!(trace.contains("INFERENCE | chunk 0 | lz4-5-bitshuffle-auto | features"), "{trace}");
    assert_eq!(trace.matches("INFERENCE").count(), 1, "{trace}");
    // The prediction, its clevel neighbours, the default, and at most three confirmations,
    // as far as the budget of time per chunk lets them run.
    assert!((1..=7).contains(&trials), "{trials} trials\n{trace}");
    let first_trial = trace.lines().find(|l| l.contains("| chunk 0 |") && !l.starts_with("INFERENCE")).unwrap();
    assert!(first_trial.contains("lz4") && first_trial.contains(" 2 "), "{first_trial}");
    assert_eq!(labels.len(), 4);
}

#[test]
fn every_prediction_is_tried_on_the_first_chunk_whatever_the_budget() {
    // At t = 0.1 the budget lets few trials run; the three predictions all run on chunk 0,
    // the first one (storing without a filter) does not decide it alone.
    let three = ["blosclz-9-nofilter-auto", "lz4-1-shuffle-auto", "lz4-5-bitshuffle-auto"];
    let (labels, trace, _) = run_at(0.1, 1, ranked(&three));
    assert!(trace.contains(&format!("INFERENCE | chunk 0 | {} | features", three.join(", "))), "{trace}");
    let first: Vec<&str> = trace.lines().filter(|l| l.contains("MODEL") && l.contains("| chunk 0 |")).collect();
    assert!(first.len() >= 3, "{trace}");
    for (line, (codec, filter)) in first.iter().zip([("blosclz", " 0 "), ("lz4", " 1 "), ("lz4", " 2 ")]) {
        assert!(line.contains(codec) && line.contains(filter), "{line}\n{trace}");
    }
    assert_ne!(labels[0], "blosclz-9-nofilter-auto", "{trace}");
}

#[test]
fn inference_on_every_chunk_takes_the_prediction_without_trials() {
    let (labels, trace, trials) = run(-1, constant("zstd-1-shuffle+bytedelta-auto"));
    assert_eq!(trials, 0);
    assert_eq!(labels, vec!["zstd-1-shuffle+bytedelta-auto"; 4]);
    assert_eq!(trace.matches("INFERENCE").count(), 4, "{trace}");
}

#[test]
fn the_configured_model_is_loaded_or_the_trace_says_why_not() {
    let cfg = BtuneConfig {
        use_inference: 1,
        models_dir: Some("/nonexistent/models".into()),
        trace: true,
        ..BtuneConfig::default()
    };
    let trace = one_chunk_trace(Btune::new(cfg, SearchSpace::default()), &data(30_000, 1));
    assert!(trace.contains("WARNING: model /nonexistent/models:") && !trace.contains("INFERENCE"), "{trace}");
}

#[test]
fn chunks_of_zeros_before_the_first_search_do_not_use_up_inference() {
    let cfg = BtuneConfig { use_inference: 1, ..BtuneConfig::default() };
    let buf = Buf::default();
    let tuner = Btune::new(cfg, SearchSpace::default())
        .with_model(Some(constant("lz4-5-shuffle-auto")))
        .with_trace(Box::new(buf.clone()));
    let mut s = SChunk::new(CompressParams { typesize: 8, nthreads: 1, ..CompressParams::default() });
    s.set_tuner(Some(Box::new(tuner)));
    let inputs = [vec![0u8; 480_000], vec![0u8; 480_000], data(60_000, 2)];
    for c in &inputs {
        s.append_buffer(c).unwrap();
    }
    for (i, c) in inputs.iter().enumerate() {
        assert_eq!(&s.decompress_chunk(i as u64).unwrap(), c, "chunk {i}");
    }
    let trace = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(trace.contains("INFERENCE | chunk 2 | lz4-5-shuffle-auto"), "{trace}");
}

/// A clock whose every reading takes a millisecond: trials look slow, and the budget of
/// a chunk lets few run.
struct Slow(Mutex<u64>);

impl blosc2_core::tune::Clock for Slow {
    fn now(&self) -> std::time::Duration {
        let mut t = self.0.lock().unwrap();
        *t += 1;
        std::time::Duration::from_millis(*t)
    }
}

#[test]
fn zstd_is_tried_with_both_pipelines_on_the_first_chunk_when_ratio_weighs_half() {
    for mode in [blosc2_tune::PerfMode::Comp, blosc2_tune::PerfMode::Balanced] {
        let cfg = BtuneConfig { tradeoff: 0.5, perf_mode: mode, ..BtuneConfig::default() };
        let tuner = Btune::new(cfg, SearchSpace::default()).with_clock(Box::new(Slow(Mutex::new(0))));
        let trace = one_chunk_trace(tuner, &data(60_000, 1));
        let filters: std::collections::BTreeSet<String> = trace
            .lines()
            .filter(|l| l.contains("CODECS") && l.contains("zstd"))
            .map(|l| l.split('|').nth(2).unwrap().trim().to_string())
            .collect();
        assert_eq!(filters.len(), 2, "{mode:?}\n{trace}");
    }
}
