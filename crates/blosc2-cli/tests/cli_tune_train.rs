//! `blosc2 tune train` on small inputs writes a model that `tune eval --model` and
//! `compress --tune --model` accept, the tuned file decompressing to its input (here and
//! in python-blosc2); bad inputs and bad model files are one-line errors, nothing written.

mod common;

use std::path::Path;
use std::process::Output;

use blosc2_testkit::python::run_python_code;
use blosc2_testkit::temp_dir;
use common::blosc2;

fn ok(o: &Output) -> (String, String) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (String::from_utf8_lossy(&o.stdout).to_string(), String::from_utf8_lossy(&o.stderr).to_string())
}

fn failed_in_one_line(o: &Output, what: &str) -> String {
    assert_eq!(o.status.code(), Some(1), "{what}");
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: {err}");
    err
}

/// Float64 counters then a noisy sine: two kinds of chunks.
fn floats() -> Vec<u8> {
    let mut v: Vec<u8> = (0..60_000u64).flat_map(|i| ((i / 4) as f64).to_le_bytes()).collect();
    let mut x = 7u64;
    v.extend((0..60_000).flat_map(|i| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((f64::from(i) * 0.01).sin() + (x >> 40) as f64 * 1e-9).to_le_bytes()
    }));
    v
}

fn write_npy(path: &Path, data: &[u8]) {
    let dtype = blosc2_nd::DType::parse("<f8").unwrap();
    let mut bytes = blosc2_nd::npy::header_bytes(&dtype, &[(data.len() / 8) as u64]).unwrap();
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_trained_model_drives_eval_and_compress() {
    let dir = temp_dir!("cli-tune-train");
    let npy = dir.join("in.npy");
    let raw = dir.join("in.bin");
    write_npy(&npy, &floats());
    let counts: Vec<u8> = (0..100_000u32).flat_map(|i| (i % 97 * (i % 5)).to_le_bytes()).collect();
    std::fs::write(&raw, &counts).unwrap();
    let model = dir.join("m.json");
    let table = dir.join("t.jsonl");
    let (n, r, m, t) = (npy.to_str().unwrap(), raw.to_str().unwrap(), model.to_str().unwrap(), table.to_str().unwrap());
    let train = ["tune", "train", n, r, "--typesize", "4", "--chunksize", "131072", "--reps", "1", "--epochs", "20"];
    let (out, _) = ok(&blosc2(&[&train[..], &["-o", m, "--table", t, "--tradeoff", "0.2,0.8"]].concat()));
    assert!(out.contains("on the held-back chunks: accuracy"), "{out}");
    assert!(out.contains("t = 0.2:") && out.contains("t = 0.8:"), "{out}");
    // 960 000 bytes of npy in 8 chunks, 400 000 raw in 4: 12 chunks, 2 held back.
    assert!(out.contains("measured 12 chunks x 60 settings"), "{out}");
    assert!(out.contains("held back 2"), "{out}");
    let loaded = blosc2_tune::Model::load(&model).unwrap();
    assert!(!loaded.categories().is_empty());
    assert_eq!(std::fs::read_to_string(&table).unwrap().lines().count(), 12);

    // Training again from the measured table gives the same bytes.
    let again = dir.join("again.json");
    let a = again.to_str().unwrap();
    ok(&blosc2(&["tune", "train", t, "--epochs", "20", "--tradeoff", "0.2,0.8", "-o", a]));
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&model).unwrap());
    // So does computing the features again from the chunks made again (the features
    // have not changed); a table whose measures are not those of its chunks is refused.
    let refeatured = dir.join("refeatured.json");
    let rf = refeatured.to_str().unwrap();
    let refeature = ["tune", "train", t, "--refeature", "--typesize", "4", "--chunksize", "131072"];
    ok(&blosc2(&[&refeature[..], &["--epochs", "20", "--tradeoff", "0.2,0.8", "-o", rf]].concat()));
    assert_eq!(std::fs::read(&refeatured).unwrap(), std::fs::read(&model).unwrap());
    let text = std::fs::read_to_string(&table).unwrap();
    let mut line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let cbytes = line["cells"][0][1].as_u64().unwrap();
    line["cells"][0][1] = (cbytes + 1).into();
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, format!("{line}\n")).unwrap();
    let b = bad.to_str().unwrap();
    let o = blosc2(&["tune", "train", b, "--refeature", "--typesize", "4", "--chunksize", "131072", "-o", rf]);
    let err = failed_in_one_line(&o, "a table whose chunk is not the one measured");
    assert!(err.contains("made again") && err.contains(&format!("to {}", cbytes + 1)), "{err}");
    // Synthetic chunks are made again by their generators.
    let (st, sm, sr) = (dir.join("s.jsonl"), dir.join("s.json"), dir.join("sr.json"));
    let synth = ["tune", "train", "--synthetic", "--synthetic-seeds", "5", "--chunksize", "4096", "--reps", "1"];
    ok(&blosc2(
        &[&synth[..], &["--epochs", "5", "--table", st.to_str().unwrap(), "-o", sm.to_str().unwrap()]].concat(),
    ));
    ok(&blosc2(&["tune", "train", st.to_str().unwrap(), "--refeature", "--epochs", "5", "-o", sr.to_str().unwrap()]));
    assert_eq!(std::fs::read(&sr).unwrap(), std::fs::read(&sm).unwrap());
    // Some generators only: four variants of each.
    let kinds = ["--synthetic-kinds", "catalog_mag_f32,walk_f64", "--epochs", "1", "-o", sr.to_str().unwrap()];
    let (out, _) = ok(&blosc2(&[&synth[..], &kinds[..]].concat()));
    assert!(out.contains("measured 8 chunks x 60 settings"), "{out}");
    let o = blosc2(&[&synth[..], &["--synthetic-kinds", "walk", "-o", sr.to_str().unwrap()]].concat());
    let err = failed_in_one_line(&o, "an unknown generator");
    assert!(err.contains("no generator is named \"walk\""), "{err}");

    let (json, _) = ok(&blosc2(&[
        "tune",
        "eval",
        r,
        "--typesize",
        "4",
        "--chunksize",
        "131072",
        "--rounds",
        "1",
        "--json",
        "--model",
        m,
    ]));
    let rec: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert!(rec["score_fraction"].as_f64().unwrap() > 0.0, "{rec}");

    let frame = dir.join("out.b2frame");
    let f = frame.to_str().unwrap();
    let (_, trace) = ok(&blosc2(&[
        "compress",
        n,
        f,
        "--chunksize",
        "131072",
        "--tune",
        "--model",
        m,
        "--trace",
        "--tradeoff",
        "0.8",
    ]));
    assert!(trace.contains("INFERENCE | chunk 0 |"), "{trace}");
    let back = dir.join("back.bin");
    ok(&blosc2(&["decompress", f, back.to_str().unwrap()]));
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&npy).unwrap());
    let code = "import sys, blosc2\ns = blosc2.open(sys.argv[1])\n\
                got = b''.join(bytes(s.decompress_chunk(i)) for i in range(s.nchunks))\n\
                assert got == open(sys.argv[2], 'rb').read()\nprint(s.nchunks)";
    assert_eq!(run_python_code(code, &[&frame, &npy]), "8");

    // The model trained on a .b2frame input reads the frame decompressed.
    let m2 = dir.join("m2.json");
    ok(&blosc2(&[
        "tune",
        "train",
        f,
        "--chunksize",
        "262144",
        "--reps",
        "1",
        "--epochs",
        "5",
        "-o",
        m2.to_str().unwrap(),
    ]));
    assert!(blosc2_tune::Model::load(&m2).is_ok());
}

