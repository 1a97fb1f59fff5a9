//! Dictionaries on the write side (`shared/spec/chunk.md` 7), built and used as C-Blosc2
//! 3.3 does in `blosc2_compress_ctx`:
//!
//! 1. The blocks are filtered (not compressed) and laid end to end. C-Blosc2 does this for
//!    the whole chunk; only the first `n * sample_size` bytes (about a sixteenth) are ever
//!    read, so only the blocks that reach that far are filtered here.
//! 2. `dict_maxsize = min(32768, nbytes / 20)`; `n` samples, one per stream (`nblocks`,
//!    times the typesize when blocks are split), at least 8; `sample_size = nbytes / n / 16`.
//!    With `dict_maxsize < 256` or `sample_size == 0` the chunk is compressed without a
//!    dictionary.
//! 3. LZ4 / LZ4HC: the dictionary is the first `min(n * sample_size, dict_maxsize)` filtered
//!    bytes, except bytes `4 * nblocks..4 * nblocks + 4`, which hold the dictionary size
//!    (an artefact of C-Blosc2 copying it out of a buffer it has just written the size
//!    into, reproduced because the streams depend on it). ZSTD: `ZDICT_trainFromBuffer` over the first `n` samples of `sample_size` bytes
//!    with room for `dict_maxsize` bytes; when training fails, no dictionary.
//! 4. Each stream is then compressed with it: ZSTD with `ZSTD_compress_usingCDict` and a
//!    CDict made at level 1 (the clevel only matters for the block size and the split);
//!    LZ4 with `LZ4_loadDict` + `LZ4_compress_fast_continue` (acceleration `10 - clevel`);
//!    LZ4HC with the level set to clevel, `LZ4_loadDictHC` + `LZ4_compress_HC_continue`.
//!    The dictionary is loaded afresh before every stream, so each one refers only to it.
//!
//! The libraries are the ones C-Blosc2 3.3.5 bundles (zstd 1.5.7, liblz4 1.10.0), so the
//! chunks are byte for byte C-Blosc2's (single-threaded C; ours do not depend on threads).

use std::cell::RefCell;

use zstd::zstd_safe;

use super::CompressParams;
use crate::codec::CodecId;
use crate::error::{Error, Result};
use crate::header::MAX_DICT_SIZE;

/// Below this room for a dictionary, none is built (C: `BLOSC2_MINUSEFULDICT`).
const MIN_USEFUL_DICT: usize = 256;

/// Rejects `use_dict` with a codec that has no dictionaries, whatever the clevel (as
/// C-Blosc2 does).
pub(crate) fn check_codec(params: &CompressParams) -> Result<()> {
    match params.codec {
        _ if !params.use_dict => Ok(()),
        CodecId::ZSTD | CodecId::LZ4 | CodecId::LZ4HC => Ok(()),
        other => Err(Error::DictUnsupported(other.0)),
    }
}

/// How the chunk is cut, as the compressor decided it.
pub(crate) struct Layout {
    /// Header typesize (1 for typesizes above 255).
    pub typesize: usize,
    pub blocksize: usize,
    pub nblocks: usize,
    pub dont_split: bool,
}

/// A chunk's dictionary, ready to compress streams with.
pub(crate) struct Dict {
    codec: CodecId,
    /// The dictionary followed by one guard byte that is not part of it: no block can start
    /// right where the dictionary ends, which liblz4 would take for a prefix of that block
    /// instead of an external dictionary.
    stored: Vec<u8>,
    cdict: Option<zstd_safe::CDict<'static>>,
}

