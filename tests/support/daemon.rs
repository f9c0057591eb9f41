//! Spawns the binary under test (`vinstream run -c <dir>/vinstream.toml`) and collects its
//! output: every stdout line (JSON records) and every stderr line (logs), across restarts.
#![allow(dead_code)]

use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::wait;

mod cli;
mod output;
pub use cli::{run_cli, run_cli_with};

/// How long to wait for output pipes to reach EOF after the process exited.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// Default deadline of [`run_cli`].
pub const CLI_TIMEOUT: Duration = Duration::from_secs(60);
/// Number of stderr lines shown in panic messages.
const TAIL_LINES: usize = 60;

/// Everything needed to rebuild a `Command` (it is not `Clone`).
#[derive(Debug, Clone)]
struct CommandSpec {
    program: OsString,
    args: Vec<OsString>,
    envs: Vec<(OsString, Option<OsString>)>,
    cwd: Option<PathBuf>,
}

impl CommandSpec {
    fn from_command(cmd: &Command) -> Self {
        CommandSpec {
            program: cmd.get_program().to_owned(),
            args: cmd.get_args().map(|a| a.to_owned()).collect(),
            envs: cmd
                .get_envs()
                .map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned())))
                .collect(),
            cwd: cmd.get_current_dir().map(|d| d.to_owned()),
        }
    }

    fn build(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args);
        for (k, v) in &self.envs {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        if let Some(d) = &self.cwd {
            c.current_dir(d);
        }
        c
    }
}

/// A stdout fragment that was not newline-terminated when the pipe closed.
#[derive(Debug, Clone)]
pub struct PartialLine {
    /// 0-based run index (incremented by every restart).
    pub run: usize,
    pub text: String,
}

pub struct Daemon {
    spec: CommandSpec,
    dir: PathBuf,
    config_path: PathBuf,
    child: Option<Child>,
    /// 0-based index of the current run.
    run: usize,
    /// Runs ended by [`Daemon::kill`] (SIGKILL), where a torn last stdout line is expected.
    killed_runs: Vec<usize>,
    /// All complete stdout lines of all runs.
    pub stdout_lines: Arc<Mutex<Vec<String>>>,
    /// All stderr lines of all runs.
    pub stderr_lines: Arc<Mutex<Vec<String>>>,
    partial: Arc<Mutex<Vec<PartialLine>>>,
    stdout_start: usize,
    stderr_start: usize,
    stdout_eof: Arc<AtomicBool>,
    stderr_eof: Arc<AtomicBool>,
    readers: Vec<JoinHandle<()>>,
    last_exit: Option<ExitStatus>,
    /// While set, stdout is not read: the pipe fills and the stdout sink stalls.
    stdout_paused: Arc<AtomicBool>,
}

fn send_signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{sig} {pid} failed: {status}");
}

fn spawn_reader(
    r: impl Read + Send + 'static,
    sink: Arc<Mutex<Vec<String>>>,
    partial: Option<(Arc<Mutex<Vec<PartialLine>>>, usize)>,
    eof: Arc<AtomicBool>,
    paused: Option<Arc<AtomicBool>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        // A small buffer, so pausing stops reading the pipe almost at once.
        let mut r = BufReader::with_capacity(512, r);
        let mut buf = Vec::new();
        loop {
            while paused.as_ref().is_some_and(|p| p.load(Ordering::SeqCst)) {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let complete = buf.last() == Some(&b'\n');
                    if complete {
                        buf.pop();
                    }
                    let line = String::from_utf8_lossy(&buf).into_owned();
                    match (&partial, complete) {
                        (Some((p, run)), false) => p.lock().unwrap().push(PartialLine {
                            run: *run,
                            text: line,
                        }),
                        _ => sink.lock().unwrap().push(line),
                    }
                }
            }
        }
        eof.store(true, Ordering::SeqCst);
    })
}

impl Daemon {
    /// Stop reading the daemon's stdout (its stdout sink stalls once the pipe is full).
    pub fn pause_stdout(&self) {
        self.stdout_paused.store(true, Ordering::SeqCst);
    }

    pub fn resume_stdout(&self) {
        self.stdout_paused.store(false, Ordering::SeqCst);
    }

    /// Resident memory of the running daemon in KiB (VmRSS).
    pub fn rss_kib(&self) -> Option<u64> {
        let pid = self.child.as_ref()?.id();
        let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// The standard command: `<bin> run -c <dir>/vinstream.toml`. Add env vars to it and pass
    /// it to [`Daemon::start_command`] if needed.
    pub fn command(bin: &Path, dir: &Path) -> Command {
        let mut c = Command::new(bin);
        c.arg("run").arg("-c").arg(dir.join("vinstream.toml"));
        c
    }

    /// Writes `dir/vinstream.toml` and spawns `bin run -c dir/vinstream.toml`.
    pub fn start(bin: &Path, config_toml: &str, dir: &Path) -> Daemon {
        Self::start_command(Self::command(bin, dir), config_toml, dir)
    }

    /// Writes `dir/vinstream.toml`, then spawns `cmd` as given (stdin null, stdout/stderr
    /// piped and collected). `restart` re-spawns an identical command.
    pub fn start_command(cmd: Command, config_toml: &str, dir: &Path) -> Daemon {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let config_path = dir.join("vinstream.toml");
        fs::write(&config_path, config_toml)
            .unwrap_or_else(|e| panic!("write {}: {e}", config_path.display()));
        let mut d = Daemon {
            spec: CommandSpec::from_command(&cmd),
            dir: dir.to_owned(),
            config_path,
            child: None,
            run: 0,
            killed_runs: Vec::new(),
            stdout_lines: Arc::new(Mutex::new(Vec::new())),
            stderr_lines: Arc::new(Mutex::new(Vec::new())),
            partial: Arc::new(Mutex::new(Vec::new())),
            stdout_start: 0,
            stderr_start: 0,
            stdout_eof: Arc::new(AtomicBool::new(false)),
            stderr_eof: Arc::new(AtomicBool::new(false)),
            readers: Vec::new(),
            last_exit: None,
            stdout_paused: Arc::new(AtomicBool::new(false)),
        };
        d.spawn();
        d
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "daemon already running");
        let mut child = self
            .spec
            .build()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {:?}: {e}", self.spec.program));
        self.stdout_start = self.stdout_lines.lock().unwrap().len();
        self.stderr_start = self.stderr_lines.lock().unwrap().len();
        self.stdout_eof = Arc::new(AtomicBool::new(false));
        self.stderr_eof = Arc::new(AtomicBool::new(false));
        self.readers.push(spawn_reader(
            child.stdout.take().unwrap(),
            self.stdout_lines.clone(),
            Some((self.partial.clone(), self.run)),
            self.stdout_eof.clone(),
            Some(self.stdout_paused.clone()),
        ));
        self.readers.push(spawn_reader(
            child.stderr.take().unwrap(),
            self.stderr_lines.clone(),
            None,
            self.stderr_eof.clone(),
            None,
        ));
        self.child = Some(child);
        self.last_exit = None;
    }

