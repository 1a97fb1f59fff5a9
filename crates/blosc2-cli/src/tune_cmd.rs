//! Tuning in the CLI: `--tune [--tradeoff T] [--mode M] [--trace]` on `compress` and
//! `convert` (also switched on by `BTUNE_TRADEOFF` or `BTUNE_PERF_MODE`), the `btune`
//! vlmetalayer with the per-chunk choices, and `blosc2 tune eval|oracle`: the tuned run
//! against the exhaustive oracle over the same search space.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use blosc2_core::chunk::{self, CompressParams};
use blosc2_core::schunk::SChunk;
use blosc2_tune::{parse_tradeoff, Btune, BtuneConfig, Objective, PerfMode, Record, SearchSpace, Setting};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

/// Tuning options of `compress` and `convert`.
#[derive(Args, Debug, Clone, Default)]
pub struct TuneArgs {
    /// Choose codec, filters, split mode and clevel per chunk for the tradeoff (also on
    /// when BTUNE_TRADEOFF or BTUNE_PERF_MODE is set).
    #[arg(long)]
    pub tune: bool,
    /// 0 = speed only ... 1 = compression ratio only (default 0.5, or BTUNE_TRADEOFF).
    #[arg(long)]
    pub tradeoff: Option<String>,
    /// Which speed counts: comp, decomp or balanced (default comp, or BTUNE_PERF_MODE).
    #[arg(long)]
    pub mode: Option<String>,
    /// Print the tuner's trace on standard error (also BTUNE_TRACE).
    #[arg(long)]
    pub trace: bool,
    /// A model file (`blosc2 tune train`) whose prediction starts the search.
    #[arg(long)]
    pub model: Option<PathBuf>,
}

/// A tuner ready to be set on a container, with what it records.
pub struct Tuning {
    /// The tuner.
    pub tuner: Btune,
    /// Its configuration.
    pub cfg: BtuneConfig,
    /// Its per-chunk record.
    pub record: Record,
}

impl TuneArgs {
    /// The configuration these options and the environment ask for, `None` when tuning
    /// is off. Checked before anything is written.
    pub fn config(&self) -> Result<Option<BtuneConfig>> {
        let env = |k: &str| std::env::var(k).ok();
        if !self.tune
            && !BtuneConfig::wanted_by(env)
            && self.tradeoff.is_none()
            && self.mode.is_none()
            && self.model.is_none()
        {
            return Ok(None);
        }
        let mut cfg = BtuneConfig::default().with_vars(env)?;
        if let Some(t) = &self.tradeoff {
            cfg.tradeoff = parse_tradeoff(t)?;
        }
        if let Some(m) = &self.mode {
            cfg.perf_mode = PerfMode::parse(m)?;
        }
        cfg.trace |= self.trace;
        with_model(&mut cfg, self.model.as_deref())?;
        Ok(Some(cfg))
    }

    /// The tuner these options ask for.
    pub fn tuning(&self) -> Result<Option<Tuning>> {
        Ok(self.config()?.map(tuning))
    }
}

/// `model` (a file) in `cfg`, inference on for the first chunk unless set otherwise; the
/// model `cfg` asks for checked, so that a bad file is an error before anything is written.
fn with_model(cfg: &mut BtuneConfig, model: Option<&std::path::Path>) -> Result<()> {
    if let Some(m) = model {
        cfg.models_dir = Some(m.to_path_buf());
        cfg.use_inference = if cfg.use_inference == 0 { 1 } else { cfg.use_inference };
    }
    if cfg.use_inference != 0 {
        blosc2_tune::Model::for_config(cfg, None)?;
    }
    Ok(())
}

/// A tuner for `cfg` over the default space, tracing to standard error when asked.
pub fn tuning(cfg: BtuneConfig) -> Tuning {
    let mut tuner = Btune::new(cfg.clone(), SearchSpace::default());
    if cfg.trace {
        tuner = tuner.with_trace(Box::new(std::io::stderr()));
    }
    let record = tuner.record();
    Tuning { tuner, cfg, record }
}

/// The `btune` vlmetalayer: the configuration and the per-chunk choices, as msgpack.
pub fn record_value(cfg: &BtuneConfig, record: &Record) -> rmpv::Value {
    json_to_msgpack(&Btune::record_json(cfg, &SearchSpace::default(), record))
}

