//! Reads of a selection that decode only the blocks holding its cells (and none of the
//! blocks stored as runs of zeros), with memory bounded by the answer whatever the array's
//! size: strided views (every k-th cell) and block reductions (the mean, maximum or minimum
//! of each k x k box), both from `blosc2-nd` ([`NdArray::read_strided`],
//! [`NdArray::read_reduced`]).

use blosc2_nd::{NdArray, Reduce, Selection};

use crate::error::{Error, Result};
use crate::viewer::values::Numeric;

/// The selected cells of `sel` (steps applied, dimensions kept) in C order.
///
/// # Errors
/// Chunk errors of the array.
pub fn read_strided(a: &NdArray, sel: &Selection) -> Result<Vec<u8>> {
    Ok(a.read_strided(sel)?)
}

/// One value per `step` box of `sel`'s region (the box from each selected cell to the next
/// one, cut at the region's end), in C order; NaN values are left out and a box of NaN
/// only gives NaN.
///
/// # Errors
/// [`Error::TooLarge`] when the region holds more than `read_budget` cells; chunk errors.
pub fn read_reduced(a: &NdArray, sel: &Selection, how: Reduce, num: &Numeric, read_budget: u64) -> Result<Vec<f64>> {
    let cells = sel.region().num_elements().unwrap_or(u64::MAX);
    if cells > read_budget {
        return Err(Error::TooLarge { what: "block-reduced read", cells, budget: read_budget });
    }
    Ok(a.read_reduced(sel, how, |e| num.element(e))?)
}

/// Statistics of values: finite minimum and maximum, mean of the finite values, count of
/// non-zero values (NaN counts as non-zero, as in NumPy), count of NaN.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stats {
    /// Values counted.
    pub count: u64,
    /// Finite minimum (`None` without finite values).
    pub min: Option<f64>,
    /// Finite maximum.
    pub max: Option<f64>,
    /// Mean of the finite values.
    pub mean: Option<f64>,
    /// Values that are not zero.
    pub nonzero: u64,
    /// NaN values.
    pub nan: u64,
}

impl Stats {
    /// The statistics of `values`.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Stats {
        let mut s = StatsBuilder::default();
        values.into_iter().for_each(|v| s.add(v));
        s.finish()
    }
}

/// [`Stats`] gathered one value at a time.
#[derive(Debug, Clone)]
pub struct StatsBuilder {
    count: u64,
    nonzero: u64,
    nan: u64,
    finite: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Default for StatsBuilder {
    fn default() -> StatsBuilder {
        StatsBuilder { count: 0, nonzero: 0, nan: 0, finite: 0, sum: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }
}

impl StatsBuilder {
    /// Counts `v` in.
    #[inline]
    pub fn add(&mut self, v: f64) {
        self.count += 1;
        if v != 0.0 {
            self.nonzero += 1;
        }
        if v.is_nan() {
            self.nan += 1;
        } else if v.is_finite() {
            self.finite += 1;
            self.sum += v;
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
    }

    /// The statistics of the values counted.
    pub fn finish(&self) -> Stats {
        let some = |x: f64| (self.finite > 0).then_some(x);
        Stats {
            count: self.count,
            min: some(self.min),
            max: some(self.max),
            mean: some(self.sum / self.finite.max(1) as f64),
            nonzero: self.nonzero,
            nan: self.nan,
        }
    }
}