impl Dict {
    /// The dictionary as stored in the chunk (after its 4-byte size).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.stored[..self.stored.len() - 1]
    }

    /// Builds the dictionary of a chunk of `src` cut as `layout` says, or `None` when the
    /// chunk is to be compressed without one (too small, or ZSTD training failed).
    ///
    /// # Errors
    /// Filter errors; [`Error::CompressionFailed`] when zstd cannot make its CDict.
    pub(crate) fn build(params: &CompressParams, src: &[u8], layout: &Layout) -> Result<Option<Dict>> {
        let nbytes = src.len();
        let dict_maxsize = MAX_DICT_SIZE.min(nbytes / 20);
        let streams = if layout.dont_split { layout.nblocks } else { layout.nblocks.saturating_mul(layout.typesize) };
        let nsamples = streams.max(8);
        let sample_size = nbytes / nsamples / 16;
        if dict_maxsize < MIN_USEFUL_DICT || sample_size == 0 {
            return Ok(None);
        }
        // n * sample_size <= nbytes / 16: no overflow, and always inside the chunk.
        let samples_len = nsamples * sample_size;
        let (stored, cdict) = match params.codec {
            CodecId::LZ4 | CodecId::LZ4HC => {
                let len = samples_len.min(dict_maxsize);
                let mut stored = filtered_prefix(params, src, layout, len)?;
                // C-Blosc2 keeps the first pass's output where the chunk's `bstarts` go,
                // writes the dictionary size after `bstarts` (over bytes 4 * nblocks.. of
                // that output), then copies the dictionary out of it (an overlapping
                // memcpy, which glibc does as memmove): those 4 bytes of the dictionary are
                // its size. Measured against python-blosc2 4.14.1.
                let at = layout.nblocks.saturating_mul(4);
                for (k, b) in (len as i32).to_le_bytes().into_iter().enumerate() {
                    if let Some(x) = stored.get_mut(at + k) {
                        *x = b;
                    }
                }
                stored.push(0);
                (stored, None)
            }
            CodecId::ZSTD => {
                let samples = filtered_prefix(params, src, layout, samples_len)?;
                let sizes = vec![sample_size; nsamples];
                let mut trained = vec![0u8; dict_maxsize];
                let len = match zstd_safe::train_from_buffer(&mut trained[..], &samples, &sizes) {
                    Ok(len) if len > 0 && len <= dict_maxsize => len,
                    _ => return Ok(None),
                };
                trained.truncate(len);
                let cdict = zstd_safe::CDict::try_create(&trained, 1).ok_or_else(|| Error::CompressionFailed {
                    codec: "zstd",
                    reason: "cannot digest the dictionary".into(),
                })?;
                trained.push(0);
                (trained, Some(cdict))
            }
            other => return Err(Error::DictUnsupported(other.0)),
        };
        Ok(Some(Dict { codec: params.codec, stored, cdict }))
    }

    /// Compresses one stream with the dictionary into `dst` (whose length is the room
    /// allowed). Returns the compressed length, or 0 when it does not fit (the caller then
    /// stores the stream raw), as [`crate::codec::CodecContext::compress`].
    ///
    /// # Errors
    /// [`Error::CompressionFailed`] when a library cannot allocate its state.
    pub(crate) fn compress(&self, clevel: u8, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        if dst.is_empty() {
            return Ok(0);
        }
        let failed = |codec| move || Error::CompressionFailed { codec, reason: "cannot allocate a stream".into() };
        STATE.with(|state| {
            let state = &mut *state.borrow_mut();
            match (self.codec, &self.cdict) {
                (CodecId::ZSTD, Some(cdict)) => {
                    let cctx = match &mut state.zstd {
                        Some(c) => c,
                        slot => slot.insert(zstd_safe::CCtx::try_create().ok_or_else(failed("zstd"))?),
                    };
                    // zstd reports "destination too small" as an error: store raw.
                    Ok(cctx.compress_using_cdict(dst, src, cdict).unwrap_or(0))
                }
                (CodecId::LZ4, _) => {
                    let stream = match &mut state.lz4 {
                        Some(s) => s,
                        slot => slot.insert(lz4::Stream::new(false).ok_or_else(failed("lz4"))?),
                    };
                    Ok(stream.compress(self.bytes(), 10 - i32::from(clevel), src, dst))
                }
                (CodecId::LZ4HC, _) => {
                    let stream = match &mut state.lz4hc {
                        Some(s) => s,
                        slot => slot.insert(lz4::Stream::new(true).ok_or_else(failed("lz4hc"))?),
                    };
                    Ok(stream.compress(self.bytes(), i32::from(clevel), src, dst))
                }
                (other, _) => Err(Error::DictUnsupported(other.0)),
            }
        })
    }
}

/// Per-thread compression state for dictionaries, kept from stream to stream.
#[derive(Default)]
struct State {
    zstd: Option<zstd_safe::CCtx<'static>>,
    lz4: Option<lz4::Stream>,
    lz4hc: Option<lz4::Stream>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// The first `len` bytes of the chunk's filtered blocks laid end to end (C-Blosc2's
/// training pass, cut where the samples end).
fn filtered_prefix(params: &CompressParams, src: &[u8], layout: &Layout, len: usize) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(len);
    let filtered = params.filters.filters.iter().any(|&f| f != 0);
    let reference = &src[..layout.blocksize.min(src.len())];
    let (mut buf, mut scratch) = (Vec::new(), Vec::new());
    for (j, block) in src.chunks(layout.blocksize).enumerate() {
        let want = len - out.len();
        if want == 0 {
            break;
        }
        let take = want.min(block.len());
        if filtered {
            buf.resize(block.len(), 0);
            scratch.resize(block.len(), 0);
            let offset = j * layout.blocksize;
            params.filters.forward(layout.typesize, offset, block, reference, &mut buf, &mut scratch)?;
            out.extend_from_slice(&buf[..take]);
        } else {
            out.extend_from_slice(&block[..take]);
        }
    }
    Ok(out)
}

