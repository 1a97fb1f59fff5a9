//! The ingest: read Gaia files on all cores, select and convert the stars, spill them by
//! slab, then build the galaxy directory (cube, star table, summary) under a temporary name
//! that is renamed at the end (`shared/spec/gaia.md` 3.1-3.5).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::cube::{CubeBuilder, CubeStats};
use crate::geom::Grid;
use crate::reader::{parse_batch, Batch, BatchResult, Columns, Counts, GaiaReader, Selection, Star};
use crate::spill::Spill;

/// Options of an ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Distance constant and radius.
    pub sel: Selection,
    /// The cube grid.
    pub grid: Grid,
    /// Malformed rows tolerated before failing.
    pub max_bad_rows: u64,
    /// Worker threads (readers and parsers each).
    pub jobs: usize,
    /// Show a progress bar (only drawn on a terminal).
    pub progress: bool,
    /// Process only files `i` with `i % n == shard.0` (after sorting) when set.
    pub shard: Option<(usize, usize)>,
    /// Replace an existing output.
    pub force: bool,
    /// Bin width of the distance histogram in ly.
    pub hist_bin_ly: f64,
    /// Most stars held in memory while building the cube (a slab with more is built in
    /// several passes over its spill file, by ranges of chunk rows).
    pub max_stars_in_memory: u64,
    /// Flush the output to the disk (fsync) before renaming it into place.
    pub sync: bool,
    /// Write the multiscale pyramid (`pyramid/`) with the cube.
    pub pyramid: bool,
    /// Compress the star table's columns with the tuner of this configuration (`None`:
    /// ZSTD 1 + shuffle, as the rest of the galaxy).
    pub tune: Option<blosc2_tune::BtuneConfig>,
}

impl IngestOptions {
    /// The talk's defaults (K = 3261.56, radius 10,000 ly, talk layout), all cores.
    pub fn new(grid: Grid) -> IngestOptions {
        IngestOptions {
            sel: Selection { k: crate::geom::K_EXACT, radius_ly: grid.radius_ly },
            grid,
            max_bad_rows: 0,
            jobs: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            progress: false,
            shard: None,
            force: false,
            hist_bin_ly: 1000.0,
            max_stars_in_memory: DEFAULT_MAX_STARS_IN_MEMORY,
            sync: false,
            pyramid: true,
            tune: None,
        }
    }
}

/// Default of [`IngestOptions::max_stars_in_memory`]: 4 million stars, about 450 MB while a
/// slab is sorted and binned.
pub const DEFAULT_MAX_STARS_IN_MEMORY: u64 = 4_000_000;

/// Per-file report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileReport {
    /// The file.
    pub path: String,
    /// Its `#` header lines.
    pub header_lines: u64,
    /// Its counts.
    pub counts: Counts,
}

/// The `summary.json` of a galaxy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// Format tag.
    pub format: String,
    /// Distance constant used.
    pub k_ly_mas: f64,
    /// The grid.
    pub grid: Grid,
    /// Totals over all files.
    pub counts: Counts,
    /// Per-file counts.
    pub files: Vec<FileReport>,
    /// Cube statistics.
    pub cube: CubeStats,
    /// First malformed rows (`file:line: message`).
    pub malformed_examples: Vec<String>,
    /// Seconds spent.
    pub elapsed_s: f64,
    /// Seconds spent reading, parsing and spilling the input.
    #[serde(default)]
    pub scan_s: f64,
    /// Uncompressed input bytes.
    pub input_bytes: u64,
    /// Credit line of the data.
    pub credit: String,
}

/// Name of the summary file in a galaxy directory.
pub const SUMMARY: &str = "summary.json";

enum Msg {
    Result(BatchResult),
    FileDone { file: usize, header_lines: u64, bytes: u64 },
    Error(anyhow::Error),
}

/// What a scan gathered.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// Per-file reports (in file order).
    pub files: Vec<FileReport>,
    /// Totals.
    pub counts: Counts,
    /// First malformed rows.
    pub malformed_examples: Vec<String>,
    /// Uncompressed bytes read.
    pub input_bytes: u64,
}

