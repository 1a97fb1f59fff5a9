//! The CPU this process runs on: instruction-set features detected at run time (once), the
//! `BLOSC2_FORCE_SCALAR` override, and the data-cache sizes.
//!
//! Everything in the library that depends on the CPU asks here: SHUFFLE and BITSHUFFLE take
//! the kernel table of [`isa`], BYTEDELTA's baseline SIMD and the streaming stores of
//! [`crate::streaming`] look at [`force_scalar`] and [`enabled`], and the automatic array
//! shapes of `blosc2-nd` start from [`CacheSizes`]. This module uses nothing else of the
//! crate, and holds no `unsafe`.
//!
//! One binary runs on any x86-64 (SSE2 is part of the baseline) and any aarch64 (so is
//! NEON): the AVX2 kernels are compiled with `#[target_feature(enable = "avx2")]` and reached
//! only on a CPU that [`detected`] says has AVX2.
//!
//! ```
//! use blosc2_core::cpu::{self, Isa};
//!
//! assert_eq!(cpu::isas()[0], Isa::Scalar);
//! assert!(cpu::isas().contains(&cpu::isa()));
//! ```

use std::sync::OnceLock;

mod cache;

pub use cache::{Arch, CacheSizes};

/// The instruction-set extensions the library has SIMD code for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Features {
    /// SSE2 (x86-64, where it is always present).
    pub sse2: bool,
    /// AVX2 (x86-64).
    pub avx2: bool,
    /// NEON, or Advanced SIMD (aarch64, where it is always present).
    pub neon: bool,
}

impl Features {
    /// No extension: what the library uses under `BLOSC2_FORCE_SCALAR=1`, and on other
    /// architectures.
    pub const NONE: Features = Features { sse2: false, avx2: false, neon: false };

    /// Asks the CPU (every time; [`detected`] keeps the answer).
    fn detect() -> Features {
        #[cfg(target_arch = "x86_64")]
        {
            Features { sse2: true, avx2: std::arch::is_x86_feature_detected!("avx2"), neon: false }
        }
        #[cfg(target_arch = "aarch64")]
        {
            Features { neon: std::arch::is_aarch64_feature_detected!("neon"), ..Features::NONE }
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            Features::NONE
        }
    }
}

/// What this CPU has, detected on first use. Ignores `BLOSC2_FORCE_SCALAR` (see [`enabled`]).
pub fn detected() -> Features {
    static DETECTED: OnceLock<Features> = OnceLock::new();
    *DETECTED.get_or_init(Features::detect)
}

/// What the library's SIMD code may use: [`detected`], or [`Features::NONE`] when
/// `BLOSC2_FORCE_SCALAR=1` (see [`force_scalar`]). Decided once.
pub fn enabled() -> Features {
    static ENABLED: OnceLock<Features> = OnceLock::new();
    *ENABLED.get_or_init(|| if force_scalar() { Features::NONE } else { detected() })
}

/// Whether `BLOSC2_FORCE_SCALAR=1` was set when first asked (read once). When set, every
/// filter uses its scalar code and large outputs are written with plain stores: a switch to
/// rule the SIMD code in or out when chasing a problem.
pub fn force_scalar() -> bool {
    static FORCE: OnceLock<bool> = OnceLock::new();
    *FORCE.get_or_init(|| std::env::var_os("BLOSC2_FORCE_SCALAR").is_some_and(|v| v == "1"))
}

/// An instruction set the filters have a kernel table for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    /// The portable code, the reference the others are tested against.
    Scalar,
    /// SSE2 (x86-64).
    Sse2,
    /// AVX2 (x86-64).
    Avx2,
    /// NEON (aarch64).
    Neon,
}

impl Isa {
    /// The name the kernel tables carry: `"scalar"`, `"sse2"`, `"avx2"`, `"neon"`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Sse2 => "sse2",
            Isa::Avx2 => "avx2",
            Isa::Neon => "neon",
        }
    }

    /// The instruction sets `f` allows, slowest first; the first is [`Isa::Scalar`].
    fn allowed_by(f: Features) -> Vec<Isa> {
        let mut v = vec![Isa::Scalar];
        if cfg!(target_arch = "x86_64") && f.sse2 {
            v.push(Isa::Sse2);
            if f.avx2 {
                v.push(Isa::Avx2);
            }
        }
        if cfg!(target_arch = "aarch64") && f.neon {
            v.push(Isa::Neon);
        }
        v
    }
}

/// Every instruction set this CPU can run, slowest first; the first is [`Isa::Scalar`].
/// Ignores `BLOSC2_FORCE_SCALAR`: meant for tests and benchmarks that compare the kernel
/// tables.
pub fn isas() -> &'static [Isa] {
    static ISAS: OnceLock<Vec<Isa>> = OnceLock::new();
    ISAS.get_or_init(|| Isa::allowed_by(detected()))
}

/// The instruction set the filters use: the fastest of [`isas`], or [`Isa::Scalar`] when
/// `BLOSC2_FORCE_SCALAR=1`. Decided once.
pub fn isa() -> Isa {
    static ISA: OnceLock<Isa> = OnceLock::new();
    *ISA.get_or_init(|| Isa::allowed_by(enabled()).pop().unwrap_or(Isa::Scalar))
}

