//! Training ("Btune Studio"): measured chunks -> a model, deterministic for a seed.
//!
//! 1. **Measure** ([`measure_chunk`]): every setting of the space compresses and
//!    decompresses the whole chunk on one thread, `reps` times in interleaved rounds; the
//!    ratio is exact, the times the minimum of the rounds.
//! 2. **Label**: for each tradeoff `t` and mode of [`TrainOptions`], each setting's
//!    `ln J_t = t ln(cratio) + (1 - t) ln(speed)` ([`crate::Objective`], the oracle's
//!    figure); the label is the arg-max. One row per (chunk, tradeoff, mode), its input the
//!    chunk's features with `t` and the mode ([`crate::features::with_objective`]).
//! 3. **Hold back** 20 % of the chunks (chosen by the seed), all their rows.
//! 4. **Fit**: categories = every label of the training rows and python-blosc2's default
//!    (space order); inputs z-scored with the training rows' mean and std; a network with
//!    one hidden ReLU layer, trained by Adam on mini-batches (order drawn from the seed) to
//!    the cross-entropy against soft targets `softmax((ln J_k - max ln J) / tau)`, so a
//!    setting close to the best costs little and a bad one much. All arithmetic in `f64`
//!    on one thread, in a fixed order: the same examples and seed give the same bytes.
//! 5. **Report** on the held-back rows: accuracy (prediction = label) and the mean of
//!    `J(prediction) / J(label)` (and python-blosc2's default's, for comparison).

// Index loops read best in the linear algebra below.
#![allow(clippy::needless_range_loop)]

use std::time::Instant;

use blosc2_core::chunk::{self, CompressParams};
use serde_json::json;

use super::Model;
use crate::config::PerfMode;
use crate::error::{Error, Result};
use crate::features::{self, NDATA, NFEATURES};
use crate::objective::Objective;
use crate::space::{SearchSpace, Setting};

/// One setting measured on one chunk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// Uncompressed bytes.
    pub nbytes: usize,
    /// Compressed bytes.
    pub cbytes: usize,
    /// Compression seconds (minimum of the rounds).
    pub ctime: f64,
    /// Decompression seconds (minimum of the rounds).
    pub dtime: f64,
}

impl Cell {
    /// `ln J_t` of this cell for `o`.
    pub fn log_j(&self, o: &Objective) -> f64 {
        let cratio = self.nbytes as f64 / self.cbytes.max(1) as f64;
        o.log_j(cratio, o.speed(self.nbytes as f64, self.ctime, self.dtime))
    }
}

/// A measured chunk: its data features and one cell per setting of the space (in
/// [`SearchSpace::iter`] order).
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// [`features::data_features`] of the chunk.
    pub data: [f32; NDATA],
    /// The measures.
    pub cells: Vec<Cell>,
}

/// What [`train`] does.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// The space the examples were measured over.
    pub space: SearchSpace,
    /// Tradeoffs labelled.
    pub tradeoffs: Vec<f64>,
    /// Modes labelled.
    pub modes: Vec<PerfMode>,
    /// Seed of the hold-back draw, the initial weights and the batch order.
    pub seed: u64,
    /// Hidden units.
    pub hidden: usize,
    /// Passes over the training rows.
    pub epochs: usize,
    /// Fraction of the chunks held back.
    pub holdout: f64,
    /// Temperature of the soft targets (in `ln J`).
    pub tau: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            space: SearchSpace::default(),
            tradeoffs: vec![0.1, 0.3, 0.5, 0.7, 0.9],
            modes: vec![PerfMode::Comp, PerfMode::Decomp, PerfMode::Balanced],
            seed: 1,
            hidden: 32,
            epochs: 150,
            holdout: 0.2,
            tau: 0.05,
        }
    }
}

/// Figures of a training run.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Chunks trained on.
    pub train_chunks: usize,
    /// Chunks held back (0 when there were too few: then the figures are on the training
    /// rows).
    pub test_chunks: usize,
    /// Rows evaluated.
    pub rows: usize,
    /// Fraction of the evaluated rows whose prediction is the label.
    pub accuracy: f64,
    /// Mean of `J(prediction) / J(label)`.
    pub j_fraction: f64,
    /// Mean of `J(python-blosc2's default) / J(label)`.
    pub default_fraction: f64,
    /// Per tradeoff: (t, accuracy, j_fraction).
    pub per_tradeoff: Vec<(f64, f64, f64)>,
}

