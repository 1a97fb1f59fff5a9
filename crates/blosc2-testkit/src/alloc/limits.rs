//! Process-wide memory bounds for the corruption suites, on top of the counting allocator
//! of [`super`] (which sees Rust allocations only, not what libzstd, liblz4 or zlib-ng
//! allocate with `malloc`): a test runs its body in a child process of this test binary, under an
//! address-space limit (`ulimit -v`), and the child's peak virtual size and peak resident
//! set (`VmPeak`, `VmHWM` of `/proc/self/status`) must stay within bounds above what the
//! child held when the test started.
//!
//! ```ignore
//! use blosc2_testkit::alloc::limits;
//!
//! #[test]
//! fn a_corpus() {
//!     if limits::ran_in_child("a_corpus") {
//!         return; // the parent: the child ran the body below and was checked
//!     }
//!     // ... the corpus ...
//!     limits::report();
//! }
//! ```
//!
//! Linux only (`/proc`, `ulimit -v`); elsewhere the body runs in the test process with the
//! counting allocator's bounds alone.

use std::process::Command;

/// Set in the child's environment.
const CHILD_VAR: &str = "B2_LIMITED_CHILD";

/// The child's address-space limit: a runaway allocation fails (a Rust one aborts the
/// child) instead of exhausting the machine.
pub const ADDRESS_SPACE_LIMIT: u64 = 4 << 30;

/// How much the peak resident set may exceed the resident set at the start: the counting
/// allocator's bound for one input (64 MiB plus the 16 MiB a chunk may justify), the
/// input, and room for the allocator's free lists. (The corpora of this repository peak
/// at 1-18 MiB.)
pub const RSS_BOUND: u64 = 128 << 20;

/// How much the peak virtual size may exceed the virtual size at the start: the resident
/// bound plus the address space glibc reserves for an arena per thread (64 MiB each) and
/// thread stacks. (The corpora of this repository peak at 63-135 MiB.)
pub const VM_BOUND: u64 = 384 << 20;

/// `(VmSize, VmRSS, VmPeak, VmHWM)` of this process in bytes.
fn status() -> [u64; 4] {
    let s = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    ["VmSize:", "VmRSS:", "VmPeak:", "VmHWM:"].map(|name| {
        let line = s.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no {name} in /proc/self/status"));
        let kib: u64 = line[name.len()..].trim().trim_end_matches("kB").trim().parse().unwrap();
        kib << 10
    })
}

/// In the parent (outside a child started here, on Linux): runs test `name` of this binary
/// in a child under the limit, checks its peaks and returns `true`. In the child, or on
/// other systems: returns `false` after noting where the process stands, and the caller
/// runs the test's body and then calls [`report`].
pub fn ran_in_child(name: &str) -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    if std::env::var_os(CHILD_VAR).is_some() {
        let [size, rss, _, _] = status();
        println!("limits-start {size} {rss}");
        return false;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("sh")
        .args(["-c", "ulimit -v \"$0\" && exec \"$@\""])
        .arg((ADDRESS_SPACE_LIMIT >> 10).to_string())
        .arg(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_VAR, "1")
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed in its child process (address space limited to {} MiB): {}\n{stdout}\n{stderr}",
        ADDRESS_SPACE_LIMIT >> 20,
        out.status
    );
    let numbers = |tag: &str| -> Vec<u64> {
        let line = stdout
            .lines()
            .find_map(|l| l.split_once(tag).map(|(_, rest)| rest))
            .unwrap_or_else(|| panic!("{name}: the child printed no {tag:?} line:\n{stdout}"));
        line.split_whitespace().map(|w| w.parse().unwrap()).collect()
    };
    let start = numbers("limits-start ");
    let end = numbers("limits-peak ");
    let (vm, rss) = (end[0].saturating_sub(start[0]), end[1].saturating_sub(start[1]));
    eprintln!("{name}: peak virtual size {} MiB, peak resident set {} MiB above the start", vm >> 20, rss >> 20);
    assert!(rss <= RSS_BOUND, "{name}: peak resident set {rss} bytes above the start, bound {RSS_BOUND}");
    assert!(vm <= VM_BOUND, "{name}: peak virtual size {vm} bytes above the start, bound {VM_BOUND}");
    true
}

/// In the child, at the end of the test's body: prints the peaks for the parent.
pub fn report() {
    if std::env::var_os(CHILD_VAR).is_some() {
        let [_, _, peak, hwm] = status();
        println!("limits-peak {peak} {hwm}");
    }
}
