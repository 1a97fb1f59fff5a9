//! `milkyway`: the Milky Way explorer command-line tool.
#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

use milkyway::explore::{self, Galaxy, Region};
use milkyway::geom::{Grid, K_EXACT, K_TALK};
use milkyway::ingest::{self, IngestOptions, Summary};

#[derive(Parser)]
#[command(name = "milkyway", version, about = "Explore the Milky Way: Gaia DR3 stars in a sparse Blosc2 cube")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write a synthetic Gaia DR3-like catalogue (gzip ECSV, gaia_source layout).
    Synth {
        /// Output directory.
        #[arg(short, long)]
        output: PathBuf,
        /// Rows to write.
        #[arg(long)]
        stars: u64,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Number of files (default: one per 535,000 rows, as the real files).
        #[arg(long)]
        files: Option<u64>,
        /// Write all 152 DR3 columns (others copied from real template rows), not only the
        /// 10 the pipeline uses.
        #[arg(long)]
        full: bool,
        /// Tuning knob: dwarf absolute magnitude MEAN,SIGMA (default 11.0,2.5).
        #[arg(long, allow_hyphen_values = true)]
        dwarf_mag: Option<String>,
        /// Tuning knob: extinction a0 (mag/kpc) and dust scale height (pc), A0,HD (default 0.65,100).
        #[arg(long)]
        dust: Option<String>,
    },
    /// Ingest Gaia CSV(.gz) files into a galaxy directory (cube, star table, summary).
    Ingest(IngestArgs),
    /// Whole-cube statistics from the chunk metadata.
    Stats {
        /// Galaxy directory (or a bare cube .b2nd file).
        galaxy: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Bin width of the distance histogram in ly.
        #[arg(long, default_value_t = 1000.0)]
        bin_ly: f64,
    },
    /// Count and list the stars in a region (exact).
    Query {
        /// Galaxy directory.
        galaxy: PathBuf,
        /// Sphere x,y,z,r in ly.
        #[arg(long, allow_hyphen_values = true, conflicts_with = "box")]
        sphere: Option<String>,
        /// Box x0:x1,y0:y1,z0:z1 in ly.
        #[arg(long = "box", allow_hyphen_values = true)]
        r#box: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// List at most this many stars (the count is always complete).
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Plot a galaxy: interactive 3-D scatter (.html, offline) or density maps (.png).
    Plot {
        /// Galaxy directory.
        galaxy: PathBuf,
        /// Output file, .html or .png.
        #[arg(short, long)]
        output: PathBuf,
        /// Most stars drawn in the 3-D scatter (evenly thinned above it).
        #[arg(long, default_value_t = 100_000)]
        max_points: usize,
        /// Only stars in a region: x,y,z,r (sphere) or x0:x1,y0:y1,z0:z1 (box), in ly.
        #[arg(long, allow_hyphen_values = true)]
        region: Option<String>,
        /// Pixels per side of each PNG panel.
        #[arg(long, default_value_t = 800)]
        size: usize,
    },
    /// Synthesize a catalogue (or use the bundled real DR3 sample), ingest it, print the
    /// statistics and write the plots, in about a minute.
    Demo {
        /// Output directory.
        #[arg(default_value = "milkyway-demo")]
        dir: PathBuf,
        /// Synthetic rows.
        #[arg(long, default_value_t = 300_000)]
        stars: u64,
        /// Use the bundled 1000 real Gaia DR3 rows instead of a synthetic catalogue.
        #[arg(long)]
        real: bool,
        /// Random seed of the synthetic catalogue.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Serve a galaxy to the browser: the explorer page and its JSON/PNG API (read-only).
    Serve {
        /// Galaxy directory.
        galaxy: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Port (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Build (or rebuild) the multiscale pyramid of a galaxy from its star table.
    Index {
        /// Galaxy directory.
        galaxy: PathBuf,
    },
    /// Merge galaxies ingested from shards (`ingest --shard I/N`) into one.
    Merge {
        /// The shard galaxies.
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// Output galaxy directory.
        #[arg(short, long)]
        output: PathBuf,
        /// Replace an existing output.
        #[arg(long)]
        force: bool,
    },
}

#[derive(clap::Args)]
struct IngestArgs {
    /// Gaia files (.csv or .csv.gz) or directories of them.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output galaxy directory.
    #[arg(short, long)]
    output: PathBuf,
    /// Selection radius in ly.
    #[arg(long, default_value_t = 10_000.0)]
    radius_ly: f64,
    /// Cell edge in ly.
    #[arg(long, default_value_t = 1.0)]
    cell_ly: f64,
    /// Chunk edge in cells.
    #[arg(long, default_value_t = 250)]
    chunk: u64,
    /// Block edge in cells.
    #[arg(long, default_value_t = 25)]
    block: u64,
    /// Distance constant K in ly x mas (d = K / parallax).
    #[arg(long, default_value_t = K_EXACT)]
    k: f64,
    /// Use the talk's K = 3260.
    #[arg(long, conflicts_with = "k")]
    talk_k: bool,
    /// Malformed rows tolerated (skipped and counted) before failing.
    #[arg(long, default_value_t = 0)]
    max_bad_rows: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Only files I, I+N, ... of the sorted list (I/N, 0-based), for `merge`.
    #[arg(long)]
    shard: Option<String>,
    /// Replace an existing output.
    #[arg(long)]
    force: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Flush the output to the disk (fsync) before renaming it into place.
    #[arg(long)]
    sync: bool,
    /// Do not write the multiscale pyramid (`milkyway index` adds it later).
    #[arg(long)]
    no_pyramid: bool,
    /// Compress the star table's columns with the tuner for this tradeoff (0 = speed ...
    /// 1 = compression ratio); the galaxy reads the same.
    #[arg(long, value_name = "T")]
    tune: Option<String>,
    /// The tuner's speed: comp, decomp or balanced (with --tune; default comp).
    #[arg(long, value_name = "M", requires = "tune")]
    mode: Option<String>,
}

fn parse_shard(s: &str) -> Result<(usize, usize)> {
    let (i, n) = s.split_once('/').with_context(|| format!("--shard {s:?}: expected I/N"))?;
    let i: usize = i.trim().parse().with_context(|| format!("--shard {s:?}: expected I/N"))?;
    let n: usize = n.trim().parse().with_context(|| format!("--shard {s:?}: expected I/N"))?;
    if n == 0 || i >= n {
        bail!("--shard {s:?}: need 0 <= I < N");
    }
    Ok((i, n))
}

fn print_summary(s: &Summary, out: &std::path::Path) {
    let c = &s.counts;
    let cs = &s.cube;
    eprintln!(
        "{} files, {} rows in {:.2} s ({:.0} rows/s, {:.1} MB/s uncompressed)",
        s.files.len(),
        c.rows,
        s.elapsed_s,
        c.rows as f64 / s.elapsed_s.max(1e-9),
        s.input_bytes as f64 / 1e6 / s.elapsed_s.max(1e-9)
    );
    if s.scan_s > 0.0 {
        eprintln!(
            "reading and selection: {:.2} s ({:.0} rows/s, {:.1} MB/s uncompressed); cube and table: {:.2} s",
            s.scan_s,
            c.rows as f64 / s.scan_s,
            s.input_bytes as f64 / 1e6 / s.scan_s,
            s.elapsed_s - s.scan_s
        );
    }
    eprintln!(
        "parallax: {} missing, {} negative, {} zero, {} positive; {} malformed rows skipped",
        c.missing_parallax, c.negative_parallax, c.zero_parallax, c.positive_parallax, c.malformed
    );
    for m in &s.malformed_examples {
        eprintln!("  {m}");
    }
    eprintln!(
        "selected {} stars within {} ly (K = {}); {} non-empty cells in {} of {} chunks; fullest cell {}",
        c.selected,
        s.grid.radius_ly,
        s.k_ly_mas,
        cs.nonempty_cells,
        cs.nonempty_chunks,
        s.grid.nchunks(),
        cs.max_cell.map_or("-".to_string(), |(cell, n)| format!("{cell:?} with {n}"))
    );
    if cs.saturated_cells > 0 {
        eprintln!("warning: {} cells hold more than 255 stars and are stored as 255", cs.saturated_cells);
    }
    if let Some(p) = &cs.pyramid {
        print_pyramid(p);
    }
    eprintln!("galaxy written to {} (cube.b2nd, stars/, pyramid/, summary.json)", out.display());
}

fn print_pyramid(p: &milkyway::pyramid::PyramidStats) {
    eprintln!(
        "pyramid: levels {:?} (cells of 2^k ly-cells), non-empty cells {:?}, {} compressed bytes, {:.2} s",
        p.levels, p.nonempty_cells, p.cbytes, p.build_s
    );
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Synth { output, stars, seed, files, full, dwarf_mag, dust } => {
            let mut model = milkyway::synth::Model::default();
            let pair = |s: &str, what: &str| -> Result<(f64, f64)> {
                let (a, b) = s.split_once(',').with_context(|| format!("--{what} {s:?}: expected two numbers A,B"))?;
                Ok((a.trim().parse()?, b.trim().parse()?))
            };
            if let Some(d) = dwarf_mag {
                model.mag.0 = pair(&d, "dwarf-mag")?;
            }
            if let Some(d) = dust {
                model.dust = pair(&d, "dust")?;
            }
            anyhow::ensure!(stars > 0, "--stars must be positive");
            let t = std::time::Instant::now();
            let mode = if full { milkyway::synth::ColumnMode::Full } else { milkyway::synth::ColumnMode::Fast };
            let r = milkyway::synth::synth_with(&output, stars, seed, files, &model, mode)?;
            let pct = |v: u64| 100.0 * v as f64 / r.rows.max(1) as f64;
            eprintln!(
                "{} rows in {} files in {:.2} s: {:.1} % without parallax, {:.1} % of the rest negative, {:.1} % selected within 10,000 ly ({:.0} % of them truly inside), {:.1} % at |b| < 10 deg",
                r.rows,
                r.files.len(),
                t.elapsed().as_secs_f64(),
                pct(r.missing),
                100.0 * r.negative as f64 / (r.rows - r.missing).max(1) as f64,
                pct(r.selected),
                100.0 * r.selected_truly_inside as f64 / r.selected.max(1) as f64,
                pct(r.low_latitude)
            );
            eprintln!("catalogue written to {}", output.display());
        }
        Cmd::Ingest(a) => {
            let grid = Grid::new(a.radius_ly, a.cell_ly, a.chunk, a.block)?;
            let mut opts = IngestOptions::new(grid);
            opts.sel.k = if a.talk_k { K_TALK } else { a.k };
            opts.max_bad_rows = a.max_bad_rows;
            if let Some(j) = a.jobs {
                opts.jobs = j.max(1);
            }
            opts.shard = a.shard.as_deref().map(parse_shard).transpose()?;
            opts.force = a.force;
            opts.sync = a.sync;
            opts.pyramid = !a.no_pyramid;
            opts.tune = match &a.tune {
                Some(t) => Some(blosc2_tune::BtuneConfig {
                    tradeoff: blosc2_tune::parse_tradeoff(t)?,
                    perf_mode: blosc2_tune::PerfMode::parse(a.mode.as_deref().unwrap_or("comp"))?,
                    ..blosc2_tune::BtuneConfig::default()
                }),
                None => None,
            };
            opts.progress = !a.quiet && std::io::stderr().is_terminal();
            let files = ingest::list_inputs(&a.files, opts.shard)?;
            if files.is_empty() {
                bail!("no input files");
            }
            let s = ingest::ingest(&files, &a.output, &opts)?;
            print_summary(&s, &a.output);
        }
        Cmd::Stats { galaxy, json, bin_ly } => {
            anyhow::ensure!(bin_ly > 0.0, "--bin-ly must be positive");
            let g = Galaxy::open(&galaxy)?;
            let st = explore::stats(&g, bin_ly)?;
            if json {
                writeln!(std::io::stdout().lock(), "{}", serde_json::to_string_pretty(&st)?)?;
            } else {
                print_stats(&st)?;
            }
        }
        Cmd::Query { galaxy, sphere, r#box, json, limit } => {
            let region = match (sphere, r#box) {
                (Some(s), None) => Region::parse_sphere(&s)?,
                (None, Some(b)) => Region::parse_box(&b)?,
                _ => bail!("give exactly one of --sphere x,y,z,r or --box x0:x1,y0:y1,z0:z1"),
            };
            let g = Galaxy::open(&galaxy)?;
            let r = explore::query(&g, &region, limit)?;
            if json {
                writeln!(std::io::stdout().lock(), "{}", serde_json::to_string_pretty(&r)?)?;
            } else {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{} stars", r.count)?;
                writeln!(
                    out,
                    "{:>20} {:>12} {:>12} {:>12} {:>12}",
                    "source_id", "x_ly", "y_ly", "z_ly", "distance_ly"
                )?;
                for s in &r.stars {
                    writeln!(
                        out,
                        "{:>20} {:>12.3} {:>12.3} {:>12.3} {:>12.3}",
                        s.source_id, s.x, s.y, s.z, s.distance_ly
                    )?;
                }
            }
        }
        Cmd::Plot { galaxy, output, max_points, region, size } => {
            anyhow::ensure!((16..=8192).contains(&size), "--size must be within 16..=8192");
            let region = region.as_deref().map(parse_region).transpose()?;
            let msg = milkyway::plot::plot(&galaxy, &output, region.as_ref(), max_points, size)?;
            eprintln!("{msg} written to {}", output.display());
        }
        Cmd::Demo { dir, stars, real, seed } => demo(&dir, stars, real, seed)?,
        Cmd::Serve { galaxy, bind, port } => milkyway::serve::run(&galaxy, &bind, port)?,
        Cmd::Index { galaxy } => {
            let p = milkyway::pyramid::index(&galaxy)?;
            print_pyramid(&p);
        }
        Cmd::Merge { parts, output, force } => {
            let s = ingest::merge(&parts, &output, force)?;
            print_summary(&s, &output);
        }
    }
    Ok(())
}

fn parse_region(s: &str) -> Result<Region> {
    if s.contains(':') {
        Region::parse_box(s)
    } else {
        Region::parse_sphere(s)
    }
}

use milkyway::synth::DR3_SAMPLE_GZ as DR3_SAMPLE;

fn demo(dir: &std::path::Path, stars: u64, real: bool, seed: u64) -> Result<()> {
    let t0 = std::time::Instant::now();
    let cat = dir.join("catalogue");
    let galaxy = dir.join("galaxy");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let _ = std::fs::remove_dir_all(&cat);
    if real {
        std::fs::create_dir_all(&cat)?;
        std::fs::write(cat.join("dr3_random1000.csv.gz"), DR3_SAMPLE)?;
        eprintln!("1/4 using the bundled sample of 1000 real Gaia DR3 rows ({})", milkyway::CREDIT);
    } else {
        eprintln!("1/4 synthesizing {stars} Gaia-like rows (seed {seed}) ...");
        let r = milkyway::synth::synth(&cat, stars, seed, None, &milkyway::synth::Model::default())?;
        eprintln!("    {} rows in {} file(s), {:.1} s", r.rows, r.files.len(), t0.elapsed().as_secs_f64());
    }
    eprintln!("2/4 ingesting into the talk's cube (20,000^3 cells of 1 ly, chunks 250^3, blocks 25^3) ...");
    let mut opts = IngestOptions::new(Grid::talk());
    opts.force = true;
    opts.progress = std::io::stderr().is_terminal();
    let files = ingest::list_inputs(std::slice::from_ref(&cat), None)?;
    let s = ingest::ingest(&files, &galaxy, &opts)?;
    print_summary(&s, &galaxy);
    eprintln!("3/4 statistics from the chunk metadata:");
    let g = Galaxy::open(&galaxy)?;
    print_stats(&explore::stats(&g, 1000.0)?)?;
    eprintln!("4/4 plotting ...");
    let html = dir.join("galaxy.html");
    let png = dir.join("galaxy.png");
    let m1 = milkyway::plot::plot(&galaxy, &html, None, 50_000, 800)?;
    let m2 = milkyway::plot::plot(&galaxy, &png, None, 0, 600)?;
    eprintln!("    {m1}: {}", html.display());
    eprintln!("    {m2}: {}", png.display());
    eprintln!(
        "done in {:.1} s. Outputs in {}: catalogue/ (input), galaxy/ (cube.b2nd, stars/, summary.json), galaxy.html, galaxy.png",
        t0.elapsed().as_secs_f64(),
        dir.display()
    );
    eprintln!("next: milkyway query {} --sphere 0,0,0,500", galaxy.display());
    eprintln!("explore it in the browser: milkyway serve {}", galaxy.display());
    Ok(())
}

fn print_stats(st: &explore::Stats) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "stars            {}", st.stars)?;
    writeln!(out, "non-empty cells  {}", st.nonempty_cells)?;
    writeln!(
        out,
        "chunks           {} non-empty, {} zero, {} total (occupancy {:.4})",
        st.nonempty_chunks, st.zero_chunks, st.nchunks, st.occupancy
    )?;
    if let Some(m) = &st.max_cell {
        writeln!(out, "fullest cell     {:?} with {} stars (centre {:.1?} ly)", m.cell, m.count, m.center_ly)?;
    }
    if st.saturated_cells > 0 {
        writeln!(out, "saturated cells  {}", st.saturated_cells)?;
    }
    if let Some(b) = &st.bbox {
        writeln!(
            out,
            "bounding box     cells {:?} .. {:?}; ly {:.0?} .. {:.0?}",
            b.lo_cell, b.hi_cell, b.lo_ly, b.hi_ly
        )?;
    }
    writeln!(out, "distance histogram (bins of {} ly, from cell centres):", st.distance_histogram.bin_ly)?;
    let max = st.distance_histogram.counts.iter().copied().max().unwrap_or(0).max(1);
    for (k, &n) in st.distance_histogram.counts.iter().enumerate() {
        let w = st.distance_histogram.bin_ly;
        let bar = "#".repeat(((n as f64 / max as f64) * 50.0).round() as usize);
        writeln!(out, "  {:>6.0}-{:<6.0} {:>10} {}", k as f64 * w, (k + 1) as f64 * w, n, bar)?;
    }
    writeln!(out, "compressed data  {} bytes", st.cbytes)?;
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("milkyway: error: {e:#}");
            ExitCode::from(1)
        }
    }
}
