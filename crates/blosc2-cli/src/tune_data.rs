//! The five data sets of the Btune reference's measurements (`shared/spec/btune.md`,
//! section 13), generated here so that `blosc2 tune eval` and `tune oracle` can set our
//! tuner side by side with the reference's figures on the same kinds of data:
//!
//! | name | content |
//! |---|---|
//! | `smooth_f64` | float64: sin(x) + 0.5 sin(0.013x) + 0.25 cos(0.0007x), x evenly spaced over [0, 400π] |
//! | `noisy_f32` | float32: sin(x) + Gaussian noise of σ 0.05, x evenly spaced over [0, 400π] |
//! | `counters_i64` | int64: 10⁹ + cumulative sum of Poisson(3) increments |
//! | `sparse_cube_u8` | side³ uint8 (C order): 100,000 points, normal around the centre with σ = side / 10, values 1-5 added (saturating) |
//! | `random_u8` | uniform random bytes |
//!
//! The reference used 128 MiB of each in chunks of 512 KiB; the size here is the caller's
//! (`--mib`; the cube's side is the largest whose cube fits). Random numbers come from
//! splitmix64 in counter form (the benchmark data sets' [`sm64`]), so every data set is
//! the same bit for bit on every machine; the contents are those the spec describes, not
//! the reference's own bytes (it used NumPy's generators).

use crate::bench::datasets::{sm64, uniform};

/// Seeds, one per data set.
const SEED_NOISY: u64 = 0xB2B2_1001;
const SEED_COUNTERS: u64 = 0xB2B2_1002;
const SEED_CUBE: u64 = 0xB2B2_1003;
const SEED_RANDOM: u64 = 0xB2B2_1004;

/// The names, in the spec's order.
pub const NAMES: [&str; 5] = ["smooth_f64", "noisy_f32", "counters_i64", "sparse_cube_u8", "random_u8"];

/// Data set `name` of about `nbytes` bytes (a whole number of items) and its item size,
/// or `None` for another name.
pub fn make(name: &str, nbytes: usize) -> Option<(Vec<u8>, usize)> {
    Some(match name {
        "smooth_f64" => (smooth_f64(nbytes / 8), 8),
        "noisy_f32" => (noisy_f32(nbytes / 4), 4),
        "counters_i64" => (counters_i64(nbytes / 8), 8),
        "sparse_cube_u8" => (sparse_cube_u8(cube_side(nbytes)), 1),
        "random_u8" => (random_u8(nbytes), 1),
        _ => return None,
    })
}

/// x_i evenly spaced over [0, 400π], `n` of them.
fn x_at(i: usize, n: usize) -> f64 {
    let span = 400.0 * std::f64::consts::PI;
    if n < 2 {
        0.0
    } else {
        span * i as f64 / (n - 1) as f64
    }
}

fn smooth_f64(n: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| {
            let x = x_at(i, n);
            (x.sin() + 0.5 * (0.013 * x).sin() + 0.25 * (0.0007 * x).cos()).to_le_bytes()
        })
        .collect()
}

