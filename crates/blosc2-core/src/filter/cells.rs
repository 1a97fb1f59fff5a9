//! The cell traversal of a block that the NDCELL and NDMEAN filters share
//! (`plugins/filters/ndcell/ndcell.c` and `ndmean/ndmean.c` in C-Blosc2).
//!
//! A block is a C-order array of `blockshape` elements. It is cut into cells of
//! `cellshape` (the cells of the last row or column of the grid are cut short where
//! `blockshape` is not a multiple of `cellshape`). The cells are visited in C order of the
//! cell grid, and the elements of a cell in C order, as rows along the last dimension: the
//! order in which both filters lay a block out.

use std::convert::Infallible;

/// Most dimensions the two filters accept (C: `NDCELL_MAX_DIM`, `NDMEAN_MAX_DIM`).
pub const MAX_DIM: usize = 8;

/// The cell grid of one block.
#[derive(Debug, Clone)]
pub(crate) struct Cells {
    ndim: usize,
    blockshape: [usize; MAX_DIM],
    cellshape: [usize; MAX_DIM],
    /// Cells per dimension.
    grid: [usize; MAX_DIM],
    /// Element strides of the block.
    strides: [usize; MAX_DIM],
    /// Extent of the last cell in each dimension.
    last: [usize; MAX_DIM],
}

impl Cells {
    /// The grid of `cellshape` cells over a block of `blockshape` (1 to 8 dimensions, every
    /// value at least 1, the caller has checked it).
    pub(crate) fn new(blockshape: &[usize], cellshape: &[usize]) -> Cells {
        let ndim = blockshape.len();
        debug_assert!((1..=MAX_DIM).contains(&ndim) && cellshape.len() == ndim);
        let mut c = Cells {
            ndim,
            blockshape: [1; MAX_DIM],
            cellshape: [1; MAX_DIM],
            grid: [1; MAX_DIM],
            strides: [1; MAX_DIM],
            last: [1; MAX_DIM],
        };
        c.blockshape[..ndim].copy_from_slice(blockshape);
        c.cellshape[..ndim].copy_from_slice(cellshape);
        for d in (0..ndim).rev() {
            c.grid[d] = blockshape[d].div_ceil(cellshape[d]);
            let rem = blockshape[d] % cellshape[d];
            c.last[d] = if rem != 0 { rem } else { cellshape[d] };
            if d + 1 < ndim {
                c.strides[d] = c.strides[d + 1] * blockshape[d + 1];
            }
        }
        c
    }

    /// Calls `cell(rows)` for every cell in order; `rows` iterates over the cell's rows in
    /// order, as `(first element, elements)` with element indices in the block, and can be
    /// cloned to go over them again.
    pub(crate) fn for_each<E>(&self, mut cell: impl FnMut(Rows<'_>) -> Result<(), E>) -> Result<(), E> {
        let n = self.ndim;
        let mut ii = [0usize; MAX_DIM];
        loop {
            // This cell: its first element and its extent (shorter at the grid's far edges).
            let mut pad = [1usize; MAX_DIM];
            let mut origin = 0;
            for d in 0..n {
                origin += ii[d] * self.cellshape[d] * self.strides[d];
                pad[d] = if ii[d] == self.grid[d] - 1 { self.last[d] } else { self.cellshape[d] };
            }
            let nrows = pad[..n - 1].iter().product();
            cell(Rows { cells: self, pad, next: origin, kk: [0; MAX_DIM], left: nrows })?;
            if !step(&mut ii[..n], &self.grid[..n]) {
                return Ok(());
            }
        }
    }

    /// Lays the block `src` of `typesize`-byte elements out cell by cell into `dst` (same
    /// length, the cells' elements one after the other).
    #[inline]
    pub(crate) fn lay_out(&self, typesize: usize, src: &[u8], dst: &mut [u8]) {
        let mut at = 0;
        let Ok(()) = self.for_each(|rows| {
            for (start, n) in rows {
                let n = n * typesize;
                copy_row(&mut dst[at..at + n], &src[start * typesize..start * typesize + n]);
                at += n;
            }
            Ok::<(), Infallible>(())
        });
    }

    /// Puts the cells of `src` (laid out as by [`Cells::lay_out`]) back in C order into
    /// `dst` (same length).
    #[inline]
    pub(crate) fn put_back(&self, typesize: usize, src: &[u8], dst: &mut [u8]) {
        let mut at = 0;
        let Ok(()) = self.for_each(|rows| {
            for (start, n) in rows {
                let n = n * typesize;
                copy_row(&mut dst[start * typesize..start * typesize + n], &src[at..at + n]);
                at += n;
            }
            Ok::<(), Infallible>(())
        });
    }
}

/// The backward direction of both filters: the cells of `src` back in C order into `dst`
/// (same length), with `grid`, the cell grid the filter's checks give for the block (or
/// their error).
pub(crate) fn backward(
    grid: crate::error::Result<Cells>,
    typesize: usize,
    src: &[u8],
    dst: &mut [u8],
) -> crate::error::Result<()> {
    debug_assert_eq!(src.len(), dst.len());
    grid?.put_back(typesize, src, dst);
    Ok(())
}

/// The geometry of an array of one block of `blockshape`, for the filters' tests.
#[cfg(test)]
pub(crate) fn one_block(blockshape: &[usize]) -> crate::geometry::NdGeometry {
    crate::geometry::NdGeometry::new(blockshape, blockshape).unwrap()
}

/// C-Blosc2's checks of a block of `len` bytes against its `blockshape` of
/// `typesize`-byte elements, as both filters make them: the reason it fails, if it does.
pub(crate) fn check_block(blockshape: &[usize], typesize: usize, len: usize) -> Result<(), &'static str> {
    let mut blocksize = typesize;
    for &b in blockshape {
        if b == 0 {
            return Err("a block dimension is 0");
        }
        blocksize = blocksize.saturating_mul(b);
        if blocksize > len {
            return Err("the block shape is larger than the block");
        }
    }
    if blocksize != len {
        return Err("the block is not prod(blockshape) * typesize bytes (a partial block?)");
    }
    Ok(())
}

