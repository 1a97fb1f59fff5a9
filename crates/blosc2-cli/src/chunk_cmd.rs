//! `blosc2 chunk compress|decompress`: one file <-> one chunk.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use blosc2_core::chunk::{self, ChunkHeader, Decoder, NdGeometry};
use blosc2_core::header::MAX_BUFFERSIZE;
use clap::{Args, Subcommand};

use crate::options::ChunkOptions;

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
        /// Input file (at most 2,147,483,615 bytes).
        input: PathBuf,
        /// Output chunk file.
        output: PathBuf,
        #[command(flatten)]
        options: ChunkOptions,
        #[command(flatten)]
        geometry: GeometryOptions,
    },
    /// Decompress the chunk in IN into OUT.
    Decompress {
        /// Input chunk file.
        input: PathBuf,
        /// Output file.
        output: PathBuf,
        /// Threads.
        #[arg(long, default_value_t = 1)]
        nthreads: usize,
        #[command(flatten)]
        geometry: GeometryOptions,
    },
}

/// Runs a `chunk` subcommand.
pub fn run(cmd: ChunkCommand) -> Result<()> {
    match cmd {
        ChunkCommand::Compress { input, output, options, geometry } => {
            let mut params = options.params()?;
            params.geometry = geometry.geometry()?;
            if let (Some(g), 0) = (&params.geometry, params.blocksize) {
                let items = g.block_items().context("--blockshape too large")?;
                params.blocksize = items * blosc2_core::chunk::blocksize::header_typesize(params.typesize);
            }
            let meta = std::fs::metadata(&input).with_context(|| format!("cannot read {}", input.display()))?;
            if meta.len() > MAX_BUFFERSIZE as u64 {
                bail!(
                    "{} is {} bytes; a chunk holds at most {} bytes (use 'blosc2 compress' for a frame of many chunks)",
                    input.display(),
                    meta.len(),
                    MAX_BUFFERSIZE
                );
            }
            let data = std::fs::read(&input).with_context(|| format!("cannot read {}", input.display()))?;
            let packed = chunk::compress(&params, &data).map_err(hint)?;
            crate::write_atomically(&output, &packed)?;
            Ok(())
        }
        ChunkCommand::Decompress { input, output, nthreads, geometry } => {
            let data = std::fs::read(&input).with_context(|| format!("cannot read {}", input.display()))?;
            let h = ChunkHeader::parse(&data).with_context(|| format!("{} is not a valid chunk", input.display()))?;
            let mut out = vec![0u8; h.nbytes];
            Decoder::new(geometry.geometry()?)
                .decompress_into(&data, &mut out, nthreads.max(1))
                .map_err(hint)
                .with_context(|| format!("cannot decompress {}", input.display()))?;
            crate::write_atomically(&output, &out)?;
            Ok(())
        }
    }
}