/// A standard normal deviate from outputs `2k` and `2k + 1` of `seed` (Box-Muller, the
/// cosine half).
fn normal(seed: u64, k: u64) -> f64 {
    let u1 = 1.0 - uniform(sm64(seed, 2 * k)); // in (0, 1]
    let u2 = uniform(sm64(seed, 2 * k + 1));
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn noisy_f32(n: usize) -> Vec<u8> {
    (0..n).flat_map(|i| ((x_at(i, n).sin() + 0.05 * normal(SEED_NOISY, i as u64)) as f32).to_le_bytes()).collect()
}

fn counters_i64(n: usize) -> Vec<u8> {
    // Poisson(3) by Knuth's product of uniforms, its draws taken in order from one stream.
    let limit = (-3.0f64).exp();
    let mut j = 0u64;
    let mut v: i64 = 1_000_000_000;
    let mut out = Vec::with_capacity(n * 8);
    for _ in 0..n {
        let (mut k, mut p) = (0i64, 1.0f64);
        loop {
            p *= uniform(sm64(SEED_COUNTERS, j));
            j += 1;
            if p <= limit {
                break;
            }
            k += 1;
        }
        v += k;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// The largest side whose cube of bytes fits in `nbytes` (at least 1).
fn cube_side(nbytes: usize) -> usize {
    let mut s = (nbytes as f64).cbrt() as usize;
    while (s + 1).pow(3) <= nbytes {
        s += 1;
    }
    while s > 1 && s.pow(3) > nbytes {
        s -= 1;
    }
    s.max(1)
}

fn sparse_cube_u8(side: usize) -> Vec<u8> {
    let mut cube = vec![0u8; side * side * side];
    let (centre, sigma) = (side as f64 / 2.0, side as f64 / 10.0);
    for p in 0..100_000u64 {
        let at: Vec<Option<usize>> = (0..3)
            .map(|d| {
                let v = (centre + sigma * normal(SEED_CUBE, 4 * p + d)).floor();
                (v >= 0.0 && v < side as f64).then_some(v as usize)
            })
            .collect();
        if let [Some(z), Some(y), Some(x)] = at[..] {
            let value = 1 + (sm64(SEED_CUBE ^ 0x5555, p) % 5) as u8;
            let c = &mut cube[(z * side + y) * side + x];
            *c = c.saturating_add(value);
        }
    }
    cube
}

fn random_u8(nbytes: usize) -> Vec<u8> {
    let mut out: Vec<u8> = (0..nbytes.div_ceil(8) as u64).flat_map(|j| sm64(SEED_RANDOM, j).to_le_bytes()).collect();
    out.truncate(nbytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64s(b: &[u8]) -> Vec<f64> {
        b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
    }

    #[test]
    fn data_sets_have_the_spec_contents() {
        let n = 1 << 20;
        for name in NAMES {
            let (a, ts) = make(name, n).unwrap();
            let (b, _) = make(name, n).unwrap();
            assert_eq!(a, b, "{name} is deterministic");
            assert_eq!(a.len() % ts, 0);
            assert!(a.len() <= n && a.len() > n / 2, "{name}: {} bytes", a.len());
        }
        assert!(make("nothing", n).is_none());
        // smooth: the formula at both ends.
        let s = f64s(&make("smooth_f64", 8000).unwrap().0);
        assert_eq!(s[0], 0.5 * 0.0f64.sin() + 0.25);
        let x = 400.0 * std::f64::consts::PI;
        assert_eq!(s[999], x.sin() + 0.5 * (0.013 * x).sin() + 0.25 * (0.0007 * x).cos());
        // noisy: sin(x) plus noise of about 0.05.
        let (b, _) = make("noisy_f32", 400_000).unwrap();
        let v: Vec<f32> = b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        let m = v.len();
        let var = v.iter().enumerate().map(|(i, &y)| (y as f64 - x_at(i, m).sin()).powi(2)).sum::<f64>() / m as f64;
        assert!((var.sqrt() - 0.05).abs() < 0.002, "sigma {}", var.sqrt());
        // counters: from 10^9, increments of mean 3.
        let (b, _) = make("counters_i64", 800_000).unwrap();
        let c: Vec<i64> = b.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect();
        assert!(c.windows(2).all(|w| w[1] >= w[0]) && c[0] >= 1_000_000_000);
        let mean = (c[c.len() - 1] - c[0]) as f64 / (c.len() - 1) as f64;
        assert!((mean - 3.0).abs() < 0.05, "mean increment {mean}");
        // the cube: mostly empty, values where points fell, more near the centre.
        let (cube, _) = make("sparse_cube_u8", 128 << 20).unwrap();
        assert_eq!(cube.len(), 512 * 512 * 512);
        let nonzero = cube.iter().filter(|&&v| v > 0).count();
        assert!(nonzero > 50_000 && nonzero <= 100_000, "{nonzero} cells");
        let total: u64 = cube.iter().map(|&v| u64::from(v)).sum();
        assert!((250_000..=320_000).contains(&total), "sum {total}");
        assert_eq!(cube_side(1000), 10);
        assert_eq!(cube_side(999), 9);
        assert_eq!(cube_side(0), 1);
    }
}
