//! n-dimensional array commands: `blosc2 convert IN OUT` between `.npy` and `.b2nd`,
//! `blosc2 slice FILE.b2nd 'i0:i1,j,k0:k1' -o OUT.npy`, and the array section of
//! `blosc2 info`.

use std::path::{Path, PathBuf};

use std::io::Write;

use anyhow::{Context, Result};
use blosc2_core::chunk::{CompressParams, SpecialKind};
use blosc2_core::frame::Frame;
use blosc2_nd::{parse_selection, NdArray, Options};
use clap::Args;
use serde_json::{json, Value};

use crate::options::ChunkOptions;
use crate::output::{self, OutFile, OutputArgs};
use crate::progress::Progress;
use crate::threads::ThreadsArg;

/// Arguments of `convert`.
#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Input: a `.npy` file, or a `.b2nd` file or sparse-frame directory.
    pub input: PathBuf,
    /// Output: a `.npy` file, or a `.b2nd` file (a directory with `--sparse`).
    pub output: PathBuf,
    /// Chunk shape, e.g. `100,100,10` (default: chosen as python-blosc2 does).
    #[arg(long)]
    pub chunks: Option<String>,
    /// Block shape, e.g. `10,10,10` (default: chosen as python-blosc2 does).
    #[arg(long)]
    pub blocks: Option<String>,
    /// Write a sparse frame (a directory) instead of a contiguous `.b2nd` file.
    #[arg(long)]
    pub sparse: bool,
    /// Compression options (`--typesize` and `--blocksize` are ignored: the dtype and the
    /// block shape set them).
    #[command(flatten)]
    pub options: ChunkOptions,
    #[command(flatten)]
    pub tune: crate::tune_cmd::TuneArgs,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `slice`.
#[derive(Args, Debug)]
pub struct SliceArgs {
    /// A `.b2nd` file or sparse-frame directory.
    pub input: PathBuf,
    /// NumPy-style selection, e.g. `0:10,5,-20:` (integers drop their dimension, `a:b:s`
    /// takes every s-th element, missing trailing dimensions are whole).
    pub selection: String,
    /// The `.npy` file to write, or `-` for the standard output.
    #[arg(short, long)]
    pub output: PathBuf,
    #[command(flatten)]
    pub threads: ThreadsArg,
    #[command(flatten)]
    pub out: OutputArgs,
}

fn parse_shape(s: &str, what: &str) -> Result<Vec<u64>> {
    s.split(',')
        .map(|p| p.trim().parse::<u64>().with_context(|| format!("bad {what} '{s}': expected numbers like 10,20,30")))
        .collect()
}

fn is_npy(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("npy"))
}

fn options(args: &ConvertArgs) -> Result<Options> {
    let o = &args.options;
    let defaults = o.filters.is_empty() && o.codec == "zstd" && o.clevel == 5 && o.splitmode == "auto";
    // The thread count is not part of the array: chunks spread over the pool the
    // conversion runs in, and the header records one thread whatever the count.
    let cparams = if defaults && !o.use_dict { None } else { Some(CompressParams { nthreads: 1, ..o.params()? }) };
    Ok(Options {
        chunks: args.chunks.as_deref().map(|s| parse_shape(s, "--chunks")).transpose()?,
        blocks: args.blocks.as_deref().map(|s| parse_shape(s, "--blocks")).transpose()?,
        cparams,
        ..Options::default()
    })
}

/// Writes `a` as a `.npy` file under the durability rule (or to the standard output).
fn write_npy(a: &NdArray, out: &Path, sync: bool) -> Result<()> {
    if output::is_stdio(out) {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, output::stdout()?);
        a.write_npy(&mut w).context("cannot write to the standard output")?;
        return w.flush().context("cannot write to the standard output");
    }
    let mut f = OutFile::create(out, sync)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f.file());
    a.write_npy(&mut w).with_context(|| format!("cannot write {}", out.display()))?;
    w.flush().with_context(|| format!("cannot write {}", out.display()))?;
    drop(w);
    f.commit()
}

/// Saves `a` as a `.b2nd` file or sparse directory under the durability rule.
fn save_array(a: &NdArray, out: &Path, sparse: bool, sync: bool) -> Result<()> {
    let target = output::resolve_target(out);
    crate::frame_cmd::check_frame_target(&target, sparse)?;
    output::remove_stale_temps(&target);
    let staged = output::Staged::new(output::temp_path(&target));
    if sparse { a.save_sparse(staged.path()) } else { a.save(staged.path()) }
        .with_context(|| format!("cannot write {}", out.display()))?;
    staged.commit(&target, sync)
}

/// Runs `convert`.
pub fn convert(args: ConvertArgs) -> Result<()> {
    let nthreads = crate::threads::resolve(args.options.nthreads);
    let progress = Progress::spinner("convert", args.out.quiet);
    let result = crate::threads::install(nthreads, || convert_here(&args));
    progress.finish();
    println!("{}", result?);
    Ok(())
}

