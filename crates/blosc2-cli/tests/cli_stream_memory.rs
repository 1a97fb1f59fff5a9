//! Memory of the streaming commands: `compress` and `decompress` hold a few chunks whatever
//! the size of their input, pipes included. (Alone in its test binary: a child's peak
//! resident memory as the kernel reports it includes the parent's at the time of the
//! spawn, which other tests of the same binary would raise.)
#![cfg(target_os = "linux")]

use blosc2_testkit::data::noisy_f32_bytes;
use blosc2_testkit::temp_dir;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Spawns `blosc2 args` and returns its peak resident memory in bytes once it has ended
/// (`wait4`), with `feed` writing its standard input (or `stdin` given) and its output
/// drained.
// The child is reaped by `wait4`, which std does not know about.
#[allow(clippy::zombie_processes)]
fn peak_rss(args: &[&str], stdin: Option<Stdio>, feed: impl FnOnce(std::process::ChildStdin) + Send) -> u64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_blosc2"))
        .args(args)
        .stdin(stdin.unwrap_or(Stdio::piped()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    std::thread::scope(|sc| {
        sc.spawn(move || stdin.map(feed));
        let drained = sc.spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()).unwrap());
        let mut err = String::new();
        stderr.read_to_string(&mut err).unwrap();
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child, with pointers to live locals.
        let r = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
        assert_eq!(r, child.id() as libc::pid_t);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "{args:?}: {err}");
        drained.join().unwrap();
        usage.ru_maxrss as u64 * 1024
    })
}

#[test]
fn streaming_memory_is_bounded_by_a_few_chunks() {
    // 384 MiB through `compress - -` and `decompress - -` in 1 MiB chunks: the peak stays
    // far below the data's size.
    const MIB: usize = 1 << 20;
    let block: Vec<u8> = noisy_f32_bytes(MIB);
    let feed = |mut stdin: std::process::ChildStdin| {
        for _ in 0..384 {
            stdin.write_all(&block).unwrap();
        }
    };
    let t = temp_dir!("cli-pipes-memory");
    let frame = t.0.join("big.b2frame");
    let args = ["compress", "-", s(&frame), "--codec", "lz4", "--typesize", "4", "--chunksize", "1048576"];
    let peak_c = peak_rss(&args, None, feed);
    let peak_d = peak_rss(&["decompress", s(&frame), "-"], None, drop);
    // The frame on a pipe: `cat big.b2frame | blosc2 decompress - -`.
    let mut cat = Command::new("cat").arg(&frame).stdout(Stdio::piped()).spawn().unwrap();
    let peak_dd = peak_rss(&["decompress", "-", "-"], Some(Stdio::from(cat.stdout.take().unwrap())), drop);
    assert!(cat.wait().unwrap().success());
    // The program itself, plus a few chunks in flight and per-thread buffers of a chunk or
    // two for each of the default threads.
    let cores = std::thread::available_parallelism().unwrap().get() as u64;
    let bound = (24 + 4 * cores) * MIB as u64;
    for (what, peak) in [("compress - FILE", peak_c), ("decompress FILE -", peak_d), ("decompress - -", peak_dd)] {
        assert!(peak < bound, "{what}: peak resident memory {} MiB for 384 MiB", peak >> 20);
        eprintln!("{what}: peak resident memory {:.1} MiB", peak as f64 / MIB as f64);
    }
}
