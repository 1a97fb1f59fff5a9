//! `blosc2 chunk compress|decompress`: one file <-> one chunk. `-` reads the standard input
//! or writes the standard output.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use blosc2_core::chunk::{self, ChunkHeader};
use blosc2_core::header::MAX_BUFFERSIZE;
use clap::Subcommand;

use crate::options::ChunkOptions;
use crate::output::{self, OutputArgs};
use crate::progress::Progress;
use crate::threads::ThreadsArg;

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
        ChunkCommand::Compress { input, output, options, out } => {
            let params = options.params()?;
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
            let packed = chunk::compress(&params, &data)?;
            progress.finish();
            output::write_file(&output, &packed, out.sync)
        }
        ChunkCommand::Decompress { input, output, threads, out } => {
            let shown = output::shown(&input, "the standard input");
            let total = std::fs::metadata(&input).ok().filter(std::fs::Metadata::is_file).map(|m| m.len());
            let progress = Progress::new(total, "read", out.quiet);
            let data = read_input(&input, i32::MAX as usize, "larger than any chunk", &progress)?;
            let h = ChunkHeader::parse(&data).with_context(|| format!("{shown} is not a valid chunk"))?;
            progress.set_message("decompress");
            let mut dst = blosc2_core::buffer::zeroed(h.nbytes);
            chunk::decompress_into(&data, &mut dst, threads.get())
                .with_context(|| format!("cannot decompress {shown}"))?;
            progress.finish();
            output::write_file(&output, &dst, out.sync)
        }
    }
}
