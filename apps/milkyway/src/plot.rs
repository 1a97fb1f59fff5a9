//! Plots of a galaxy (`shared/spec/gaia.md` 3.7): an interactive 3-D scatter of the stars as
//! one self-contained HTML file (plotly.js 2.35.3, MIT, vendored from the npm package
//! `plotly.js-dist-min` in `assets/`, embedded so the page works offline), and PNG density
//! maps (top view XY and side view XZ, side by side, log-scaled counts).

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result};

use crate::explore::{Galaxy, Region};
use crate::reader::Star;
use crate::table::StarTable;

/// plotly.js, gzip-compressed (`assets/plotly-2.35.3.min.js.gz`, from the npm registry).
const PLOTLY_GZ: &[u8] = include_bytes!("../assets/plotly-2.35.3.min.js.gz");
/// plotly.js licence (MIT).
pub const PLOTLY_LICENSE: &str = include_str!("../assets/PLOTLY-LICENSE.txt");

/// The stars of a galaxy in a region (all when `None`), thinned deterministically to at most
/// `max_points` (every k-th star in table order); returns them and the total in the region.
///
/// # Errors
/// Read errors.
pub fn sample_stars(galaxy: &Path, region: Option<&Region>, max_points: usize) -> Result<(Vec<Star>, u64)> {
    let table = StarTable::open(galaxy)?;
    let inside = |s: &Star| region.is_none_or(|r| r.contains(s.pos));
    let mut total = 0u64;
    table.for_each_star(|s| {
        total += u64::from(inside(&s));
        Ok(())
    })?;
    let m = (max_points as u64).min(total);
    let mut out = Vec::with_capacity(m as usize);
    let mut k = 0u64;
    table.for_each_star(|s| {
        if inside(&s) {
            // Star k is taken when floor(k m / total) steps: exactly m stars, evenly spread.
            if u128::from(k + 1) * u128::from(m) / u128::from(total) > u128::from(k) * u128::from(m) / u128::from(total)
            {
                out.push(s);
            }
            k += 1;
        }
        Ok(())
    })?;
    Ok((out, total))
}

fn js_array(v: impl Iterator<Item = f64>, decimals: usize) -> String {
    let mut s = String::from("[");
    for (i, x) in v.enumerate() {
        if i > 0 {
            s.push(',');
        }
        if x.is_finite() {
            s.push_str(&format!("{x:.decimals$}"));
        } else {
            s.push_str("null");
        }
    }
    s.push(']');
    s
}

