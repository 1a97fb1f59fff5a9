//! NDMEAN (filter id 33), the C-Blosc2 plugin that replaces every element of a cell by the
//! cell's mean (`plugins/filters/ndmean/ndmean.c`). Lossy, for float32 and float64.
//!
//! The block, a C-order array of the array's block shape, is cut into cells of side `meta`
//! (per dimension at most the block's extent, and cut short at the block's far edges). The
//! forward filter writes, cell after cell, the cell's mean repeated once per element of the
//! cell: the sum of its elements in C order, accumulated in the element type, divided by
//! their count, as C-Blosc2 computes it (so the bytes are the same). The backward filter
//! only puts the cells back in C order.
//!
//! It fails where C-Blosc2's does: without geometry, for ndim outside 1..=8, a typesize
//! other than 4 or 8 (forward only), a meta of 0 or above 127, a block that is not
//! `prod(blockshape) * typesize` bytes. It also refuses a geometry C-Blosc2 lays out
//! wrongly: when the block is narrower than `meta` in its first dimension but wider in
//! another, C's `ndmean_forward` places the cells with the first dimension's (shorter)
//! cell side, so cells overlap; C writes such chunks, but its `ndmean_backward` then fails
//! on them (python-blosc2 4.14.1 cannot read the array back), and some elements would have
//! no defined value. Such blocks are neither written nor read here.

use super::cells::{check_block, Cells, MAX_DIM};
use super::id::FilterId;
use crate::error::{Error, Result};
use crate::geometry::NdGeometry;

/// The cell grid for a block of `len` bytes, after C-Blosc2's checks.
fn cells(meta: u8, typesize: usize, geometry: Option<&NdGeometry>, len: usize, forward: bool) -> Result<Cells> {
    let g = geometry.ok_or(Error::MissingGeometry { needed_by: "NDMEAN" })?;
    let invalid = |reason| Error::InvalidFilterParams { filter: FilterId::NDMEAN.0, typesize, meta, reason };
    let ndim = g.ndim();
    if ndim == 0 || ndim > MAX_DIM {
        return Err(invalid("NDMEAN works on arrays of 1 to 8 dimensions"));
    }
    if forward && typesize != 4 && typesize != 8 {
        return Err(invalid("NDMEAN works on float32 and float64 (typesize 4 or 8) only"));
    }
    // C reads the meta as an int8 cell side.
    if meta == 0 || meta > 127 {
        return Err(invalid("the cell side (meta) must be 1..=127"));
    }
    // C's backward reads the typesize as an int8 too.
    if typesize == 0 || typesize > 127 {
        return Err(invalid("typesize must be 1..=127"));
    }
    let side = usize::from(meta);
    check_block(g.blockshape(), typesize, len).map_err(invalid)?;
    let bs = g.blockshape();
    if bs[0] < side && bs[1..].iter().any(|&b| b > side) {
        return Err(invalid(
            "the block is narrower than the cell in its first dimension but wider in another: C-Blosc2 lays such blocks out with overlapping cells and cannot decode them",
        ));
    }
    let mut cellshape = [1usize; MAX_DIM];
    for (c, &b) in cellshape.iter_mut().zip(bs) {
        *c = side.min(b);
    }
    Ok(Cells::new(bs, &cellshape[..ndim]))
}

/// Writes each cell's mean, once per element of the cell, cell after cell, into `dst`
/// (same length as `src`).
///
/// # Errors
/// [`Error::MissingGeometry`] without geometry; [`Error::InvalidFilterParams`] where
/// C-Blosc2's `ndmean_forward` fails, and for the geometries of the module documentation.
pub fn forward(meta: u8, typesize: usize, geometry: Option<&NdGeometry>, src: &[u8], dst: &mut [u8]) -> Result<()> {
    debug_assert_eq!(src.len(), dst.len());
    let cells = cells(meta, typesize, geometry, src.len(), true)?;
    let mut at = 0;
    cells.for_each(|rows| {
        let count = rows.items();
        let out = &mut dst[at..at + count * typesize];
        if typesize == 4 {
            let mut sum = 0f32;
            for (start, n) in rows {
                for e in src[start * 4..(start + n) * 4].chunks_exact(4) {
                    sum += f32::from_le_bytes(e.try_into().expect("4 bytes"));
                }
            }
            let mean = (sum / count as f32).to_le_bytes();
            out.chunks_exact_mut(4).for_each(|o| o.copy_from_slice(&mean));
        } else {
            let mut sum = 0f64;
            for (start, n) in rows {
                for e in src[start * 8..(start + n) * 8].chunks_exact(8) {
                    sum += f64::from_le_bytes(e.try_into().expect("8 bytes"));
                }
            }
            let mean = (sum / count as f64).to_le_bytes();
            out.chunks_exact_mut(8).for_each(|o| o.copy_from_slice(&mean));
        }
        at += count * typesize;
        Ok::<(), Error>(())
    })
}

