//! The BloscLZ encoder's byte accesses in its two hot loops (entropy probe, main loop), in
//! two flavours: [`Checked`] indexes slices as usual; [`Unchecked`] skips the bounds checks,
//! which measured 10 to 25 % of the encoder's time (the checks and the registers they hold
//! in a loop whose cost is one table lookup and one compare per input byte).
//!
//! The encoder runs [`Unchecked`]; the tests run both on the same inputs and compare the
//! streams byte for byte. Every call site states why its index is in bounds; debug builds
//! assert it.
#![allow(unsafe_code)]

/// Byte access for the encoder loops.
pub(super) trait Access {
    /// The little-endian `u32` at `buf[p..p + 4]`.
    ///
    /// # Safety
    ///
    /// `p + 4 <= buf.len()`.
    unsafe fn read32(buf: &[u8], p: usize) -> u32;

    /// `buf[p]`.
    ///
    /// # Safety
    ///
    /// `p < buf.len()`.
    unsafe fn byte(buf: &[u8], p: usize) -> u8;

    /// `buf[p] = v`.
    ///
    /// # Safety
    ///
    /// `p < buf.len()`.
    unsafe fn set(buf: &mut [u8], p: usize, v: u8);
}

/// Ordinary slice indexing (panics out of bounds): the safe twin.
#[cfg_attr(not(test), allow(dead_code))]
pub(super) struct Checked;

/// No bounds checks (asserted in debug builds).
pub(super) struct Unchecked;

impl Access for Checked {
    #[inline(always)]
    unsafe fn read32(buf: &[u8], p: usize) -> u32 {
        u32::from_le_bytes(buf[p..p + 4].try_into().expect("4 bytes"))
    }

    #[inline(always)]
    unsafe fn byte(buf: &[u8], p: usize) -> u8 {
        buf[p]
    }

    #[inline(always)]
    unsafe fn set(buf: &mut [u8], p: usize, v: u8) {
        buf[p] = v;
    }
}

impl Access for Unchecked {
    #[inline(always)]
    unsafe fn read32(buf: &[u8], p: usize) -> u32 {
        debug_assert!(p + 4 <= buf.len());
        // SAFETY: the caller guarantees p + 4 <= buf.len(); the read is unaligned.
        u32::from_le(unsafe { buf.as_ptr().add(p).cast::<u32>().read_unaligned() })
    }

    #[inline(always)]
    unsafe fn byte(buf: &[u8], p: usize) -> u8 {
        debug_assert!(p < buf.len());
        // SAFETY: the caller guarantees p < buf.len().
        unsafe { *buf.get_unchecked(p) }
    }

    #[inline(always)]
    unsafe fn set(buf: &mut [u8], p: usize, v: u8) {
        debug_assert!(p < buf.len());
        // SAFETY: the caller guarantees p < buf.len().
        unsafe { *buf.get_unchecked_mut(p) = v };
    }
}
