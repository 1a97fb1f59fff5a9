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

    /// The PNG: both maps side by side, log-scaled, the Sun marked in yellow.
    ///
    /// # Errors
    /// PNG encoding errors.
    pub fn to_png(&self) -> Result<Vec<u8>> {
        let size = self.size;
        let (xy, xz) = (&self.xy, &self.xz);
        let gap = 8;
        let width = 2 * size + gap;
        let mut rgb = vec![0u8; width * size * 3];
        for (panel, counts) in [&xy, &xz].into_iter().enumerate() {
            let max = counts.iter().copied().max().unwrap_or(0).max(1);
            let lmax = (1.0 + f64::from(max)).ln();
            for r in 0..size {
                for c in 0..size {
                    let n = counts[r * size + c];
                    let col = if n == 0 { [0, 0, 0] } else { colour(0.15 + 0.85 * (1.0 + f64::from(n)).ln() / lmax) };
                    let at = (r * width + panel * (size + gap) + c) * 3;
                    rgb[at..at + 3].copy_from_slice(&col);
                }
            }
            // The Sun: a small yellow cross at the centre of each panel.
            let cx = panel * (size + gap) + size / 2;
            let cy = size / 2;
            for d in 0..5usize {
                for (x, y) in [(cx + d, cy), (cx.saturating_sub(d), cy), (cx, cy + d), (cx, cy.saturating_sub(d))] {
                    if y < size && x < width {
                        let at = (y * width + x) * 3;
                        rgb[at..at + 3].copy_from_slice(&[255, 200, 0]);
                    }
                }
            }
        }
        for r in 0..size {
            for c in size..size + gap {
                let at = (r * width + c) * 3;
                rgb[at..at + 3].copy_from_slice(&[40, 40, 40]);
            }
        }
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, width as u32, size as u32);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header()?;
            w.write_image_data(&rgb)?;
        }
        Ok(out)
    }
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
        assert_eq!((info.width, info.height), (2 * 64 + 8, 64));
        assert!(buf.iter().any(|&b| b > 100));
    }
}
