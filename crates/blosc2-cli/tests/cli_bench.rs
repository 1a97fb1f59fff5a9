//! The byte-identity records of the benchmark: `blosc2 bench --ratio-only` and the reference
//! worker of `scripts/compare.py` (python-blosc2) record the SHA-256 of the chunks they
//! compress, and `compare.py` joins them. On a slice of the codecs matrix (two data sets,
//! every codec and filter, one thread) every cell must be identical, as docs/benchmarks.md
//! reports for the whole matrix.

use std::process::Command;

use blosc2_testkit::fs::repo_root;
use blosc2_testkit::python::python;
use blosc2_testkit::temp_dir;

#[test]
fn bench_chunks_equal_the_references_byte_for_byte() {
    let t = temp_dir!("cli-bench-bytes");
    let root = repo_root();
    let compare = root.join("scripts/compare.py");
    let matrix = [
        "--dataset",
        "arange_i64,smooth_noise_f32",
        "--codecs",
        "blosclz,lz4,lz4hc,zlib,zstd",
        "--filters",
        "nofilter,shuffle,bitshuffle",
        "--clevels",
        "5",
        "--typesizes",
        "8",
        "--nthreads",
        "1",
        "--chunk-mib",
        "8",
        "--size-mib",
        "16",
    ];
    let run = |what: &str, cmd: &mut Command| {
        let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(
        "reference worker",
        Command::new(python())
            .arg(&compare)
            .args(["--ref-ratio-worker", "--anchor"])
            .arg(root.join("bench/anchor.py"))
            .arg("--out")
            .arg(t.0.join("ref.jsonl"))
            .args(matrix),
    );
    run(
        "blosc2 bench",
        Command::new(env!("CARGO_BIN_EXE_blosc2"))
            .args(["bench", "--workload", "codecs", "--api", "chunk", "--ratio-only", "--out"])
            .arg(t.0.join("ours.jsonl"))
            .args(matrix),
    );
    run(
        "compare.py",
        Command::new(python()).arg(&compare).arg("--from-dir").arg(&t.0).arg("--json").arg(t.0.join("table.json")),
    );
    let table: serde_json::Value = serde_json::from_slice(&std::fs::read(t.0.join("table.json")).unwrap()).unwrap();
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 30, "one row per cell");
    for r in rows {
        let cell = format!("{} {} {} c{}", r["dataset"], r["codec"], r["filter"], r["clevel"]);
        let ours = r["ours_sha256"].as_str().unwrap_or_else(|| panic!("{cell}: no hash of ours"));
        let theirs = r["ref_sha256"].as_str().unwrap_or_else(|| panic!("{cell}: no hash of the reference"));
        assert_eq!(ours.len(), 64, "{cell}");
        assert_eq!(ours, theirs, "{cell}: chunks differ from python-blosc2's");
        assert_eq!(r["same_bytes"], true, "{cell}");
    }
    let summary = &table["summary"]["same_bytes"];
    assert_eq!((summary["cells"].as_u64(), summary["identical"].as_u64()), (Some(30), Some(30)));
}
