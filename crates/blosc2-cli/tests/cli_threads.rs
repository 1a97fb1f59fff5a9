//! The thread count changes the speed only: every command that compresses or decompresses
//! writes the same bytes with 1, 2 or 3 threads and with the default (the available cores),
//! and `--help` names that default.

use std::path::Path;

mod common;
use blosc2_testkit::data::noisy_f32_bytes;
use blosc2_testkit::fs::TempDir;
use blosc2_testkit::temp_dir;
use common::ok;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `args` once per thread setting, each writing to its own `out` (the placeholder
/// `OUT` in `args`), and checks that every output equals the first; returns it.
fn same_for_every_thread_count(t: &TempDir, name: &str, args: &[&str], sparse: bool) -> Vec<u8> {
    let mut first: Option<Vec<u8>> = None;
    for threads in [None, Some("1"), Some("2"), Some("3")] {
        let out = t.0.join(format!("{}-{name}", threads.unwrap_or("default")));
        let mut a: Vec<&str> = args.iter().map(|&x| if x == "OUT" { s(&out) } else { x }).collect();
        if let Some(n) = threads {
            a.extend(["--nthreads", n]);
        }
        ok(&a);
        let bytes = if sparse {
            // A sparse frame: its index and chunk files, in name order.
            common::names(&out).iter().flat_map(|n| std::fs::read(out.join(n)).unwrap()).collect()
        } else {
            std::fs::read(&out).unwrap()
        };
        match &first {
            None => first = Some(bytes),
            Some(f) => assert!(*f == bytes, "{name}: {threads:?} threads wrote other bytes than the default"),
        }
    }
    first.unwrap()
}

#[test]
fn outputs_are_the_same_for_any_thread_count() {
    let t = temp_dir!("cli-threads");
    // Seven and a half chunks of 64 KiB plus a run of zeros (special chunks).
    let mut data = noisy_f32_bytes(7 * 65_536 + 32_768);
    data.extend(vec![0u8; 2 * 65_536]);
    let input = t.0.join("in.bin");
    std::fs::write(&input, &data).unwrap();
    for codec in ["blosclz", "lz4", "zstd", "zlib"] {
        let base = ["--codec", codec, "--typesize", "4", "--chunksize", "65536", "--blocksize", "16384"];
        let frame = same_for_every_thread_count(
            &t,
            &format!("{codec}.b2frame"),
            &[&["compress", s(&input), "OUT"][..], &base[..]].concat(),
            false,
        );
        let first = t.0.join(format!("default-{codec}.b2frame"));
        assert!(std::fs::read(&first).unwrap() == frame);
        let back = same_for_every_thread_count(&t, &format!("{codec}.out"), &["decompress", s(&first), "OUT"], false);
        assert!(back == data, "{codec}: the round trip changed the data");
        same_for_every_thread_count(
            &t,
            &format!("{codec}.sparse"),
            &[&["compress", s(&input), "OUT", "--sparse", "--checksum"][..], &base[..]].concat(),
            true,
        );
        let chunk = same_for_every_thread_count(
            &t,
            &format!("{codec}.chunk"),
            &["chunk", "compress", s(&input), "OUT", "--codec", codec, "--typesize", "4", "--blocksize", "16384"],
            false,
        );
        let first = t.0.join(format!("default-{codec}.chunk"));
        assert!(std::fs::read(&first).unwrap() == chunk);
        let back = same_for_every_thread_count(
            &t,
            &format!("{codec}.chunk.out"),
            &["chunk", "decompress", s(&first), "OUT"],
            false,
        );
        assert!(back == data, "{codec}: the round trip changed the data");
    }
    // Arrays: .npy -> .b2nd (default and explicit options), a slice, .b2nd -> .npy.
    let values: Vec<u8> = noisy_f32_bytes(4 * 60 * 70 * 50);
    let mut npy = blosc2_nd::npy::header_bytes(&blosc2_nd::DType::parse("<f4").unwrap(), &[60, 70, 50]).unwrap();
    npy.extend_from_slice(&values);
    let npy_path = t.0.join("a.npy");
    std::fs::write(&npy_path, &npy).unwrap();
    for (name, extra) in [("a-default.b2nd", &[][..]), ("a-lz4.b2nd", &["--codec", "lz4", "--chunks", "20,30,50"][..])]
    {
        same_for_every_thread_count(&t, name, &[&["convert", s(&npy_path), "OUT"][..], extra].concat(), false);
    }
    let b2nd = t.0.join("default-a-lz4.b2nd");
    let back = same_for_every_thread_count(&t, "back.npy", &["convert", s(&b2nd), "OUT"], false);
    assert!(back == npy, ".npy -> .b2nd -> .npy changed the file");
    same_for_every_thread_count(&t, "slice.npy", &["slice", s(&b2nd), "5:50,::3,7", "-o", "OUT"], false);
}

#[test]
fn help_names_the_default_thread_count() {
    let cores = std::thread::available_parallelism().unwrap().get();
    for args in [&["compress", "--help"][..], &["decompress", "--help"], &["chunk", "decompress", "--help"]] {
        let r = ok(args);
        let text = String::from_utf8_lossy(&r.stdout);
        let line = text.lines().find(|l| l.contains("--nthreads")).unwrap_or_else(|| panic!("{args:?}: {text}"));
        let rest = &text[text.find(line).unwrap()..];
        assert!(rest.contains(&format!("[default: {cores}]")), "{args:?}: {rest}");
    }
    // roundtrip reports the count it used.
    let t = temp_dir!("cli-threads-roundtrip");
    let input = t.0.join("in.bin");
    std::fs::write(&input, noisy_f32_bytes(100_000)).unwrap();
    let r = ok(&["roundtrip", s(&input), "--repeat", "1"]);
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.contains(&format!("nthreads {cores}\n")), "{text}");
}
