//! Synthetic data the default model is trained on: small generators of the kinds of data
//! people compress (random walks, sorted integers, sparse counts, noisy sines, images,
//! text-like bytes, repeated records, noise, evenly spaced coordinates, counters, smooth
//! fields on grids, sparse cubes of counts, bytes of a few entropies, a catalogue's columns),
//! each in a few dtypes and parameters. None is one of `shared/bench/WORKLOADS.md`'s data
//! sets or the Milky Way star table, which measure the model (their kinds are among these:
//! a ramp, a counter, a smooth field, a sparse cube, random bytes; identifiers sorted by
//! spatial cell, coordinates grouped by cell, magnitudes; their generators, parameters and
//! sizes are not).

/// One generated chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Generator, dtype and variant, e.g. `walk_f64_s3`.
    pub name: String,
    /// Item size.
    pub typesize: usize,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// A seeded generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// About normal (sum of four uniforms, centred, unit variance).
    fn gauss(&mut self) -> f64 {
        ((0..4).map(|_| self.unit()).sum::<f64>() - 2.0) * 3f64.sqrt()
    }
}

/// Number of generator kinds ([`generate`]'s `kind` ranges over `0..KINDS`).
pub const KINDS: usize = 24;

fn f64s(v: impl Iterator<Item = f64>) -> Vec<u8> {
    v.flat_map(f64::to_le_bytes).collect()
}

fn f32s(v: impl Iterator<Item = f64>) -> Vec<u8> {
    v.flat_map(|x| (x as f32).to_le_bytes()).collect()
}

