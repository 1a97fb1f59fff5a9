//! The staged search, the tuner's default: a few trial compressions on sampled blocks of
//! the chunk, in stages that each narrow the space, instead of the reference's sweep of
//! every codec and filter on every readapt (`shared/spec/btune.md` 13, "where to beat
//! it").
//!
//! 1. **Filters**: the cheapest codec (LZ4 at clevel 9 when the space has it) with each
//!    filter pipeline; the two best pipelines go on.
//! 2. **Codecs**: the codecs the tradeoff leaves (slow codecs only at clevel 1 when speed
//!    dominates) with those pipelines, at a middle clevel, the most promising first (Zstd
//!    when ratio weighs at least half, python-blosc2's default (Zstd 5 + shuffle) first
//!    when it weighs 0.7 or more).
//! 3. **Clevels**: the other clevels of the best one or two (codec, pipeline) pairs, and
//!    when speed weighs more, of each fast codec's best pair.
//! 4. **Confirm**: the best three, when within 10 % of the best's `J_t`, measured once
//!    more; the minimum time counts, so that one preempted trial does not decide.
//!
//! The tuner runs the trials within a budget of time per chunk ([`Staged::next_fitting`]
//! skips the settings whose trial would not fit it and keeps them for the next chunk).
//! Settings are ranked by the objective itself ([`Objective`]: `J_t`, the figure the
//! oracle is judged by). Special results (the sample became a zero or run chunk) never
//! win. The machine is a pure function of the measures it is given.

use std::collections::VecDeque;

use blosc2_core::codec::CodecId;

use crate::config::{BtuneConfig, PerfMode};
use crate::objective::Objective;
use crate::search::Measure;
use crate::space::{FilterKind, SearchSpace, Setting};

/// Where the staged search is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// A model's best few predictions and python-blosc2's default (instead of the filter
    /// and codec stages).
    Model,
    /// Pipelines with the probe codec.
    Filters,
    /// Codecs with the best pipelines.
    Codecs,
    /// Clevels of the best pairs.
    Clevels,
    /// The best few measured again.
    Confirm,
    /// Decided.
    Done,
}

impl Stage {
    /// The name the trace prints.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Model => "MODEL",
            Stage::Filters => "FILTERS",
            Stage::Codecs => "CODECS",
            Stage::Clevels => "CLEVEL",
            Stage::Confirm => "CONFIRM",
            Stage::Done => "STOP",
        }
    }
}

/// Whether a queued setting may be tried now ([`Staged::next_fitting`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Try it now.
    Run,
    /// Not now: it stays queued.
    Wait,
    /// Never: it leaves the queue.
    Drop,
}

/// A setting with its best measure so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The setting.
    pub setting: Setting,
    /// nbytes / cbytes.
    pub cratio: f64,
    /// Bytes per second in the objective's mode.
    pub speed: f64,
    /// Compression bytes per second (one thread).
    pub cspeed: f64,
    /// The sample became a special chunk.
    pub special: bool,
}

/// By how much a slow codec's `J_t` must fall short of the best's for its lowest clevel
/// to be tried at once ([`Staged::record`]): beyond the noise of trials (10 %) twice. On
/// `arange_i64` at t = 0.5 Zstd 5 with shuffle ties LZ4 9 with shuffle, and with any loss
/// Zstd 5 with shuffle and bytedelta, the best fixed setting (ratio 5,072), went down to
/// clevel 1 and out of the budget (0.27-0.46 of the best); on `galaxy_u8` Zstd 5 with
/// bitshuffle loses by 1.34x on one thread and 2x on two.
pub const LOST: f64 = 1.2;

/// By how much a slow codec's `J_t` must fall short of the best's for its other
/// pipelines queued at the same clevel to go down to its lowest too
/// ([`Staged::lighter_level`]): at t = 0.5 another pipeline would need 4x the ratio to
/// make up for it.
pub const LOST_FAR: f64 = 2.0;

/// The least ratio of the best setting so far for Zstd's leads to run whatever the
/// budget ([`Staged::leads`]).
pub const LEADS_RATIO: f64 = 4.0;

/// Whether a codec is slow to compress (entropy coding or optimal parsing).
pub fn slow(codec: CodecId) -> bool {
    codec == CodecId::ZSTD || codec == CodecId::ZLIB || codec == CodecId::LZ4HC
}

/// The staged search over a space.
#[derive(Debug, Clone)]
pub struct Staged {
    obj: Objective,
    space: SearchSpace,
    stage: Stage,
    queue: VecDeque<Setting>,
    measured: Vec<Estimate>,
    confirmed: Vec<Setting>,
    /// A model's first choice, whose clevels are tried whatever its trial gave.
    predicted: Option<Setting>,
    /// The pipelines the codec stage tries (the filter stage's best two).
    pipelines: Vec<FilterKind>,
}

impl Staged {
    /// A search for `cfg`'s objective over `space` (which must not be empty).
    pub fn new(cfg: &BtuneConfig, space: &SearchSpace) -> Staged {
        let mut s = Staged {
            obj: Objective { tradeoff: cfg.tradeoff, mode: cfg.perf_mode },
            space: space.clone(),
            stage: Stage::Filters,
            queue: VecDeque::new(),
            measured: Vec::new(),
            confirmed: Vec::new(),
            predicted: None,
            pipelines: Vec::new(),
        };
        let probe = s.probe();
        for &f in &s.space.filters {
            s.queue.push_back(s.probe_with(probe, f));
        }
        s
    }

