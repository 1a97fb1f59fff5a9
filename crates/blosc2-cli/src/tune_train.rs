//! `blosc2 tune train DATA... -o MODEL.json` ("Btune Studio"): samples chunks of the
//! user's data, measures every setting of the search space on each, labels the best per
//! tradeoff and mode, trains a model ([`blosc2_tune::model::train`]), holds back 20 % of
//! the chunks and reports on them. `--synthetic` trains on the crate's generators (the
//! shipped default model: `scripts/train_default_model.sh`).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use blosc2_core::schunk::SChunk;
use blosc2_nd::NdArray;
use blosc2_tune::features::{self, NDATA};
use blosc2_tune::model::{self, synth, Cell, Example, TrainOptions};
use blosc2_tune::{parse_tradeoff, PerfMode, SearchSpace};
use clap::Args;
use serde_json::{json, Value};

use crate::progress::Progress;

/// Arguments of `tune train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// `.npy`, `.b2nd` or `.b2frame` files (decompressed), raw files with `--typesize`,
    /// names of the data sets of shared/bench/WORKLOADS.md, or measured tables written
    /// by `--table` (`.jsonl`, used without measuring again).
    pub data: Vec<String>,
    /// The model file to write.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Tradeoffs labelled, comma-separated.
    #[arg(long, default_value = "0.1,0.3,0.5,0.7,0.9")]
    pub tradeoff: String,
    /// Modes labelled, comma-separated: comp, decomp, balanced.
    #[arg(long, default_value = "comp,decomp,balanced")]
    pub mode: String,
    /// Seed of the held-back draw, the initial weights and the batch order.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Item size of raw files (required for them).
    #[arg(long)]
    pub typesize: Option<usize>,
    /// Uncompressed bytes per chunk.
    #[arg(long, default_value_t = 1 << 20)]
    pub chunksize: usize,
    /// At most this many chunks measured, spread evenly over the inputs.
    #[arg(long, default_value_t = 200)]
    pub max_chunks: usize,
    /// Rounds of measures (the minimum time of each setting is kept).
    #[arg(long, default_value_t = 2)]
    pub reps: usize,
    /// Size of the generated data sets, MiB.
    #[arg(long, default_value_t = 16)]
    pub mib: usize,
    /// Train on the synthetic generators (no DATA): every kind and variant, one chunk of
    /// `--chunksize` each, per seed in `--synthetic-seeds`.
    #[arg(long)]
    pub synthetic: bool,
    /// Seeds of the synthetic corpus, comma-separated.
    #[arg(long, default_value = "1,2")]
    pub synthetic_seeds: String,
    /// Only these generators of the synthetic corpus (names such as `walk_f64`,
    /// comma-separated; all by default): to measure generators added to a corpus whose
    /// table is measured already.
    #[arg(long)]
    pub synthetic_kinds: Option<String>,
    /// Hidden units of the network.
    #[arg(long, default_value_t = 32)]
    pub hidden: usize,
    /// Passes over the training rows.
    #[arg(long, default_value_t = 150)]
    pub epochs: usize,
    /// Also write the measured table (one JSON line per chunk) to this file.
    #[arg(long)]
    pub table: Option<PathBuf>,
    /// Compute the data features of the measured tables' chunks again, with the features
    /// of this build (the measures are kept): for tables measured before the features
    /// changed. Each chunk is made again from its source (a synthetic generator, or a
    /// file or data set read as this command reads DATA, `--chunksize` apart) and checked
    /// to be the chunk measured (the table's first setting compresses it to the bytes
    /// recorded).
    #[arg(long)]
    pub refeature: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// One input, decompressed.
struct Input {
    name: String,
    bytes: Vec<u8>,
    typesize: usize,
}

fn ext(p: &Path) -> String {
    p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}

