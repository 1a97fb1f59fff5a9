//! The objective a tradeoff stands for: `J_t = cratio^t x speed^(1-t)` (issue 17), the
//! speed being the compression speed (COMP), the decompression speed (DECOMP) or their
//! harmonic combination (BALANCED: bytes over the sum of both times).

use crate::config::PerfMode;

/// `J_t` for one tradeoff and mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    /// 0 = speed only ... 1 = ratio only.
    pub tradeoff: f64,
    /// Which speed counts.
    pub mode: PerfMode,
}

impl Objective {
    /// The speed (bytes per second) of `nbytes` compressed in `ctime` seconds and
    /// decompressed in `dtime` seconds, for this mode.
    pub fn speed(&self, nbytes: f64, ctime: f64, dtime: f64) -> f64 {
        let t = match self.mode {
            PerfMode::Comp => ctime,
            PerfMode::Decomp => dtime,
            PerfMode::Balanced => ctime + dtime,
        };
        nbytes / t.max(1e-12)
    }

    /// `ln J_t`: `t ln(cratio) + (1 - t) ln(speed)` (speed in GB/s).
    pub fn log_j(&self, cratio: f64, speed: f64) -> f64 {
        self.tradeoff * cratio.max(1e-12).ln() + (1.0 - self.tradeoff) * (speed / 1e9).max(1e-12).ln()
    }

    /// `J_t` (speed in GB/s).
    pub fn j(&self, cratio: f64, speed: f64) -> f64 {
        self.log_j(cratio, speed).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn j_weighs_ratio_against_speed() {
        let o = Objective { tradeoff: 0.5, mode: PerfMode::Comp };
        assert!((o.j(4.0, 1e9) - 2.0).abs() < 1e-12);
        assert!((o.j(1.0, 4e9) - 2.0).abs() < 1e-12);
        let b = Objective { tradeoff: 0.0, mode: PerfMode::Balanced };
        assert!((b.speed(1e9, 0.5, 0.5) - 1e9).abs() < 1e-3);
        assert!((Objective { tradeoff: 1.0, mode: PerfMode::Decomp }.j(7.0, 123.0) - 7.0).abs() < 1e-9);
    }
}