fn json_to_msgpack(v: &Value) -> rmpv::Value {
    match v {
        Value::Null => rmpv::Value::Nil,
        Value::Bool(b) => rmpv::Value::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => rmpv::Value::from(i),
            (_, Some(u)) => rmpv::Value::from(u),
            _ => rmpv::Value::F64(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => rmpv::Value::from(s.as_str()),
        Value::Array(a) => rmpv::Value::Array(a.iter().map(json_to_msgpack).collect()),
        Value::Object(o) => {
            rmpv::Value::Map(o.iter().map(|(k, v)| (rmpv::Value::from(k.as_str()), json_to_msgpack(v))).collect())
        }
    }
}

/// `blosc2 tune ...`.
#[derive(Subcommand, Debug)]
pub enum TuneCommand {
    /// The tuned run against the exhaustive oracle over the same space, same chunks and
    /// threads, timed in one process, interleaved.
    Eval(EvalArgs),
    /// Every setting of the space on DATA: ratio, speeds.
    Oracle(EvalArgs),
    /// Train a model on DATA: every setting measured on sampled chunks, the best labelled.
    Train(crate::tune_train::TrainArgs),
}

/// Arguments of `tune eval` and `tune oracle`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Raw files of fixed-size items, or names of the data sets of
    /// shared/bench/WORKLOADS.md (linspace_f64, smooth_noise_f32, arange_i64, galaxy_u8,
    /// random_bytes).
    #[arg(required = true)]
    pub data: Vec<String>,
    /// Tradeoffs, comma-separated.
    #[arg(long, default_value = "0.5")]
    pub tradeoff: String,
    /// comp, decomp or balanced.
    #[arg(long, default_value = "comp")]
    pub mode: String,
    /// Item size of raw files (data sets use their dtype's).
    #[arg(long)]
    pub typesize: Option<usize>,
    /// Uncompressed bytes per chunk.
    #[arg(long, default_value_t = crate::frame_cmd::DEFAULT_CHUNKSIZE)]
    pub chunksize: usize,
    /// Size of the generated data sets, MiB.
    #[arg(long, default_value_t = 64)]
    pub mib: usize,
    /// Rounds (the minimum time of each run is kept).
    #[arg(long, default_value_t = 2)]
    pub rounds: usize,
    /// Threads.
    #[arg(long, default_value_t = crate::threads::available())]
    pub nthreads: usize,
    /// One JSON record per line.
    #[arg(long)]
    pub json: bool,
    /// Print the tuner's trace of the tuned runs on standard error.
    #[arg(long)]
    pub trace: bool,
    /// A model file whose prediction starts the tuned runs' search.
    #[arg(long)]
    pub model: Option<PathBuf>,
}

struct Data {
    name: String,
    bytes: Vec<u8>,
    typesize: usize,
}

fn load(d: &str, args: &EvalArgs) -> Result<Data> {
    let path = PathBuf::from(d);
    if path.is_file() {
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {d}"))?;
        return Ok(Data { name: d.to_string(), bytes, typesize: args.typesize.unwrap_or(8) });
    }
    let spec = crate::bench::datasets::spec(d).with_context(|| format!("{d} is neither a file nor a data set"))?;
    let bytes = crate::bench::datasets::make(spec, Some(args.mib));
    Ok(Data { name: d.to_string(), bytes, typesize: args.typesize.unwrap_or(spec.dtype.size()) })
}

/// Figures of one run over all chunks.
#[derive(Clone, Copy, Debug)]
struct Run {
    nbytes: usize,
    cbytes: usize,
    ctime: f64,
    dtime: f64,
}

impl Run {
    fn cratio(&self) -> f64 {
        self.nbytes as f64 / self.cbytes.max(1) as f64
    }
    fn j(&self, o: &Objective) -> f64 {
        o.j(self.cratio(), o.speed(self.nbytes as f64, self.ctime, self.dtime))
    }
    fn min(self, o: Run) -> Run {
        Run { ctime: self.ctime.min(o.ctime), dtime: self.dtime.min(o.dtime), ..self }
    }
}

fn decompress_all(chunks: &[Vec<u8>], nbytes: usize, nthreads: usize) -> Result<f64> {
    let mut out = vec![0u8; nbytes];
    let t = Instant::now();
    for c in chunks {
        let n = chunk::ChunkHeader::parse(c)?.nbytes;
        chunk::decompress_into(c, &mut out[..n], nthreads)?;
    }
    Ok(t.elapsed().as_secs_f64())
}

/// Gives each chunk the next of a list of parameters (cycling): the fixed runs go
/// through the same super-chunk path as the tuned one, hook included.
struct Replay(Vec<CompressParams>);

impl blosc2_core::tune::Tuner for Replay {
    fn next_params(&mut self, chunk: &blosc2_core::tune::ChunkInput<'_>) -> CompressParams {
        let n = self.0.len().max(1) as u64;
        self.0.get((chunk.index % n) as usize).cloned().unwrap_or_else(|| chunk.base.clone())
    }
    fn update(&mut self, _: &blosc2_core::tune::Outcome) {}
}

