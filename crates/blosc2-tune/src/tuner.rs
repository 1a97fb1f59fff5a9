//! [`Btune`]: the [`Tuner`] that runs the search. Every readapt's probes are trial
//! compressions of a sample of blocks of the chunk about to be committed, the incumbent
//! re-measured on the same sample first; the chunk itself is compressed once, with the
//! best setting. So a file of one chunk is decided within that chunk, bad settings never
//! reach the file, and timing noise between chunks does not decide winners.

use std::io::Write;
use std::sync::{Arc, Mutex};

use blosc2_core::chunk::{self, ChunkHeader, CompressParams};
use blosc2_core::tune::{ChunkInput, Clock, Outcome, SystemClock, Tuner};
use serde_json::{json, Value};

use crate::config::{BtuneConfig, PerfMode, Strategy};
use crate::cost::Costs;
use crate::features;
use crate::meter::{self, Meter};
use crate::model::Model;
use crate::search::{Measure, Search, State, Trial};
use crate::space::{FilterKind, SearchSpace, Setting};
use crate::staged::{Estimate, Fit, Stage, Staged};
use crate::trace::{self, Row};

/// What was chosen for one chunk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChunkChoice {
    /// Chunk index.
    pub index: u64,
    /// Codec name.
    pub codec: String,
    /// The six filter ids.
    pub filters: [u8; 6],
    /// The six filter metas.
    pub filters_meta: [u8; 6],
    /// Split mode name.
    pub splitmode: String,
    /// Compression level (chunk headers do not record it).
    pub clevel: u8,
    /// Block size asked for (0: automatic).
    pub blocksize: usize,
    /// Compression threads.
    pub nthreads: usize,
    /// Uncompressed bytes.
    pub nbytes: usize,
    /// Compressed bytes.
    pub cbytes: usize,
}

impl ChunkChoice {
    /// The parameters this chunk was compressed with, on top of `base` (names this build
    /// does not know keep `base`'s codec or split mode).
    pub fn params(&self, base: &CompressParams) -> CompressParams {
        let mut p = base.clone();
        p.codec = blosc2_core::codec::CodecId::from_name(&self.codec).unwrap_or(p.codec);
        p.filters.filters = self.filters;
        p.filters.meta = self.filters_meta;
        p.splitmode = blosc2_core::chunk::SplitMode::from_name(&self.splitmode).unwrap_or(p.splitmode);
        p.clevel = self.clevel;
        p.nthreads = self.nthreads;
        p
    }
}

/// The per-chunk choices of a run, shared between the tuner and whoever writes them out.
#[derive(Debug, Clone, Default)]
pub struct Record(Arc<Mutex<Vec<ChunkChoice>>>, Arc<Mutex<Spent>>);

/// The tuner's time, while searching and once decided.
#[derive(Debug, Clone, Copy, Default)]
struct Spent {
    tuning: f64,
    trials: usize,
    held: f64,
    held_chunks: usize,
}

impl Record {
    /// The choices so far.
    pub fn choices(&self) -> Vec<ChunkChoice> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Seconds spent in trial compressions so far, and how many trials.
    pub fn tuning(&self) -> (f64, usize) {
        self.1.lock().map(|v| (v.tuning, v.trials)).unwrap_or_default()
    }

    /// Seconds the tuner took choosing for the chunks compressed with a decided setting
    /// (no search going on), and how many chunks: the tuner's cost once converged.
    pub fn held(&self) -> (f64, usize) {
        self.1.lock().map(|v| (v.held, v.held_chunks)).unwrap_or_default()
    }

    fn add_held(&self, seconds: f64) {
        if let Ok(mut v) = self.1.lock() {
            v.held += seconds;
            v.held_chunks += 1;
        }
    }

    fn add_tuning(&self, seconds: f64, trials: usize) {
        if let Ok(mut v) = self.1.lock() {
            v.tuning += seconds;
            v.trials += trials;
        }
    }
}

/// The setting of zero chunks met before the search starts.
const EMPTY: Setting = Setting {
    codec: blosc2_core::codec::CodecId::LZ4,
    filter: FilterKind::None,
    clevel: 9,
    split: blosc2_core::chunk::SplitMode::Auto,
};

/// How many chunks' share of time the trials may take ahead of the compression time
/// that pays for them: a file of one chunk must decide within it.
const FIRST_CHUNK: f64 = 1.5;

/// How many times the best setting's compression time a slower candidate's own may count
/// for in its trial's budget.
const OWN_RUN: f64 = 8.0;

/// A trial whose setting promises `J_t` this many times the best's
/// ([`Staged::promise`]) may cost the share of its own run, uncapped.
const PROMISING: f64 = 1.5;

/// A trial that would cost more than this many chunks' share of time is not run.
const DROP_CHUNKS: f64 = 8.0;

/// How many of a model's best predictions the search starts from.
pub const PREDICTIONS: usize = 3;

/// A writer for the trace.
pub type TraceSink = Box<dyn Write + Send + Sync>;

/// The tuner.
pub struct Btune {
    cfg: BtuneConfig,
    space: SearchSpace,
    search: Option<Search>,
    staged: Option<Staged>,
    /// The setting decided, the compressed fraction (cbytes / nbytes) of the chunks
    /// compressed with it since (running mean) and how many: a chunk far from it starts a
    /// new search.
    held: Option<(Option<Setting>, f64, u32)>,
    /// The trials of this thread ([`Meter`]).
    meter: Meter,
    /// The trials that run on a second thread while this one runs others, when the run
    /// has two threads or more ([`Btune::next_staged`]).
    second: Meter,
    /// Whether trials may run two at a time (not with a scripted clock, which answers in
    /// the order it is asked).
    paired: bool,
    /// The trace's banner is written.
    bannered: bool,
    clock: Arc<dyn Clock>,
    trace: Option<TraceSink>,
    record: Record,
    /// Time spent in trials, seconds.
    tuning: f64,
    /// Time spent compressing the chunks written, seconds (trials not included).
    compressing: f64,
    /// The model consulted when `use_inference` is not 0.
    model: Option<Arc<Model>>,
    /// Why the configured model could not be loaded (shown in the trace).
    model_error: Option<String>,
    /// Searches started so far.
    searches: u64,
    /// What trials cost so far.
    costs: Costs,
}

impl std::fmt::Debug for Btune {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Btune").field("cfg", &self.cfg).field("space", &self.space).finish_non_exhaustive()
    }
}

