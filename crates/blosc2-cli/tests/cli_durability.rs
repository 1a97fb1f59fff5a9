//! The durability rule of every command that writes a file: the output is written under a
//! temporary name and renamed into place, so a killed command leaves nothing under the
//! target's name (and what was there stays), a failed one leaves the target as it was,
//! and a later command removes the killed one's temporary. `--sync` gives the same bytes
//! (that it calls fsync is checked by the unit tests of `output.rs`).

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use blosc2_testkit::data::noisy_f32_bytes;
use blosc2_testkit::temp_dir;
use common::{blosc2, names, ok, ok_stdin};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Waits until a file whose name starts with `prefix` appears in `dir`.
fn wait_for_temp(dir: &Path, prefix: &str, child: &mut Child) {
    let t0 = Instant::now();
    while !names(dir).iter().any(|n| n.starts_with(prefix)) {
        assert!(child.try_wait().unwrap().is_none(), "the command ended before its output appeared");
        assert!(t0.elapsed() < Duration::from_secs(60), "no temporary {prefix}* in {}", dir.display());
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn kill(mut child: Child) {
    child.kill().unwrap(); // SIGKILL: no clean-up code runs.
    child.wait().unwrap();
}

#[test]
fn a_killed_compress_leaves_no_file_under_the_final_name() {
    let t = temp_dir!("cli-killed-compress");
    for (name, sparse) in [("f.b2frame", false), ("s.b2frame", true)] {
        let target = t.0.join(name);
        let mut args = vec!["compress", "-", s(&target), "--chunksize", "65536", "--typesize", "4"];
        if sparse {
            args.push("--sparse");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_blosc2")).args(&args).stdin(Stdio::piped()).spawn().unwrap();
        // Some chunks, then the command is killed while it waits for more input.
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&noisy_f32_bytes(5 * 65_536)).unwrap();
        wait_for_temp(&t.0, &format!(".{name}.tmp-"), &mut child);
        std::thread::sleep(Duration::from_millis(100));
        kill(child);
        drop(stdin);
        assert!(!target.exists(), "{name}: a killed command left a file under the final name");
        assert!(names(&t.0).iter().any(|n| n.starts_with(&format!(".{name}.tmp-"))), "{name}: the temporary");
        // The next command writing the same target completes it and removes the temporary.
        let data = noisy_f32_bytes(3 * 65_536 + 5);
        ok_stdin(&args, &data);
        let left: Vec<String> = names(&t.0).into_iter().filter(|n| n.contains(".tmp")).collect();
        assert!(left.is_empty(), "{name}: stale temporaries {left:?}");
        let back = ok(&["decompress", s(&target), "-"]);
        assert!(back.stdout == data, "{name}");
    }
}

#[test]
fn a_killed_decompress_keeps_what_was_there() {
    let t = temp_dir!("cli-killed-decompress");
    // A frame of 1 GiB of zero chunks (a few hundred bytes on disk): decompressing it
    // writes for long enough to be killed on the way.
    let frame = t.0.join("zeros.b2frame");
    let s_chunk = blosc2_core::schunk::SChunk::new(blosc2_core::chunk::CompressParams::default());
    s_chunk.save_special(&frame, blosc2_core::chunk::SpecialKind::Zeros, 8 << 20, 128).unwrap();
    let target = t.0.join("out.bin");
    std::fs::write(&target, b"what was there").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_blosc2"))
        .args(["decompress", s(&frame), s(&target), "--nthreads", "1"])
        .spawn()
        .unwrap();
    wait_for_temp(&t.0, ".out.bin.tmp-", &mut child);
    kill(child);
    assert_eq!(std::fs::read(&target).unwrap(), b"what was there");
    // A later write of the same target removes the killed command's temporary.
    let small = t.0.join("small.b2frame");
    let input = t.0.join("small.bin");
    std::fs::write(&input, b"new").unwrap();
    ok(&["compress", s(&input), s(&small)]);
    ok(&["decompress", s(&small), s(&target)]);
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
    let left: Vec<String> = names(&t.0).into_iter().filter(|n| n.contains(".tmp")).collect();
    assert!(left.is_empty(), "stale temporaries {left:?}");
}

#[test]
fn a_failed_command_leaves_the_target_as_it_was() {
    let t = temp_dir!("cli-failed");
    let input = t.0.join("in.bin");
    std::fs::write(&input, noisy_f32_bytes(300_000)).unwrap();
    let frame = t.0.join("f.b2frame");
    ok(&["compress", s(&input), s(&frame), "--chunksize", "65536"]);
    let mut bytes = std::fs::read(&frame).unwrap();
    // Damage the header of chunk 3: the first chunks are written, then the command fails.
    let info: serde_json::Value = serde_json::from_slice(&ok(&["info", "--json", s(&frame)]).stdout).unwrap();
    let hl = info["header"]["header_len"].as_u64().unwrap() as usize;
    let at: usize = info["chunks"][3]["location"].as_str().unwrap().strip_prefix("offset ").unwrap().parse().unwrap();
    bytes[hl + at + 12..hl + at + 16].copy_from_slice(&u32::MAX.to_le_bytes());
    let damaged = t.0.join("damaged.b2frame");
    std::fs::write(&damaged, &bytes).unwrap();
    let target = t.0.join("out.bin");
    std::fs::write(&target, b"keep me").unwrap();
    let r = blosc2(&["decompress", s(&damaged), s(&target)]);
    assert_eq!(r.status.code(), Some(1), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stderr).contains("chunk 3"), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    // The same for chunk decompress of a file that is no chunk, and compress from a missing input.
    let r = blosc2(&["chunk", "decompress", s(&input), s(&target)]);
    assert_eq!(r.status.code(), Some(1));
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    let r = blosc2(&["compress", s(&t.0.join("missing")), s(&frame)]);
    assert_eq!(r.status.code(), Some(1));
    assert!(ok(&["decompress", s(&frame), "-"]).stdout == std::fs::read(&input).unwrap());
    let left: Vec<String> = names(&t.0).into_iter().filter(|n| n.contains(".tmp")).collect();
    assert!(left.is_empty(), "temporaries left {left:?}");
}

#[test]
fn sync_writes_the_same_bytes() {
    let t = temp_dir!("cli-sync");
    let data = noisy_f32_bytes(200_000);
    let input = t.0.join("in.bin");
    std::fs::write(&input, &data).unwrap();
    for (cmd, out) in [
        (&["compress", s(&input)][..], "a.b2frame"),
        (&["compress", s(&input), "--sparse"], "a.sparse"),
        (&["chunk", "compress", s(&input)], "a.chunk"),
    ] {
        let plain = t.0.join(format!("plain-{out}"));
        let synced = t.0.join(format!("synced-{out}"));
        ok(&[cmd, &[s(&plain)]].concat());
        // Twice: writing over an existing output (a sparse directory included).
        for _ in 0..2 {
            ok(&[cmd, &[s(&synced), "--sync"]].concat());
        }
        let read = |p: &Path| -> Vec<u8> {
            if p.is_dir() {
                names(p).iter().flat_map(|n| std::fs::read(p.join(n)).unwrap()).collect()
            } else {
                std::fs::read(p).unwrap()
            }
        };
        assert!(read(&plain) == read(&synced), "{out}");
    }
    let back = t.0.join("back.bin");
    ok(&["decompress", s(&t.0.join("synced-a.b2frame")), s(&back), "--sync"]);
    assert!(std::fs::read(&back).unwrap() == data);
    ok(&["chunk", "decompress", s(&t.0.join("synced-a.chunk")), s(&back), "--sync"]);
    assert!(std::fs::read(&back).unwrap() == data);
    let left: Vec<String> = names(&t.0).into_iter().filter(|n| n.contains(".tmp")).collect();
    assert!(left.is_empty(), "temporaries left {left:?}");
}