fn fixed_run(d: &Data, params: &[CompressParams], chunksize: usize, nthreads: usize) -> Result<Run> {
    let base = params.first().cloned().unwrap_or_default();
    let mut s = SChunk::new(base);
    s.set_tuner(Some(Box::new(Replay(params.to_vec()))));
    let t = Instant::now();
    for c in d.bytes.chunks(chunksize) {
        s.append_buffer(c)?;
    }
    let ctime = t.elapsed().as_secs_f64();
    let chunks: Vec<Vec<u8>> =
        (0..s.nchunks()).map(|i| s.chunk(i).map(|c| c.to_vec())).collect::<std::result::Result<_, _>>()?;
    let dtime = decompress_all(&chunks, chunksize, nthreads)?;
    Ok(Run { nbytes: d.bytes.len(), cbytes: chunks.iter().map(Vec::len).sum(), ctime, dtime })
}

/// The settings of a run with how many chunks each: `lz4-5-shuffle-auto x7, ...`.
fn summary(params: &[CompressParams]) -> String {
    let mut seen: Vec<(String, usize)> = Vec::new();
    for p in params {
        let l = Setting::of(p).map_or_else(|| "?".to_string(), |s| s.label());
        match seen.iter_mut().find(|(x, _)| *x == l) {
            Some((_, n)) => *n += 1,
            None => seen.push((l, 1)),
        }
    }
    seen.iter().map(|(l, n)| format!("{l} x{n}")).collect::<Vec<_>>().join(", ")
}

/// A tuned run, the parameters of each chunk, and the tuning's seconds and trials.
type Tuned = (Run, Vec<CompressParams>, (f64, usize));

/// The whole tuned run (tuning included) through a super-chunk, and the choices made.
fn tuned_run(d: &Data, cfg: &BtuneConfig, base: &CompressParams, chunksize: usize) -> Result<Tuned> {
    let t = tuning(cfg.clone());
    let record = t.record.clone();
    let mut s = SChunk::new(base.clone());
    s.set_tuner(Some(Box::new(t.tuner)));
    let start = Instant::now();
    for c in d.bytes.chunks(chunksize) {
        s.append_buffer(c)?;
    }
    let ctime = start.elapsed().as_secs_f64();
    let chunks: Vec<Vec<u8>> =
        (0..s.nchunks()).map(|i| s.chunk(i).map(|c| c.to_vec())).collect::<std::result::Result<_, _>>()?;
    for (i, c) in d.bytes.chunks(chunksize).enumerate() {
        if s.decompress_chunk(i as u64)? != c {
            bail!("{}: tuned chunk {i} does not decompress to its input", d.name);
        }
    }
    let dtime = decompress_all(&chunks, chunksize, base.nthreads)?;
    let params = record
        .choices()
        .iter()
        .map(|c| {
            let mut p = base.clone();
            p.codec = blosc2_core::codec::CodecId::from_name(&c.codec).unwrap_or(p.codec);
            p.filters.filters = c.filters;
            p.filters.meta = c.filters_meta;
            p.splitmode = blosc2_core::chunk::SplitMode::from_name(&c.splitmode).unwrap_or(p.splitmode);
            p.clevel = c.clevel;
            p.nthreads = c.nthreads;
            p
        })
        .collect();
    Ok((
        Run { nbytes: d.bytes.len(), cbytes: chunks.iter().map(Vec::len).sum(), ctime, dtime },
        params,
        record.tuning(),
    ))
}