impl Btune {
    /// A tuner over `space` with the system clock and no trace.
    pub fn new(cfg: BtuneConfig, space: SearchSpace) -> Btune {
        let mode = cfg.perf_mode;
        Btune {
            cfg,
            space,
            search: None,
            staged: None,
            held: None,
            meter: Meter::new(Arc::new(SystemClock), mode),
            second: Meter::new(Arc::new(SystemClock), mode),
            paired: true,
            bannered: false,
            clock: Arc::new(SystemClock),
            trace: None,
            record: Record::default(),
            tuning: 0.0,
            compressing: 0.0,
            model: None,
            model_error: None,
            searches: 0,
            costs: Costs::default(),
        }
        .with_configured_model()
    }

    /// Loads the model the configuration asks for (`use_inference` not 0: `models_dir`,
    /// a folder or one model file, else the shipped model); a model that cannot be loaded
    /// leaves the search alone, with a warning in the trace.
    fn with_configured_model(mut self) -> Btune {
        if self.cfg.use_inference != 0 {
            match Model::for_config(&self.cfg, None) {
                Ok(m) => self.model = Some(m),
                Err(e) => self.model_error = Some(e.to_string()),
            }
        }
        self
    }

    /// Consults `model` (when `use_inference` is not 0) instead of the configured one.
    pub fn with_model(mut self, model: Option<Arc<Model>>) -> Btune {
        self.model = model;
        self.model_error = None;
        self
    }

    /// The model's best [`PREDICTIONS`] settings for `chunk`, best first (none without a
    /// model, or for a chunk of zeros), with a trace line.
    fn infer(&mut self, chunk: &ChunkInput<'_>) -> Vec<Setting> {
        let Some(model) = self.model.clone() else { return Vec::new() };
        if features::looks_empty(chunk.data) {
            return Vec::new();
        }
        let t0 = self.clock.now();
        let bs = if chunk.fixed.blocksize { chunk.base.blocksize } else { 0 };
        let x = features::chunk_features(chunk.data, chunk.base.typesize, bs, self.cfg.tradeoff, self.cfg.perf_mode);
        let t1 = self.clock.now();
        let s = model.top(&x, PREDICTIONS);
        let t2 = self.clock.now();
        if self.trace.is_some() {
            self.line(&format!(
                "INFERENCE | chunk {} | {} | features {:.0} us | inference {:.1} us",
                chunk.index,
                s.iter().map(Setting::label).collect::<Vec<_>>().join(", "),
                (t1 - t0).as_secs_f64() * 1e6,
                (t2 - t1).as_secs_f64() * 1e6
            ));
        }
        s
    }

    fn banner(&mut self) {
        if self.trace.is_some() && !self.bannered {
            self.bannered = true;
            let b = trace::banner(&self.cfg);
            self.line(b.trim_end());
            if let Some(e) = self.model_error.clone() {
                self.line(&format!("WARNING: {e}; search only"));
            }
            self.line(trace::HEADER);
        }
    }

    /// Uses `clock` for every time taken.
    pub fn with_clock(mut self, clock: Box<dyn Clock>) -> Btune {
        self.clock = Arc::from(clock);
        self.meter.clock = Arc::clone(&self.clock);
        self.second.clock = Arc::clone(&self.clock);
        self.paired = false;
        self
    }

    /// Writes the trace to `sink`.
    pub fn with_trace(mut self, sink: TraceSink) -> Btune {
        self.trace = Some(sink);
        self
    }

    /// The shared record of per-chunk choices.
    pub fn record(&self) -> Record {
        self.record.clone()
    }

    /// Seconds spent in trial compressions so far.
    pub fn tuning_seconds(&self) -> f64 {
        self.tuning
    }

    /// The record and configuration as the JSON stored in a file's `btune` vlmetalayer.
    pub fn record_json(cfg: &BtuneConfig, space: &SearchSpace, record: &Record) -> Value {
        json!({
            "tuner": "blosc2-tune",
            "version": env!("CARGO_PKG_VERSION"),
            "tradeoff": cfg.tradeoff,
            "perf_mode": cfg.perf_mode.name(),
            "space": space.iter().count(),
            "chunks": record.choices(),
        })
    }

    fn line(&mut self, s: &str) {
        if let Some(w) = &mut self.trace {
            let _ = writeln!(w, "{s}");
        }
    }

    /// Compresses `sample` with `trial` and times it.
    fn measure(&self, trial: &Trial, sample: &[u8], chunk: &ChunkInput<'_>) -> Measure {
        let mut p = trial.setting.apply(chunk.base);
        p.nthreads = trial.cthreads;
        p.blocksize = if chunk.fixed.blocksize { chunk.base.blocksize.min(sample.len()) } else { 0 };
        let p = blosc2_core::tune::admit(chunk.base, chunk.fixed, CompressParams { blocksize: p.blocksize, ..p });
        let t0 = self.clock.now();
        let Ok(c) = chunk::compress(&p, sample) else {
            return Measure { nbytes: sample.len(), cbytes: sample.len(), ctime: 1.0, dtime: 1.0, special: true };
        };
        let ctime = (self.clock.now() - t0).as_secs_f64();
        let mut dtime = 0.0;
        if self.cfg.perf_mode != PerfMode::Comp {
            let mut out = vec![0u8; sample.len()];
            let t1 = self.clock.now();
            let ok = chunk::decompress_into(&c, &mut out, trial.dthreads).is_ok();
            dtime = if ok { (self.clock.now() - t1).as_secs_f64() } else { 1.0 };
        }
        let special = ChunkHeader::parse(&c).ok().and_then(|h| h.special()).is_some();
        Measure { nbytes: sample.len(), cbytes: c.len(), ctime, dtime, special }
    }

    /// Bytes one staged trial compresses for a chunk of `len` bytes compressed on
    /// `nthreads` threads: the share of the chunk's time the tradeoff lets tuning take (a
    /// loss of at most 5 % of `J_t`), spread over the dozen or so trials (which run on one
    /// thread), within [4 KiB, 64 KiB].
    fn trial_bytes(&self, len: usize, nthreads: usize) -> usize {
        ((len as f64 * self.trial_share() / 16.0 / nthreads.max(1) as f64) as usize).clamp(4 << 10, 64 << 10)
    }

