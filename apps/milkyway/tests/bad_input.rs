//! Bad input gives a clear message naming the file (and line), exit status 1, never a
//! panic, and leaves no output behind.

mod common;

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;

use blosc2_testkit::fs::TempDir;
use blosc2_testkit::temp_dir;
use common::milkyway;

const HEADER: &str = "# %ECSV 1.0\nsource_id,ra,dec,parallax,phot_g_mean_mag\n";

fn ingest(input: &Path, out: &Path, extra: &[&str]) -> (i32, String) {
    let mut args: Vec<&OsStr> = vec![OsStr::new("ingest"), input.as_os_str(), OsStr::new("-o"), out.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    let (code, _, err) = milkyway(&args);
    assert!(!err.contains("panicked"), "panic: {err}");
    (code, err)
}

fn no_output(tmp: &TempDir, out: &Path) {
    assert!(!out.exists(), "{} exists", out.display());
    for e in std::fs::read_dir(&tmp.0).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!n.contains(".partial-"), "staging directory {n} left behind");
    }
}

#[test]
fn missing_column_is_named() {
    let tmp = temp_dir!("milkyway-bad-col");
    let f = tmp.join("a.csv");
    std::fs::write(&f, "# x\nsource_id,ra,dec,parallaxx\n1,2,3,4\n").unwrap();
    let out = tmp.join("g");
    let (code, err) = ingest(&f, &out, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("`parallax`") && err.contains("a.csv"), "{err}");
    no_output(&tmp, &out);
}

#[test]
fn malformed_rows_name_file_and_line() {
    let tmp = temp_dir!("milkyway-bad-row");
    let f = tmp.join("b.csv");
    std::fs::write(&f, format!("{HEADER}1,10,20,1.5,12\n2,10,20\n3,10,20,abc,12\n4,10,20,2.0,12\n")).unwrap();
    let out = tmp.join("g");
    let (code, err) = ingest(&f, &out, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("b.csv:4:") && err.contains("3 fields"), "{err}");
    no_output(&tmp, &out);
    // Tolerated up to a threshold: counted and shown. One is tolerated here; the second
    // (line 5) stops the run, which names the first malformed row of those seen.
    let (code, err) = ingest(&f, &out, &["--max-bad-rows", "1"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("b.csv:4: malformed row: 3 fields, the header has 5 (2 malformed rows so far, --max-bad-rows 1)"),
        "{err}"
    );
    let (code, err) = ingest(&f, &out, &["--max-bad-rows", "2"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("2 malformed rows skipped"), "{err}");
    assert!(err.contains("b.csv:5: malformed row: column `parallax`: `abc` is not a number"), "{err}");
    // The output exists now: a second run needs --force.
    let (code, err) = ingest(&f, &out, &["--max-bad-rows", "2"]);
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    let (code, err) = ingest(&f, &out, &["--max-bad-rows", "2", "--force", "--sync"]);
    assert_eq!(code, 0);
    // stderr is not a terminal here: no progress bar.
    assert!(!err.contains("ETA") && !err.contains('\u{1b}'), "{err}");
}

#[test]
fn truncated_last_line_fails_with_its_line() {
    let tmp = temp_dir!("milkyway-bad-trunc");
    let f = tmp.join("c.csv");
    std::fs::write(&f, format!("{HEADER}1,10,20,1.5,12\n2,10,2")).unwrap();
    let out = tmp.join("g");
    let (code, err) = ingest(&f, &out, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("c.csv:4:"), "{err}");
    no_output(&tmp, &out);
}

#[test]
fn not_csv_and_corrupt_gzip() {
    let tmp = temp_dir!("milkyway-bad-bin");
    let f = tmp.join("d.csv");
    std::fs::write(&f, [0u8, 1, 2, 3, 255, 254, 10, 0, 0, 7]).unwrap();
    let out = tmp.join("g");
    let (code, err) = ingest(&f, &out, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("d.csv") && err.contains("not text"), "{err}");
    // A gzip file cut in the middle.
    let gz = tmp.join("e.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..20_000 {
        write!(enc, "{}", if i == 0 { HEADER.to_string() } else { format!("{i},10.5,20.25,{}.5,12\n", i % 7) })
            .unwrap();
    }
    let bytes = enc.finish().unwrap();
    std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
    let (code, err) = ingest(&gz, &out, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("e.csv.gz"), "{err}");
    no_output(&tmp, &out);
    // An empty file and a missing file.
    let empty = tmp.join("f.csv");
    std::fs::write(&empty, "").unwrap();
    let (code, err) = ingest(&empty, &out, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("f.csv") && err.contains("no column-name line"), "{err}");
    let (code, err) = ingest(&tmp.join("missing.csv"), &out, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("missing.csv"), "{err}");
}

#[test]
fn bad_arguments_exit_2() {
    let (code, _, err) = milkyway(&[OsStr::new("ingest")]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = milkyway(&[OsStr::new("query"), OsStr::new("x"), OsStr::new("--sphere"), OsStr::new("1,2")]);
    assert_eq!(code, 1);
    assert!(err.contains("--sphere"), "{err}");
}
