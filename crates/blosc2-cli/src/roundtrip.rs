//! `blosc2 roundtrip FILE`: compress a file in chunks, decompress it, check it and print the
//! ratio and speeds. The quickest way to see what the codecs do with your data.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use blosc2_core::chunk;
use clap::Args;

use crate::options::ChunkOptions;

/// Arguments of `roundtrip`.
#[derive(Args, Debug)]
pub struct RoundtripArgs {
    /// The file to compress.
    pub input: PathBuf,
    /// Chunk size in bytes.
    #[arg(long, default_value_t = 8 << 20)]
    pub chunksize: usize,
    /// Timed repetitions (the best is reported).
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    #[command(flatten)]
    pub options: ChunkOptions,
    /// No progress spinner (one is drawn on standard error when it is a terminal and the
    /// command runs over a second).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `roundtrip`.
pub fn run(args: RoundtripArgs) -> Result<()> {
    let params = args.options.params()?;
    let data = std::fs::read(&args.input).with_context(|| format!("cannot read {}", args.input.display()))?;
    ensure!(args.chunksize > 0, "chunksize must be positive");
    let chunksize = args.chunksize.min(blosc2_core::header::MAX_BUFFERSIZE);
    let mut best_c = f64::INFINITY;
    let mut best_d = f64::INFINITY;
    let mut chunks = Vec::new();
    let mut out = vec![0u8; data.len()];
    let progress = crate::progress::Progress::spinner("roundtrip", args.quiet);
    for _ in 0..args.repeat.max(1) {
        let t = Instant::now();
        chunks = data.chunks(chunksize).map(|c| chunk::compress(&params, c)).collect::<Result<Vec<_>, _>>()?;
        best_c = best_c.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for (c, o) in chunks.iter().zip(out.chunks_mut(chunksize)) {
            chunk::decompress_into(c, o, params.nthreads)?;
        }
        best_d = best_d.min(t.elapsed().as_secs_f64());
    }
    progress.finish();
    ensure!(out == data, "round trip changed the data");
    let cbytes: usize = chunks.iter().map(Vec::len).sum();
    let mb = data.len() as f64 / 1e6;
    println!("file        {} ({} bytes, {} chunks)", args.input.display(), data.len(), chunks.len());
    println!(
        "params      codec {} clevel {} typesize {} filters {:?} nthreads {}",
        params.codec, params.clevel, params.typesize, params.filters.filters, params.nthreads
    );
    println!("compressed  {cbytes} bytes, ratio {:.2}x", data.len() as f64 / cbytes.max(1) as f64);
    println!("compress    {:.1} MB/s", mb / best_c);
    println!("decompress  {:.1} MB/s", mb / best_d);
    println!("round trip  ok (decompressed bytes equal the input)");
    Ok(())
}