    /// Bytes a trial of `s` compresses on `chunk`: [`Btune::trial_bytes`], but at least a
    /// whole block for Zstd's top clevel. Zstd picks its parameters by the size of what
    /// it compresses, and at level 22 those of a small piece are far lighter than those
    /// of a block of hundreds of KiB: a piece of a few KiB ran at 1.3 GB/s where the
    /// blocks of the run went at 0.01 GB/s (`counters_i64`, 512 KiB chunks).
    /// BloscLZ too: it gives up on a block whose start does not compress well enough
    /// for its size, so pieces of a block compressed 3.7x where the 128,000-byte blocks
    /// of the chunk were stored as they were (`temps.npy` of the README, BloscLZ 5 +
    /// bitshuffle), and it is fast enough for a whole block.
    /// The filter stage's trials (`filters`) compress a quarter of that, and at least
    /// 1/1024 of the chunk within [4 KiB, 8 KiB]: they always run, the four of them, since
    /// a pipeline can change the ratio twenty-fold (`arange_i64` with shuffle + bytedelta),
    /// and on a fast run the budget would not let the fourth one run. Pieces of 2 KiB and
    /// 1 KiB drawn to LZ4 9's blocks of 4 MiB (8 MiB chunks of `linspace_f64` at t = 0.1)
    /// gave speeds that moved 2-4x from run to run and ranked bitshuffle above shuffle +
    /// bytedelta in two runs of three (ratios 48 and 162 on the chunk, 1.05x apart in speed);
    /// with 8 KiB of trial the two stood 2.8x apart in `J_t` in six runs of six.
    fn sample_bytes(&self, s: &Setting, chunk: &ChunkInput<'_>, filters: bool) -> usize {
        let mut allow = self.trial_bytes(chunk.data.len(), chunk.base.nthreads);
        if filters {
            allow = (allow / 4).max((chunk.data.len() / 1024).clamp(4 << 10, 8 << 10));
        }
        let whole = (s.codec == blosc2_core::codec::CodecId::ZSTD && s.clevel >= 9)
            || s.codec == blosc2_core::codec::CodecId::BLOSCLZ;
        if whole {
            let mut p = s.apply(chunk.base);
            allow.max(meter::block_size(&mut p, chunk).min(chunk.data.len()))
        } else {
            allow
        }
    }

    /// Bytes a trial of `s` with `allow` bytes ([`Btune::measure_setting`]) compresses:
    /// up to eight whole blocks, or pieces of two sizes (half as much again).
    fn compressed_bytes(&self, s: &Setting, chunk: &ChunkInput<'_>, allow: usize) -> usize {
        let mut p = s.apply(chunk.base);
        let bs = meter::block_size(&mut p, chunk).max(1);
        if bs <= allow { (allow / bs).clamp(1, 8) * bs } else { allow + allow / 2 }
            .min(chunk.data.len() + chunk.data.len() / 2)
    }

    /// Finds where `data` holds its data ([`features::DataMap`]) unless `anchored` says
    /// this chunk's map is made already.
    fn anchor(&mut self, data: &[u8], anchored: &mut bool) {
        if !*anchored {
            self.meter.map_chunk(data);
            *anchored = true;
        }
    }

    /// The staged search: on the first chunk (and after the data changed) the trials,
    /// then the best setting held.
    fn next_staged(&mut self, chunk: &ChunkInput<'_>) -> CompressParams {
        let t0 = self.clock.now();
        let data = chunk.data;
        let searching = self.staged.as_ref().is_none_or(|st| !st.done());
        // Where this chunk holds its data, found before its first trial only
        // ([`Btune::anchor`]): a chunk whose trials all wait pays nothing.
        let mut anchored = false;
        let empty = searching && features::looks_empty(data);
        let mut trials = 0;
        if self.cfg.use_inference < 0 && self.model.is_some() && !features::looks_empty(data) {
            // Inference on every chunk, no trials.
            self.banner();
            if let Some(s) = self.infer(chunk).first() {
                let spent = (self.clock.now() - t0).as_secs_f64();
                self.tuning += spent;
                self.record.add_tuning(spent, 0);
                return s.apply(chunk.base);
            }
        }
        if self.staged.is_none() && !empty {
            self.banner();
            // The first N searches (chunks of zeros before the first one do not count).
            let n = u64::try_from(self.cfg.use_inference).unwrap_or(0);
            let predicted = if self.searches < n { self.infer(chunk) } else { Vec::new() };
            self.searches += 1;
            // A byte shuffle of one-byte items changes nothing: with no filter in the space,
            // its trials would only take the place of another pipeline's.
            let mut space = self.space.clone();
            if chunk.base.typesize <= 1 && space.filters.contains(&FilterKind::None) && space.filters.len() > 1 {
                space.filters.retain(|&f| f != FilterKind::Shuffle);
            }
            self.staged = Some(if predicted.is_empty() {
                Staged::new(&self.cfg, &space)
            } else {
                Staged::around(&self.cfg, &space, &predicted)
            });
            self.held = None;
            // No untimed trial first: a trial that takes under RETIME_BELOW, as the
            // filter stage's all do, is timed twice and the faster kept ([`timed`]), and
            // the buffers are sized before the timings ([`Btune::trial`]). One untimed
            // trial of LZ4 1 + shuffle (a whole set of pieces) ran before the first
            // stage: without it, the trials of the star table's one- and 2 MiB-chunk runs
            // at COMP 0.1 and 0.5 took a median 8.3 % of the tuned run instead of 9.1 %
            // (the WORKLOADS data sets' 12.3 % instead of 11.7 %), scores within their
            // spread: neutral, and simpler.
        }
        let go = !empty && self.staged.as_ref().is_some_and(|st| !st.done());
        if let Some(mut st) = self.staged.take_if(|_| go) {
            // Trials take at most the share of the compression time that the tradeoff
            // lets them take ([`Btune::trial_share`]), counted over the run: the trials so
            // far, this chunk's and the next one's against the compression time of the
            // chunks written so far plus this chunk's (estimated from the best setting
            // measured) with FIRST_CHUNK times its share ahead. A trial whose estimated cost
            // ([`Costs`]) does not fit waits for a later chunk, when the run has earned it;
            // one that would take more than DROP_CHUNKS chunks' share is dropped (the slow
            // codecs' top levels on fast data). So a file of one chunk pays at most 1.5
            // times the share and a longer one goes on searching chunk after chunk, the
            // whole run within the share. The first trial of a search always runs.
            // Two trials at a time when the run has two threads ([`Btune::search_chunk`]), on
            // the chunk where a search begins: its first stage runs two trials or more
            // whatever the budget. On the chunks after it, where a search goes on with the
            // trials that waited, one fits or none, and the helper's start (20-60 us, the
            // time a sleeping worker takes to wake) would be paid for nothing.
            let first = matches!(st.stage(), Stage::Filters | Stage::Model);
            let nthreads = if self.paired && first { chunk.base.nthreads } else { 1 };
            trials = blosc2_core::chunk::with_helper(nthreads, |helper| {
                self.search_chunk(&mut st, chunk, t0, &mut anchored, helper)
            });
            self.staged = Some(st);
        }
        let spent = (self.clock.now() - t0).as_secs_f64();
        self.tuning += spent;
        self.record.add_tuning(spent, trials);
        if !searching {
            self.record.add_held(spent);
        }
        let best = match &self.staged {
            Some(st) => st.best(),
            // Before any trial, a chunk of zeros: the fastest setting (no filter pass,
            // LZ4), since every setting gives it about the same size.
            None if empty && self.space.iter().any(|x| x == EMPTY) => EMPTY,
            None => Setting::DEFAULT,
        };
        best.apply(chunk.base)
    }

