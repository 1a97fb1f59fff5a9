//! An ordered pipeline of chunks: one thread reads, the shared pool of `nthreads` workers
//! codes, the calling thread writes the results in input order. Reading, coding and
//! writing overlap, so two cores stay busy even where one chunk's blocks are coded faster
//! than the I/O around them.
//!
//! Chunks of a block per worker or more are coded one at a time by a stage thread that
//! spreads their blocks over the pool: three chunks are alive (read, coded, written), and the
//! core's per-thread buffers exist once. Chunks of fewer blocks are coded several at once,
//! each on a pool worker, with `lanes + 2` chunks alive. Memory is bounded by that count
//! whatever the input's size; fresh memory is not free (the kernel zeroes every page on
//! first touch), so the callers also keep their buffers from chunk to chunk.

use std::sync::mpsc::{channel, sync_channel, Receiver};
use std::sync::Arc;

use anyhow::Result;

/// How many chunks to code at once with `nthreads` workers and chunks of `blocks` blocks:
/// one when every worker gets a block of it, more for chunks of fewer blocks.
pub fn lanes(nthreads: usize, blocks: usize) -> usize {
    nthreads.div_ceil(blocks.max(1)).clamp(1, nthreads.clamp(1, 8))
}

/// Runs the pipeline: `source` (on a reader thread) yields items until `None`, `work` turns
/// each into a result (on a stage thread with `lanes == 1`, else on the pool's workers,
/// `lanes` items at once), `sink` (on the calling thread) takes the results in order. The
/// first error (of any stage, in input order) ends the run and is returned; items before it
/// have reached `sink`.
///
/// # Errors
/// The first error of `source`, `work` or `sink`.
pub fn run<S, O>(
    nthreads: usize,
    lanes: usize,
    mut source: impl FnMut() -> Result<Option<S>> + Send,
    work: impl Fn(S) -> Result<O> + Send + Sync + 'static,
    mut sink: impl FnMut(O) -> Result<()>,
) -> Result<()>
where
    S: Send + 'static,
    O: Send + 'static,
{
    if lanes <= 1 {
        return run_staged(&mut source, &work, &mut sink);
    }
    let pool = blosc2_core::chunk::thread_pool(nthreads);
    let work = Arc::new(work);
    std::thread::scope(|scope| {
        // A token per item that may be alive: the reader takes one before it reads an
        // item, the writer gives it back once the item is written.
        let inflight = lanes + 2;
        let (token_tx, token_rx) = sync_channel::<()>(inflight);
        for _ in 0..inflight {
            token_tx.send(()).expect("room for every token");
        }
        // In input order: a receiver for each item's result, or the reader's error.
        let (order_tx, order_rx) = channel::<Result<Receiver<Result<O>>>>();
        scope.spawn(move || {
            // Ends when the writer has gone (no token will come back, or no one receives).
            while token_rx.recv().is_ok() {
                match source() {
                    Ok(Some(item)) => {
                        let (tx, rx) = channel();
                        let work = Arc::clone(&work);
                        pool.spawn_fifo(move || {
                            let _ = tx.send(work(item));
                        });
                        if order_tx.send(Ok(rx)).is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        let _ = order_tx.send(Err(e));
                        return;
                    }
                }
            }
        });
        // Returning drops `order_rx` and `token_tx`: the reader stops before its next item.
        for next in order_rx {
            let result = next?.recv().map_err(|_| anyhow::anyhow!("a pipeline worker stopped"))??;
            sink(result)?;
            let _ = token_tx.send(());
        }
        Ok(())
    })
}

/// Three stages, one item each: reader thread -> stage thread (`work`) -> calling thread.
/// Hand-overs wait for the next stage (rendezvous channels), so three items are alive.
fn run_staged<S: Send, O: Send>(
    source: &mut (impl FnMut() -> Result<Option<S>> + Send),
    work: &(impl Fn(S) -> Result<O> + Sync),
    sink: &mut impl FnMut(O) -> Result<()>,
) -> Result<()> {
    std::thread::scope(|scope| {
        let (in_tx, in_rx) = sync_channel::<Result<S>>(0);
        let (out_tx, out_rx) = sync_channel::<Result<O>>(0);
        scope.spawn(move || loop {
            let item = match source() {
                Ok(Some(item)) => Ok(item),
                Ok(None) => return,
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            if in_tx.send(item).is_err() || failed {
                return;
            }
        });
        scope.spawn(move || {
            for item in in_rx {
                let result = item.and_then(work);
                let failed = result.is_err();
                if out_tx.send(result).is_err() || failed {
                    return;
                }
            }
        });
        // Returning drops `out_rx`: the stage thread stops, then the reader.
        for result in out_rx {
            sink(result?)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `source` and `work` on two threads and `lanes` lanes into a sink that collects
    /// the results; the run's error and what reached the sink.
    fn run_failing(
        lanes: usize,
        source: impl FnMut() -> Result<Option<u64>> + Send,
        work: impl Fn(u64) -> Result<u64> + Send + Sync + 'static,
    ) -> (anyhow::Error, Vec<u64>) {
        let mut got = Vec::new();
        let e = run(2, lanes, source, work, |x| {
            got.push(x);
            Ok(())
        })
        .unwrap_err();
        (e, got)
    }

    #[test]
    fn results_arrive_in_order_and_errors_stop_the_run() {
        for nthreads in [1, 2, 4] {
            let mut i = 0u64;
            let mut got = Vec::new();
            run(
                nthreads,
                lanes(nthreads, 1),
                || {
                    i += 1;
                    Ok((i <= 100).then_some(i))
                },
                |x| {
                    // Uneven work, so that later items often finish first.
                    std::thread::sleep(std::time::Duration::from_micros((x * 37) % 300));
                    Ok(x * 2)
                },
                |x| {
                    got.push(x);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(got, (1..=100).map(|x| x * 2).collect::<Vec<_>>());
        }
        for lanes in [1, 3] {
            // A work error at item 5: items 1-4 reach the sink, then the error.
            let mut i = 0u64;
            let source = || {
                i += 1;
                Ok(Some(i))
            };
            let (e, got) = run_failing(lanes, source, |x| if x == 5 { anyhow::bail!("bad item {x}") } else { Ok(x) });
            assert_eq!(e.to_string(), "bad item 5");
            assert_eq!(got, [1, 2, 3, 4]);
            // A source error after 3 items; a sink error stops an endless source.
            let mut i = 0u64;
            let source = || {
                i += 1;
                if i == 4 {
                    anyhow::bail!("read failed")
                }
                Ok(Some(i))
            };
            let (e, got) = run_failing(lanes, source, Ok);
            assert_eq!(e.to_string(), "read failed");
            assert_eq!(got, [1, 2, 3]);
            let e = run(2, lanes, || Ok(Some(0u8)), Ok, |_| anyhow::bail!("write failed")).unwrap_err();
            assert_eq!(e.to_string(), "write failed");
        }
    }
}
