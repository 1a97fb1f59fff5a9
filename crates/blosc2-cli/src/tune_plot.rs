//! `blosc2 tune plot DATA -o OUT.png`: every setting of the search space measured on DATA
//! as a point (compression ratio against the speed of the mode, both on log scales), one
//! colour per codec and one marker per filter pipeline; the Pareto front as a line; the
//! tuner's whole run (tuning included), python-blosc2's default (Zstd 5 + shuffle) and the
//! best fixed setting marked and labelled, with the iso-`J_t` curve through the latter.
//!
//! The settings and the tuned run go through the same super-chunk path as `tune eval`
//! (`tune_cmd::fixed_run` and `tune_cmd::tuned_run`), the minimum time of each over the
//! rounds kept. Drawn with `plotters` and the shipped font, written atomically.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use blosc2_core::chunk::CompressParams;
use blosc2_tune::{parse_tradeoff, BtuneConfig, FilterKind, Objective, PerfMode, SearchSpace, Setting};
use clap::Args;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::bench::plot::{colour, log_range, plot_err, write_png, FONT};
use crate::tune_cmd::{self, Run};

/// Arguments of `tune plot`.
#[derive(Args, Debug, Clone)]
pub struct PlotArgs {
    /// A `.npy`, `.b2nd` or `.b2frame` file, a raw file (with `--typesize`), or a data set
    /// of shared/bench/WORKLOADS.md.
    pub data: String,
    /// The PNG to write.
    #[arg(short, long)]
    pub output: PathBuf,
    /// The tradeoff of the tuner and of the iso-J_t curve (0 = speed ... 1 = ratio).
    #[arg(long, default_value = "0.5")]
    pub tradeoff: String,
    /// Which speed is plotted and counts: comp, decomp or balanced.
    #[arg(long, default_value = "comp")]
    pub mode: String,
    /// Item size of a raw file or data set.
    #[arg(long)]
    pub typesize: Option<usize>,
    /// Uncompressed bytes per chunk, or `all` for one chunk (default 8388608).
    #[arg(long)]
    pub chunksize: Option<String>,
    /// Size of a generated data set, MiB.
    #[arg(long, default_value_t = 64)]
    pub mib: usize,
    /// Rounds (the minimum time of each run is kept).
    #[arg(long, default_value_t = 2)]
    pub rounds: usize,
    /// Threads (default: the available cores).
    #[arg(long)]
    pub nthreads: Option<usize>,
    /// Leave out the iso-J_t curve through the best fixed setting.
    #[arg(long)]
    pub no_iso: bool,
    /// Image width in pixels.
    #[arg(long, default_value_t = 1400)]
    pub width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 900)]
    pub height: u32,
}

/// One measured setting: its place on the plot.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingPoint {
    /// The setting.
    pub setting: Setting,
    /// Compression ratio.
    pub cratio: f64,
    /// The mode's speed, GB/s.
    pub gbps: f64,
}

/// The points of the Pareto front of `(speed, ratio)` pairs, both to be maximized: the
/// indices of the points no other point matches or beats on both with one strictly
/// better, by increasing speed. Of equal points, the first is kept; non-finite points are
/// never on the front.
pub fn pareto_front(points: &[(f64, f64)]) -> Vec<usize> {
    let mut order: Vec<usize> =
        (0..points.len()).filter(|&i| points[i].0.is_finite() && points[i].1.is_finite()).collect();
    // Fastest first; of equal speeds, best ratio first; then by index (stable).
    order.sort_by(|&a, &b| points[b].0.total_cmp(&points[a].0).then(points[b].1.total_cmp(&points[a].1)));
    let mut best_ratio = f64::NEG_INFINITY;
    let mut front = Vec::new();
    for i in order {
        if points[i].1 > best_ratio {
            best_ratio = points[i].1;
            front.push(i);
        }
    }
    front.reverse();
    front
}

/// The ratios on the iso-`J_t` curve through `j` at the speeds `xs` (GB/s), where defined:
/// `ratio = (j / speed^(1-t))^(1/t)`.
pub fn iso_curve(o: &Objective, j: f64, xs: &[f64]) -> Vec<(f64, f64)> {
    if o.tradeoff <= 0.0 {
        return Vec::new();
    }
    xs.iter().map(|&x| (x, (j / x.powf(1.0 - o.tradeoff)).powf(1.0 / o.tradeoff))).filter(|p| p.1.is_finite()).collect()
}

