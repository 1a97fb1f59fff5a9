//! Records and timing: the JSON sink, the run summaries and the adaptive repetition rule of
//! `shared/bench/WORKLOADS.md` section 0, field for field as `anchor.py` writes them.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use serde::Serialize;

/// Where records go: appended to `--out` as JSON lines when measured, and kept for `--json`.
pub struct Sink {
    out: Option<PathBuf>,
    records: Vec<String>,
}

impl Sink {
    /// A sink appending to `out` (when given).
    pub fn new(out: Option<PathBuf>) -> Sink {
        Sink { out, records: Vec::new() }
    }

    /// Records one measurement.
    ///
    /// # Errors
    /// Serialisation or I/O errors on `--out`.
    pub fn emit<T: Serialize>(&mut self, rec: &T) -> Result<()> {
        let line = serde_json::to_string(rec)?;
        if let Some(path) = &self.out {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let mut f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            writeln!(f, "{line}").with_context(|| format!("cannot write {}", path.display()))?;
        }
        self.records.push(line);
        Ok(())
    }

    /// All records as one JSON list (what `--json` prints).
    pub fn json_list(&self) -> String {
        if self.records.is_empty() {
            return "[]".to_string();
        }
        format!("[\n{}\n]", self.records.join(",\n"))
    }
}

/// Local-time-free timestamp `YYYY-MM-DDTHH:MM:SS` (UTC).
pub fn timestamp() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil from days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Python's `repr` of a float (shortest round-trip digits; exponent form below 1e-4 and
/// from 1e16 on, two-digit exponents with a sign).
pub fn python_repr_f64(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf".into() } else { "inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    let s = format!("{:e}", x.abs()); // shortest digits, e.g. "1.8702447414398193e-4"
    let (mant, exp) = s.split_once('e').expect("LowerExp has an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let sign = if x < 0.0 { "-" } else { "" };
    if !(-4..16).contains(&exp) {
        let rest = &digits[1..];
        let dot = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{}{dot}e{esign}{:02}", &digits[..1], exp.abs());
    }
    if exp < 0 {
        return format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize));
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        format!("{sign}{digits}{}.0", "0".repeat(int_len - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
    }
}

/// Process CPU time (user + system, all threads) in seconds, like Python's
/// `time.process_time()`.
#[cfg(unix)]
#[allow(unsafe_code)]
pub fn process_cpu_s() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_PROCESS_CPUTIME_ID is a valid clock.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Process CPU time: not measured on this platform (always 0).
#[cfg(not(unix))]
pub fn process_cpu_s() -> f64 {
    0.0
}

/// Rounds to 7 decimals, as `anchor.py` stores individual times.
fn round7(t: f64) -> f64 {
    (t * 1e7).round() / 1e7
}

/// Median / min / max of a set of runs (`anchor.py`'s `summarize`).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Number of runs.
    pub runs: usize,
    /// Median wall time.
    pub median_s: f64,
    /// Fastest run.
    pub min_s: f64,
    /// Slowest run.
    pub max_s: f64,
    /// Every run, rounded to 0.1 us.
    pub times_s: Vec<f64>,
    /// Throughput of the median run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gbps_median: Option<f64>,
    /// Throughput of the slowest run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gbps_min: Option<f64>,
    /// Throughput of the fastest run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gbps_max: Option<f64>,
    /// Median process CPU time of the same runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_median_s: Option<f64>,
    /// Process CPU time of every run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_s: Option<Vec<f64>>,
}

