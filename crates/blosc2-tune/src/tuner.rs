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

use crate::config::{BtuneConfig, PerfMode};
use crate::features;
use crate::search::{Measure, Search, State, Trial};
use crate::space::SearchSpace;
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

/// The per-chunk choices of a run, shared between the tuner and whoever writes them out.
#[derive(Debug, Clone, Default)]
pub struct Record(Arc<Mutex<Vec<ChunkChoice>>>);

impl Record {
    /// The choices so far.
    pub fn choices(&self) -> Vec<ChunkChoice> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

/// A writer for the trace.
pub type TraceSink = Box<dyn Write + Send + Sync>;

/// The tuner.
pub struct Btune {
    cfg: BtuneConfig,
    space: SearchSpace,
    search: Option<Search>,
    clock: Box<dyn Clock>,
    trace: Option<TraceSink>,
    record: Record,
    /// Time spent in trials, seconds.
    tuning: f64,
}

impl std::fmt::Debug for Btune {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Btune").field("cfg", &self.cfg).field("space", &self.space).finish_non_exhaustive()
    }
}

impl Btune {
    /// A tuner over `space` with the system clock and no trace.
    pub fn new(cfg: BtuneConfig, space: SearchSpace) -> Btune {
        Btune {
            cfg,
            space,
            search: None,
            clock: Box::new(SystemClock),
            trace: None,
            record: Record::default(),
            tuning: 0.0,
        }
    }

    /// Uses `clock` for every time taken.
    pub fn with_clock(mut self, clock: Box<dyn Clock>) -> Btune {
        self.clock = clock;
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
        let r = Row {
            codec: trial.setting.codec.name().unwrap_or("?"),
            filter: trial.setting.filter.id(),
            split: trial.setting.split == blosc2_core::chunk::SplitMode::Always,
            clevel: trial.setting.clevel,
            cthreads: trial.cthreads,
            dthreads: trial.dthreads,
            sscore: m.nbytes as f64 / (score.max(1e-12) * (1u64 << 30) as f64),
            cratio: m.nbytes as f64 / m.cbytes.max(1) as f64,
            state,
            readapt: search.readapt().name(),
            winner,
        }
        .format();
        self.line(&format!("{r} | chunk {index} | {:.0} us", m.ctime * 1e6));
    }
}

impl Tuner for Btune {
    fn next_params(&mut self, chunk: &ChunkInput<'_>) -> CompressParams {
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
        self.tuning += (self.clock.now() - t0).as_secs_f64();
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
    }

    fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }
}
