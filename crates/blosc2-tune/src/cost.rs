//! What a trial will cost before it runs: the staged search spends a budget of time per
//! chunk, and a trial of a slow codec's top level can cost more than the whole chunk's
//! compression with a fast one. A trial costs a fixed part (a codec context set up for a
//! new level, the sample gathered, buffers) and a part per byte (the compressions
//! themselves), both learned from the trials run so far (the same codec at the same
//! clevel, else the same codec scaled between clevels, else the codec measured whose prior
//! is the nearest, scaled by the priors), so that the machine's and the data's speed are
//! measured, and only the codecs' relative speeds are assumed. Counting the fixed part
//! per byte would make a small trial say that a large one costs ten times what it does;
//! leaving it out would let a fast run's budget go on set-ups.

use blosc2_core::codec::CodecId;

use crate::space::Setting;

/// Compression time per byte of `codec` at `clevel` relative to LZ4 at clevel 5, roughly
/// (on a 2-core x86-64 over the WORKLOADS data): the prior used until the codec has run.
pub fn prior(codec: CodecId, clevel: u8) -> f64 {
    let l = f64::from(clevel.clamp(1, 9));
    match codec {
        CodecId::LZ4 => 1.0,
        CodecId::BLOSCLZ => 1.0 + 0.2 * l,
        CodecId::LZ4HC => 4.0 * l,
        CodecId::ZLIB => 8.0 + 4.0 * l,
        // Blosc2's clevel 9 is Zstd's 22 (optimal parsing over a large window).
        CodecId::ZSTD if clevel >= 9 => 300.0,
        CodecId::ZSTD => 2.0 + 3.0 * l,
        _ => 10.0,
    }
}

/// The share of its prior ([`prior`]) that a slow codec's time per byte comes to on data
/// that the trials so far compress `ratio` times with the same filters: Zstd, Zlib and
/// LZ4HC spend their time on the bytes that no long match covers, and data that compress
/// hundreds of times leave few of them. Zstd 5 runs at 1/20 of LZ4 5's speed on data that
/// compress 2x, at 1/4-1/8 with shuffle or bitshuffle at 25-300x and at 1/1.8-1/3.4 with
/// shuffle + bytedelta at 150-630x (`arange_i64`, `linspace_f64`; LZ4HC and Zlib alike,
/// within 2x of this curve): `(4 / ratio)^0.35` above a ratio of 4. The prior alone made
/// a Zstd 5 trial on `arange_i64` look ten times as costly as it was (1.2 ms against
/// 0.1), and it waited for the second chunk of two, the first written with LZ4 at a
/// ratio of 630 where Zstd gives 5,000.
pub fn dense_share(codec: CodecId, ratio: f64) -> f64 {
    if crate::staged::slow(codec) && ratio > 4.0 {
        (4.0 / ratio).powf(0.35)
    } else {
        1.0
    }
}

/// Measured trial costs.
#[derive(Debug, Clone, Default)]
pub struct Costs {
    /// (codec, clevel, seconds per byte compressed, fixed seconds) of the trials run, the
    /// last one of each pair.
    seen: Vec<(CodecId, u8, f64, f64)>,
}

impl Costs {
    /// Records that a trial of `s` took `wall` seconds in all, of which `timed` seconds
    /// compressing (and decompressing) `bytes` bytes.
    pub fn record(&mut self, s: &Setting, bytes: usize, timed: f64, wall: f64) {
        if bytes == 0 || !timed.is_finite() || timed <= 0.0 || !wall.is_finite() {
            return;
        }
        let rate = timed / bytes as f64;
        let fixed = (wall - timed).max(0.0);
        match self.seen.iter_mut().find(|(c, l, _, _)| *c == s.codec && *l == s.clevel) {
            Some(e) => (e.2, e.3) = (rate, fixed),
            None => self.seen.push((s.codec, s.clevel, rate, fixed)),
        }
    }

    /// Seconds a trial of `s` compressing `bytes` bytes should take; `None` before any
    /// trial.
    pub fn estimate(&self, s: &Setting, bytes: usize) -> Option<f64> {
        self.parts(s).map(|(fixed, rate)| fixed + rate * bytes as f64)
    }

    /// The fixed seconds and the seconds per byte a trial of `s` should take; `None`
    /// before any trial.
    pub fn parts(&self, s: &Setting) -> Option<(f64, f64)> {
        self.parts_at(s, 1.0)
    }

