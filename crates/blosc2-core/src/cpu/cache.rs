//! The CPU data-cache sizes, as python-blosc2 reads them (the automatic chunk and block
//! shapes of b2nd arrays depend on them).

use std::sync::OnceLock;

/// CPU data-cache sizes in bytes, as python-blosc2 sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSizes {
    /// L1 data cache.
    pub l1: u64,
    /// L2 cache.
    pub l2: u64,
    /// L3 cache.
    pub l3: u64,
    /// Which rule sets the minimum block size.
    pub arch: Arch,
}

/// The platform rule for the minimum block size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// x86-64: `L2 / 4`, or `4 * L1` when `L2 >= 2 MiB`.
    X86_64,
    /// Apple ARM: `L1` (and chunks at least `L2`).
    AppleArm,
    /// Anything else: `L1`.
    Other,
}

impl Default for CacheSizes {
    /// python-blosc2's fallback values (32 KiB, 256 KiB, 1 MiB) for this platform.
    fn default() -> CacheSizes {
        let arch = if cfg!(target_arch = "x86_64") {
            Arch::X86_64
        } else if cfg!(all(target_os = "macos", target_arch = "aarch64")) {
            Arch::AppleArm
        } else {
            Arch::Other
        };
        CacheSizes { l1: 32 << 10, l2: 256 << 10, l3: 1 << 20, arch }
    }
}

impl CacheSizes {
    /// The sizes of this machine, read as python-blosc2 reads them (Linux:
    /// `/sys/devices/system/cpu/cpu0/cache/index{0,2,3}/size`); the defaults elsewhere or
    /// when a file is missing. Computed once.
    pub fn detect() -> CacheSizes {
        static CACHE: OnceLock<CacheSizes> = OnceLock::new();
        *CACHE.get_or_init(|| {
            let mut c = CacheSizes::default();
            if cfg!(target_os = "linux") {
                let read = |i: u32| -> Option<u64> {
                    let s =
                        std::fs::read_to_string(format!("/sys/devices/system/cpu/cpu0/cache/index{i}/size")).ok()?;
                    parse_size(&s)
                };
                if let Some(v) = read(0) {
                    c.l1 = v;
                }
                if let Some(v) = read(2) {
                    c.l2 = v;
                }
                if let Some(v) = read(3) {
                    c.l3 = v;
                }
            }
            c
        })
    }
}

/// A sysfs cache size (`"32K\n"`, `"1M\n"`, `"2G\n"`) in bytes; `None` for anything else.
fn parse_size(s: &str) -> Option<u64> {
    let s = s.strip_suffix('\n')?;
    let (num, mul) = match s.as_bytes().last()? {
        b'K' => (&s[..s.len() - 1], 1u64 << 10),
        b'M' => (&s[..s.len() - 1], 1 << 20),
        b'G' => (&s[..s.len() - 1], 1 << 30),
        _ => return None,
    };
    num.parse::<u64>().ok().map(|n| n * mul)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysfs_sizes() {
        assert_eq!(parse_size("32K\n"), Some(32 << 10));
        assert_eq!(parse_size("1M\n"), Some(1 << 20));
        assert_eq!(parse_size("2G\n"), Some(2 << 30));
        assert_eq!(parse_size("32K"), None);
        assert_eq!(parse_size("512\n"), None);
        assert_eq!(parse_size("xK\n"), None);
        assert_eq!(parse_size(""), None);
    }

    #[test]
    fn detected_sizes_are_the_defaults_or_the_machine() {
        let (d, c) = (CacheSizes::default(), CacheSizes::detect());
        assert_eq!(c.arch, d.arch);
        assert!(c.l1 > 0 && c.l2 > 0 && c.l3 > 0);
        assert_eq!(CacheSizes::detect(), c, "computed once");
    }
}
