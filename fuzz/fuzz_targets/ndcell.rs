//! The NDCELL filter on any block, geometry, meta and typesize: Ok or a typed error, never a
//! panic or a write outside the block; what the forward filter accepts, the backward one
//! undoes exactly.
#![no_main]

use blosc2_core::filter::ndcell;
use blosc2_core::geometry::NdGeometry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Byte 0: ndim (0..=9); byte 1: meta; byte 2: typesize (0..=15); then ndim block
    // dimensions of one byte each; the rest is the block.
    if data.len() < 3 {
        return;
    }
    let (ndim, meta, typesize) = (usize::from(data[0] % 10), data[1], usize::from(data[2] % 16));
    if data.len() < 3 + ndim {
        return;
    }
    let blockshape: Vec<usize> = data[3..3 + ndim].iter().map(|&b| usize::from(b % 32)).collect();
    let block = &data[3 + ndim..];
    let g = NdGeometry::new(&blockshape, &blockshape).unwrap();
    let mut out = vec![0u8; block.len()];
    let _ = ndcell::backward(meta, typesize, Some(&g), block, &mut out);
    if ndcell::forward(meta, typesize, Some(&g), block, &mut out).is_ok() {
        let mut back = vec![0u8; block.len()];
        ndcell::backward(meta, typesize, Some(&g), &out, &mut back).expect("what forward wrote, backward reads");
        assert_eq!(back, block);
    }
});
