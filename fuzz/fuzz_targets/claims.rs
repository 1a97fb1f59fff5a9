//! Shared by the frame targets: frames whose claims are legitimately too big to fuzz fast.

use blosc2_core::frame::FrameHeader;

/// Frames whose fixed chunk size and total size claim more than this many chunks are
/// skipped: opening them legitimately holds 8 bytes per claimed chunk in memory (as
/// C-Blosc2 does; up to 2 GiB), which is slow to fuzz, not a bug.
const MAX_CLAIMED_CHUNKS: u64 = 1 << 22;

/// Whether `frame` starts with a header claiming more than [`MAX_CLAIMED_CHUNKS`] chunks.
pub fn claims_too_many_chunks(frame: &[u8]) -> bool {
    FrameHeader::parse(frame).is_ok_and(|h| h.chunksize > 0 && h.nbytes / h.chunksize as u64 > MAX_CLAIMED_CHUNKS)
}
