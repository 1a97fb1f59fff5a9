//! Plots: the PNG has the expected size and is not blank; the HTML is self-contained and, when
//! a Chromium is installed, loads headless with no errors and the expected number of points;
//! `demo` writes everything it announces.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{milkyway, TempDir};

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

fn chromium() -> Option<PathBuf> {
    let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(names.iter().map(PathBuf::from))
        .find(|p| Command::new(p).arg("--version").output().map(|o| o.status.success()).unwrap_or(false))
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
    let tmp = TempDir::new("plot");
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
    assert_eq!((info.width, info.height), (208, 100));
    let starry = buf.chunks(3).filter(|p| p[2] > 60 && p[2] >= p[0]).count();
    assert!(starry > 100, "only {starry} star pixels");

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

    match chromium() {
        // CI installs Chromium (.ci/run); there a missing browser is a failure, not a skip.
        None if std::env::var_os("CI").is_some() => panic!("CI=true but no Chromium found (set CHROMIUM)"),
        None => eprintln!("no Chromium found: skipping the headless load (install chromium or set CHROMIUM)"),
        Some(b) => {
            let (dom, log) = load_headless(&b, &html);
            assert!(dom.contains(r#"data-errors="0""#), "page errors: {dom:.2000}");
            assert!(dom.contains(r#"data-rendered-points="300""#), "not rendered: {:.2000}", dom);
            let console_errors: Vec<&str> = log
                .lines()
                .filter(|l| l.contains("CONSOLE") && (l.contains("rror") || l.contains("Uncaught")))
                .collect();
            assert!(console_errors.is_empty(), "console errors: {console_errors:?}");
        }
    }
}

#[test]
fn demo_writes_what_it_announces() {
    let tmp = TempDir::new("demo");
    let dir = tmp.join("demo");
    let (code, out, err) = milkyway(&[OsStr::new("demo"), dir.as_os_str(), OsStr::new("--stars"), OsStr::new("20000")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("stars") && out.contains("non-empty cells"), "{out}");
    for f in ["galaxy/cube.b2nd", "galaxy/summary.json", "galaxy/stars/x.b2nd", "galaxy.html", "galaxy.png"] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    assert!(err.contains(&dir.display().to_string()));
    let (code, _, err) = milkyway(&[OsStr::new("demo"), tmp.join("real").as_os_str(), OsStr::new("--real")]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("selected 477 stars"), "{err}");
}
