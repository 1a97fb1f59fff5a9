//! The rules of `docs/concurrency.md`, tested with processes. One process appends to a frame
//! on disk while other processes open and read it: every open succeeds and shows a
//! consistent prefix of the appended chunks (never a torn state), the prefixes a reader
//! sees only grow, and a frame a reader keeps open keeps serving the snapshot it opened.
//! A second writer, in the same process or another, is refused while the first is open.
//! Contiguous files (read with positioned reads and through memory maps) and sparse
//! directories.
//!
//! The `*_child` functions are not tests: they are the writer and reader processes, run by
//! the tests below as this binary with `--ignored --exact NAME` and an environment variable
//! naming the frame. Run alone, they fail.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use blosc2_core::chunk::CompressParams;
use blosc2_core::codec::CodecId;
use blosc2_core::frame::Frame;
use blosc2_core::schunk::SChunk;
use blosc2_testkit::data::sm64;
use blosc2_testkit::temp_dir;

/// Chunks in the frame once the writer is done.
const TOTAL: u64 = 1500;
/// Reader processes.
const READERS: usize = 3;

/// The content of chunk `i`: 1,000 little-endian u32 derived from `i` (compressible, and
/// different for every chunk).
fn content(i: u64) -> Vec<u8> {
    (0..1000u32)
        .flat_map(|v| (v.wrapping_mul(2_654_435_761) >> 20 ^ (i as u32).wrapping_mul(7919)).to_le_bytes())
        .collect()
}

fn params() -> CompressParams {
    CompressParams { codec: CodecId::LZ4, typesize: 4, ..CompressParams::default() }
}

/// The value of `var`, which the parent test sets for its child processes.
fn child_env(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| panic!("{var} is not set: this helper only runs as a child of another test"))
}

/// Child process: appends chunks `nchunks..TOTAL` to the frame named by `B2_APPEND_FRAME`.
#[test]
#[ignore = "child process of the concurrency tests"]
fn append_writer_child() {
    let path = child_env("B2_APPEND_FRAME");
    let mut s = SChunk::open_mut(&path).unwrap();
    for i in s.nchunks()..TOTAL {
        s.append_buffer(&content(i)).unwrap();
    }
}

/// Checks that `f` holds a prefix of the appended chunks, reading its first, last and a few
/// chunks in between.
fn check_prefix(f: &Frame, round: u64) -> Result<(), String> {
    let n = f.nchunks();
    if n == 0 || n > TOTAL {
        return Err(format!("{n} chunks"));
    }
    let mut picks = vec![0, n - 1];
    picks.extend((0..3).map(|k| sm64(round, k) % n));
    for i in picks {
        let got = f.decompress_chunk(i).map_err(|e| format!("chunk {i} of {n}: {e}"))?;
        if got != content(i) {
            return Err(format!("chunk {i} of {n}: wrong content"));
        }
    }
    Ok(())
}

/// Child process: opens the frame named by `B2_READ_FRAME` again and again until it holds
/// `TOTAL` chunks, checking each opened state and the state opened first, kept open all
/// along. Prints `opens N distinct D` at the end; exits non-zero (a failed assertion) on
/// any inconsistency.
#[test]
#[ignore = "child process of the concurrency tests"]
fn prefix_reader_child() {
    let path = child_env("B2_READ_FRAME");
    // `B2_READ_MAPPED` set: every open goes through a memory map.
    let open = |p: &str| match std::env::var_os("B2_READ_MAPPED") {
        Some(_) => Frame::open_mapped(p),
        None => Frame::open(p),
    };
    let first = open(&path).unwrap();
    println!("ready");
    std::io::stdout().flush().unwrap();
    let first_n = first.nchunks();
    let (mut last, mut opens, mut distinct) = (first_n, 0u64, 1u64);
    let started = std::time::Instant::now();
    while last < TOTAL {
        assert!(started.elapsed().as_secs() < 120, "the writer did not finish within two minutes");
        let f = open(&path).unwrap_or_else(|e| panic!("open {opens} failed: {e}"));
        opens += 1;
        let n = f.nchunks();
        assert!(n >= last, "open {opens}: {n} chunks after {last}");
        if n != last {
            distinct += 1;
        }
        last = n;
        check_prefix(&f, opens).unwrap_or_else(|e| panic!("open {opens}: {e}"));
        // The first snapshot stays valid while the file grows.
        assert_eq!(first.nchunks(), first_n);
        check_prefix(&first, opens).unwrap_or_else(|e| panic!("first snapshot, open {opens}: {e}"));
    }
    let f = open(&path).unwrap();
    for i in 0..TOTAL {
        assert_eq!(f.decompress_chunk(i).unwrap(), content(i), "final chunk {i}");
    }
    // The first snapshot, kept open all along, still reads every chunk it had.
    for i in 0..first_n {
        assert_eq!(first.decompress_chunk(i).unwrap(), content(i), "first snapshot, chunk {i}");
    }
    println!("opens {opens} distinct {distinct}");
}

/// Kills a child process when dropped (a failing assertion must not leave it running).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn child(test: &str, var: &str, path: &Path) -> KillOnDrop {
    child_with(test, var, path, &[])
}