/// Reads `files` with `opts.jobs` reader and parser threads, calling `sink` with every
/// batch's selected stars (in no particular order) in the calling thread.
///
/// # Errors
/// The first file error; more malformed rows than allowed (naming the first one).
pub fn scan(
    files: &[PathBuf],
    opts: &IngestOptions,
    mut sink: impl FnMut(Vec<Star>) -> Result<()>,
) -> Result<ScanReport> {
    let jobs = opts.jobs.max(1);
    let total_bytes: u64 = files.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum();
    let pb = if opts.progress { ProgressBar::new(total_bytes) } else { ProgressBar::hidden() };
    if opts.progress {
        pb.set_draw_target(ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template("[{elapsed_precise}] {bar:16} {bytes}/{total_bytes} {msg} ETA {eta}")
                .expect("template"),
        );
    }
    let consumed = Arc::new(AtomicU64::new(0));
    let next_file = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (btx, brx) = sync_channel::<(Arc<Columns>, Batch)>(2 * jobs);
    let brx = Mutex::new(brx);
    let (rtx, rrx) = sync_channel::<Msg>(4 * jobs);
    let sel = opts.sel;
    let mut report = ScanReport {
        files: files
            .iter()
            .map(|p| FileReport { path: p.display().to_string(), header_lines: 0, counts: Counts::default() })
            .collect(),
        ..Default::default()
    };
    let mut bad: Vec<(usize, u64, String)> = Vec::new();
    let start = Instant::now();
    let outcome: Result<()> = std::thread::scope(|s| {
        for _ in 0..jobs.min(files.len()) {
            let btx = btx.clone();
            let rtx = rtx.clone();
            let (next_file, stop, consumed) = (&next_file, &stop, consumed.clone());
            s.spawn(move || loop {
                let i = next_file.fetch_add(1, Ordering::SeqCst);
                if i >= files.len() || stop.load(Ordering::SeqCst) {
                    break;
                }
                let res = (|| -> Result<(u64, u64)> {
                    let mut r = GaiaReader::open_counted(&files[i], Some(consumed.clone()))?;
                    let cols = Arc::new(r.columns.clone());
                    while let Some(b) = r.next_batch(i, 1 << 22)? {
                        if stop.load(Ordering::SeqCst) || btx.send((cols.clone(), b)).is_err() {
                            break;
                        }
                    }
                    Ok((r.header_lines, r.bytes_read))
                })();
                let msg = match res {
                    Ok((header_lines, bytes)) => Msg::FileDone { file: i, header_lines, bytes },
                    Err(e) => Msg::Error(e),
                };
                if rtx.send(msg).is_err() {
                    break;
                }
            });
        }
        drop(btx);
        for _ in 0..jobs {
            let rtx = rtx.clone();
            let (brx, stop) = (&brx, &stop);
            s.spawn(move || loop {
                let item = brx.lock().expect("lock").recv();
                let Ok((cols, b)) = item else { break };
                if stop.load(Ordering::SeqCst) {
                    continue;
                }
                if rtx.send(Msg::Result(parse_batch(&b, &cols, sel))).is_err() {
                    break;
                }
            });
        }
        drop(rtx);
        let res = drain(&rrx, &mut report, &mut bad, opts, &mut sink, &pb, &consumed, start);
        if res.is_err() {
            stop.store(true, Ordering::SeqCst);
            while rrx.recv().is_ok() {}
        }
        res
    });
    pb.finish_and_clear();
    bad.sort();
    report.malformed_examples =
        bad.iter().take(5).map(|(f, l, m)| format!("{}:{l}: malformed row: {m}", files[*f].display())).collect();
    outcome?;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn drain(
    rrx: &Receiver<Msg>,
    report: &mut ScanReport,
    bad: &mut Vec<(usize, u64, String)>,
    opts: &IngestOptions,
    sink: &mut impl FnMut(Vec<Star>) -> Result<()>,
    pb: &ProgressBar,
    consumed: &AtomicU64,
    start: Instant,
) -> Result<()> {
    while let Ok(msg) = rrx.recv() {
        match msg {
            Msg::Error(e) => return Err(e),
            Msg::FileDone { file, header_lines, bytes } => {
                report.files[file].header_lines = header_lines;
                report.input_bytes += bytes;
            }
            Msg::Result(r) => {
                report.files[r.file].counts.add(&r.counts);
                report.counts.add(&r.counts);
                for (l, m) in r.bad {
                    bad.push((r.file, l, m));
                }
                if report.counts.malformed > opts.max_bad_rows {
                    bad.sort();
                    let (f, l, m) = &bad[0];
                    bail!(
                        "{}:{l}: malformed row: {m} ({} malformed rows so far, --max-bad-rows {})",
                        report.files[*f].path,
                        report.counts.malformed,
                        opts.max_bad_rows
                    );
                }
                sink(r.stars)?;
                pb.set_position(consumed.load(Ordering::Relaxed));
                let secs = start.elapsed().as_secs_f64().max(1e-9);
                pb.set_message(format!(
                    "{} rows {} rows/s",
                    human(report.counts.rows as f64),
                    human(report.counts.rows as f64 / secs)
                ));
            }
        }
    }
    Ok(())
}

/// `n` with a k/M/G suffix and 3 significant digits (for the progress bar).
fn human(n: f64) -> String {
    let (v, unit) = match n {
        n if n >= 1e9 => (n / 1e9, "G"),
        n if n >= 1e6 => (n / 1e6, "M"),
        n if n >= 1e3 => (n / 1e3, "k"),
        n => return format!("{n:.0}"),
    };
    if v >= 100.0 {
        format!("{v:.0}{unit}")
    } else if v >= 10.0 {
        format!("{v:.1}{unit}")
    } else {
        format!("{v:.2}{unit}")
    }
}

/// The input files in sorted name order, directories expanded to their `*.csv`/`*.csv.gz`
/// files, restricted to a shard when asked.
///
/// # Errors
/// A missing input or an unreadable directory.
pub fn list_inputs(inputs: &[PathBuf], shard: Option<(usize, usize)>) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in inputs {
        if p.is_dir() {
            for e in std::fs::read_dir(p).with_context(|| format!("cannot read directory {}", p.display()))? {
                let e = e?.path();
                let n = e.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
                if n.ends_with(".csv") || n.ends_with(".csv.gz") || n.ends_with(".ecsv") || n.ends_with(".ecsv.gz") {
                    files.push(e);
                }
            }
        } else if p.exists() {
            files.push(p.clone());
        } else {
            bail!("input {} does not exist", p.display());
        }
    }
    files.sort();
    files.dedup();
    if let Some((i, n)) = shard {
        files = files.into_iter().enumerate().filter(|(k, _)| k % n == i).map(|(_, f)| f).collect();
    }
    Ok(files)
}

