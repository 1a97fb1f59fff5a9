//! The search state machine (`shared/spec/btune.md` 5), with the reference's defects of
//! section 11 fixed: STOP keeps the best; special chunks never win; thread counts never
//! reach 0; the clevel cursor always moves from the best's level; the incumbent can be
//! re-measured on the same sample as the trials ([`Search::rescore_best`]).
//!
//! The machine is a pure function of the measures it is given, so that its schedule is
//! tested with scripted outcomes.

use blosc2_core::chunk::SplitMode;

use crate::config::{AcceptRule, BtuneConfig, PerfMode, RepeatMode};
use crate::objective::Objective;
use crate::space::{FilterKind, SearchSpace, Setting};

/// Where the machine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Sweeping codecs, filters and split modes.
    CodecFilter,
    /// Moving the compression (or decompression) thread count.
    Threads,
    /// Moving the clevel.
    Clevel,
    /// Changing nothing for a while.
    Waiting,
    /// Done: the best setting for good.
    Stop,
}

/// The kind of the current readapt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readapt {
    /// Codecs, filters, threads and clevel.
    Hard,
    /// The clevel only.
    Soft,
    /// Nothing.
    Wait,
}

impl Readapt {
    /// The trace's name.
    pub fn name(self) -> &'static str {
        match self {
            Readapt::Hard => "HARD",
            Readapt::Soft => "SOFT",
            Readapt::Wait => "WAIT",
        }
    }
}

/// What a trial compresses with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trial {
    /// Codec, filters, clevel, split.
    pub setting: Setting,
    /// Compression threads.
    pub cthreads: usize,
    /// Decompression threads.
    pub dthreads: usize,
}

/// What a trial gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measure {
    /// Uncompressed bytes.
    pub nbytes: usize,
    /// Compressed bytes.
    pub cbytes: usize,
    /// Compression time, seconds.
    pub ctime: f64,
    /// Decompression time, seconds (0 when not measured).
    pub dtime: f64,
    /// The result was a special chunk (zeros, NaN, run) or could not be made.
    pub special: bool,
}

/// A trial with its measured figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// The trial.
    pub trial: Trial,
    /// Seconds: compression and/or decompression time plus transfer time (spec 4.1).
    pub score: f64,
    /// nbytes / cbytes.
    pub cratio: f64,
    /// Compression time, seconds.
    pub ctime: f64,
    /// Decompression time, seconds.
    pub dtime: f64,
    /// Uncompressed bytes measured.
    pub nbytes: usize,
}

impl Scored {
    /// Effective speed in GiB/s, the trace's S.Score.
    pub fn sscore(&self) -> f64 {
        self.nbytes as f64 / (self.score * (1u64 << 30) as f64)
    }
}

/// Whether `trial` replaces `best` under `rule` (spec 4.2); a pure function.
pub fn accepts(rule: AcceptRule, tradeoff: f64, mode: PerfMode, best: &Scored, trial: &Scored) -> bool {
    let sc = best.score / trial.score;
    let cr = trial.cratio / best.cratio;
    match rule {
        AcceptRule::Objective => {
            let o = Objective { tradeoff, mode };
            let j = |s: &Scored| o.log_j(s.cratio, s.nbytes.max(1) as f64 / s.score);
            j(trial) > j(best)
        }
        AcceptRule::Strict => cr >= 1.0 && sc > 1.0,
        AcceptRule::V1 => {
            if tradeoff <= 1.0 / 3.0 {
                (cr >= 1.0 && sc > 1.0) || (cr > 0.5 && sc > 2.0) || (cr > 0.67 && sc > 1.3) || (cr > 2.0 && sc > 0.7)
            } else if tradeoff <= 2.0 / 3.0 {
                (cr >= 1.0 && sc > 1.0) || (cr > 1.1 && sc > 0.8) || (cr > 1.3 && sc > 0.5)
            } else {
                cr >= 1.0 && sc > 1.0
            }
        }
    }
}

