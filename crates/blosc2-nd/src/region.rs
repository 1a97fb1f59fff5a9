//! [`Region`]: a box of an n-dimensional array, the one way this crate names one (box reads
//! and writes, selections, the parts of a box in each chunk). Made from a start and a shape,
//! or a start and a stop, as `ndarray`'s slices and zarrs' `ArraySubset` are.

use std::fmt;

use crate::error::{Error, Result, ShapeErrorKind as K};
use crate::geometry::product;

/// A box of an n-dimensional array: per dimension the first index (`start`), the number of
/// indices (`shape`) and one past the last (`stop`, `start + shape`).
///
/// A region is checked when made (as many stops or extents as starts, `start <= stop`, no
/// overflow) and against an array's shape where it is used ([`Region::check_within`]); a
/// region with an extent of 0 is valid and holds no elements.
///
/// ```
/// use blosc2_nd::Region;
///
/// let r = Region::from_start_shape(&[2, 3], &[4, 6]).unwrap();
/// assert_eq!(r, Region::from_start_stop(&[2, 3], &[6, 9]).unwrap());
/// assert_eq!((r.start(), r.shape(), r.stop()), (&[2, 3][..], &[4, 6][..], &[6, 9][..]));
/// assert_eq!(r.num_elements(), Some(24));
/// assert!(r.check_within(&[10, 10]).is_ok());
/// assert!(r.check_within(&[10, 8]).is_err());
/// let whole = Region::whole(&[5, 5]);
/// assert_eq!(r.intersection(&whole).unwrap().to_string(), "[2..5, 3..5]");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Region {
    start: Vec<u64>,
    stop: Vec<u64>,
    shape: Vec<u64>,
}

impl Region {
    /// The region of `shape` whose first element is at `start`.
    ///
    /// # Errors
    /// [`Error::Shape`]: [`RankMismatch`](K::RankMismatch) when `shape` and `start` differ in
    /// length, [`Overflow`](K::Overflow) when `start + shape` does not fit in a `u64` (naming
    /// the dimension).
    pub fn from_start_shape(start: &[u64], shape: &[u64]) -> Result<Region> {
        check_rank(start, shape)?;
        let stop = start
            .iter()
            .zip(shape)
            .enumerate()
            .map(|(d, (&a, &s))| {
                a.checked_add(s).ok_or_else(|| Error::shape(K::Overflow, "region", d, clamp(s), clamp(u64::MAX - a)))
            })
            .collect::<Result<Vec<u64>>>()?;
        Ok(Region { start: start.to_vec(), stop, shape: shape.to_vec() })
    }

    /// The region from `start` (included) to `stop` (excluded).
    ///
    /// # Errors
    /// [`Error::Shape`]: [`RankMismatch`](K::RankMismatch) when `stop` and `start` differ in
    /// length, [`Negative`](K::Negative) when a stop is before its start (naming the
    /// dimension; the value is `stop - start`).
    pub fn from_start_stop(start: &[u64], stop: &[u64]) -> Result<Region> {
        check_rank(start, stop)?;
        let shape = start
            .iter()
            .zip(stop)
            .enumerate()
            .map(|(d, (&a, &b))| {
                b.checked_sub(a).ok_or_else(|| Error::shape(K::Negative, "region", d, -clamp(a - b), 0))
            })
            .collect::<Result<Vec<u64>>>()?;
        Ok(Region { start: start.to_vec(), stop: stop.to_vec(), shape })
    }

    /// The whole of an array of `shape`: every start 0, every stop the extent.
    pub fn whole(shape: &[u64]) -> Region {
        Region { start: vec![0; shape.len()], stop: shape.to_vec(), shape: shape.to_vec() }
    }

    /// A region from bounds known to be ordered (`start[d] <= stop[d]`, same lengths).
    pub(crate) fn from_bounds(start: Vec<u64>, stop: Vec<u64>) -> Region {
        debug_assert!(start.len() == stop.len() && start.iter().zip(&stop).all(|(a, b)| a <= b));
        let shape = start.iter().zip(&stop).map(|(&a, &b)| b - a).collect();
        Region { start, stop, shape }
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.start.len()
    }

