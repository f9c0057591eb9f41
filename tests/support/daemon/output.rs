//! What a [`Daemon`] printed: its stdout records and its stderr log lines, and waits on them.

use super::{wait, Daemon, PartialLine, TAIL_LINES};
use std::sync::atomic::Ordering;
use std::time::Duration;

impl Daemon {
    fn parse(lines: &[String]) -> Vec<serde_json::Value> {
        lines
            .iter()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("daemon stdout line is not JSON ({e}): {l:?}"))
            })
            .collect()
    }

    fn check_partials(&self) {
        let partial = self.partial.lock().unwrap();
        for p in partial.iter() {
            assert!(
                self.killed_runs.contains(&p.run),
                "daemon run {} wrote an unterminated stdout line without being SIGKILLed: {:?}",
                p.run,
                p.text
            );
        }
    }

    /// All stdout records of all runs (cumulative across restarts), parsed as JSON.
    /// Panics with the offending line if a line is not JSON. Torn (unterminated) last lines
    /// of SIGKILLed runs are excluded (see [`Daemon::partial_lines`]).
    pub fn records(&self) -> Vec<serde_json::Value> {
        self.check_partials();
        let lines = self.stdout_lines.lock().unwrap().clone();
        Self::parse(&lines)
    }

    /// Same as [`Daemon::records`]: cumulative across restarts.
    pub fn all_records(&self) -> Vec<serde_json::Value> {
        self.records()
    }

    /// Records of the current run only.
    pub fn run_records(&self) -> Vec<serde_json::Value> {
        self.check_partials();
        let lines = self.stdout_lines.lock().unwrap()[self.stdout_start..].to_vec();
        Self::parse(&lines)
    }

    /// Unterminated stdout fragments seen at EOF (normally only after `kill`).
    pub fn partial_lines(&self) -> Vec<PartialLine> {
        self.partial.lock().unwrap().clone()
    }

    /// Number of complete stdout lines so far (cumulative).
    pub fn record_count(&self) -> usize {
        self.stdout_lines.lock().unwrap().len()
    }

    /// Waits until at least `n` records (cumulative across restarts) exist and returns all
    /// of them. Panics on deadline, or early if the current run exited, with the stderr tail.
    pub fn wait_records(&self, n: usize, timeout: Duration) -> Vec<serde_json::Value> {
        let eof = self.stdout_eof.clone();
        let ok = wait::try_until(timeout, || {
            let count = self.record_count();
            if count >= n {
                Some(true)
            } else if eof.load(Ordering::SeqCst) {
                Some(false)
            } else {
                None
            }
        });
        match ok {
            Some(true) => self.records(),
            Some(false) => panic!(
                "daemon stdout closed (process exited?) with {} of {n} records; stderr tail:\n{}",
                self.record_count(),
                self.stderr_tail(TAIL_LINES)
            ),
            None => panic!(
                "timed out after {timeout:?} waiting for {n} records (have {}); stderr tail:\n{}",
                self.record_count(),
                self.stderr_tail(TAIL_LINES)
            ),
        }
    }

    /// Async-friendly [`Daemon::wait_records`]: polls with the tokio timer, so MQTT client
    /// tasks on the same runtime keep running.
    pub async fn wait_records_async(&self, n: usize, timeout: Duration) -> Vec<serde_json::Value> {
        let eof = self.stdout_eof.clone();
        let _ = wait::try_until_async(timeout, || {
            (self.record_count() >= n || eof.load(Ordering::SeqCst)).then_some(())
        })
        .await;
        if self.record_count() < n {
            panic!(
                "waiting {timeout:?} for {n} records: have {} (stdout closed: {}); stderr tail:\n{}",
                self.record_count(),
                eof.load(Ordering::SeqCst),
                self.stderr_tail(TAIL_LINES)
            );
        }
        self.records()
    }

    /// All stderr of all runs, newline-joined.
    pub fn stderr(&self) -> String {
        self.stderr_lines.lock().unwrap().join("\n")
    }

    /// Stderr of the current run only.
    pub fn run_stderr(&self) -> String {
        self.stderr_lines.lock().unwrap()[self.stderr_start..].join("\n")
    }

    /// Last `n` stderr lines (all runs).
    pub fn stderr_tail(&self, n: usize) -> String {
        let lines = self.stderr_lines.lock().unwrap();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Current number of stderr lines; pass to [`Daemon::wait_stderr_since`] to wait only for
    /// output produced after this point (e.g. after sending SIGHUP).
    pub fn stderr_mark(&self) -> usize {
        self.stderr_lines.lock().unwrap().len()
    }

    /// Waits until a stderr line of the *current run* contains `needle`.
    pub fn wait_stderr(&self, needle: &str, timeout: Duration) {
        self.wait_stderr_since(self.stderr_start, needle, timeout)
    }

    /// Waits until a stderr line at index >= `mark` contains `needle`. Panics on deadline or
    /// when stderr closes without it, with the stderr tail.
    pub fn wait_stderr_since(&self, mark: usize, needle: &str, timeout: Duration) {
        let eof = self.stderr_eof.clone();
        let seen = || {
            self.stderr_lines
                .lock()
                .unwrap()
                .iter()
                .skip(mark)
                .any(|l| l.contains(needle))
        };
        let found = wait::try_until(timeout, || {
            if seen() {
                Some(true)
            } else if eof.load(Ordering::SeqCst) {
                // Re-check: lines may have landed between the scan and the EOF flag.
                Some(seen())
            } else {
                None
            }
        });
        match found {
            Some(true) => {}
            Some(false) => panic!(
                "daemon stderr closed without {needle:?}; stderr tail:\n{}",
                self.stderr_tail(TAIL_LINES)
            ),
            None => panic!(
                "timed out after {timeout:?} waiting for stderr {needle:?}; stderr tail:\n{}",
                self.stderr_tail(TAIL_LINES)
            ),
        }
    }

    /// Async-friendly [`Daemon::wait_stderr`].
    pub async fn wait_stderr_async(&self, needle: &str, timeout: Duration) {
        let mark = self.stderr_start;
        let found = wait::try_until_async(timeout, || {
            self.stderr_lines
                .lock()
                .unwrap()
                .iter()
                .skip(mark)
                .any(|l| l.contains(needle))
                .then_some(())
        })
        .await;
        if found.is_none() {
            panic!(
                "timed out after {timeout:?} waiting for stderr {needle:?}; stderr tail:\n{}",
                self.stderr_tail(TAIL_LINES)
            );
        }
    }
}
