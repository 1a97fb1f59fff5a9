//! NDCELL (filter id 32), the C-Blosc2 plugin that lays a block out cell by cell
//! (`plugins/filters/ndcell/ndcell.c`): the block, a C-order array of the array's block
//! shape, is cut into cubic cells of side `meta` (cut short at the block's far edges), and
//! the elements are stored cell after cell, each cell in C order. Lossless.
//!
//! It needs the array geometry (ndim 1 to 8, the block shape) and fails, as C-Blosc2 does,
//! on a meta of 0, on a cell of more elements than the block, and on a block that is not
//! `prod(blockshape) * typesize` bytes (a partial last block of a chunk that is not a
//! b2nd chunk).

use super::cells::{check_block, Cells, MAX_DIM};
use super::id::FilterId;
use crate::error::{Error, Result};
use crate::geometry::NdGeometry;

/// The cell grid for a block of `len` bytes, after C-Blosc2's checks.
fn cells(meta: u8, typesize: usize, geometry: Option<&NdGeometry>, len: usize) -> Result<Cells> {
    let g = geometry.ok_or(Error::MissingGeometry { needed_by: "NDCELL" })?;
    let invalid = |reason| Error::InvalidFilterParams { filter: FilterId::NDCELL.0, typesize, meta, reason };
    let ndim = g.ndim();
    if ndim == 0 || ndim > MAX_DIM {
        return Err(invalid("NDCELL works on arrays of 1 to 8 dimensions"));
    }
    if meta == 0 {
        return Err(invalid("the cell side (meta) must be at least 1"));
    }
    if typesize == 0 {
        return Err(invalid("typesize 0"));
    }
    let side = usize::from(meta);
    // side^ndim fits (255^8 < 2^64).
    let cell_items = side.pow(ndim as u32);
    check_block(g.blockshape(), typesize, len).map_err(invalid)?;
    if cell_items > len / typesize {
        return Err(invalid("a cell holds more elements than the block"));
    }
    Ok(Cells::new(g.blockshape(), &[side; MAX_DIM][..ndim]))
}

/// Lays the block `src` out cell by cell into `dst` (same length).
///
/// # Errors
/// [`Error::MissingGeometry`] without geometry; [`Error::InvalidFilterParams`] where
/// C-Blosc2's `ndcell_forward` fails (see the module documentation).
pub fn forward(meta: u8, typesize: usize, geometry: Option<&NdGeometry>, src: &[u8], dst: &mut [u8]) -> Result<()> {
    debug_assert_eq!(src.len(), dst.len());
    let cells = cells(meta, typesize, geometry, src.len())?;
    cells.lay_out(typesize, src, dst);
    Ok(())
}

/// Puts the cells of `src` back in C order into `dst` (same length).
///
/// # Errors
/// As [`forward`] (C-Blosc2's `ndcell_backward` makes the same checks).
pub fn backward(meta: u8, typesize: usize, geometry: Option<&NdGeometry>, src: &[u8], dst: &mut [u8]) -> Result<()> {
    super::cells::backward(cells(meta, typesize, geometry, src.len()), typesize, src, dst)
}

#[cfg(test)]
mod tests {
    use super::super::cells::one_block as geometry;
    use super::*;

    #[test]
    fn round_trips_with_partial_cells() {
        for (shape, meta, ts) in [(&[5usize, 7][..], 2u8, 4usize), (&[9, 4, 3], 2, 2), (&[100], 7, 8), (&[3, 5], 2, 1)]
        {
            let g = geometry(shape);
            let n = shape.iter().product::<usize>() * ts;
            let src: Vec<u8> = (0..n).map(|i| (i * 7 + i / 5) as u8).collect();
            let (mut cells, mut back) = (vec![0u8; n], vec![0u8; n]);
            forward(meta, ts, Some(&g), &src, &mut cells).unwrap();
            backward(meta, ts, Some(&g), &cells, &mut back).unwrap();
            assert_eq!(back, src, "{shape:?} meta {meta} ts {ts}");
        }
        // 2x2 cells of a 3x4 block of 1-byte elements.
        let src: Vec<u8> = (0..12).collect();
        let mut out = vec![0u8; 12];
        forward(2, 1, Some(&geometry(&[3, 4])), &src, &mut out).unwrap();
        assert_eq!(out, [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 10, 11]);
    }

    #[test]
    fn refuses_what_c_refuses() {
        let src = [0u8; 64];
        let mut dst = [0u8; 64];
        let g = geometry(&[4, 4]);
        let reason = |r: Result<()>| match r {
            Err(Error::InvalidFilterParams { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(forward(2, 4, None, &src, &mut dst), Err(Error::MissingGeometry { needed_by: "NDCELL" }));
        assert!(reason(forward(0, 4, Some(&g), &src, &mut dst)).contains("at least 1"));
        assert!(reason(forward(5, 4, Some(&g), &src, &mut dst)).contains("more elements"));
        assert!(reason(forward(2, 4, Some(&g), &src[..60], &mut dst[..60])).contains("larger"));
        assert!(reason(forward(2, 2, Some(&g), &src, &mut dst)).contains("partial"));
        assert!(reason(backward(2, 4, Some(&geometry(&[])), &src, &mut dst)).contains("1 to 8"));
        assert!(reason(backward(2, 1, Some(&geometry(&[1; 9])), &src[..1], &mut dst[..1])).contains("1 to 8"));
        assert!(reason(backward(2, 4, Some(&geometry(&[4, 0])), &src, &mut dst)).contains("is 0"));
    }
}