/// The HTML page of a 3-D scatter of `stars` (x, y, z in ly; colour by G magnitude), with
/// the Sun at the origin. `window.MILKYWAY_POINTS` holds the number of star markers.
///
/// # Errors
/// The embedded plotly.js does not decompress.
pub fn scatter_html(stars: &[Star], total: u64, title: &str) -> Result<String> {
    let mut js = String::new();
    flate2::read::GzDecoder::new(PLOTLY_GZ).read_to_string(&mut js).context("embedded plotly.js")?;
    let x = js_array(stars.iter().map(|s| s.pos[0]), 1);
    let y = js_array(stars.iter().map(|s| s.pos[1]), 1);
    let z = js_array(stars.iter().map(|s| s.pos[2]), 1);
    let g = js_array(stars.iter().map(|s| f64::from(s.mag)), 2);
    let ids: Vec<String> = stars.iter().map(|s| format!("\"{}\"", s.source_id)).collect();
    let title = title.replace(['<', '>', '&', '"', '\\'], " ");
    let n = stars.len();
    Ok(format!(
        r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<!-- plotly.js 2.35.3, Copyright 2012-2024 Plotly, Inc., MIT license (see below) -->
<script>{js}</script>
<style>html,body{{margin:0;height:100%;background:#000;color:#ddd;font-family:sans-serif}}#plot{{width:100%;height:100%}}#credit{{position:fixed;bottom:4px;left:8px;font-size:11px;opacity:.7}}</style>
</head><body>
<div id="plot"></div>
<div id="credit">{n} of {total} stars shown. Gaia data: ESA/Gaia/DPAC. Plot: plotly.js (MIT).</div>
<script>
window.MILKYWAY_POINTS = {n};
var stars = {{type: "scatter3d", mode: "markers", name: "stars",
  x: {x}, y: {y}, z: {z},
  text: [{ids}],
  hovertemplate: "source_id %{{text}}<br>x %{{x}} ly<br>y %{{y}} ly<br>z %{{z}} ly<extra></extra>",
  marker: {{size: 1.6, opacity: 0.8, color: {g}, colorscale: "YlGnBu", reversescale: true,
    colorbar: {{title: {{text: "G mag"}}, thickness: 12}}}}}};
var sun = {{type: "scatter3d", mode: "markers+text", name: "Sun", x: [0], y: [0], z: [0],
  text: ["Sun"], textfont: {{color: "#ffcc00"}}, marker: {{size: 5, color: "#ffcc00", symbol: "diamond"}}}};
var layout = {{title: {{text: "{title}", font: {{color: "#ddd"}}}}, paper_bgcolor: "#000", plot_bgcolor: "#000",
  showlegend: false, margin: {{l: 0, r: 0, t: 40, b: 0}},
  scene: {{aspectmode: "data", bgcolor: "#000",
    xaxis: {{title: {{text: "x (ly)"}}, color: "#aaa", gridcolor: "#333"}},
    yaxis: {{title: {{text: "y (ly)"}}, color: "#aaa", gridcolor: "#333"}},
    zaxis: {{title: {{text: "z (ly)"}}, color: "#aaa", gridcolor: "#333"}}}}}};
window.MILKYWAY_ERRORS = [];
window.addEventListener("error", function (e) {{ window.MILKYWAY_ERRORS.push(String(e.message)); document.body.setAttribute("data-errors", window.MILKYWAY_ERRORS.length); }});
document.body.setAttribute("data-errors", "0");
// The markers WebGL draws for the stars trace (not the input array): the points of the
// trace's GL scatter object that have finite coordinates and got marker geometry, 0 when
// the object is missing or not in the scene's draw list. The headless test reads it.
function drawnPoints(gd) {{
  var scene = gd._fullLayout.scene && gd._fullLayout.scene._scene;
  var trace = scene && scene.traces[gd._fullData[0].uid];
  var sp = trace && trace.scatterPlot;
  if (!sp || !sp.points || !(sp.vertexCount > 0) || scene.glplot.objects.indexOf(sp) < 0) return 0;
  var n = 0;
  for (var i = 0; i < sp.points.length; i++) {{
    var p = sp.points[i];
    if (isFinite(p[0]) && isFinite(p[1]) && isFinite(p[2])) n++;
  }}
  return n;
}}
Plotly.newPlot("plot", [stars, sun], layout, {{responsive: true}}).then(function (gd) {{
  requestAnimationFrame(function () {{ document.body.setAttribute("data-rendered-points", drawnPoints(gd)); }});
}}, function (err) {{ window.MILKYWAY_ERRORS.push(String(err)); document.body.setAttribute("data-errors", window.MILKYWAY_ERRORS.length); }});
</script>
<!-- plotly.js license:
{license}
-->
</body></html>
"##,
        license = PLOTLY_LICENSE.replace("--", "- -"),
        ids = ids.join(","),
    ))
}

/// Colour of a normalised density in [0, 1]: black, deep blue, cyan, white.
fn colour(t: f64) -> [u8; 3] {
    let stops: [(f64, [f64; 3]); 4] = [
        (0.0, [0.0, 0.0, 0.0]),
        (0.35, [20.0, 40.0, 140.0]),
        (0.7, [80.0, 200.0, 255.0]),
        (1.0, [255.0, 255.0, 255.0]),
    ];
    let t = t.clamp(0.0, 1.0);
    for w in stops.windows(2) {
        let ((a, ca), (b, cb)) = (w[0], w[1]);
        if t <= b {
            let f = (t - a) / (b - a);
            return [0, 1, 2].map(|k| (ca[k] + f * (cb[k] - ca[k])).round() as u8);
        }
    }
    [255, 255, 255]
}

/// Two density maps of `size` x `size` pixels: top view (x right, y up) and side view (x
/// right, z up) of the box [-half, half)^2 in ly.
pub struct Density {
    size: usize,
    half: f64,
    xy: Vec<u32>,
    xz: Vec<u32>,
}

impl Density {
    /// Empty maps.
    pub fn new(half: f64, size: usize) -> Density {
        Density { size, half, xy: vec![0; size * size], xz: vec![0; size * size] }
    }

    fn px(&self, v: f64) -> Option<usize> {
        let p = ((v + self.half) / (2.0 * self.half) * self.size as f64).floor();
        (p >= 0.0 && p < self.size as f64).then_some(p as usize)
    }

    /// Adds a star at `p` (ly).
    pub fn add(&mut self, p: [f64; 3]) {
        let size = self.size;
        if let (Some(i), Some(j)) = (self.px(p[0]), self.px(p[1])) {
            self.xy[(size - 1 - j) * size + i] += 1;
        }
        if let (Some(i), Some(k)) = (self.px(p[0]), self.px(p[2])) {
            self.xz[(size - 1 - k) * size + i] += 1;
        }
    }

    /// The PNG: both maps side by side, each with its title and its axes in light years,
    /// log-scaled counts with a shared colour bar, the Sun marked (see [`png_layout`]).
    ///
    /// # Errors
    /// The built-in font does not load; drawing or PNG encoding errors.
    pub fn to_png(&self) -> Result<Vec<u8>> {
        let size = self.size;
        let l = png_layout(size);
        let (width, height) = (l.width as usize, l.height as usize);
        let max = self.xy.iter().chain(&self.xz).copied().max().unwrap_or(0).max(1);
        let lmax = (1.0 + f64::from(max)).ln();
        let level = |n: u32| if n == 0 { [0, 0, 0] } else { colour(0.15 + 0.85 * (1.0 + f64::from(n)).ln() / lmax) };
        let mut rgb = vec![255u8; width * height * 3];
        draw_frame(&mut rgb, &l, self.half, max, lmax)?;
        for (panel, counts) in [&self.xy, &self.xz].into_iter().enumerate() {
            let (x0, y0) = l.panel_origin(panel);
            for r in 0..size {
                for c in 0..size {
                    let at = ((y0 as usize + r) * width + x0 as usize + c) * 3;
                    rgb[at..at + 3].copy_from_slice(&level(counts[r * size + c]));
                }
            }
        }
        draw_sun(&mut rgb, &l)?;
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, l.width, l.height);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header()?;
            w.write_image_data(&rgb)?;
        }
        Ok(out)
    }
}