/// What the plot shows besides the settings.
struct Marks {
    front: Vec<usize>,
    oracle: usize,
    default: SettingPoint,
    tuned: (f64, f64, String),
}

/// Draws the plot into an RGB buffer.
fn draw(args: &PlotArgs, o: &Objective, pts: &[SettingPoint], m: &Marks, title: &str) -> Result<Vec<u8>> {
    let (w, h) = (args.width, args.height);
    let mut buf = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let (head, body) = root.split_vertically(112);
        head.draw_text(title, &("sans-serif", 21).into_font().color(&BLACK), (16, 8)).map_err(plot_err)?;
        let font = ("sans-serif", 16).into_font().color(&BLACK);
        let y = 46;
        let mut x = 16;
        let codecs: Vec<String> = {
            let mut c: Vec<String> = Vec::new();
            for p in pts {
                let n = p.setting.codec.name().unwrap_or("?").to_string();
                if !c.contains(&n) {
                    c.push(n);
                }
            }
            c
        };
        for c in &codecs {
            head.draw(&Rectangle::new([(x, y - 6), (x + 14, y + 8)], colour(c).filled())).map_err(plot_err)?;
            head.draw_text(c, &font, (x + 20, y - 8)).map_err(plot_err)?;
            x += 30 + 9 * c.len() as i32 + 16;
        }
        x += 20;
        for f in FilterKind::ALL {
            let at = (x + 6, y + 1);
            match f {
                FilterKind::None => head.draw(&Circle::new(at, 5, BLACK.filled())),
                FilterKind::Shuffle => head.draw(&TriangleMarker::new(at, 6, BLACK.filled())),
                FilterKind::Bitshuffle => {
                    head.draw(&Rectangle::new([(at.0 - 5, at.1 - 5), (at.0 + 5, at.1 + 5)], BLACK.filled()))
                }
                FilterKind::ShuffleBytedelta => head.draw(&Cross::new(at, 5, BLACK.stroke_width(2))),
            }
            .map_err(plot_err)?;
            head.draw_text(f.name(), &font, (x + 18, y - 8)).map_err(plot_err)?;
            x += 18 + 9 * f.name().len() as i32 + 24;
        }
        head.draw_text(
            &format!(
                "black line: Pareto front   grey curve: equal J_t = ratio^{t} x speed^{u:.2} through the best fixed setting",
                t = o.tradeoff,
                u = 1.0 - o.tradeoff
            ),
            &("sans-serif", 14).into_font().color(&RGBColor(80, 80, 80)),
            (16, 92),
        )
        .map_err(plot_err)?;
        // The marked settings: circles of three sizes, named here in full and tagged on the plot.
        let best = &pts[m.oracle];
        let marked = [
            (13, "tuner", format!("tuner (whole run, trials included): {}", m.tuned.2), -10),
            (11, "default", format!("python-blosc2 default: {}", m.default.setting.label()), 6),
            (8, "best", format!("best fixed: {}", best.setting.label()), -26),
        ];
        let mut x = 16;
        for (r, _, text, _) in &marked {
            head.draw(&Circle::new((x + 13, 72), *r, BLACK.stroke_width(2))).map_err(plot_err)?;
            head.draw_text(text, &font, (x + 32, 63)).map_err(plot_err)?;
            x += 32 + 9 * text.chars().count() as i32 + 24;
        }

        let xs = || pts.iter().map(|p| p.gbps).chain([m.tuned.0, m.default.gbps]);
        let ys = || pts.iter().map(|p| p.cratio).chain([m.tuned.1, m.default.cratio]);
        let xr = log_range(xs());
        let yr = log_range(ys());
        let speed_name = match o.mode {
            PerfMode::Comp => "compression",
            PerfMode::Decomp => "decompression",
            PerfMode::Balanced => "balanced (bytes / (ctime + dtime))",
        };
        let mut chart = ChartBuilder::on(&body)
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d((xr.0..xr.1).log_scale(), (yr.0..yr.1).log_scale())
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc(format!("{speed_name} speed, GB/s (log)"))
            .y_desc("compression ratio (log)")
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 17))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(plot_err)?;
        if !args.no_iso {
            let n = 200;
            let grid: Vec<f64> = (0..=n).map(|k| xr.0 * (xr.1 / xr.0).powf(f64::from(k) / f64::from(n))).collect();
            let j = o.j(pts[m.oracle].cratio, pts[m.oracle].gbps * 1e9);
            let curve: Vec<(f64, f64)> =
                iso_curve(o, j, &grid).into_iter().filter(|p| p.1 >= yr.0 && p.1 <= yr.1).collect();
            chart
                .draw_series(std::iter::once(PathElement::new(curve, RGBColor(160, 160, 160).stroke_width(2))))
                .map_err(plot_err)?;
        }
        let front: Vec<(f64, f64)> = m.front.iter().map(|&i| (pts[i].gbps, pts[i].cratio)).collect();
        chart.draw_series(std::iter::once(PathElement::new(front, BLACK.stroke_width(2)))).map_err(plot_err)?;
        for p in pts {
            let col = colour(p.setting.codec.name().unwrap_or("?"));
            let at = (p.gbps, p.cratio);
            match p.setting.filter {
                FilterKind::None => chart.draw_series(std::iter::once(Circle::new(at, 5, col.filled()))),
                FilterKind::Shuffle => chart.draw_series(std::iter::once(TriangleMarker::new(at, 6, col.filled()))),
                FilterKind::Bitshuffle => chart.draw_series(std::iter::once(
                    EmptyElement::at(at) + Rectangle::new([(-5, -5), (5, 5)], col.filled()),
                )),
                FilterKind::ShuffleBytedelta => {
                    chart.draw_series(std::iter::once(Cross::new(at, 5, col.stroke_width(2))))
                }
            }
            .map_err(plot_err)?;
        }
        let label = ("sans-serif", 15).into_font().color(&BLACK);
        // Tags go right of their mark, or left of it in the right part of the plot.
        let (lx0, lx1) = (xr.0.ln(), xr.1.ln());
        let mut mark = |at: (f64, f64), r: i32, text: &'static str, dy: i32| -> Result<()> {
            let width = 9 * text.chars().count() as i32;
            let dx = if (at.0.ln() - lx0) / (lx1 - lx0) > 0.8 { -(r + 4) - width } else { r + 4 };
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at(at)
                        + Circle::new((0, 0), r, BLACK.stroke_width(2))
                        + Text::new(text, (dx, dy), label.clone()),
                ))
                .map(drop)
                .map_err(plot_err)
        };
        let at = [(m.tuned.0, m.tuned.1), (m.default.gbps, m.default.cratio), (best.gbps, best.cratio)];
        for ((r, tag, _, dy), at) in marked.iter().zip(at) {
            mark(at, *r, tag, *dy)?;
        }
        root.present().map_err(plot_err)?;
    }
    Ok(buf)
}

