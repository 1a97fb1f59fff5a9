//! `blosc2 tune eval|oracle` on files: `.npy` (the dtype gives the item size), `.b2nd` and
//! `.b2frame` (decompressed, the item size theirs), raw files with `--typesize`; lists of
//! thread counts and chunk sizes; every mode's records measure the speed the mode names;
//! bad input is a one-line error with exit status 1.

mod common;

use std::path::Path;
use std::process::Output;

use blosc2_nd::{DType, NdArray, Options};
use blosc2_testkit::temp_dir;
use common::blosc2;
use serde_json::Value;

fn records(o: &Output) -> Vec<Value> {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

fn f32_values(n: usize) -> Vec<u8> {
    (0..n).flat_map(|i| ((i as f32) * 0.01).sin().to_le_bytes()).collect()
}

fn i64_values(n: usize) -> Vec<u8> {
    (0..n as i64).flat_map(|i| (1000 + 7 * i).to_le_bytes()).collect()
}

fn write_npy(path: &Path, dtype: &str, data: &[u8], n: usize) {
    let dt = DType::parse(dtype).unwrap();
    let mut bytes = blosc2_nd::npy::header_bytes(&dt, &[n as u64]).unwrap();
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

/// Runs `tune oracle` on `input` and checks the records name it, its item size and size.
fn oracle_of(input: &Path, extra: &[&str], typesize: u64, nbytes: u64) {
    let i = input.to_str().unwrap();
    let args =
        [&["tune", "oracle", i, "--json", "--rounds", "1", "--nthreads", "1", "--chunksize", "65536"], extra].concat();
    let recs = records(&blosc2(&args));
    assert_eq!(recs.len(), 60, "{i}");
    for r in &recs {
        assert_eq!(r["dataset"], i);
        assert_eq!(r["typesize"], typesize, "{i}");
        assert_eq!(r["nbytes"], nbytes, "{i}");
        assert_eq!(r["nchunks"], nbytes.div_ceil(65536), "{i}");
        assert!(r["cratio"].as_f64().unwrap() > 0.0);
    }
    // The same data gives the same ratios whatever file it came in.
    let zstd = recs.iter().find(|r| r["setting"] == "zstd-5-shuffle-auto").unwrap();
    assert!(zstd["cratio"].as_f64().unwrap() > 1.0, "{i}");
}

#[test]
fn eval_and_oracle_read_npy_b2nd_b2frame_and_raw_files() {
    let dir = temp_dir!("tune-files");
    let n = 50_000;
    let (f4, i8) = (f32_values(n), i64_values(n));
    let npy = dir.join("a.npy");
    write_npy(&npy, "<f4", &f4, n);
    let b2nd = dir.join("b.b2nd");
    NdArray::from_bytes(&[n as u64], &DType::parse("<i8").unwrap(), &i8, &Options::new().chunks(&[20_000]))
        .unwrap()
        .save(&b2nd)
        .unwrap();
    let raw = dir.join("c.raw");
    std::fs::write(&raw, &i8).unwrap();
    let frame = dir.join("d.b2frame");
    let o = blosc2(&[
        "compress",
        raw.to_str().unwrap(),
        frame.to_str().unwrap(),
        "--typesize",
        "8",
        "--chunksize",
        "100000",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    oracle_of(&npy, &[], 4, 4 * n as u64);
    oracle_of(&b2nd, &[], 8, 8 * n as u64);
    oracle_of(&frame, &[], 8, 8 * n as u64);
    oracle_of(&raw, &["--typesize", "8"], 8, 8 * n as u64);
    // A .npy file's dtype wins over --typesize.
    oracle_of(&npy, &["--typesize", "2"], 4, 4 * n as u64);
    // The ratios of the b2nd array and of the frame are those of the same bytes raw.
    let ratio = |p: &Path, extra: &[&str]| -> f64 {
        let args = [
            &[
                "tune",
                "oracle",
                p.to_str().unwrap(),
                "--json",
                "--rounds",
                "1",
                "--nthreads",
                "1",
                "--chunksize",
                "65536",
            ],
            extra,
        ]
        .concat();
        records(&blosc2(&args)).iter().map(|r| r["cratio"].as_f64().unwrap()).sum()
    };
    let raw_sum = ratio(&raw, &["--typesize", "8"]);
    assert_eq!(ratio(&b2nd, &[]), raw_sum);
    assert_eq!(ratio(&frame, &[]), raw_sum);
}

/// The mode's speed of a record's run (GB/s): compression, decompression, or bytes over
/// the sum of both times.
fn mode_speed(mode: &str, c: f64, d: f64) -> f64 {
    match mode {
        "comp" => c,
        "decomp" => d,
        "balanced" => 1.0 / (1.0 / c + 1.0 / d),
        m => panic!("mode {m}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a / b - 1.0).abs() < 1e-9
}

#[test]
fn eval_lists_threads_and_chunk_sizes_and_each_mode_scores_its_speed() {
    let dir = temp_dir!("tune-modes");
    let n = 40_000;
    let npy = dir.join("a.npy");
    write_npy(&npy, "<f4", &f32_values(n), n);
    let p = npy.to_str().unwrap();
    for mode in ["comp", "decomp", "balanced"] {
        let recs = records(&blosc2(&[
            "tune",
            "eval",
            p,
            "--tradeoff",
            "0.2,0.7",
            "--mode",
            mode,
            "--json",
            "--rounds",
            "1",
            "--nthreads",
            "1,2",
            "--chunksize",
            "32768,all",
        ]));
        assert_eq!(recs.len(), 2 * 2 * 2, "{mode}");
        let mut seen = Vec::new();
        for r in &recs {
            assert_eq!(r["mode"], mode);
            assert_eq!(r["typesize"], 4);
            let (t, nt, cs) =
                (r["tradeoff"].as_f64().unwrap(), r["nthreads"].as_u64().unwrap(), r["chunksize"].as_u64().unwrap());
            seen.push((cs, nt, (t * 10.0).round() as u64));
            let nchunks = if cs == 32768 { (4 * n as u64).div_ceil(32768) } else { 1 };
            assert_eq!(r["nchunks"], nchunks);
            // Runs this short are repeated (an odd count, the median kept), at most 11 times.
            let reps = r["repeats"].as_u64().unwrap();
            assert!(reps % 2 == 1 && (3..=11).contains(&reps), "{r}");
            // Chunks compressed once decided: never the first; the tuner's time on them is
            // given exactly when there are some.
            let held = r["held_chunks"].as_u64().unwrap();
            assert!(held < nchunks, "{r}");
            assert_eq!(r["held_overhead"].is_null(), held == 0, "{r}");
            assert!(r["held_overhead"].as_f64().is_none_or(|h| h >= 0.0), "{r}");
            assert!(cs == 32768 || cs == 4 * n as u64, "{cs}");
            // The tuned run: J of its ratio and the mode's speed, over the oracle's.
            let sp = mode_speed(mode, r["compress_gbps"].as_f64().unwrap(), r["decompress_gbps"].as_f64().unwrap());
            assert!(close(r["speed_gbps"].as_f64().unwrap(), sp), "{r}");
            let o = &r["oracle"];
            let osp = mode_speed(mode, o["compress_gbps"].as_f64().unwrap(), o["decompress_gbps"].as_f64().unwrap());
            assert!(close(o["speed_gbps"].as_f64().unwrap(), osp), "{r}");
            let oj = o["cratio"].as_f64().unwrap().powf(t) * osp.powf(1.0 - t);
            assert!(close(o["j"].as_f64().unwrap(), oj), "{r}");
            let j = r["cratio"].as_f64().unwrap().powf(t) * sp.powf(1.0 - t);
            assert!(close(r["score_fraction"].as_f64().unwrap(), j / oj), "{r}");
        }
        seen.sort();
        let mut want: Vec<(u64, u64, u64)> = Vec::new();
        for cs in [32768, 4 * n as u64] {
            for nt in [1, 2] {
                for t in [2, 7] {
                    want.push((cs, nt, t));
                }
            }
        }
        want.sort();
        assert_eq!(seen, want, "{mode}");
    }
}

#[test]
fn bad_input_is_a_one_line_error() {
    let dir = temp_dir!("tune-bad");
    let bin = dir.join("x.bin");
    std::fs::write(&bin, [1u8; 4096]).unwrap();
    let b = bin.to_str().unwrap();
    let missing = dir.join("missing.npy");
    let m = missing.to_str().unwrap();
    let bad_npy = dir.join("bad.npy");
    std::fs::write(&bad_npy, b"not an npy file").unwrap();
    let cases: [(&[&str], &str); 8] = [
        (&["tune", "eval", m], "no such file"),
        (&["tune", "oracle", b], "--typesize"),
        (&["tune", "eval", b, "--typesize", "4", "--tradeoff", "1.5"], "tradeoff"),
        (&["tune", "eval", b, "--typesize", "4", "--tradeoff", "0.5,2"], "tradeoff"),
        (&["tune", "eval", b, "--typesize", "4", "--mode", "fast"], "fast"),
        (&["tune", "eval", b, "--typesize", "4", "--nthreads", "0"], "--nthreads"),
        (&["tune", "eval", b, "--typesize", "4", "--chunksize", "x"], "--chunksize"),
        (&["tune", "oracle", bad_npy.to_str().unwrap()], "npy"),
    ];
    for (args, word) in cases {
        let o = blosc2(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(word), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
}
