//! Plots: the PNG has the expected size and is not blank; the HTML is self-contained and
//! loads in headless Chromium with no errors, WebGL drawing the expected number of star
//! markers; `demo` writes everything it announces. Chromium is required: without it the
//! test fails, naming what to install (`CHROMIUM` may name the browser binary).

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use blosc2_testkit::fs::TempDir;
use blosc2_testkit::temp_dir;
use common::milkyway;

fn galaxy(tmp: &TempDir) -> PathBuf {
    let out = tmp.join("galaxy");
    let (code, _, err) = milkyway(&[
        OsStr::new("ingest"),
        common::gaia_dir().join("dr3_random1000.csv").as_os_str(),
        OsStr::new("-o"),
        out.as_os_str(),
        OsStr::new("--cell-ly"),
        OsStr::new("10"),
    ]);
    assert_eq!(code, 0, "{err}");
    out
}

/// `$CHROMIUM` when set (and nothing else), else the first of the usual names that runs.
fn chromium() -> Option<PathBuf> {
    let runs = |p: &PathBuf| Command::new(p).arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p)).filter(runs);
    }
    let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
    names.iter().map(PathBuf::from).find(runs)
}

fn load_headless(browser: &Path, html: &Path) -> (String, String) {
    let url = format!("file://{}", html.canonicalize().unwrap().display());
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-unsafe-swiftshader",
            "--use-gl=angle",
            "--use-angle=swiftshader",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=20000",
            "--dump-dom",
        ])
        .arg(url)
        .output()
        .unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn png_and_html_plots() {
    let tmp = temp_dir!("milkyway-plot");
    let g = galaxy(&tmp);
    let png_path = tmp.join("map.png");
    let (code, _, err) = milkyway(&[
        OsStr::new("plot"),
        g.as_os_str(),
        OsStr::new("-o"),
        png_path.as_os_str(),
        OsStr::new("--size"),
        OsStr::new("100"),
    ]);
    assert_eq!(code, 0, "{err}");
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png_path).unwrap()));
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).unwrap();
    let l = milkyway::plot::png_layout(100);
    assert_eq!((info.width, info.height), (l.width, l.height));
    let px = |x: u32, y: u32| -> &[u8] { &buf[((y * l.width + x) * 3) as usize..][..3] };
    let mut starry = 0;
    for panel in 0..2 {
        let (x0, y0) = l.panel_origin(panel);
        starry += (0..l.size * l.size)
            .map(|i| px(x0 + i % l.size, y0 + i / l.size))
            .filter(|p| p[2] > 60 && p[2] >= p[0])
            .count();
        // The Sun is marked; the title above the map and the tick labels left of it and
        // below it are drawn (dark text on white).
        let (sx, sy) = l.sun(panel);
        assert_eq!(px(sx, sy), [255, 200, 0]);
        let dark = |xs: std::ops::Range<u32>, ys: std::ops::Range<u32>| {
            xs.flat_map(|x| ys.clone().map(move |y| (x, y))).filter(|&(x, y)| px(x, y)[0] < 100).count()
        };
        assert!(dark(x0..x0 + l.size, 0..y0) > 20, "title of panel {panel}");
        assert!(dark(x0 - l.left..x0, y0..y0 + l.size) > 20, "y-axis labels of panel {panel}");
        assert!(dark(x0..x0 + l.size, y0 + l.size + 2..l.height) > 20, "x-axis labels of panel {panel}");
    }
    assert!(starry > 100, "only {starry} star pixels");
    // The colour bar: its top is the brightest colour, its bottom the faintest.
    let (bx, top) = (l.bar_x + 8, l.panel_origin(0).1);
    assert!(px(bx, top + 1).iter().all(|&c| c > 200) && px(bx, top + l.size - 2)[2] < 120);

    let html = tmp.join("stars.html");
    let (code, _, err) = milkyway(&[
        OsStr::new("plot"),
        g.as_os_str(),
        OsStr::new("-o"),
        html.as_os_str(),
        OsStr::new("--max-points"),
        OsStr::new("300"),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.contains("window.MILKYWAY_POINTS = 300;"));
    assert!(!text.contains("<script src") && !text.contains("<link "), "the page must be self-contained");
    assert!(text.contains("Plotly, Inc.") && text.contains("ESA/Gaia/DPAC"));
    // A region: the stars within 3000 ly.
    let (code, _, err) = milkyway(&[
        OsStr::new("plot"),
        g.as_os_str(),
        OsStr::new("-o"),
        tmp.join("near.html").as_os_str(),
        OsStr::new("--region"),
        OsStr::new("0,0,0,3000"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("of 133 stars"), "{err}");

    // The page in a browser: a missing browser is a failure, not a skip.
    let browser = chromium().unwrap_or_else(|| {
        panic!(
            "no Chromium found: the plot test loads the page in headless Chromium; install it \
             (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM to a Chromium or Chrome binary{}",
            std::env::var("CHROMIUM").map(|c| format!(" (CHROMIUM={c} does not run)")).unwrap_or_default()
        )
    });
    let (dom, log) = load_headless(&browser, &html);
    assert!(dom.contains(r#"data-errors="0""#), "page errors: {dom:.2000}");
    // The markers WebGL drew for the stars trace, as the page reads them from Plotly's GL
    // scatter object: every sampled star.
    let drawn = attribute(&dom, "data-rendered-points");
    assert_eq!(drawn.as_deref(), Some("300"), "drawn star markers (page: {:.2000})", dom);
    let console_errors: Vec<&str> =
        log.lines().filter(|l| l.contains("CONSOLE") && (l.contains("rror") || l.contains("Uncaught"))).collect();
    assert!(console_errors.is_empty(), "console errors: {console_errors:?}");
}

/// The value of attribute `name` in the first tag that has it.
fn attribute(dom: &str, name: &str) -> Option<String> {
    let at = dom.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(dom[at..].split('"').next()?.to_string())
}

#[test]
fn demo_writes_what_it_announces() {
    let tmp = temp_dir!("milkyway-demo");
    let dir = tmp.join("demo");
    let (code, out, err) = milkyway(&[OsStr::new("demo"), dir.as_os_str(), OsStr::new("--stars"), OsStr::new("20000")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("stars") && out.contains("non-empty cells"), "{out}");
    for f in ["galaxy/cube.b2nd", "galaxy/summary.json", "galaxy/stars/x.b2nd", "galaxy.html", "galaxy.png"] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    assert!(err.contains(&dir.display().to_string()));
    // It ends with the command that opens the galaxy in the browser.
    let serve = format!("milkyway serve {}", dir.join("galaxy").display());
    assert!(err.trim_end().ends_with(&serve), "{err}");
    let (code, _, err) = milkyway(&[OsStr::new("demo"), tmp.join("real").as_os_str(), OsStr::new("--real")]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("selected 477 stars"), "{err}");
}
