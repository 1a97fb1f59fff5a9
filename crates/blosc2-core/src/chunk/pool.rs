//! Thread pools shared by all chunk operations, one per thread count, built on first use
//! and kept for the life of the process, and the way chunk operations share work with
//! them ([`run_shared`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// Runs `work` on every item of `items` on the calling thread and `nthreads - 1` workers
/// of [`pool`]`(nthreads)`, each taking the next item as it finishes one; stops taking
/// items at the first error, which it returns.
///
/// The calling thread works instead of waiting. Handing all the work to the pool
/// (`install`) and sleeping left it, on a two-core machine, to one worker whenever the
/// second was woken on the first one's core: a 5.8 MB memcpyed chunk copied on two
/// threads at 27-30 GB/s or, in runs of a dozen copies in a row, at 13-14 (one worker did
/// both halves while the other core stood idle); with the caller copying one half, 24-31
/// in every run.
pub(crate) fn run_shared<T: Send, E: Send>(
    nthreads: usize,
    items: Vec<T>,
    work: impl Fn(T) -> Result<(), E> + Sync,
) -> Result<(), E> {
    let helpers = nthreads.saturating_sub(1).min(items.len().saturating_sub(1));
    let queue = Mutex::new(items.into_iter());
    let failed: Mutex<Option<E>> = Mutex::new(None);
    let stop = AtomicBool::new(false);
    let drain = || {
        while !stop.load(Ordering::Relaxed) {
            let next = queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).next();
            let Some(item) = next else { break };
            if let Err(e) = work(item) {
                stop.store(true, Ordering::Relaxed);
                failed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get_or_insert(e);
            }
        }
    };
    if helpers == 0 {
        drain();
    } else {
        pool(nthreads).in_place_scope(|s| {
            for _ in 0..helpers {
                s.spawn(|_| drain());
            }
            drain();
        });
    }
    failed.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner).map_or(Ok(()), Err)
}

/// A worker of [`pool`]`(nthreads)` that takes jobs from the thread that started it
/// ([`with_helper`]), waiting for them spinning: handed a job, it starts within a
/// microsecond or two, where a worker that sleeps took 30-60 us to wake on a two-core
/// virtual machine (two jobs of 20 us on the caller and a worker woken for the second
/// took 60-90 us, their sequence 40).
pub struct Helper<'a> {
    slot: Mutex<Option<Job<'a>>>,
    stop: AtomicBool,
    threads: usize,
}

/// A job handed to a [`Helper`].
type Job<'a> = Box<dyn FnOnce() + Send + 'a>;

/// Sets its flag when dropped: a [`Helper`]'s stop.
struct StopOnDrop<'s>(&'s AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// What a job handed to a [`Helper`] gave: its result, or its panic.
type Outcome<B> = std::thread::Result<B>;

impl<'a> Helper<'a> {
    /// Threads that run jobs: 2 with a helper, 1 without.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `a` on the calling thread and `b` on the helper at the same time, and returns
    /// both results; `b` runs on the calling thread after `a` when the helper has not
    /// taken it by then (a helper not started yet, or none: one thread). A panic of `b`
    /// is raised again on the calling thread.
    pub fn both<A, B: Send + 'a>(&self, a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send + 'a) -> (A, B) {
        let out: Arc<Mutex<Option<Outcome<B>>>> = Arc::new(Mutex::new(None));
        let into = Arc::clone(&out);
        let job: Job<'a> = Box::new(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(b));
            *into.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(r);
        });
        let lock = || self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let job = if self.threads >= 2 {
            *lock() = Some(job);
            None
        } else {
            Some(job)
        };
        let ra = a();
        if let Some(job) = job.or_else(|| lock().take()) {
            job();
        }
        loop {
            let got = out.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
            match got {
                Some(Ok(rb)) => return (ra, rb),
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                None => std::hint::spin_loop(),
            }
        }
    }
}