    /// The trials of the staged search `st` on `chunk` (whose search began at `t0`) that fit
    /// the budget, two at a time with `helper` when the run has two threads or more: a
    /// trial of the same stage that fits with the first one's estimated cost counted runs
    /// on the helper meanwhile. Returns how many ran.
    fn search_chunk<'h>(
        &mut self,
        st: &mut Staged,
        chunk: &'h ChunkInput<'h>,
        t0: std::time::Duration,
        anchored: &mut bool,
        helper: &blosc2_core::chunk::Helper<'h>,
    ) -> usize {
        let data = chunk.data;
        let mut trials = 0;
        let share = self.trial_share();
        let threads = chunk.base.nthreads.max(1) as f64;
        let (tuned_before, compressed_before) = (self.tuning, self.compressing);
        loop {
            let spent = (self.clock.now() - t0).as_secs_f64();
            // The chunk's compression time with the best setting so far; for the
            // clevels of the best pairs, for every candidate when ratio weighs most on
            // data that compress 2x or more, or half on data that compress 4x or more,
            // and in DECOMP mode, with the candidate when slower, up to OWN_RUN times
            // the best's (uncapped in DECOMP mode at t >= 0.7: [`Btune::run_time`]): the
            // share is of the time of the run that the candidate would make if it won (a
            // Zstd trial is worth its cost where Zstd can double the ratio). On data that
            // compress less than 2x, the entropy coders' gains do
            // not pay for their speed even at t = 0.9 (the star table's float columns,
            // ratio 1.2-1.3: LZ4 wins every cell, and the trials of Zstd, LZ4HC and Zlib
            // took 65-80 % of the tuned run).
            let best = st.best_estimate();
            let timed_per_compress = self.objective_time_per_compression(best.as_ref());
            let compressed_before = compressed_before * timed_per_compress;
            let chunk_time = best.map(|e| data.len() as f64 / e.cspeed.max(1.0) / threads * timed_per_compress);
            let ratio = best.map_or(0.0, |e| e.cratio);
            let own_run = (self.cfg.tradeoff >= 0.7 && ratio >= 2.0)
                || self.cfg.perf_mode == PerfMode::Decomp
                || (self.cfg.tradeoff >= 0.5 && ratio >= 4.0);
            let this = &*self;
            let view = st.clone();
            let fit = |s: &Setting, stage: Stage, ahead: f64| {
                // The first stage's trials run on the first chunk whatever the budget:
                // the filter stage's four pipelines, or the model's predictions (the
                // default after them waits like any other trial). A prediction left
                // for a later chunk left the first ones to the model's first choice
                // alone: BloscLZ 9 without a filter on `linspace_f64` at t = 0.1 (ratio
                // 1, where LZ4 1 + shuffle + bytedelta, the second prediction, gets 61).
                // (And Zstd's leads in the codec stage: [`Staged::leads`].)
                if stage == Stage::Filters || (stage == Stage::Model && *s != Setting::DEFAULT) {
                    return Fit::Run;
                }
                let own = own_run || matches!(stage, Stage::Clevels | Stage::Confirm);
                let Some((cost, rate)) = this.estimated(s, chunk, &view) else { return Fit::Run };
                let Some(best_ct) = chunk_time else { return Fit::Run };
                let own_time = rate * data.len() as f64 / threads;
                let speed = 1.0 / rate.max(1e-15);
                let promising = view.promise(s, speed).is_some_and(|g| g > PROMISING.ln());
                let ct = this.run_time(best_ct, own_time, own, promising);
                let allowance = share * (compressed_before + FIRST_CHUNK * ct);
                if cost > share * ct * DROP_CHUNKS {
                    Fit::Drop
                } else if cost > share * best_ct && !view.can_win(s, speed) {
                    // Not cheap, and it would not win at the speed its trial's cost
                    // says (the share of one chunk's time is spent without asking).
                    Fit::Drop
                } else if tuned_before + spent + ahead + cost > allowance {
                    Fit::Wait
                } else {
                    Fit::Run
                }
            };
            let Some(s) = st.next_fitting(|s, stage| fit(s, stage, 0.0)) else {
                break;
            };
            // A second trial of the same stage on the helper, when one fits with the
            // first one's estimated cost counted as spent (trials are budgeted in
            // thread-seconds; two at a time, they take about half of that in wall time),
            // in the stages whose trials are set when they begin (the pipelines, the
            // model's predictions, the best three measured again). In the codec and clevel
            // stages what a trial says decides what runs next: paired, Zstd 5's two leads
            // on `galaxy_u8` (COMP 0.5) ran together and took the budget, where after the
            // first one lost on speed Zstd 1 + bitshuffle, the best fixed setting, ran
            // before the second (scores 0.60-0.75 against 0.69-0.91 in two runs).
            let settled = matches!(st.stage(), Stage::Filters | Stage::Model | Stage::Confirm);
            let second = if helper.threads() >= 2 && settled {
                let ahead = this.estimated(&s, chunk, &view).map_or(0.0, |e| e.0);
                st.next_fitting_here(|x, stage| fit(x, stage, ahead))
            } else {
                None
            };
            self.anchor(data, anchored);
            let stage = st.stage();
            let bytes = self.sample_bytes(&s, chunk, stage == Stage::Filters);
            match second {
                None => {
                    let got = self.meter.measure_timed(&s, chunk, bytes);
                    self.count_trial(st, stage, s, got, chunk.index);
                    trials += 1;
                }
                Some(s2) => {
                    let bytes2 = self.sample_bytes(&s2, chunk, stage == Stage::Filters);
                    let mut other = std::mem::take(&mut self.second);
                    other.follow(&self.meter);
                    let meter = &mut self.meter;
                    let (got, (got2, other)) = helper.both(
                        || meter.measure_timed(&s, chunk, bytes),
                        move || (other.measure_timed(&s2, chunk, bytes2), other),
                    );
                    self.meter.learn(&other);
                    self.second = other;
                    self.count_trial(st, stage, s, got, chunk.index);
                    self.count_trial(st, stage, s2, got2, chunk.index);
                    trials += 2;
                }
            }
        }
        trials
    }

    /// Records a trial of `s` (`got`: its measure, the bytes and seconds of its
    /// compressions and its wall time) in the search, the costs and the trace.
    fn count_trial(
        &mut self,
        st: &mut Staged,
        stage: Stage,
        s: Setting,
        got: (Measure, (usize, f64), f64),
        index: u64,
    ) {
        let (m, timed, wall) = got;
        // The compressions' own time per byte, and the rest (a Zstd context for a new level,
        // the sample gathered) as a fixed part.
        self.costs.record(&s, timed.0, timed.1, wall);
        let before = st.best();
        st.record(s, &m);
        let w = if m.special {
            'S'
        } else if st.best() == s && before != s {
            'W'
        } else {
            '-'
        };
        let trial = Trial { setting: s, cthreads: 1, dthreads: 1 };
        self.staged_row(&trial, stage.name(), w, index, &m);
    }

    /// A trial of `s`'s estimated cost in seconds and its cost per byte compressed, from
    /// the trials so far ([`Costs`]); `None` before any.
    fn estimated(&self, s: &Setting, chunk: &ChunkInput<'_>, view: &Staged) -> Option<(f64, f64)> {
        let bytes = self.compressed_bytes(s, chunk, self.sample_bytes(s, chunk, false));
        // The data's ratio with these filters so far: a slow codec costs less of its prior
        // on data that compress well ([`cost::dense_share`]).
        let ratio = view
            .measured()
            .iter()
            .filter(|e| !e.special && (e.setting.filter, e.setting.split) == (s.filter, s.split))
            .map(|e| e.cratio)
            .fold(1.0, f64::max);
        let (fixed, rate) = self.costs.parts_at(s, ratio)?;
        Some((fixed + rate * bytes as f64, rate))
    }

    /// The chunk's compression time whose share a candidate's trial may take, from the
    /// best setting's (`best_ct`) and the candidate's own (`own_time`): the best's, or
    /// with the candidate's own run when slower (`own`), up to [`OWN_RUN`] times the
    /// best's. Uncapped for a top clevel whose ratio grew fast below it (`promising`: Zstd
    /// 1 to 5 gains 5.5x on a ramp with shuffle + bytedelta, and its clevel 9 may promise
    /// `J_t` 1.5x the best's or more), and in DECOMP mode when ratio weighs most (t >= 0.7),
    /// where the objective does not count the compression's time: a setting that would win
    /// pays for its trial with its own run. Capped, Zstd 9 (0.01 GB/s on `galaxy_u8`) never
    /// ran at DECOMP 0.9, where it is the best fixed setting (docs/btune.md, "Four changes
    /// tried on 2026-12-08"). Not below 0.7: there the trials of LZ4HC 9 and Zlib 9 that
    /// fitted, whose decompression speeds on pieces run ahead of the chunks', won where
    /// BloscLZ was best.
    fn run_time(&self, best_ct: f64, own_time: f64, own: bool, promising: bool) -> f64 {
        let decomp_ratio = self.cfg.perf_mode == PerfMode::Decomp && self.cfg.tradeoff >= 0.7;
        if promising || decomp_ratio {
            best_ct.max(own_time)
        } else if own {
            best_ct.max(own_time).min(OWN_RUN * best_ct)
        } else {
            best_ct
        }
    }

    /// The share of a chunk's compression time the trials may take: [`Btune::tuning_share`]
    /// where compression time counts in the objective; in DECOMP mode, where it does not,
    /// as long as the compression itself.
    fn trial_share(&self) -> f64 {
        if self.cfg.perf_mode == PerfMode::Decomp {
            1.0
        } else {
            self.tuning_share()
        }
    }

    /// The objective's time per second of compression, by the best setting's trial
    /// (`best`): in BALANCED mode compression and decompression count, and the trials
    /// take their share of both (the budget of a BALANCED 0.5 run of `arange_i64`, one
    /// 16 MiB chunk on two threads, ran out after Zstd 5 + shuffle, before Zstd 5 +
    /// shuffle + bytedelta, the best fixed setting at 18 times its ratio); 1 in the
    /// other modes (DECOMP's share is of the compression time already,
    /// [`Btune::trial_share`]). Within [1, 8].
    fn objective_time_per_compression(&self, best: Option<&Estimate>) -> f64 {
        match best {
            Some(e) if self.cfg.perf_mode == PerfMode::Balanced => (e.cspeed / e.speed.max(1.0)).clamp(1.0, 8.0),
            _ => 1.0,
        }
    }

    /// The share of the compression time trials may take: an overhead that costs at
    /// most 5 % of `J_t` (`(1 + share)^-(1 - t) = 0.95`), from 6 % at t = 0.1 to 67 % at
    /// t = 0.9.
    fn tuning_share(&self) -> f64 {
        let t = self.cfg.tradeoff.clamp(0.0, 0.95);
        0.95f64.powf(-1.0 / (1.0 - t)) - 1.0
    }

    fn staged_row(&mut self, trial: &Trial, state: &str, winner: char, index: u64, m: &Measure) {
        if self.trace.is_none() {
            return;
        }
        let o = crate::Objective { tradeoff: self.cfg.tradeoff, mode: self.cfg.perf_mode };
        let sscore = o.speed(m.nbytes as f64, m.ctime, m.dtime) / (1u64 << 30) as f64;
        self.trace_row(trial, m, sscore, state, "HARD", winner, index);
    }

    /// After a chunk compressed with the held setting: a compressed fraction far from the
    /// run's so far (by half of it and at least 0.1) means the data changed, and the next
    /// chunk searches again, if the trials so far took less than the tradeoff's share of
    /// the run's compression time ([`Btune::tuning_share`]): data whose chunks keep
    /// changing (a sparse cube, slab after slab) would otherwise search on most chunks and
    /// spend more time in trials than in compressing. Until then the setting is held and
    /// the watch goes on from the new chunk.
    fn watch(&mut self, outcome: &Outcome) {
        let decided = self.staged.as_ref().is_some_and(Staged::done);
        if self.cfg.strategy != Strategy::Staged || !decided {
            self.held = None;
            return;
        }
        if outcome.special.is_some() || outcome.nbytes < 4096 {
            return;
        }
        let setting = Setting::of(&outcome.params);
        let f = outcome.cbytes as f64 / outcome.nbytes.max(1) as f64;
        match self.held {
            Some((s, mean, _)) if s == setting && (f - mean).abs() > (mean / 2.0).max(0.1) => {
                if self.tuning <= self.trial_share() * self.compressing {
                    self.staged = None;
                    self.held = None;
                } else {
                    self.held = Some((setting, f, 1));
                }
            }
            Some((s, mean, n)) if s == setting => {
                self.held = Some((s, (mean * f64::from(n) + f) / f64::from(n + 1), n + 1));
            }
            _ => self.held = Some((setting, f, 1)),
        }
    }

    fn row(&mut self, trial: &Trial, search: &Search, winner: char, index: u64, m: &Measure) {
        if self.trace.is_none() {
            return;
        }
        let state = match search.state() {
            State::CodecFilter => "CODEC_FILTER",
            State::Threads if self.cfg.perf_mode == PerfMode::Decomp => "THREADS_DECOMP",
            State::Threads => "THREADS_COMP",
            State::Clevel => "CLEVEL",
            State::Waiting => "WAITING",
            State::Stop => "STOP",
        };
        let score = match self.cfg.perf_mode {
            PerfMode::Comp => m.ctime,
            PerfMode::Decomp => m.dtime,
            PerfMode::Balanced => m.ctime + m.dtime,
        };
        let sscore = m.nbytes as f64 / (score.max(1e-12) * (1u64 << 30) as f64);
        self.trace_row(trial, m, sscore, state, search.readapt().name(), winner, index);
    }

    /// One trace row for a trial: its setting and threads, `sscore` (GiB/s), its ratio.
    #[allow(clippy::too_many_arguments)]
    fn trace_row(
        &mut self,
        trial: &Trial,
        m: &Measure,
        sscore: f64,
        state: &str,
        readapt: &str,
        winner: char,
        index: u64,
    ) {
        let r = Row {
            codec: trial.setting.codec.name().unwrap_or("?"),
            filter: trial.setting.filter.id(),
            split: trial.setting.split == blosc2_core::chunk::SplitMode::Always,
            clevel: trial.setting.clevel,
            cthreads: trial.cthreads,
            dthreads: trial.dthreads,
            sscore,
            cratio: m.nbytes as f64 / m.cbytes.max(1) as f64,
            state,
            readapt,
            winner,
        }
        .format();
        self.line(&format!("{r} | chunk {index} | {:.0} us", m.ctime * 1e6));
    }
}