    /// First index per dimension.
    pub fn start(&self) -> &[u64] {
        &self.start
    }

    /// Number of indices per dimension.
    pub fn shape(&self) -> &[u64] {
        &self.shape
    }

    /// One past the last index per dimension.
    pub fn stop(&self) -> &[u64] {
        &self.stop
    }

    /// Number of elements (1 for a region of no dimensions, 0 when an extent is 0), or
    /// `None` when it does not fit in a `u64` (never for a region inside an array).
    pub fn num_elements(&self) -> Option<u64> {
        if self.is_empty() {
            Some(0)
        } else {
            product(&self.shape)
        }
    }

    /// Whether the region holds no elements (an extent is 0).
    pub fn is_empty(&self) -> bool {
        self.shape.contains(&0)
    }

    /// The elements in both regions. Where they do not meet, an empty region (in each
    /// dimension the start is the larger start and the stop is at least that start).
    ///
    /// # Errors
    /// [`Error::Shape`] ([`RankMismatch`](K::RankMismatch)) when the regions differ in their
    /// number of dimensions.
    pub fn intersection(&self, other: &Region) -> Result<Region> {
        check_rank(&self.start, &other.start)?;
        let start: Vec<u64> = self.start.iter().zip(&other.start).map(|(&a, &b)| a.max(b)).collect();
        let stop = (0..self.ndim()).map(|d| self.stop[d].min(other.stop[d]).max(start[d])).collect();
        Ok(Region::from_bounds(start, stop))
    }

    /// Whether the region lies inside an array of `shape` (same number of dimensions, every
    /// stop at most the extent).
    pub fn is_within(&self, shape: &[u64]) -> bool {
        self.check_within(shape).is_ok()
    }

    /// Checks that the region lies inside an array of `shape`.
    ///
    /// # Errors
    /// [`Error::Shape`] ([`RankMismatch`](K::RankMismatch), `"box"`) when the numbers of
    /// dimensions differ; [`Error::OutOfRange`] naming the first dimension whose stop is past
    /// the extent.
    pub fn check_within(&self, shape: &[u64]) -> Result<()> {
        let n = shape.len();
        if self.ndim() != n {
            return Err(Error::shape(K::RankMismatch, "box", 0, self.ndim() as i64, n as i64));
        }
        match (0..n).find(|&d| self.stop[d] > shape[d]) {
            Some(dim) => Err(Error::OutOfRange {
                dim,
                start: clamp(self.start[dim]),
                stop: clamp(self.stop[dim]),
                len: shape[dim],
            }),
            None => Ok(()),
        }
    }
}

/// `[start..stop, ...]`, one range per dimension (`[]` for no dimensions).
impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for d in 0..self.ndim() {
            if d > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}..{}", self.start[d], self.stop[d])?;
        }
        f.write_str("]")
    }
}

/// An error unless `other` has as many dimensions as `start`.
fn check_rank(start: &[u64], other: &[u64]) -> Result<()> {
    if other.len() != start.len() {
        return Err(Error::shape(K::RankMismatch, "region", 0, other.len() as i64, start.len() as i64));
    }
    Ok(())
}