fn load(d: &str, args: &TrainArgs) -> Result<Input> {
    let path = PathBuf::from(d);
    if path.is_dir() && ext(&path) == "b2nd" {
        let a = NdArray::open(&path).with_context(|| format!("cannot open {d}"))?;
        return Ok(Input { name: d.to_string(), bytes: a.to_bytes()?, typesize: a.dtype().itemsize() });
    }
    if path.is_file() {
        match ext(&path).as_str() {
            "npy" => {
                let bytes = std::fs::read(&path).with_context(|| format!("cannot read {d}"))?;
                let (h, data) =
                    blosc2_nd::npy::read(&bytes).with_context(|| format!("{d} is not a valid .npy file"))?;
                return Ok(Input { name: d.to_string(), bytes: data, typesize: h.dtype.itemsize() });
            }
            "b2nd" => {
                let a = NdArray::open(&path).with_context(|| format!("cannot open {d}"))?;
                let bytes = a.to_bytes().with_context(|| format!("cannot decompress {d}"))?;
                return Ok(Input { name: d.to_string(), bytes, typesize: a.dtype().itemsize() });
            }
            "b2frame" => {
                let s = SChunk::open(&path).with_context(|| format!("cannot open {d}"))?;
                let mut bytes = Vec::new();
                for i in 0..s.nchunks() {
                    bytes.extend(s.decompress_chunk(i).with_context(|| format!("{d}: cannot decompress chunk {i}"))?);
                }
                return Ok(Input { name: d.to_string(), bytes, typesize: s.typesize() });
            }
            _ => {
                let Some(ts) = args.typesize else {
                    bail!("{d}: a raw file needs --typesize (or use .npy, .b2nd, .b2frame)");
                };
                let bytes = std::fs::read(&path).with_context(|| format!("cannot read {d}"))?;
                return Ok(Input { name: d.to_string(), bytes, typesize: ts });
            }
        }
    }
    let spec = crate::bench::datasets::spec(d).with_context(|| format!("{d} is neither a file nor a data set"))?;
    let bytes = crate::bench::datasets::make(spec, Some(args.mib));
    Ok(Input { name: d.to_string(), bytes, typesize: spec.dtype.size() })
}

/// A measured chunk with where it came from.
struct Measured {
    source: String,
    chunk: usize,
    typesize: usize,
    example: Example,
}

fn table_line(m: &Measured) -> Value {
    json!({
        "source": m.source,
        "chunk": m.chunk,
        "typesize": m.typesize,
        "data": m.example.data,
        "cells": m.example.cells.iter().map(|c| json!([c.nbytes, c.cbytes, c.ctime, c.dtime])).collect::<Vec<_>>(),
    })
}

/// The examples of a table written by `--table`.
fn read_table(path: &str, nsettings: usize) -> Result<Vec<Measured>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = || format!("{path}:{}: not a line of a measured table", i + 1);
        let v: Value = serde_json::from_str(line).with_context(bad)?;
        let data: Vec<f32> = serde_json::from_value(v["data"].clone()).with_context(bad)?;
        let cells: Vec<(usize, usize, f64, f64)> = serde_json::from_value(v["cells"].clone()).with_context(bad)?;
        let data: [f32; NDATA] = data.try_into().map_err(|_| anyhow::anyhow!(bad()))?;
        if cells.len() != nsettings || data.iter().any(|x| !x.is_finite()) {
            bail!("{}: {} measures for {nsettings} settings", bad(), cells.len());
        }
        out.push(Measured {
            source: v["source"].as_str().unwrap_or("?").to_string(),
            chunk: v["chunk"].as_u64().unwrap_or(0) as usize,
            typesize: v["typesize"].as_u64().unwrap_or(1) as usize,
            example: Example {
                data,
                cells: cells
                    .into_iter()
                    .map(|(nbytes, cbytes, ctime, dtime)| Cell { nbytes, cbytes, ctime, dtime })
                    .collect(),
            },
        });
    }
    Ok(out)
}

/// The generator of a synthetic sample's name (`walk_f64_v2` -> `walk_f64`).
fn generator(sample: &str) -> &str {
    sample.rsplit_once("_v").map_or(sample, |(kind, _)| kind)
}

