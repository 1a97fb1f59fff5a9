//! Models ("Btune Models"): a chunk's features ([`crate::features`]) with the tradeoff and
//! mode -> a predicted [`Setting`] of the search space. A small dense network (one or more
//! hidden layers with ReLU, a linear output layer, arg-max over the categories) evaluated
//! here in plain Rust, without an ML runtime; trained by [`train`] (deterministic for a
//! seed). The crate ships a default model ([`Model::builtin`]), trained on synthetic data
//! ([`synth`]) by `scripts/train_default_model.sh`.
//!
//! # The model file (JSON)
//!
//! ```json
//! {
//!   "format": "blosc2-tune-model",
//!   "version": 1,
//!   "features": ["log2_typesize", "entropy", ...],
//!   "mean": [...],
//!   "std": [...],
//!   "categories": ["lz4-5-shuffle-auto", "zstd-9-shuffle+bytedelta-auto", ...],
//!   "layers": [
//!     {"act": "relu", "w": [[...], ...], "b": [...]},
//!     {"act": "linear", "w": [[...], ...], "b": [...]}
//!   ],
//!   "training": {...}
//! }
//! ```
//!
//! * `format` and `version` (1) identify the file.
//! * `features`: the input names, exactly [`crate::features::FEATURE_NAMES`] in that order.
//! * `mean`, `std`: one per feature; the network sees `(x - mean) / std`, and `0` for a
//!   feature whose `std` is 0 (constant in the training set: it carries no information
//!   and must not move the answer when it takes another value).
//! * `categories`: the settings the network chooses between, as [`Setting::label`]
//!   writes them (`codec-clevel-filter-split`).
//! * `layers`: `w` has one row per output of the layer, each row one weight per input;
//!   `b` one bias per output; `act` is `relu` or `linear` (the last layer must be
//!   `linear`, its outputs one per category). Widths are at most [`MAX_WIDTH`].
//! * `training`: what the trainer records (seed, counts, held-back figures); not read.
//!
//! Every number must be finite. Any other shape is an [`Error::Model`], never a panic.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use blosc2_core::chunk::SplitMode;
use blosc2_core::codec::CodecId;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::features::{FEATURE_NAMES, NFEATURES};
use crate::space::{FilterKind, Setting};

pub mod synth;
mod train;

pub use train::{measure_chunk, train, Cell, Example, Report, TrainOptions};

/// The `format` field.
pub const FORMAT: &str = "blosc2-tune-model";

/// The `version` field this crate reads and writes.
pub const VERSION: u32 = 1;

/// The widest layer a model may have.
pub const MAX_WIDTH: usize = 256;

/// The shipped default model's file (trained on [`synth`] data).
const BUILTIN: &str = include_str!("../../models/default.json");

/// One dense layer.
#[derive(Debug, Clone, PartialEq)]
struct Layer {
    nin: usize,
    nout: usize,
    /// `nout` rows of `nin` weights.
    w: Vec<f32>,
    b: Vec<f32>,
    relu: bool,
}

/// A loaded model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    mean: Vec<f32>,
    std: Vec<f32>,
    categories: Vec<Setting>,
    layers: Vec<Layer>,
    training: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayer {
    act: String,
    w: Vec<Vec<f32>>,
    b: Vec<f32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    format: String,
    version: u32,
    features: Vec<String>,
    mean: Vec<f32>,
    std: Vec<f32>,
    categories: Vec<String>,
    layers: Vec<RawLayer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    training: Option<serde_json::Value>,
}

/// The setting a label such as `zstd-5-shuffle+bytedelta-auto` names.
pub fn parse_label(label: &str) -> Option<Setting> {
    let parts: Vec<&str> = label.split('-').collect();
    let [codec, clevel, filter, split] = parts[..] else { return None };
    let codec = CodecId::from_name(codec)?;
    let clevel: u8 = clevel.parse().ok().filter(|l| (0..=9).contains(l))?;
    let filter = FilterKind::ALL.into_iter().find(|f| f.name() == filter)?;
    let split = SplitMode::from_name(split)?;
    let s = Setting { codec, filter, clevel, split };
    (s.label() == label).then_some(s)
}

