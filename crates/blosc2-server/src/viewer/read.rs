//! Reads of a selection that decode only the blocks holding its cells, with memory
//! bounded by one band of blocks whatever the array's size: strided views (every k-th
//! cell) and block means (the mean of each k x k box).

use blosc2_nd::{NdArray, Selection, SliceItem};

use crate::error::{Error, Result};
use crate::viewer::values::Numeric;

/// Bytes one read of a band may hold; larger selections are read in several bands.
const BAND_BYTES: u64 = 32 << 20;

/// The selected cells of `sel` (steps applied, dimensions kept) in C order.
///
/// The selection's box is cut along its outer dimensions into bands that each lie in one
/// row of chunks (or of blocks, for steps larger than a block), so that every block the selection touches is decoded once and no more
/// than [`BAND_BYTES`] are held at a time beyond the answer.
///
/// # Errors
/// Chunk errors of the array.
pub fn read_strided(a: &NdArray, sel: &Selection) -> Result<Vec<u8>> {
    let ts = a.dtype().itemsize() as u64;
    let out_shape = sel.stepped_shape();
    let cells: u64 = out_shape.iter().product();
    let mut out = Vec::with_capacity((cells * ts) as usize);
    if cells == 0 {
        return Ok(out);
    }
    let start = sel.region().start().to_vec();
    // The box from the first to the last selected cell.
    let extent: Vec<u64> = out_shape.iter().zip(sel.step()).map(|(&n, &k)| (n - 1) * k + 1).collect();
    band(a, &start, &extent, sel.step(), 0, ts, &mut out)?;
    Ok(out)
}

fn items(start: &[u64], extent: &[u64], step: &[u64]) -> Vec<SliceItem> {
    (0..start.len())
        .map(|d| SliceItem::Range {
            start: Some(start[d] as i64),
            stop: Some((start[d] + extent[d]) as i64),
            step: step[d] as i64,
        })
        .collect()
}

/// The band of `i` along dimension `d`: its row of chunks when the step is no larger than
/// a block (every block of the row holds a selected cell: one read per chunk row visits
/// each chunk once), else its row of blocks (blocks restart at each chunk), so that blocks
/// between selected cells are not decoded.
fn block_row(a: &NdArray, d: usize, i: u64, step: u64) -> u64 {
    let (c, b) = (a.chunks()[d].max(1), a.blocks()[d].max(1));
    if step <= b {
        i / c
    } else {
        (i / c) * c.div_ceil(b) + (i % c) / b
    }
}

fn band(a: &NdArray, start: &[u64], extent: &[u64], step: &[u64], d: usize, ts: u64, out: &mut Vec<u8>) -> Result<()> {
    let n = start.len();
    let inner = |from: usize| extent[from..].iter().product::<u64>();
    if d == n || inner(d) * ts <= BAND_BYTES {
        let (bytes, _) = a.read_selection(&items(start, extent, step))?;
        out.extend_from_slice(&bytes);
        return Ok(());
    }
    let row = inner(d + 1) * ts;
    let count = (extent[d] - 1) / step[d] + 1;
    let mut j = 0;
    while j < count {
        // The selected indices of dimension d in the block row of the j-th.
        let first = start[d] + j * step[d];
        let br = block_row(a, d, first, step[d]);
        let mut last_j = j;
        while last_j + 1 < count && block_row(a, d, start[d] + (last_j + 1) * step[d], step[d]) == br {
            last_j += 1;
        }
        let span = (last_j - j) * step[d] + 1;
        let (mut s, mut e) = (start.to_vec(), extent.to_vec());
        if span * row <= BAND_BYTES {
            s[d] = first;
            e[d] = span;
            band(a, &s, &e, step, n, ts, out)?;
        } else {
            for jj in j..=last_j {
                s[d] = start[d] + jj * step[d];
                e[d] = 1;
                band(a, &s, &e, step, d + 1, ts, out)?;
            }
        }
        j = last_j + 1;
    }
    Ok(())
}

/// The mean of every `step` box of `sel`'s region (one value per cell of the strided
/// selection: the box from that cell to the next one, cut at the region's end), in C
/// order; NaN values are left out and a box of NaN only gives NaN.
///
/// # Errors
/// [`Error::TooLarge`] when the region holds more than `read_budget` cells or one band
/// (one output row of boxes) more than 8 times the band size; chunk errors.
pub fn read_mean(a: &NdArray, sel: &Selection, num: &Numeric, read_budget: u64) -> Result<Vec<f64>> {
    let region = sel.region();
    let cells: u64 = region.shape().iter().product();
    if cells > read_budget {
        return Err(Error::TooLarge { what: "block-mean read", cells, budget: read_budget });
    }
    let out_shape = sel.stepped_shape();
    let total: u64 = out_shape.iter().product();
    let mut sums = vec![0f64; total as usize];
    let mut counts = vec![0u32; total as usize];
    if total == 0 {
        return Ok(sums);
    }
    let n = out_shape.len();
    let step = sel.step();
    // Outer dimension: the first whose output has more than one cell (0 for 0-D and 1-cell).
    let d0 = (0..n).find(|&d| out_shape[d] > 1).unwrap_or(0);
    let mut out_strides = vec![1u64; n];
    for d in (0..n.saturating_sub(1)).rev() {
        out_strides[d] = out_strides[d + 1] * out_shape[d + 1];
    }
    let rows = if n == 0 { 1 } else { out_shape[d0] };
    for o in 0..rows {
        let mut s = region.start().to_vec();
        let mut e = region.shape().to_vec();
        if n > 0 {
            s[d0] = region.start()[d0] + o * step[d0];
            e[d0] = step[d0].min(region.start()[d0] + region.shape()[d0] - s[d0]);
        }
        let band_cells: u64 = e.iter().product();
        let limit = 8 * BAND_BYTES;
        if band_cells * a.dtype().itemsize() as u64 > limit {
            return Err(Error::TooLarge {
                what: "block-mean band",
                cells: band_cells,
                budget: limit / a.dtype().itemsize() as u64,
            });
        }
        let bytes = a.read_box(&blosc2_nd::Region::from_start_shape(&s, &e)?)?;
        // Walk the band in C order with an odometer; the output offset of a cell is the
        // sum over dimensions of (its index / step) * output stride.
        let mut idx = vec![0u64; n];
        let base = if n > 0 { o * out_strides[d0] } else { 0 };
        for i in 0..num.count(&bytes) {
            let mut off = base;
            for d in 0..n {
                if d != d0 {
                    off += (idx[d] / step[d]) * out_strides[d];
                }
            }
            let v = num.value(&bytes, i);
            if !v.is_nan() {
                sums[off as usize] += v;
                counts[off as usize] += 1;
            }
            for d in (0..n).rev() {
                idx[d] += 1;
                if idx[d] < e[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
    }
    Ok(sums.iter().zip(&counts).map(|(&s, &c)| if c == 0 { f64::NAN } else { s / f64::from(c) }).collect())
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
        let (mut count, mut nonzero, mut nan, mut finite, mut sum) = (0u64, 0u64, 0u64, 0u64, 0f64);
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values {
            count += 1;
            if v != 0.0 {
                nonzero += 1;
            }
            if v.is_nan() {
                nan += 1;
            } else if v.is_finite() {
                finite += 1;
                sum += v;
                min = min.min(v);
                max = max.max(v);
            }
        }
        let some = |x: f64| (finite > 0).then_some(x);
        Stats { count, min: some(min), max: some(max), mean: some(sum / finite.max(1) as f64), nonzero, nan }
    }
}
