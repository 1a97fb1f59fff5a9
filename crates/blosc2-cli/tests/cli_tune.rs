//! `--tune` on `compress` and `convert`: every tuned chunk decompresses to its input in
//! our decoder and in python-blosc2; `blosc2 info` shows the per-chunk choices; bad
//! tradeoffs and modes are one-line errors with nothing written.

mod common;

use std::path::Path;
use std::process::Output;

use blosc2_testkit::python::run_python_code;
use blosc2_testkit::temp_dir;

/// Runs `blosc2` with `args` and, of the tuner's variables, only those of `env`.
fn blosc2(args: &[&str], env: &[(&str, &str)]) -> Output {
    common::command().args(args).envs(env.iter().copied()).output().expect("blosc2 runs")
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Float64 values: a smooth signal, then counters, then zeros.
fn data() -> Vec<u8> {
    let mut v: Vec<u8> = (0..40_000).flat_map(|i| (f64::from(i) * 0.01).sin().to_le_bytes()).collect();
    v.extend((0..40_000u64).flat_map(|i| (1_000_000 + 3 * i).to_le_bytes()));
    v.extend(vec![0u8; 200_000]);
    v
}

fn python_reads_frame(frame: &Path, raw: &Path) {
    let code = "import sys, blosc2\ns = blosc2.open(sys.argv[1])\n\
                got = b''.join(bytes(s.decompress_chunk(i)) for i in range(s.nchunks))\n\
                assert got == open(sys.argv[2], 'rb').read()\nprint(s.nchunks)";
    run_python_code(code, &[frame, raw]);
}

#[test]
fn tuned_frames_decode_here_and_in_python_and_info_shows_the_choices() {
    let dir = temp_dir!("cli-tune");
    let raw = dir.join("in.bin");
    std::fs::write(&raw, data()).unwrap();
    for (t, mode, env) in [("0.1", "comp", false), ("0.9", "decomp", false), ("0.5", "balanced", true)] {
        let frame = dir.join(format!("out-{t}.b2frame"));
        let (r, f) = (raw.to_str().unwrap(), frame.to_str().unwrap());
        let o = if env {
            blosc2(
                &["compress", r, f, "--typesize", "8", "--chunksize", "100000"],
                &[("BTUNE_TRADEOFF", t), ("BTUNE_PERF_MODE", mode), ("BTUNE_TRACE", "1")],
            )
        } else {
            blosc2(
                &[
                    "compress",
                    r,
                    f,
                    "--typesize",
                    "8",
                    "--chunksize",
                    "100000",
                    "--tune",
                    "--tradeoff",
                    t,
                    "--mode",
                    mode,
                ],
                &[],
            )
        };
        ok(&o);
        if env {
            assert!(String::from_utf8_lossy(&o.stderr).contains("|    Codec   | Filter |"), "trace expected");
        }
        let back = dir.join("back.bin");
        ok(&blosc2(&["decompress", f, back.to_str().unwrap()], &[]));
        assert_eq!(std::fs::read(&back).unwrap(), data());
        python_reads_frame(&frame, &raw);
        let info = ok(&blosc2(&["info", f, "--json"], &[]));
        let v: serde_json::Value = serde_json::from_str(&info).unwrap();
        let btune =
            v["vlmetalayers"].as_array().unwrap().iter().find(|m| m["name"] == "btune").expect("btune vlmetalayer");
        let chunks = btune["value"]["chunks"].as_array().unwrap();
        assert_eq!(chunks.len(), 9);
        assert!(chunks.iter().all(|c| c["clevel"].as_u64().is_some() && c["codec"].is_string()));
    }
}

#[test]
fn tuned_b2nd_arrays_decode_here_and_in_python() {
    let dir = temp_dir!("cli-tune-nd");
    let npy = dir.join("in.npy");
    let code = "import sys, numpy as np\na = np.sin(np.arange(300*200) * 0.01).reshape(300, 200)\n\
                a[150:] = np.arange(150*200).reshape(150, 200)\nnp.save(sys.argv[1], a)";
    run_python_code(code, &[&npy]);
    let b2nd = dir.join("out.b2nd");
    ok(&blosc2(
        &[
            "convert",
            npy.to_str().unwrap(),
            b2nd.to_str().unwrap(),
            "--chunks",
            "50,200",
            "--tune",
            "--tradeoff",
            "0.7",
        ],
        &[],
    ));
    let code = "import sys, blosc2, numpy as np\na = blosc2.open(sys.argv[1])\n\
                assert (a[:] == np.load(sys.argv[2])).all()\nassert 'btune' in a.schunk.vlmeta\nprint(a.schunk.nchunks)";
    assert_eq!(run_python_code(code, &[&b2nd, &npy]), "6");
    let back = dir.join("back.npy");
    ok(&blosc2(&["convert", b2nd.to_str().unwrap(), back.to_str().unwrap()], &[]));
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&npy).unwrap());
}

#[test]
fn bad_tuning_options_are_one_line_errors_and_write_nothing() {
    let dir = temp_dir!("cli-tune-bad");
    let raw = dir.join("in.bin");
    std::fs::write(&raw, data()).unwrap();
    let out = dir.join("out.b2frame");
    let (r, f) = (raw.to_str().unwrap(), out.to_str().unwrap());
    for (args, env) in [
        (vec!["compress", r, f, "--tune", "--tradeoff", "1.5"], vec![]),
        (vec!["compress", r, f, "--tune", "--mode", "fast"], vec![]),
        (vec!["compress", r, f], vec![("BTUNE_TRADEOFF", "-0.2")]),
        (vec!["compress", r, f], vec![("BTUNE_PERF_MODE", "FAST")]),
    ] {
        let o = blosc2(&args, &env);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!out.exists());
        assert_eq!(std::fs::read_dir(dir.join(".")).unwrap().count(), 1, "only the input is left");
    }
}
