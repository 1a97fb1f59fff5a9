//! A counting global allocator for the corruption and hostile-input tests: it tracks the
//! live heap bytes and their peak, so a test can check that one input never made the
//! library allocate more than its checked sizes justify; and, in [`limits`], bounds on the
//! whole process (what C libraries allocate included) for a test run in a child process.
//!
//! A test binary that measures installs the allocator itself (a library cannot declare a
//! global allocator for the binaries that link it):
//!
//! ```ignore
//! use blosc2_testkit::alloc;
//!
//! #[global_allocator]
//! static ALLOC: alloc::Counting = alloc::Counting;
//!
//! #[test]
//! fn an_input_stays_within_bounds() {
//!     let _g = alloc::lock();
//!     let (r, cost) = alloc::measure(|| parse(input));
//!     alloc::check(cost, justified, &"the input");
//! }
//! ```
//!
//! Without it, [`measure`] sees no allocation at all (and a bound checked with it holds
//! vacuously): a binary that measures should check once that a known allocation is seen.
//! Measurements are process-wide: hold [`lock`] while measuring so that the tests of one
//! binary do not overlap.

// The allocator implements the unsafe `GlobalAlloc` trait; see the SAFETY comments there.
#[allow(unsafe_code)]
mod counting;
pub mod limits;

use std::sync::atomic::Ordering;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use counting::Counting;
use counting::{LIVE, PEAK};

/// Serializes the measuring tests of one test binary (a panicking test does not poison
/// the others).
pub fn lock() -> MutexGuard<'static, ()> {
    static M: Mutex<()> = Mutex::new(());
    M.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What one call cost.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    /// Peak of live heap bytes above the level before the call.
    pub peak: usize,
    /// Wall time.
    pub time: Duration,
}

/// Runs `f`, returning its result and the heap peak above the starting level and the time
/// it took. Call with [`lock`] held.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Cost) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let t = Instant::now();
    let r = f();
    let time = t.elapsed();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    (r, Cost { peak, time })
}

/// The fixed part of the memory bound: 64 MiB.
pub const BASE_BOUND: usize = 64 << 20;

/// The time bound for one input.
pub const TIME_BOUND: Duration = Duration::from_secs(1);

/// Panics with `what` when `cost` exceeds `BASE_BOUND + justified` bytes or the time bound.
pub fn check(cost: Cost, justified: usize, what: &dyn std::fmt::Display) {
    let bound = BASE_BOUND.saturating_add(justified);
    assert!(cost.peak <= bound, "{what}: peak heap {} bytes above the bound {bound}", cost.peak);
    assert!(cost.time <= TIME_BOUND, "{what}: took {:?}", cost.time);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[global_allocator]
    static ALLOC: Counting = Counting;

    #[test]
    fn measure_sees_an_allocation_and_check_bounds_it() {
        let _g = lock();
        let (v, cost) = measure(|| vec![1u8; 3 << 20]);
        // Other threads of the harness may free a little meanwhile: a page of slack.
        assert!(cost.peak >= (3 << 20) - 4096, "{cost:?}");
        drop(v);
        check(cost, 0, &"3 MiB");
        let over = Cost { peak: BASE_BOUND + 1, time: Duration::ZERO };
        assert!(std::panic::catch_unwind(|| check(over, 0, &"over")).is_err());
    }
}
