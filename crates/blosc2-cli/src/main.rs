//! `blosc2`: the command-line tool of the Blosc2 stack.

mod bench;
mod chunk_cmd;
mod frame_cmd;
mod info;
mod nd_cmd;
mod options;
mod roundtrip;
mod verify;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

/// Compress, decompress and inspect Blosc2 data.
#[derive(Parser, Debug)]
#[command(name = "blosc2", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Work with single chunks.
    #[command(subcommand)]
    Chunk(chunk_cmd::ChunkCommand),
    /// Compress a file in chunks and back, printing ratio and speed.
    Roundtrip(roundtrip::RoundtripArgs),
    /// Run the benchmark workloads of shared/bench/WORKLOADS.md (as anchor.py does).
    Bench(bench::BenchArgs),
    /// Compress a file of any size into a frame (contiguous file or --sparse directory).
    Compress(frame_cmd::CompressArgs),
    /// Decompress a frame (contiguous or sparse) into a file.
    Decompress(frame_cmd::DecompressArgs),
    /// Show a frame's header, metalayers, vlmetalayers and chunk table.
    Info(info::InfoArgs),
    /// Convert an array between .npy and .b2nd (either way, or .b2nd to .b2nd with new chunks).
    Convert(nd_cmd::ConvertArgs),
    /// Read a box of a .b2nd array into a .npy file.
    Slice(nd_cmd::SliceArgs),
    /// Check a frame end to end (structure, every chunk, checksums) and report the first
    /// problem; exit status 0 ok, 1 problem found, 2 usage or I/O error.
    Verify(verify::VerifyArgs),
}

/// Writes `bytes` to `path` through a temporary file renamed into place, so a failed write
/// leaves what was there before.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        f.write_all(bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
        f.sync_all().ok();
        std::fs::rename(&tmp, path).with_context(|| format!("cannot rename to {}", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Chunk(cmd) => chunk_cmd::run(cmd),
        Command::Roundtrip(args) => roundtrip::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Compress(args) => frame_cmd::compress(args),
        Command::Decompress(args) => frame_cmd::decompress(args),
        Command::Info(args) => info::run(args),
        Command::Convert(args) => nd_cmd::convert(args),
        Command::Slice(args) => nd_cmd::slice(args),
        Command::Verify(args) => return verify::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(1)
        }
    }
}