/// The temporary directory an output is built in (renamed to `out` at the end).
pub fn staging_dir(out: &Path) -> PathBuf {
    let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "galaxy".into());
    name.push(format!(".partial-{}", std::process::id()));
    out.with_file_name(name)
}

/// Removes staging directories of `out` left by ingests that were killed (their process is
/// gone).
pub fn remove_stale_staging(out: &Path) {
    let (Some(parent), Some(name)) = (out.parent(), out.file_name()) else { return };
    let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
    let prefix = format!("{}.partial-", name.to_string_lossy());
    let Ok(rd) = std::fs::read_dir(parent) else { return };
    for e in rd.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = n.strip_prefix(&prefix).and_then(|p| p.parse::<u32>().ok()) {
            if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// Checks that `out` may be written.
///
/// # Errors
/// `out` exists and `force` is off.
pub fn check_output(out: &Path, force: bool) -> Result<()> {
    if out.exists() && !force {
        bail!("{} already exists (use --force to replace it)", out.display());
    }
    Ok(())
}

/// Moves the finished staging directory to `out`, replacing an old output.
///
/// # Errors
/// I/O errors.
pub fn commit_output(staging: &Path, out: &Path) -> Result<()> {
    if out.exists() {
        let old = staging.with_extension("old");
        std::fs::rename(out, &old).with_context(|| format!("cannot move {} away", out.display()))?;
        std::fs::rename(staging, out).with_context(|| format!("cannot rename to {}", out.display()))?;
        std::fs::remove_dir_all(&old).ok();
    } else {
        std::fs::rename(staging, out).with_context(|| format!("cannot rename to {}", out.display()))?;
    }
    Ok(())
}

/// Removes a staging directory on drop unless disarmed.
struct StagingGuard(Option<PathBuf>);

impl Drop for StagingGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// Builds the galaxy directory in `staging` from a filled spill.
fn build(staging: &Path, mut spill: Spill, opts: &IngestOptions) -> Result<CubeStats> {
    let mut b = CubeBuilder::create(staging, opts.grid, opts.hist_bin_ly, opts.pyramid)?;
    if let Some(cfg) = &opts.tune {
        b.tune_table(cfg);
    }
    let total: u64 = (0..spill.nbuckets()).map(|k| spill.count(k)).sum();
    let pb = if opts.progress { ProgressBar::new(total) } else { ProgressBar::hidden() };
    if opts.progress {
        pb.set_draw_target(ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template("[{elapsed_precise}] {bar:16} {human_pos}/{human_len} stars binned ETA {eta}")
                .expect("template"),
        );
    }
    let g = opts.grid;
    let cj_of = |s: &Star| g.axis_index(s.pos[1]).map_or(0, |j| j / g.chunk);
    for k in 0..spill.nbuckets() {
        let n = spill.count(k);
        if n == 0 {
            continue;
        }
        if n <= opts.max_stars_in_memory.max(1) {
            let stars = spill.take_bucket(k)?;
            b.add_slab(stars)?;
        } else {
            // Too many stars for one pass: split the slab by ranges of chunk rows along
            // axis 1 (chunk order is preserved because the slab spans whole rows along 0).
            let mut per_cj = vec![0u64; g.chunks_per_axis() as usize];
            spill.scan_bucket(k, |s| {
                per_cj[cj_of(&s) as usize] += 1;
                Ok(())
            })?;
            let mut lo = 0usize;
            while lo < per_cj.len() {
                let mut hi = lo;
                let mut m = 0;
                while hi < per_cj.len() && (hi == lo || m + per_cj[hi] <= opts.max_stars_in_memory) {
                    m += per_cj[hi];
                    hi += 1;
                }
                if m > 0 {
                    let (l, h) = (lo as u64, hi as u64);
                    let stars = spill.read_bucket(k, |s| (l..h).contains(&cj_of(s)))?;
                    b.add_slab(stars)?;
                }
                lo = hi;
            }
            spill.remove_bucket(k);
        }
        pb.inc(n);
    }
    pb.finish_and_clear();
    b.finish()
}

/// Ingests `files` into the galaxy directory `out`.
///
/// # Errors
/// Input errors (file and line), too many malformed rows, I/O errors. `out` is left
/// untouched on error.
pub fn ingest(files: &[PathBuf], out: &Path, opts: &IngestOptions) -> Result<Summary> {
    check_output(out, opts.force)?;
    remove_stale_staging(out);
    let start = Instant::now();
    let staging = staging_dir(out);
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).with_context(|| format!("cannot create {}", staging.display()))?;
    let mut guard = StagingGuard(Some(staging.clone()));
    let mut spill = Spill::create_in_memory_up_to(&staging.join("spill"), opts.grid, opts.max_stars_in_memory)?;
    let report = scan(files, opts, |stars| {
        for s in &stars {
            spill.push(s)?;
        }
        Ok(())
    })?;
    spill.flush()?;
    let scan_s = start.elapsed().as_secs_f64();
    let cube = build(&staging, spill, opts)?;
    std::fs::remove_dir_all(staging.join("spill")).ok();
    let summary = Summary {
        scan_s,
        format: "milkyway-galaxy-1".into(),
        k_ly_mas: opts.sel.k,
        grid: opts.grid,
        counts: report.counts,
        files: report.files,
        cube,
        malformed_examples: report.malformed_examples,
        elapsed_s: start.elapsed().as_secs_f64(),
        input_bytes: report.input_bytes,
        credit: crate::CREDIT.into(),
    };
    write_summary(&staging, &summary)?;
    if opts.sync {
        sync_tree(&staging)?;
    }
    commit_output(&staging, out)?;
    guard.0 = None;
    if opts.sync {
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::File::open(parent)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("syncing {}", parent.display()))?;
    }
    Ok(summary)
}

