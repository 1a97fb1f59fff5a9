//! A synthetic Gaia DR3-like catalogue (`shared/spec/gaia-synthetic.md`): stars drawn from a
//! Milky Way model (thin and thick disks, halo, bar), observed with Gaia-like photometry and
//! parallax noise, written as gzip-compressed ECSV files in the `gaia_source` layout (fast
//! column mode), sorted by `source_id` and split by level-8 HEALPix ranges.
//!
//! Deterministic for a seed: stars are generated in batches of [`BATCH`], each from its own
//! random stream `hash(seed, batch)`, and the first `N` stars that pass the magnitude limit
//! (in batch order) are kept, whatever the number of threads.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::geom::{galactic_to_icrs, LY_PER_PC};

/// Stars generated per random stream.
pub const BATCH: u64 = 1 << 15;
/// The real average number of rows per DR3 file.
pub const ROWS_PER_FILE: u64 = 535_000;

/// A small, fast, seedable generator (xoshiro256++ seeded by splitmix64).
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
    spare: Option<f64>,
}

/// splitmix64 step.
pub fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for stream `stream` of `seed`.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut x = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let mut s = [0u64; 4];
        for v in &mut s {
            *v = splitmix64(&mut x);
        }
        Rng { s, spare: None }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let r = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        r
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        if let Some(v) = self.spare.take() {
            return v;
        }
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (2.0 * std::f64::consts::PI * u2).sin_cos();
        self.spare = Some(r * s);
        r * c
    }

    /// Exponential with mean `scale`.
    pub fn exp(&mut self, scale: f64) -> f64 {
        -(1.0 - self.uniform()).ln() * scale
    }

    /// Gamma with integer shape `k` and `scale`.
    pub fn gamma_int(&mut self, k: u32, scale: f64) -> f64 {
        (0..k).map(|_| self.exp(scale)).sum()
    }

    /// A uniformly random unit vector.
    pub fn unit_vector(&mut self) -> [f64; 3] {
        let z = 2.0 * self.uniform() - 1.0;
        let phi = 2.0 * std::f64::consts::PI * self.uniform();
        let r = (1.0 - z * z).max(0.0).sqrt();
        [r * phi.cos(), r * phi.sin(), z]
    }
}

/// Parameters of the model (defaults of gaia-synthetic.md).
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Sun - Galactic centre distance (pc).
    pub r0: f64,
    /// Sun's height above the plane (pc).
    pub z_sun: f64,
    /// Shares of generated stars: thin, thick, halo, bulge (sum 1).
    pub shares: [f64; 4],
    /// Thin disk scale length and height (pc).
    pub thin: (f64, f64),
    /// Thick disk scale length and height (pc).
    pub thick: (f64, f64),
    /// Halo flattening, power and ellipsoidal radius range (pc).
    pub halo: (f64, f64, f64, f64),
    /// Bar axes (pc) and angle from the Sun-centre line (deg, near end at positive l).
    pub bar: ([f64; 3], f64),
    /// Disk truncation radius (pc).
    pub r_max: f64,
    /// Dwarf and giant absolute magnitudes (mean, sigma) and the giant fraction.
    pub mag: ((f64, f64), (f64, f64), f64),
    /// Extinction a_0 (mag/kpc) and dust scale height (pc).
    pub dust: (f64, f64),
    /// Faint limit in G.
    pub g_max: f64,
    /// Parallax error factor and log-normal scatter.
    pub sigma: (f64, f64),
    /// Parallax zero point (mas, added).
    pub zero_point: f64,
    /// Missing parallax: logistic centre and width in G.
    pub missing: (f64, f64),
}

impl Default for Model {
    fn default() -> Model {
        Model {
            r0: 8178.0,
            z_sun: 20.8,
            shares: [0.661, 0.191, 0.098, 0.05],
            thin: (2600.0, 300.0),
            thick: (3600.0, 900.0),
            halo: (0.64, 2.77, 1000.0, 50_000.0),
            bar: ([1000.0, 600.0, 400.0], 27.0),
            r_max: 20_000.0,
            // Re-tuned (spec section 6 allows it) from the prototype's N(9.5, 3.0), 0.5 %
            // giants, a_0 = 1.0 mag/kpc, h_d = 150 pc, which selected 33.5 % of the rows
            // against 39.1 % in DR3: fainter dwarfs and fewer giants bring the selection up,
            // less dust brings the share at |b| < 10 deg back up.
            mag: ((11.0, 2.5), (0.5, 1.0), 0.0025),
            dust: (0.65, 100.0),
            g_max: 21.1,
            sigma: (0.92, 0.28),
            zero_point: -0.017,
            missing: (20.8, 0.35),
        }
    }
}

