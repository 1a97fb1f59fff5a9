//! Configuration (`shared/spec/btune.md` 2): tradeoff, performance mode, bandwidth,
//! behaviour, repeat mode, acceptance rule; and the `BTUNE_*` environment variables
//! (2.1), read only by [`BtuneConfig::from_env`].

use std::path::PathBuf;

use crate::error::{Error, Result};

/// Which times the score adds up (C: `BTUNE_PERF_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PerfMode {
    /// Compression speed.
    Comp,
    /// Decompression speed.
    Decomp,
    /// Both (compression and decompression times added).
    Balanced,
}

impl PerfMode {
    /// Parses `comp`, `decomp`, `balanced` (any case).
    ///
    /// # Errors
    /// [`Error::Mode`] for any other word.
    pub fn parse(s: &str) -> Result<PerfMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "comp" => Ok(PerfMode::Comp),
            "decomp" => Ok(PerfMode::Decomp),
            "balanced" => Ok(PerfMode::Balanced),
            _ => Err(Error::Mode(s.to_string())),
        }
    }

    /// The name the trace prints.
    pub fn name(self) -> &'static str {
        match self {
            PerfMode::Comp => "COMP",
            PerfMode::Decomp => "DECOMP",
            PerfMode::Balanced => "BALANCED",
        }
    }
}

/// What happens once the initial schedule is over (spec 5.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatMode {
    /// Keep the best setting for good.
    Stop,
    /// Soft readapts forever.
    RepeatSoft,
    /// The hard/soft cycle again.
    RepeatAll,
}

impl RepeatMode {
    /// The name the trace prints.
    pub fn name(self) -> &'static str {
        match self {
            RepeatMode::Stop => "STOP",
            RepeatMode::RepeatSoft => "REPEAT_SOFT",
            RepeatMode::RepeatAll => "REPEAT_ALL",
        }
    }
}

/// The schedule of readapts (spec 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    /// Chunks left untouched after each readapt.
    pub nwaits_before_readapt: u32,
    /// Soft readapts between two hard ones.
    pub nsofts_before_hard: u32,
    /// Hard readapts in the initial schedule (one more, the opening sweep, is added).
    pub nhards_before_stop: u32,
    /// What follows the initial schedule.
    pub repeat_mode: RepeatMode,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            nwaits_before_readapt: 0,
            nsofts_before_hard: 5,
            nhards_before_stop: 10,
            repeat_mode: RepeatMode::Stop,
        }
    }
}

/// When a trial replaces the best setting (spec 4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptRule {
    /// The trial has the higher objective `J_t` (see [`crate::Objective`]): the rule the
    /// oracle is judged by.
    Objective,
    /// The reference's intended table of bands with real-valued limits.
    V1,
    /// Btune 1.2.1's rule: at least as small and strictly faster.
    Strict,
}

/// How the tuner searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// A few staged trials on sampled blocks of the first chunk (filters, then codecs,
    /// then clevels, python-blosc2's default always among them), then the setting is
    /// held until the data change ([`crate::staged`]).
    Staged,
    /// The reference's readapt schedule (spec 5), its defects fixed ([`crate::search`]).
    Readapt,
}

/// The tuner's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct BtuneConfig {
    /// 0 = only speed matters ... 1 = only the compression ratio.
    pub tradeoff: f64,
    /// Which speed counts.
    pub perf_mode: PerfMode,
    /// Speed of the storage or link behind the compressor, KiB/s (only enters the score).
    pub bandwidth: u64,
    /// The readapt schedule.
    pub behaviour: Behaviour,
    /// The acceptance rule.
    pub accept: AcceptRule,
    /// Whether thread counts are tuned (THREADS state); off, the caller's count is kept.
    pub tune_threads: bool,
    /// -1: model inference on every chunk, no trials; 0: never; N > 0: the first N searches
    /// start from the model's predictions.
    pub use_inference: i32,
    /// Folder of model files.
    pub models_dir: Option<PathBuf>,
    /// Whether to write the trace.
    pub trace: bool,
    /// Bytes of each chunk that trials compress: at most this many, in sampled blocks.
    pub sample_bytes: usize,
    /// The search.
    pub strategy: Strategy,
}

impl Default for BtuneConfig {
    fn default() -> Self {
        BtuneConfig {
            tradeoff: 0.5,
            perf_mode: PerfMode::Comp,
            bandwidth: 20 * 1024 * 1024,
            behaviour: Behaviour::default(),
            accept: AcceptRule::Objective,
            tune_threads: false,
            use_inference: 0,
            models_dir: None,
            trace: false,
            sample_bytes: 64 << 10,
            strategy: Strategy::Staged,
        }
    }
}

