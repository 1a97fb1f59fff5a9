//! A counting global allocator for the corruption and hostile-input tests: it tracks the
//! live heap bytes and their peak, so a test can check that one input never made the
//! library allocate more than its checked sizes justify.
//!
//! Include it with `#[path = ".../common/counting.rs"] mod counting;` and install it with
//! `#[global_allocator] static A: counting::Counting = counting::Counting;`. Measurements
//! are process-wide: hold [`lock`] while measuring so tests of one binary do not overlap.

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting live bytes.
pub struct Counting;

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds as it does for `System`; the counters are plain atomics
// that never allocate.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged (the caller upholds `alloc`'s contract).
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from this allocator, i.e. from `System`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; `ptr` came from `System`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

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