impl Model {
    /// Reads a model file.
    ///
    /// # Errors
    /// [`Error::Model`] (naming the file) when it cannot be read or is not a valid model.
    pub fn load(path: &Path) -> Result<Model> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Model { source_name: name.clone(), reason: e.to_string() })?;
        Model::parse(&text).map_err(|e| match e {
            Error::Model { reason, .. } => Error::Model { source_name: name, reason },
            other => other,
        })
    }

    /// The shipped default model, parsed once.
    ///
    /// # Errors
    /// [`Error::Model`] if the embedded file were not a valid model (a test checks it is).
    pub fn builtin() -> Result<Arc<Model>> {
        static CELL: OnceLock<std::result::Result<Arc<Model>, String>> = OnceLock::new();
        CELL.get_or_init(|| Model::parse(BUILTIN).map(Arc::new).map_err(|e| e.to_string()))
            .clone()
            .map_err(|reason| Error::Model { source_name: "built-in".to_string(), reason })
    }

    /// The model a configuration asks for: `explicit` when given, else `models_dir` when
    /// it is not a folder (a model file), else `model.json` in the `models_dir` folder (`model_decomp.json` for
    /// DECOMP, `model_comp.json` for the other modes, when `model.json` is absent), else
    /// the shipped one.
    ///
    /// # Errors
    /// [`Error::Model`] when the file is missing or invalid.
    pub fn for_config(cfg: &crate::BtuneConfig, explicit: Option<&Path>) -> Result<Arc<Model>> {
        if let Some(p) = explicit {
            return Model::load(p).map(Arc::new);
        }
        let Some(dir) = &cfg.models_dir else { return Model::builtin() };
        if !dir.is_dir() {
            return Model::load(dir).map(Arc::new);
        }
        let one = dir.join("model.json");
        if one.is_file() {
            return Model::load(&one).map(Arc::new);
        }
        let per_mode = if cfg.perf_mode == crate::PerfMode::Decomp { "model_decomp.json" } else { "model_comp.json" };
        let p = dir.join(per_mode);
        if p.is_file() {
            return Model::load(&p).map(Arc::new);
        }
        Err(Error::Model {
            source_name: dir.display().to_string(),
            reason: format!("neither model.json nor {per_mode} in the models folder"),
        })
    }

    /// Parses a model from its JSON text.
    ///
    /// # Errors
    /// [`Error::Model`] with a one-line reason.
    pub fn parse(text: &str) -> Result<Model> {
        let bad = |reason: String| Error::Model { source_name: "model".to_string(), reason };
        let raw: RawModel = serde_json::from_str(text).map_err(|e| bad(format!("not a model file: {e}")))?;
        if raw.format != FORMAT {
            return Err(bad(format!("format {:?}, expected {FORMAT:?}", raw.format)));
        }
        if raw.version != VERSION {
            return Err(bad(format!("version {}, this build reads version {VERSION}", raw.version)));
        }
        if raw.features != FEATURE_NAMES {
            return Err(bad(format!("features {:?} differ from this build's {:?}", raw.features, FEATURE_NAMES)));
        }
        if raw.mean.len() != NFEATURES || raw.std.len() != NFEATURES {
            return Err(bad(format!("{} means and {} stds for {NFEATURES} features", raw.mean.len(), raw.std.len())));
        }
        if raw.mean.iter().chain(&raw.std).any(|v| !v.is_finite()) || raw.std.iter().any(|&s| s < 0.0) {
            return Err(bad("mean and std must be finite, std >= 0".to_string()));
        }
        if raw.categories.is_empty() {
            return Err(bad("no categories".to_string()));
        }
        let mut categories = Vec::with_capacity(raw.categories.len());
        for l in &raw.categories {
            let s = parse_label(l).ok_or_else(|| bad(format!("unknown setting label {l:?}")))?;
            if categories.contains(&s) {
                return Err(bad(format!("category {l:?} listed twice")));
            }
            categories.push(s);
        }
        if raw.layers.is_empty() {
            return Err(bad("no layers".to_string()));
        }
        let mut layers = Vec::with_capacity(raw.layers.len());
        let mut nin = NFEATURES;
        for (k, l) in raw.layers.iter().enumerate() {
            let nout = l.w.len();
            let last = k + 1 == raw.layers.len();
            let relu = match l.act.as_str() {
                "relu" if !last => true,
                "linear" => false,
                a => return Err(bad(format!("layer {k}: activation {a:?} (relu, or linear for the last layer)"))),
            };
            if nout == 0 || nout > MAX_WIDTH {
                return Err(bad(format!("layer {k}: {nout} outputs (1 to {MAX_WIDTH})")));
            }
            if l.b.len() != nout {
                return Err(bad(format!("layer {k}: {} biases for {nout} outputs", l.b.len())));
            }
            if let Some((r, row)) = l.w.iter().enumerate().find(|(_, row)| row.len() != nin) {
                return Err(bad(format!("layer {k}: row {r} has {} weights for {nin} inputs", row.len())));
            }
            if l.w.iter().flatten().chain(&l.b).any(|v| !v.is_finite()) {
                return Err(bad(format!("layer {k}: a weight is not finite")));
            }
            layers.push(Layer { nin, nout, w: l.w.concat(), b: l.b.clone(), relu });
            nin = nout;
        }
        if nin != categories.len() {
            return Err(bad(format!("{nin} outputs for {} categories", categories.len())));
        }
        Ok(Model { mean: raw.mean, std: raw.std, categories, layers, training: raw.training })
    }

    /// The model as its JSON file (one field per line, deterministic).
    pub fn to_json(&self) -> String {
        let raw = RawModel {
            format: FORMAT.to_string(),
            version: VERSION,
            features: FEATURE_NAMES.iter().map(|s| (*s).to_string()).collect(),
            mean: self.mean.clone(),
            std: self.std.clone(),
            categories: self.categories.iter().map(Setting::label).collect(),
            layers: self
                .layers
                .iter()
                .map(|l| RawLayer {
                    act: if l.relu { "relu" } else { "linear" }.to_string(),
                    w: l.w.chunks(l.nin).map(<[f32]>::to_vec).collect(),
                    b: l.b.clone(),
                })
                .collect(),
            training: self.training.clone(),
        };
        let mut out = String::from("{\n");
        out += &format!("  \"format\": {},\n", c(&raw.format));
        out += &format!("  \"version\": {},\n", raw.version);
        out += &format!("  \"features\": {},\n", c(&raw.features));
        out += &format!("  \"mean\": {},\n", c(&raw.mean));
        out += &format!("  \"std\": {},\n", c(&raw.std));
        out += &format!("  \"categories\": {},\n", c(&raw.categories));
        out += "  \"layers\": [\n";
        let layers: Vec<String> = raw.layers.iter().map(|l| format!("    {}", c(l))).collect();
        out += &layers.join(",\n");
        out += "\n  ]";
        if let Some(t) = &raw.training {
            out += &format!(",\n  \"training\": {}", c(t));
        }
        out += "\n}\n";
        out
    }

    /// The settings the model chooses between.
    pub fn categories(&self) -> &[Setting] {
        &self.categories
    }

    /// What the trainer recorded, if anything.
    pub fn training(&self) -> Option<&serde_json::Value> {
        self.training.as_ref()
    }

    /// The outputs (one score per category, before softmax) for the input `x`.
    pub fn scores(&self, x: &[f32; NFEATURES]) -> Vec<f32> {
        let mut a = [0f32; MAX_WIDTH];
        let mut b = [0f32; MAX_WIDTH];
        for (i, v) in a[..NFEATURES].iter_mut().enumerate() {
            let s = self.std[i];
            *v = if s > 0.0 { (x[i] - self.mean[i]) / s } else { 0.0 };
        }
        for l in &self.layers {
            for (o, out) in b[..l.nout].iter_mut().enumerate() {
                let row = &l.w[o * l.nin..(o + 1) * l.nin];
                let mut s = l.b[o];
                for (w, v) in row.iter().zip(&a[..l.nin]) {
                    s += w * v;
                }
                *out = if l.relu { s.max(0.0) } else { s };
            }
            std::mem::swap(&mut a, &mut b);
        }
        let n = self.layers.last().map_or(0, |l| l.nout);
        a[..n].to_vec()
    }

    /// The index of the predicted category (the first of the highest scores).
    pub fn predict_index(&self, x: &[f32; NFEATURES]) -> usize {
        let s = self.scores(x);
        let mut best = 0;
        for (i, v) in s.iter().enumerate() {
            if *v > s[best] {
                best = i;
            }
        }
        best
    }

    /// The `k` categories with the highest scores, best first (ties: the earlier).
    pub fn top(&self, x: &[f32; NFEATURES], k: usize) -> Vec<Setting> {
        let s = self.scores(x);
        let mut idx: Vec<usize> = (0..s.len()).collect();
        idx.sort_by(|&a, &b| s[b].total_cmp(&s[a]).then(a.cmp(&b)));
        idx.into_iter().take(k).map(|i| self.categories[i]).collect()
    }

    /// The predicted setting.
    pub fn predict(&self, x: &[f32; NFEATURES]) -> Setting {
        self.categories[self.predict_index(x)]
    }
}

/// Compact JSON of one of the file's parts.
fn c<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A model from its parts (the trainer's output).
pub(crate) fn from_parts(
    mean: Vec<f32>,
    std: Vec<f32>,
    categories: Vec<Setting>,
    layers: Vec<(Vec<Vec<f32>>, Vec<f32>)>,
    training: serde_json::Value,
) -> Model {
    let n = layers.len();
    let mut nin = NFEATURES;
    let layers = layers
        .into_iter()
        .enumerate()
        .map(|(k, (w, b))| {
            let nout = w.len();
            let l = Layer { nin, nout, w: w.concat(), b, relu: k + 1 < n };
            nin = nout;
            l
        })
        .collect();
    Model { mean, std, categories, layers, training: Some(training) }
}

#[cfg(test)]
mod tests;
