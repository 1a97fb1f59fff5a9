//! Streaming (non-temporal) stores for large outputs that are not read back right away.
//!
//! A plain store to memory that is not in the cache first reads the cache line it writes
//! (read for ownership), so writing a large buffer moves every byte over the memory bus
//! twice. Non-temporal stores write whole lines without reading them and bypass the cache:
//! on the machines measured (Zen 2) filling a 128 MiB buffer goes from 11.5 to 21 GB/s.
//! They are a loss when the data is read again soon (it is no longer in the cache), so the
//! chunk decoder uses them only for outputs of at least [`MIN_LEN`] bytes, larger than a
//! core's private caches, where the output would mostly have been evicted anyway.
//!
//! Every function has a safe twin (`slice::fill`, `copy_from_slice`) used on CPUs without
//! AVX2 and compared against in the tests.
#![allow(unsafe_code)]

/// The smallest whole output (e.g. a chunk's decoded size) whose blocks are written with
/// streaming stores.
pub const MIN_LEN: usize = 4 << 20;

/// The smallest single write worth streaming: below it the fence and the unaligned edges
/// cost more than they save.
#[cfg(target_arch = "x86_64")]
const MIN_PIECE: usize = 4096;

/// Whether the streaming kernels (AVX2) may run: the CPU has AVX2 and
/// `BLOSC2_FORCE_SCALAR` is not set (see [`crate::cpu::enabled`]).
#[cfg(target_arch = "x86_64")]
fn available() -> bool {
    crate::cpu::enabled().avx2
}

/// Fills `dst` with `v`, with streaming stores where available and worthwhile.
pub fn fill(dst: &mut [u8], v: u8) {
    #[cfg(target_arch = "x86_64")]
    if dst.len() >= MIN_PIECE && available() {
        // SAFETY: AVX2 was detected at run time.
        unsafe { x86::fill(dst, v) };
        return;
    }
    dst.fill(v);
}

/// Copies `src` into `dst` (same length), with streaming stores where available and
/// worthwhile.
///
/// # Panics
/// If the lengths differ (as `copy_from_slice`).
pub fn copy(dst: &mut [u8], src: &[u8]) {
    assert_eq!(dst.len(), src.len(), "streaming::copy needs equal lengths");
    #[cfg(target_arch = "x86_64")]
    if dst.len() >= MIN_PIECE && available() {
        // SAFETY: AVX2 was detected at run time; the lengths are equal.
        unsafe { x86::copy(dst, src) };
        return;
    }
    dst.copy_from_slice(src);
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// The unaligned head: bytes before the first 32-byte boundary of `dst`.
    fn head(dst: &[u8]) -> usize {
        dst.as_ptr().align_offset(32).min(dst.len())
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn fill(dst: &mut [u8], v: u8) {
        let h = head(dst);
        let (edge, rest) = dst.split_at_mut(h);
        edge.fill(v);
        let n = rest.len() / 32;
        let x = _mm256_set1_epi8(v as i8);
        let p = rest.as_mut_ptr();
        for i in 0..n {
            // SAFETY: `p` is 32-byte aligned (after the head) and `i * 32 + 32 <= rest.len()`.
            unsafe { _mm256_stream_si256(p.add(i * 32).cast::<__m256i>(), x) };
        }
        _mm_sfence();
        rest[n * 32..].fill(v);
    }

    /// # Safety
    /// The CPU must support AVX2; `dst.len() == src.len()`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn copy(dst: &mut [u8], src: &[u8]) {
        let h = head(dst);
        let (edge, rest) = dst.split_at_mut(h);
        edge.copy_from_slice(&src[..h]);
        let src = &src[h..];
        let n = rest.len() / 128;
        let (p, q) = (rest.as_mut_ptr(), src.as_ptr());
        for i in 0..n {
            let o = i * 128;
            // SAFETY: `o + 128 <= rest.len() == src.len()`; loads are unaligned, stores go to
            // 32-byte aligned addresses (`p` is aligned after the head).
            unsafe {
                let a = _mm256_loadu_si256(q.add(o).cast());
                let b = _mm256_loadu_si256(q.add(o + 32).cast());
                let c = _mm256_loadu_si256(q.add(o + 64).cast());
                let d = _mm256_loadu_si256(q.add(o + 96).cast());
                _mm256_stream_si256(p.add(o).cast(), a);
                _mm256_stream_si256(p.add(o + 32).cast(), b);
                _mm256_stream_si256(p.add(o + 64).cast(), c);
                _mm256_stream_si256(p.add(o + 96).cast(), d);
            }
        }
        _mm_sfence();
        rest[n * 128..].copy_from_slice(&src[n * 128..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_and_copy_equal_the_safe_twins_at_every_alignment() {
        let src: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for len in [0, 1, 31, 4095, 4096, 4097, 5000, 8191, 12_345] {
            for off in 0..33 {
                let mut a = vec![0xAAu8; len + 80];
                let mut b = a.clone();
                fill(&mut a[off..off + len], 0x5C);
                b[off..off + len].fill(0x5C);
                assert_eq!(a, b, "fill len {len} off {off}");
                copy(&mut a[off..off + len], &src[7..7 + len]);
                b[off..off + len].copy_from_slice(&src[7..7 + len]);
                assert_eq!(a, b, "copy len {len} off {off}");
            }
        }
    }
}