/// Parses a tradeoff: one float in [0, 1] (any float syntax), or a triple `(r, s, q)`
/// summing to 1, with or without parentheses, reduced to `r + q / 2` (spec 2).
///
/// # Errors
/// [`Error::Tradeoff`] for anything else.
pub fn parse_tradeoff(s: &str) -> Result<f64> {
    let bad = || Error::Tradeoff(s.to_string());
    let body = s.trim().trim_start_matches('(').trim_end_matches(')');
    let parts: Vec<f64> = body.split(',').map(|p| p.trim().parse::<f64>().map_err(|_| bad())).collect::<Result<_>>()?;
    if parts.iter().any(|p| !(0.0..=1.0).contains(p)) {
        return Err(bad());
    }
    match parts[..] {
        [t] => Ok(t),
        [r, sp, q] if ((r + sp + q) - 1.0).abs() < 1e-6 && q < 1.0 => Ok(r + q / 2.0),
        _ => Err(bad()),
    }
}

impl BtuneConfig {
    /// The default configuration with what the `BTUNE_*` environment variables say.
    ///
    /// # Errors
    /// As [`BtuneConfig::with_vars`].
    pub fn from_env() -> Result<BtuneConfig> {
        BtuneConfig::default().with_vars(|k| std::env::var(k).ok())
    }

    /// This configuration with what the variables `get` returns say: `BTUNE_TRADEOFF`,
    /// `BTUNE_PERF_MODE`, `BTUNE_TRACE` (any value), `BTUNE_MODELS_DIR`,
    /// `BTUNE_USE_INFERENCE`.
    ///
    /// # Errors
    /// [`Error::Tradeoff`], [`Error::Mode`], [`Error::Inference`] for values that do not
    /// parse.
    pub fn with_vars(mut self, get: impl Fn(&str) -> Option<String>) -> Result<BtuneConfig> {
        if let Some(t) = get("BTUNE_TRADEOFF") {
            self.tradeoff = parse_tradeoff(&t)?;
        }
        if let Some(m) = get("BTUNE_PERF_MODE") {
            self.perf_mode = PerfMode::parse(&m)?;
        }
        if get("BTUNE_TRACE").is_some() {
            self.trace = true;
        }
        if let Some(d) = get("BTUNE_MODELS_DIR") {
            self.models_dir = Some(PathBuf::from(d));
        }
        if let Some(n) = get("BTUNE_USE_INFERENCE") {
            self.use_inference = n.trim().parse().map_err(|_| Error::Inference(n.clone()))?;
        }
        Ok(self)
    }

    /// Whether the variables `get` returns ask for tuning (`BTUNE_TRADEOFF` or
    /// `BTUNE_PERF_MODE` set).
    pub fn wanted_by(get: impl Fn(&str) -> Option<String>) -> bool {
        get("BTUNE_TRADEOFF").is_some() || get("BTUNE_PERF_MODE").is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tradeoffs_parse_in_any_float_syntax_and_out_of_range_is_an_error() {
        for (s, t) in [("0.25", 0.25), (".25", 0.25), ("2.5e-1", 0.25), ("1", 1.0), ("0", 0.0)] {
            assert_eq!(parse_tradeoff(s).unwrap(), t, "{s}");
        }
        assert!((parse_tradeoff("(0.5, 0.3, 0.2)").unwrap() - 0.6).abs() < 1e-12);
        assert!((parse_tradeoff("0.5,0.3,0.2").unwrap() - 0.6).abs() < 1e-12);
        for s in ["1.5", "-0.1", "x", "", "(0.5, 0.3)", "(0.5, 0.6, 0.2)", "(0, 0, 1)", "nan"] {
            assert!(parse_tradeoff(s).is_err(), "{s}");
        }
    }

    #[test]
    fn environment_variables_override_the_config() {
        let vars = |k: &str| match k {
            "BTUNE_TRADEOFF" => Some(".9".to_string()),
            "BTUNE_PERF_MODE" => Some("DECOMP".to_string()),
            "BTUNE_TRACE" => Some(String::new()),
            "BTUNE_USE_INFERENCE" => Some("3".to_string()),
            _ => None,
        };
        let c = BtuneConfig::default().with_vars(vars).unwrap();
        assert_eq!((c.tradeoff, c.perf_mode, c.trace, c.use_inference), (0.9, PerfMode::Decomp, true, 3));
        assert!(BtuneConfig::wanted_by(vars));
        assert!(!BtuneConfig::wanted_by(|_| None));
        let bad = BtuneConfig::default().with_vars(|k| (k == "BTUNE_PERF_MODE").then(|| "FAST".to_string()));
        assert!(matches!(bad, Err(Error::Mode(_))));
    }
}