    /// The filter stage's setting for pipeline `f`: the probe, but LZ4 at clevel 5 for a
    /// pipeline with filters when speed weighs more (t < 0.5) and clevel 5 is in the space.
    /// LZ4 9's blocks are the largest (4 MiB of an 8 MiB chunk with shuffle on 8-byte
    /// items, whose streams are split): good for data without a filter, which LZ4 crosses
    /// faster the longer a block runs without a match, but a filter's pass over a block
    /// that large leaves the cache (LZ4 + shuffle + bytedelta on `linspace_f64`: 3.1 GB/s
    /// a thread at clevel 9, 6.1 at clevel 5 for 7 % less ratio; the best fixed setting at
    /// t = 0.1 is LZ4 1 or 5 with it), and pieces of a few KiB do not see it.
    fn probe_with(&self, probe: Setting, f: FilterKind) -> Setting {
        let lighter = probe.codec == CodecId::LZ4
            && f != FilterKind::None
            && self.obj.tradeoff < 0.5
            && self.space.clevels.contains(&5);
        Setting { filter: f, clevel: if lighter { 5 } else { probe.clevel }, ..probe }
    }

    /// A reduced search around a model's predictions (best first): those in the space and
    /// python-blosc2's default ([`Stage::Model`]), then the other clevels of the best
    /// (codec, pipeline) pair or two, then the confirm stage. The full search
    /// ([`Staged::new`]) when no prediction is in the space.
    pub fn around(cfg: &BtuneConfig, space: &SearchSpace, predicted: &[Setting]) -> Staged {
        let mut s = Staged::new(cfg, space);
        if !predicted.iter().any(|p| space.iter().any(|x| x == *p)) {
            return s;
        }
        s.queue.clear();
        s.stage = Stage::Model;
        s.predicted = predicted.iter().copied().find(|p| space.iter().any(|x| x == *p));
        for &p in predicted {
            s.push(p);
        }
        s.push(Setting::DEFAULT);
        s
    }

    /// Whether `s` is Zstd's first trial with one of the codec stage's pipelines when
    /// ratio weighs half or more: such a trial runs whatever the budget, as the filter
    /// stage's do. Zstd can rank the pipelines otherwise than LZ4 did and multiply the
    /// ratio (`arange_i64`, one 16 MiB chunk on two threads, BALANCED 0.5: LZ4 9 gets 314
    /// with shuffle and 293 with shuffle + bytedelta, Zstd 5 552 and 3,740), and on fast
    /// data the filter stage takes the first chunk's budget: Zstd 5 + shuffle ran, lost
    /// on speed, and Zstd with shuffle + bytedelta waited for a chunk that never came
    /// (0.26 of the best fixed setting, Zstd 5 + shuffle + bytedelta). Only on data that
    /// the best setting so far compresses [`LEADS_RATIO`] times or more: on the star
    /// table's coordinates (ratio 1.0) the two Zstd trials took 0.4-0.9 ms of runs of
    /// about a millisecond and every COMP 0.5 cell fell from 0.89-1.13 to 0.71-0.80.
    pub fn leads(&self, s: &Setting) -> bool {
        self.stage == Stage::Codecs
            && self.obj.tradeoff >= 0.5
            && self.best_estimate().is_some_and(|e| e.cratio >= LEADS_RATIO)
            && s.codec == CodecId::ZSTD
            && self.pipelines.contains(&s.filter)
            && !self.measured.iter().any(|e| e.setting.codec == CodecId::ZSTD && e.setting.filter == s.filter)
    }

    /// Whether BloscLZ without a filter is tried first in the codec stage whatever the
    /// filter stage ranked: when speed weighs more, or half in DECOMP mode, and the best
    /// setting so far compresses less than [`LEADS_RATIO`] times. BloscLZ gives up on data
    /// it cannot compress much and the chunk is stored as is, which decompresses as one
    /// copy and compresses at its trial's speed: on the star table's `source_id`, ratio 2.4
    /// with LZ4 + shuffle, the stored chunk decompressed at 30 GB/s against 5-13 and was
    /// the best fixed setting in DECOMP up to t = 0.5 and in COMP and BALANCED at 0.1
    /// (0.35-0.75 of it with LZ4 + shuffle chosen); the filter stage, ranking pipelines
    /// with LZ4, left the pipeline without a filter out of the codec stage.
    fn copy_may_win(&self) -> bool {
        let t = self.obj.tradeoff;
        let weighs = t < 0.5 || (self.obj.mode == PerfMode::Decomp && t <= 0.5);
        weighs
            && self.has(CodecId::BLOSCLZ)
            && self.space.filters.contains(&FilterKind::None)
            && self.best_estimate().is_some_and(|e| e.cratio < LEADS_RATIO)
    }

    /// The current stage.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// Whether the search is decided.
    pub fn done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// Every setting measured so far with its figures.
    pub fn measured(&self) -> &[Estimate] {
        &self.measured
    }

    fn has(&self, c: CodecId) -> bool {
        self.space.codecs.contains(&c)
    }

    /// The space's clevel nearest to `c`.
    fn clevel_near(&self, c: u8) -> u8 {
        self.space.clevels.iter().copied().min_by_key(|&l| (i16::from(l) - i16::from(c)).abs()).unwrap_or(c)
    }

    /// The filter stage's codec and clevel.
    fn probe(&self) -> Setting {
        let t = self.obj.tradeoff;
        let (codec, clevel) = if self.has(CodecId::LZ4) {
            // Clevel 9: the best fixed setting at tradeoffs up to 0.5 in most cases
            // measured (its blocks are the largest).
            (CodecId::LZ4, 9)
        } else if self.has(CodecId::ZSTD) {
            (CodecId::ZSTD, if t < 0.7 { 1 } else { 5 })
        } else {
            (self.space.codecs[0], 5)
        };
        Setting {
            codec,
            filter: self.space.filters[0],
            clevel: self.clevel_near(clevel),
            split: self.space.splits.first().copied().unwrap_or(blosc2_core::chunk::SplitMode::Auto),
        }
    }

