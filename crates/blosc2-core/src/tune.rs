//! The tuner hook (`shared/spec/btune.md` 1, as corrected by the Btune issue): a [`Tuner`]
//! sees each chunk's bytes before it is compressed, returns the [`CompressParams`] to
//! compress it with, and is told the [`Outcome`]. The tuners themselves live in the
//! `blosc2-tune` crate; this module only defines the hook and calls it.
//!
//! No global registry and no environment variables: a container uses a tuner only when
//! one is set on it (`SChunk::set_tuner`, `FrameWriter::set_tuner`).
//!
//! ```
//! use blosc2_core::chunk::{self, CompressParams};
//! use blosc2_core::schunk::SChunk;
//! use blosc2_core::tune::{ChunkInput, Outcome, Tuner};
//!
//! /// Compresses even chunks with clevel 1, odd ones with clevel 9.
//! struct Alternate(Vec<usize>);
//! impl Tuner for Alternate {
//!     fn next_params(&mut self, chunk: &ChunkInput<'_>) -> CompressParams {
//!         CompressParams { clevel: if chunk.index.is_multiple_of(2) { 1 } else { 9 }, ..chunk.base.clone() }
//!     }
//!     fn update(&mut self, outcome: &Outcome) {
//!         self.0.push(outcome.cbytes);
//!     }
//! }
//!
//! let mut s = SChunk::new(CompressParams::default());
//! s.set_tuner(Some(Box::new(Alternate(Vec::new()))));
//! s.append_buffer(&[7u8; 800]).unwrap();
//! s.append_buffer(&[8u8; 800]).unwrap();
//! assert_eq!(s.decompress_chunk(1).unwrap(), vec![8u8; 800]);
//! ```

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::chunk::CompressParams;
use crate::error::Result;
use crate::header::{ChunkHeader, SpecialKind};

/// A source of monotonic time, so that tuners can be tested with scripted timings.
pub trait Clock: Send + Sync {
    /// Time elapsed since an arbitrary fixed origin.
    fn now(&self) -> Duration;
}

/// The system's monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed()
    }
}

/// What a tuner may not change for a chunk, besides what it never may (the typesize,
/// which python-blosc2 and C-Blosc2 count items in, the array geometry and the use of a
/// dictionary, all kept as in the base parameters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fixed {
    /// The block size is set by the container (a b2nd array's block shape).
    pub blocksize: bool,
}

/// A chunk about to be compressed.
#[derive(Debug, Clone, Copy)]
pub struct ChunkInput<'a> {
    /// Its index in the container.
    pub index: u64,
    /// Its uncompressed bytes.
    pub data: &'a [u8],
    /// The container's own parameters.
    pub base: &'a CompressParams,
    /// What may not change.
    pub fixed: Fixed,
}

/// How a chunk was compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Its index in the container.
    pub index: u64,
    /// The parameters it was compressed with (after [`admit`]).
    pub params: CompressParams,
    /// Uncompressed bytes.
    pub nbytes: usize,
    /// Compressed bytes (header included).
    pub cbytes: usize,
    /// Time spent compressing it, by the tuner's clock (the tuner's own work excluded).
    pub ctime: Duration,
    /// The special kind when the chunk became a special (zeros, NaN, run) chunk.
    pub special: Option<SpecialKind>,
}