/// Generator `kind` (mod [`KINDS`]) with variant `variant`, about `nbytes` bytes, from
/// `seed`.
pub fn generate(kind: usize, variant: usize, nbytes: usize, seed: u64) -> Sample {
    let mut r = Rng::new(seed ^ ((kind as u64) << 32) ^ (variant as u64));
    let v = variant % 4;
    let scale = [0.001, 0.1, 1.0, 100.0][v];
    let (name, typesize, bytes) = match kind % KINDS {
        0 => {
            let mut x = r.gauss() * 100.0;
            let n = nbytes / 8;
            (
                "walk_f64",
                8,
                f64s((0..n).map(|_| {
                    x += r.gauss() * scale;
                    x
                })),
            )
        }
        1 => {
            let mut x = 0.0;
            let n = nbytes / 4;
            (
                "walk_f32",
                4,
                f32s((0..n).map(|_| {
                    x += r.gauss() * scale;
                    x
                })),
            )
        }
        2 => {
            let n = nbytes / 8;
            let f = 1e-4 * (1 + v * 7) as f64;
            let noise = [0.0, 1e-6, 1e-3, 0.1][v];
            ("sine_f64", 8, f64s((0..n).map(|i| (i as f64 * f).sin() * 10.0 + r.gauss() * noise)))
        }
        3 => {
            let n = nbytes / 4;
            let f = 1e-3 * (1 + v * 5) as f64;
            let noise = [0.0, 1e-4, 1e-2, 0.5][v];
            ("sine_f32", 4, f32s((0..n).map(|i| (i as f64 * f).sin() + r.gauss() * noise)))
        }
        4 => {
            let n = nbytes / 4;
            let step = [2u64, 16, 1000, 1 << 20][v];
            let mut x: u32 = (r.next() % 1000) as u32;
            (
                "sorted_i32",
                4,
                (0..n)
                    .flat_map(|_| {
                        x = x.wrapping_add((r.next() % step) as u32);
                        x.to_le_bytes()
                    })
                    .collect(),
            )
        }
        5 => {
            let n = nbytes / 8;
            let step = [3u64, 100, 1 << 16, 1 << 32][v];
            let mut x: u64 = r.next() >> 20;
            (
                "sorted_i64",
                8,
                (0..n)
                    .flat_map(|_| {
                        x = x.wrapping_add(r.next() % step);
                        x.to_le_bytes()
                    })
                    .collect(),
            )
        }
        6 => {
            let n = nbytes / 4;
            let p = [0.001, 0.01, 0.1, 0.5][v];
            (
                "sparse_i32",
                4,
                (0..n)
                    .flat_map(|_| {
                        let c = if r.unit() < p { (r.gauss().abs() * 20.0) as u32 + 1 } else { 0 };
                        c.to_le_bytes()
                    })
                    .collect(),
            )
        }
        7 => {
            let n = nbytes / 2;
            let p = [0.02, 0.2, 0.6, 0.95][v];
            (
                "counts_u16",
                2,
                (0..n)
                    .flat_map(|_| {
                        let c = if r.unit() < p { (r.unit() * r.unit() * 300.0) as u16 } else { 0 };
                        c.to_le_bytes()
                    })
                    .collect(),
            )
        }
        8 => {
            // An 8-bit image: smooth gradients, blobs and noise, rows of 1024.
            let w = 1024;
            let noise = [0.0, 2.0, 8.0, 30.0][v];
            (
                "image_u8",
                1,
                (0..nbytes)
                    .map(|i| {
                        let (x, y) = ((i % w) as f64, (i / w) as f64);
                        let s = 100.0 + 60.0 * (x / 97.0).sin() * (y / 61.0).cos() + r.gauss() * noise;
                        s.clamp(0.0, 255.0) as u8
                    })
                    .collect(),
            )
        }
        9 => {
            // Text-like bytes: words of a small vocabulary with spaces and newlines.
            const WORDS: [&str; 24] = [
                "the", "of", "and", "star", "galaxy", "chunk", "value", "compress", "data", "time", "north", "mass",
                "light", "error", "0.25", "1997", "id", "x", "radius", "field", "sky", "dust", "red", "blue",
            ];
            let nw = [6, 12, 18, 24][v];
            let mut out = Vec::with_capacity(nbytes + 16);
            while out.len() < nbytes {
                let k = (r.unit() * r.unit() * nw as f64) as usize;
                out.extend_from_slice(WORDS[k.min(nw - 1)].as_bytes());
                out.push(if r.unit() < 0.08 { b'\n' } else { b' ' });
            }
            out.truncate(nbytes);
            ("text_u8", 1, out)
        }
        10 => {
            // Repeated records of 16 bytes: an id counting up, a category, a measure.
            let n = nbytes / 16;
            let noise = [0.0, 0.01, 1.0, 1000.0][v];
            (
                "records_16",
                16,
                (0..n)
                    .flat_map(|i| {
                        let mut rec = [0u8; 16];
                        rec[..4].copy_from_slice(&(i as u32).to_le_bytes());
                        rec[4..8].copy_from_slice(&((r.next() % 5) as u32).to_le_bytes());
                        rec[8..16].copy_from_slice(&(20.0 + r.gauss() * noise).to_le_bytes());
                        rec
                    })
                    .collect(),
            )
        }
        11 => {
            let n = nbytes / 8;
            let bits = [8u32, 24, 40, 52][v];
            (
                "noisy_f64",
                8,
                (0..n)
                    .flat_map(|_| {
                        // 1 + noise in the low `bits` mantissa bits.
                        let m = r.next() & ((1u64 << bits) - 1);
                        f64::from_bits(1f64.to_bits() | m).to_le_bytes()
                    })
                    .collect(),
            )
        }
        12 => {
            let n = nbytes / 2;
            let run = [10usize, 100, 1000, 10_000][v];
            let mut x = 0i16;
            (
                "steps_i16",
                2,
                (0..n)
                    .flat_map(|i| {
                        if i % run == 0 {
                            x = (r.next() % 2000) as i16 - 1000;
                        }
                        x.to_le_bytes()
                    })
                    .collect(),
            )
        }
        13 => {
            let n = nbytes / 4;
            let range = [16u32, 256, 65_536, u32::MAX][v];
            ("uniform_i32", 4, (0..n).flat_map(|_| ((r.next() as u32) % range.max(1)).to_le_bytes()).collect())
        }
        14 => {
            // Timestamps (ns) at a near-regular rate, with jitter.
            let n = nbytes / 8;
            let jitter = [0u64, 10, 1000, 1_000_000][v];
            let mut t: u64 = 1_700_000_000_000_000_000;
            (
                "timestamps_i64",
                8,
                (0..n)
                    .flat_map(|_| {
                        t += 1_000_000 + if jitter > 0 { r.next() % jitter } else { 0 };
                        t.to_le_bytes()
                    })
                    .collect(),
            )
        }
        15 => {
            // Float32 rounded to a few decimals (instrument readings).
            let n = nbytes / 4;
            let q = [1.0, 10.0, 100.0, 10_000.0][v];
            let mut x = 15.0;
            (
                "rounded_f32",
                4,
                f32s((0..n).map(|_| {
                    x += r.gauss() * 0.05;
                    (x * q).round() / q
                })),
            )
        }
        16 => {
            // Evenly spaced values (coordinates, `linspace`): start + i * step, exactly.
            let n = nbytes / 8;
            let step = [1e-7, 3e-4, 0.37, 1250.0][v] * (1.0 + r.unit());
            let start = r.gauss() * [1.0, 10.0, 1e3, 1e6][v];
            ("ramp_f64", 8, f64s((0..n).map(|i| start + i as f64 * step)))
        }
        17 => {
            // Counters (`arange`, indices): a constant integer step, 8 or 4 bytes.
            let step = [1u64, 7, 1000, 123_457][v];
            let start = r.next() >> [40, 30, 20, 12][v];
            if v < 2 {
                let n = nbytes / 8;
                ("counter_i64", 8, (0..n as u64).flat_map(|i| (start + i * step).to_le_bytes()).collect())
            } else {
                let n = nbytes / 4;
                let start = start as u32;
                (
                    "counter_i32",
                    4,
                    (0..n as u32).flat_map(|i| start.wrapping_add(i.wrapping_mul(step as u32)).to_le_bytes()).collect(),
                )
            }
        }
        18 => {
            // A smooth field on a 3-d grid of 64 x 64 x n (float32), with relative noise.
            let n = nbytes / 4;
            let noise = [0.0, 1e-5, 1e-3, 3e-2][v];
            let (fx, fy, fz) = (0.05 + 0.1 * r.unit(), 0.03 + 0.1 * r.unit(), 0.02 + 0.05 * r.unit());
            (
                "grid_f32",
                4,
                f32s((0..n).map(|i| {
                    let (x, y, z) = ((i % 64) as f64, ((i / 64) % 64) as f64, (i / 4096) as f64);
                    let s = 2.0 + (x * fx).sin() * (y * fy).cos() + 0.5 * (z * fz).sin();
                    s * (1.0 + r.gauss() * noise)
                })),
            )
        }
        19 => {
            // A sparse cube of counts (a histogram of points in 3-d): clusters in a 128 x 128
            // x n cube of u8, almost all zeros.
            let p = [0.002, 0.01, 0.05, 0.2][v];
            let mut out = vec![0u8; nbytes];
            let nclusters = 1 + nbytes / (1 << 18);
            for _ in 0..nclusters {
                let c = r.unit() * nbytes as f64;
                let (cx, cy, cz) = (c as usize % 128, (c as usize / 128) % 128, c as usize / 16_384);
                let radius = 4.0 + 20.0 * r.unit();
                let hits = (p * nbytes as f64 / nclusters as f64) as usize;
                let d = |r: &mut Rng, c: usize| (c as f64 + r.gauss() * radius).max(0.0) as usize;
                for _ in 0..hits {
                    let (x, y, z) = (d(&mut r, cx) % 128, d(&mut r, cy) % 128, d(&mut r, cz));
                    if let Some(b) = out.get_mut(x + 128 * y + 16_384 * z) {
                        *b = b.saturating_add(1 + (r.unit() * r.unit() * 4.0) as u8);
                    }
                }
            }
            ("cube_u8", 1, out)
        }
        20 => {
            // Bytes of falling entropy: uniform, 7 bits, 4 bits, geometric.
            (
                "bytes_u8",
                1,
                (0..nbytes)
                    .map(|_| match v {
                        0 => r.next() as u8,
                        1 => (r.next() as u8) & 0x7f,
                        2 => (r.next() as u8) & 0x0f,
                        _ => (-(r.unit().max(1e-12)).ln() * 6.0).min(255.0) as u8,
                    })
                    .collect(),
            )
        }
        21 => {
            // A catalogue's identifiers, rows sorted by a spatial cell: the cell's index in
            // the high bits (rising by small steps, a run of rows each), a number within
            // the cell below, rising.
            let n = nbytes / 8;
            let shift = [35u32, 24, 12, 0][v];
            let run = [40.0, 400.0, 8.0, 2000.0][v];
            let mut cell: u64 = r.next() >> 40;
            let (mut left, mut low) = (0u64, 0u64);
            (
                "catalog_ids_i64",
                8,
                (0..n)
                    .flat_map(|_| {
                        if left == 0 {
                            cell += 1 + r.next() % 3;
                            left = 1 + (-(r.unit().max(1e-12)).ln() * run) as u64;
                            low = r.next() % (1 << 20);
                        }
                        left -= 1;
                        low += 1 + r.next() % 5000;
                        ((cell << shift) + low).to_le_bytes()
                    })
                    .collect(),
            )
        }
        22 => {
            // One coordinate of a catalogue's objects, rows grouped by spatial cell (float32,
            // full precision): each group near its cell, the cells wandering.
            let n = nbytes / 4;
            let size = [0.5, 10.0, 200.0, 5000.0][v];
            let mut centre = r.gauss() * size * 20.0;
            let mut left = 0usize;
            (
                "catalog_pos_f32",
                4,
                f32s((0..n).map(|_| {
                    if left == 0 {
                        centre += r.gauss() * size;
                        left = 1 + (-(r.unit().max(1e-12)).ln() * 60.0) as usize;
                    }
                    left -= 1;
                    centre + (r.unit() - 0.5) * size
                })),
            )
        }
        _ => {
            // Magnitudes (float32): every row its own, most near a faint limit, rounded to
            // a precision or not.
            let n = nbytes / 4;
            let q = [0.0, 1e4, 1e3, 100.0][v];
            let limit = 12.0 + 9.0 * r.unit();
            (
                "catalog_mag_f32",
                4,
                f32s((0..n).map(|_| {
                    let m = limit - (-(r.unit().max(1e-12)).ln()) * 1.5 + r.gauss() * 0.02;
                    if q > 0.0 {
                        (m * q).round() / q
                    } else {
                        m
                    }
                })),
            )
        }
    };
    Sample { name: format!("{name}_v{v}"), typesize, bytes }
}

/// The training set of the default model: every kind in every variant, `nbytes` each.
pub fn corpus(nbytes: usize, seed: u64) -> Vec<Sample> {
    (0..KINDS).flat_map(|k| (0..4).map(move |v| generate(k, v, nbytes, seed))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_deterministic_sized_and_distinct() {
        let a = corpus(4096, 7);
        assert_eq!(a, corpus(4096, 7));
        assert_eq!(a.len(), KINDS * 4);
        for s in &a {
            assert!(s.bytes.len() <= 4096 && s.bytes.len() + 16 > 4096, "{} {}", s.name, s.bytes.len());
            assert_eq!(s.bytes.len() % s.typesize, 0, "{}", s.name);
        }
        let names: std::collections::HashSet<_> = a.iter().map(|s| &s.name).collect();
        assert_eq!(names.len(), a.len());
        assert_ne!(corpus(4096, 8)[0].bytes, a[0].bytes);
    }
}