fn child_with(test: &str, var: &str, path: &Path, env: &[(&str, &str)]) -> KillOnDrop {
    KillOnDrop(
        Command::new(std::env::current_exe().unwrap())
            .args([test, "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env(var, path)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

/// `mapped`: the readers open the frame through memory maps.
fn readers_see_prefixes_while_one_process_appends(path: &Path, mapped: bool) {
    let env: &[(&str, &str)] = if mapped { &[("B2_READ_MAPPED", "1")] } else { &[] };
    let mut readers: Vec<KillOnDrop> =
        (0..READERS).map(|_| child_with("prefix_reader_child", "B2_READ_FRAME", path, env)).collect();
    let mut outputs = Vec::new();
    for r in &mut readers {
        let mut lines = std::io::BufReader::new(r.0.stdout.take().unwrap()).lines();
        // libtest prints its own lines first, and "test prefix_reader_child ... " without
        // a newline before ours.
        let ready = lines.by_ref().map_while(Result::ok).any(|l| l.ends_with("ready"));
        assert!(ready, "a reader did not start");
        outputs.push(lines);
    }
    let mut writer = child("append_writer_child", "B2_APPEND_FRAME", path);
    let status = writer.0.wait().unwrap();
    assert!(status.success(), "writer failed: {}", std::io::read_to_string(writer.0.stderr.take().unwrap()).unwrap());
    let mut distinct_total = 0;
    for (mut r, lines) in readers.into_iter().zip(outputs) {
        let out: Vec<String> = lines.map_while(Result::ok).collect();
        let status = r.0.wait().unwrap();
        let err = std::io::read_to_string(r.0.stderr.take().unwrap()).unwrap();
        assert!(status.success(), "reader failed: {out:?}\n{err}");
        let summary = out.iter().find_map(|l| l.split("opens ").nth(1)).expect("reader summary");
        let words: Vec<u64> = summary.split(' ').filter_map(|w| w.parse().ok()).collect();
        distinct_total += words[1];
    }
    // The readers ran during the appends: between them they saw several prefixes.
    assert!(distinct_total > READERS as u64, "readers saw only {distinct_total} states");
    let f = Frame::open(path).unwrap();
    assert_eq!(f.nchunks(), TOTAL);
}

fn new_frame(path: &Path, sparse: bool) {
    let mut s = SChunk::new(params());
    s.append_buffer(&content(0)).unwrap();
    drop(if sparse { s.into_sparse(path).unwrap() } else { s.into_file(path).unwrap() });
}

#[test]
fn contiguous_frame_readers_see_consistent_prefixes() {
    let tmp = temp_dir!("concurrent-contiguous");
    let path = tmp.0.join("growing.b2frame");
    new_frame(&path, false);
    readers_see_prefixes_while_one_process_appends(&path, false);
}

#[test]
fn contiguous_frame_mapped_readers_see_consistent_prefixes() {
    let tmp = temp_dir!("concurrent-mapped");
    let path = tmp.0.join("growing.b2frame");
    new_frame(&path, false);
    readers_see_prefixes_while_one_process_appends(&path, true);
}

#[test]
fn sparse_frame_readers_see_consistent_prefixes() {
    let tmp = temp_dir!("concurrent-sparse");
    let path = tmp.0.join("growing.b2frame");
    new_frame(&path, true);
    readers_see_prefixes_while_one_process_appends(&path, false);
}

/// Child process: tries to open the frame named by `B2_SECOND_WRITER` for writing and
/// prints what happened.
#[test]
#[ignore = "child process of the concurrency tests"]
fn second_writer_child() {
    let path = child_env("B2_SECOND_WRITER");
    match SChunk::open_mut(&path) {
        Ok(_) => println!("opened"),
        Err(e) => println!("refused code {} {e}", e.code()),
    }
}

fn one_writer_at_a_time(path: &Path) {
    let second = |expect: &str| {
        let out = child("second_writer_child", "B2_SECOND_WRITER", path);
        let out = out_of(out);
        assert!(out.contains(expect), "second writer: expected {expect:?}, got {out:?}");
    };
    {
        let mut first = SChunk::open_mut(path).unwrap();
        // Same process, another handle.
        match SChunk::open_mut(path) {
            Err(blosc2_core::Error::WriterActive { .. }) => {}
            other => panic!("a second writer in this process was not refused: {other:?}"),
        }
        // Another process.
        second("refused code -15");
        // Readers are never refused, and the first writer still works.
        first.append_buffer(&content(1)).unwrap();
        assert_eq!(Frame::open(path).unwrap().nchunks(), 2);
    }
    // The first writer is gone: the next one may open.
    second("opened");
    SChunk::open_mut(path).unwrap().append_buffer(&content(2)).unwrap();
    assert_eq!(Frame::open(path).unwrap().decompress_chunk(2).unwrap(), content(2));
}

fn out_of(mut c: KillOnDrop) -> String {
    let status = c.0.wait().unwrap();
    let out = std::io::read_to_string(c.0.stdout.take().unwrap()).unwrap();
    assert!(status.success(), "child failed: {out}");
    out
}

#[test]
fn contiguous_frames_have_one_writer_at_a_time() {
    let tmp = temp_dir!("one-writer-contiguous");
    let path = tmp.0.join("w.b2frame");
    new_frame(&path, false);
    one_writer_at_a_time(&path);
}

#[test]
fn sparse_frames_have_one_writer_at_a_time() {
    let tmp = temp_dir!("one-writer-sparse");
    let path = tmp.0.join("w.b2frame");
    new_frame(&path, true);
    one_writer_at_a_time(&path);
}