/// A compression tuner: picks the parameters of each chunk from the chunk itself and
/// what earlier chunks gave.
pub trait Tuner: Send + Sync {
    /// The parameters to compress `chunk` with. Fields the tuner may not change are put
    /// back by [`admit`] afterwards.
    fn next_params(&mut self, chunk: &ChunkInput<'_>) -> CompressParams;

    /// Called once the chunk is compressed with what [`Tuner::next_params`] returned.
    fn update(&mut self, outcome: &Outcome);

    /// The clock compression times are taken with.
    fn clock(&self) -> &dyn Clock {
        &SystemClock
    }
}

/// `proposed` with what may not change taken from `base`: typesize, geometry,
/// dictionaries, the block size when `fixed` says so; at least one thread.
pub fn admit(base: &CompressParams, fixed: Fixed, proposed: CompressParams) -> CompressParams {
    CompressParams {
        typesize: base.typesize,
        geometry: base.geometry,
        use_dict: base.use_dict,
        blocksize: if fixed.blocksize { base.blocksize } else { proposed.blocksize },
        nthreads: proposed.nthreads.max(1),
        ..proposed
    }
}

/// Compresses `data` (chunk `index` of a container with parameters `base`) with the
/// parameters `tuner` chooses, through `compress`, and reports the outcome to the tuner.
///
/// # Errors
/// What `compress` returns.
pub fn compress_tuned(
    tuner: &mut dyn Tuner,
    index: u64,
    base: &CompressParams,
    fixed: Fixed,
    data: &[u8],
    compress: impl FnOnce(&CompressParams, &[u8]) -> Result<Vec<u8>>,
) -> Result<Vec<u8>> {
    let input = ChunkInput { index, data, base, fixed };
    let params = admit(base, fixed, tuner.next_params(&input));
    let start = tuner.clock().now();
    let chunk = compress(&params, data)?;
    let ctime = tuner.clock().now().saturating_sub(start);
    let special = ChunkHeader::parse(&chunk).ok().and_then(|h| h.special());
    let outcome = Outcome { index, params, nbytes: data.len(), cbytes: chunk.len(), ctime, special };
    tuner.update(&outcome);
    Ok(chunk)
}

/// An optional tuner, as containers hold it (its `Debug` names it only).
#[derive(Default)]
pub struct TunerSlot(pub Option<Box<dyn Tuner>>);

impl std::fmt::Debug for TunerSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "TunerSlot(Some)" } else { "TunerSlot(None)" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk;
    use crate::codec::CodecId;
    use std::sync::{Arc, Mutex};

    /// A clock that advances 5 ms on every reading.
    struct Steps(Mutex<u64>);
    impl Clock for Steps {
        fn now(&self) -> Duration {
            let mut t = self.0.lock().unwrap();
            *t += 5;
            Duration::from_millis(*t)
        }
    }

    struct Greedy {
        clock: Steps,
        seen: Arc<Mutex<Vec<Outcome>>>,
    }
    impl Tuner for Greedy {
        fn next_params(&mut self, chunk: &ChunkInput<'_>) -> CompressParams {
            CompressParams {
                codec: CodecId::LZ4,
                typesize: 1,
                blocksize: 4096,
                nthreads: 0,
                use_dict: true,
                ..chunk.base.clone()
            }
        }
        fn update(&mut self, outcome: &Outcome) {
            self.seen.lock().unwrap().push(outcome.clone());
        }
        fn clock(&self) -> &dyn Clock {
            &self.clock
        }
    }

    #[test]
    fn the_hook_keeps_what_may_not_change_and_reports_the_outcome() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut t = Greedy { clock: Steps(Mutex::new(0)), seen: seen.clone() };
        let base = CompressParams { blocksize: 8192, ..CompressParams::default() };
        let data: Vec<u8> = (0..40_000u32).map(|i| (i / 7) as u8).collect();
        let fixed = Fixed { blocksize: true };
        let c = compress_tuned(&mut t, 3, &base, fixed, &data, chunk::compress).unwrap();
        assert_eq!(chunk::decompress(&c).unwrap(), data);
        let o = seen.lock().unwrap()[0].clone();
        assert_eq!((o.index, o.nbytes, o.cbytes, o.ctime), (3, data.len(), c.len(), Duration::from_millis(5)));
        assert_eq!(o.params.codec, CodecId::LZ4);
        assert_eq!((o.params.typesize, o.params.blocksize, o.params.nthreads, o.params.use_dict), (8, 8192, 1, false));
        let h = ChunkHeader::parse(&c).unwrap();
        assert_eq!((h.typesize, h.blocksize_field), (8, 8192));
        let zeros = compress_tuned(&mut t, 4, &base, fixed, &[0u8; 4096], chunk::compress).unwrap();
        assert!(zeros.len() <= 32);
        assert_eq!(seen.lock().unwrap()[1].special, Some(SpecialKind::Zeros));
    }
}