/// Measures every setting of `space` on `data` (items of `typesize` bytes, blocks of
/// `blocksize`, 0 for automatic), `reps` rounds.
///
/// # Errors
/// [`Error::Training`] for an empty chunk or space.
pub fn measure_chunk(
    data: &[u8],
    typesize: usize,
    blocksize: usize,
    space: &SearchSpace,
    reps: usize,
) -> Result<Example> {
    if data.is_empty() || space.is_empty() {
        return Err(Error::Training("an empty chunk or search space".to_string()));
    }
    let base = CompressParams { typesize: typesize.max(1), blocksize, nthreads: 1, ..CompressParams::default() };
    let settings: Vec<Setting> = space.iter().collect();
    let mut cells =
        vec![Cell { nbytes: data.len(), cbytes: data.len(), ctime: f64::MAX, dtime: f64::MAX }; settings.len()];
    let mut scratch = vec![0u8; data.len() + blosc2_core::header::MAX_OVERHEAD];
    let mut out = vec![0u8; data.len()];
    for _ in 0..reps.max(1) {
        for (s, cell) in settings.iter().zip(cells.iter_mut()) {
            let p = s.apply(&base);
            let t0 = Instant::now();
            let Ok(n) = chunk::compress_into(&p, data, &mut scratch) else {
                // A setting that cannot compress this chunk: never the best.
                *cell = Cell { nbytes: data.len(), cbytes: data.len(), ctime: 1e3, dtime: 1e3 };
                continue;
            };
            let ctime = t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let ok = chunk::decompress_into(&scratch[..n], &mut out, 1).is_ok();
            let dtime = if ok { t1.elapsed().as_secs_f64() } else { 1e3 };
            cell.cbytes = n;
            cell.ctime = cell.ctime.min(ctime.max(1e-9));
            cell.dtime = cell.dtime.min(dtime.max(1e-9));
        }
    }
    Ok(Example { data: features::data_features(data, typesize, blocksize), cells })
}

/// A seeded generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// One labelled row.
struct Row {
    x: [f64; NFEATURES],
    /// `ln J` of every setting of the space.
    log_j: Vec<f64>,
    /// The tradeoff.
    t: f64,
}

fn rows_of(examples: &[Example], idx: &[usize], opts: &TrainOptions) -> Vec<Row> {
    let mut rows = Vec::new();
    for &i in idx {
        let e = &examples[i];
        for &mode in &opts.modes {
            for &t in &opts.tradeoffs {
                let o = Objective { tradeoff: t, mode };
                let x = features::with_objective(&e.data, t, mode).map(f64::from);
                rows.push(Row { x, log_j: e.cells.iter().map(|c| c.log_j(&o)).collect(), t });
            }
        }
    }
    rows
}

fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

/// The network being fitted, in `f64`.
struct Net {
    nin: usize,
    nh: usize,
    nout: usize,
    w1: Vec<f64>,
    b1: Vec<f64>,
    w2: Vec<f64>,
    b2: Vec<f64>,
}

impl Net {
    fn forward(&self, x: &[f64], h: &mut [f64], z: &mut [f64]) {
        for j in 0..self.nh {
            let row = &self.w1[j * self.nin..(j + 1) * self.nin];
            h[j] = (self.b1[j] + row.iter().zip(x).map(|(w, v)| w * v).sum::<f64>()).max(0.0);
        }
        for k in 0..self.nout {
            let row = &self.w2[k * self.nh..(k + 1) * self.nh];
            z[k] = self.b2[k] + row.iter().zip(h.iter()).map(|(w, v)| w * v).sum::<f64>();
        }
    }
}

/// Adam's state for one parameter vector.
struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Adam {
    fn new(n: usize) -> Adam {
        Adam { m: vec![0.0; n], v: vec![0.0; n] }
    }
    fn step(&mut self, p: &mut [f64], g: &[f64], lr: f64, step: i32, decay: f64) {
        let (b1, b2) = (0.9f64, 0.999f64);
        let c1 = 1.0 - b1.powi(step);
        let c2 = 1.0 - b2.powi(step);
        for i in 0..p.len() {
            let gi = g[i] + decay * p[i];
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * gi;
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * gi * gi;
            p[i] -= lr * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + 1e-8);
        }
    }
}

