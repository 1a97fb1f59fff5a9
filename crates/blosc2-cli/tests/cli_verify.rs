//! `blosc2 compress --checksum` and `blosc2 verify`: exit status 0 for every fixture and
//! for frames written with checksums, 1 with the chunk named for a changed byte or a cut
//! file, 2 for usage and I/O errors; python-blosc2 reads what `--checksum` wrote.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;

mod common;
use blosc2_testkit::fs::testdata;
use blosc2_testkit::fs::TempDir;
use blosc2_testkit::python::python;
use blosc2_testkit::temp_dir;
use common::{blosc2, p};

fn status<S: AsRef<OsStr>>(args: &[S]) -> (i32, String) {
    let r = blosc2(args);
    (r.status.code().unwrap_or(-1), String::from_utf8_lossy(&r.stdout).into_owned())
}

fn input(t: &TempDir) -> PathBuf {
    let data: Vec<u8> = (0..300_000u32).flat_map(|i| ((i / 7) ^ (i % 13)).to_le_bytes()).collect();
    let path = t.0.join("in.bin");
    std::fs::write(&path, data).unwrap();
    path
}

#[test]
fn fixtures_verify_clean() {
    for sub in ["frames", "b2nd", "sframes"] {
        for e in std::fs::read_dir(testdata("fixtures").join(sub)).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_some_and(|x| x == "bin") {
                continue;
            }
            let (code, out) = status(&[OsStr::new("verify"), p(&path)]);
            assert_eq!(code, 0, "{}: {out}", path.display());
            assert!(out.contains("ok"), "{out}");
        }
    }
}

#[test]
fn checksummed_frames_verify_and_changes_are_reported_with_their_chunk() {
    let t = temp_dir!("cli-verify-flip");
    let src = input(&t);
    for sparse in [false, true] {
        let out = t.0.join(format!("c-{sparse}.b2frame"));
        let mut args = vec![OsStr::new("compress"), p(&src), p(&out), OsStr::new("--chunksize"), OsStr::new("100000")];
        args.push(OsStr::new("--checksum"));
        if sparse {
            args.push(OsStr::new("--sparse"));
        }
        let r = blosc2(&args);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let (code, text) = status(&[OsStr::new("verify"), p(&out)]);
        assert_eq!(code, 0, "{text}");
        assert!(text.contains("12 chunks decoded, checksums match"), "{text}");
        // One byte changed inside chunk 5.
        let (file, at) = if sparse {
            (out.join("00000005.chunk"), 200)
        } else {
            let b = std::fs::read(&out).unwrap();
            let f = blosc2_core::frame::Frame::from_bytes(b).unwrap();
            let blosc2_core::frame::ChunkLocation::Offset(o) = f.chunk_info(5).unwrap().location else { panic!() };
            (out.clone(), f.header().header_len + o as usize + 200)
        };
        let mut b = std::fs::read(&file).unwrap();
        b[at] ^= 0x04;
        std::fs::write(&file, &b).unwrap();
        for extra in [None, Some("--no-decode")] {
            let mut args = vec![OsStr::new("verify"), p(&out)];
            args.extend(extra.map(OsStr::new));
            let (code, text) = status(&args);
            assert_eq!(code, 1, "{text}");
            assert!(text.contains("chunk 5: checksum"), "{text}");
        }
    }
    // Without --checksum, verify still decodes and checks the structure.
    let plain = t.0.join("plain.b2frame");
    assert!(blosc2(&[OsStr::new("compress"), p(&src), p(&plain)]).status.success());
    let (code, text) = status(&[OsStr::new("verify"), p(&plain)]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("no checksum table"), "{text}");
    let b = std::fs::read(&plain).unwrap();
    std::fs::write(&plain, &b[..b.len() - 10]).unwrap();
    let (code, text) = status(&[OsStr::new("verify"), p(&plain)]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("problem"), "{text}");
}

#[test]
fn usage_and_io_errors_exit_2() {
    let t = temp_dir!("cli-verify-usage");
    assert_eq!(blosc2(&[OsStr::new("verify")]).status.code(), Some(2));
    assert_eq!(blosc2(&[OsStr::new("verify"), OsStr::new("--bogus"), OsStr::new("x")]).status.code(), Some(2));
    let missing = t.0.join("missing.b2frame");
    assert_eq!(blosc2(&[OsStr::new("verify"), p(&missing)]).status.code(), Some(2));
    let help = String::from_utf8_lossy(&blosc2(&[OsStr::new("verify"), OsStr::new("--help")]).stdout).into_owned();
    assert!(help.contains("Exit status") && help.contains("2  usage or I/O error"), "{help}");
}

#[test]
fn python_blosc2_reads_frames_written_with_checksums() {
    let t = temp_dir!("cli-verify-python");
    let src = input(&t);
    let out = t.0.join("c.b2frame");
    let r = blosc2(&[OsStr::new("compress"), p(&src), p(&out), OsStr::new("--checksum")]);
    assert!(r.status.success());
    let script = "import sys, blosc2\ns = blosc2.open(sys.argv[1])\n\
        got = b''.join(bytes(s.decompress_chunk(i)) for i in range(s.nchunks))\n\
        assert got == open(sys.argv[2], 'rb').read()\nassert 'checksums' in s.vlmeta\n";
    let r = Command::new(python()).args(["-c", script]).arg(&out).arg(&src).output().expect("python runs");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
}
