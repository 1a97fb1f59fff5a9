//! `blosc2 chunk compress|decompress`: one file <-> one chunk.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use blosc2_core::chunk::{self, ChunkHeader};
use blosc2_core::header::MAX_BUFFERSIZE;
use clap::Subcommand;

use crate::options::ChunkOptions;

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
    },
}

/// Runs a `chunk` subcommand.
pub fn run(cmd: ChunkCommand) -> Result<()> {
    match cmd {
        ChunkCommand::Compress { input, output, options } => {
            let params = options.params()?;
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
            let packed = chunk::compress(&params, &data)?;
            crate::write_atomically(&output, &packed)?;
            Ok(())
        }
        ChunkCommand::Decompress { input, output, nthreads } => {
            let data = std::fs::read(&input).with_context(|| format!("cannot read {}", input.display()))?;
            let h = ChunkHeader::parse(&data).with_context(|| format!("{} is not a valid chunk", input.display()))?;
            let mut out = vec![0u8; h.nbytes];
            chunk::decompress_into(&data, &mut out, nthreads.max(1))
                .with_context(|| format!("cannot decompress {}", input.display()))?;
            crate::write_atomically(&output, &out)?;
            Ok(())
        }
    }
}
