//! Random option sets through `blosc2 chunk compress` and `blosc2 compress`, checked by
//! python-blosc2 (C-Blosc2 3.3.5): every file the command writes decodes there to exactly
//! what `blosc2` decodes it to (the input, for lossless pipelines), or the command refuses
//! the options with a one-line error and exit status 1, leaving no output file. Filters are
//! given as a user types them, `NAME` or `NAME:META` (BYTEDELTA without a meta once wrote
//! chunks C-Blosc2 refused).
//!
//! `CLI_PIPELINE_SEED=N` replays another set of cases.

mod common;

use std::path::Path;
use std::process::Command;

use blosc2_testkit::data::{Rand, XorShift64Star};
use blosc2_testkit::python::python;
use blosc2_testkit::temp_dir;
use common::blosc2;

/// One random set of chunk options as command-line words, and whether it is lossless.
fn random_options(rng: &mut XorShift64Star) -> (Vec<String>, bool) {
    let typesize = match rng.below(6) {
        0 => rng.pick(&[3usize, 5, 12, 255]),
        _ => rng.pick(&[1usize, 2, 4, 8, 16]),
    };
    let mut args = vec![
        "--codec".to_string(),
        rng.pick(&["blosclz", "lz4", "lz4hc", "zlib", "zstd"]).to_string(),
        "--clevel".to_string(),
        rng.pick(&[0u8, 1, 5, 9]).to_string(),
        "--typesize".to_string(),
        typesize.to_string(),
        "--splitmode".to_string(),
        rng.pick(&["always", "never", "auto", "forward_compat"]).to_string(),
        "--nthreads".to_string(),
        rng.pick(&["1", "2"]).to_string(),
    ];
    if rng.below(3) == 0 {
        args.push("--blocksize".to_string());
        args.push(rng.pick(&[64usize, 1000, 4096, 65536]).to_string());
    }
    let mut lossless = true;
    for _ in 0..rng.below(4) {
        let name = rng.pick(&["nofilter", "shuffle", "bitshuffle", "delta", "bytedelta", "trunc_prec", "int_trunc"]);
        let meta = match (name, rng.below(3)) {
            (_, 0) => None,
            ("trunc_prec" | "int_trunc", _) => {
                let bits = 8 * typesize.min(8) as i64;
                Some(rng.below(2 * bits as usize) as i64 - bits)
            }
            _ => Some(rng.pick(&[0i64, 1, 2, 4, 8, typesize as i64])),
        };
        lossless &= !matches!(name, "trunc_prec" | "int_trunc");
        args.push("--filter".to_string());
        args.push(match meta {
            Some(m) => format!("{name}:{m}"),
            None => name.to_string(),
        });
    }
    (args, lossless)
}

fn input_for(rng: &mut XorShift64Star, path: &Path) {
    let n = rng.pick(&[0usize, 1, 17, 4096, 100_003, 300_000]);
    let kind = rng.below(3);
    let bytes: Vec<u8> = (0..n)
        .map(|i| match kind {
            0 => (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) as u8,
            1 => ((i / 8) as f64 / 7.0).to_le_bytes()[i % 8],
            _ => (i / 3) as u8,
        })
        .collect();
    std::fs::write(path, bytes).unwrap();
}

const CHECK: &str = r#"
import json, subprocess, sys
import blosc2
cases = json.load(open(sys.argv[1]))
failures = []
for c in cases:
    src = open(c["input"], "rb").read()
    ours = open(c["ours_decoded"], "rb").read()
    try:
        if c["kind"] == "chunk":
            got = blosc2.decompress2(open(c["output"], "rb").read())
        else:
            try:
                s = blosc2.open(c["output"], mode="r")
                got = b"".join(s.decompress_chunk(i) for i in range(s.nchunks))
            except OverflowError:
                # python-blosc2 4.14.1 takes filter metas as int8 and cannot open a frame
                # whose header records one of 128 or more (a negative INT_TRUNC or
                # TRUNC_PREC meta; its own SChunk refuses to write those). C-Blosc2 reads
                # such frames: each chunk, located by `blosc2 info`, goes to decompress2.
                info = json.loads(subprocess.run([c["blosc2"], "info", "--json", c["output"]],
                                                 check=True, capture_output=True).stdout)
                frame = open(c["output"], "rb").read()
                start = info["header"]["header_len"]
                parts = []
                for ch in info["chunks"]:
                    off = int(ch["location"].split()[1])
                    parts.append(blosc2.decompress2(frame[start + off:start + off + ch["cbytes"]]))
                got = b"".join(parts)
    except Exception as e:
        failures.append(f"{c['what']}: python-blosc2 cannot decode it: {e}")
        continue
    if got != ours:
        failures.append(f"{c['what']}: python-blosc2 decodes it differently from blosc2")
    if c["lossless"] and got != src:
        failures.append(f"{c['what']}: python-blosc2 decodes it to other bytes than the input")