    /// Whether the tradeoff leaves `codec` at `clevel` worth a trial.
    fn allowed(&self, codec: CodecId, clevel: u8) -> bool {
        let t = self.obj.tradeoff;
        if !slow(codec) {
            return true;
        }
        let fast_decomp = self.obj.mode == PerfMode::Decomp && codec != CodecId::ZLIB;
        if t < 0.3 && !fast_decomp {
            // Speed dominates: a slow codec only at its fastest level, and Zstd only.
            return codec == CodecId::ZSTD && clevel <= self.space.clevels[0];
        }
        if t < 0.7 && !fast_decomp {
            return codec != CodecId::LZ4HC && codec != CodecId::ZLIB;
        }
        true
    }

    /// `ln J_t` of an estimate (special results never win).
    pub fn log_j(&self, e: &Estimate) -> f64 {
        if e.special {
            f64::NEG_INFINITY
        } else {
            self.obj.log_j(e.cratio, e.speed)
        }
    }

    /// The measured settings, best first.
    fn ranked(&self) -> Vec<Estimate> {
        let mut v = self.measured.clone();
        v.sort_by(|a, b| self.log_j(b).total_cmp(&self.log_j(a)));
        v
    }

    /// The best setting so far (python-blosc2's default before any measure, or the
    /// space's first setting when the default is not in it).
    pub fn best(&self) -> Setting {
        match self.ranked().first() {
            Some(e) if !e.special => e.setting,
            _ => {
                let d = Setting::DEFAULT;
                if self.space.iter().any(|s| s == d) {
                    d
                } else {
                    self.probe()
                }
            }
        }
    }

    /// The best measured setting with its figures.
    pub fn best_estimate(&self) -> Option<Estimate> {
        self.ranked().into_iter().next().filter(|e| !e.special)
    }

    /// Whether `s`, a higher clevel of a (codec, pipeline) pair measured at two lower
    /// ones, could beat the best so far at `speed` ([`Staged::promise`]); in DECOMP mode,
    /// where compression speed does not count, or without two clevels measured, it could.
    /// A Zstd 9 trial costs a hundred times LZ4's, and on data where Zstd 5 gains little
    /// over Zstd 1 it cannot pay for its slower compression.
    pub fn can_win(&self, s: &Setting, speed: f64) -> bool {
        self.obj.mode == PerfMode::Decomp || self.promise(s, speed).is_none_or(|g| g > 0.0)
    }

    /// How much `ln J_t` `s` would gain over the best so far, when it is a higher clevel
    /// of a (codec, pipeline) pair measured at two lower ones: its ratio taken to grow
    /// from the pair's highest clevel measured as it grew between the two below (per
    /// clevel step), at `speed` (bytes per second, one thread, from what its trial is
    /// expected to cost) in COMP and BALANCED modes, at the decompression speed of the
    /// clevel below in DECOMP mode. `None` without two clevels measured.
    pub fn promise(&self, s: &Setting, speed: f64) -> Option<f64> {
        let mut below: Vec<&Estimate> = self
            .measured
            .iter()
            .filter(|e| {
                !e.special
                    && (e.setting.codec, e.setting.filter, e.setting.split) == (s.codec, s.filter, s.split)
                    && e.setting.clevel < s.clevel
            })
            .collect();
        below.sort_by_key(|e| std::cmp::Reverse(e.setting.clevel));
        let (Some(hi), Some(lo), Some(best)) = (below.first(), below.get(1), self.best_estimate()) else {
            return None;
        };
        let growth = (hi.cratio / lo.cratio).max(1.0);
        let steps = f64::from(s.clevel - hi.setting.clevel) / f64::from(hi.setting.clevel - lo.setting.clevel);
        let ratio = hi.cratio * growth.powf(steps);
        let speed = if self.obj.mode == PerfMode::Decomp { hi.speed } else { speed };
        Some(self.obj.log_j(ratio, speed) - self.log_j(&best))
    }

    /// The next setting to try, `None` once decided.
    pub fn next_setting(&mut self) -> Option<Setting> {
        loop {
            if let Some(s) = self.queue.pop_front() {
                return Some(s);
            }
            if !self.advance() {
                return None;
            }
        }
    }

    /// The next setting to try that `fit` (given the setting and the stage it belongs to)
    /// lets run now: settings it says wait for
    /// stay queued in their order (for the next chunk), those it drops are never tried.
    /// Zstd's leads ([`Staged::leads`]) run without asking.
    /// `None` once decided, or when every setting left in the stage waits.
    pub fn next_fitting(&mut self, mut fit: impl FnMut(&Setting, Stage) -> Fit) -> Option<Setting> {
        loop {
            if let Some(s) = self.next_fitting_here(&mut fit) {
                return Some(s);
            }
            if !self.queue.is_empty() || !self.advance() {
                return None;
            }
        }
    }

    /// [`Staged::next_fitting`] within the current stage: `None` when no candidate left in
    /// it fits, without moving to the next stage (which ranks the measures of this one:
    /// a trial taken while another of the stage runs).
    pub fn next_fitting_here(&mut self, mut fit: impl FnMut(&Setting, Stage) -> Fit) -> Option<Setting> {
        let mut k = 0;
        while k < self.queue.len() {
            if self.leads(&self.queue[k]) {
                return self.queue.remove(k);
            }
            match fit(&self.queue[k], self.stage) {
                Fit::Run => return self.queue.remove(k),
                Fit::Wait => k += 1,
                Fit::Drop => {
                    self.queue.remove(k);
                }
            }
        }
        None
    }

    fn push(&mut self, s: Setting) {
        let seen = self.measured.iter().any(|e| e.setting == s) || self.queue.contains(&s);
        if !seen && self.space.iter().any(|x| x == s) {
            self.queue.push_back(s);
        }
    }