impl Tuner for Btune {
    fn next_params(&mut self, chunk: &ChunkInput<'_>) -> CompressParams {
        if self.cfg.strategy == Strategy::Staged {
            return self.next_staged(chunk);
        }
        if self.search.is_none() {
            self.search = Some(Search::new(&self.cfg, &self.space, chunk.base.typesize, chunk.base.nthreads));
            if self.trace.is_some() {
                let b = trace::banner(&self.cfg);
                self.line(b.trim_end());
                self.line(trace::HEADER);
            }
        }
        let mut search = self.search.take().expect("set above");
        let t0 = self.clock.now();
        let data = chunk.data;
        let empty = data.len() < 64 || data.iter().all(|&b| b == 0);
        if search.probing() && !empty {
            let unit = if chunk.fixed.blocksize
                && chunk.base.blocksize > 0
                && chunk.base.blocksize * 4 <= self.cfg.sample_bytes
            {
                chunk.base.blocksize
            } else {
                chunk.base.typesize.max(1)
            };
            let sample = features::sample(data, unit, self.cfg.sample_bytes, 8);
            let best = search.best().trial;
            let m = self.measure(&best, &sample, chunk);
            search.rescore_best(&m);
            let done = search.finished();
            let mut guard = 0;
            while search.probing() && search.finished() == done && guard < 10_000 {
                guard += 1;
                let trial = search.next_trial();
                let m = self.measure(&trial, &sample, chunk);
                let before = search.clone();
                let w = search.update(&m);
                self.row(&trial, &before, w, chunk.index, &m);
            }
        } else if search.state() == State::Waiting {
            search.next_trial();
            search.update(&Measure { nbytes: 1, cbytes: usize::MAX, ctime: 1.0, dtime: 1.0, special: true });
        }
        let spent = (self.clock.now() - t0).as_secs_f64();
        self.tuning += spent;
        self.record.add_tuning(spent, 0);
        let best = search.best().trial;
        self.search = Some(search);
        let mut p = best.setting.apply(chunk.base);
        p.nthreads = best.cthreads;
        p
    }