/// The chunk a table's line was measured on, made again from its source: a synthetic
/// generator's (`NAME_sSEED`, made at the power of two the chunk's size rounds up to, as
/// `--synthetic --chunksize` makes them), else the source read as DATA is.
fn remake(m: &Measured, made: &mut HashMap<(u64, usize), Vec<synth::Sample>>, args: &TrainArgs) -> Result<Vec<u8>> {
    let nbytes = m.example.cells.first().map_or(0, |c| c.nbytes);
    let synthetic = m.source.rsplit_once("_s").and_then(|(name, seed)| Some((name, seed.parse::<u64>().ok()?)));
    if let Some((name, seed)) = synthetic.filter(|_| !Path::new(&m.source).exists()) {
        let size = nbytes.next_power_of_two();
        let corpus = made.entry((seed, size)).or_insert_with(|| synth::corpus(size, seed));
        let sample = corpus
            .iter()
            .find(|s| s.name == name)
            .with_context(|| format!("{}: no synthetic generator makes {name}", m.source))?;
        return Ok(sample.bytes.chunks(size).nth(m.chunk).unwrap_or(&[]).to_vec());
    }
    let inp = load(&m.source, args)?;
    Ok(inp.bytes.chunks(args.chunksize).nth(m.chunk).unwrap_or(&[]).to_vec())
}

/// [`TrainArgs::refeature`]: the data features of every measured chunk computed again.
fn refeature(measured: &mut [Measured], space: &SearchSpace, args: &TrainArgs) -> Result<()> {
    use blosc2_core::chunk::{self, CompressParams};
    let first = space.iter().next().context("an empty search space")?;
    let mut made = HashMap::new();
    for m in measured.iter_mut() {
        let bytes = remake(m, &mut made, args)?;
        let cell = m.example.cells[0];
        let base = CompressParams { typesize: m.typesize.max(1), nthreads: 1, ..CompressParams::default() };
        let cbytes = chunk::compress(&first.apply(&base), &bytes).map(|c| c.len()).unwrap_or(0);
        if (bytes.len(), cbytes) != (cell.nbytes, cell.cbytes) {
            bail!(
                "{} chunk {}: made again, {} bytes compressing to {cbytes}, not the {} to {} measured",
                m.source,
                m.chunk,
                bytes.len(),
                cell.nbytes,
                cell.cbytes
            );
        }
        m.example.data = features::data_features(&bytes, m.typesize, 0);
    }
    Ok(())
}