    /// Queues `codec` with pipeline `filter` in every split mode, at clevel `mid`, or at
    /// the space's lowest when the tradeoff leaves it only that ([`Staged::allowed`]).
    fn push_codec(&mut self, codec: CodecId, filter: FilterKind, mid: u8) {
        let clevel = if self.allowed(codec, mid) { mid } else { self.space.clevels[0] };
        if self.allowed(codec, clevel) {
            for &split in &self.space.splits.clone() {
                self.push(Setting { codec, filter, clevel, split });
            }
        }
    }

    /// Moves to the next stage and fills the queue; false once done.
    fn advance(&mut self) -> bool {
        let ranked = self.ranked();
        match self.stage {
            Stage::Filters => {
                self.stage = Stage::Codecs;
                let mid = self.clevel_near(5);
                let filters: Vec<FilterKind> =
                    ranked.iter().filter(|e| !e.special).map(|e| e.setting.filter).take(2).collect();
                let filters = if filters.is_empty() { vec![self.probe().filter] } else { filters };
                self.pipelines.clone_from(&filters);
                // Most promising first (trials that do not fit the budget wait): the
                // entropy coders when ratio weighs more, python-blosc2's default first
                // when it does most.
                let t = self.obj.tradeoff;
                if t >= 0.7 {
                    self.push(Setting::DEFAULT);
                }
                let mut codecs = self.space.codecs.clone();
                codecs.sort_by_key(|&c| if t >= 0.5 { c != CodecId::ZSTD } else { slow(c) });
                // When ratio weighs half or more, Zstd with each pipeline first: the
                // filter stage ranked them with LZ4, and Zstd can rank them otherwise
                // (`arange_i64`: LZ4 9 gets 333 with shuffle, 673 with shuffle + bytedelta;
                // Zstd 5 gets 632 and 4,600). Filter after filter, Zstd 5 + shuffle +
                // bytedelta came after the fast codecs with shuffle, out of the budget in
                // two BALANCED 0.5 runs of five (0.27 of the best fixed setting).
                if self.copy_may_win() {
                    self.push_codec(CodecId::BLOSCLZ, FilterKind::None, mid);
                }
                if t >= 0.5 && self.has(CodecId::ZSTD) {
                    for &f in &filters {
                        self.push_codec(CodecId::ZSTD, f, mid);
                    }
                }
                for f in filters {
                    for &c in &codecs {
                        self.push_codec(c, f, mid);
                    }
                }
                self.push(Setting::DEFAULT);
            }
            Stage::Codecs | Stage::Model => {
                self.stage = Stage::Clevels;
                let live: Vec<Estimate> = ranked.into_iter().filter(|e| !e.special).collect();
                let Some(first) = live.first().copied() else {
                    self.stage = Stage::Done;
                    return false;
                };
                let mut pairs = vec![first];
                if let Some(second) = live
                    .iter()
                    .find(|e| (e.setting.codec, e.setting.filter) != (first.setting.codec, first.setting.filter))
                {
                    if self.log_j(second) > self.log_j(&first) + 0.9f64.ln() {
                        pairs.push(*second);
                    }
                }
                // The model's first choice too: trials on samples underrate some settings
                // (the slow codecs' ratios grow with the clevel more than a sample shows).
                if let Some(p) = self.predicted {
                    if !pairs.iter().any(|e| (e.setting.codec, e.setting.filter) == (p.codec, p.filter)) {
                        if let Some(e) = live.iter().find(|e| e.setting == p) {
                            pairs.push(*e);
                        }
                    }
                }
                // When speed weighs more, the fast codecs' best pairs too: their clevels
                // move the speed most (BloscLZ 1 + shuffle runs 1.75x LZ4 1 + shuffle on
                // counters that BloscLZ 5 compresses slower than LZ4 5), and their trials
                // cost microseconds.
                if self.obj.tradeoff < 0.5 {
                    for e in &live {
                        let new_codec = !pairs.iter().any(|p| p.setting.codec == e.setting.codec);
                        if !slow(e.setting.codec) && new_codec {
                            pairs.push(*e);
                        }
                    }
                }
                for e in pairs {
                    for &l in &self.space.clevels.clone() {
                        if self.allowed(e.setting.codec, l) {
                            self.push(Setting { clevel: l, ..e.setting });
                        }
                    }
                }
            }
            Stage::Clevels => {
                self.stage = Stage::Confirm;
                let top = ranked.first().map_or(f64::NEG_INFINITY, |e| self.log_j(e));
                self.confirmed = ranked
                    .iter()
                    .filter(|e| !e.special && self.log_j(e) > top + 0.9f64.ln())
                    .take(3)
                    .map(|e| e.setting)
                    .collect();
                if self.confirmed.len() > 1 {
                    self.queue.extend(self.confirmed.iter().copied());
                }
            }
            Stage::Confirm | Stage::Done => {
                self.stage = Stage::Done;
                return false;
            }
        }
        true
    }

    /// Records the measure of `setting` (a second measure keeps the higher speed and
    /// the last ratio).
    pub fn record(&mut self, setting: Setting, m: &Measure) {
        let cratio = m.nbytes as f64 / m.cbytes.max(1) as f64;
        let speed = self.obj.speed(m.nbytes as f64, m.ctime, m.dtime);
        let cspeed = m.nbytes as f64 / m.ctime.max(1e-12);
        let e = Estimate { setting, cratio, speed, cspeed, special: m.special };
        match self.measured.iter_mut().find(|x| x.setting == setting) {
            Some(x) => {
                x.speed = x.speed.max(speed);
                x.cspeed = x.cspeed.max(cspeed);
                x.cratio = cratio;
                x.special |= m.special;
            }
            None => {
                self.measured.push(e);
                self.lighter_level(&e);
            }
        }
    }

