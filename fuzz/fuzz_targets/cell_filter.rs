//! What the `ndcell` and `ndmean` targets share: their input (byte 0: ndim (0..=9); byte 1:
//! meta; byte 2: typesize (0..=15); then ndim block dimensions of one byte each; the rest
//! is the block) and running a cell filter both ways on it.

use blosc2_core::geometry::NdGeometry;
use blosc2_core::Result;

/// A cell filter's direction: `(meta, typesize, geometry, src, dst)`.
pub type Direction = fn(u8, usize, Option<&NdGeometry>, &[u8], &mut [u8]) -> Result<()>;

/// One input of the cell-filter targets.
pub struct Input<'a> {
    pub meta: u8,
    pub typesize: usize,
    pub geometry: NdGeometry,
    pub block: &'a [u8],
}

impl Input<'_> {
    /// The input `data` encodes; `None` when it is too short.
    pub fn parse(data: &[u8]) -> Option<Input<'_>> {
        if data.len() < 3 {
            return None;
        }
        let (ndim, meta, typesize) = (usize::from(data[0] % 10), data[1], usize::from(data[2] % 16));
        if data.len() < 3 + ndim {
            return None;
        }
        let blockshape: Vec<usize> = data[3..3 + ndim].iter().map(|&b| usize::from(b % 32)).collect();
        let geometry = NdGeometry::new(&blockshape, &blockshape).unwrap();
        Some(Input { meta, typesize, geometry, block: &data[3 + ndim..] })
    }

    /// Runs `backward` on the block as it is (Ok or a typed error), then `forward`; where
    /// that succeeds, `backward` on its output must too: the forward output and the block
    /// read back.
    pub fn both_ways(&self, forward: Direction, backward: Direction) -> Option<(Vec<u8>, Vec<u8>)> {
        let (meta, typesize, g) = (self.meta, self.typesize, Some(&self.geometry));
        let mut out = vec![0u8; self.block.len()];
        let _ = backward(meta, typesize, g, self.block, &mut out);
        forward(meta, typesize, g, self.block, &mut out).ok()?;
        let mut back = vec![0u8; self.block.len()];
        backward(meta, typesize, g, &out, &mut back).expect("what forward wrote, backward reads");
        Some((out, back))
    }
}
