//! `-` for the standard input and output: `compress`, `decompress`, `chunk compress` and
//! `chunk decompress` give through pipes the bytes they give with files (0 bytes, 1 byte,
//! several chunks) and end quietly with status 141 when the reader of their output goes
//! away. (Their memory bound is checked in `cli_stream_memory.rs`.)

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

mod common;
use blosc2_testkit::data::{noisy_f32_bytes, Rand, XorShift64};
use blosc2_testkit::temp_dir;
use common::{ok, ok_stdin};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn pipes_give_the_bytes_files_give() {
    let t = temp_dir!("cli-pipes");
    let opts = ["--codec", "lz4", "--typesize", "4", "--chunksize", "65536"];
    let mut several = noisy_f32_bytes(3 * 65_536 + 1234);
    several.extend(vec![0u8; 65_536 * 2]);
    // Incompressible bytes: chunks stored as is.
    let mut rng = XorShift64(0x2545_F491_4F6C_DD1D);
    let random: Vec<u8> = (0..2 * 65_536 + 77).map(|_| (rng.next_u64() >> 24) as u8).collect();
    for (name, data) in [("empty", Vec::new()), ("one", vec![42u8]), ("several", several), ("random", random)] {
        let input = t.0.join(format!("{name}.bin"));
        std::fs::write(&input, &data).unwrap();
        // Frames: the file-based commands, then each side through a pipe.
        let frame = t.0.join(format!("{name}.b2frame"));
        ok(&[&["compress", s(&input), s(&frame)][..], &opts].concat());
        let want = std::fs::read(&frame).unwrap();
        let piped = t.0.join(format!("{name}-piped.b2frame"));
        ok_stdin(&[&["compress", "-", s(&piped)][..], &opts].concat(), &data);
        assert!(std::fs::read(&piped).unwrap() == want, "{name}: compress - FILE");
        let out = ok(&[&["compress", s(&input), "-"][..], &opts].concat());
        assert!(out.stdout == want, "{name}: compress FILE -");
        let out = ok_stdin(&[&["compress", "-", "-"][..], &opts].concat(), &data);
        assert!(out.stdout == want, "{name}: compress - -");
        let back = t.0.join(format!("{name}.out"));
        ok(&["decompress", s(&frame), s(&back)]);
        assert!(std::fs::read(&back).unwrap() == data, "{name}: decompress FILE FILE");
        let out = ok(&["decompress", s(&frame), "-"]);
        assert!(out.stdout == data, "{name}: decompress FILE -");
        let out = ok_stdin(&["decompress", "-", "-"], &want);
        assert!(out.stdout == data, "{name}: decompress - -");
        let back2 = t.0.join(format!("{name}-2.out"));
        ok_stdin(&["decompress", "-", s(&back2)], &want);
        assert!(std::fs::read(&back2).unwrap() == data, "{name}: decompress - FILE");
        // Single chunks.
        let chunk = t.0.join(format!("{name}.chunk"));
        ok(&["chunk", "compress", s(&input), s(&chunk), "--codec", "zstd", "--typesize", "4"]);
        let want = std::fs::read(&chunk).unwrap();
        let out = ok_stdin(&["chunk", "compress", "-", "-", "--codec", "zstd", "--typesize", "4"], &data);
        assert!(out.stdout == want, "{name}: chunk compress - -");
        let piped = t.0.join(format!("{name}-piped.chunk"));
        ok_stdin(&["chunk", "compress", "-", s(&piped), "--codec", "zstd", "--typesize", "4"], &data);
        assert!(std::fs::read(&piped).unwrap() == want, "{name}: chunk compress - FILE");
        let out = ok_stdin(&["chunk", "decompress", "-", "-"], &want);
        assert!(out.stdout == data, "{name}: chunk decompress - -");
        let out = ok(&["chunk", "decompress", s(&chunk), "-"]);
        assert!(out.stdout == data, "{name}: chunk decompress FILE -");
    }
    // A whole chain: producer | compress | decompress | consumer.
    let data = noisy_f32_bytes(5 * 65_536 + 7);
    let mut c = Command::new(env!("CARGO_BIN_EXE_blosc2"))
        .args([&["compress", "-", "-"][..], &opts].concat())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let d = Command::new(env!("CARGO_BIN_EXE_blosc2"))
        .args(["decompress", "-", "-"])
        .stdin(c.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = c.stdin.take().unwrap();
    let feeder = std::thread::spawn({
        let data = data.clone();
        move || stdin.write_all(&data).unwrap()
    });
    let out = d.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert!(c.wait().unwrap().success() && out.status.success());
    assert!(out.stdout == data, "compress - - | decompress - -");
}

#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    let t = temp_dir!("cli-pipes-broken");
    let input = t.0.join("in.bin");
    std::fs::write(&input, noisy_f32_bytes(8 << 20)).unwrap();
    let frame = t.0.join("in.b2frame");
    ok(&["compress", s(&input), s(&frame), "--chunksize", "65536", "--typesize", "4"]);
    let chunk = t.0.join("in.chunk");
    ok(&["chunk", "compress", s(&input), s(&chunk), "--typesize", "4"]);
    for args in [
        &["decompress", s(&frame), "-"][..],
        &["chunk", "decompress", s(&chunk), "-"],
        &["compress", s(&input), "-", "--clevel", "0"],
    ] {
        // `| head -c 10`: read a little, then close the pipe.
        let mut child = Command::new(env!("CARGO_BIN_EXE_blosc2"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let mut head = [0u8; 10];
        out.read_exact(&mut head).unwrap();
        drop(out);
        let r = child.wait_with_output().unwrap();
        assert_eq!(r.status.code(), Some(141), "{args:?}");
        assert!(r.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&r.stderr));
    }
}

#[test]
fn zero_chunks_come_back_as_zeros_in_files_and_pipes() {
    // Zero chunks first, in the middle and last (a short one): an output file leaves them
    // as holes, a pipe gets the bytes; both equal the input.
    let t = temp_dir!("cli-pipes-zeros");
    let mut data = vec![0u8; 2 * 65_536];
    data.extend(noisy_f32_bytes(65_536));
    data.extend(vec![0u8; 65_536 + 1000]);
    let input = t.0.join("in.bin");
    std::fs::write(&input, &data).unwrap();
    let frame = t.0.join("in.b2frame");
    ok(&["compress", s(&input), s(&frame), "--chunksize", "65536", "--typesize", "4"]);
    let out = t.0.join("out.bin");
    std::fs::write(&out, vec![7u8; 500_000]).unwrap(); // replaced, not overwritten in place
    ok(&["decompress", s(&frame), s(&out)]);
    assert!(std::fs::read(&out).unwrap() == data, "decompress FILE FILE");
    assert!(ok(&["decompress", s(&frame), "-"]).stdout == data, "decompress FILE -");
}
