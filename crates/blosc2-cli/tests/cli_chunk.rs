//! The `blosc2 chunk` commands: round trips through files, every option, and clean one-line
//! errors with exit status 1 on bad input.

use std::path::Path;
use std::process::{Command, Output};

use blosc2_testkit::fs::testdata;
use blosc2_testkit::temp_dir;

fn blosc2(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blosc2")).args(args).output().expect("blosc2 runs")
}

fn os(p: &Path) -> &std::ffi::OsStr {
    p.as_os_str()
}

fn sample() -> Vec<u8> {
    (0..50_001u32).flat_map(|i| ((i / 3) as f32).to_le_bytes()).collect()
}

#[test]
fn compress_and_decompress_round_trip_with_every_codec_and_filter() {
    let d = temp_dir!("cli-roundtrip");
    let input = d.join("in.bin");
    std::fs::write(&input, sample()).unwrap();
    for codec in ["blosclz", "lz4", "lz4hc", "zlib", "zstd"] {
        for filter in ["nofilter", "shuffle", "bitshuffle", "delta", "bytedelta:4"] {
            let chunk = d.join(format!("{codec}-{filter}.chunk"));
            let out = d.join(format!("{codec}-{filter}.out"));
            let r = blosc2(&[
                "chunk".as_ref(),
                "compress".as_ref(),
                os(&input),
                os(&chunk),
                "--codec".as_ref(),
                codec.as_ref(),
                "--filter".as_ref(),
                filter.as_ref(),
                "--typesize".as_ref(),
                "4".as_ref(),
                "--clevel".as_ref(),
                "7".as_ref(),
                "--nthreads".as_ref(),
                "2".as_ref(),
                "--splitmode".as_ref(),
                "always".as_ref(),
                "--blocksize".as_ref(),
                "16384".as_ref(),
            ]);
            assert!(r.status.success(), "{codec} {filter}: {}", String::from_utf8_lossy(&r.stderr));
            let packed = std::fs::read(&chunk).unwrap();
            assert!(packed.len() < sample().len(), "{codec} {filter} did not compress");
            assert_eq!(u32::from_le_bytes(packed[8..12].try_into().unwrap()), 16384, "blocksize option");
            let r = blosc2(&["chunk".as_ref(), "decompress".as_ref(), os(&chunk), os(&out)]);
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
            assert_eq!(std::fs::read(&out).unwrap(), sample(), "{codec} {filter}");
        }
    }
}

#[test]
fn bad_input_gives_one_line_and_status_1() {
    let d = temp_dir!("cli-bad");
    let input = d.join("in.bin");
    std::fs::write(&input, sample()).unwrap();
    let chunk = d.join("c.chunk");
    assert!(blosc2(&["chunk".as_ref(), "compress".as_ref(), os(&input), os(&chunk)]).status.success());
    let mut packed = std::fs::read(&chunk).unwrap();
    // Corrupt the first block start so it points into the header.
    packed[32] = 3;
    packed[33] = 0;
    let bad = d.join("bad.chunk");
    std::fs::write(&bad, &packed).unwrap();
    let out = d.join("out.bin");
    for args in [
        vec!["chunk".as_ref(), "decompress".as_ref(), os(&bad), os(&out)],
        vec!["chunk".as_ref(), "decompress".as_ref(), os(&input), os(&out)],
        vec!["chunk".as_ref(), "decompress".as_ref(), os(&d.join("missing")), os(&out)],
        vec!["chunk".as_ref(), "compress".as_ref(), os(&input), os(&out), "--codec".as_ref(), "snappy".as_ref()],
        vec!["chunk".as_ref(), "compress".as_ref(), os(&input), os(&out), "--filter".as_ref(), "nope".as_ref()],
        vec!["chunk".as_ref(), "compress".as_ref(), os(&input), os(&out), "--clevel".as_ref(), "12".as_ref()],
    ] {
        let r = blosc2(&args);
        assert_eq!(r.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
    assert!(!out.exists(), "a failed command leaves no output file");
}

#[test]
fn a_python_blosc2_fixture_decompresses() {
    let d = temp_dir!("cli-fixture");
    let fixture = testdata("fixtures/chunks/doc/arange1000-i4-blosclz.chunk");
    let out = d.join("arange.bin");
    let r = blosc2(&["chunk".as_ref(), "decompress".as_ref(), os(&fixture), os(&out)]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let expected: Vec<u8> = (0..1000i32).flat_map(i32::to_le_bytes).collect();
    assert_eq!(std::fs::read(&out).unwrap(), expected);
}