#[test]
fn bad_inputs_and_bad_models_are_one_line_errors_and_write_nothing() {
    let dir = temp_dir!("cli-tune-train-bad");
    let raw = dir.join("in.bin");
    std::fs::write(&raw, (0..50_000u32).flat_map(u32::to_le_bytes).collect::<Vec<u8>>()).unwrap();
    let truncated = dir.join("truncated.json");
    std::fs::write(&truncated, "{\"format\": \"blosc2-tune-model\", \"version\": 1, \"feat").unwrap();
    let nan = dir.join("nan.json");
    std::fs::write(&nan, "{\"format\": \"blosc2-tune-model\", \"version\": 1, \"mean\": [NaN]}").unwrap();
    let out = dir.join("out.json");
    let (r, o) = (raw.to_str().unwrap(), out.to_str().unwrap());
    for args in [
        vec!["tune", "train", r, "-o", o],
        vec!["tune", "train", r, "--typesize", "4", "--tradeoff", "1.5", "-o", o],
        vec!["tune", "train", r, "--typesize", "4", "--mode", "fast", "-o", o],
        vec!["tune", "train", "no_such_data", "-o", o],
        vec!["tune", "train", "-o", o],
        vec!["tune", "train", truncated.to_str().unwrap(), "--typesize", "4", "-o", "/nonexistent/dir/m.json"],
    ] {
        failed_in_one_line(&blosc2(&args), &format!("{args:?}"));
        assert!(!out.exists(), "{args:?}");
    }
    let frame = dir.join("out.b2frame");
    let f = frame.to_str().unwrap();
    for (model, what) in [
        ("/nonexistent/m.json", "No such file"),
        (truncated.to_str().unwrap(), "not a model file"),
        (nan.to_str().unwrap(), "not a model file"),
    ] {
        let e = failed_in_one_line(&blosc2(&["compress", r, f, "--typesize", "4", "--tune", "--model", model]), model);
        assert!(e.contains(what) && e.contains("model"), "{e}");
        assert!(!frame.exists());
        let e = failed_in_one_line(
            &blosc2(&["tune", "eval", r, "--typesize", "4", "--rounds", "1", "--model", model]),
            model,
        );
        assert!(e.contains(what), "{e}");
    }
}