/// Runs `blosc2 tune train`.
pub fn run(args: TrainArgs) -> Result<()> {
    let tradeoffs: Vec<f64> = args.tradeoff.split(',').map(parse_tradeoff).collect::<Result<_, _>>()?;
    let modes: Vec<PerfMode> = args.mode.split(',').map(PerfMode::parse).collect::<Result<_, _>>()?;
    if args.chunksize < 4096 {
        bail!("--chunksize {} is too small (at least 4096 bytes)", args.chunksize);
    }
    if args.data.is_empty() && !args.synthetic {
        bail!("nothing to learn from: give DATA or --synthetic");
    }
    let space = SearchSpace::default();
    let nsettings = space.len();

    // The chunks to measure: (input index, offset), spread evenly when too many.
    let mut measured: Vec<Measured> = Vec::new();
    let mut inputs: Vec<Input> = Vec::new();
    for d in &args.data {
        if ext(Path::new(d)) == "jsonl" && Path::new(d).is_file() {
            measured.extend(read_table(d, nsettings)?);
        } else {
            inputs.push(load(d, &args)?);
        }
    }
    if args.refeature {
        refeature(&mut measured, &space, &args)?;
    }
    if args.synthetic {
        let kinds: Option<Vec<&str>> = args.synthetic_kinds.as_deref().map(|k| k.split(',').map(str::trim).collect());
        let all: Vec<String> = synth::corpus(4096, 0).into_iter().map(|s| s.name).collect();
        for k in kinds.iter().flatten() {
            if !all.iter().any(|n| generator(n) == *k) {
                bail!("--synthetic-kinds: no generator is named {k:?}");
            }
        }
        for seed in args.synthetic_seeds.split(',') {
            let seed: u64 =
                seed.trim().parse().with_context(|| format!("--synthetic-seeds: {seed:?} is not a number"))?;
            for s in synth::corpus(args.chunksize, seed) {
                if kinds.as_ref().is_some_and(|ks| !ks.contains(&generator(&s.name))) {
                    continue;
                }
                inputs.push(Input { name: format!("{}_s{seed}", s.name), bytes: s.bytes, typesize: s.typesize });
            }
        }
    }
    let mut chunks: Vec<(usize, usize)> = Vec::new();
    for (k, inp) in inputs.iter().enumerate() {
        for (j, c) in inp.bytes.chunks(args.chunksize).enumerate() {
            if c.len() >= 4096.min(args.chunksize) && !features::looks_empty(c) {
                chunks.push((k, j));
            }
        }
    }
    if chunks.len() > args.max_chunks {
        let n = chunks.len();
        chunks = (0..args.max_chunks).map(|i| chunks[i * n / args.max_chunks]).collect();
    }
    if chunks.is_empty() && measured.is_empty() {
        bail!("no chunk with data in the inputs");
    }

    let start = Instant::now();
    let total: u64 =
        chunks.iter().map(|&(k, j)| inputs[k].bytes.chunks(args.chunksize).nth(j).map_or(0, <[u8]>::len) as u64).sum();
    let bar = Progress::new(Some(total), "measuring", args.quiet);
    for &(k, j) in &chunks {
        let inp = &inputs[k];
        let c = inp.bytes.chunks(args.chunksize).nth(j).unwrap_or(&[]);
        let example = model::measure_chunk(c, inp.typesize, 0, &space, args.reps)?;
        measured.push(Measured { source: inp.name.clone(), chunk: j, typesize: inp.typesize, example });
        bar.inc(c.len() as u64);
    }
    bar.finish();
    let measure_secs = start.elapsed().as_secs_f64();

    let opts = TrainOptions {
        space: space.clone(),
        tradeoffs: tradeoffs.clone(),
        modes: modes.clone(),
        seed: args.seed,
        hidden: args.hidden,
        epochs: args.epochs,
        ..TrainOptions::default()
    };
    let examples: Vec<Example> = measured.iter().map(|m| m.example.clone()).collect();
    let t = Instant::now();
    let (model, report) = model::train(&examples, &opts)?;
    let train_secs = t.elapsed().as_secs_f64();

    // Written only now, whole, under a temporary name first.
    if let Some(table) = &args.table {
        let text: String = measured.iter().map(|m| format!("{}\n", table_line(m))).collect();
        write_whole(table, text.as_bytes())?;
    }
    write_whole(&args.output, model.to_json().as_bytes())?;

    println!(
        "measured {} chunks x {} settings ({} rounds) in {:.1} s; trained in {:.1} s",
        chunks.len(),
        nsettings,
        args.reps,
        measure_secs,
        train_secs
    );
    if !measured.is_empty() && chunks.len() < measured.len() {
        println!("{} chunks read from measured tables", measured.len() - chunks.len());
    }
    println!(
        "{} categories; trained on {} chunks, held back {} ({} rows: {} tradeoffs x {} modes)",
        model.categories().len(),
        report.train_chunks,
        report.test_chunks,
        report.rows,
        tradeoffs.len(),
        modes.len()
    );
    let on = if report.test_chunks > 0 { "held-back chunks" } else { "training chunks (too few to hold back)" };
    println!(
        "on the {on}: accuracy {:.3}, model J / oracle J {:.3} (python-blosc2's default {:.3})",
        report.accuracy, report.j_fraction, report.default_fraction
    );
    for (t, acc, jf) in &report.per_tradeoff {
        println!("  t = {t}: accuracy {acc:.3}, model J / oracle J {jf:.3}");
    }
    println!("wrote {}", args.output.display());
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file renamed over it.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    let res = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res.with_context(|| format!("cannot write {}", path.display()))
}
