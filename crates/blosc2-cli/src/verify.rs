//! `blosc2 verify FILE`: checks a frame (contiguous file or sparse directory) end to end —
//! header, trailer, offsets, vlmetalayers, every chunk read and decoded, the chunk sizes
//! against the header, the per-chunk checksums when the frame has a table (written by
//! `blosc2 compress --checksum`), and for b2nd arrays the `b2nd` metalayer against the
//! chunks — and reports the first problem with its location.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use blosc2_core::frame::ChunkLocation;
use blosc2_core::schunk::checksum::Problem;
use blosc2_core::schunk::SChunk;
use blosc2_core::Error;
use clap::Args;

/// Exit status: no problem found.
pub const EXIT_OK: u8 = 0;
/// Exit status: a problem was found.
pub const EXIT_PROBLEM: u8 = 1;
/// Exit status: usage or I/O error (nothing was checked).
pub const EXIT_ERROR: u8 = 2;

/// Arguments of `blosc2 verify`.
#[derive(Args, Debug)]
#[command(after_help = "Exit status:\n  \
    0  no problem found\n  \
    1  a problem was found (printed on stdout with its location)\n  \
    2  usage or I/O error: bad arguments, or FILE missing or unreadable")]
pub struct VerifyArgs {
    /// Frame file (`.b2frame`, `.b2nd`) or sparse-frame directory.
    pub input: PathBuf,
    /// Check structure and checksums only; do not decompress the chunks.
    #[arg(long)]
    pub no_decode: bool,
    #[command(flatten)]
    pub threads: crate::threads::ThreadsArg,
    /// No progress bar (one is drawn on standard error when it is a terminal and the check
    /// runs over a second).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Where chunk `i` lives, for the report.
fn location(s: &SChunk, i: u64) -> String {
    let Some(f) = s.frame() else { return String::new() };
    match f.chunk_info(i).map(|c| c.location) {
        Ok(ChunkLocation::Offset(o)) => format!(" (at byte {} of the file)", f.header().header_len as u64 + o),
        Ok(ChunkLocation::File(id)) => format!(" (in {})", blosc2_core::frame::reader::sparse_chunk_name(id)),
        Ok(ChunkLocation::SpecialOffset) => " (a special offset)".to_string(),
        _ => String::new(),
    }
}

fn problem(path: &Path, what: &str) -> ExitCode {
    println!("{}: problem: {what}", path.display());
    ExitCode::from(EXIT_PROBLEM)
}

/// Runs `blosc2 verify`; returns the exit status described in `--help`.
pub fn run(args: VerifyArgs) -> ExitCode {
    let path = &args.input;
    if let Err(e) = std::fs::metadata(path) {
        eprintln!("error: cannot read {}: {e}", path.display());
        return ExitCode::from(EXIT_ERROR);
    }
    let mut s = match SChunk::open(path) {
        Ok(s) => s,
        // The file is there but cannot be read at all: nothing was checked.
        Err(e @ Error::Io { .. }) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
        Err(e) => return problem(path, &format!("not a valid frame: {e}")),
    };
    // An array's chunks decode with its geometry (the ndlz, ndcell and ndmean plugins need
    // it); a bad metalayer is reported below.
    let geometry = s.metalayers().get("b2nd").and_then(|m| blosc2_nd::B2ndMeta::decode(m).ok());
    s.set_geometry(geometry.and_then(|m| m.nd_geometry().ok()));
    s.set_dnthreads(args.threads.get());
    let progress = crate::progress::Progress::new(Some(s.nbytes()), "verify", args.quiet);
    let found = s.verify_with(!args.no_decode, &mut |n| progress.inc(n));
    progress.finish();
    if let Some(p) = found {
        let at = p.chunk_index().map(|i| location(&s, i)).unwrap_or_default();
        if let Problem::Checksum { .. } = p {
            return problem(path, &format!("{p}{at}: the chunk's bytes changed since they were written"));
        }
        return problem(path, &format!("{p}{at}"));
    }
    let nd = s.metalayers().contains("b2nd");
    let nchunks = s.nchunks();
    let checksums = s.has_checksums();
    if nd {
        if let Err(e) = blosc2_nd::NdArray::from_schunk(s) {
            return problem(path, &format!("b2nd array: {e}"));
        }
    }
    let decoded = if args.no_decode { "read" } else { "decoded" };
    let sums = if checksums { ", checksums match" } else { ", no checksum table" };
    println!("{}: ok: {nchunks} chunks {decoded}{sums}{}", path.display(), if nd { ", b2nd array" } else { "" });
    ExitCode::from(EXIT_OK)
}
