//! `blosc2 chunk compress|decompress`: one file <-> one chunk. `-` reads the standard input
//! or writes the standard output.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use blosc2_core::chunk::{self, ChunkHeader, Decompressor, NdGeometry};
use blosc2_core::header::MAX_BUFFERSIZE;
use clap::{Args, Subcommand};

use crate::options::ChunkOptions;
use crate::output::{self, OutputArgs};
use crate::progress::Progress;
use crate::threads::ThreadsArg;

/// The array geometry of a chunk of a b2nd array, for the codecs and filters that work on
/// its blocks (ndlz, ndcell, ndmean).
#[derive(Args, Debug, Clone)]
pub struct GeometryOptions {
    /// Block shape of the array the chunk belongs to, e.g. `32,32` (needed by ndlz, ndcell
    /// and ndmean; sets the block size when --blocksize is 0).
    #[arg(long)]
    pub blockshape: Option<String>,
    /// Chunk shape of that array (default: the block shape).
    #[arg(long, requires = "blockshape")]
    pub chunkshape: Option<String>,
}

impl GeometryOptions {
    /// The geometry, if a block shape was given.
    pub fn geometry(&self) -> Result<Option<NdGeometry>> {
        let Some(b) = &self.blockshape else { return Ok(None) };
        let shape = |s: &str, what: &str| -> Result<Vec<usize>> {
            s.split(',')
                .map(|p| {
                    p.trim().parse::<usize>().with_context(|| format!("bad {what} '{s}': expected numbers like 32,32"))
                })
                .collect()
        };
        let blocks = shape(b, "--blockshape")?;
        let chunks = match &self.chunkshape {
            Some(c) => shape(c, "--chunkshape")?,
            None => blocks.clone(),
        };
        Ok(Some(NdGeometry::new(&chunks, &blocks)?))
    }
}

/// Adds a hint to an error that asks for the array geometry.
fn hint(e: blosc2_core::Error) -> anyhow::Error {
    let missing = matches!(e, blosc2_core::Error::MissingGeometry { .. });
    let e = anyhow::Error::new(e);
    if missing {
        e.context("give the array's --blockshape (and --chunkshape), or use 'blosc2 convert' for whole arrays")
    } else {
        e
    }
}

/// The `chunk` subcommands.
#[derive(Subcommand, Debug)]
pub enum ChunkCommand {
    /// Compress IN's bytes into one chunk written to OUT.
    Compress {
        /// Input file (at most 2,147,483,615 bytes), or `-` for the standard input.
        input: PathBuf,
        /// Output chunk file, or `-` for the standard output.
        output: PathBuf,
        #[command(flatten)]
        options: ChunkOptions,
        #[command(flatten)]
        geometry: GeometryOptions,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Decompress the chunk in IN into OUT.
    Decompress {
        /// Input chunk file, or `-` for the standard input.
        input: PathBuf,
        /// Output file, or `-` for the standard output.
        output: PathBuf,
        #[command(flatten)]
        threads: ThreadsArg,
        #[command(flatten)]
        geometry: GeometryOptions,
        #[command(flatten)]
        out: OutputArgs,
    },
}

/// Reads all of `input` (a file or `-`), refusing more than `limit` bytes; `progress`
/// counts the bytes read.
fn read_input(input: &Path, limit: usize, what: &str, progress: &Progress) -> Result<Vec<u8>> {
    let shown = output::shown(input, "the standard input");
    let mut f = if output::is_stdio(input) {
        output::stdin()?
    } else {
        std::fs::File::open(input).with_context(|| format!("cannot read {shown}"))?
    };
    let meta = f.metadata().with_context(|| format!("cannot read {shown}"))?;
    if meta.is_dir() {
        bail!("{shown} is a directory");
    }
    if meta.is_file() && meta.len() > limit as u64 {
        bail!("{shown} is {} bytes; {what}", meta.len());
    }
    // Read straight into the result, 4 MiB at a time (a pipe's size is not known).
    let step = 4 << 20;
    let mut data = Vec::with_capacity(if meta.is_file() { meta.len() as usize + 1 } else { step });
    loop {
        let have = data.len();
        data.resize(have + step, 0);
        let n = output::read_full(&mut f, &mut data[have..]).with_context(|| format!("cannot read {shown}"))?;
        data.truncate(have + n);
        if data.len() > limit {
            bail!("{shown} holds more than {limit} bytes; {what}");
        }
        progress.inc(n as u64);
        if n < step {
            return Ok(data);
        }
    }
}

/// Runs a `chunk` subcommand.
pub fn run(cmd: ChunkCommand) -> Result<()> {
    match cmd {
        ChunkCommand::Compress { input, output, options, geometry, out } => {
            let mut params = options.params()?;
            params.geometry = geometry.geometry()?;
            if let (Some(g), 0) = (&params.geometry, params.blocksize) {
                let items = g.block_items().context("--blockshape too large")?;
                params.blocksize = items * blosc2_core::chunk::blocksize::header_typesize(params.typesize);
            }
            let total = std::fs::metadata(&input).ok().filter(std::fs::Metadata::is_file).map(|m| m.len());
            let progress = Progress::new(total, "read", out.quiet);
            let data = read_input(
                &input,
                MAX_BUFFERSIZE,
                &format!(
                    "a chunk holds at most {MAX_BUFFERSIZE} bytes (use 'blosc2 compress' for a frame of many chunks)"
                ),
                &progress,
            )?;
            progress.set_message("compress");
            let packed = chunk::compress(&params, &data).map_err(hint)?;
            progress.finish();
            output::write_file(&output, &packed, out.sync)
        }
        ChunkCommand::Decompress { input, output, threads, geometry, out } => {
            let shown = output::shown(&input, "the standard input");
            let total = std::fs::metadata(&input).ok().filter(std::fs::Metadata::is_file).map(|m| m.len());
            let progress = Progress::new(total, "read", out.quiet);
            let data = read_input(&input, i32::MAX as usize, "larger than any chunk", &progress)?;
            let h = ChunkHeader::parse(&data).with_context(|| format!("{shown} is not a valid chunk"))?;
            progress.set_message("decompress");
            let mut dst = blosc2_core::buffer::zeroed(h.nbytes);
            Decompressor::new(geometry.geometry()?)
                .with_nthreads(threads.get())
                .decompress_into(&data, &mut dst)
                .map_err(hint)
                .with_context(|| format!("cannot decompress {shown}"))?;
            progress.finish();
            output::write_file(&output, &dst, out.sync)
        }
    }
}