/// Runs `tune plot`.
///
/// # Errors
/// Bad options or input, drawing or writing errors; nothing is written then.
pub fn run(args: &PlotArgs) -> Result<()> {
    if args.width < 400 || args.height < 300 {
        bail!("the plot needs at least 400 x 300 pixels");
    }
    let tradeoff = parse_tradeoff(&args.tradeoff)?;
    let mode = PerfMode::parse(&args.mode)?;
    let cs = match tune_cmd::chunk_sizes(args.chunksize.as_deref())?[..] {
        [cs] => cs,
        _ => bail!("tune plot takes one --chunksize"),
    };
    if args.nthreads == Some(0) {
        bail!("--nthreads must be at least 1");
    }
    let nthreads = args.nthreads.unwrap_or_else(crate::threads::available);
    register_font("sans-serif", FontStyle::Normal, FONT).map_err(|_| anyhow!("the built-in font does not load"))?;
    let d = tune_cmd::load_all(std::slice::from_ref(&args.data), args.typesize, args.mib)?.remove(0);
    let chunksize = tune_cmd::effective_chunksize(&d, cs);
    let o = Objective { tradeoff, mode };
    let base = CompressParams { typesize: d.typesize, nthreads, ..CompressParams::default() };
    let settings: Vec<Setting> = SearchSpace::default().iter().collect();
    let cfg = BtuneConfig { tradeoff, perf_mode: mode, ..BtuneConfig::default() };
    let mut table: Vec<Option<Run>> = vec![None; settings.len()];
    let mut default_run: Option<Run> = None;
    let mut tuned: Option<(Run, String)> = None;
    for _ in 0..args.rounds.max(1) {
        let (r, params, _, chunks) = tune_cmd::tuned_run(&d, &cfg, &base, chunksize, true)?;
        tune_cmd::verify(&d, &chunks, chunksize)?;
        tuned = Some(match tuned {
            Some((old, s)) => (old.min(r), s),
            None => (r, tune_cmd::summary(&params)),
        });
        for (i, st) in settings.iter().enumerate() {
            let r = tune_cmd::fixed_run(&d, &[st.apply(&base)], chunksize, nthreads, true)?;
            table[i] = Some(table[i].map_or(r, |old| old.min(r)));
        }
        let r = tune_cmd::fixed_run(&d, &[Setting::DEFAULT.apply(&base)], chunksize, nthreads, true)?;
        default_run = Some(default_run.map_or(r, |old| old.min(r)));
    }
    let pt = |setting: Setting, r: &Run| SettingPoint { setting, cratio: r.cratio(), gbps: r.speed(&o) / 1e9 };
    let pts: Vec<SettingPoint> = settings.iter().zip(table.iter().flatten()).map(|(s, r)| pt(*s, r)).collect();
    let (tuned, chosen) = tuned.ok_or_else(|| anyhow!("no tuned run"))?;
    let default = pt(Setting::DEFAULT, &default_run.ok_or_else(|| anyhow!("no default run"))?);
    let oracle = (0..pts.len())
        .max_by(|&a, &b| o.j(pts[a].cratio, pts[a].gbps * 1e9).total_cmp(&o.j(pts[b].cratio, pts[b].gbps * 1e9)))
        .ok_or_else(|| anyhow!("an empty search space"))?;
    let front = pareto_front(&pts.iter().map(|p| (p.gbps, p.cratio)).collect::<Vec<_>>());
    let marks = Marks { front, oracle, default, tuned: (tuned.speed(&o) / 1e9, tuned.cratio(), chosen) };
    let title = format!(
        "{}: {} settings, tradeoff {tradeoff}, mode {}, {} chunk(s) of {} bytes, {nthreads} thread(s)",
        d.name,
        pts.len(),
        mode.name(),
        d.bytes.len().div_ceil(chunksize),
        chunksize
    );
    let rgb = draw(args, &o, &pts, &marks, &title)?;
    write_png(&args.output, &rgb, args.width, args.height)?;
    let best = &pts[marks.oracle];
    eprintln!(
        "wrote {}: {} settings, {} on the Pareto front; best fixed {} (ratio {:.2}, {:.2} GB/s), tuner {} (ratio {:.2}, {:.2} GB/s), default (ratio {:.2}, {:.2} GB/s)",
        args.output.display(),
        pts.len(),
        marks.front.len(),
        best.setting.label(),
        best.cratio,
        best.gbps,
        marks.tuned.2,
        marks.tuned.1,
        marks.tuned.0,
        marks.default.cratio,
        marks.default.gbps
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pareto_front_is_the_exact_set_of_undominated_points() {
        let pts = [
            (1.0, 10.0),       // 0: slowest, best ratio: on the front
            (2.0, 8.0),        // 1: on the front
            (2.0, 5.0),        // 2: same speed as 1, lower ratio: dominated
            (1.5, 7.0),        // 3: dominated by 1
            (4.0, 3.0),        // 4: on the front
            (4.0, 3.0),        // 5: equal to 4: the first kept
            (3.0, 3.0),        // 6: same ratio as 4, slower: dominated
            (5.0, 1.0),        // 7: fastest: on the front
            (f64::NAN, 100.0), // 8: not finite: never
            (0.5, 10.0),       // 9: same ratio as 0, slower: dominated
        ];
        assert_eq!(pareto_front(&pts), vec![0, 1, 4, 7]);
        assert_eq!(pareto_front(&[]), Vec::<usize>::new());
        assert_eq!(pareto_front(&[(1.0, 1.0)]), vec![0]);
        // A point better on both dominates everything.
        assert_eq!(pareto_front(&[(1.0, 1.0), (2.0, 2.0), (1.5, 0.5)]), vec![1]);
    }

    #[test]
    fn the_iso_curve_keeps_j_constant() {
        let o = Objective { tradeoff: 0.3, mode: PerfMode::Comp };
        let j = o.j(5.0, 2e9);
        let c = iso_curve(&o, j, &[0.5, 1.0, 2.0, 8.0]);
        assert_eq!(c.len(), 4);
        for (x, y) in c {
            assert!((o.j(y, x * 1e9) / j - 1.0).abs() < 1e-9, "{x} {y}");
        }
        assert!((iso_curve(&o, j, &[2.0])[0].1 - 5.0).abs() < 1e-9);
        assert!(iso_curve(&Objective { tradeoff: 0.0, mode: PerfMode::Comp }, j, &[1.0]).is_empty());
    }
}
