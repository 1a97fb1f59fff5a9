//! Memory bandwidth: the `memcpy` workload (copy, copy into a fresh allocation, write-only
//! and read-only passes over 1..T threads, each thread taking a contiguous 1/T slice, as
//! `anchor.py` and `membw.c` do), and the same-run memcpy reference of `codecs`.

use std::hint::black_box;
use std::time::Instant;

use anyhow::Result;
use serde::Serialize;

use super::datasets::{random_bytes, SEED_RANDOM};
use super::record::{summarize, timestamp, Sink, Summary};
use super::BenchArgs;

/// Contiguous slice bounds `n * k / t .. n * (k + 1) / t` of thread `k` of `t`.
fn bounds(n: usize, t: usize) -> Vec<(usize, usize)> {
    (0..t).map(|k| (n * k / t, n * (k + 1) / t)).collect()
}

/// Copies `src` into `dst` with `nthreads` threads (the calling thread takes no slice;
/// threads start and join inside the call, as in `membw.c`).
pub fn copy_threads(dst: &mut [u8], src: &[u8], nthreads: usize) {
    if nthreads <= 1 {
        dst.copy_from_slice(src);
        return;
    }
    let b = bounds(src.len(), nthreads);
    std::thread::scope(|s| {
        let mut rest = dst;
        for &(lo, hi) in &b {
            let (mine, tail) = rest.split_at_mut(hi - lo);
            rest = tail;
            let from = &src[lo..hi];
            s.spawn(move || mine.copy_from_slice(from));
        }
    });
}

/// Fills `dst` with `0x5a` over `nthreads` threads.
fn write_threads(dst: &mut [u8], nthreads: usize) {
    let per = dst.len().div_ceil(nthreads.max(1)).max(1);
    std::thread::scope(|s| {
        for part in dst.chunks_mut(per) {
            s.spawn(move || part.fill(0x5a));
        }
    });
}

/// Sums the 64-bit little-endian words of `src` over `nthreads` threads.
fn read_threads(src: &[u8], nthreads: usize) -> u64 {
    fn sum(p: &[u8]) -> u64 {
        let mut acc = [0u64; 4];
        let mut it = p.chunks_exact(32);
        for c in &mut it {
            for (k, a) in acc.iter_mut().enumerate() {
                *a = a.wrapping_add(u64::from_le_bytes(c[k * 8..k * 8 + 8].try_into().expect("8 bytes")));
            }
        }
        let tail = it.remainder().chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")));
        acc.iter().copied().chain(tail).fold(0u64, u64::wrapping_add)
    }
    let b = bounds(src.len() / 8, nthreads.max(1));
    std::thread::scope(|s| {
        let hs: Vec<_> = b.iter().map(|&(lo, hi)| s.spawn(move || sum(&src[lo * 8..hi * 8]))).collect();
        hs.into_iter().map(|h| h.join().expect("read thread")).fold(0u64, u64::wrapping_add)
    })
}

/// Times `f` `runs` times after `warmups` untimed calls.
fn time_runs(warmups: usize, runs: usize, mut f: impl FnMut()) -> Vec<f64> {
    for _ in 0..warmups {
        f();
    }
    (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64()
        })
        .collect()
}

/// `anchor.py`'s `memcpy_ref`: copy of `buf` into a fresh destination (faulted in by two
/// warm-up copies), `runs` timed copies over `nthreads` threads.
pub fn memcpy_ref(buf: &[u8], runs: usize, nthreads: usize) -> Summary {
    let mut dst = blosc2_core::buffer::zeroed(buf.len());
    let times = time_runs(2, runs, || copy_threads(&mut dst, buf, nthreads));
    black_box(&dst);
    summarize(&times, Some(buf.len()), &[])
}

#[derive(Serialize)]
struct MemcpyRecord<'a> {
    workload: &'static str,
    #[serde(rename = "impl")]
    implementation: &'a str,
    threads: usize,
    bytes: usize,
    #[serde(flatten)]
    summary: Summary,
    ts: String,
}

/// The `memcpy` workload.
///
/// # Errors
/// I/O errors of the sink.
pub fn run(args: &BenchArgs, sink: &mut Sink) -> Result<()> {
    let n = args.size_mib.unwrap_or(256) << 20;
    let src = random_bytes(n, SEED_RANDOM);
    let n = src.len();
    let mut dst = vec![1u8; n];
    let runs = args.runs.unwrap_or(11);
    let threads = args.nthreads_list()?;
    let emit = |sink: &mut Sink, name: &str, t: usize, times: &[f64]| -> Result<()> {
        let rec = MemcpyRecord {
            workload: "memcpy",
            implementation: name,
            threads: t,
            bytes: n,
            summary: summarize(times, Some(n), &[]),
            ts: timestamp(),
        };
        eprintln!("{name:28} threads {t}: {:7.2} GB/s", rec.summary.gbps_median.unwrap_or(0.0));
        sink.emit(&rec)
    };
    // copy_from_slice into a pre-faulted destination (numpy.copyto)
    let times = time_runs(1, runs, || dst.copy_from_slice(&src));
    emit(sink, "rust copy_from_slice", 1, &times)?;
    // copy into a fresh allocation (numpy.copy(alloc), page faults included)
    let times = time_runs(0, runs, || {
        black_box(src.to_vec());
    });
    emit(sink, "rust to_vec(alloc)", 1, &times)?;
    // the same into a buffer from `buffer::zeroed` (huge pages, as the library's results)
    let times = time_runs(0, runs, || {
        let mut v = blosc2_core::buffer::zeroed(src.len());
        v.copy_from_slice(&src);
        black_box(v);
    });
    emit(sink, "rust buffer::zeroed + copy(alloc)", 1, &times)?;
    // copy, write, read over 1..T threads (membw.c), warm-up discarded
    for t in threads.iter().copied().filter(|&t| t > 1) {
        let times = time_runs(1, runs, || copy_threads(&mut dst, &src, t));
        emit(sink, "rust copy_from_slice(threads)", t, &times)?;
    }
    for &t in &threads {
        let times = time_runs(1, runs, || copy_threads(&mut dst, &src, t));
        emit(sink, "rust copy", t, &times)?;
    }
    for &t in &threads {
        let times = time_runs(1, runs, || write_threads(&mut dst, t));
        emit(sink, "rust write", t, &times)?;
    }
    for &t in &threads {
        let mut acc = 0u64;
        let times = time_runs(1, runs, || acc = acc.wrapping_add(read_threads(&src, t)));
        black_box(acc);
        emit(sink, "rust read", t, &times)?;
    }
    black_box(&dst);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threaded_ops_are_exact() {
        let src: Vec<u8> = (0..10_007u32).map(|i| (i * 131) as u8).collect();
        for t in 1..4 {
            let mut dst = vec![0u8; src.len()];
            copy_threads(&mut dst, &src, t);
            assert_eq!(dst, src);
            write_threads(&mut dst, t);
            assert!(dst.iter().all(|&b| b == 0x5a));
        }
        let words: Vec<u8> = (1..=1000u64).flat_map(u64::to_le_bytes).collect();
        assert_eq!(read_threads(&words, 1), 500_500);
        assert_eq!(read_threads(&words, 3), 500_500);
    }
}