/// Puts the cells of `src` back in C order into `dst` (same length).
///
/// # Errors
/// As [`forward`], except that any typesize of 1..=127 is accepted (as by C-Blosc2's
/// `ndmean_backward`).
pub fn backward(meta: u8, typesize: usize, geometry: Option<&NdGeometry>, src: &[u8], dst: &mut [u8]) -> Result<()> {
    super::cells::backward(cells(meta, typesize, geometry, src.len(), false), typesize, src, dst)
}

#[cfg(test)]
mod tests {
    use super::super::cells::one_block as geometry;
    use super::*;

    fn f32s(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn every_element_becomes_its_cells_mean() {
        // A 3x4 block, 2x2 cells: cells {0,1,4,5}, {2,3,6,7}, {8,9}, {10,11}.
        let v: Vec<f32> = (0..12).map(|i| i as f32).collect();
        let g = geometry(&[3, 4]);
        let (mut filtered, mut back) = (vec![0u8; 48], vec![0u8; 48]);
        forward(2, 4, Some(&g), &f32s(&v), &mut filtered).unwrap();
        assert_eq!(filtered, f32s(&[2.5, 2.5, 2.5, 2.5, 4.5, 4.5, 4.5, 4.5, 8.5, 8.5, 10.5, 10.5]));
        backward(2, 4, Some(&g), &filtered, &mut back).unwrap();
        assert_eq!(back, f32s(&[2.5, 2.5, 4.5, 4.5, 2.5, 2.5, 4.5, 4.5, 8.5, 8.5, 10.5, 10.5]));
        // float64, a cell wider than the block in the last dimension.
        let d: Vec<u8> = [1.0f64, 2.0, 4.0, 8.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        let mut out = vec![0u8; 32];
        forward(4, 8, Some(&geometry(&[4, 1])), &d, &mut out).unwrap();
        assert!(out.chunks_exact(8).all(|e| f64::from_le_bytes(e.try_into().unwrap()) == 3.75));
    }

    #[test]
    fn refuses_what_c_refuses_and_overlapping_layouts() {
        let src = [0u8; 80];
        let mut dst = [0u8; 80];
        let reason = |r: Result<()>| match r {
            Err(Error::InvalidFilterParams { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        let g = geometry(&[4, 5]);
        assert_eq!(forward(2, 4, None, &src, &mut dst), Err(Error::MissingGeometry { needed_by: "NDMEAN" }));
        assert!(reason(forward(2, 2, Some(&geometry(&[8, 5])), &src, &mut dst)).contains("float32"));
        assert!(backward(2, 2, Some(&geometry(&[8, 5])), &src, &mut dst).is_ok());
        assert!(reason(forward(0, 4, Some(&g), &src, &mut dst)).contains("1..=127"));
        assert!(reason(forward(128, 4, Some(&g), &src, &mut dst)).contains("1..=127"));
        assert!(reason(forward(2, 4, Some(&g), &src[..76], &mut dst[..76])).contains("larger"));
        assert!(reason(forward(2, 4, Some(&geometry(&[2, 5])), &src, &mut dst)).contains("partial"));
        assert!(reason(backward(2, 4, Some(&geometry(&[1; 9])), &src[..4], &mut dst[..4])).contains("1 to 8"));
        // 2 rows, 10 columns, cell side 4: C's layout overlaps.
        assert!(reason(forward(4, 4, Some(&geometry(&[2, 10])), &src, &mut dst)).contains("overlapping"));
        assert!(reason(backward(4, 4, Some(&geometry(&[2, 10])), &src, &mut dst)).contains("overlapping"));
        // Narrower everywhere: one cell, fine.
        assert!(forward(4, 4, Some(&geometry(&[2, 4, 2])), &src[..64], &mut dst[..64]).is_ok());
    }
}
