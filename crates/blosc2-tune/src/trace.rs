//! The trace (`shared/spec/btune.md` 10): a banner, a header row, one row per trial in the
//! reference's layout, then the chunk index and times; written to any writer the
//! embedding program gives.

use crate::config::BtuneConfig;

/// The header row.
pub const HEADER: &str = "|    Codec   | Filter | Split | C.Level | C.Threads | D.Threads |  S.Score  |  C.Ratio   |   Btune State   | Readapt | Winner";

/// A number as C's `%g` prints it (3 significant digits).
pub fn fmt_g(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return if x == 0.0 { "0".to_string() } else { format!("{x}") };
    }
    let exp = x.abs().log10().floor() as i32;
    if !(-4..3).contains(&exp) {
        let m = x / 10f64.powi(exp);
        let (m, exp) =
            if format!("{m:.2}").trim_start_matches('-').starts_with("10") { (m / 10.0, exp + 1) } else { (m, exp) };
        let mant = trim(format!("{m:.2}"));
        return format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    let decimals = (2 - exp).max(0) as usize;
    trim(format!("{x:.decimals$}"))
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// One row's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    /// Codec name.
    pub codec: &'a str,
    /// Filter id of the last slot.
    pub filter: u8,
    /// Split always.
    pub split: bool,
    /// Compression level.
    pub clevel: u8,
    /// Compression threads.
    pub cthreads: usize,
    /// Decompression threads.
    pub dthreads: usize,
    /// Effective speed, GiB/s.
    pub sscore: f64,
    /// Compression ratio.
    pub cratio: f64,
    /// State name.
    pub state: &'a str,
    /// Readapt name.
    pub readapt: &'a str,
    /// `W`, `-` or `S`.
    pub winner: char,
}

impl Row<'_> {
    /// The row in the reference's layout.
    pub fn format(&self) -> String {
        format!(
            "| {:>10} | {:>6} | {:>5} | {:>7} | {:>9} | {:>9} | {:>9} | {:>9}x | {:>15} | {:>7} | {}",
            self.codec,
            self.filter,
            u8::from(self.split),
            self.clevel,
            self.cthreads,
            self.dthreads,
            fmt_g(self.sscore),
            fmt_g(self.cratio),
            self.state,
            self.readapt,
            self.winner
        )
    }
}

/// The banner printed before the header.
pub fn banner(cfg: &BtuneConfig) -> String {
    let bw = cfg.bandwidth as f64;
    let (v, unit) = if bw >= 1024f64.powi(3) {
        (bw / 1024f64.powi(3), "TB/s")
    } else if bw >= 1024f64.powi(2) {
        (bw / 1024f64.powi(2), "GB/s")
    } else if bw >= 1024.0 {
        (bw / 1024.0, "MB/s")
    } else {
        (bw, "KB/s")
    };
    let b = cfg.behaviour;
    format!(
        "{}\nBtune version: blosc2-tune {}\nPerformance Mode: {}, Compression tradeoff: {:.6}, Bandwidth: {} {}\nBehaviour: Waits - {}, Softs - {}, Hards - {}, Repeat Mode - {}\n",
        "-=".repeat(39),
        env!("CARGO_PKG_VERSION"),
        cfg.perf_mode.name(),
        cfg.tradeoff,
        fmt_g(v),
        unit,
        b.nwaits_before_readapt,
        b.nsofts_before_hard,
        b.nhards_before_stop,
        b.repeat_mode.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_the_reference_layout() {
        let r = Row {
            codec: "zstd",
            filter: 0,
            split: true,
            clevel: 3,
            cthreads: 3,
            dthreads: 3,
            sscore: 0.1523,
            cratio: 7.4412,
            state: "CODEC_FILTER",
            readapt: "HARD",
            winner: 'W',
        };
        assert_eq!(
            r.format(),
            "|       zstd |      0 |     1 |       3 |         3 |         3 |     0.152 |      7.44x |    CODEC_FILTER |    HARD | W"
        );
        assert_eq!(r.format().len(), HEADER.len() - 5);
        for (x, s) in
            [(1234.5, "1.23e+03"), (0.000012345, "1.23e-05"), (100.0, "100"), (1.0, "1"), (99.96, "100"), (0.5, "0.5")]
        {
            assert_eq!(fmt_g(x), s, "{x}");
        }
        assert!(banner(&BtuneConfig::default()).contains("Bandwidth: 20 GB/s"));
    }
}