/// A generated star that passed the magnitude limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthStar {
    /// ra (deg).
    pub ra: f64,
    /// dec (deg).
    pub dec: f64,
    /// Galactic longitude (deg).
    pub l: f64,
    /// Galactic latitude (deg).
    pub b: f64,
    /// Observed parallax (mas), None for a 2-parameter solution.
    pub parallax: Option<f64>,
    /// Parallax uncertainty (mas).
    pub sigma: f64,
    /// G magnitude.
    pub g: f32,
    /// True distance (pc).
    pub d_pc: f64,
    /// Level-12 nested HEALPix pixel.
    pub pix12: u64,
}

impl Model {
    fn disk(&self, rng: &mut Rng, (l, h): (f64, f64)) -> [f64; 3] {
        let r = loop {
            let r = rng.gamma_int(2, l);
            if r <= self.r_max {
                break r;
            }
        };
        let phi = 2.0 * std::f64::consts::PI * rng.uniform();
        let z = rng.exp(h) * if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
        [r * phi.cos(), r * phi.sin(), z]
    }

    /// Galactocentric position (pc) of one star.
    pub fn position(&self, rng: &mut Rng) -> [f64; 3] {
        let u = rng.uniform();
        let s = &self.shares;
        if u < s[0] {
            self.disk(rng, self.thin)
        } else if u < s[0] + s[1] {
            self.disk(rng, self.thick)
        } else if u < s[0] + s[1] + s[2] {
            let (q, n, a, b) = self.halo;
            let k = 3.0 - n;
            let r = (a.powf(k) + rng.uniform() * (b.powf(k) - a.powf(k))).powf(1.0 / k);
            let v = rng.unit_vector();
            [r * v[0], r * v[1], r * v[2] * q]
        } else {
            let rs = rng.gamma_int(3, 1.0);
            let v = rng.unit_vector();
            let (ax, ang) = self.bar;
            let (x, y, z) = (rs * v[0] * ax[0], rs * v[1] * ax[1], rs * v[2] * ax[2]);
            // Long axis along (-cos a, sin a): near end (towards the Sun) at positive l.
            let a = (180.0 - ang).to_radians();
            let (sa, ca) = a.sin_cos();
            [x * ca - y * sa, x * sa + y * ca, z]
        }
    }

    /// Draws one star; None when it is fainter than the limit.
    pub fn star(&self, rng: &mut Rng) -> Option<SynthStar> {
        let p = self.position(rng);
        let v = [p[0] + self.r0, p[1], p[2] - self.z_sun];
        let d = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        let ((dm, ds), (gm, gs), gf) = self.mag;
        let m = if rng.uniform() < gf { gm + gs * rng.normal() } else { dm + ds * rng.normal() };
        let sinb = (v[2] / d).abs();
        let (a0, hd) = self.dust;
        let col = if sinb < 1e-12 { d } else { hd / sinb * (1.0 - (-d * sinb / hd).exp()) };
        let g = m + 5.0 * d.log10() - 5.0 + a0 * col / 1000.0;
        if g.is_nan() || g > self.g_max || d < 1e-3 {
            return None;
        }
        let zz = 10f64.powf(0.4 * (g.max(13.0) - 15.0));
        let sigma =
            self.sigma.0 * (40.0 + 800.0 * zz + 30.0 * zz * zz).sqrt() / 1000.0 * (self.sigma.1 * rng.normal()).exp();
        let p_missing = 1.0 / (1.0 + (-(g - self.missing.0) / self.missing.1).exp());
        let missing = rng.uniform() < p_missing;
        let noise = rng.normal();
        let parallax = (!missing).then(|| 1000.0 / d + self.zero_point + sigma * noise);
        let w = galactic_to_icrs(v);
        let ra = w[1].atan2(w[0]).to_degrees().rem_euclid(360.0);
        let dec = (w[2] / d).clamp(-1.0, 1.0).asin().to_degrees();
        let l = v[1].atan2(v[0]).to_degrees().rem_euclid(360.0);
        let b = (v[2] / d).clamp(-1.0, 1.0).asin().to_degrees();
        Some(SynthStar { ra, dec, l, b, parallax, sigma, g: g as f32, d_pc: d, pix12: ang2pix_nest(12, ra, dec) })
    }
}