/// Python's `statistics.median` (mean of the two middle values for an even count).
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// Summarises wall times `times` (and CPU times `cpu`, when any) of runs over `nbytes`.
pub fn summarize(times: &[f64], nbytes: Option<usize>, cpu: &[f64]) -> Summary {
    let med = median(times);
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    let max = times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let gb = nbytes.filter(|&n| n > 0).map(|n| n as f64 / 1e9);
    Summary {
        runs: times.len(),
        median_s: med,
        min_s: min,
        max_s: max,
        times_s: times.iter().copied().map(round7).collect(),
        gbps_median: gb.map(|g| g / med),
        gbps_min: gb.map(|g| g / max),
        gbps_max: gb.map(|g| g / min),
        cpu_median_s: (!cpu.is_empty()).then(|| median(cpu)),
        cpu_s: (!cpu.is_empty()).then(|| cpu.iter().copied().map(round7).collect()),
    }
}

/// The repetition rule of WORKLOADS.md section 0 (`anchor.py`'s `time_adaptive`).
#[derive(Debug, Clone, Copy)]
pub struct Adaptive {
    /// Below this warm-up time: `nfast` runs.
    pub fast: f64,
    /// Below this: `nmid` runs.
    pub slow: f64,
    /// Below this: the warm-up plus `nslow - 1` runs; from here on the warm-up only.
    pub vslow: f64,
    /// Runs for fast operations.
    pub nfast: usize,
    /// Runs for medium operations.
    pub nmid: usize,
    /// Runs (warm-up included) for slow operations.
    pub nslow: usize,
}

impl Adaptive {
    /// Compression: 7 runs below 0.5 s, 3 below 3 s, 2 below 8 s, else 1.
    pub const COMPRESS: Adaptive = Adaptive { fast: 0.5, slow: 3.0, vslow: 8.0, nfast: 7, nmid: 3, nslow: 2 };
    /// Decompression: 7 runs below 0.5 s, 5 below 5 s, 2 below 8 s, else 1.
    pub const DECOMPRESS: Adaptive = Adaptive { fast: 0.5, slow: 5.0, vslow: 8.0, nfast: 7, nmid: 5, nslow: 2 };
}

/// Timed runs of `f`: wall times, CPU times, and the result of the last run. The result of
/// a run is dropped before the next one starts, outside the timed region.
///
/// # Errors
/// The first error of `f`.
pub fn time_adaptive<R>(rule: Adaptive, mut f: impl FnMut() -> Result<R>) -> Result<(Vec<f64>, Vec<f64>, R)> {
    let timed = |f: &mut dyn FnMut() -> Result<R>| -> Result<(f64, f64, R)> {
        let c0 = process_cpu_s();
        let t0 = Instant::now();
        let r = f()?;
        let t = t0.elapsed().as_secs_f64();
        Ok((t, process_cpu_s() - c0, r))
    };
    let (tw, cw, mut res) = timed(&mut f)?;
    if tw >= rule.vslow {
        return Ok((vec![tw], vec![cw], res));
    }
    let (mut times, mut cpu) = (Vec::new(), Vec::new());
    let n = if tw >= rule.slow {
        times.push(tw);
        cpu.push(cw);
        rule.nslow - 1
    } else if tw < rule.fast {
        rule.nfast
    } else {
        rule.nmid
    };
    for _ in 0..n {
        drop(res);
        let (t, c, r) = timed(&mut f)?;
        times.push(t);
        cpu.push(c);
        res = r;
    }
    Ok((times, cpu, res))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_repr() {
        assert_eq!(python_repr_f64(0.0), "0.0");
        assert_eq!(python_repr_f64(100.0), "100.0");
        assert_eq!(python_repr_f64(1.1920930376163766e-05), "1.1920930376163766e-05");
        assert_eq!(python_repr_f64(99.99998807906962), "99.99998807906962");
        assert_eq!(python_repr_f64(0.0001), "0.0001");
        assert_eq!(python_repr_f64(1e16), "1e+16");
        assert_eq!(python_repr_f64(1234.5), "1234.5");
        assert_eq!(python_repr_f64(-2.5e-7), "-2.5e-07");
    }

    #[test]
    fn median_like_python() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn timestamp_shape() {
        let t = timestamp();
        assert_eq!(t.len(), 19);
        assert_eq!(&t[10..11], "T");
    }
}