/// Converts; returns the line to print.
fn convert_here(args: &ConvertArgs) -> Result<String> {
    let (inp, out) = (&args.input, &args.output);
    let opts = options(args)?;
    let tuning = args.tune.tuning()?;
    let array = if let Some(t) = tuning {
        let mut a = if is_npy(inp) {
            NdArray::from_npy_tuned(inp, &opts, Box::new(t.tuner))
        } else {
            let a = NdArray::open(inp).with_context(|| format!("cannot open {}", inp.display()))?;
            let opts = Options { chunks: opts.chunks.clone().or_else(|| Some(a.chunks().to_vec())), ..opts };
            NdArray::from_bytes_tuned(a.shape(), a.dtype(), &a.to_bytes()?, &opts, Box::new(t.tuner))
        }
        .with_context(|| format!("cannot convert {}", inp.display()))?;
        a.set_tuner(None);
        a.schunk_mut().vlmetalayers_mut().set_value("btune", &crate::tune_cmd::record_value(&t.cfg, &t.record))?;
        a
    } else if is_npy(inp) {
        NdArray::from_npy(inp, &opts).with_context(|| format!("cannot convert {}", inp.display()))?
    } else {
        let a = NdArray::open(inp).with_context(|| format!("cannot open {}", inp.display()))?;
        if is_npy(out) {
            write_npy(&a, out, args.out.sync)?;
            return Ok(format!("{} -> {}: shape {:?} dtype {}", inp.display(), out.display(), a.shape(), a.dtype()));
        }
        // .b2nd -> .b2nd: recompress with the new chunks, blocks and options.
        let opts = Options {
            chunks: opts.chunks.clone().or_else(|| Some(a.chunks().to_vec())),
            blocks: opts
                .blocks
                .clone()
                .or_else(|| if opts.chunks.is_none() { Some(a.blocks().to_vec()) } else { None }),
            ..opts
        };
        NdArray::from_bytes(a.shape(), a.dtype(), &a.to_bytes()?, &opts)?
    };
    if is_npy(out) {
        write_npy(&array, out, args.out.sync)?;
    } else {
        save_array(&array, out, args.sparse, args.out.sync)?;
    }
    Ok(format!(
        "{} -> {}: shape {:?} chunks {:?} blocks {:?} dtype {} ({} chunk{}, {} bytes compressed)",
        inp.display(),
        out.display(),
        array.shape(),
        array.chunks(),
        array.blocks(),
        array.dtype(),
        array.nchunks(),
        if array.nchunks() == 1 { "" } else { "s" },
        array.schunk().cbytes()
    ))
}

/// Runs `slice`.
pub fn slice(args: SliceArgs) -> Result<()> {
    let a = NdArray::open(&args.input).with_context(|| format!("cannot open {}", args.input.display()))?;
    let items = parse_selection(&args.selection)?;
    let progress = Progress::spinner("slice", args.out.quiet);
    let (bytes, shape) = crate::threads::install(args.threads.get(), || a.read_selection(&items))?;
    progress.finish();
    let mut out = blosc2_nd::npy::header_bytes(a.dtype(), &shape)?;
    out.extend_from_slice(&bytes);
    output::write_file(&args.output, &out, args.out.sync)?;
    if output::is_stdio(&args.output) {
        return Ok(());
    }
    println!(
        "{}[{}] -> {}: shape {:?} dtype {}",
        args.input.display(),
        args.selection,
        args.output.display(),
        shape,
        a.dtype()
    );
    Ok(())
}

/// The `array` section of `blosc2 info` for a frame holding a b2nd array: shape, chunk and
/// block shapes, dtype, and the chunk map (counts by kind and the grid coordinates of the
/// stored chunks, the first 1000).
pub fn array_section(path: &Path, frame: &Frame) -> Option<Value> {
    if !frame.metalayers().contains("b2nd") {
        return None;
    }
    let a = match NdArray::open(path) {
        Ok(a) => a,
        Err(e) => return Some(json!({ "error": e.to_string() })),
    };
    let g = a.geometry();
    let mut counts = [0u64; 5];
    let mut stored = Vec::new();
    for info in a.chunk_infos() {
        match info {
            Ok(i) => {
                let k = match i.special {
                    None => 0,
                    Some(SpecialKind::Zeros) => 1,
                    Some(SpecialKind::Nan) => 2,
                    Some(SpecialKind::Value) => 3,
                    Some(SpecialKind::Uninit) => 4,
                };
                counts[k] += 1;
                if i.special.is_none() && stored.len() < 1000 {
                    stored.push(json!({"index": i.index, "coords": i.coords, "cbytes": i.cbytes, "ratio": (i.ratio() * 1000.0).round() / 1000.0}));
                }
            }
            Err(e) => return Some(json!({ "error": e.to_string() })),
        }
    }
    Some(json!({
        "shape": a.shape(),
        "chunks": a.chunks(),
        "blocks": a.blocks(),
        "dtype": a.dtype().as_str(),
        "itemsize": a.dtype().itemsize(),
        "ndim": a.ndim(),
        "nitems": a.len(),
        "chunk_grid": g.chunk_grid(),
        "extchunkshape": g.extchunkshape(),
        "blocks_per_chunk": g.nblocks(),
        "chunk_kinds": {"stored": counts[0], "zero": counts[1], "nan": counts[2], "value": counts[3], "uninit": counts[4]},
        "stored_chunks": stored,
    }))
}