/// Runs `f` with a [`Helper`] on a worker of [`pool`]`(nthreads)` (none with one thread,
/// nor on a worker of that pool), which waits for jobs until `f` returns, and returns
/// what `f` returns once the helper has stopped. The worker is woken when `f` begins, so
/// that its start overlaps `f`'s first work rather than its first job, and it is awake
/// when `f` returns: a chunk compressed on `nthreads` right after finds it so, where a
/// tuned run's compression on two threads, right after a tuner's trials on one, ran
/// 8 % slower than the same compression in a sequence of runs (median over 64 cells,
/// `tune eval`), the worker asleep.
pub fn with_helper<'a, R>(nthreads: usize, f: impl FnOnce(&Helper<'a>) -> R) -> R {
    let helper = Helper { slot: Mutex::new(None), stop: AtomicBool::new(false), threads: nthreads.min(2) };
    let pool = (nthreads >= 2).then(|| pool(nthreads));
    // None on a worker of the pool itself: its job could wait in this thread's own queue
    // with no other worker free to take it, and the wait below would not end.
    let Some(pool) = pool.filter(|p| p.current_thread_index().is_none()) else {
        let alone = Helper { threads: 1, ..helper };
        return f(&alone);
    };
    let mut out = None;
    pool.in_place_scope(|s| {
        s.spawn(|_| {
            while !helper.stop.load(Ordering::Acquire) {
                let job = helper.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
                match job {
                    Some(job) => job(),
                    None => std::hint::spin_loop(),
                }
            }
        });
        // The helper stops when `f` returns or panics (the scope waits for it either way).
        let _stop = StopOnDrop(&helper.stop);
        out = Some(f(&helper));
    });
    out.expect("f ran")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_helper_runs_both_jobs_and_returns_their_results_in_order() {
        for threads in [1, 2, 3] {
            let data = vec![3u64; 1000];
            let d = &data;
            let sums = with_helper(threads, |h| {
                (0..50)
                    .map(|k| h.both(|| d.iter().sum::<u64>() + k, move || d.iter().map(|x| x * 2).sum::<u64>() + k))
                    .collect::<Vec<_>>()
            });
            assert_eq!(sums, (0..50).map(|k| (3000 + k, 6000 + k)).collect::<Vec<_>>(), "{threads} threads");
        }
    }

    #[test]
    fn a_helper_job_runs_on_another_thread_when_the_caller_waits_for_it() {
        let caller = std::thread::current().id();
        let on = with_helper(2, |h| {
            h.both(
                || {
                    // Long enough for the worker to start and take the job.
                    let t = std::time::Instant::now();
                    while t.elapsed() < std::time::Duration::from_millis(50) {
                        std::hint::spin_loop();
                    }
                },
                || std::thread::current().id(),
            )
            .1
        });
        assert_ne!(on, caller);
    }

    #[test]
    fn no_helper_on_a_worker_of_its_own_pool() {
        let threads = pool(2).install(|| with_helper(2, |h| (h.threads(), h.both(|| 1, || 2))));
        assert_eq!(threads, (1, (1, 2)));
    }

    #[test]
    fn a_panic_of_a_helper_job_or_of_the_caller_reaches_the_caller() {
        for threads in [1, 2] {
            let r = std::panic::catch_unwind(|| with_helper(threads, |h| h.both(|| 1, || -> u8 { panic!("job") })));
            assert!(r.is_err(), "{threads} threads");
            // And one of the calling thread's own.
            let r = std::panic::catch_unwind(|| with_helper(threads, |h| h.both(|| -> u8 { panic!("caller") }, || 2)));
            assert!(r.is_err(), "{threads} threads");
        }
    }

    #[test]
    fn run_shared_does_every_item_once_on_several_threads() {
        let mut out = vec![0u32; 1000];
        let items: Vec<(usize, &mut u32)> = out.iter_mut().enumerate().collect();
        run_shared::<_, ()>(3, items, |(i, x)| {
            *x += u32::try_from(i).unwrap() + 1;
            Ok(())
        })
        .unwrap();
        assert!(out.iter().enumerate().all(|(i, &x)| x as usize == i + 1));
    }

    #[test]
    fn run_shared_returns_an_error_and_stops_taking_items() {
        let done = std::sync::atomic::AtomicUsize::new(0);
        let r = run_shared(2, (0..10_000).collect(), |i: usize| {
            done.fetch_add(1, Ordering::Relaxed);
            if i == 3 {
                Err(i)
            } else {
                Ok(())
            }
        });
        assert_eq!(r, Err(3));
        assert!(done.load(Ordering::Relaxed) < 10_000);
    }
}
