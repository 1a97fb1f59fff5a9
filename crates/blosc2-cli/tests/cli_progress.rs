//! The progress bar, seen as a user sees it: standard error on a pseudo-terminal. A command
//! running over a second draws bytes, rate and (with a known total) ETA; a quick one draws
//! nothing, nor one with `--quiet`, nor one whose standard error is not a terminal.
#![cfg(target_os = "linux")]

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;
use blosc2_testkit::data::noisy_f32_bytes;
use blosc2_testkit::temp_dir;
use common::ok;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A pseudo-terminal of 100 x 24: (master, slave).
fn pty() -> (std::fs::File, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize { ws_row: 24, ws_col: 100, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: openpty writes two descriptors into the locals; null name and termios are
    // allowed, the window size is a live local.
    let r = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &size) };
    assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nobody else.
    unsafe { (std::fs::File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// Runs `blosc2 args` with standard error on a pseudo-terminal; `feed` writes its standard
/// input, `drain` reads its output. Returns what the terminal showed and the exit status.
fn on_terminal(
    args: &[&str],
    feed: impl FnOnce(std::process::ChildStdin) + Send,
    drain: impl FnOnce(std::process::ChildStdout) + Send,
) -> (String, bool) {
    let (mut master, slave) = pty();
    let mut child = Command::new(env!("CARGO_BIN_EXE_blosc2"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    let (stdin, stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
    std::thread::scope(|sc| {
        sc.spawn(move || feed(stdin));
        sc.spawn(move || drain(stdout));
        let shown = sc.spawn(move || {
            // Until the child has closed the terminal (EIO once no slave is open).
            let mut all = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = master.read(&mut buf) {
                all.extend_from_slice(&buf[..n]);
            }
            String::from_utf8_lossy(&all).into_owned()
        });
        let ok = child.wait().unwrap().success();
        (shown.join().unwrap(), ok)
    })
}

/// Feeds `n` MiB over about `secs` seconds.
fn slowly(n: usize, secs: f64) -> impl FnOnce(std::process::ChildStdin) + Send {
    move |mut stdin| {
        let block = noisy_f32_bytes(1 << 20);
        for _ in 0..n {
            stdin.write_all(&block).unwrap();
            std::thread::sleep(Duration::from_secs_f64(secs / n as f64));
        }
    }
}

fn discard(mut out: std::process::ChildStdout) {
    std::io::copy(&mut out, &mut std::io::sink()).unwrap();
}

#[test]
fn a_long_command_draws_bytes_rate_and_eta() {
    let t = temp_dir!("cli-progress");
    let frame = t.0.join("f.b2frame");
    // From a slow producer: 24 MiB over 2 s; the total is unknown, so bytes and rate.
    let (shown, ok_) = on_terminal(
        &["compress", "-", s(&frame), "--typesize", "4", "--chunksize", "1048576"],
        slowly(24, 2.0),
        discard,
    );
    assert!(ok_, "{shown}");
    assert!(shown.contains("compress") && shown.contains("MiB") && shown.contains("/s"), "{shown:?}");
    // To a slow consumer: the total is known, so the bar has an ETA.
    let (shown, ok_) = on_terminal(&["decompress", s(&frame), "-"], drop, |out| {
        std::thread::sleep(Duration::from_millis(1600));
        discard(out);
    });
    assert!(ok_, "{shown}");
    assert!(shown.contains("decompress") && shown.contains("ETA") && shown.contains("MiB"), "{shown:?}");
    // The same with --quiet: nothing.
    let (shown, ok_) = on_terminal(&["decompress", s(&frame), "-", "--quiet"], drop, |out| {
        std::thread::sleep(Duration::from_millis(1600));
        discard(out);
    });
    assert!(ok_ && shown.is_empty(), "{shown:?}");
}

#[test]
fn quick_commands_and_non_terminals_show_no_bar() {
    let t = temp_dir!("cli-progress-quick");
    let input = t.0.join("in.bin");
    std::fs::write(&input, noisy_f32_bytes(1 << 20)).unwrap();
    let frame = t.0.join("f.b2frame");
    let (shown, ok_) = on_terminal(&["compress", s(&input), s(&frame)], drop, discard);
    assert!(ok_ && shown.is_empty(), "{shown:?}");
    // Standard error a pipe, over a second: nothing either.
    let mut child = Command::new(env!("CARGO_BIN_EXE_blosc2"))
        .args(["compress", "-", s(&frame)])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    slowly(4, 1.5)(child.stdin.take().unwrap());
    let r = child.wait_with_output().unwrap();
    assert!(r.status.success() && r.stderr.is_empty(), "{}", String::from_utf8_lossy(&r.stderr));
    ok(&["verify", s(&frame)]);
}