    fn update(&mut self, outcome: &Outcome) {
        let p = &outcome.params;
        let choice = ChunkChoice {
            index: outcome.index,
            codec: p.codec.name().unwrap_or("?").to_string(),
            filters: p.filters.filters,
            filters_meta: p.filters.meta,
            splitmode: p.splitmode.name().to_string(),
            clevel: p.clevel,
            blocksize: p.blocksize,
            nthreads: p.nthreads,
            nbytes: outcome.nbytes,
            cbytes: outcome.cbytes,
        };
        if let Ok(mut v) = self.record.0.lock() {
            v.push(choice);
        }
        self.compressing += outcome.ctime.as_secs_f64();
        self.watch(outcome);
    }

    fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use blosc2_core::chunk::CompressParams;
    use blosc2_core::tune::{ChunkInput, Clock, Fixed, Outcome, Tuner};

    use super::Btune;
    use crate::space::FilterKind;
    use crate::{BtuneConfig, SearchSpace};

    /// A clock that advances 1 ms on every reading: trials take time.
    struct Steps(Mutex<u64>);
    impl Clock for Steps {
        fn now(&self) -> Duration {
            let mut t = self.0.lock().unwrap();
            *t += 1;
            Duration::from_millis(*t)
        }
    }

    /// A clock that advances by the given steps in turn, one after each reading (1 us once
    /// they run out): a timing is the step after its first reading.
    struct Script(Mutex<(Duration, std::collections::VecDeque<Duration>)>);
    impl Script {
        fn new(steps_us: &[f64]) -> Script {
            let steps = steps_us.iter().map(|&us| Duration::from_secs_f64(us * 1e-6)).collect();
            Script(Mutex::new((Duration::ZERO, steps)))
        }
    }
    impl Clock for Script {
        fn now(&self) -> Duration {
            let mut g = self.0.lock().unwrap();
            let t = g.0;
            let step = g.1.pop_front().unwrap_or(Duration::from_micros(1));
            g.0 += step;
            t
        }
    }

    /// Data that LZ4 compresses some (a slow ramp of 8-byte integers).
    fn ramp(n: usize) -> Vec<u8> {
        (0..n as u64 / 8).flat_map(|i| (i / 3).to_le_bytes()).collect()
    }

    fn lz4() -> crate::Setting {
        crate::Setting { codec: blosc2_core::codec::CodecId::LZ4, ..crate::Setting::DEFAULT }
    }

