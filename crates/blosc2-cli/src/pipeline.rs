//! An ordered pipeline of chunks: one thread reads, the shared pool of `nthreads` workers
//! codes (several chunks at once, and the blocks of each chunk), the calling thread writes
//! the results in input order. Reading, coding and writing overlap, so two cores stay busy
//! even where one chunk's blocks are coded faster than the I/O around them.
//!
//! Memory: at most `depth` chunks are queued for the writer, plus the one being read and
//! the one being written, whatever the input's size.

use std::sync::mpsc::{channel, sync_channel, Receiver};
use std::sync::Arc;

use anyhow::Result;

/// How many coded chunks may wait for the writer with `nthreads` workers and chunks of
/// `blocks` blocks. The blocks of a chunk are spread over the workers, and the reader hands
/// the next chunk to the pool before it waits for room in the queue, so one queued chunk
/// keeps two chunks in the pool (one being read, one being written, 3 alive): enough when
/// a chunk has a block per worker. Chunks of fewer blocks get more chunks at once. More
/// would only hold memory (and page faults for fresh buffers: on 64 MiB of float32 with
/// LZ4 and 2 threads, two queued chunks cost 10-25 % more CPU time than one).
pub fn depth(nthreads: usize, blocks: usize) -> usize {
    nthreads.div_ceil(blocks.max(1)).clamp(1, nthreads.clamp(1, 8))
}

/// Runs the pipeline: `source` (on a reader thread) yields items until `None`, `work` (on
/// the pool of `nthreads` workers) turns each into a result, `sink` (on the calling thread)
/// takes the results in order. The first error (of any stage, in input order) ends the run
/// and is returned; items before it have reached `sink`.
///
/// # Errors
/// The first error of `source`, `work` or `sink`.
pub fn run<S, O>(
    nthreads: usize,
    depth: usize,
    mut source: impl FnMut() -> Result<Option<S>> + Send,
    work: impl Fn(S) -> Result<O> + Send + Sync + 'static,
    mut sink: impl FnMut(O) -> Result<()>,
) -> Result<()>
where
    S: Send + 'static,
    O: Send + 'static,
{
    let pool = blosc2_core::chunk::thread_pool(nthreads);
    let work = Arc::new(work);
    // In input order: a receiver for each item's result, or the reader's error.
    let (order_tx, order_rx) = sync_channel::<Result<Receiver<Result<O>>>>(depth.max(1));
    std::thread::scope(|scope| {
        scope.spawn(move || loop {
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
        });
        // Returning drops `order_rx`: the reader stops at its next item.
        for next in order_rx {
            let result = next?.recv().map_err(|_| anyhow::anyhow!("a pipeline worker stopped"))??;
            sink(result)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_arrive_in_order_and_errors_stop_the_run() {
        for nthreads in [1, 2, 4] {
            let mut i = 0u64;
            let mut got = Vec::new();
            run(
                nthreads,
                depth(nthreads, 1),
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
        // A work error at item 5: items 1-4 reach the sink, then the error.
        let mut i = 0u64;
        let mut got = Vec::new();
        let e = run(
            2,
            3,
            || {
                i += 1;
                Ok(Some(i))
            },
            |x| if x == 5 { anyhow::bail!("bad item {x}") } else { Ok(x) },
            |x| {
                got.push(x);
                Ok(())
            },
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "bad item 5");
        assert_eq!(got, [1, 2, 3, 4]);
        // A source error after 3 items; a sink error stops an endless source.
        let mut i = 0u64;
        let e = run(
            2,
            3,
            || {
                i += 1;
                if i == 4 {
                    anyhow::bail!("read failed")
                }
                Ok(Some(i))
            },
            Ok,
            |_| Ok(()),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "read failed");
        let e = run(2, 3, || Ok(Some(0u8)), Ok, |_| anyhow::bail!("write failed")).unwrap_err();
        assert_eq!(e.to_string(), "write failed");
    }
}