/// Nested HEALPix pixel of (ra, dec) in degrees at `order` (nside = 2^order).
pub fn ang2pix_nest(order: u32, ra_deg: f64, dec_deg: f64) -> u64 {
    let nside = 1i64 << order;
    let z = dec_deg.to_radians().sin();
    let phi = ra_deg.to_radians();
    let za = z.abs();
    let tt = (phi * 2.0 / std::f64::consts::PI).rem_euclid(4.0);
    let (face, ix, iy);
    if za <= 2.0 / 3.0 {
        let t1 = nside as f64 * (0.5 + tt);
        let t2 = nside as f64 * (z * 0.75);
        let jp = (t1 - t2) as i64;
        let jm = (t1 + t2) as i64;
        let ifp = jp >> order;
        let ifm = jm >> order;
        face = if ifp == ifm {
            ifp | 4
        } else if ifp < ifm {
            ifp
        } else {
            ifm + 8
        };
        ix = jm & (nside - 1);
        iy = nside - (jp & (nside - 1)) - 1;
    } else {
        let ntt = (tt as i64).min(3);
        let tp = tt - ntt as f64;
        let tmp = nside as f64 * (3.0 * (1.0 - za)).sqrt();
        let jp = ((tp * tmp) as i64).min(nside - 1);
        let jm = (((1.0 - tp) * tmp) as i64).min(nside - 1);
        if z >= 0.0 {
            face = ntt;
            ix = nside - jm - 1;
            iy = nside - jp - 1;
        } else {
            face = ntt + 8;
            ix = jp;
            iy = jm;
        }
    }
    let spread = |mut v: u64| {
        let mut out = 0u64;
        let mut bit = 0;
        while v != 0 {
            out |= (v & 1) << (2 * bit);
            v >>= 1;
            bit += 1;
        }
        out
    };
    (face as u64) * (nside as u64 * nside as u64) + (spread(ix as u64) | (spread(iy as u64) << 1))
}

/// A keyed bijection of 0..n (Feistel network with cycle walking).
pub fn permute(i: u64, n: u64, key: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    let bits = 64 - (n - 1).leading_zeros();
    let half = bits.div_ceil(2);
    let mask = (1u64 << half) - 1;
    let mut x = i;
    loop {
        let (mut l, mut r) = (x >> half, x & mask);
        for round in 0..4u64 {
            let mut k = key ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ r;
            let f = splitmix64(&mut k) & mask;
            let nl = r;
            r = l ^ f;
            l = nl;
        }
        x = (l << half) | r;
        if x < n {
            return x;
        }
    }
}

/// Generates the first `n` stars (brighter than the limit) for `seed`, in generation order.
pub fn generate(model: &Model, seed: u64, n: u64) -> Vec<SynthStar> {
    let mut out: Vec<SynthStar> = Vec::with_capacity(n as usize);
    let mut batch = 0u64;
    let par = rayon::current_num_threads().max(1) as u64 * 4;
    while (out.len() as u64) < n {
        let got: Vec<Vec<SynthStar>> = (batch..batch + par)
            .into_par_iter()
            .map(|b| {
                let mut rng = Rng::new(seed, b);
                (0..BATCH).filter_map(|_| model.star(&mut rng)).collect()
            })
            .collect();
        for v in got {
            out.extend(v);
        }
        batch += par;
    }
    out.truncate(n as usize);
    out
}

/// Column names of the fast mode.
pub const FAST_COLUMNS: [(&str, &str, &str); 10] = [
    ("source_id", "", "int64"),
    ("random_index", "", "int64"),
    ("ra", "deg", "float64"),
    ("dec", "deg", "float64"),
    ("parallax", "mas", "float64"),
    ("parallax_error", "mas", "float32"),
    ("parallax_over_error", "", "float32"),
    ("phot_g_mean_mag", "mag", "float32"),
    ("l", "deg", "float64"),
    ("b", "deg", "float64"),
];

