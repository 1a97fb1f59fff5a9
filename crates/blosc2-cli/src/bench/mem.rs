//! Peak resident memory of one operation (Linux): the kernel's high-water mark `VmHWM` of
//! `/proc/self/status`, reset before the operation by writing `5` to
//! `/proc/self/clear_refs` (Linux 4.0+), so that the peak of every timed operation is
//! measured in the same process. Before the reset, free heap memory is handed back to the
//! kernel (`malloc_trim`, glibc) so that memory freed by an earlier configuration and still
//! held by the allocator does not hide what the operation allocates.
//!
//! Elsewhere (or where `/proc` is not writable) nothing is measured and the records carry no
//! `memory` field; `ru_maxrss` (the process peak, which cannot be reset) is recorded at the
//! end of every data set instead.
// libc allocator tuning (malloc_trim, mallopt) and getrusage.
#![allow(unsafe_code)]

use serde::Serialize;

/// Peak resident memory of one operation (all its timed runs; the result of a run is
/// dropped before the next one starts).
#[derive(Debug, Clone, Serialize)]
pub struct OpPeak {
    /// Resident set just before the first run: the input, the pre-allocated output and
    /// whatever else the process holds.
    pub rss_before_bytes: u64,
    /// Highest resident set during the runs.
    pub peak_rss_bytes: u64,
    /// `peak_rss_bytes - rss_before_bytes`: what the operation added at its peak.
    pub extra_bytes: u64,
    /// What the operation may add: its output where it is not pre-allocated (the
    /// compressed chunks) plus one chunk per thread.
    pub budget_extra_bytes: u64,
    /// `extra_bytes <= budget_extra_bytes`.
    pub within_budget: bool,
}

/// A started measurement (see [`start`]).
pub struct Probe {
    before: u64,
}

/// `(VmRSS, VmHWM)` in bytes.
fn status() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = s.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line[name.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kib * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Hands free heap memory back to the kernel (glibc only; a no-op elsewhere).
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Lets the allocator keep freed memory for reuse (glibc only; a no-op elsewhere).
///
/// By default glibc gives the top of its heap back to the kernel as soon as more than a few
/// MiB of it are free, so a run that frees its output chunks and the next run that allocates
/// them again pay a page fault and a kernel page clearing per 4 KiB: about a third of the
/// time of compressing incompressible data. The reference process does not pay this (its
/// heap holds other objects above the freed buffers, so glibc cannot trim them). Raising
/// the trim threshold to 1 GiB and fixing the mmap threshold at 64 MiB makes both sides
/// reuse freed buffers; [`start`] still trims before each peak-memory measurement.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning parameters; its return code (0 on an
    // unsupported option) needs no handling.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
    }
}

/// Starts measuring: trims the heap and resets the high-water mark. `None` where the peak
/// cannot be reset.
pub fn start() -> Option<Probe> {
    trim_heap();
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    let (rss, _) = status()?;
    Some(Probe { before: rss })
}

impl Probe {
    /// Ends the measurement; `budget_extra` is what the operation may add.
    pub fn finish(self, budget_extra: u64) -> Option<OpPeak> {
        let (_, hwm) = status()?;
        let extra = hwm.saturating_sub(self.before);
        Some(OpPeak {
            rss_before_bytes: self.before,
            peak_rss_bytes: hwm,
            extra_bytes: extra,
            budget_extra_bytes: budget_extra,
            within_budget: extra <= budget_extra,
        })
    }
}

/// The process's peak resident set since it started (`getrusage(RUSAGE_SELF).ru_maxrss`),
/// in bytes.
#[cfg(unix)]
pub fn process_peak_rss_bytes() -> Option<u64> {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage; RUSAGE_SELF is a valid target.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    // Linux reports kilobytes, macOS bytes.
    let unit = if cfg!(target_os = "macos") { 1 } else { 1024 };
    (rc == 0).then(|| ru.ru_maxrss as u64 * unit)
}

/// The process's peak resident set: not measured on this platform.
#[cfg(not(unix))]
pub fn process_peak_rss_bytes() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_sees_an_allocation() {
        let Some(p) = start() else {
            // Only Linux can reset the peak; there a failure to do so is a failure of the
            // test, not a skip (the benchmark's memory records would be missing).
            if cfg!(target_os = "linux") {
                panic!("the peak cannot be reset (/proc/self/clear_refs not writable)");
            }
            return;
        };
        let v = vec![1u8; 32 << 20];
        std::hint::black_box(&v);
        let peak = p.finish(64 << 20).expect("status readable after start");
        drop(v);
        // Other test threads allocate too: only check the lower bound.
        assert!(peak.extra_bytes >= 24 << 20, "{peak:?}");
        assert!(peak.peak_rss_bytes >= peak.rss_before_bytes);
    }
}
