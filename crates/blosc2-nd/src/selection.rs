//! Selections: NumPy-style items (`0:10, 5, ::2`) parsed from text, resolved against an
//! array shape, and the steps applied to the box read for them.

use crate::error::{Error, Result};
use crate::geometry::{product, strides, unravel};
use crate::region::Region;

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

/// A selection resolved against an array shape: the box from the first selected index to
/// one past the last in each dimension (the [`Region`] a read of the selection reads), the
/// step in each dimension, and which dimensions an integer index drops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    region: Region,
    step: Vec<u64>,
    dropped: Vec<bool>,
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
        let (mut first, mut last) = (vec![0; n], shape.to_vec());
        let (mut step, mut dropped) = (vec![1; n], vec![false; n]);
        for (d, item) in items.iter().enumerate() {
            let len = shape[d];
            let abs = |v: i64| if v < 0 { v + len as i64 } else { v };
            match *item {
                SliceItem::Index(i) => {
                    let a = abs(i);
                    if a < 0 || a as u64 >= len {
                        return Err(Error::OutOfRange { dim: d, start: i, stop: i.saturating_add(1), len });
                    }
                    first[d] = a as u64;
                    last[d] = a as u64 + 1;
                    dropped[d] = true;
                }
                SliceItem::Range { start, stop, step: k } => {
                    if k <= 0 {
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
                    first[d] = a as u64;
                    last[d] = b as u64;
                    step[d] = k as u64;
                }
            }
        }
        Ok(Selection { region: Region::from_bounds(first, last), step, dropped })
    }

    /// The box holding the selected elements, steps not applied: per dimension the first
    /// selected index and one past the last index of the range asked for.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// Step per dimension (1 for plain ranges and indices).
    pub fn step(&self) -> &[u64] {
        &self.step
    }

    /// Dimensions selected by an integer index (dropped from the result's shape).
    pub fn dropped(&self) -> &[bool] {
        &self.dropped
    }

    /// Shape of the selected elements (steps applied, dropped dimensions kept as 1).
    pub fn stepped_shape(&self) -> Vec<u64> {
        self.region.shape().iter().zip(&self.step).map(|(&e, &k)| e.div_ceil(k)).collect()
    }

    /// Shape of the result (steps applied, dropped dimensions removed).
    pub fn result_shape(&self) -> Vec<u64> {
        self.stepped_shape().into_iter().zip(&self.dropped).filter(|(_, &d)| !d).map(|(s, _)| s).collect()
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

/// Picks every `step[d]`-th element of a row-major box of `shape` (the elements of a
/// [`Selection`] with steps from the bytes of its [`Selection::region`]).
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
        assert_eq!(s.region(), &Region::from_start_stop(&[1, 5, 0], &[3, 6, 7]).unwrap());
        assert_eq!(s.step(), &[1, 1, 2]);
        assert_eq!(s.dropped(), &[false, true, false]);
        assert_eq!(s.stepped_shape(), vec![2, 1, 4]);
        assert_eq!(s.result_shape(), vec![2, 4]);
        let e = Selection::resolve(&parse_selection("0:9").unwrap(), &[5]).unwrap_err();
        assert!(matches!(e, Error::OutOfRange { dim: 0, .. }));
        let e = Selection::resolve(&parse_selection(":,7").unwrap(), &[5, 6]).unwrap_err();
        assert!(matches!(e, Error::OutOfRange { dim: 1, .. }));
        assert!(parse_selection("1:2:3:4").is_err());
        assert!(parse_selection("a").is_err());
    }
}