fn header(seed: u64) -> String {
    let mut h = String::from("# %ECSV 1.0\n# ---\n# delimiter: ','\n# datatype:\n");
    for (name, unit, dt) in FAST_COLUMNS {
        if unit.is_empty() {
            h.push_str(&format!("# - {{name: {name}, datatype: {dt}}}\n"));
        } else {
            h.push_str(&format!("# - {{name: {name}, unit: {unit}, datatype: {dt}}}\n"));
        }
    }
    h.push_str(&format!(
        "# meta:\n#   source: 'synthetic Gaia DR3-like catalogue (milkyway synth, seed {seed}); not real data'\n#   nulls: 'written as null, as in the DR3 bulk files'\n"
    ));
    let names: Vec<&str> = FAST_COLUMNS.iter().map(|c| c.0).collect();
    h.push_str(&names.join(","));
    h.push('\n');
    h
}

/// What `synth` wrote.
#[derive(Debug, Clone)]
pub struct SynthReport {
    /// The files, in order.
    pub files: Vec<PathBuf>,
    /// Rows written.
    pub rows: u64,
    /// Rows without parallax.
    pub missing: u64,
    /// Rows with a negative parallax.
    pub negative: u64,
    /// Rows that the default selection keeps (0 < 3261.56/p < 10,000 ly).
    pub selected: u64,
    /// Selected rows whose true distance is within 10,000 ly.
    pub selected_truly_inside: u64,
    /// Rows at Galactic latitude |b| < 10 deg.
    pub low_latitude: u64,
}

/// Which columns `synth` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColumnMode {
    /// `source_id, random_index, ra, dec, parallax, parallax_error, parallax_over_error,
    /// phot_g_mean_mag, l, b`.
    #[default]
    Fast,
    /// All 152 DR3 columns: the simulated ones computed, the others copied from a random
    /// template row of the bundled real sample (`testdata/gaia/dr3_random1000.csv.gz`).
    Full,
}

/// The bundled real sample: 1000 Gaia DR3 rows (ESA/Gaia/DPAC), `testdata/gaia`.
pub const DR3_SAMPLE_GZ: &[u8] = include_bytes!("../../../testdata/gaia/dr3_random1000.csv.gz");

/// Header lines, column names and rows of the bundled sample.
struct Template {
    header: String,
    names: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Template {
    fn load() -> Result<Template> {
        use std::io::Read;
        let mut text = String::new();
        flate2::read::GzDecoder::new(DR3_SAMPLE_GZ).read_to_string(&mut text).context("bundled sample")?;
        let mut header = String::new();
        let mut names = Vec::new();
        let mut rows = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') {
                if line.starts_with("#   source:") {
                    header.push_str("#   source: 'synthetic Gaia DR3-like catalogue (milkyway synth); simulated columns computed, the others copied from real DR3 rows (ESA/Gaia/DPAC)'\n");
                } else if !line.starts_with("#   selection:") {
                    header.push_str(line);
                    header.push('\n');
                }
            } else if names.is_empty() {
                names = line.split(',').map(str::to_string).collect();
            } else {
                rows.push(line.split(',').map(str::to_string).collect());
            }
        }
        anyhow::ensure!(names.len() == 152 && !rows.is_empty(), "bundled sample has an unexpected layout");
        header.push_str(&names.join(","));
        header.push('\n');
        Ok(Template { header, names, rows })
    }

    fn col(&self, n: &str) -> usize {
        self.names.iter().position(|c| c == n).expect("DR3 column")
    }
}

/// Writes a synthetic catalogue of `n` rows into `dir` as `files` files (default: one per
/// 535,000 rows), fast column mode.
///
/// # Errors
/// I/O errors.
pub fn synth(dir: &Path, n: u64, seed: u64, files: Option<u64>, model: &Model) -> Result<SynthReport> {
    synth_with(dir, n, seed, files, model, ColumnMode::Fast)
}