    /// Waits (bounded) for both pipes of the current run to hit EOF, then joins the readers.
    fn drain_readers(&mut self) {
        let (o, e) = (self.stdout_eof.clone(), self.stderr_eof.clone());
        let drained = wait::try_until(DRAIN_TIMEOUT, || {
            (o.load(Ordering::SeqCst) && e.load(Ordering::SeqCst)).then_some(())
        });
        if drained.is_some() {
            for r in self.readers.drain(..) {
                let _ = r.join();
            }
        }
        // Otherwise a grandchild still holds the pipes; leave the threads detached.
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// Overwrites the config file (takes effect on `restart`, or on SIGHUP if supported).
    pub fn write_config(&self, config_toml: &str) {
        fs::write(&self.config_path, config_toml).expect("write vinstream.toml");
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// 0-based index of the current run (number of restarts so far).
    pub fn run_index(&self) -> usize {
        self.run
    }

    /// Sends SIGTERM (graceful shutdown). Use `wait_exit` afterwards.
    pub fn sigterm(&self) {
        let pid = self.pid().expect("sigterm: daemon is not running");
        send_signal(pid, "TERM");
    }

    /// Sends SIGHUP.
    pub fn sighup(&self) {
        let pid = self.pid().expect("sighup: daemon is not running");
        send_signal(pid, "HUP");
    }

    /// Sends SIGINT.
    pub fn sigint(&self) {
        let pid = self.pid().expect("sigint: daemon is not running");
        send_signal(pid, "INT");
    }

    /// SIGKILL (crash) and wait. No-op if not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            self.last_exit = child.wait().ok();
            self.killed_runs.push(self.run);
            self.drain_readers();
        }
    }

    /// Waits up to `timeout` for the process to exit; returns its status, or `None` if it is
    /// still running. After `Some`, all of its stdout/stderr has been collected.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let Some(child) = self.child.as_mut() else {
            return self.last_exit;
        };
        let status = wait::try_until(timeout, || child.try_wait().expect("try_wait"))?;
        self.child = None;
        self.last_exit = Some(status);
        // The process is gone: read what it left in the pipe, paused or not.
        self.resume_stdout();
        self.drain_readers();
        Some(status)
    }

    /// Async-friendly [`Daemon::wait_exit`].
    pub async fn wait_exit_async(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let Some(child) = self.child.as_mut() else {
            return self.last_exit;
        };
        let deadline = tokio::time::Instant::now() + timeout;
        let status = loop {
            if let Some(s) = child.try_wait().expect("try_wait") {
                break s;
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(wait::POLL).await;
        };
        self.child = None;
        self.last_exit = Some(status);
        // The process is gone: read what it left in the pipe, paused or not.
        self.resume_stdout();
        self.drain_readers();
        Some(status)
    }

    /// SIGTERM, then wait for exit; panics (with stderr tail) if it does not exit in time.
    pub fn stop(&mut self, timeout: Duration) -> ExitStatus {
        if self.child.is_none() {
            return self.last_exit.expect("daemon never ran");
        }
        self.sigterm();
        match self.wait_exit(timeout) {
            Some(s) => s,
            None => panic!(
                "daemon did not exit within {timeout:?} after SIGTERM; stderr tail:\n{}",
                self.stderr_tail(TAIL_LINES)
            ),
        }
    }

    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            None => false,
            Some(c) => match c.try_wait().expect("try_wait") {
                None => true,
                Some(status) => {
                    self.last_exit = Some(status);
                    self.child = None;
                    self.drain_readers();
                    false
                }
            },
        }
    }

    /// Exit status of the last run that ended.
    pub fn last_exit(&self) -> Option<ExitStatus> {
        self.last_exit
    }

    /// Spawns the same command again (same config file, which `write_config` may have
    /// changed). Collected output is kept: `records()` stays cumulative, while
    /// `run_records()`/`run_stderr()`/`wait_stderr()` refer to the new run.
    /// Panics if the previous run is still alive (call `kill` or `stop` first).
    pub fn restart(&mut self) {
        assert!(
            !self.is_running(),
            "restart: daemon still running; call kill() or stop() first"
        );
        self.drain_readers();
        self.run += 1;
        self.spawn();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
