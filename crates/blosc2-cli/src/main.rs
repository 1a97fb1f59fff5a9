//! `blosc2`: the command-line tool of the Blosc2 stack.
//!
//! Safe Rust except for a few libc calls, each allowed where it is (`bench::mem`,
//! `bench::record::process_cpu_s`, `output::alive`; see `docs/unsafe.md`).
#![deny(unsafe_code)]

mod bench;
mod chunk_cmd;
mod frame_cmd;
mod info;
mod nd_cmd;
mod options;
mod output;
mod pipeline;
mod progress;
mod roundtrip;
mod threads;
mod tune_cmd;
mod tune_data;
mod tune_plot;
mod tune_train;
mod verify;
mod view;

use std::process::ExitCode;

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
    Bench(Box<bench::BenchArgs>),
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
    /// Measure the tuner: the tuned run against every setting of its search space.
    #[command(subcommand)]
    Tune(tune_cmd::TuneCommand),
    /// Open .b2nd / .b2frame arrays in the browser: metadata, chunk map, 2-D views sliced on
    /// demand (only the blocks a view touches are decoded).
    View(view::ViewArgs),
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
        Command::Bench(args) => bench::run(*args),
        Command::Compress(args) => frame_cmd::compress(args),
        Command::Decompress(args) => frame_cmd::decompress(args),
        Command::Info(args) => info::run(args),
        Command::Convert(args) => nd_cmd::convert(args),
        Command::Slice(args) => nd_cmd::slice(args),
        Command::Verify(args) => return verify::run(args),
        Command::Tune(cmd) => tune_cmd::run(cmd),
        Command::View(args) => view::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output went away (`blosc2 decompress f.b2frame - | head`): what
        // was asked for is no longer wanted, so no message.
        Err(e) if output::is_broken_pipe(&e) => ExitCode::from(output::EXIT_BROKEN_PIPE),
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Command {
        Cli::try_parse_from(std::iter::once("blosc2").chain(args.iter().copied())).expect("parses").command
    }

    /// The thread count every coding subcommand uses when `--nthreads` is not given.
    fn default_threads(args: &[&str]) -> usize {
        match parse(args) {
            Command::Compress(a) => a.options.params().unwrap().nthreads,
            Command::Decompress(a) => a.threads.get(),
            Command::Chunk(chunk_cmd::ChunkCommand::Compress { options, .. }) => options.params().unwrap().nthreads,
            Command::Chunk(chunk_cmd::ChunkCommand::Decompress { threads, .. }) => threads.get(),
            Command::Convert(a) => threads::resolve(a.options.nthreads),
            Command::Slice(a) => a.threads.get(),
            Command::Verify(a) => a.threads.get(),
            Command::Roundtrip(a) => a.options.params().unwrap().nthreads,
            c => panic!("not a coding subcommand: {c:?}"),
        }
    }

    #[test]
    fn every_coding_subcommand_defaults_to_the_available_cores() {
        let cores = std::thread::available_parallelism().unwrap().get();
        let commands: [&[&str]; 8] = [
            &["compress", "in", "out"],
            &["decompress", "in", "out"],
            &["chunk", "compress", "in", "out"],
            &["chunk", "decompress", "in", "out"],
            &["convert", "in.npy", "out.b2nd"],
            &["slice", "in.b2nd", "0", "-o", "out.npy"],
            &["verify", "in"],
            &["roundtrip", "in"],
        ];
        for args in commands {
            assert_eq!(default_threads(args), cores, "{args:?}");
            // --nthreads overrides; 0 means the available cores.
            let with = |n: &str| default_threads(&[args, &["--nthreads", n]].concat());
            assert_eq!(with("3"), 3, "{args:?}");
            assert_eq!(with("0"), cores, "{args:?}");
        }
    }
}