/// Runs `blosc2 tune ...`.
pub fn run(cmd: TuneCommand) -> Result<()> {
    let (args, eval) = match cmd {
        TuneCommand::Eval(a) => (a, true),
        TuneCommand::Oracle(a) => (a, false),
        TuneCommand::Train(a) => return crate::tune_train::run(a),
    };
    let mode = PerfMode::parse(&args.mode)?;
    let tradeoffs: Vec<f64> = args.tradeoff.split(',').map(parse_tradeoff).collect::<std::result::Result<_, _>>()?;
    let space = SearchSpace::default();
    for d in &args.data {
        let d = load(d, &args)?;
        let base = CompressParams { typesize: d.typesize, nthreads: args.nthreads.max(1), ..CompressParams::default() };
        let settings: Vec<Setting> = space.iter().collect();
        let mut table: Vec<Option<Run>> = vec![None; settings.len()];
        let mut tuned: Vec<Option<Tuned>> = vec![None; tradeoffs.len()];
        let mut replay: Vec<Option<Run>> = vec![None; tradeoffs.len()];
        let mut default_run: Option<Run> = None;
        for _ in 0..args.rounds.max(1) {
            // Interleaved: each tuned run, then every setting, round after round.
            if eval {
                for (k, &t) in tradeoffs.iter().enumerate() {
                    let mut cfg =
                        BtuneConfig { tradeoff: t, perf_mode: mode, trace: args.trace, ..BtuneConfig::default() };
                    with_model(&mut cfg, args.model.as_deref())?;
                    let (r, p, tu) = tuned_run(&d, &cfg, &base, args.chunksize)?;
                    let fixed = fixed_run(&d, &p, args.chunksize, base.nthreads)?;
                    replay[k] = Some(replay[k].map_or(fixed, |o| o.min(fixed)));
                    tuned[k] = Some(match tuned[k].take() {
                        Some((o, _, ou)) => (o.min(r), p, if ou.0 < tu.0 { ou } else { tu }),
                        None => (r, p, tu),
                    });
                }
            }
            for (i, st) in settings.iter().enumerate() {
                let r = fixed_run(&d, &[st.apply(&base)], args.chunksize, base.nthreads)?;
                table[i] = Some(table[i].map_or(r, |o| o.min(r)));
            }
            let r = fixed_run(&d, &[Setting::DEFAULT.apply(&base)], args.chunksize, base.nthreads)?;
            default_run = Some(default_run.map_or(r, |o| o.min(r)));
        }
        let table: Vec<Run> = table.into_iter().flatten().collect();
        let default_run = default_run.expect("at least one round");
        if !eval {
            for (st, r) in settings.iter().zip(&table) {
                let rec = json!({
                    "dataset": d.name, "setting": st.label(), "cratio": r.cratio(),
                    "compress_gbps": r.nbytes as f64 / r.ctime / 1e9, "decompress_gbps": r.nbytes as f64 / r.dtime / 1e9,
                });
                if args.json {
                    println!("{rec}");
                } else {
                    println!(
                        "{:<10} {:<36} ratio {:>8.2}  comp {:>6.2} GB/s  decomp {:>6.2} GB/s",
                        d.name,
                        st.label(),
                        r.cratio(),
                        r.nbytes as f64 / r.ctime / 1e9,
                        r.nbytes as f64 / r.dtime / 1e9
                    );
                }
            }
            continue;
        }
        for (k, &t) in tradeoffs.iter().enumerate() {
            let o = Objective { tradeoff: t, mode };
            let (best_i, best) =
                table.iter().enumerate().max_by(|a, b| a.1.j(&o).total_cmp(&b.1.j(&o))).expect("a non-empty space");
            let (r, params, (tsec, ntrials)) = tuned[k].clone().expect("run");
            let rp = replay[k].expect("run");
            let chosen = summary(&params);
            let rec = json!({
                "dataset": d.name,
                "tradeoff": t,
                "mode": mode.name().to_lowercase(),
                "nthreads": base.nthreads,
                "chunksize": args.chunksize,
                "nchunks": d.bytes.len().div_ceil(args.chunksize),
                "score_fraction": r.j(&o) / best.j(&o),
                "cratio": r.cratio(),
                "compress_gbps": r.nbytes as f64 / r.ctime / 1e9,
                "decompress_gbps": r.nbytes as f64 / r.dtime / 1e9,
                "overhead": o.speed(1.0, rp.ctime, rp.dtime) / o.speed(1.0, r.ctime, r.dtime) - 1.0,
                "chosen": chosen,
                "tuning_ms": tsec * 1e3,
                "trials": ntrials,
                "tuned_ms": r.ctime * 1e3,
                "oracle": { "setting": settings[best_i].label(), "j": best.j(&o), "cratio": best.cratio(),
                            "compress_gbps": best.nbytes as f64 / best.ctime / 1e9 },
                "default_fraction": default_run.j(&o) / best.j(&o),
            });
            if args.json {
                println!("{rec}");
            } else {
                println!(
                    "{:<18} t={t:<4} {:<8} fraction {:.3} (default {:.3})  tuned {} ratio {:.2} {:.2} GB/s  oracle {} ratio {:.2} {:.2} GB/s  overhead {:+.1}% ({} trials {:.1} ms of {:.1} ms)",
                    d.name,
                    mode.name(),
                    rec["score_fraction"].as_f64().unwrap_or(0.0),
                    rec["default_fraction"].as_f64().unwrap_or(0.0),
                    chosen,
                    r.cratio(),
                    rec["compress_gbps"].as_f64().unwrap_or(0.0),
                    settings[best_i].label(),
                    best.cratio(),
                    rec["oracle"]["compress_gbps"].as_f64().unwrap_or(0.0),
                    rec["overhead"].as_f64().unwrap_or(0.0) * 100.0,
                    ntrials,
                    tsec * 1e3,
                    r.ctime * 1e3
                );
            }
        }
    }
    Ok(())
}
