//! Large zeroed buffers for results (a decompressed chunk, a super-chunk's bytes, an array
//! box) and for the compressor's working areas.
//!
//! A fresh buffer's pages are materialised by the kernel on first write, one fault per page.
//! With 4 KiB pages, a 1 GiB result costs 262,144 faults, about 0.3 s on a 2-core VM: as much
//! as decompressing the data. Linux can back such a buffer with 2 MiB transparent huge pages
//! (512 times fewer faults, fewer TLB misses), but where the system setting is `madvise` (the
//! usual default) only for memory that asks. [`zeroed`] asks for buffers of
//! [`HUGE_PAGE_MIN`] bytes or more, as numpy does for its arrays; elsewhere, or when the
//! request is refused, the buffer is an ordinary zeroed `Vec`.

/// Buffers from this size on ask for transparent huge pages (numpy's threshold).
pub const HUGE_PAGE_MIN: usize = 4 << 20;

/// A zeroed buffer of `n` bytes; from [`HUGE_PAGE_MIN`] on, backed by transparent huge pages
/// where the system grants them. The contents are the same as `vec![0u8; n]`.
pub fn zeroed(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    if n >= HUGE_PAGE_MIN {
        advise_huge_pages(&mut v);
    }
    v
}

/// Asks the kernel to back the whole pages inside `buf` with huge pages. Advice only: the
/// contents and validity of the memory do not change, and a refusal is ignored.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn advise_huge_pages(buf: &mut [u8]) {
    let page = page_size();
    let at = buf.as_mut_ptr() as usize;
    let (Some(start), Some(end)) = (at.checked_next_multiple_of(page), at.checked_add(buf.len())) else {
        return;
    };
    let end = end / page * page;
    if end > start {
        // SAFETY: `start..end` lies inside `buf` (rounded inwards to whole pages), which this
        // function borrows mutably, so no other code uses it meanwhile. MADV_HUGEPAGE only
        // changes how the kernel backs those pages (contents stay zero, the mapping stays
        // valid); an error (huge pages disabled, old kernel) leaves everything as it was.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_buf: &mut [u8]) {}

/// The system's page size (4 KiB when it cannot be read).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn page_size() -> usize {
    static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf reads a system constant; it has no preconditions.
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(n).ok().filter(|&n| n.is_power_of_two()).unwrap_or(4096)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_zeroed_and_sized_on_both_sides_of_the_threshold() {
        for n in [0, 1, 4095, HUGE_PAGE_MIN - 1, HUGE_PAGE_MIN, HUGE_PAGE_MIN + 12_345] {
            let mut v = zeroed(n);
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|&b| b == 0), "{n} bytes");
            // Writable end to end.
            for (i, b) in v.iter_mut().enumerate().step_by(4093) {
                *b = i as u8;
            }
            if let Some(last) = v.last_mut() {
                *last = 7;
                assert_eq!(v[n - 1], 7);
            }
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_page_size_is_a_power_of_two() {
        assert!(page_size().is_power_of_two());
        assert!(page_size() >= 4096);
    }
}