/// Flushes every file under `dir`, and `dir` itself, to the disk.
///
/// # Errors
/// I/O errors.
pub fn sync_tree(dir: &Path) -> Result<()> {
    for e in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let p = e?.path();
        if p.is_dir() {
            sync_tree(&p)?;
        } else {
            std::fs::File::open(&p).and_then(|f| f.sync_all()).with_context(|| format!("syncing {}", p.display()))?;
        }
    }
    std::fs::File::open(dir).and_then(|f| f.sync_all()).with_context(|| format!("syncing {}", dir.display()))
}

/// Writes `summary.json` into `dir`.
///
/// # Errors
/// I/O errors.
pub fn write_summary(dir: &Path, s: &Summary) -> Result<()> {
    let p = dir.join(SUMMARY);
    std::fs::write(&p, serde_json::to_vec_pretty(s)?).with_context(|| format!("cannot write {}", p.display()))
}

/// Reads `summary.json` of a galaxy.
///
/// # Errors
/// Missing or invalid file.
pub fn read_summary(galaxy: &Path) -> Result<Summary> {
    let p = galaxy.join(SUMMARY);
    let b = std::fs::read(&p).with_context(|| format!("cannot read {} (not a galaxy directory?)", p.display()))?;
    serde_json::from_slice(&b).with_context(|| format!("invalid {}", p.display()))
}

