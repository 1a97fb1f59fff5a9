//! The deterministic data sets of `shared/bench/WORKLOADS.md` section 2, bit for bit as the
//! reference harness (`anchor.py`) makes them, and the `datasets` workload that prints their
//! SHA-256 beside the expected digests.
//!
//! Floating-point rule (section 2): one rounding per written operation, in the written
//! order, never a fused multiply-add. Rust never contracts `a * b + c` into an FMA unless
//! asked (`mul_add`), so the plain expressions below are exact transcriptions.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use blosc2_core::buffer::zeroed;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::record::{python_repr_f64, Sink};
use super::BenchArgs;

/// splitmix64 increment.
pub const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
/// Seed of `smooth_noise_f32`.
pub const SEED_SMOOTH: u64 = 0xB2B2_0001;
/// Seed of `galaxy_u8`.
pub const SEED_GALAXY: u64 = 0xB2B2_0004;
/// Seed of `random_bytes`.
pub const SEED_RANDOM: u64 = 0xB2B2_0005;
/// Seed of the `nd-read` plane positions.
pub const SEED_PLANES: u64 = 0xB2B2_0101;
/// Seed of the `nd-read` cube positions.
pub const SEED_CUBES: u64 = 0xB2B2_0102;
/// Seed of the `nd-read` element positions.
pub const SEED_ELEMS: u64 = 0xB2B2_0103;

const MIB: usize = 1 << 20;

/// Output `j` (0-based) of splitmix64 started at `seed` (counter form).
#[inline]
pub fn sm64(seed: u64, j: u64) -> u64 {
    let mut z = seed.wrapping_add(j.wrapping_add(1).wrapping_mul(GAMMA));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform double in [0, 1) from a 64-bit output (exact).
#[inline]
pub fn uniform(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0) // 2^-53
}

/// Element type of a data set, for the record and for Python-style printing of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// float64
    F64,
    /// float32
    F32,
    /// int64
    I64,
    /// uint8
    U8,
}

impl Dtype {
    /// numpy's name.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F64 => "float64",
            Dtype::F32 => "float32",
            Dtype::I64 => "int64",
            Dtype::U8 => "uint8",
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Dtype::F64 | Dtype::I64 => 8,
            Dtype::F32 => 4,
            Dtype::U8 => 1,
        }
    }

    /// Element `i` of `bytes` as Python's `repr` prints it after numpy's `tolist()`.
    pub fn repr_at(self, bytes: &[u8], i: usize) -> String {
        let s = self.size();
        let b = &bytes[i * s..(i + 1) * s];
        match self {
            Dtype::F64 => python_repr_f64(f64::from_le_bytes(b.try_into().expect("8 bytes"))),
            Dtype::F32 => python_repr_f64(f64::from(f32::from_le_bytes(b.try_into().expect("4 bytes")))),
            Dtype::I64 => i64::from_le_bytes(b.try_into().expect("8 bytes")).to_string(),
            Dtype::U8 => b[0].to_string(),
        }
    }
}

/// One data set of section 2.
#[derive(Debug, Clone, Copy)]
pub struct DatasetSpec {
    /// Name as in WORKLOADS.md.
    pub name: &'static str,
    /// Element type.
    pub dtype: Dtype,
    /// Default size in MiB.
    pub default_mib: usize,
    /// SHA-256 of the default-size data set (WORKLOADS.md table).
    pub sha256: &'static str,
}

/// The five data sets, in the reference harness's order.
pub const DATASETS: [DatasetSpec; 5] = [
    DatasetSpec {
        name: "linspace_f64",
        dtype: Dtype::F64,
        default_mib: 64,
        sha256: "5fa83af7d7715f9348aa5d1a60d8c890550cb4d0cada72624ff8f4879f70edb2",
    },
    DatasetSpec {
        name: "smooth_noise_f32",
        dtype: Dtype::F32,
        default_mib: 64,
        sha256: "bd0727c9c5f70810398bd7693295182721df6c011f972f429e516733fedaec32",
    },
    DatasetSpec {
        name: "arange_i64",
        dtype: Dtype::I64,
        default_mib: 64,
        sha256: "a05c1540b3660942e0e29b540320a6f93f62b480ce1ff5ec8dba219ec0727b7f",
    },
    DatasetSpec {
        name: "galaxy_u8",
        dtype: Dtype::U8,
        default_mib: 128,
        sha256: "78194d34fa3b3b9ea551a249bc53b0a54d625d2f1f98ffea9c1f4fdabb81991a",
    },
    DatasetSpec {
        name: "random_bytes",
        dtype: Dtype::U8,
        default_mib: 64,
        sha256: "0d4044bae3251509c2a77339b8777c5264ac36846348a07e14fe7edf1088d472",
    },
];