/// Trains a model on `examples` (measured over `opts.space`), holding back a share of the
/// chunks for the report.
///
/// # Errors
/// [`Error::Training`] when there are no examples, no tradeoffs or modes, or an example's
/// cells do not match the space.
pub fn train(examples: &[Example], opts: &TrainOptions) -> Result<(Model, Report)> {
    let settings: Vec<Setting> = opts.space.iter().collect();
    if examples.is_empty() {
        return Err(Error::Training("no chunks to learn from".to_string()));
    }
    if opts.tradeoffs.is_empty() || opts.modes.is_empty() || settings.is_empty() {
        return Err(Error::Training("no tradeoffs, modes or settings".to_string()));
    }
    if let Some(e) = examples.iter().find(|e| e.cells.len() != settings.len()) {
        return Err(Error::Training(format!("{} measures for {} settings", e.cells.len(), settings.len())));
    }
    if opts.tradeoffs.iter().any(|t| !(0.0..=1.0).contains(t)) {
        return Err(Error::Training("tradeoffs must be in [0, 1]".to_string()));
    }
    let mut rng = Rng(opts.seed);
    let mut order: Vec<usize> = (0..examples.len()).collect();
    rng.shuffle(&mut order);
    let ntest = if examples.len() >= 2 {
        ((examples.len() as f64 * opts.holdout).round() as usize).clamp(1, examples.len() - 1)
    } else {
        0
    };
    let (test_idx, train_idx) = order.split_at(ntest);
    let mut train_idx = train_idx.to_vec();
    train_idx.sort_unstable();
    let mut test_idx = test_idx.to_vec();
    test_idx.sort_unstable();
    let train_rows = rows_of(examples, &train_idx, opts);

    // Categories: every label of the training rows, and the default, in space order.
    let mut used = vec![false; settings.len()];
    for r in &train_rows {
        used[argmax(&r.log_j)] = true;
    }
    if let Some(d) = settings.iter().position(|s| *s == Setting::DEFAULT) {
        used[d] = true;
    }
    let cat_idx: Vec<usize> = (0..settings.len()).filter(|&i| used[i]).collect();
    let categories: Vec<Setting> = cat_idx.iter().map(|&i| settings[i]).collect();
    let nout = categories.len();

    // Normalisation.
    let n = train_rows.len() as f64;
    let mut mean = [0f64; NFEATURES];
    let mut std = [0f64; NFEATURES];
    for r in &train_rows {
        for i in 0..NFEATURES {
            mean[i] += r.x[i] / n;
        }
    }
    for r in &train_rows {
        for i in 0..NFEATURES {
            std[i] += (r.x[i] - mean[i]).powi(2) / n;
        }
    }
    // Stored as f32: normalise with the rounded figures, as inference will.
    let mean32: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
    let std32: Vec<f32> = std.iter().map(|&v| if v.sqrt() < 1e-6 { 0.0 } else { v.sqrt() as f32 }).collect();
    let norm = |x: &[f64; NFEATURES]| -> Vec<f64> {
        (0..NFEATURES)
            .map(|i| {
                let x32 = x[i] as f32;
                if std32[i] > 0.0 {
                    f64::from((x32 - mean32[i]) / std32[i])
                } else {
                    0.0
                }
            })
            .collect()
    };
    let xs: Vec<Vec<f64>> = train_rows.iter().map(|r| norm(&r.x)).collect();
    let targets: Vec<Vec<f64>> = train_rows
        .iter()
        .map(|r| {
            let lj: Vec<f64> = cat_idx.iter().map(|&i| r.log_j[i]).collect();
            let m = lj.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = lj.iter().map(|v| ((v - m) / opts.tau.max(1e-6)).exp()).collect();
            let s: f64 = e.iter().sum();
            e.iter().map(|v| v / s).collect()
        })
        .collect();

    // The network.
    let (nin, nh) = (NFEATURES, opts.hidden.clamp(1, super::MAX_WIDTH));
    let mut init = |nfan_in: usize, nfan_out: usize, len: usize| -> Vec<f64> {
        let a = (6.0 / (nfan_in + nfan_out) as f64).sqrt();
        (0..len).map(|_| (rng.unit() * 2.0 - 1.0) * a).collect()
    };
    let mut net = Net {
        nin,
        nh,
        nout,
        w1: init(nin, nh, nh * nin),
        b1: vec![0.0; nh],
        w2: init(nh, nout, nout * nh),
        b2: vec![0.0; nout],
    };
    let mut opt = [Adam::new(nh * nin), Adam::new(nh), Adam::new(nout * nh), Adam::new(nout)];
    let batch = 32;
    let mut idx: Vec<usize> = (0..xs.len()).collect();
    let (mut h, mut z, mut p) = (vec![0.0; nh], vec![0.0; nout], vec![0.0; nout]);
    let mut step = 0;
    for epoch in 0..opts.epochs {
        rng.shuffle(&mut idx);
        let lr = 0.01 * (1.0 - 0.9 * epoch as f64 / opts.epochs.max(1) as f64);
        for b in idx.chunks(batch) {
            let mut g = [vec![0.0; nh * nin], vec![0.0; nh], vec![0.0; nout * nh], vec![0.0; nout]];
            for &r in b {
                net.forward(&xs[r], &mut h, &mut z);
                let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
                for k in 0..nout {
                    p[k] = (z[k] - m).exp() / s;
                }
                let inv = 1.0 / b.len() as f64;
                let mut dh = vec![0.0; nh];
                for k in 0..nout {
                    let dz = (p[k] - targets[r][k]) * inv;
                    g[3][k] += dz;
                    for j in 0..nh {
                        g[2][k * nh + j] += dz * h[j];
                        dh[j] += dz * net.w2[k * nh + j];
                    }
                }
                for j in 0..nh {
                    if h[j] <= 0.0 {
                        continue;
                    }
                    g[1][j] += dh[j];
                    for i in 0..nin {
                        g[0][j * nin + i] += dh[j] * xs[r][i];
                    }
                }
            }
            step += 1;
            opt[0].step(&mut net.w1, &g[0], lr, step, 1e-4);
            opt[1].step(&mut net.b1, &g[1], lr, step, 0.0);
            opt[2].step(&mut net.w2, &g[2], lr, step, 1e-4);
            opt[3].step(&mut net.b2, &g[3], lr, step, 0.0);
        }
    }

    let to32 = |v: &[f64], cols: usize| -> Vec<Vec<f32>> {
        v.chunks(cols).map(|r| r.iter().map(|&x| x as f32).collect()).collect()
    };
    let b32 = |v: &[f64]| -> Vec<f32> { v.iter().map(|&x| x as f32).collect() };
    let layers = vec![(to32(&net.w1, nin), b32(&net.b1)), (to32(&net.w2, nh), b32(&net.b2))];
    let mut model = super::from_parts(mean32.clone(), std32.clone(), categories.clone(), layers, json!({}));

    // The report, with the f32 model as it will be used.
    let eval_idx = if test_idx.is_empty() { &train_idx } else { &test_idx };
    let eval_rows = rows_of(examples, eval_idx, opts);
    let default = settings.iter().position(|s| *s == Setting::DEFAULT);
    let mut acc = 0.0;
    let mut jf = 0.0;
    let mut df = 0.0;
    let mut per: Vec<(f64, f64, f64, usize)> = opts.tradeoffs.iter().map(|&t| (t, 0.0, 0.0, 0)).collect();
    for r in &eval_rows {
        let x: [f32; NFEATURES] = r.x.map(|v| v as f32);
        let k = cat_idx[model.predict_index(&x)];
        let best = argmax(&r.log_j);
        let hit = if k == best { 1.0 } else { 0.0 };
        let f = (r.log_j[k] - r.log_j[best]).exp();
        acc += hit;
        jf += f;
        df += default.map_or(0.0, |d| (r.log_j[d] - r.log_j[best]).exp());
        if let Some(p) = per.iter_mut().find(|p| p.0 == r.t) {
            p.1 += hit;
            p.2 += f;
            p.3 += 1;
        }
    }
    let m = eval_rows.len().max(1) as f64;
    let report = Report {
        train_chunks: train_idx.len(),
        test_chunks: test_idx.len(),
        rows: eval_rows.len(),
        accuracy: acc / m,
        j_fraction: jf / m,
        default_fraction: df / m,
        per_tradeoff: per.iter().map(|p| (p.0, p.1 / p.3.max(1) as f64, p.2 / p.3.max(1) as f64)).collect(),
    };
    model.training = Some(json!({
        "seed": opts.seed,
        "chunks": examples.len(),
        "train_chunks": report.train_chunks,
        "held_back_chunks": report.test_chunks,
        "tradeoffs": opts.tradeoffs,
        "modes": opts.modes.iter().map(|m| m.name()).collect::<Vec<_>>(),
        "hidden": nh,
        "epochs": opts.epochs,
        "tau": opts.tau,
        "held_back_accuracy": round6(report.accuracy),
        "held_back_j_fraction": round6(report.j_fraction),
        "held_back_default_fraction": round6(report.default_fraction),
    }));
    Ok((model, report))
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