/// The liblz4 streaming calls C-Blosc2 uses for dictionaries. liblz4 1.10.0 is compiled into
/// the `lz4-sys` crate (through `lz4`), which does not declare them.
#[allow(unsafe_code)]
mod lz4 {
    use std::ffi::{c_char, c_int, c_void};
    use std::ptr::NonNull;

    extern "C" {
        fn LZ4_createStream() -> *mut c_void;
        fn LZ4_freeStream(stream: *mut c_void) -> c_int;
        fn LZ4_loadDict(stream: *mut c_void, dictionary: *const c_char, dict_size: c_int) -> c_int;
        fn LZ4_compress_fast_continue(
            stream: *mut c_void,
            src: *const c_char,
            dst: *mut c_char,
            src_size: c_int,
            dst_capacity: c_int,
            acceleration: c_int,
        ) -> c_int;
        fn LZ4_createStreamHC() -> *mut c_void;
        fn LZ4_freeStreamHC(stream: *mut c_void) -> c_int;
        fn LZ4_setCompressionLevel(stream: *mut c_void, level: c_int);
        fn LZ4_loadDictHC(stream: *mut c_void, dictionary: *const c_char, dict_size: c_int) -> c_int;
        fn LZ4_compress_HC_continue(
            stream: *mut c_void,
            src: *const c_char,
            dst: *mut c_char,
            src_size: c_int,
            dst_capacity: c_int,
        ) -> c_int;
    }

    /// An `LZ4_stream_t` (fast) or `LZ4_streamHC_t` (HC) owned by one thread.
    pub(super) struct Stream {
        ptr: NonNull<c_void>,
        hc: bool,
    }

    impl Stream {
        /// A new stream, `None` when liblz4 cannot allocate it.
        pub(super) fn new(hc: bool) -> Option<Stream> {
            // SAFETY: plain allocating constructors without arguments.
            let ptr = unsafe {
                if hc {
                    LZ4_createStreamHC()
                } else {
                    LZ4_createStream()
                }
            };
            NonNull::new(ptr).map(|ptr| Stream { ptr, hc })
        }

        /// Compresses `src` into `dst` as one LZ4 block that may refer to `dict` as an
        /// external dictionary; `level` is the acceleration (fast) or the HC level. Returns
        /// the compressed length, 0 when it does not fit `dst`.
        ///
        /// As C-Blosc2's `lz4_wrap_compress` / `lz4hc_wrap_compress`: the dictionary is
        /// loaded afresh, so the block refers to nothing else. (For HC, C-Blosc2 calls
        /// `LZ4_resetStreamHC_fast(level)` first; of that, `LZ4_loadDictHC`, which
        /// reinitializes the whole stream, keeps only the level, which is set here.)
        pub(super) fn compress(&mut self, dict: &[u8], level: i32, src: &[u8], dst: &mut [u8]) -> usize {
            let (Ok(dict_len), Ok(src_len)) = (c_int::try_from(dict.len()), c_int::try_from(src.len())) else {
                return 0;
            };
            let capacity = c_int::try_from(dst.len()).unwrap_or(c_int::MAX);
            let s = self.ptr.as_ptr();
            let (d, i, o) =
                (dict.as_ptr().cast::<c_char>(), src.as_ptr().cast::<c_char>(), dst.as_mut_ptr().cast::<c_char>());
            // SAFETY: `s` is a live stream of the right kind, owned by `self`. The dictionary,
            // source and destination are valid for the lengths given (`capacity` <= `dst.len()`),
            // and the source and destination do not overlap the dictionary (distinct borrows).
            // Loading the dictionary resets the stream, so no pointer kept in it from an
            // earlier call is read.
            let n = unsafe {
                if self.hc {
                    LZ4_setCompressionLevel(s, level);
                    LZ4_loadDictHC(s, d, dict_len);
                    LZ4_compress_HC_continue(s, i, o, src_len, capacity)
                } else {
                    LZ4_loadDict(s, d, dict_len);
                    LZ4_compress_fast_continue(s, i, o, src_len, capacity, level)
                }
            };
            usize::try_from(n).unwrap_or(0).min(dst.len())
        }
    }

    impl Drop for Stream {
        fn drop(&mut self) {
            // SAFETY: made by the matching constructor and freed once.
            unsafe {
                if self.hc {
                    LZ4_freeStreamHC(self.ptr.as_ptr());
                } else {
                    LZ4_freeStream(self.ptr.as_ptr());
                }
            }
        }
    }
}