/// Merges galaxies ingested from disjoint shards into `out`: the star tables are re-binned,
/// so the result equals one ingest of all the files.
///
/// # Errors
/// Parts with different grids or K; I/O errors.
pub fn merge(parts: &[PathBuf], out: &Path, force: bool) -> Result<Summary> {
    check_output(out, force)?;
    anyhow::ensure!(!parts.is_empty(), "no parts to merge");
    let start = Instant::now();
    let sums: Vec<Summary> = parts.iter().map(|p| read_summary(p)).collect::<Result<_>>()?;
    let first = &sums[0];
    for (p, s) in parts.iter().zip(&sums) {
        anyhow::ensure!(
            s.grid == first.grid && s.k_ly_mas == first.k_ly_mas,
            "{} was ingested with another grid or K than {}",
            p.display(),
            parts[0].display()
        );
    }
    let mut opts = IngestOptions::new(first.grid);
    opts.sel.k = first.k_ly_mas;
    opts.hist_bin_ly = first.cube.hist_bin_ly;
    let staging = staging_dir(out);
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    let mut guard = StagingGuard(Some(staging.clone()));
    let mut spill = Spill::create_in_memory_up_to(&staging.join("spill"), opts.grid, opts.max_stars_in_memory)?;
    for p in parts {
        crate::table::StarTable::open(p)?.for_each_star(|s| spill.push(&s))?;
    }
    spill.flush()?;
    let cube = build(&staging, spill, &opts)?;
    std::fs::remove_dir_all(staging.join("spill")).ok();
    let mut counts = Counts::default();
    let mut files = Vec::new();
    let mut bad = Vec::new();
    let mut input_bytes = 0;
    for s in &sums {
        counts.add(&s.counts);
        files.extend(s.files.iter().cloned());
        bad.extend(s.malformed_examples.iter().cloned());
        input_bytes += s.input_bytes;
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let summary = Summary {
        scan_s: 0.0,
        format: first.format.clone(),
        k_ly_mas: first.k_ly_mas,
        grid: first.grid,
        counts,
        files,
        cube,
        malformed_examples: bad.into_iter().take(5).collect(),
        elapsed_s: start.elapsed().as_secs_f64(),
        input_bytes,
        credit: crate::CREDIT.into(),
    };
    write_summary(&staging, &summary)?;
    commit_output(&staging, out)?;
    guard.0 = None;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn human_numbers() {
        assert_eq!(human(999.0), "999");
        assert_eq!(human(1234.0), "1.23k");
        assert_eq!(human(540_000.0), "540k");
        assert_eq!(human(12_345_678.0), "12.3M");
        assert_eq!(human(1.8e9), "1.80G");
    }
}