/// The font of the PNG maps' text (DejaVu Sans, shipped with the CLI).
static FONT: &[u8] = include_bytes!("../../../crates/blosc2-cli/assets/DejaVuSans.ttf");

/// Where the parts of the PNG maps lie (pixels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PngLayout {
    /// Image width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Pixels per side of a map.
    pub size: u32,
    /// Left margin of a panel (y-axis labels).
    pub left: u32,
    /// Top margin (panel title).
    pub top: u32,
    /// Width of a panel (margins included).
    pub panel_width: u32,
    /// Left edge of the colour bar.
    pub bar_x: u32,
}

impl PngLayout {
    /// Top-left pixel of the map of panel 0 (top view) or 1 (side view).
    pub fn panel_origin(&self, panel: usize) -> (u32, u32) {
        (panel as u32 * self.panel_width + self.left, self.top)
    }

    /// The pixel of the Sun (the origin) in a panel.
    pub fn sun(&self, panel: usize) -> (u32, u32) {
        let (x, y) = self.panel_origin(panel);
        (x + self.size / 2, y + self.size / 2)
    }
}

/// The layout of the PNG maps of `size` pixels per side.
pub fn png_layout(size: usize) -> PngLayout {
    let size = size as u32;
    let (left, right, top, bottom) = (78, 24, 40, 56);
    let panel_width = left + size + right;
    PngLayout {
        width: 2 * panel_width + 110,
        height: top + size + bottom,
        size,
        left,
        top,
        panel_width,
        bar_x: 2 * panel_width + 8,
    }
}

