//! `blosc2 bench`: the workloads of `shared/bench/WORKLOADS.md`, with the options, defaults
//! and JSON records of the reference harness `shared/bench/anchor.py`, so that both can run
//! in one session and be compared as ratios (`scripts/compare.py`).
//!
//! Every record carries `"impl": "blosc2-rs"`. Implemented workloads: `datasets`, `memcpy`,
//! `codecs` (`--api chunk`, `schunk`, `ndarray`), `nd-read` (b2nd backends) and `nd-lazy`.
//! `blosc2 bench plot` draws the `codecs` records of both implementations ([`plot`]).

pub mod codecs;
pub mod datasets;
pub mod mem;
pub mod memcpy;
pub mod nd;
pub mod plot;
pub mod record;

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use serde::Serialize;

use record::{timestamp, Sink};

/// The `impl` field of every record.
pub const IMPL: &str = "blosc2-rs";

/// Workloads: name, whether implemented, description.
const WORKLOADS: [(&str, bool, &str); 5] = [
    ("memcpy", true, "memory copy bandwidth (copy, write, read; 1..N threads)"),
    ("datasets", true, "generate the datasets and print their SHA-256 (no timing)"),
    ("codecs", true, "compress/decompress matrix: --api schunk|chunk|ndarray"),
    ("nd-read", true, "3-D float32 array: create, planes, 10^3 cubes, elements, full read, resize"),
    ("nd-lazy", true, "huge lazily created zeros array: create, open, iterchunks_info, resize"),
];

/// Arguments of `bench` (the names, comma lists and defaults of `anchor.py`).
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Something other than running a workload.
    #[command(subcommand)]
    pub action: Option<BenchAction>,
    /// Workload: memcpy, datasets, codecs, nd-read, nd-lazy.
    #[arg(long)]
    pub workload: Option<String>,
    /// List the workloads.
    #[arg(long)]
    pub list: bool,
    /// Print all records as a JSON list on stdout at the end.
    #[arg(long)]
    pub json: bool,
    /// Append records as JSON lines to this file as they are measured.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Comma list of linspace_f64,smooth_noise_f32,arange_i64,galaxy_u8,random_bytes
    /// (default all).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Data set / buffer size in MiB (default per workload: 64 or 128 for data sets, 256
    /// for memcpy).
    #[arg(long)]
    pub size_mib: Option<usize>,
    /// codecs: schunk, chunk or ndarray, or a comma list to run them back to back for every
    /// configuration.
    #[arg(long, default_value = "schunk")]
    pub api: String,
    /// Comma list of codecs (default blosclz,lz4,lz4hc,zlib,zstd).
    #[arg(long)]
    pub codecs: Option<String>,
    /// Comma list of filters (default nofilter,shuffle,bitshuffle).
    #[arg(long)]
    pub filters: Option<String>,
    /// Comma list of clevels (default 1,5,9).
    #[arg(long)]
    pub clevels: Option<String>,
    /// Comma list of typesizes (default 4,8).
    #[arg(long)]
    pub typesizes: Option<String>,
    /// Comma list of Blosc2 thread counts.
    #[arg(long, default_value = "1,2")]
    pub nthreads: String,
    /// codecs: chunk size in MiB.
    #[arg(long, default_value_t = 8)]
    pub chunk_mib: usize,
    /// memcpy: timed runs (default 11); nd-read: full reads (default 3); nd-lazy: chunk
    /// metadata walks (default 3). The codecs workload repeats adaptively.
    #[arg(long)]
    pub runs: Option<usize>,
    /// nd-read: comma list of b2nd-default (automatic shapes, as python-blosc2 chooses them
    /// on this machine), b2nd-default-wl ((5, 640, 640) / (1, 80, 640), the default of
    /// WORKLOADS.md's machine), b2nd-explicit, b2nd-mem (default b2nd-default,b2nd-explicit;
    /// zarr and h5py are reference-only backends).
    #[arg(long)]
    pub backend: Option<String>,
    /// nd-read: array shape (default 640,640,640).
    #[arg(long)]
    pub nd_shape: Option<String>,
    /// nd-lazy: array shape.
    #[arg(long, default_value = "20000,20000,20000")]
    pub lazy_shape: String,
    /// nd-lazy: chunk shape.
    #[arg(long, default_value = "200,200,200")]
    pub lazy_chunks: String,
    /// nd-read: skip the resize measurements.
    #[arg(long)]
    pub no_resize: bool,
    /// nd-read, nd-lazy: keep the temporary files.
    #[arg(long)]
    pub keep: bool,
    /// nd-read, nd-lazy: where temporary arrays go (default: the system temporary directory).
    #[arg(long)]
    pub workdir: Option<PathBuf>,
    /// nd-read: open the stored arrays through a memory map (`NdArray::open_mapped`)
    /// instead of reading them with positioned reads. Not an `anchor.py` option.
    #[arg(long)]
    pub mmap: bool,
    /// codecs: compress and check each configuration once, without timing (compression
    /// ratios only). Not an `anchor.py` option.
    #[arg(long)]
    pub ratio_only: bool,
    /// datasets: also write each data set's bytes to DIR/NAME.bin (raw, as the files the
    /// whole-command benchmark compresses). Not an `anchor.py` option.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
}