/// The state machine.
#[derive(Debug, Clone)]
pub struct Search {
    cfg: BtuneConfig,
    space: SearchSpace,
    typesize: usize,
    best: Scored,
    trial: Trial,
    state: State,
    readapt: Readapt,
    /// Probes made in the current state.
    k: usize,
    step: usize,
    nhards: u32,
    nsofts: u32,
    nwaits: u32,
    /// Hard readapts of the initial schedule, the opening sweep included.
    hards: u32,
    repeating: bool,
    clevel_up: bool,
    threads_up: bool,
    threads_for_comp: bool,
    max_threads: usize,
    /// Readapts finished so far.
    finished: u64,
}

impl Search {
    /// A machine over `space` starting a hard readapt, for chunks of `typesize`-byte
    /// elements compressed with `nthreads` threads.
    pub fn new(cfg: &BtuneConfig, space: &SearchSpace, typesize: usize, nthreads: usize) -> Search {
        let nthreads = nthreads.max(1);
        let t = cfg.tradeoff;
        let nl = space.clevels.len().max(1);
        // The sweep's clevel: low for speed, middle for balance, high for ratio.
        let cursor = if t < 1.0 / 3.0 {
            0
        } else if t < 2.0 / 3.0 {
            nl / 2
        } else {
            nl - 1
        };
        let filter = if space.filters.contains(&FilterKind::Shuffle) { FilterKind::Shuffle } else { space.filters[0] };
        let setting = Setting {
            codec: space.codecs[0],
            filter,
            clevel: space.clevels.get(cursor).copied().unwrap_or(5),
            split: space.splits.first().copied().unwrap_or(SplitMode::Auto),
        };
        let trial = Trial { setting, cthreads: nthreads, dthreads: nthreads };
        let best = Scored { trial, score: 100.0, cratio: 1.0, ctime: 100.0, dtime: 100.0, nbytes: 0 };
        let mut s = Search {
            cfg: cfg.clone(),
            space: space.clone(),
            typesize,
            best,
            trial,
            state: State::CodecFilter,
            readapt: Readapt::Hard,
            k: 0,
            step: 2,
            nhards: 0,
            nsofts: 0,
            nwaits: 0,
            hards: cfg.behaviour.nhards_before_stop + 1,
            repeating: false,
            clevel_up: false,
            threads_up: true,
            threads_for_comp: cfg.perf_mode != PerfMode::Decomp,
            max_threads: if cfg.tune_threads { nthreads + 8 } else { nthreads },
            finished: 0,
        };
        s.start(Readapt::Hard);
        s
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The current readapt kind.
    pub fn readapt(&self) -> Readapt {
        self.readapt
    }

    /// The best trial so far.
    pub fn best(&self) -> &Scored {
        &self.best
    }

    /// Readapts finished so far.
    pub fn finished(&self) -> u64 {
        self.finished
    }

    /// Whether the initial schedule is over.
    pub fn repeating(&self) -> bool {
        self.repeating
    }

    /// Whether the current state makes probes (a readapt in progress).
    pub fn probing(&self) -> bool {
        matches!(self.state, State::CodecFilter | State::Threads | State::Clevel)
    }

    fn cursor_of(&self, clevel: u8) -> usize {
        self.space.clevels.iter().position(|&c| c == clevel).unwrap_or(0)
    }

    fn clevel_step(&self) -> usize {
        if self.space.clevels.len() >= 5 {
            self.step
        } else {
            1
        }
    }

    fn can_move(&self, up: bool) -> bool {
        let c = self.cursor_of(self.best.trial.setting.clevel);
        let s = self.clevel_step();
        if up {
            c + s < self.space.clevels.len()
        } else {
            c >= s
        }
    }

    fn active_threads(&self, t: &Trial) -> usize {
        if self.threads_for_comp {
            t.cthreads
        } else {
            t.dthreads
        }
    }

    /// The next trial.
    pub fn next_trial(&mut self) -> Trial {
        let mut t = self.best.trial;
        match self.state {
            State::CodecFilter => {
                let (nf, ns) = (self.space.filters.len(), self.space.splits.len());
                let per = nf * ns;
                let k = self.k;
                t.setting.codec = self.space.codecs[(k / per).min(self.space.codecs.len() - 1)];
                t.setting.filter = self.space.filters[(k % per) / ns];
                t.setting.split = self.space.splits[k % ns];
            }
            State::Threads => {
                let n = self.active_threads(&t);
                let m = if self.threads_up { (n + 2).min(self.max_threads) } else { n.saturating_sub(2).max(1) };
                if self.threads_for_comp {
                    t.cthreads = m;
                } else {
                    t.dthreads = m;
                }
            }
            State::Clevel => {
                if self.can_move(self.clevel_up) {
                    let c = self.cursor_of(t.setting.clevel);
                    let s = self.clevel_step();
                    let c = if self.clevel_up { c + s } else { c - s };
                    t.setting.clevel = self.space.clevels[c];
                }
            }
            State::Waiting | State::Stop => {}
        }
        self.trial = t;
        t
    }

    fn score(&self, m: &Measure) -> Scored {
        let transfer = (m.cbytes as f64 / 1024.0) / self.cfg.bandwidth.max(1) as f64;
        let score = match self.cfg.perf_mode {
            PerfMode::Comp => m.ctime + transfer,
            PerfMode::Decomp => transfer + m.dtime,
            PerfMode::Balanced => m.ctime + transfer + m.dtime,
        };
        Scored {
            trial: self.trial,
            score: score.max(1e-12),
            cratio: m.nbytes as f64 / m.cbytes.max(1) as f64,
            ctime: m.ctime,
            dtime: m.dtime,
            nbytes: m.nbytes,
        }
    }

    /// Replaces the best's figures by a new measure of the best itself (on the sample the
    /// next trials use), so that trials and incumbent are compared on the same bytes.
    pub fn rescore_best(&mut self, m: &Measure) {
        if m.special {
            return;
        }
        let trial = self.trial;
        self.trial = self.best.trial;
        self.best = self.score(m);
        self.trial = trial;
    }

    /// Scores the last trial, keeps it as best when it wins, and moves on. Returns the
    /// trace's winner mark: `W` new best, `-` not, `S` special.
    pub fn update(&mut self, m: &Measure) -> char {
        let special = m.special || m.cbytes <= 32 + self.typesize;
        let scored = self.score(m);
        let improved = !special
            && match self.state {
                State::Threads => {
                    if self.threads_for_comp {
                        scored.ctime < self.best.ctime
                    } else {
                        scored.dtime < self.best.dtime
                    }
                }
                State::CodecFilter | State::Clevel => {
                    accepts(self.cfg.accept, self.cfg.tradeoff, self.cfg.perf_mode, &self.best, &scored)
                }
                State::Waiting | State::Stop => false,
            };
        if improved {
            self.best = scored;
        }
        match self.state {
            State::CodecFilter => {
                self.k += 1;
                if self.k >= self.space.codecs.len() * self.space.filters.len() * self.space.splits.len() {
                    if self.cfg.tune_threads && self.max_threads > 1 {
                        self.state = State::Threads;
                        self.k = 0;
                        self.threads_up = !self.threads_up;
                    } else {
                        self.enter_clevel();
                    }
                }
            }
            State::Threads => {
                self.k += 1;
                let first = self.k == 1;
                if !improved && first {
                    self.threads_up = !self.threads_up;
                }
                let n = self.active_threads(&self.best.trial);
                let at_bound = if self.threads_up { n >= self.max_threads } else { n <= 1 };
                if at_bound || (!first && !improved) {
                    if self.cfg.perf_mode == PerfMode::Balanced && self.threads_for_comp {
                        self.threads_for_comp = false;
                        self.k = 0;
                    } else {
                        self.enter_clevel();
                    }
                }
            }
            State::Clevel => {
                self.k += 1;
                let first = self.k == 1;
                if !improved && first {
                    self.clevel_up = !self.clevel_up;
                }
                if !self.can_move(self.clevel_up) || (!first && !improved) {
                    self.finish_readapt();
                }
            }
            State::Waiting => {
                self.nwaits += 1;
                self.after_wait();
            }
            State::Stop => {}
        }
        if special {
            'S'
        } else if improved {
            'W'
        } else {
            '-'
        }
    }

    fn enter_clevel(&mut self) {
        self.state = State::Clevel;
        self.k = 0;
        if !self.can_move(self.clevel_up) {
            self.clevel_up = !self.clevel_up;
        }
    }

    fn start(&mut self, kind: Readapt) {
        self.readapt = kind;
        self.k = 0;
        match kind {
            Readapt::Hard => {
                self.state = State::CodecFilter;
                self.step = if self.nhards + 1 >= self.hards { 1 } else { 2 };
                self.threads_for_comp = self.cfg.perf_mode != PerfMode::Decomp;
            }
            Readapt::Soft => {
                self.step = 1;
                self.enter_clevel();
            }
            Readapt::Wait => self.state = State::Waiting,
        }
    }

    fn stop(&mut self) {
        self.state = State::Stop;
        self.readapt = Readapt::Wait;
    }

    /// The HARD test of spec 5.6 after a soft readapt or a wait: Some(true) hard,
    /// Some(false) stop, None another soft.
    fn hard_due(&self) -> Option<bool> {
        let b = self.cfg.behaviour;
        let s = b.nsofts_before_hard;
        let soft_cycle_done = s == 0 || self.nsofts.is_multiple_of(s);
        if soft_cycle_done && self.hards > 1 && !(self.repeating && b.repeat_mode != RepeatMode::RepeatAll) {
            return Some(true);
        }
        if self.repeating && b.repeat_mode == RepeatMode::Stop {
            return Some(false);
        }
        None
    }

    fn finish_readapt(&mut self) {
        self.finished += 1;
        let b = self.cfg.behaviour;
        let (s, w, h) = (b.nsofts_before_hard, b.nwaits_before_readapt, self.hards);
        match self.readapt {
            Readapt::Hard => {
                self.nhards += 1;
                if h == 1 || self.nhards.is_multiple_of(h) {
                    self.repeating = true;
                    if s > 0 && b.repeat_mode != RepeatMode::Stop {
                        self.start(Readapt::Soft);
                    } else if b.repeat_mode != RepeatMode::RepeatAll {
                        self.stop();
                    } else if w > 0 {
                        self.start(Readapt::Wait);
                    } else if h > 1 {
                        self.start(Readapt::Hard);
                    } else {
                        self.stop();
                    }
                } else if s > 0 {
                    self.start(Readapt::Soft);
                } else if w > 0 {
                    self.start(Readapt::Wait);
                } else {
                    self.start(Readapt::Hard);
                }
            }
            Readapt::Soft => {
                self.nsofts += 1;
                if w > 0 {
                    self.start(Readapt::Wait);
                } else {
                    self.after_soft_or_wait();
                }
            }
            Readapt::Wait => {}
        }
    }

    fn after_wait(&mut self) {
        let w = self.cfg.behaviour.nwaits_before_readapt;
        if w == 0 || self.nwaits.is_multiple_of(w) {
            self.after_soft_or_wait();
        }
    }

    fn after_soft_or_wait(&mut self) {
        match self.hard_due() {
            Some(true) => self.start(Readapt::Hard),
            Some(false) => self.stop(),
            None if self.cfg.behaviour.nsofts_before_hard > 0 => self.start(Readapt::Soft),
            None => self.start(Readapt::Hard),
        }
    }
}

#[cfg(test)]
mod tests;
