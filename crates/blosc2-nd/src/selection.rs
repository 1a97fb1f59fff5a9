//! Selections: NumPy-style items (`0:10, 5, ::2`) parsed from text, resolved against an
//! array shape, and the steps applied to the box read for them.

use crate::error::{Error, Result, ShapeErrorKind as K};
use crate::geometry::{product, strides, unravel};

/// One item of a selection: an index (drops the dimension) or a range with a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SliceItem {
    /// A single index; negative counts from the end.
    Index(i64),
    /// `start:stop:step`; negative bounds count from the end, `None` means the whole way.
    Range {
        /// First index.
        start: Option<i64>,
        /// One past the last index.
        stop: Option<i64>,
        /// Step (positive).
        step: i64,
    },
}

impl SliceItem {
    /// The whole dimension (`:`).
    pub const FULL: SliceItem = SliceItem::Range { start: None, stop: None, step: 1 };
}

/// A box in an array, resolved: per dimension start, stop and step, and which dimensions an
/// integer index drops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// First index per dimension.
    pub start: Vec<u64>,
    /// One past the last index per dimension.
    pub stop: Vec<u64>,
    /// Step per dimension (1 for plain boxes).
    pub step: Vec<u64>,
    /// Dimensions selected by an integer index (dropped from the result's shape).
    pub dropped: Vec<bool>,
}

impl Selection {
    /// Resolves `items` (fewer than ndim: the rest are `:`) against `shape`.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] naming the dimension; [`Error::SliceSyntax`] for a zero or
    /// negative step or too many items.
    pub fn resolve(items: &[SliceItem], shape: &[u64]) -> Result<Selection> {
        if items.len() > shape.len() {
            return Err(Error::SliceSyntax { text: format!("{items:?}"), reason: "more items than dimensions" });
        }
        let n = shape.len();
        let mut sel = Selection { start: vec![0; n], stop: shape.to_vec(), step: vec![1; n], dropped: vec![false; n] };
        for (d, item) in items.iter().enumerate() {
            let len = shape[d];
            let abs = |v: i64| if v < 0 { v + len as i64 } else { v };
            match *item {
                SliceItem::Index(i) => {
                    let a = abs(i);
                    if a < 0 || a as u64 >= len {
                        return Err(Error::OutOfRange { dim: d, start: i, stop: i.saturating_add(1), len });
                    }
                    sel.start[d] = a as u64;
                    sel.stop[d] = a as u64 + 1;
                    sel.dropped[d] = true;
                }
                SliceItem::Range { start, stop, step } => {
                    if step <= 0 {
                        return Err(Error::SliceSyntax { text: format!("{item:?}"), reason: "step must be positive" });
                    }
                    let a = start.map_or(0, abs);
                    let b = stop.map_or(len as i64, abs);
                    if a < 0 || b < 0 || a as u64 > len || b as u64 > len || a > b {
                        return Err(Error::OutOfRange {
                            dim: d,
                            start: start.unwrap_or(0),
                            stop: stop.unwrap_or(len as i64),
                            len,
                        });
                    }
                    sel.start[d] = a as u64;
                    sel.stop[d] = b as u64;
                    sel.step[d] = step as u64;
                }
            }
        }
        Ok(sel)
    }

    /// A plain box `start..stop` checked against `shape`.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] naming the dimension; [`Error::Shape`] on a rank mismatch.
    pub fn boxed(start: &[u64], stop: &[u64], shape: &[u64]) -> Result<Selection> {
        let n = shape.len();
        if start.len() != n || stop.len() != n {
            return Err(Error::shape(K::RankMismatch, "box", 0, start.len().max(stop.len()) as i64, n as i64));
        }
        for d in 0..n {
            if start[d] > stop[d] || stop[d] > shape[d] {
                return Err(Error::OutOfRange {
                    dim: d,
                    start: start[d].min(i64::MAX as u64) as i64,
                    stop: stop[d].min(i64::MAX as u64) as i64,
                    len: shape[d],
                });
            }
        }
        Ok(Selection { start: start.to_vec(), stop: stop.to_vec(), step: vec![1; n], dropped: vec![false; n] })
    }

    /// Shape of the selected box (steps applied, dropped dimensions kept as 1).
    pub fn box_shape(&self) -> Vec<u64> {
        (0..self.start.len()).map(|d| (self.stop[d] - self.start[d]).div_ceil(self.step[d])).collect()
    }

    /// Shape of the result (dropped dimensions removed).
    pub fn result_shape(&self) -> Vec<u64> {
        self.box_shape().into_iter().zip(&self.dropped).filter(|(_, &d)| !d).map(|(s, _)| s).collect()
    }
}

/// Parses a NumPy-style selection such as `"0:10, 5, -3:, ::2"` (also `...` is not
/// supported; missing trailing items mean `:`).
///
/// # Errors
/// [`Error::SliceSyntax`].
pub fn parse_selection(text: &str) -> Result<Vec<SliceItem>> {
    let bad = |reason| Error::SliceSyntax { text: text.to_string(), reason };
    let t = text.trim();
    if t.is_empty() {
        return Ok(Vec::new());
    }
    let num = |s: &str| -> Result<Option<i64>> {
        let s = s.trim();
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse::<i64>().map(Some).map_err(|_| bad("not an integer"))
        }
    };
    t.split(',')
        .map(|part| {
            let pieces: Vec<&str> = part.split(':').collect();
            match pieces.as_slice() {
                [i] => num(i)?.map(SliceItem::Index).ok_or_else(|| bad("empty item")),
                [a, b] => Ok(SliceItem::Range { start: num(a)?, stop: num(b)?, step: 1 }),
                [a, b, c] => Ok(SliceItem::Range { start: num(a)?, stop: num(b)?, step: num(c)?.unwrap_or(1) }),
                _ => Err(bad("too many ':'")),
            }
        })
        .collect()
}

/// Picks every `step[d]`-th element of a row-major box of `shape`.
pub(crate) fn gather_steps(src: &[u8], shape: &[u64], step: &[u64], ts: usize) -> Vec<u8> {
    let out_shape: Vec<u64> = shape.iter().zip(step).map(|(&s, &k)| s.div_ceil(k)).collect();
    let total = product(&out_shape).unwrap_or(0);
    let strides = strides(shape);
    let mut out = Vec::with_capacity(total as usize * ts);
    for k in 0..total {
        let idx = unravel(k, &out_shape);
        let off: u64 = idx.iter().zip(step).zip(&strides).map(|((&i, &s), &st)| i * s * st).sum();
        let off = off as usize * ts;
        out.extend_from_slice(&src[off..off + ts]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections() {
        let items = parse_selection("1:3, -1, ::2").unwrap();
        let s = Selection::resolve(&items, &[5, 6, 7]).unwrap();
        assert_eq!(s.start, vec![1, 5, 0]);
        assert_eq!(s.stop, vec![3, 6, 7]);
        assert_eq!(s.result_shape(), vec![2, 4]);
        let e = Selection::resolve(&parse_selection("0:9").unwrap(), &[5]).unwrap_err();
        assert!(matches!(e, Error::OutOfRange { dim: 0, .. }));
        let e = Selection::resolve(&parse_selection(":,7").unwrap(), &[5, 6]).unwrap_err();
        assert!(matches!(e, Error::OutOfRange { dim: 1, .. }));
        assert!(parse_selection("1:2:3:4").is_err());
        assert!(parse_selection("a").is_err());
    }
}