    #[test]
    fn balanced_trials_take_their_share_of_compression_and_decompression_time() {
        let best =
            crate::staged::Estimate { setting: lz4(), cratio: 3.0, speed: 1e9 / 3.0, cspeed: 1e9, special: false };
        let per = |mode: crate::PerfMode| {
            let cfg = BtuneConfig { tradeoff: 0.5, perf_mode: mode, ..BtuneConfig::default() };
            Btune::new(cfg, SearchSpace::default()).objective_time_per_compression(Some(&best))
        };
        // 1 s of compression and 2 of decompression per GB: 3 s of BALANCED time.
        assert!((per(crate::PerfMode::Balanced) - 3.0).abs() < 1e-12);
        assert_eq!(per(crate::PerfMode::Comp), 1.0);
        assert_eq!(per(crate::PerfMode::Decomp), 1.0);
    }

    #[test]
    fn a_slower_candidate_counts_its_own_run_capped_but_at_decomp_0_7_or_more_and_when_promising() {
        let at = |mode: crate::PerfMode, tradeoff: f64| {
            let cfg = BtuneConfig { tradeoff, perf_mode: mode, ..BtuneConfig::default() };
            Btune::new(cfg, SearchSpace::default())
        };
        // A candidate 300 times slower than the best (1 ms a chunk).
        let (best, own) = (1e-3, 0.3);
        for b in [at(crate::PerfMode::Comp, 0.9), at(crate::PerfMode::Balanced, 0.9), at(crate::PerfMode::Decomp, 0.5)]
        {
            assert_eq!(b.run_time(best, own, false, false), best);
            assert_eq!(b.run_time(best, own, true, false), super::OWN_RUN * best);
            assert_eq!(b.run_time(best, own, true, true), own);
            assert_eq!(b.run_time(best, own, false, true), own);
        }
        let decomp = at(crate::PerfMode::Decomp, 0.7);
        for (o, p) in [(false, false), (true, false), (true, true)] {
            assert_eq!(decomp.run_time(best, own, o, p), own, "DECOMP 0.7, own {o}, promising {p}");
        }
        // A faster candidate: the best's time.
        assert_eq!(decomp.run_time(best, 1e-4, true, true), best);
    }

    #[test]
    fn a_short_trial_keeps_the_faster_of_two_timings_and_a_long_one_is_timed_once() {
        let data = ramp(64 << 10);
        let p = lz4().apply(&CompressParams { typesize: 8, nthreads: 1, ..CompressParams::default() });
        // 90 us (short: again), then 30 us: the faster kept.
        let mut b = Btune::new(BtuneConfig::default(), SearchSpace::default())
            .with_clock(Box::new(Script::new(&[90.0, 5.0, 30.0, 5.0, 7.0])));
        let (m, _) = b.meter.trial(&p, &data, 16 << 10).unwrap();
        assert!((m.ctime - 30e-6).abs() < 1e-9, "{}", m.ctime);
        // 150 us: timed once (the next step, 7 us, is not a timing of it).
        let mut b = Btune::new(BtuneConfig::default(), SearchSpace::default())
            .with_clock(Box::new(Script::new(&[150.0, 7.0, 7.0])));
        let (m, _) = b.meter.trial(&p, &data, 16 << 10).unwrap();
        assert!((m.ctime - 150e-6).abs() < 1e-9, "{}", m.ctime);
    }

    #[test]
    fn times_of_pieces_extrapolate_to_a_block_with_a_bounded_cost_per_byte() {
        // Blocks of 128,000 bytes fixed by the container, trials of 8 KiB: two pieces of
        // 4 KiB, then their halves; each timing of the halves comes first.
        let data = ramp(1 << 20);
        let base = CompressParams { typesize: 8, nthreads: 1, blocksize: 128_000, ..CompressParams::default() };
        let chunk = ChunkInput { index: 0, data: &data, base: &base, fixed: Fixed { blocksize: true } };
        let (big, bs) = (4096.0, 128_000.0);
        let estimate = |halves_us: f64, big_us: f64| {
            let steps = [halves_us, 1.0, halves_us, 1.0, big_us, 1.0, big_us, 1.0];
            let mut b =
                Btune::new(BtuneConfig::default(), SearchSpace::default()).with_clock(Box::new(Script::new(&steps)));
            let m = b.meter.measure_setting(&lz4(), &chunk, 8 << 10);
            assert_eq!(m.nbytes, 128_000);
            m.ctime
        };
        // Per piece of 4 KiB: 5.25 us, per half: 5 us. A line through both says 0.25 us a
        // 2 KiB and 4.75 us fixed: 20.4 us a block. Bounded: at least a quarter of the
        // piece's cost per byte (and the rest of its time fixed).
        let per_piece = 10.5e-6 / 2.0;
        let floor = crate::meter::PIECE_COST_FLOOR;
        let t = estimate(10.0, 10.5);
        assert!((t - floor * per_piece * bs / big - (1.0 - floor) * per_piece).abs() < 1e-9, "{t}");
        // Per piece 10 us, per half 0.5 us: a line through both has no fixed part left and
        // a cost per byte above the piece's own. Bounded: the piece's cost per byte.
        let t = estimate(1.0, 20.0);
        assert!((t - 10e-6 * bs / big).abs() < 1e-9, "{t}");
        // In between, the line itself: 2 us fixed, 2 us per half of 2 KiB.
        let t = estimate(8.0, 12.0);
        assert!((t - (2e-6 + 4e-6 * bs / big)).abs() < 1e-9, "{t}");
    }

    #[test]
    fn blocks_of_zeros_count_at_their_own_cost() {
        // 16 blocks of 64 KiB, data in the last 4: three quarters of the blocks are zeros.
        let mut data = vec![0u8; 1 << 20];
        data[12 << 16..].copy_from_slice(&ramp(4 << 16));
        let base = CompressParams { typesize: 8, nthreads: 1, blocksize: 1 << 16, ..CompressParams::default() };
        let chunk = ChunkInput { index: 0, data: &data, base: &base, fixed: Fixed { blocksize: true } };
        // Every timing of this clock is 1 ms.
        let mut b =
            Btune::new(BtuneConfig::default(), SearchSpace::default()).with_clock(Box::new(Steps(Mutex::new(0))));
        b.anchor(&data, &mut false);
        assert!(b.meter.anchors.iter().all(|&a| a >= 12 << 16), "pieces among the data: {:?}", b.meter.anchors);
        // Two whole blocks with data in 1 ms, a block of zeros from 32 KiB (and one item) in 1 ms.
        let only_data = b.meter.measure_data(&lz4(), &chunk, 2 << 16);
        assert_eq!(only_data.nbytes, 2 << 16);
        let m = b.meter.measure_setting(&lz4(), &chunk, 2 << 16);
        assert_eq!(m.nbytes, 1 << 16);
        let zeros = 1e-3 * f64::from(1u32 << 16) / f64::from((1u32 << 15) + 8);
        let want = 0.25 * 1e-3 / 2.0 + 0.75 * zeros;
        assert!((m.ctime - want).abs() < 1e-12, "{} s, not {want}", m.ctime);
        // A block of zeros stores a 4-byte marker per stream and its offset.
        let want = 0.25 * only_data.cbytes as f64 / 2.0 + 0.75 * f64::from(4 * 8 + 4);
        assert!((m.cbytes as f64 - want).abs() <= 1.0, "{} bytes, not {want}", m.cbytes);
        // Without blocks of zeros, the data's measure as it is.
        let dense = ramp(1 << 20);
        let chunk = ChunkInput { data: &dense, ..chunk };
        b.anchor(&dense, &mut false);
        assert_eq!(b.meter.measure_setting(&lz4(), &chunk, 2 << 16), b.meter.measure_data(&lz4(), &chunk, 2 << 16));
    }

