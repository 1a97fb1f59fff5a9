//! Thread counts: every subcommand that compresses or decompresses uses the available cores
//! unless `--nthreads N` says otherwise. The bytes written never depend on the count.

use clap::Args;

/// The cores this process may use (`std::thread::available_parallelism`: the CPU affinity
/// mask and cgroup quota included), 1 when unknown.
pub fn available() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// `--nthreads N` for the subcommands that take no other compression option.
#[derive(Args, Debug, Clone)]
pub struct ThreadsArg {
    /// Threads (0 = the available cores).
    #[arg(long, default_value_t = available())]
    pub nthreads: usize,
}

impl ThreadsArg {
    /// The thread count to use (at least 1).
    pub fn get(&self) -> usize {
        resolve(self.nthreads)
    }
}

/// `n`, or the available cores for 0.
pub fn resolve(n: usize) -> usize {
    if n == 0 {
        available()
    } else {
        n
    }
}

/// Runs `f` inside a rayon pool of `n` threads (for the array commands, whose library
/// spreads chunks over the pool it runs on).
pub fn install<R: Send>(n: usize, f: impl FnOnce() -> R + Send) -> R {
    blosc2_core::chunk::thread_pool(n).install(f)
}