fn plot_err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("plot: {e:?}")
}

/// Titles, axes in ly, ticks and the colour bar (the maps are drawn over the plot areas).
fn draw_frame(rgb: &mut [u8], l: &PngLayout, half: f64, max: u32, lmax: f64) -> Result<()> {
    use plotters::prelude::*;
    use plotters::style::{register_font, FontStyle};
    register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| anyhow::anyhow!("the built-in font does not load"))?;
    let root = BitMapBackend::with_buffer(rgb, (l.width, l.height)).into_drawing_area();
    let fsize = (f64::from(l.size) / 40.0).clamp(11.0, 16.0) as u32;
    for (panel, (title, vname)) in
        [("Top view: x, y (ly)", "y (ly)"), ("Side view: x, z (ly)", "z (ly)")].into_iter().enumerate()
    {
        let (x0, y0) = l.panel_origin(panel);
        let area = root.clone().shrink((x0 - l.left, 0), (l.panel_width, l.height));
        let tstyle = ("sans-serif", fsize + 4).into_font().color(&BLACK);
        area.draw(&Text::new(title, (l.left as i32, (y0 as i32 - fsize as i32 - 14).max(2)), tstyle))
            .map_err(plot_err)?;
        let mut chart = ChartBuilder::on(&area)
            .margin_top(y0)
            .margin_right(l.panel_width - l.left - l.size)
            .x_label_area_size(l.height - y0 - l.size)
            .y_label_area_size(l.left)
            .build_cartesian_2d(-half..half, -half..half)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(5)
            .y_labels(5)
            .x_desc("x (ly)")
            .y_desc(vname)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style(("sans-serif", fsize))
            .axis_desc_style(("sans-serif", fsize))
            .draw()
            .map_err(plot_err)?;
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        anyhow::ensure!(
            (xr.start, yr.start, xr.end - xr.start, yr.end - yr.start)
                == (x0 as i32, y0 as i32, l.size as i32, l.size as i32),
            "plot area {xr:?} x {yr:?} differs from the layout"
        );
    }
    // Colour bar: log scale, ticks at powers of ten.
    let (bx, by, bh) = (l.bar_x as i32, l.top as i32, l.size as i32);
    for r in 0..bh {
        let t = 1.0 - f64::from(r) / f64::from(bh.max(1));
        let [cr, cg, cb] = colour(0.15 + 0.85 * t);
        root.draw(&Rectangle::new([(bx, by + r), (bx + 16, by + r + 1)], RGBColor(cr, cg, cb).filled()))
            .map_err(plot_err)?;
    }
    root.draw(&Rectangle::new([(bx, by), (bx + 16, by + bh)], BLACK.stroke_width(1))).map_err(plot_err)?;
    let style = ("sans-serif", fsize).into_font().color(&BLACK);
    let mut tick = 1u64;
    while tick <= u64::from(max) {
        let t = (1.0 + tick as f64).ln() / lmax;
        let y = by + bh - ((t - 0.0) * f64::from(bh)).round() as i32;
        root.draw(&PathElement::new([(bx + 16, y), (bx + 21, y)], BLACK)).map_err(plot_err)?;
        root.draw(&Text::new(tick.to_string(), (bx + 24, y - fsize as i32 / 2), style.clone())).map_err(plot_err)?;
        tick *= 10;
    }
    root.draw(&Text::new("stars/px", (bx - 2, by - fsize as i32 - 8), style)).map_err(plot_err)?;
    root.present().map_err(plot_err)?;
    Ok(())
}