    #[test]
    fn filter_trials_take_at_least_a_1024th_of_the_chunk_within_4_to_8_kib() {
        // COMP 0.1 on two threads: a trial's share of an 8 MiB chunk is 15.7 KiB, a
        // quarter of it under 4 KiB.
        let b = Btune::new(
            BtuneConfig { tradeoff: 0.1, perf_mode: crate::PerfMode::Comp, ..BtuneConfig::default() },
            SearchSpace::default(),
        );
        let base = CompressParams { typesize: 8, nthreads: 2, ..CompressParams::default() };
        let bytes = |len: usize| {
            let data = vec![1u8; len];
            let chunk = ChunkInput { index: 0, data: &data, base: &base, fixed: Fixed::default() };
            (b.sample_bytes(&lz4(), &chunk, true), b.sample_bytes(&lz4(), &chunk, false))
        };
        assert_eq!(bytes(1 << 20).0, 4 << 10);
        assert_eq!(bytes(6 << 20).0, 6 << 10);
        let (filters, others) = bytes(8 << 20);
        assert_eq!(filters, 8 << 10);
        assert!(others > filters && others < 16 << 10, "{others}");
        assert_eq!(bytes(16 << 20).0, 8 << 10);
    }

    #[test]
    fn on_two_threads_a_search_runs_its_first_trials_two_at_a_time() {
        let data = ramp(4 << 20);
        for nthreads in [1, 2] {
            let mut b = Btune::new(BtuneConfig { tradeoff: 0.5, ..BtuneConfig::default() }, SearchSpace::default());
            let base = CompressParams { typesize: 8, nthreads, ..CompressParams::default() };
            let input = ChunkInput { index: 0, data: &data, base: &base, fixed: Fixed { blocksize: false } };
            let p = b.next_params(&input);
            let st = b.staged.as_ref().expect("a search");
            // The filter stage's four pipelines, all measured, whatever ran where.
            let filters: Vec<FilterKind> = st.measured().iter().map(|e| e.setting.filter).take(4).collect();
            assert_eq!(filters.len(), 4, "{nthreads} threads: {filters:?}");
            for f in [FilterKind::None, FilterKind::Shuffle, FilterKind::Bitshuffle, FilterKind::ShuffleBytedelta] {
                assert!(filters.contains(&f), "{nthreads} threads: {f:?} not measured");
            }
            // The second thread's meter took the chunk's map: it ran trials.
            assert_eq!(b.second.chunks_mapped(), u64::from(nthreads == 2), "{nthreads} threads");
            assert_eq!(p.nthreads, nthreads);
            let c = blosc2_core::chunk::compress(&p, &data).unwrap();
            assert_eq!(blosc2_core::chunk::decompress(&c).unwrap(), data);
        }
    }

    #[test]
    fn a_change_in_the_data_searches_again_only_within_the_share_of_time() {
        let mut b = Btune::new(BtuneConfig { tradeoff: 0.5, ..BtuneConfig::default() }, SearchSpace::default())
            .with_clock(Box::new(Steps(Mutex::new(0))));
        let data: Vec<u8> = (0..65_536u64).flat_map(|i| (i * 3).to_le_bytes()).collect();
        let base = CompressParams { typesize: 8, nthreads: 1, ..CompressParams::default() };
        // Chunks (their outcomes made up: sizes and compression times) until decided.
        let chunk = |b: &mut Btune, cbytes: usize, ctime_ms: u64| {
            let index = b.record.choices().len() as u64;
            let input = ChunkInput { index, data: &data, base: &base, fixed: Fixed { blocksize: false } };
            let params = b.next_params(&input);
            let ctime = Duration::from_millis(ctime_ms);
            b.update(&Outcome { index, params, nbytes: data.len(), cbytes, ctime, special: None });
        };
        while !b.staged.as_ref().is_some_and(crate::staged::Staged::done) {
            chunk(&mut b, data.len() / 16, 100);
            assert!(b.record.choices().len() < 50, "the search ends");
        }
        assert_eq!(b.record.held(), (0.0, 0), "no chunk compressed once decided yet");
        for _ in 0..3 {
            chunk(&mut b, data.len() / 16, 1);
        }
        let (held_s, held) = b.record.held();
        assert!(held == 3 && held_s > 0.0, "{held} chunks held, {held_s} s");
        // Chunks of 1 ms until the trials and the tuner's readings outweigh the share of
        // the compression time.
        while b.tuning <= b.trial_share() * b.compressing {
            chunk(&mut b, data.len() / 16, 1);
            assert!(b.record.choices().len() < 200);
        }
        // (Under this clock every reading costs a millisecond: the trials and the tuner's
        // own readings outweigh chunks of 1 ms.)
        let (tuning, trials) = (b.tuning, b.record.tuning().1);
        assert!(tuning > 0.01 && trials >= 1, "{tuning} s, {trials} trials");
        // The data change, but the trials took more than the share of the compression
        // time so far: the setting is held, with no trial.
        chunk(&mut b, data.len(), 1);
        chunk(&mut b, data.len(), 1);
        assert!(b.staged.as_ref().is_some_and(crate::staged::Staged::done), "held");
        assert_eq!(b.record.tuning().1, trials);
        // Once the compression time makes up for the trials, the next change searches
        // again.
        chunk(&mut b, data.len(), 100_000);
        chunk(&mut b, data.len() / 16, 1);
        assert!(b.staged.is_none(), "a new search is due");
        chunk(&mut b, data.len() / 16, 1);
        assert!(b.record.tuning().1 > trials, "and runs");
    }
}
