//! The NDCELL filter on any block, geometry, meta and typesize: Ok or a typed error, never a
//! panic or a write outside the block; what the forward filter accepts, the backward one
//! undoes exactly.
#![no_main]

use blosc2_core::filter::ndcell;
use libfuzzer_sys::fuzz_target;

#[path = "cell_filter.rs"]
mod cell_filter;

fuzz_target!(|data: &[u8]| {
    let Some(input) = cell_filter::Input::parse(data) else { return };
    if let Some((_, back)) = input.both_ways(ndcell::forward, ndcell::backward) {
        assert_eq!(back, input.block);
    }
});
