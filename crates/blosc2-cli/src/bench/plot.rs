//! `blosc2 bench plot`: a PNG of throughput (compression and decompression, GB/s) against
//! compression ratio, one colour per codec, for our `codecs` records and those of the
//! reference harness (`anchor.py`), side by side.
//!
//! Every point is one configuration (data set, filter, clevel, typesize, nthreads) of the
//! chosen API; where a file holds several records of one configuration (several rounds),
//! the point is their median. Drawn with `plotters` into a memory buffer, text with the
//! DejaVu Sans font shipped in `assets/` (no system fonts or libraries), encoded with `png`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use serde_json::Value;

use super::codecs::CODECS;
use super::record::median;

/// The font of every text of the plot (DejaVu Sans 2.37, licence beside it).
pub(crate) static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Arguments of `bench plot`.
#[derive(Args, Debug, Clone)]
pub struct PlotArgs {
    /// Our `codecs` records (`blosc2 bench --out`: JSON lines, or a `--json` list).
    #[arg(long)]
    pub ours: PathBuf,
    /// The reference records (`anchor.py --out`).
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// The PNG to write.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Only records of this API.
    #[arg(long, default_value = "chunk")]
    pub api: String,
    /// Only these thread counts (comma list; default all).
    #[arg(long)]
    pub nthreads: Option<String>,
    /// Only these data sets (comma list; default all).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Legend name of our records.
    #[arg(long, default_value = "blosc2-rs")]
    pub ours_label: String,
    /// Legend name of the reference records.
    #[arg(long, default_value = "python-blosc2 (C-Blosc2)")]
    pub reference_label: String,
    /// Title line (default: what is plotted).
    #[arg(long)]
    pub title: Option<String>,
    /// Image width in pixels.
    #[arg(long, default_value_t = 1600)]
    pub width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 760)]
    pub height: u32,
}

/// One configuration of one implementation.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Codec name.
    pub codec: String,
    /// Compression ratio.
    pub cratio: f64,
    /// Median compression GB/s.
    pub c_gbps: f64,
    /// Median decompression GB/s.
    pub d_gbps: f64,
}

/// Records of a file: a JSON list, or one JSON object per line.
fn read_records(path: &Path) -> Result<Vec<Value>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(&text).with_context(|| format!("{}: not a JSON list", path.display()));
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).with_context(|| format!("{}:{}: not JSON", path.display(), i + 1)))
        .collect()
}

fn list(opt: &Option<String>) -> Option<Vec<String>> {
    opt.as_ref().map(|s| s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
}

/// The points of `records`: timed `codecs` records of `api` passing the filters, one per
/// configuration (medians over repeated records).
pub fn points(records: &[Value], api: &str, nthreads: Option<&[String]>, datasets: Option<&[String]>) -> Vec<Point> {
    type Key = (String, String, String, i64, i64, i64);
    let mut cells: BTreeMap<Key, Vec<(f64, f64, f64)>> = BTreeMap::new();
    for r in records {
        if r["workload"] != "codecs" || r["api"] != api || r.get("error").is_some_and(|e| !e.is_null()) {
            continue;
        }
        let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
        let i = |k: &str| r[k].as_i64().unwrap_or(-1);
        if nthreads.is_some_and(|l| !l.contains(&i("nthreads").to_string())) {
            continue;
        }
        if datasets.is_some_and(|l| !l.contains(&s("dataset"))) {
            continue;
        }
        let (Some(cr), Some(c), Some(d)) =
            (r["cratio"].as_f64(), r["compress"]["gbps_median"].as_f64(), r["decompress"]["gbps_median"].as_f64())
        else {
            continue;
        };
        let key = (s("codec"), s("dataset"), s("filter"), i("clevel"), i("typesize"), i("nthreads"));
        cells.entry(key).or_default().push((cr, c, d));
    }
    cells
        .into_iter()
        .map(|(k, v)| {
            let pick = |f: fn(&(f64, f64, f64)) -> f64| median(&v.iter().map(f).collect::<Vec<_>>());
            Point { codec: k.0, cratio: pick(|t| t.0), c_gbps: pick(|t| t.1), d_gbps: pick(|t| t.2) }
        })
        .collect()
}

/// Codec colours (one per codec of the matrix, then grey).
pub(crate) fn colour(codec: &str) -> RGBColor {
    match codec {
        "blosclz" => RGBColor(31, 119, 180),
        "lz4" => RGBColor(255, 127, 14),
        "lz4hc" => RGBColor(44, 160, 44),
        "zlib" => RGBColor(214, 39, 40),
        "zstd" => RGBColor(148, 103, 189),
        _ => RGBColor(127, 127, 127),
    }
}

/// A log axis range covering `values` with a margin.
pub(crate) fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return (0.1, 10.0);
    }
    (lo / 1.5, hi * 1.5)
}