print(json.dumps({"checked": len(cases), "failures": failures}))
"#;

#[test]
fn random_options_write_files_python_blosc2_decodes_or_are_refused() {
    let seed = std::env::var("CLI_PIPELINE_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x00c1_1b10_5c2e);
    let mut rng = XorShift64Star(seed | 1);
    let t = temp_dir!("cli-pipeline-interop");
    let mut cases = Vec::new();
    let mut refused = 0;
    for i in 0..120 {
        let (options, lossless) = random_options(&mut rng);
        let input = t.0.join(format!("in{i}.bin"));
        input_for(&mut rng, &input);
        let kind = if i % 3 == 2 { "frame" } else { "chunk" };
        let output = t.0.join(format!("out{i}.{kind}"));
        let decoded = t.0.join(format!("out{i}.decoded"));
        let mut args: Vec<String> = match kind {
            "chunk" => vec!["chunk".into(), "compress".into()],
            _ => vec!["compress".into()],
        };
        args.push(input.to_string_lossy().into_owned());
        args.push(output.to_string_lossy().into_owned());
        args.extend(options.iter().cloned());
        if kind == "frame" {
            args.push("--chunksize".into());
            args.push(rng.pick(&["4096", "65536", "1000000"]).into());
        }
        let what = format!("case {i}: blosc2 {}", args.join(" "));
        let r = blosc2(&args);
        if !r.status.success() {
            let err = String::from_utf8_lossy(&r.stderr);
            assert_eq!(r.status.code(), Some(1), "{what}: refused with another status: {err}");
            assert_eq!(err.trim_end().lines().count(), 1, "{what}: not a one-line error: {err}");
            assert!(!output.exists(), "{what}: a refused command left {}", output.display());
            refused += 1;
            continue;
        }
        let back = match kind {
            "chunk" => vec!["chunk".to_string(), "decompress".into()],
            _ => vec!["decompress".to_string()],
        };
        let r = blosc2(
            &[back, vec![output.to_string_lossy().into_owned(), decoded.to_string_lossy().into_owned()]].concat(),
        );
        assert!(
            r.status.success(),
            "{what}: blosc2 cannot decode its own file: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        if lossless {
            assert!(std::fs::read(&decoded).unwrap() == std::fs::read(&input).unwrap(), "{what}: round trip differs");
        }
        cases.push(serde_json::json!({
            "what": what, "kind": kind, "lossless": lossless,
            "input": input, "output": output, "ours_decoded": decoded,
            "blosc2": env!("CARGO_BIN_EXE_blosc2"),
        }));
    }
    // Refused: lossy filters on element sizes or bit counts they cannot take, and DELTA
    // after another filter (C-Blosc2 decodes those wrongly with threads).
    assert!(cases.len() >= 70, "{refused} of 120 option sets refused: the generator mostly asks for valid ones");
    let list = t.0.join("cases.json");
    std::fs::write(&list, serde_json::to_vec(&cases).unwrap()).unwrap();
    let out = Command::new(python()).args(["-c", CHECK]).arg(&list).output().unwrap();
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    let res: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(res["checked"].as_u64().unwrap() as usize, cases.len());
    let failures = res["failures"].as_array().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} files python-blosc2 does not decode as we do:\n{}",
        failures.len(),
        cases.len(),
        failures.iter().take(15).map(|f| f.as_str().unwrap()).collect::<Vec<_>>().join("\n")
    );
}