/// One table (of kernels, `K`) per instruction set, as SHUFFLE and BITSHUFFLE have them: the
/// table for an [`Isa`], the one the library uses, and those this CPU can run.
pub(crate) struct IsaTables<K: 'static> {
    pub(crate) scalar: &'static K,
    #[cfg(target_arch = "x86_64")]
    pub(crate) sse2: &'static K,
    #[cfg(target_arch = "x86_64")]
    pub(crate) avx2: &'static K,
    #[cfg(target_arch = "aarch64")]
    pub(crate) neon: &'static K,
    /// The table of [`isa`], chosen on first use.
    pub(crate) chosen: OnceLock<&'static K>,
}

impl<K> IsaTables<K> {
    /// The table for `isa`, or the scalar one when this CPU cannot run `isa` (it is not in
    /// [`isas`]): the SIMD tables run instructions the CPU must have.
    pub(crate) fn table(&self, isa: Isa) -> &'static K {
        if !isas().contains(&isa) {
            return self.scalar;
        }
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Sse2 => self.sse2,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => self.avx2,
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => self.neon,
            _ => self.scalar,
        }
    }

    /// The table of [`isa`], the fastest this CPU has (scalar when
    /// `BLOSC2_FORCE_SCALAR=1`). Chosen once.
    pub(crate) fn chosen(&self) -> &'static K {
        self.chosen.get_or_init(|| self.table(isa()))
    }

    /// Every table this CPU can run ([`isas`]), from the scalar one to the fastest.
    pub(crate) fn available(&self) -> Vec<&'static K> {
        isas().iter().map(|&isa| self.table(isa)).collect()
    }
}

/// The kernel dispatch of a filter module with one [`IsaTables`] of `$Kernels`: its `TABLES`,
/// `table(isa)` (for the module's tests), `kernels()` (the table the library uses),
/// `available()` (every table this CPU can run), and one public function per listed kernel
/// method, `name(s, src, dst)`, that runs the method of `kernels()`, with the doc comment
/// given here. SHUFFLE and BITSHUFFLE have the same dispatch and the same method signature.
macro_rules! isa_dispatch {
    (
        $Kernels:ty {
            scalar: $scalar:expr,
            x86_64: [$sse2:expr, $avx2:expr],
            aarch64: [$neon:expr] $(,)?
        }
        $( $(#[$doc:meta])* pub fn $name:ident; )*
    ) => {
        /// The kernel tables of each instruction set.
        static TABLES: $crate::cpu::IsaTables<$Kernels> = $crate::cpu::IsaTables {
            scalar: $scalar,
            #[cfg(target_arch = "x86_64")]
            sse2: $sse2,
            #[cfg(target_arch = "x86_64")]
            avx2: $avx2,
            #[cfg(target_arch = "aarch64")]
            neon: $neon,
            chosen: std::sync::OnceLock::new(),
        };

        /// The kernel table for `isa`, or the scalar one when this CPU cannot run `isa` (it
        /// is not in [`crate::cpu::isas`]): the SIMD tables run instructions the CPU must have.
        #[cfg(test)]
        pub(super) fn table(isa: $crate::cpu::Isa) -> &'static $Kernels {
            TABLES.table(isa)
        }

        /// The kernels the library uses: those of [`crate::cpu::isa`], the fastest this CPU
        /// has (scalar when `BLOSC2_FORCE_SCALAR=1`). Chosen once.
        pub fn kernels() -> &'static $Kernels {
            TABLES.chosen()
        }

        /// Every kernel table this CPU can run ([`crate::cpu::isas`]), from the scalar one to
        /// the fastest (ignores `BLOSC2_FORCE_SCALAR`; meant for tests and benchmarks).
        pub fn available() -> Vec<&'static $Kernels> {
            TABLES.available()
        }

        $(
            $(#[$doc])*
            pub fn $name(s: usize, src: &[u8], dst: &mut [u8]) {
                kernels().$name(s, src, dst);
            }
        )*
    };
}
pub(crate) use isa_dispatch;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_override_turns_everything_off() {
        if force_scalar() {
            assert_eq!(enabled(), Features::NONE);
            assert_eq!(isa(), Isa::Scalar);
        } else {
            assert_eq!(enabled(), detected());
            assert_eq!(Some(&isa()), isas().last());
        }
    }

    #[test]
    fn isas_follow_the_features() {
        assert_eq!(isas()[0], Isa::Scalar);
        assert!(isas().contains(&isa()));
        assert_eq!(Isa::allowed_by(Features::NONE), [Isa::Scalar]);
        let all = Features { sse2: true, avx2: true, neon: true };
        #[cfg(target_arch = "x86_64")]
        {
            assert!(detected().sse2, "SSE2 is part of the x86-64 baseline");
            assert_eq!(Isa::allowed_by(all), [Isa::Scalar, Isa::Sse2, Isa::Avx2]);
            assert_eq!(Isa::allowed_by(Features { avx2: false, ..all }), [Isa::Scalar, Isa::Sse2]);
            assert_eq!(isas().contains(&Isa::Avx2), std::arch::is_x86_feature_detected!("avx2"));
        }
        #[cfg(target_arch = "aarch64")]
        assert_eq!(Isa::allowed_by(all), [Isa::Scalar, Isa::Neon]);
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        assert_eq!(Isa::allowed_by(all), [Isa::Scalar]);
    }
}