/// The rows of one cell, in C order: `(first element, elements)`.
#[derive(Clone)]
pub(crate) struct Rows<'a> {
    cells: &'a Cells,
    pad: [usize; MAX_DIM],
    /// The first element of the next row.
    next: usize,
    /// The next row's index within the cell, over all dimensions but the last.
    kk: [usize; MAX_DIM],
    left: usize,
}

impl Rows<'_> {
    /// Elements in the cell.
    pub(crate) fn items(&self) -> usize {
        self.left * self.pad[self.cells.ndim - 1]
    }
}

impl Iterator for Rows<'_> {
    type Item = (usize, usize);

    #[inline]
    fn next(&mut self) -> Option<(usize, usize)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let n = self.cells.ndim;
        let row = (self.next, self.pad[n - 1]);
        if n == 2 {
            // The common case: rows one block row apart.
            self.next += self.cells.strides[0];
            return Some(row);
        }
        // Advance the index over the first n - 1 dimensions, moving `next` along.
        for d in (0..n - 1).rev() {
            self.kk[d] += 1;
            self.next += self.cells.strides[d];
            if self.kk[d] < self.pad[d] {
                break;
            }
            self.next -= self.kk[d] * self.cells.strides[d];
            self.kk[d] = 0;
        }
        Some(row)
    }
}

/// Copies `src` into `dst` (same length), with fixed-size copies for the common row
/// lengths (a cell side of 4 or 8 elements of 4 or 8 bytes).
#[inline(always)]
pub(crate) fn copy_row(dst: &mut [u8], src: &[u8]) {
    match src.len() {
        16 => dst[..16].copy_from_slice(&src[..16]),
        32 => dst[..32].copy_from_slice(&src[..32]),
        64 => dst[..64].copy_from_slice(&src[..64]),
        8 => dst[..8].copy_from_slice(&src[..8]),
        _ => dst.copy_from_slice(src),
    }
}

/// Advances the C-order index `i` within `shape`; false after the last index.
fn step(i: &mut [usize], shape: &[usize]) -> bool {
    for d in (0..i.len()).rev() {
        i[d] += 1;
        if i[d] < shape[d] {
            return true;
        }
        i[d] = 0;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(blockshape: &[usize], cellshape: &[usize]) -> Vec<usize> {
        let mut out = Vec::new();
        Cells::new(blockshape, cellshape)
            .for_each::<()>(|rows| {
                let items = rows.items();
                let before = out.len();
                out.extend(rows.flat_map(|(s, n)| s..s + n));
                assert_eq!(out.len() - before, items);
                Ok(())
            })
            .unwrap();
        out
    }

    /// The example of C-Blosc2's `plugins/filters/ndcell/README.md`: a 4x8 block, 2x2 cells.
    #[test]
    fn readme_example() {
        let want = [
            0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15, 16, 17, 24, 25, 18, 19, 26, 27, 20, 21, 28, 29, 22,
            23, 30, 31,
        ];
        assert_eq!(order(&[4, 8], &[2, 2]), want);
    }

    /// Cells cut short at the edges; 1-d and 3-d blocks: every element once.
    #[test]
    fn partial_cells_visit_every_element_once() {
        assert_eq!(order(&[5, 3], &[2, 2]), [0, 1, 3, 4, 2, 5, 6, 7, 9, 10, 8, 11, 12, 13, 14]);
        assert_eq!(order(&[7], &[3]), (0..7).collect::<Vec<_>>());
        for (b, c) in [([3usize, 5, 4], [2usize, 2, 3]), ([4, 4, 4], [4, 4, 4]), ([2, 3, 1], [5, 5, 5])] {
            let mut seen = order(&b, &c);
            assert_eq!(seen.len(), b.iter().product::<usize>());
            seen.sort_unstable();
            assert_eq!(seen, (0..b.iter().product()).collect::<Vec<_>>());
        }
    }
}