    /// In the codec stage, a slow codec above its lowest clevel that loses to the best on
    /// `J_t` by [`LOST`] or more with a higher ratio lost on speed: its lowest clevel is tried next, before the
    /// other codecs, and its other pipelines queued at that clevel are tried at the lowest
    /// instead (in COMP and BALANCED modes; its clevels would otherwise come only if
    /// it won). On `galaxy_u8` Zstd 5 compresses at 0.3-0.4 GB/s a thread and Zstd 1 at
    /// 18, and at t = 0.5 Zstd 1 + bitshuffle is the best fixed setting; the two Zstd 5
    /// trials took the budget and LZ4 9 + bitshuffle won (0.63-0.80 of the best).
    fn lighter_level(&mut self, e: &Estimate) {
        let low = self.space.clevels[0];
        let s = e.setting;
        if self.stage != Stage::Codecs || self.obj.mode == PerfMode::Decomp || !slow(s.codec) || s.clevel <= low {
            return;
        }
        let Some(best) = self.best_estimate() else { return };
        if best.setting != s && e.cratio > best.cratio && self.log_j(e) < self.log_j(&best) - LOST.ln() {
            // The codec's other pipelines queued at this clevel go down to the lowest too
            // when it lost by [`LOST_FAR`] or more: on `galaxy_u8` Zstd 5 without a filter
            // ran at 0.04 GB/s on the trial's pieces, a trial of 2.5 ms in a run of 7.
            // Not when it lost by less: another pipeline can multiply its ratio (on
            // `arange_i64` at BALANCED 0.5, Zstd 5 + shuffle lost by 1.6x, and Zstd 5 +
            // shuffle + bytedelta, at 7x its ratio, is the best fixed setting).
            let far = self.log_j(e) < self.log_j(&best) - LOST_FAR.ln();
            let mut lighter: Vec<Setting> = vec![Setting { clevel: low, ..s }];
            self.queue.retain(|x| {
                // python-blosc2's default stays: it is always measured.
                let same = far && (x.codec, x.clevel) == (s.codec, s.clevel) && *x != Setting::DEFAULT;
                if same {
                    lighter.push(Setting { clevel: low, ..*x });
                }
                !same
            });
            for l in lighter.into_iter().rev() {
                let seen = self.measured.iter().any(|x| x.setting == l);
                if !seen && self.space.iter().any(|x| x == l) {
                    self.queue.retain(|&x| x != l);
                    self.queue.push_front(l);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A world where ratio and time follow fixed tables per codec, filter and clevel.
    fn world(s: &Setting) -> Measure {
        let (r, v) = match s.codec {
            CodecId::BLOSCLZ => (3.0, 2.0e9),
            CodecId::LZ4 => (3.2, 2.5e9),
            CodecId::LZ4HC => (4.0, 0.1e9),
            CodecId::ZLIB => (4.5, 0.05e9),
            _ => (5.0, 0.4e9),
        };
        let f = match s.filter {
            FilterKind::None => 0.5,
            FilterKind::Shuffle => 1.0,
            FilterKind::Bitshuffle => 0.9,
            FilterKind::ShuffleBytedelta => 1.3,
        };
        let l = f64::from(s.clevel);
        let nbytes = 1 << 20;
        let cratio = r * f * (1.0 + l / 30.0);
        let speed = v / (1.0 + l / 10.0);
        Measure {
            nbytes,
            cbytes: (nbytes as f64 / cratio) as usize,
            ctime: nbytes as f64 / speed,
            dtime: 0.0,
            special: false,
        }
    }

    fn run(t: f64) -> (Staged, Vec<Setting>) {
        let cfg = BtuneConfig { tradeoff: t, ..BtuneConfig::default() };
        let mut s = Staged::new(&cfg, &SearchSpace::default());
        let mut tried = Vec::new();
        while let Some(x) = s.next_setting() {
            s.record(x, &world(&x));
            tried.push(x);
            assert!(tried.len() < 100);
        }
        (s, tried)
    }

    #[test]
    fn the_stages_find_the_best_of_a_separable_world_with_few_trials() {
        for t in [0.1, 0.5, 0.9] {
            let (s, tried) = run(t);
            let o = Objective { tradeoff: t, mode: PerfMode::Comp };
            let j = |x: &Setting| {
                let m = world(x);
                o.log_j(m.nbytes as f64 / m.cbytes as f64, m.nbytes as f64 / m.ctime)
            };
            let oracle = SearchSpace::default().iter().max_by(|a, b| j(a).total_cmp(&j(b))).unwrap();
            assert_eq!(s.best(), oracle, "t={t}");
            assert!(tried.contains(&Setting::DEFAULT), "t={t}: the default is always measured");
            assert!(tried.len() <= 24, "t={t}: {} trials", tried.len());
            assert!(s.done());
            if t < 0.3 {
                assert!(tried.iter().all(|x| !slow(x.codec) || x.clevel == 1 || *x == Setting::DEFAULT), "{tried:?}");
            }
        }
    }

    #[test]
    fn the_filter_stage_probes_filters_with_lz4_5_when_speed_weighs_more() {
        let stage = |t: f64| {
            let cfg = BtuneConfig { tradeoff: t, ..BtuneConfig::default() };
            let mut s = Staged::new(&cfg, &SearchSpace::default());
            let mut out = Vec::new();
            while let Some(x) = s.next_fitting(|_, st| if st == Stage::Filters { Fit::Run } else { Fit::Wait }) {
                if s.stage() != Stage::Filters {
                    break;
                }
                out.push((x.codec, x.filter, x.clevel));
            }
            out
        };
        let lz4 = CodecId::LZ4;
        assert_eq!(
            stage(0.1),
            [
                (lz4, FilterKind::None, 9),
                (lz4, FilterKind::Shuffle, 5),
                (lz4, FilterKind::Bitshuffle, 5),
                (lz4, FilterKind::ShuffleBytedelta, 5)
            ]
        );
        for t in [0.5, 0.9] {
            assert!(stage(t).iter().all(|&(c, _, l)| c == lz4 && l == 9), "t={t}: {:?}", stage(t));
            assert_eq!(stage(t).len(), 4);
        }
    }

    #[test]
    fn next_fitting_here_stays_in_its_stage() {
        let mut s = Staged::new(&BtuneConfig { tradeoff: 0.5, ..BtuneConfig::default() }, &SearchSpace::default());
        let mut filters = Vec::new();
        while let Some(x) = s.next_fitting_here(|_, _| Fit::Run) {
            filters.push(x.filter);
            s.record(x, &Measure { nbytes: 1000, cbytes: 100, ctime: 1e-6, dtime: 1e-6, special: false });
        }
        assert_eq!(filters.len(), 4, "{filters:?}");
        assert_eq!(s.stage(), Stage::Filters, "not moved on");
        // What waits stays queued, and nothing is taken.
        let mut s2 = Staged::new(&BtuneConfig { tradeoff: 0.5, ..BtuneConfig::default() }, &SearchSpace::default());
        assert_eq!(s2.next_fitting_here(|_, _| Fit::Wait), None);
        assert_eq!(s2.next_fitting_here(|_, _| Fit::Run).map(|x| x.filter), Some(FilterKind::None));
        // next_fitting moves on to the codec stage once the filters are measured.
        let next = s.next_fitting(|_, _| Fit::Run);
        assert!(next.is_some());
        assert_eq!(s.stage(), Stage::Codecs);
    }

    #[test]
    fn when_ratio_weighs_half_or_more_the_codec_stage_starts_with_zstd_on_both_pipelines() {
        let codec_stage = |t: f64, mode: PerfMode| {
            let cfg = BtuneConfig { tradeoff: t, perf_mode: mode, ..BtuneConfig::default() };
            let mut s = Staged::new(&cfg, &SearchSpace::default());
            let mut order = Vec::new();
            while let Some(x) = s.next_setting() {
                if s.stage() == Stage::Codecs {
                    order.push(x);
                }
                s.record(x, &world(&x));
            }
            order
        };
        for mode in [PerfMode::Comp, PerfMode::Decomp, PerfMode::Balanced] {
            for t in [0.5, 0.9] {
                let order = codec_stage(t, mode);
                // Zstd's trials (its lower clevel too, when it lost on speed) before any
                // other codec's, on both pipelines.
                let lead: Vec<_> = order.iter().take_while(|x| x.codec == CodecId::ZSTD).collect();
                let mut filters: Vec<_> = lead.iter().map(|x| x.filter).collect();
                filters.dedup();
                assert_eq!(filters.len(), 2, "t={t} {mode:?}: {order:?}");
            }
        }
        // Speed first: the fast codecs lead.
        assert!(!slow(codec_stage(0.1, PerfMode::Comp)[0].codec));
    }

    /// A trial of 64 KiB at `ratio`, 10 us to compress and as much to decompress.
    fn at_ratio(ratio: f64) -> Measure {
        Measure {
            nbytes: 1 << 16,
            cbytes: ((1 << 16) as f64 / ratio) as usize,
            ctime: 1e-5,
            dtime: 1e-5,
            special: false,
        }
    }

    /// The codec stage's first setting, the filter stage's trials measured as `measure` says.
    fn codec_stage_opening(s: &mut Staged, measure: impl Fn(&Setting) -> Measure) -> Setting {
        while let Some(x) = s.next_setting() {
            if s.stage() == Stage::Codecs {
                return x;
            }
            s.record(x, &measure(&x));
        }
        panic!("no codec stage")
    }

    #[test]
    fn blosclz_without_a_filter_opens_the_codec_stage_when_a_copy_may_win() {
        let first = |t: f64, mode: PerfMode, ratio: f64| {
            let cfg = BtuneConfig { tradeoff: t, perf_mode: mode, ..BtuneConfig::default() };
            let mut s = Staged::new(&cfg, &SearchSpace::default());
            // The filter stage ranks the pipelines with filters first.
            codec_stage_opening(&mut s, |x| at_ratio(if x.filter == FilterKind::None { ratio / 2.0 } else { ratio }))
        };
        let copy = |x: Setting| x.codec == CodecId::BLOSCLZ && x.filter == FilterKind::None;
        for (t, mode) in
            [(0.1, PerfMode::Comp), (0.1, PerfMode::Balanced), (0.1, PerfMode::Decomp), (0.5, PerfMode::Decomp)]
        {
            assert!(copy(first(t, mode, 2.0)), "t={t} {mode:?}: {:?}", first(t, mode, 2.0));
            assert!(!copy(first(t, mode, 8.0)), "t={t} {mode:?} on data that compress well");
        }
        for (t, mode) in [(0.5, PerfMode::Comp), (0.5, PerfMode::Balanced), (0.9, PerfMode::Decomp)] {
            assert!(!copy(first(t, mode, 2.0)), "t={t} {mode:?}");
        }
    }

    #[test]
    fn zstd_leads_run_whatever_the_budget_only_on_data_that_compress_well() {
        for (ratio, leads) in [(2.0, false), (8.0, true)] {
            let mut s = Staged::new(&BtuneConfig { tradeoff: 0.5, ..BtuneConfig::default() }, &SearchSpace::default());
            let first = codec_stage_opening(&mut s, |_| at_ratio(ratio));
            assert_eq!(first.codec, CodecId::ZSTD);
            assert_eq!(s.leads(&first), leads, "ratio {ratio}");
        }
    }

    #[test]
    fn a_slow_codec_that_loses_on_speed_is_tried_at_its_lowest_clevel_next() {
        // Zstd's middle clevel crawls (as on sparse data), its lowest does not.
        let crawl = |x: &Setting| {
            let mut m = world(x);
            if x.codec == CodecId::ZSTD {
                m.ctime *= if x.clevel == 1 { 0.05 } else { 3.0 };
            }
            m
        };
        let mut s = Staged::new(&BtuneConfig { tradeoff: 0.5, ..BtuneConfig::default() }, &SearchSpace::default());
        let mut tried = Vec::new();
        while let Some(x) = s.next_setting() {
            s.record(x, &crawl(&x));
            tried.push(x);
        }
        let first_zstd = tried.iter().position(|x| x.codec == CodecId::ZSTD).unwrap();
        assert_eq!(tried[first_zstd].clevel, 5);
        assert_eq!(tried[first_zstd + 1], Setting { clevel: 1, ..tried[first_zstd] }, "{tried:?}");
        assert_eq!((s.best().codec, s.best().clevel), (CodecId::ZSTD, 1));
        // No other Zstd 5 in the codec stage but python-blosc2's default, always measured.
        let later_fives = tried[first_zstd + 1..]
            .iter()
            .filter(|x| x.codec == CodecId::ZSTD && x.clevel == 5 && **x != Setting::DEFAULT)
            .count();
        assert!(tried.contains(&Setting::DEFAULT));
        assert_eq!(later_fives, 0, "{tried:?}");
        // Not when it nearly ties the best.
        let near = |x: &Setting| {
            let mut m = world(x);
            if x.codec == CodecId::ZSTD {
                m.ctime *= 0.3;
            }
            m
        };
        let mut s = Staged::new(&BtuneConfig { tradeoff: 0.5, ..BtuneConfig::default() }, &SearchSpace::default());
        let mut tried = Vec::new();
        while let Some(x) = s.next_setting() {
            let before = s.best_estimate().map(|e| s.log_j(&e));
            s.record(x, &near(&x));
            if tried.iter().all(|t: &Setting| t.codec != CodecId::ZSTD) && x.codec == CodecId::ZSTD {
                let lost = before.unwrap() - s.log_j(&s.measured().iter().find(|e| e.setting == x).copied().unwrap());
                assert!(lost > 0.0 && lost < LOST.ln(), "a near tie: {lost}");
            }
            tried.push(x);
        }
        let z = tried.iter().position(|x| x.codec == CodecId::ZSTD).unwrap();
        assert_ne!(tried[z + 1], Setting { clevel: 1, ..tried[z] }, "{tried:?}");
        // Not in DECOMP mode, where compression speed does not count.
        let cfg = BtuneConfig { tradeoff: 0.5, perf_mode: PerfMode::Decomp, ..BtuneConfig::default() };
        let mut s = Staged::new(&cfg, &SearchSpace::default());
        let mut order = Vec::new();
        while let Some(x) = s.next_setting() {
            if s.stage() == Stage::Codecs {
                order.push(x);
            }
            s.record(x, &crawl(&x));
        }
        let z = order.iter().position(|x| x.codec == CodecId::ZSTD).unwrap();
        assert_ne!(order.get(z + 1).map(|x| x.clevel), Some(1), "{order:?}");
    }

    #[test]
    fn a_slow_codec_that_loses_by_less_than_lost_far_keeps_its_other_pipelines_at_their_clevel() {
        // Zstd 5 slower than LZ4 by a factor that makes it lose by LOST to LOST_FAR.
        let slower = |f: f64| {
            move |x: &Setting| {
                let mut m = world(x);
                if x.codec == CodecId::ZSTD {
                    m.ctime *= if x.clevel == 1 { 0.05 } else { f };
                }
                m
            }
        };
        // Without shuffle, whose Zstd 5 is python-blosc2's default, always measured.
        let space = SearchSpace {
            filters: vec![FilterKind::None, FilterKind::Bitshuffle, FilterKind::ShuffleBytedelta],
            ..SearchSpace::default()
        };
        for (f, far) in [(0.5, false), (3.0, true)] {
            let w = slower(f);
            let mut s = Staged::new(&BtuneConfig { tradeoff: 0.5, ..BtuneConfig::default() }, &space);
            let mut tried = Vec::new();
            let mut loss = None;
            while let Some(x) = s.next_setting() {
                let before = s.best_estimate().map(|e| s.log_j(&e));
                s.record(x, &w(&x));
                if loss.is_none() && x.codec == CodecId::ZSTD {
                    let e = s.measured().iter().find(|e| e.setting == x).copied().unwrap();
                    loss = Some(before.unwrap() - s.log_j(&e));
                }
                tried.push(x);
            }
            let loss = loss.unwrap();
            assert_eq!(loss >= LOST_FAR.ln(), far, "lost by {}", loss.exp());
            assert!(loss > LOST.ln(), "lost by {}", loss.exp());
            let z = tried.iter().position(|x| x.codec == CodecId::ZSTD).unwrap();
            assert_eq!(tried[z + 1], Setting { clevel: 1, ..tried[z] }, "{tried:?}");
            let other = s.pipelines.iter().copied().find(|&f| f != tried[z].filter).unwrap();
            // Then the other pipeline: at the lowest clevel when far, else at its own.
            let next = Setting { filter: other, clevel: if far { 1 } else { tried[z].clevel }, ..tried[z] };
            assert_eq!(tried[z + 2], next, "f={f}: {tried:?}");
        }
    }

    #[test]
    fn predictions_narrow_the_search_to_them_the_default_and_clevels() {
        let cfg = BtuneConfig { tradeoff: 0.5, ..BtuneConfig::default() };
        let p = Setting { codec: CodecId::LZ4, filter: FilterKind::Bitshuffle, clevel: 5, ..Setting::DEFAULT };
        let q = Setting { codec: CodecId::BLOSCLZ, filter: FilterKind::None, clevel: 1, ..Setting::DEFAULT };
        let outside = Setting { clevel: 4, ..p };
        let mut s = Staged::around(&cfg, &SearchSpace::default(), &[p, outside, q]);
        assert_eq!(s.stage(), Stage::Model);
        let mut tried = Vec::new();
        while let Some(x) = s.next_setting() {
            s.record(x, &world(&x));
            tried.push(x);
        }
        assert_eq!(&tried[..3], &[p, q, Setting::DEFAULT]);
        let o = Objective { tradeoff: 0.5, mode: PerfMode::Comp };
        let j = |x: &Setting| {
            let m = world(x);
            o.log_j(m.nbytes as f64 / m.cbytes as f64, m.nbytes as f64 / m.ctime)
        };
        // The other clevels of the best of these three next (LZ4 + bitshuffle in this
        // world), then the confirmations.
        let lead = tried[..3].iter().copied().max_by(|a, b| j(a).total_cmp(&j(b))).unwrap();
        assert_eq!(lead, p);
        assert_eq!(&tried[3..5], &[Setting { clevel: 1, ..lead }, Setting { clevel: 9, ..lead }]);
        // When the first choice does not measure best, its clevels are tried as well.
        let mut s = Staged::around(&cfg, &SearchSpace::default(), &[q, p]);
        let mut tried = Vec::new();
        while let Some(x) = s.next_setting() {
            s.record(x, &world(&x));
            tried.push(x);
        }
        for l in [5, 9] {
            assert!(tried.contains(&Setting { clevel: l, ..q }), "{tried:?}");
        }
        assert!(tried.len() <= 9 && s.done(), "{tried:?}");
        let best = tried.iter().copied().max_by(|a, b| j(a).total_cmp(&j(b))).unwrap();
        assert_eq!(s.best(), best);
        let out = Staged::around(&cfg, &SearchSpace::default(), &[outside]);
        assert_eq!(out.stage(), Stage::Filters, "nothing in the space: the full search");
    }

    #[test]
    fn specials_never_win_and_all_special_keeps_the_default() {
        let cfg = BtuneConfig::default();
        let mut s = Staged::new(&cfg, &SearchSpace::default());
        let mut n = 0;
        while let Some(x) = s.next_setting() {
            let mut m = world(&x);
            m.special = x.codec == CodecId::LZ4;
            m.cbytes = if m.special { 40 } else { m.cbytes };
            s.record(x, &m);
            n += 1;
        }
        assert!(n > 4);
        assert_ne!(s.best().codec, CodecId::LZ4);
        let mut all = Staged::new(&cfg, &SearchSpace::default());
        while let Some(x) = all.next_setting() {
            all.record(x, &Measure { nbytes: 100, cbytes: 40, ctime: 1e-6, dtime: 0.0, special: true });
        }
        assert_eq!(all.best(), Setting::DEFAULT);
    }

    #[test]
    fn a_top_clevel_that_cannot_pay_for_its_time_cannot_win() {
        let z =
            |clevel| Setting { codec: CodecId::ZSTD, filter: FilterKind::Shuffle, clevel, split: Default::default() };
        let m = |ratio: f64, speed: f64| Measure {
            nbytes: 1 << 20,
            cbytes: ((1 << 20) as f64 / ratio) as usize,
            ctime: (1 << 20) as f64 / speed,
            dtime: 0.0,
            special: false,
        };
        let cfg = BtuneConfig { tradeoff: 0.9, ..BtuneConfig::default() };
        let mut s = Staged::new(&cfg, &SearchSpace::default());
        assert!(s.can_win(&z(9), 1e6), "nothing measured: it could");
        // Zstd 1 -> 5 gains 1.26x; Zstd 9 at 24x slower would need 24^(1/9) = 1.42x.
        s.record(z(1), &m(123.0, 1.5e9));
        s.record(z(5), &m(155.0, 0.4e9));
        assert!(!s.can_win(&z(9), 0.4e9 / 24.0));
        assert!(s.can_win(&z(9), 0.4e9 / 4.0), "4x slower needs 1.17x only");
        // Zstd 1 -> 5 gains 5.5x (a linear ramp with shuffle + bytedelta): Zstd 9 could.
        let mut s = Staged::new(&cfg, &SearchSpace::default());
        s.record(z(1), &m(101.0, 2.2e9));
        s.record(z(5), &m(560.0, 2.3e9));
        assert!(s.can_win(&z(9), 2.3e9 / 12.0));
        let g = s.promise(&z(9), 2.3e9 / 12.0).unwrap();
        let want =
            0.9 * (560.0f64 * 560.0 / 101.0).ln() + 0.1 * (2.3f64 / 12.0).ln() - 0.9 * 560f64.ln() - 0.1 * 2.3f64.ln();
        assert!((g - want).abs() < 1e-2, "{g} {want}");
        assert!(s.promise(&z(5), 1.0).is_none(), "clevel 5 has one clevel below");
        let d = BtuneConfig { tradeoff: 0.9, perf_mode: PerfMode::Decomp, ..BtuneConfig::default() };
        let mut s = Staged::new(&d, &SearchSpace::default());
        s.record(z(1), &m(123.0, 1.5e9));
        s.record(z(5), &m(155.0, 0.4e9));
        assert!(s.can_win(&z(9), 1.0), "compression speed does not count in DECOMP");
    }
}