/// As [`synth`], with a choice of columns.
///
/// # Errors
/// I/O errors.
pub fn synth_with(
    dir: &Path,
    n: u64,
    seed: u64,
    files: Option<u64>,
    model: &Model,
    mode: ColumnMode,
) -> Result<SynthReport> {
    let template = if mode == ColumnMode::Full { Some(Template::load()?) } else { None };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut stars = generate(model, seed, n);
    // Sort by pixel, keeping generation order inside a pixel, then number within pixels.
    stars.par_sort_by_key(|s| s.pix12);
    let mut ids = Vec::with_capacity(stars.len());
    let mut run = 0u64;
    for (i, s) in stars.iter().enumerate() {
        if i > 0 && stars[i - 1].pix12 == s.pix12 {
            run += 1;
        } else {
            run = 0;
        }
        ids.push(((s.pix12 << 35) | run) as i64);
    }
    let nfiles = files.unwrap_or_else(|| n.div_ceil(ROWS_PER_FILE)).clamp(1, n.max(1));
    // Cut points at level-8 pixel boundaries near equal row counts.
    let pix8 = |i: usize| (ids[i] as u64) >> 43;
    let mut cuts = vec![0usize];
    for f in 1..nfiles {
        let mut c = ((f * n) / nfiles) as usize;
        while c < stars.len() && c > 0 && pix8(c) == pix8(c - 1) {
            c += 1;
        }
        if c > *cuts.last().expect("non-empty") && c < stars.len() {
            cuts.push(c);
        }
    }
    cuts.push(stars.len());
    let ranges: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    let nr = ranges.len();
    let key = seed ^ 0x005E_ED0F_5A17;
    let paths: Vec<PathBuf> = ranges
        .par_iter()
        .enumerate()
        .map(|(f, &(lo, hi))| -> Result<PathBuf> {
            let first = if f == 0 { 0 } else { pix8(lo) };
            let last = if f + 1 == nr { 786_431 } else { pix8(ranges[f + 1].0) - 1 };
            let path = dir.join(format!("GaiaSource_{first:06}-{last:06}.csv.gz"));
            let tmp = path.with_extension("gz.partial");
            let file = std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
            let mut w = flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::new(6));
            match &template {
                None => w.write_all(header(seed).as_bytes())?,
                Some(t) => w.write_all(t.header.as_bytes())?,
            }
            let mut line = String::with_capacity(2048);
            for i in lo..hi {
                let s = &stars[i];
                line.clear();
                use std::fmt::Write as _;
                let ri = permute(i as u64, n, key);
                match &template {
                    None => {
                        let _ = write!(line, "{},{},{},{},", ids[i], ri, s.ra, s.dec);
                        match s.parallax {
                            Some(p) => {
                                let _ = write!(line, "{},{},{},", p, s.sigma as f32, (p / s.sigma) as f32);
                            }
                            None => line.push_str("null,null,null,"),
                        }
                        let _ = writeln!(line, "{},{},{}", s.g, s.l, s.b);
                    }
                    Some(t) => full_row(t, &mut line, s, ids[i], ri, seed, i as u64),
                }
                w.write_all(line.as_bytes())?;
            }
            w.finish()?.flush()?;
            std::fs::rename(&tmp, &path).with_context(|| format!("cannot rename to {}", path.display()))?;
            Ok(path)
        })
        .collect::<Result<_>>()?;
    let k = 1000.0 * LY_PER_PC;
    let mut rep = SynthReport {
        files: paths,
        rows: stars.len() as u64,
        missing: 0,
        negative: 0,
        selected: 0,
        selected_truly_inside: 0,
        low_latitude: 0,
    };
    for s in &stars {
        if s.b.abs() < 10.0 {
            rep.low_latitude += 1;
        }
        match s.parallax {
            None => rep.missing += 1,
            Some(p) => {
                if p < 0.0 {
                    rep.negative += 1;
                }
                if crate::geom::select_distance(p, k, 10_000.0).is_some() {
                    rep.selected += 1;
                    if s.d_pc * LY_PER_PC < 10_000.0 {
                        rep.selected_truly_inside += 1;
                    }
                }
            }
        }
    }
    Ok(rep)
}