    /// [`Costs::parts`] on data that the trials so far compress `ratio` times with the
    /// filters of `s`: a codec not measured yet is scaled from another by their priors,
    /// each times its [`dense_share`] at that ratio.
    pub fn parts_at(&self, s: &Setting, ratio: f64) -> Option<(f64, f64)> {
        if let Some(&(_, _, r, f)) = self.seen.iter().find(|(c, l, _, _)| *c == s.codec && *l == s.clevel) {
            return Some((f, r));
        }
        let prior = |c: CodecId, l: u8| prior(c, l) * dense_share(c, ratio);
        let want = prior(s.codec, s.clevel);
        // The nearest clevel of the same codec, else the codec measured whose prior is the
        // nearest (its speed relative to the machine's and the data's says most).
        let same =
            self.seen.iter().filter(|(c, _, _, _)| *c == s.codec).min_by_key(|(_, l, _, _)| l.abs_diff(s.clevel));
        let (c, l, r, f) = same.or_else(|| {
            self.seen.iter().min_by(|a, b| {
                let d = |e: &&(CodecId, u8, f64, f64)| (prior(e.0, e.1) / want).ln().abs();
                d(a).total_cmp(&d(b))
            })
        })?;
        Some((*f, r * want / prior(*c, *l)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::FilterKind;
    use blosc2_core::chunk::SplitMode;

    fn s(codec: CodecId, clevel: u8) -> Setting {
        Setting { codec, filter: FilterKind::Shuffle, clevel, split: SplitMode::Auto }
    }

    #[test]
    fn nothing_measured_gives_no_estimate() {
        assert_eq!(Costs::default().estimate(&s(CodecId::ZSTD, 5), 1000), None);
    }

    #[test]
    fn a_measured_pair_scales_with_the_bytes() {
        let mut c = Costs::default();
        c.record(&s(CodecId::LZ4, 5), 1000, 1e-3, 1e-3);
        assert_eq!(c.estimate(&s(CodecId::LZ4, 5), 2000), Some(2e-3));
    }

    #[test]
    fn an_unmeasured_codec_scales_by_the_priors() {
        let mut c = Costs::default();
        c.record(&s(CodecId::LZ4, 5), 1000, 1e-3, 1e-3);
        let z = c.estimate(&s(CodecId::ZSTD, 9), 1000).unwrap();
        assert!((z - 1e-3 * prior(CodecId::ZSTD, 9)).abs() < 1e-12);
        // Once Zstd has run at one clevel, its other clevels scale from it.
        c.record(&s(CodecId::ZSTD, 1), 1000, 2e-2, 2e-2);
        let z9 = c.estimate(&s(CodecId::ZSTD, 9), 1000).unwrap();
        let want = 2e-2 * prior(CodecId::ZSTD, 9) / prior(CodecId::ZSTD, 1);
        assert!((z9 - want).abs() < 1e-12, "{z9} {want}");
    }

    #[test]
    fn a_slow_codec_costs_less_of_its_prior_on_data_that_compress_well() {
        let mut c = Costs::default();
        c.record(&s(CodecId::LZ4, 5), 1000, 1e-3, 1e-3);
        let (_, at1) = c.parts_at(&s(CodecId::ZSTD, 5), 1.0).unwrap();
        assert_eq!(Some((0.0, at1)), c.parts(&s(CodecId::ZSTD, 5)));
        assert!((at1 - 1e-6 * prior(CodecId::ZSTD, 5)).abs() < 1e-15);
        // At a ratio of 4 or less, the prior; above, less and less of it.
        assert_eq!(c.parts_at(&s(CodecId::ZSTD, 5), 4.0).unwrap().1, at1);
        let (_, at500) = c.parts_at(&s(CodecId::ZSTD, 5), 500.0).unwrap();
        assert!((at500 / at1 - (4.0f64 / 500.0).powf(0.35)).abs() < 1e-12, "{}", at500 / at1);
        // A fast codec keeps its prior, and a measured pair its measure.
        let (_, blosclz) = c.parts_at(&s(CodecId::BLOSCLZ, 5), 500.0).unwrap();
        assert!((blosclz - 1e-6 * prior(CodecId::BLOSCLZ, 5)).abs() < 1e-15);
        assert_eq!(c.parts_at(&s(CodecId::LZ4, 5), 500.0), Some((0.0, 1e-6)));
        // Between two slow codecs, the shares cancel.
        c.record(&s(CodecId::ZLIB, 5), 1000, 1e-2, 1e-2);
        let (_, z) = c.parts_at(&s(CodecId::LZ4HC, 5), 500.0).unwrap();
        let want = 1e-5 * prior(CodecId::LZ4HC, 5) / prior(CodecId::ZLIB, 5);
        assert!((z - want).abs() < 1e-15, "{z} {want}");
    }

    #[test]
    fn bad_times_are_ignored() {
        let mut c = Costs::default();
        c.record(&s(CodecId::LZ4, 5), 0, 1.0, 1.0);
        c.record(&s(CodecId::LZ4, 5), 10, f64::NAN, 1.0);
        c.record(&s(CodecId::LZ4, 5), 10, -1.0, 1.0);
        assert_eq!(c.estimate(&s(CodecId::LZ4, 5), 10), None);
    }

    #[test]
    fn the_fixed_part_is_paid_once_whatever_the_bytes() {
        let mut c = Costs::default();
        // 1 ms compressing 1000 bytes, 3 ms in all: 2 ms of set-up.
        c.record(&s(CodecId::ZSTD, 5), 1000, 1e-3, 3e-3);
        let e = c.estimate(&s(CodecId::ZSTD, 5), 10_000).unwrap();
        assert!((e - 12e-3).abs() < 1e-12, "{e}");
        let e9 = c.estimate(&s(CodecId::ZSTD, 9), 1000).unwrap();
        let want = 2e-3 + 1e-3 * prior(CodecId::ZSTD, 9) / prior(CodecId::ZSTD, 5);
        assert!((e9 - want).abs() < 1e-12, "{e9} {want}");
    }
}