/// The spec of data set `name`.
///
/// # Errors
/// An unknown name.
pub fn spec(name: &str) -> Result<&'static DatasetSpec> {
    match DATASETS.iter().find(|d| d.name == name) {
        Some(d) => Ok(d),
        None => bail!(
            "unknown dataset '{name}' (expected one of {})",
            DATASETS.iter().map(|d| d.name).collect::<Vec<_>>().join(",")
        ),
    }
}

/// Side of the galaxy cube.
pub const GALAXY_SIDE: usize = 512;
/// Stars in the galaxy.
pub const GALAXY_POINTS: usize = 150_000;

/// `numpy.linspace(0.0, 100.0, n)` as `anchor.py` computes it: `f64(i) * step + 0.0`, the
/// last value exactly 100.0; little-endian bytes.
pub fn linspace_f64(n: usize) -> Vec<u8> {
    let mut out = zeroed(n * 8);
    if n == 0 {
        return out;
    }
    let step = (100.0 - 0.0) / (n - 1) as f64;
    for (i, o) in out.chunks_exact_mut(8).enumerate() {
        let x = i as f64 * step + 0.0;
        o.copy_from_slice(&x.to_le_bytes());
    }
    out[(n - 1) * 8..].copy_from_slice(&100.0f64.to_le_bytes());
    out
}

/// `smooth_noise_f32` with `n` values; little-endian bytes.
///
/// `p - floor(p)` for `p = i * 2^-16` is computed from the integer `i` as
/// `(i mod 2^16) * 2^-16`: both forms are exact (no rounding happens in either), so the
/// bits are the same, and the integer form vectorises without a `floor` call per element
/// (tested against the literal formula).
pub fn smooth_noise_f32(n: usize, seed: u64) -> Vec<u8> {
    let mut out = zeroed(n * 4);
    for (i, o) in out.chunks_exact_mut(4).enumerate() {
        let i = i as u64;
        let f = (i & 0xFFFF) as f64 * (1.0 / 65_536.0);
        let a = 4.0 * (f * (1.0 - f));
        let g = (i & 0x3F_FFFF) as f64 * (1.0 / 4_194_304.0);
        let b = 4.0 * (g * (1.0 - g));
        let s = a + 0.5 * b;
        let r = sm64(seed, i);
        let m = 0xFFFF;
        let tot = (r & m) + ((r >> 16) & m) + ((r >> 32) & m) + (r >> 48);
        let noise = (tot as i64 - 131_070) as f64 * (1.0 / 67_108_864.0);
        o.copy_from_slice(&((s + noise) as f32).to_le_bytes());
    }
    out
}

/// `arange_i64`: `x[i] = i`; little-endian bytes.
pub fn arange_i64(n: usize) -> Vec<u8> {
    let mut out = zeroed(n * 8);
    for (i, o) in out.chunks_exact_mut(8).enumerate() {
        o.copy_from_slice(&(i as i64).to_le_bytes());
    }
    out
}

/// `galaxy_u8`: the (z, y, x) C-order histogram of `npoints` thin-disk stars, counts
/// saturated at 255 (section 2d).
pub fn galaxy_u8(side: usize, npoints: usize, seed: u64) -> Vec<u8> {
    let mut cube = zeroed(side * side * side);
    let half = side as f64 / 2.0;
    let mut have = 0;
    let mut k: u64 = 0;
    while have < npoints {
        let u0 = uniform(sm64(seed, 4 * k));
        let u1 = uniform(sm64(seed, 4 * k + 1));
        let u2 = uniform(sm64(seed, 4 * k + 2));
        let u3 = uniform(sm64(seed, 4 * k + 3));
        k += 1;
        let x = 2.0 * u0 - 1.0;
        let y = 2.0 * u1 - 1.0;
        let rr = x * x + y * y;
        let w = 1.0 - rr;
        if !(rr < 1.0 && u2 < w * w) {
            continue;
        }
        let zc = (u3 - 0.5) * (0.02 + 0.06 * w);
        let ix = ((x + 1.0) * half).floor() as usize;
        let iy = ((y + 1.0) * half).floor() as usize;
        let iz = ((zc + 1.0) * half).floor() as usize;
        let cell = &mut cube[(iz * side + iy) * side + ix];
        *cell = cell.saturating_add(1);
        have += 1;
    }
    cube
}