pub(crate) fn plot_err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("plot: {e:?}")
}

/// Draws the plot into an RGB buffer of `width x height`.
fn draw(args: &PlotArgs, ours: &[Point], reference: &[Point], title: &str) -> Result<Vec<u8>> {
    let (w, h) = (args.width, args.height);
    let mut buf = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let (head, body) = root.split_vertically(78);
        head.draw_text(title, &("sans-serif", 22).into_font().color(&BLACK), (16, 8)).map_err(plot_err)?;
        // Legend: codec colours, then the two markers.
        let font = ("sans-serif", 17).into_font().color(&BLACK);
        let mut x = 16;
        let y = 48;
        let codecs: Vec<&str> =
            CODECS.iter().copied().filter(|c| ours.iter().chain(reference).any(|p| p.codec == *c)).collect();
        for c in &codecs {
            head.draw(&Rectangle::new([(x, y - 6), (x + 14, y + 8)], colour(c).filled())).map_err(plot_err)?;
            head.draw_text(c, &font, (x + 20, y - 8)).map_err(plot_err)?;
            x += 30 + 10 * c.len() as i32 + 20;
        }
        x += 30;
        head.draw(&Circle::new((x + 6, y + 1), 6, BLACK.filled())).map_err(plot_err)?;
        head.draw_text(&format!("{} (filled circles)", args.ours_label), &font, (x + 18, y - 8)).map_err(plot_err)?;
        x += 18 + 9 * (args.ours_label.len() as i32 + 18) + 30;
        if !reference.is_empty() {
            head.draw(&Cross::new((x + 6, y + 1), 6, BLACK.stroke_width(2))).map_err(plot_err)?;
            head.draw_text(&format!("{} (crosses)", args.reference_label), &font, (x + 18, y - 8)).map_err(plot_err)?;
        }

        let all = || ours.iter().chain(reference);
        let xr = log_range(all().map(|p| p.cratio));
        let (left, right) = body.split_horizontally(w / 2);
        type Speed = fn(&Point) -> f64;
        let panels: [(&DrawingArea<_, _>, &str, Speed); 2] =
            [(&left, "compression", |p| p.c_gbps), (&right, "decompression", |p| p.d_gbps)];
        for (area, what, speed) in panels {
            let yr = log_range(all().map(speed));
            let mut chart = ChartBuilder::on(area)
                .caption(format!("{what} speed vs compression ratio"), ("sans-serif", 20))
                .margin(14)
                .x_label_area_size(48)
                .y_label_area_size(64)
                .build_cartesian_2d((xr.0..xr.1).log_scale(), (yr.0..yr.1).log_scale())
                .map_err(plot_err)?;
            chart
                .configure_mesh()
                .x_desc("compression ratio (log)")
                .y_desc(format!("{what} GB/s (log)"))
                .label_style(("sans-serif", 15))
                .axis_desc_style(("sans-serif", 17))
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(plot_err)?;
            for c in &codecs {
                let col = colour(c);
                chart
                    .draw_series(
                        reference
                            .iter()
                            .filter(|p| p.codec == *c)
                            .map(|p| Cross::new((p.cratio, speed(p)), 5, col.stroke_width(2))),
                    )
                    .map_err(plot_err)?;
                chart
                    .draw_series(
                        ours.iter()
                            .filter(|p| p.codec == *c)
                            .map(|p| Circle::new((p.cratio, speed(p)), 4, col.filled())),
                    )
                    .map_err(plot_err)?;
            }
        }
        root.present().map_err(plot_err)?;
    }
    Ok(buf)
}

