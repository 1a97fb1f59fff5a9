//! The reads of the hash-chain search's hot loops (levels 3-9: the candidate tests, the
//! match counts), in two flavours: [`Checked`] indexes slices as usual; [`Unchecked`] skips
//! the bounds checks, which measured 8-12 % of the encoder's instructions (two or three
//! compares and branches per read, in a loop of some fifteen instructions per candidate,
//! and the registers their operands hold).
//!
//! The encoder runs [`Unchecked`]; the tests run both against liblz4 on the same inputs.
//! Every call site states why its index is in bounds; debug builds assert it.
#![allow(unsafe_code)]

/// Unaligned little-endian reads inside a byte slice.
pub(super) trait Access {
    /// The little-endian `u16` at `buf[p..p + 2]`.
    ///
    /// # Safety
    ///
    /// `p + 2 <= buf.len()`.
    unsafe fn read16(buf: &[u8], p: usize) -> u16;

    /// The little-endian `u32` at `buf[p..p + 4]`.
    ///
    /// # Safety
    ///
    /// `p + 4 <= buf.len()`.
    unsafe fn read32(buf: &[u8], p: usize) -> u32;

    /// The little-endian `u64` at `buf[p..p + 8]`.
    ///
    /// # Safety
    ///
    /// `p + 8 <= buf.len()`.
    unsafe fn read64(buf: &[u8], p: usize) -> u64;
}

/// Ordinary slice indexing (panics out of bounds): the safe twin.
#[cfg_attr(not(test), allow(dead_code))]
pub(super) struct Checked;

/// No bounds checks (asserted in debug builds).
pub(super) struct Unchecked;

impl Access for Checked {
    #[inline(always)]
    unsafe fn read16(buf: &[u8], p: usize) -> u16 {
        u16::from_le_bytes(buf[p..p + 2].try_into().expect("2 bytes"))
    }

    #[inline(always)]
    unsafe fn read32(buf: &[u8], p: usize) -> u32 {
        u32::from_le_bytes(buf[p..p + 4].try_into().expect("4 bytes"))
    }

    #[inline(always)]
    unsafe fn read64(buf: &[u8], p: usize) -> u64 {
        u64::from_le_bytes(buf[p..p + 8].try_into().expect("8 bytes"))
    }
}

impl Access for Unchecked {
    #[inline(always)]
    unsafe fn read16(buf: &[u8], p: usize) -> u16 {
        debug_assert!(p + 2 <= buf.len());
        // SAFETY: the caller guarantees p + 2 <= buf.len(); the read is unaligned.
        u16::from_le(unsafe { buf.as_ptr().add(p).cast::<u16>().read_unaligned() })
    }

    #[inline(always)]
    unsafe fn read32(buf: &[u8], p: usize) -> u32 {
        debug_assert!(p + 4 <= buf.len());
        // SAFETY: the caller guarantees p + 4 <= buf.len(); the read is unaligned.
        u32::from_le(unsafe { buf.as_ptr().add(p).cast::<u32>().read_unaligned() })
    }

    #[inline(always)]
    unsafe fn read64(buf: &[u8], p: usize) -> u64 {
        debug_assert!(p + 8 <= buf.len());
        // SAFETY: the caller guarantees p + 8 <= buf.len(); the read is unaligned.
        u64::from_le(unsafe { buf.as_ptr().add(p).cast::<u64>().read_unaligned() })
    }
}
