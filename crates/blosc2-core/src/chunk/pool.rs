//! Thread pools shared by all chunk operations, one per thread count, built on first use
//! and kept for the life of the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::ThreadPool;

/// The pool with `nthreads` workers (`nthreads >= 2`).
pub(crate) fn pool(nthreads: usize) -> Arc<ThreadPool> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<ThreadPool>>>> = OnceLock::new();
    let pools = POOLS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut guard = pools.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    guard
        .entry(nthreads)
        .or_insert_with(|| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(nthreads)
                .thread_name(|i| format!("blosc2-{i}"))
                .build()
                .unwrap_or_else(|_| rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a 1-thread pool"));
            Arc::new(pool)
        })
        .clone()
}
