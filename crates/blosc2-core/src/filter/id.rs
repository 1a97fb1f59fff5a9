//! [`FilterId`]: the filter ids of a chunk header and their python-blosc2 names. A module of
//! its own so that the filters (which name themselves in their errors) need nothing from
//! the pipeline above them.

use std::fmt;

/// Filter id as on the wire (C: `BLOSC_NOFILTER`, `BLOSC_SHUFFLE`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FilterId(pub u8);

impl FilterId {
    /// No filter (`BLOSC_NOFILTER`, also `BLOSC_NOSHUFFLE`).
    pub const NOFILTER: FilterId = FilterId(0);
    /// Byte shuffle (`BLOSC_SHUFFLE`); meta = group size, 0 = typesize.
    pub const SHUFFLE: FilterId = FilterId(1);
    /// Bit shuffle (`BLOSC_BITSHUFFLE`); meta ignored.
    pub const BITSHUFFLE: FilterId = FilterId(2);
    /// XOR delta against the first block (`BLOSC_DELTA`); meta ignored.
    pub const DELTA: FilterId = FilterId(3);
    /// Floating-point precision truncation (`BLOSC_TRUNC_PREC`); meta = signed bits. Lossy.
    pub const TRUNC_PREC: FilterId = FilterId(4);
    /// N-dimensional cell reordering plugin (`BLOSC_FILTER_NDCELL`); meta = cell side.
    /// Needs the array geometry. See [`ndcell`].
    pub const NDCELL: FilterId = FilterId(32);
    /// N-dimensional cell mean plugin (`BLOSC_FILTER_NDMEAN`); meta = cell side. Lossy,
    /// float32/float64. Needs the array geometry. See [`ndmean`].
    pub const NDMEAN: FilterId = FilterId(33);
    /// Legacy byte delta (`BLOSC_FILTER_BYTEDELTA_BUGGY`), decoded with its SIMD quirk.
    pub const BYTEDELTA_BUGGY: FilterId = FilterId(34);
    /// Byte delta within byte-planes (`BLOSC_FILTER_BYTEDELTA`); meta = group size.
    pub const BYTEDELTA: FilterId = FilterId(35);
    /// Integer truncation (`BLOSC_FILTER_INT_TRUNC`); meta = signed bits. Lossy.
    pub const INT_TRUNC: FilterId = FilterId(36);

    /// The filters a chunk of any buffer can be written with: those that need no array
    /// geometry, BYTEDELTA_BUGGY aside (read only).
    pub const WITHOUT_GEOMETRY: [FilterId; 6] = [
        FilterId::SHUFFLE,
        FilterId::BITSHUFFLE,
        FilterId::DELTA,
        FilterId::BYTEDELTA,
        FilterId::TRUNC_PREC,
        FilterId::INT_TRUNC,
    ];

    const NAMES: [(FilterId, &'static str); 10] = [
        (FilterId::NOFILTER, "nofilter"),
        (FilterId::SHUFFLE, "shuffle"),
        (FilterId::BITSHUFFLE, "bitshuffle"),
        (FilterId::DELTA, "delta"),
        (FilterId::TRUNC_PREC, "trunc_prec"),
        (FilterId::NDCELL, "ndcell"),
        (FilterId::NDMEAN, "ndmean"),
        (FilterId::BYTEDELTA_BUGGY, "bytedelta_buggy"),
        (FilterId::BYTEDELTA, "bytedelta"),
        (FilterId::INT_TRUNC, "int_trunc"),
    ];

    /// The python-blosc2 name (lower case: `"shuffle"`, `"trunc_prec"`, ...); `None` for
    /// unknown ids.
    pub fn name(self) -> Option<&'static str> {
        Self::NAMES.iter().find(|(id, _)| *id == self).map(|(_, n)| *n)
    }

    /// The id for a name as returned by [`FilterId::name`] (ASCII case ignored, so
    /// python-blosc2's `SHUFFLE` works too; `noshuffle` is accepted for 0).
    pub fn from_name(name: &str) -> Option<FilterId> {
        if name.eq_ignore_ascii_case("noshuffle") {
            return Some(FilterId::NOFILTER);
        }
        Self::NAMES.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map(|(id, _)| *id)
    }

    /// Whether the filter loses information (TRUNC_PREC, NDMEAN, INT_TRUNC).
    pub fn is_lossy(self) -> bool {
        matches!(self, FilterId::TRUNC_PREC | FilterId::NDMEAN | FilterId::INT_TRUNC)
    }
}

impl fmt::Display for FilterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "filter#{}", self.0),
        }
    }
}