/// The Sun: a yellow ring with a dot and its name, in both panels.
fn draw_sun(rgb: &mut [u8], l: &PngLayout) -> Result<()> {
    use plotters::prelude::*;
    let root = BitMapBackend::with_buffer(rgb, (l.width, l.height)).into_drawing_area();
    let yellow = RGBColor(255, 200, 0);
    let fsize = (f64::from(l.size) / 40.0).clamp(11.0, 16.0) as i32;
    for panel in 0..2 {
        let (x, y) = l.sun(panel);
        let (x, y) = (x as i32, y as i32);
        root.draw(&Circle::new((x, y), 6, yellow.stroke_width(2))).map_err(plot_err)?;
        root.draw(&Circle::new((x, y), 1, yellow.filled())).map_err(plot_err)?;
        root.draw(&Text::new("Sun", (x + 9, y - fsize - 4), ("sans-serif", fsize).into_font().color(&yellow)))
            .map_err(plot_err)?;
    }
    root.present().map_err(plot_err)?;
    Ok(())
}

/// PNG density maps of a set of positions (see [`Density`]).
///
/// # Errors
/// PNG encoding errors.
pub fn density_png(stars: impl Iterator<Item = [f64; 3]>, half: f64, size: usize) -> Result<Vec<u8>> {
    let mut d = Density::new(half, size);
    stars.for_each(|p| d.add(p));
    d.to_png()
}

/// Writes the plot `out` (`.html` or `.png`) of a galaxy.
///
/// # Errors
/// Unknown extension, read or write errors.
pub fn plot(galaxy: &Path, out: &Path, region: Option<&Region>, max_points: usize, size: usize) -> Result<String> {
    let g = Galaxy::open(galaxy)?;
    let ext = out.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    let tmp = out.with_extension(format!("{ext}.partial"));
    let msg = match ext.as_str() {
        "html" | "htm" => {
            let (stars, total) = sample_stars(galaxy, region, max_points)?;
            let html = scatter_html(&stars, total, "Stars within the galaxy cube (ICRS axes, ly from the Sun)")?;
            std::fs::write(&tmp, html).with_context(|| format!("cannot write {}", tmp.display()))?;
            format!("3-D scatter of {} of {} stars", stars.len(), total)
        }
        "png" => {
            let table = StarTable::open(galaxy)?;
            let mut total = 0u64;
            let half = match region {
                Some(r) => {
                    let (lo, hi) = r.bounds();
                    (0..3).map(|a| lo[a].abs().max(hi[a].abs())).fold(0.0, f64::max)
                }
                None => g.grid.radius_ly,
            };
            let mut d = Density::new(half, size);
            table.for_each_star(|s| {
                if region.is_none_or(|r| r.contains(s.pos)) {
                    d.add(s.pos);
                    total += 1;
                }
                Ok(())
            })?;
            let mut f = std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
            f.write_all(&d.to_png()?)?;
            format!("density maps (top view XY, side view XZ) of {total} stars, {size} px per panel")
        }
        _ => anyhow::bail!("{}: the output must end in .html or .png", out.display()),
    };
    std::fs::rename(&tmp, out).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_has_the_expected_size_and_content() {
        let pts = (0..1000).map(|i| [i as f64 - 500.0, 0.0, 10.0]);
        let png_bytes = density_png(pts, 1000.0, 64).unwrap();
        let dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut r = dec.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size()];
        let info = r.next_frame(&mut buf).unwrap();
        let l = png_layout(64);
        assert_eq!((info.width, info.height), (l.width, l.height));
        assert!(buf.iter().any(|&b| b > 100));
        // The Sun's pixel is yellow in both panels.
        for panel in 0..2 {
            let (x, y) = l.sun(panel);
            let at = ((y * l.width + x) * 3) as usize;
            assert_eq!(&buf[at..at + 3], &[255, 200, 0], "panel {panel}");
        }
    }
}