/// A `u64` as an `i64` for an error, the largest `i64` when it does not fit.
fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_constructors_make_the_same_region() {
        let a = Region::from_start_shape(&[1, 0, 7], &[3, 5, 0]).unwrap();
        let b = Region::from_start_stop(&[1, 0, 7], &[4, 5, 7]).unwrap();
        assert_eq!(a, b);
        assert_eq!((a.start(), a.shape(), a.stop()), (&[1, 0, 7][..], &[3, 5, 0][..], &[4, 5, 7][..]));
        assert_eq!(a.ndim(), 3);
        assert!(a.is_empty());
        assert_eq!(a.num_elements(), Some(0));
        let w = Region::whole(&[4, 6]);
        assert_eq!(w, Region::from_start_shape(&[0, 0], &[4, 6]).unwrap());
        assert_eq!(w.num_elements(), Some(24));
        // No dimensions: one element.
        let z = Region::whole(&[]);
        assert!(!z.is_empty());
        assert_eq!(z.num_elements(), Some(1));
        assert_eq!(z.to_string(), "[]");
        assert_eq!(w.to_string(), "[0..4, 0..6]");
    }

    #[test]
    fn bad_bounds_are_typed_errors() {
        let e = Region::from_start_shape(&[1, 2], &[3]).unwrap_err();
        assert!(matches!(e, Error::Shape { kind: K::RankMismatch, value: 1, limit: 2, .. }), "{e}");
        let e = Region::from_start_stop(&[1], &[3, 4]).unwrap_err();
        assert!(matches!(e, Error::Shape { kind: K::RankMismatch, value: 2, limit: 1, .. }), "{e}");
        let e = Region::from_start_stop(&[1, 9], &[3, 4]).unwrap_err();
        assert!(matches!(e, Error::Shape { kind: K::Negative, dim: 1, value: -5, .. }), "{e}");
        let e = Region::from_start_stop(&[u64::MAX, 0], &[0, 0]).unwrap_err();
        assert!(matches!(e, Error::Shape { kind: K::Negative, dim: 0, value, .. } if value == -i64::MAX), "{e}");
        let e = Region::from_start_shape(&[0, u64::MAX - 2], &[u64::MAX, 3]).unwrap_err();
        assert!(matches!(e, Error::Shape { kind: K::Overflow, dim: 1, value: 3, limit: 2, .. }), "{e}");
        assert!(Region::from_start_shape(&[u64::MAX - 2], &[2]).is_ok());
        // Elements past u64: no count, and never inside an array.
        let huge = Region::whole(&[u64::MAX, 2]);
        assert_eq!(huge.num_elements(), None);
        assert!(!huge.is_within(&[i64::MAX as u64, 2]));
    }

    #[test]
    fn regions_are_checked_against_array_shapes() {
        let r = Region::from_start_stop(&[2, 3, 0], &[5, 9, 4]).unwrap();
        assert!(r.check_within(&[5, 9, 4]).is_ok());
        assert!(r.is_within(&[10, 10, 10]));
        let e = r.check_within(&[5, 8, 3]).unwrap_err();
        assert_eq!(e, Error::OutOfRange { dim: 1, start: 3, stop: 9, len: 8 });
        let e = r.check_within(&[5, 9]).unwrap_err();
        assert!(matches!(e, Error::Shape { kind: K::RankMismatch, what: "box", value: 3, limit: 2, .. }), "{e}");
        // Empty regions may start anywhere up to the extent.
        assert!(Region::from_start_shape(&[4, 0], &[0, 2]).unwrap().is_within(&[4, 2]));
        assert!(!Region::from_start_shape(&[5, 0], &[0, 2]).unwrap().is_within(&[4, 2]));
        let far = Region::from_start_shape(&[u64::MAX - 1], &[1]).unwrap();
        let e = far.check_within(&[3]).unwrap_err();
        assert_eq!(e, Error::OutOfRange { dim: 0, start: i64::MAX, stop: i64::MAX, len: 3 });
        assert!(Region::whole(&[]).is_within(&[]));
    }

    #[test]
    fn intersections() {
        let a = Region::from_start_stop(&[0, 4], &[10, 8]).unwrap();
        let b = Region::from_start_stop(&[5, 0], &[20, 6]).unwrap();
        let i = a.intersection(&b).unwrap();
        assert_eq!(i, Region::from_start_stop(&[5, 4], &[10, 6]).unwrap());
        assert_eq!(i, b.intersection(&a).unwrap());
        // Disjoint: empty, starting at the larger starts.
        let c = Region::from_start_stop(&[12, 9], &[14, 10]).unwrap();
        let none = a.intersection(&c).unwrap();
        assert!(none.is_empty());
        assert_eq!(none, Region::from_start_stop(&[12, 9], &[12, 9]).unwrap());
        assert!(matches!(a.intersection(&Region::whole(&[3])), Err(Error::Shape { kind: K::RankMismatch, .. })));
        // Against the whole array: the part inside it.
        let past = Region::from_start_shape(&[8, 1], &[5, 5]).unwrap();
        assert_eq!(past.intersection(&Region::whole(&[10, 4])).unwrap().to_string(), "[8..10, 1..4]");
    }
}
