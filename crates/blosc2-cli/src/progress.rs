//! The progress bar of the long commands: bytes done, rate and ETA on standard error, shown
//! once a command has run for [`DELAY`] (quick commands print nothing), only when standard
//! error is a terminal, and never with `--quiet`.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a command runs before its bar appears.
pub const DELAY: Duration = Duration::from_secs(1);

/// A progress bar of bytes, hidden until [`DELAY`] has passed.
pub struct Progress {
    pb: ProgressBar,
    /// Set when the command is done; the thread that would show the bar waits on it.
    done: Option<Arc<(Mutex<bool>, Condvar)>>,
    shower: Option<std::thread::JoinHandle<()>>,
}

/// Whether a bar would be drawn: standard error is a terminal and `--quiet` was not given.
pub fn wanted(quiet: bool) -> bool {
    use std::io::IsTerminal;
    !quiet && std::io::stderr().is_terminal()
}

impl Progress {
    /// A bar over `total` bytes (a counter of bytes and their rate when the total is
    /// unknown, e.g. reading a pipe), labelled `what`; drawn only when [`wanted`].
    pub fn new(total: Option<u64>, what: &str, quiet: bool) -> Progress {
        let template = if total.is_some() {
            "{msg} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}"
        } else {
            "{msg} [{elapsed_precise}] {spinner} {bytes} {bytes_per_sec}"
        };
        Self::with_template(total, template, what, quiet)
    }

    /// A spinner with the elapsed time, for work whose progress cannot be counted (a
    /// library call that converts a whole array).
    pub fn spinner(what: &str, quiet: bool) -> Progress {
        Self::with_template(None, "{msg} [{elapsed_precise}] {spinner}", what, quiet)
    }

    fn with_template(total: Option<u64>, template: &str, what: &str, quiet: bool) -> Progress {
        let pb = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
        if !wanted(quiet) {
            return Progress { pb, done: None, shower: None };
        }
        if let Ok(style) = ProgressStyle::with_template(template) {
            pb.set_style(style.progress_chars("=> "));
        }
        pb.set_message(what.to_string());
        let done = Arc::new((Mutex::new(false), Condvar::new()));
        let (pb2, done2) = (pb.clone(), Arc::clone(&done));
        let shower = std::thread::spawn(move || {
            let (lock, cv) = &*done2;
            let guard = lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let (guard, _) = cv
                .wait_timeout_while(guard, DELAY, |finished| !*finished)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !*guard {
                pb2.set_draw_target(ProgressDrawTarget::stderr());
                pb2.enable_steady_tick(Duration::from_millis(200));
            }
        });
        Progress { pb, done: Some(done), shower: Some(shower) }
    }

    /// Adds `n` bytes done.
    pub fn inc(&self, n: u64) {
        self.pb.inc(n);
    }

    /// Sets the label (the phase of a command).
    pub fn set_message(&self, what: &str) {
        self.pb.set_message(what.to_string());
    }

    /// Removes the bar (if shown) and stops its threads.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(done) = self.done.take() {
            let (lock, cv) = &*done;
            *lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = true;
            cv.notify_all();
        }
        if let Some(t) = self.shower.take() {
            let _ = t.join();
        }
        self.pb.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}
