//! Deterministic test data: splitmix64 (counter form, WORKLOADS.md section 1), Marsaglia's
//! xorshift generators, and the byte sequences built on them.
//!
//! Every function gives the same output for the same arguments on every platform, and the
//! outputs must never change: tests compare them against values python-blosc2 computed
//! from the same recipes (`testdata/compat`, the interop scripts) and against recorded
//! results.

/// The splitmix64 increment (the golden ratio in 64 bits).
pub const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The splitmix64 output for state `x`: the state advanced by [`GAMMA`], then mixed.
/// Equals `sm64(x, 0)`.
pub fn mix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// splitmix64 output `j` (0-based) for `seed` (WORKLOADS.md section 1, counter form).
pub fn sm64(seed: u64, j: u64) -> u64 {
    let mut z = seed.wrapping_add((j + 1).wrapping_mul(GAMMA));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n` pseudo-random bytes: the splitmix64 words of `seed`, little-endian, cut to `n`.
pub fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    (0..n.div_ceil(8) as u64).flat_map(|j| sm64(seed, j).to_le_bytes()).take(n).collect()
}

/// Bytes of the float64 sequence i/3 + (i mod 17), cut to `n` bytes.
pub fn smooth_bytes(n: usize) -> Vec<u8> {
    (0..n.div_ceil(8)).flat_map(|i| (i as f64 / 3.0 + (i % 17) as f64).to_le_bytes()).take(n).collect()
}

/// Float32 values with a slow trend and some noise (compressible, not trivially), cut to
/// `n_bytes` bytes: sin(i / 1000) plus xorshift noise below 0.001.
pub fn noisy_f32_bytes(n_bytes: usize) -> Vec<u8> {
    let mut rng = XorShift64(GAMMA);
    (0..n_bytes.div_ceil(4))
        .flat_map(|i| {
            let x = rng.next_u64();
            ((i as f32 * 0.001).sin() + (x % 1000) as f32 * 1e-6).to_le_bytes()
        })
        .take(n_bytes)
        .collect()
}

/// A source of pseudo-random words, with the two draws the tests make of them.
pub trait Rand {
    /// The next word.
    fn next_u64(&mut self) -> u64;

    /// A number below `n` (the next word modulo `n`; `n` must not be 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One of `items`, chosen by [`below`](Rand::below).
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// splitmix64 over a counter: each word advances the counter and returns
/// `sm64(seed, counter)`, so the first word is `sm64(seed, counter + 1)`.
#[derive(Debug, Clone)]
pub struct Sm64Stream {
    /// The splitmix64 seed.
    pub seed: u64,
    /// The index of the last word returned.
    pub counter: u64,
}

impl Sm64Stream {
    /// The words `sm64(seed, counter + 1)`, `sm64(seed, counter + 2)`, ...
    pub fn new(seed: u64, counter: u64) -> Sm64Stream {
        Sm64Stream { seed, counter }
    }
}

impl Rand for Sm64Stream {
    fn next_u64(&mut self) -> u64 {
        self.counter += 1;
        sm64(self.seed, self.counter)
    }
}

/// Marsaglia's xorshift64 (shifts 13, 7, 17) on the state it holds; the state must not be
/// 0 (it would stay 0).
#[derive(Debug, Clone)]
pub struct XorShift64(pub u64);

impl XorShift64 {
    /// A generator for any `seed`, 0 included: the state `seed * GAMMA | 1`.
    pub fn new(seed: u64) -> XorShift64 {
        XorShift64(seed.wrapping_mul(GAMMA) | 1)
    }

    /// `n` bytes: the low byte of each of the next `n` words.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

impl Rand for XorShift64 {
    /// The state advanced by one step, which is also the word returned.
    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// Marsaglia's xorshift64* (shifts 12, 25, 27, then a multiplication) on the state it
/// holds; the state must not be 0.
#[derive(Debug, Clone)]
pub struct XorShift64Star(pub u64);

impl Rand for XorShift64Star {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Marsaglia's 32-bit xorshift (shifts 13, 17, 5): `n` bytes, the low byte of each word,
/// from the state `seed | 1`.
pub fn xorshift32_bytes(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! The values below were recorded from the generators as the tests wrote them before
    //! they moved here: they must not change.

    use super::*;

    /// FNV-1a, to compare long outputs with one recorded number.
    fn fnv(b: &[u8]) -> u64 {
        b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3))
    }

    #[test]
    fn splitmix64_keeps_its_values() {
        // The published test vector of splitmix64 seeded with 0.
        assert_eq!(sm64(0, 0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(sm64(0, 1), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(sm64(42, 7), 0xccf6_35ee_9e9e_2fa4);
        assert_eq!(sm64(u64::MAX, 1000), 0xb758_f714_4a7e_200a);
        assert_eq!(mix64(12345), 0x2211_8258_a9d1_11a0);
        for x in [0, 1, 12345, u64::MAX] {
            assert_eq!(mix64(x), sm64(x, 0));
        }
        let mut s = Sm64Stream::new(9, 0);
        assert_eq!([s.next_u64(), s.next_u64()], [sm64(9, 1), sm64(9, 2)]);
    }

    #[test]
    fn byte_sequences_keep_their_values() {
        assert_eq!(random_bytes(13, 5), [90, 195, 137, 163, 12, 59, 3, 99, 248, 54, 151, 147, 77]);
        assert_eq!(fnv(&random_bytes(1_000_003, 42)), 0xc86c_6e61_03f8_b74d);
        assert_eq!(smooth_bytes(20), [0, 0, 0, 0, 0, 0, 0, 0, 85, 85, 85, 85, 85, 85, 245, 63, 85, 85, 85, 85]);
        assert_eq!(fnv(&smooth_bytes(150_001)), 0xe9c5_1a4d_c74a_88a8);
        assert_eq!(fnv(&noisy_f32_bytes(3 * 65_536 + 1234)), 0xf290_dfd8_689e_9498);
        assert_eq!(fnv(&XorShift64::new(3).bytes(10_007)), 0xcd7b_4ee6_fd7e_7e23);
        assert_eq!(fnv(&xorshift32_bytes(5000, 7)), 0xea6c_4542_2d77_d0d5);
        let mut star = XorShift64Star(0x1234);
        let words: Vec<u8> = (0..1000).flat_map(|_| star.next_u64().to_le_bytes()).collect();
        assert_eq!(fnv(&words), 0x14fd_cce7_c104_214a);
    }

    #[test]
    fn draws_stay_in_range() {
        let mut r = XorShift64::new(0);
        for n in 1..100 {
            assert!(r.below(n) < n);
        }
        assert!([3, 5, 7].contains(&r.pick(&[3, 5, 7])));
    }
}