/// Writes `rgb` (`width x height`, 8-bit RGB) as a PNG file.
pub(crate) fn write_png(path: &Path, rgb: &[u8], width: u32, height: u32) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut bytes, width, height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Best);
    let mut w = enc.write_header().context("png header")?;
    w.write_image_data(rgb).context("png data")?;
    w.finish().context("png end")?;
    crate::output::write_file(path, &bytes, false)
}

/// Runs `bench plot`.
///
/// # Errors
/// Unreadable files, no timed records left after the filters, drawing or writing errors.
pub fn run(args: &PlotArgs) -> Result<()> {
    if args.width < 400 || args.height < 300 {
        bail!("the plot needs at least 400 x 300 pixels");
    }
    register_font("sans-serif", FontStyle::Normal, FONT).map_err(|_| anyhow!("the built-in font does not load"))?;
    let nt = list(&args.nthreads);
    let ds = list(&args.dataset);
    let ours = points(&read_records(&args.ours)?, &args.api, nt.as_deref(), ds.as_deref());
    let reference = match &args.reference {
        Some(p) => points(&read_records(p)?, &args.api, nt.as_deref(), ds.as_deref()),
        None => Vec::new(),
    };
    if ours.is_empty() && reference.is_empty() {
        bail!("no timed codecs records of api '{}' in the input (after the filters)", args.api);
    }
    let title = args.title.clone().unwrap_or_else(|| {
        format!(
            "codecs workload, api {}, nthreads {}, data sets {}: one point per configuration",
            args.api,
            args.nthreads.as_deref().unwrap_or("all"),
            args.dataset.as_deref().unwrap_or("all")
        )
    });
    let rgb = draw(args, &ours, &reference, &title)?;
    write_png(&args.output, &rgb, args.width, args.height)?;
    eprintln!(
        "wrote {} ({} points of {}, {} of {})",
        args.output.display(),
        ours.len(),
        args.ours_label,
        reference.len(),
        args.reference_label
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(codec: &str, clevel: i64, c: f64) -> Value {
        serde_json::json!({"workload": "codecs", "api": "chunk", "dataset": "arange_i64", "codec": codec,
            "filter": "shuffle", "clevel": clevel, "typesize": 8, "nthreads": 1, "cratio": 10.0 * c,
            "compress": {"gbps_median": c}, "decompress": {"gbps_median": 2.0 * c}})
    }

    #[test]
    fn points_take_medians_and_filter() {
        let recs = vec![
            serde_json::json!({"workload": "env"}),
            rec("lz4", 5, 1.0),
            rec("lz4", 5, 3.0),
            rec("lz4", 5, 2.0),
            rec("zstd", 9, 0.5),
            serde_json::json!({"workload": "codecs", "api": "schunk", "codec": "lz4"}),
        ];
        let p = points(&recs, "chunk", None, None);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0], Point { codec: "lz4".into(), cratio: 20.0, c_gbps: 2.0, d_gbps: 4.0 });
        assert!(points(&recs, "chunk", Some(&["2".to_string()]), None).is_empty());
        assert!(points(&recs, "chunk", None, Some(&["galaxy_u8".to_string()])).is_empty());
    }

    #[test]
    fn plot_writes_a_png() {
        let dir = std::env::temp_dir().join(format!("blosc2-plot-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ours = dir.join("ours.jsonl");
        let lines: Vec<String> = [rec("lz4", 5, 1.0), rec("zstd", 9, 0.5)].iter().map(|v| v.to_string()).collect();
        std::fs::write(&ours, lines.join("\n")).unwrap();
        let out = dir.join("plot.png");
        let args = PlotArgs {
            ours: ours.clone(),
            reference: Some(ours),
            output: out.clone(),
            api: "chunk".into(),
            nthreads: None,
            dataset: None,
            ours_label: "ours".into(),
            reference_label: "ref".into(),
            title: None,
            width: 800,
            height: 400,
        };
        run(&args).unwrap();
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