/// One full-mode row: a random template row with the simulated columns replaced.
fn full_row(t: &Template, line: &mut String, s: &SynthStar, id: i64, ri: u64, seed: u64, row: u64) {
    let mut x = seed ^ row.wrapping_mul(0x2545_F491_4F6C_DD1D);
    let tpl = &t.rows[(splitmix64(&mut x) % t.rows.len() as u64) as usize];
    let mut f: Vec<String> = tpl.clone();
    let mut set = |name: &str, v: String| {
        let c = t.col(name);
        f[c] = v;
    };
    set("source_id", id.to_string());
    set("designation", format!("Gaia DR3 {id}"));
    set("random_index", ri.to_string());
    set("ra", s.ra.to_string());
    set("dec", s.dec.to_string());
    set("ra_error", ((0.8 * s.sigma) as f32).to_string());
    set("dec_error", ((0.7 * s.sigma) as f32).to_string());
    set("phot_g_mean_mag", s.g.to_string());
    set("l", s.l.to_string());
    set("b", s.b.to_string());
    match s.parallax {
        Some(p) => {
            set("parallax", p.to_string());
            set("parallax_error", (s.sigma as f32).to_string());
            set("parallax_over_error", ((p / s.sigma) as f32).to_string());
        }
        None => {
            for c in [
                "parallax",
                "parallax_error",
                "parallax_over_error",
                "pm",
                "pmra",
                "pmra_error",
                "pmdec",
                "pmdec_error",
                "ra_parallax_corr",
                "ra_pmra_corr",
                "ra_pmdec_corr",
                "dec_parallax_corr",
                "dec_pmra_corr",
                "dec_pmdec_corr",
                "parallax_pmra_corr",
                "parallax_pmdec_corr",
                "pmra_pmdec_corr",
            ] {
                set(c, "null".into());
            }
            set("astrometric_params_solved", "3".into());
        }
    }
    line.push_str(&f.join(","));
    line.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healpix_of_known_sources() {
        // source_id >> 35 is the level-12 pixel for these real DR3 rows (dr3_random1000.csv).
        // First row: source_id 4295806720 ... checked in the integration tests; here the poles.
        assert_eq!(ang2pix_nest(0, 0.0, 90.0), 0);
        assert_eq!(ang2pix_nest(0, 0.0, -90.0), 8);
        assert_eq!(ang2pix_nest(0, 0.0, 0.0), 4);
        assert_eq!(ang2pix_nest(0, 90.0, 0.0), 5);
        let n12 = 12 * 4u64.pow(12);
        for (ra, dec) in [(0.0, 0.0), (359.999, 89.9), (123.4, -45.6), (280.0, -60.0)] {
            assert!(ang2pix_nest(12, ra, dec) < n12);
        }
    }

    #[test]
    fn permutation_is_a_bijection() {
        for n in [1u64, 2, 7, 100, 1000] {
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let j = permute(i, n, 42) as usize;
                assert!(!seen[j]);
                seen[j] = true;
            }
        }
    }

    #[test]
    fn generation_is_deterministic() {
        let m = Model::default();
        let a = generate(&m, 7, 2000);
        let b = generate(&m, 7, 2000);
        assert_eq!(a, b);
        assert_ne!(a, generate(&m, 8, 2000));
    }

    /// The acceptance rule of `gaia-synthetic.md` section 6 on the defaults: missing,
    /// negative, selected and low-latitude shares within 3 percentage points of DR3.
    #[test]
    fn defaults_meet_the_acceptance_rule() {
        let v = generate(&Model::default(), 1, 200_000);
        let n = v.len() as f64;
        let with_p: Vec<f64> = v.iter().filter_map(|s| s.parallax).collect();
        let missing = 100.0 * (n - with_p.len() as f64) / n;
        let negative = 100.0 * with_p.iter().filter(|&&p| p < 0.0).count() as f64 / with_p.len() as f64;
        let k = 1000.0 * LY_PER_PC;
        let selected = 100.0
            * with_p.iter().filter(|&&p| crate::geom::select_distance(p, k, 10_000.0).is_some()).count() as f64
            / n;
        let low_b = 100.0 * v.iter().filter(|s| s.b.abs() < 10.0).count() as f64 / n;
        for (what, ours, real) in [
            ("missing", missing, 19.0),
            ("negative", negative, 24.5),
            ("selected", selected, 39.1),
            ("|b| < 10", low_b, 64.8),
        ] {
            assert!((ours - real).abs() <= 3.0, "{what}: {ours:.1} % against {real} % in DR3");
        }
    }
}
