//! `milkyway ingest --tune T [--mode M]`: the star table's columns are compressed with the
//! tuner, the galaxy reads back identical to one ingested without (same stars, same
//! cells), python-blosc2 reads the tuned columns, and bad tradeoffs or modes are one-line
//! errors with nothing written.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use blosc2_core::chunk::ChunkHeader;
use blosc2_nd::NdArray;
use blosc2_testkit::python::run_python_code;
use blosc2_testkit::temp_dir;
use milkyway::synth::{synth, Model};

const COLUMNS: [&str; 5] = ["source_id.b2nd", "x.b2nd", "y.b2nd", "z.b2nd", "mag.b2nd"];

fn ingest(cat: &Path, out: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("ingest"),
        cat.as_os_str(),
        OsStr::new("-o"),
        out.as_os_str(),
        OsStr::new("--cell-ly"),
        OsStr::new("10"),
        OsStr::new("--quiet"),
        OsStr::new("--no-pyramid"),
    ];
    args.extend(extra.iter().map(OsStr::new));
    common::milkyway(&args)
}

/// Codec and filter fields of every chunk header of a column.
fn settings(path: &Path) -> Vec<(u8, u8, [u8; 6], [u8; 6])> {
    let a = NdArray::open(path).unwrap();
    (0..a.nchunks())
        .map(|i| {
            let c = a.schunk().chunk(i).unwrap();
            let h = ChunkHeader::parse(&c).unwrap();
            (h.flags, h.compcode_meta, h.filters.filters, h.filters.meta)
        })
        .collect()
}

#[test]
fn a_tuned_galaxy_reads_as_an_untuned_one_here_and_in_python() {
    let tmp = temp_dir!("milkyway-tune-ingest");
    let cat = tmp.join("cat");
    synth(&cat, 40_000, 17, Some(2), &Model::default()).unwrap();
    let plain = tmp.join("plain");
    let (code, _, err) = ingest(&cat, &plain, &[]);
    assert_eq!(code, 0, "{err}");
    let mut changed = 0;
    for (i, (t, mode)) in [("0.9", "comp"), ("0.5", "decomp"), ("0.1", "balanced")].into_iter().enumerate() {
        let tuned = tmp.join(format!("tuned{i}"));
        let (code, _, err) = ingest(&cat, &tuned, &["--tune", t, "--mode", mode]);
        assert_eq!(code, 0, "{err}");
        // Same stars in the same order, same cells, same chunk index.
        let stars = common::table_stars(&plain);
        assert!(!stars.is_empty());
        assert_eq!(common::table_stars(&tuned), stars, "t={t} {mode}");
        for f in ["cube.b2nd", "stars/chunk_nchunk.b2nd", "stars/chunk_start.b2nd"] {
            let (a, b) = (NdArray::open(plain.join(f)).unwrap(), NdArray::open(tuned.join(f)).unwrap());
            assert_eq!(a.meta(), b.meta(), "{f}");
            assert_eq!(a.nchunks(), b.nchunks(), "{f}");
            for k in 0..a.nchunks() {
                assert!(a.schunk().chunk(k).unwrap() == b.schunk().chunk(k).unwrap(), "{f} chunk {k}");
            }
        }
        for c in COLUMNS {
            let (a, b) = (
                NdArray::open(plain.join("stars").join(c)).unwrap(),
                NdArray::open(tuned.join("stars").join(c)).unwrap(),
            );
            assert_eq!(a.meta(), b.meta(), "{c}");
            assert!(a.to_bytes().unwrap() == b.to_bytes().unwrap(), "{c}");
            if settings(&plain.join("stars").join(c)) != settings(&tuned.join("stars").join(c)) {
                changed += 1;
            }
        }
        let stats = |g: &Path| {
            let (code, out, err) = common::milkyway(&[OsStr::new("stats"), g.as_os_str(), OsStr::new("--json")]);
            assert_eq!(code, 0, "{err}");
            out
        };
        assert_eq!(stats(&tuned), stats(&plain));
        // python-blosc2 reads every tuned column as the untuned one.
        let code = "import sys, blosc2, numpy as np\n\
                    for c in sys.argv[3:]:\n\
                    \x20   a = blosc2.open(sys.argv[1] + '/stars/' + c)[:]\n\
                    \x20   b = blosc2.open(sys.argv[2] + '/stars/' + c)[:]\n\
                    \x20   assert a.dtype == b.dtype and np.array_equal(a, b), c\n\
                    print('ok')";
        let mut args = vec![tuned.as_os_str(), plain.as_os_str()];
        args.extend(COLUMNS.iter().map(OsStr::new));
        assert_eq!(run_python_code(code, &args).trim(), "ok");
    }
    // The tuner chose other settings than the galaxy's fixed ZSTD 1 + shuffle somewhere.
    assert!(changed > 0, "no tuned column differs from the untuned one");
}

#[test]
fn bad_tradeoffs_and_modes_are_one_line_errors_and_write_nothing() {
    let tmp = temp_dir!("milkyway-tune-bad");
    let cat = tmp.join("cat");
    synth(&cat, 2_000, 3, Some(1), &Model::default()).unwrap();
    for extra in [&["--tune", "1.5"][..], &["--tune=-0.1"], &["--tune", "x"], &["--tune", "0.5", "--mode", "fast"]] {
        let out = tmp.join("g");
        let (code, _, err) = ingest(&cat, &out, extra);
        assert_eq!(code, 1, "{extra:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{extra:?}: {err}");
        assert!(!out.exists(), "{extra:?}");
    }
    // --mode alone is a usage error.
    let (code, _, _) = ingest(&cat, &tmp.join("g"), &["--mode", "comp"]);
    assert_eq!(code, 2);
    assert!(!tmp.join("g").exists());
}