/// `bench` actions that run no workload.
#[derive(Subcommand, Debug, Clone)]
pub enum BenchAction {
    /// Plot throughput (compression and decompression GB/s) against compression ratio per
    /// codec, ours and the reference, from `codecs` records, as a PNG.
    Plot(Box<plot::PlotArgs>),
}

impl BenchArgs {
    /// `--nthreads` as numbers.
    ///
    /// # Errors
    /// A list item that is not a positive number.
    pub fn nthreads_list(&self) -> Result<Vec<usize>> {
        self.nthreads
            .split(',')
            .map(|t| match t.trim().parse::<usize>() {
                Ok(v) if v > 0 => Ok(v),
                _ => bail!("--nthreads: '{t}' is not a positive number"),
            })
            .collect()
    }

    /// `--dataset` as names (all data sets when not given).
    pub fn dataset_names(&self) -> Vec<String> {
        match &self.dataset {
            Some(s) => s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
            None => datasets::DATASETS.iter().map(|d| d.name.to_string()).collect(),
        }
    }
}

/// The first record of every invocation: versions, CPU, load.
#[derive(Serialize)]
struct EnvRecord {
    workload: &'static str,
    #[serde(rename = "impl")]
    implementation: &'static str,
    argv: Vec<String>,
    #[serde(rename = "blosc2-rs")]
    version: &'static str,
    build: &'static str,
    machine: &'static str,
    os: &'static str,
    ncores: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpu: Option<String>,
    loadavg: Vec<f64>,
    ts: String,
}

/// The 1, 5 and 15 minute load averages (empty where unknown).
pub fn loadavg() -> Vec<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).filter_map(|v| v.parse().ok()).collect())
        .unwrap_or_default()
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// Runs `bench`.
///
/// # Errors
/// Unknown or unimplemented workloads, bad options, I/O errors, data sets whose digest
/// differs from WORKLOADS.md.
pub fn run(args: BenchArgs) -> Result<()> {
    if let Some(BenchAction::Plot(p)) = &args.action {
        return plot::run(p);
    }
    mem::keep_freed_memory();
    let workload = match (&args.workload, args.list) {
        (Some(w), false) => w.clone(),
        _ => {
            for (name, done, descr) in WORKLOADS {
                println!("{name:10} {descr}{}", if done { "" } else { " (not yet implemented)" });
            }
            return Ok(());
        }
    };
    let runner: fn(&BenchArgs, &mut Sink) -> Result<()> = match workload.as_str() {
        "datasets" => datasets::run,
        "memcpy" => memcpy::run,
        "codecs" => codecs::run,
        "nd-read" => nd::run_read,
        "nd-lazy" => nd::run_lazy,
        other => bail!(
            "unknown workload '{other}' (expected one of {})",
            WORKLOADS.iter().map(|w| w.0).collect::<Vec<_>>().join(", ")
        ),
    };
    let mut sink = Sink::new(args.out.clone());
    sink.emit(&EnvRecord {
        workload: "env",
        implementation: IMPL,
        argv: std::env::args().skip(1).collect(),
        version: env!("CARGO_PKG_VERSION"),
        build: if cfg!(debug_assertions) { "debug" } else { "release" },
        machine: std::env::consts::ARCH,
        os: std::env::consts::OS,
        ncores: std::thread::available_parallelism().map_or(1, usize::from),
        cpu: cpu_model(),
        loadavg: loadavg(),
        ts: timestamp(),
    })?;
    if cfg!(debug_assertions) && workload != "datasets" {
        eprintln!("warning: this is a debug build; timings are meaningless (cargo build --release)");
    }
    let result = runner(&args, &mut sink);
    if args.json {
        println!("{}", sink.json_list());
    }
    result
}