/// `random_bytes`: `nbytes / 8` splitmix64 words, little-endian.
pub fn random_bytes(nbytes: usize, seed: u64) -> Vec<u8> {
    let mut out = zeroed(nbytes / 8 * 8);
    for (i, o) in out.chunks_exact_mut(8).enumerate() {
        o.copy_from_slice(&sm64(seed, i as u64).to_le_bytes());
    }
    out
}

/// Data set `spec` at `size_mib` (default size when `None`; galaxy's size is fixed).
pub fn make(spec: &DatasetSpec, size_mib: Option<usize>) -> Vec<u8> {
    let nb = size_mib.unwrap_or(spec.default_mib) * MIB;
    match spec.name {
        "linspace_f64" => linspace_f64(nb / 8),
        "smooth_noise_f32" => smooth_noise_f32(nb / 4, SEED_SMOOTH),
        "arange_i64" => arange_i64(nb / 8),
        "galaxy_u8" => galaxy_u8(GALAXY_SIDE, GALAXY_POINTS, SEED_GALAXY),
        "random_bytes" => random_bytes(nb, SEED_RANDOM),
        other => unreachable!("no generator for {other}"),
    }
}

/// Shape of the data set array (galaxy is a cube, the others 1-D).
pub fn shape(spec: &DatasetSpec, nbytes: usize) -> Vec<usize> {
    if spec.name == "galaxy_u8" {
        vec![GALAXY_SIDE; 3]
    } else {
        vec![nbytes / spec.dtype.size()]
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The `nd-read` positions of section 4 (planes, 10^3 cubes, elements) for `shape`.
pub fn nd_positions(shape: [u64; 3], reps_planes: u64, ncubes: u64, nelems: u64) -> NdPositions {
    let planes = (0..3)
        .map(|ax| (0..reps_planes).map(|r| sm64(SEED_PLANES, 8 * ax + r) % shape[ax as usize]).collect())
        .collect();
    let cube = 10;
    let cubes = (0..ncubes)
        .map(|r| (0..3).map(|d| sm64(SEED_CUBES, 3 * r + d) % (shape[d as usize] - cube + 1)).collect())
        .collect();
    let elems =
        (0..nelems).map(|r| (0..3).map(|d| sm64(SEED_ELEMS, 3 * r + d) % shape[d as usize]).collect()).collect();
    NdPositions { planes, cubes, elems }
}

/// Positions read by `nd-read`.
#[derive(Debug, Serialize)]
pub struct NdPositions {
    /// Plane indices per axis.
    pub planes: Vec<Vec<u64>>,
    /// Cube corners.
    pub cubes: Vec<Vec<u64>>,
    /// Element coordinates.
    pub elems: Vec<Vec<u64>>,
}

#[derive(Serialize)]
struct SplitmixRecord {
    workload: &'static str,
    #[serde(rename = "impl")]
    implementation: &'static str,
    name: &'static str,
    hex: Vec<String>,
    ts: String,
}

#[derive(Serialize)]
struct DatasetRecord {
    workload: &'static str,
    #[serde(rename = "impl")]
    implementation: &'static str,
    name: String,
    dtype: &'static str,
    shape: Vec<usize>,
    nbytes: usize,
    sha256: String,
    /// Only for default sizes.
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_sha256: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256_ok: Option<bool>,
    gen_s: f64,
    first: Vec<String>,
    last: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonzero: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonzero_frac: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<serde_json::Value>,
    ts: String,
}

#[derive(Serialize)]
struct PlanePositions {
    axis0: Vec<u64>,
    axis1: Vec<u64>,
    axis2: Vec<u64>,
}

#[derive(Serialize)]
struct PositionsRecord {
    workload: &'static str,
    #[serde(rename = "impl")]
    implementation: &'static str,
    name: &'static str,
    planes: PlanePositions,
    cubes: Vec<Vec<u64>>,
    elems: Vec<Vec<u64>>,
    ts: String,
}

/// The `datasets` workload: generate each data set, print its SHA-256 beside the expected
/// one (default sizes), and fail when any differs.
///
/// # Errors
/// Unknown data set names; a digest that differs from WORKLOADS.md.
pub fn run(args: &BenchArgs, sink: &mut Sink) -> Result<()> {
    let ts = super::record::timestamp;
    let hex = (0..3).map(|j| format!("{:016x}", sm64(0, j))).collect();
    sink.emit(&SplitmixRecord {
        workload: "datasets",
        implementation: super::IMPL,
        name: "splitmix64(seed=0)[0:3]",
        hex,
        ts: ts(),
    })?;
    let names = args.dataset_names();
    let mut bad = Vec::new();
    for name in &names {
        let spec = spec(name)?;
        let t0 = Instant::now();
        let data = make(spec, args.size_mib);
        let gen_s = (t0.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        let sha = sha256_hex(&data);
        if let Some(dir) = &args.save {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            crate::output::write_file(&dir.join(format!("{}.bin", spec.name)), &data, false)?;
        }
        let default_size = args.size_mib.is_none_or(|m| m == spec.default_mib) || spec.name == "galaxy_u8";
        let expected = default_size.then_some(spec.sha256);
        let ok = expected.map(|e| e == sha);
        if ok == Some(false) {
            bad.push(spec.name);
        }
        let n = data.len() / spec.dtype.size();
        let first = (0..n.min(4)).map(|i| spec.dtype.repr_at(&data, i)).collect();
        let last = (n.saturating_sub(2)..n).map(|i| spec.dtype.repr_at(&data, i)).collect();
        let mut rec = DatasetRecord {
            workload: "datasets",
            implementation: super::IMPL,
            name: spec.name.to_string(),
            dtype: spec.dtype.name(),
            shape: shape(spec, data.len()),
            nbytes: data.len(),
            sha256: sha.clone(),
            expected_sha256: expected,
            sha256_ok: ok,
            gen_s,
            first,
            last,
            nonzero: None,
            nonzero_frac: None,
            min: None,
            max: None,
            ts: ts(),
        };
        if spec.name == "galaxy_u8" {
            let nz = data.iter().filter(|&&b| b != 0).count();
            rec.nonzero = Some(nz);
            rec.nonzero_frac = Some(nz as f64 / data.len() as f64);
            rec.max = Some(data.iter().copied().max().unwrap_or(0).into());
        }
        if spec.name == "smooth_noise_f32" {
            let vals = data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")));
            let (lo, hi) = vals.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
            rec.min = Some(f64::from(lo).into());
            rec.max = Some(f64::from(hi).into());
        }
        sink.emit(&rec)?;
        let verdict = match ok {
            Some(true) => "OK",
            Some(false) => "MISMATCH",
            None => "(no expected digest for this size)",
        };
        eprintln!(
            "{:17} sha256 {sha}\n{:17} expect {}  {verdict}  ({gen_s:.3} s)",
            spec.name,
            "",
            expected.unwrap_or("-")
        );
    }
    let pos = nd_positions([640; 3], 3, 3, 3);
    let mut planes = pos.planes.into_iter();
    sink.emit(&PositionsRecord {
        workload: "datasets",
        implementation: super::IMPL,
        name: "nd-read positions for shape [640,640,640] (first 3)",
        planes: PlanePositions {
            axis0: planes.next().unwrap_or_default(),
            axis1: planes.next().unwrap_or_default(),
            axis2: planes.next().unwrap_or_default(),
        },
        cubes: pos.cubes,
        elems: pos.elems,
        ts: ts(),
    })?;
    if !bad.is_empty() {
        bail!("SHA-256 differs from WORKLOADS.md for {}", bad.join(", "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One value of `smooth_noise_f32` (section 2b), written as specified.
    #[inline]
    pub fn smooth_noise_value(i: u64, seed: u64) -> f32 {
        let fi = i as f64;
        let p = fi * (1.0 / 65_536.0); // 2^-16
        let f = p - p.floor();
        let a = 4.0 * (f * (1.0 - f));
        let q = fi * (1.0 / 4_194_304.0); // 2^-22
        let g = q - q.floor();
        let b = 4.0 * (g * (1.0 - g));
        let s = a + 0.5 * b;
        let r = sm64(seed, i);
        let m = 0xFFFF;
        let tot = (r & m) + ((r >> 16) & m) + ((r >> 32) & m) + (r >> 48);
        let noise = (tot as i64 - 131_070) as f64 * (1.0 / 67_108_864.0); // 2^-26
        (s + noise) as f32
    }

    fn f64_at(b: &[u8], i: usize) -> f64 {
        f64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap())
    }

    fn f32_bits_at(b: &[u8], i: usize) -> u32 {
        u32::from_le_bytes(b[i * 4..i * 4 + 4].try_into().unwrap())
    }

    #[test]
    fn splitmix_test_vector() {
        assert_eq!(sm64(0, 0), 0xe220a8397b1dcdaf);
        assert_eq!(sm64(0, 1), 0x6e789e6aa1b965f4);
        assert_eq!(sm64(0, 2), 0x06c45d188009454f);
    }

    #[test]
    fn linspace_first_and_last_values() {
        let n = 8_388_608;
        let d = linspace_f64(n);
        assert_eq!(f64_at(&d, 0), 0.0);
        assert_eq!(f64_at(&d, 1), 1.1920930376163766e-05);
        assert_eq!(f64_at(&d, 2), 2.3841860752327532e-05);
        assert_eq!(f64_at(&d, n - 2), 99.99998807906962);
        assert_eq!(f64_at(&d, n - 1), 100.0);
    }

    #[test]
    fn smooth_noise_first_values() {
        let d = smooth_noise_f32(4, SEED_SMOOTH);
        let bits: Vec<u32> = (0..4).map(|i| f32_bits_at(&d, i)).collect();
        assert_eq!(bits, [0xb9441c00, 0xba368b10, 0xba356040, 0x3922f9c0]);
        assert_eq!(Dtype::F32.repr_at(&d, 0), "-0.00018702447414398193");
    }

    #[test]
    fn smooth_noise_integer_form_equals_floor_form() {
        // Around the period boundaries of both arches and at a few far indices.
        let mut idx: Vec<u64> = (0..70_000).collect();
        for base in [1u64 << 16, 1 << 22, 3 << 22, 640 * 640 * 640 - 10] {
            idx.extend(base.saturating_sub(5_000)..base + 5_000);
        }
        let n = 640 * 640 * 640;
        let all = smooth_noise_f32(n, SEED_SMOOTH);
        for i in idx.into_iter().filter(|&i| i < n as u64) {
            assert_eq!(f32_bits_at(&all, i as usize), smooth_noise_value(i, SEED_SMOOTH).to_bits(), "i = {i}");
        }
    }

    #[test]
    fn arange_and_random_first_values() {
        let a = arange_i64(4);
        assert_eq!(Dtype::I64.repr_at(&a, 3), "3");
        let r = random_bytes(16, SEED_RANDOM);
        assert_eq!(r[..8], sm64(SEED_RANDOM, 0).to_le_bytes());
    }

    #[test]
    fn galaxy_statistics() {
        let g = galaxy_u8(GALAXY_SIDE, GALAXY_POINTS, SEED_GALAXY);
        assert_eq!(g.iter().filter(|&&b| b != 0).count(), 144_708);
        assert_eq!(g.iter().copied().max(), Some(5));
    }

    #[test]
    fn nd_positions_match_workloads() {
        let p = nd_positions([640; 3], 5, 3, 3);
        assert_eq!(p.planes[0], [13, 522, 155, 62, 411]);
        assert_eq!(p.planes[1], [605, 92, 594, 188, 582]);
        assert_eq!(p.planes[2], [70, 82, 421, 438, 522]);
        assert_eq!(p.cubes, [[131, 230, 476], [138, 227, 606], [230, 294, 428]]);
        assert_eq!(p.elems, [[482, 380, 83], [372, 185, 632], [61, 522, 192]]);
    }

    #[test]
    fn full_datasets_sha256() {
        for spec in &DATASETS {
            let d = make(spec, None);
            assert_eq!(sha256_hex(&d), spec.sha256, "{}", spec.name);
        }
    }
}
