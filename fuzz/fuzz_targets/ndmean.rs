//! The NDMEAN filter on any block, geometry, meta and typesize: Ok or a typed error, never a
//! panic or a write outside the block; what the forward filter accepts, the backward one
//! undoes, putting the cells back as NDCELL does when the cell fits the block.
#![no_main]

use blosc2_core::filter::{ndcell, ndmean};
use libfuzzer_sys::fuzz_target;

#[path = "cell_filter.rs"]
mod cell_filter;

fuzz_target!(|data: &[u8]| {
    let Some(input) = cell_filter::Input::parse(data) else { return };
    if let Some((out, back)) = input.both_ways(ndmean::forward, ndmean::backward) {
        if input.geometry.blockshape().iter().all(|&b| b >= usize::from(input.meta)) {
            let mut cells = vec![0u8; input.block.len()];
            ndcell::backward(input.meta, input.typesize, Some(&input.geometry), &out, &mut cells)
                .expect("same cells as NDCELL");
            assert_eq!(back, cells);
        }
    }
});
