//! Mosquitto 2.0.11 as a child-process test broker (see rust-stack.md §3 for the traps this
//! works around: no port 0, `user root`, `log_dest stderr`, `max_queued_messages 0`,
//! trailing slash on `persistence_location`).
#![allow(dead_code)]

use std::fs::{self, OpenOptions};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use super::pki::Pki;
use super::wait;

/// Path of the broker binary.
pub const MOSQUITTO_BIN: &str = "/usr/sbin/mosquitto";
/// How long to wait for the broker to accept TCP connections.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `stop()` waits for a graceful exit after SIGTERM.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct MosquittoOptions {
    /// Listener requires a client certificate signed by `pki.ca`; the certificate CN becomes
    /// the username (`use_identity_as_username`). Ignored when `password_file` is set.
    pub mtls: bool,
    /// TLS server-auth listener authenticating with this mosquitto password file instead of
    /// client certificates (create it with [`write_password_file`]).
    pub password_file: Option<PathBuf>,
    /// Appended verbatim after the listener block, so it may hold listener options (apply to
    /// that listener) as well as global options.
    pub extra_config: String,
}

impl Default for MosquittoOptions {
    fn default() -> Self {
        MosquittoOptions {
            mtls: true,
            password_file: None,
            extra_config: String::new(),
        }
    }
}

impl MosquittoOptions {
    /// mTLS listener (the default).
    pub fn mtls() -> Self {
        Self::default()
    }

    /// TLS server-auth listener with a password file.
    pub fn password(password_file: impl Into<PathBuf>) -> Self {
        MosquittoOptions {
            mtls: false,
            password_file: Some(password_file.into()),
            extra_config: String::new(),
        }
    }
}

/// Creates (or truncates) a mosquitto password file holding `user:password`
/// (`mosquitto_passwd -c -b`).
pub fn write_password_file(path: &Path, user: &str, password: &str) {
    let _ = fs::remove_file(path);
    run_passwd(&["-c", "-b"], path, user, password);
}

/// Adds or updates `user` in an existing password file (`mosquitto_passwd -b`). Follow with
/// [`Mosquitto::reload`] for a running broker to pick it up.
pub fn set_password(path: &Path, user: &str, password: &str) {
    run_passwd(&["-b"], path, user, password);
}

fn run_passwd(flags: &[&str], path: &Path, user: &str, password: &str) {
    let out = Command::new("mosquitto_passwd")
        .args(flags)
        .arg(path)
        .arg(user)
        .arg(password)
        .output()
        .expect("run mosquitto_passwd (is it on PATH?)");
    assert!(
        out.status.success(),
        "mosquitto_passwd {flags:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Returns a port that was free a moment ago (bind 127.0.0.1:0, read, drop).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

fn send_signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{sig} {pid} failed: {status}");
}

pub struct Mosquitto {
    dir: tempfile::TempDir,
    conf: PathBuf,
    log_path: PathBuf,
    persistence_dir: PathBuf,
    port: u16,
    child: Option<Child>,
    last_exit: Option<ExitStatus>,
}

enum StartOutcome {
    Ready,
    AddressInUse,
}

impl Mosquitto {
    /// Starts a broker on a fresh port with its own temp dir (config, persistence, log).
    /// Panics (with the broker log) if it does not accept TCP connections within 10 s.
    pub fn start(pki: &Pki, opts: MosquittoOptions) -> Mosquitto {
        let dir = tempfile::Builder::new()
            .prefix("vinstream-mosquitto-")
            .tempdir()
            .expect("tempdir");
        let persistence_dir = dir.path().join("persist");
        fs::create_dir_all(&persistence_dir).expect("create persistence dir");
        let conf = dir.path().join("mosquitto.conf");
        let log_path = dir.path().join("mosquitto.log");
        let mut m = Mosquitto {
            conf,
            log_path,
            persistence_dir,
            port: 0,
            child: None,
            last_exit: None,
            dir,
        };
        const ATTEMPTS: usize = 5;
        for attempt in 1..=ATTEMPTS {
            m.port = free_port();
            fs::write(&m.conf, m.render_config(pki, &opts)).expect("write mosquitto.conf");
            match m.spawn_and_wait() {
                StartOutcome::Ready => return m,
                StartOutcome::AddressInUse if attempt < ATTEMPTS => continue,
                StartOutcome::AddressInUse => {}
            }
        }
        panic!(
            "mosquitto: port still in use after {ATTEMPTS} attempts; log:\n{}",
            m.log()
        );
    }

    fn render_config(&self, pki: &Pki, opts: &MosquittoOptions) -> String {
        let mut persist = self.persistence_dir.display().to_string();
        if !persist.ends_with('/') {
            persist.push('/');
        }
        let mut c = format!(
            "# generated by tests/support/mosquitto.rs\n\
             user root\n\
             per_listener_settings true\n\
             persistence true\n\
             persistence_location {persist}\n\
             autosave_interval 0\n\
             max_queued_messages 0\n\
             log_dest stderr\n\
             log_type error\n\
             log_type warning\n\
             log_type notice\n\
             log_type information\n\
             connection_messages true\n\
             log_timestamp true\n\
             \n\
             listener {port} 127.0.0.1\n\
             certfile {cert}\n\
             keyfile {key}\n",
            port = self.port,
            cert = pki.server_cert.display(),
            key = pki.server_key.display(),
        );
        if let Some(pw) = &opts.password_file {
            c.push_str(&format!(
                "password_file {}\nallow_anonymous false\n",
                pw.display()
            ));
        } else if opts.mtls {
            c.push_str(&format!(
                "cafile {}\nrequire_certificate true\nuse_identity_as_username true\nallow_anonymous false\n",
                pki.ca.display()
            ));
        } else {
            // TLS server auth only, anonymous clients allowed.
            c.push_str("allow_anonymous true\n");
        }
        if !opts.extra_config.is_empty() {
            c.push('\n');
            c.push_str(&opts.extra_config);
            c.push('\n');
        }
        c
    }

    /// Spawns the broker with the current config and waits until it is ready.
    fn spawn_and_wait(&mut self) -> StartOutcome {
        assert!(self.child.is_none(), "mosquitto already running");
        let log_before = fs::metadata(&self.log_path).map(|m| m.len()).unwrap_or(0);
        let log_file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open mosquitto.log");
        let child = Command::new(MOSQUITTO_BIN)
            .arg("-c")
            .arg(&self.conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {MOSQUITTO_BIN}: {e}"));
        self.child = Some(child);
        let port = self.port;
        let outcome = wait::until("mosquitto to accept connections", START_TIMEOUT, || {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().expect("try_wait") {
                self.child = None;
                self.last_exit = Some(status);
                let new_log = self.log_since(log_before);
                if new_log.contains("Address already in use") {
                    return Some(StartOutcome::AddressInUse);
                }
                panic!("mosquitto exited during startup ({status}); log:\n{new_log}");
            }
            TcpStream::connect(("127.0.0.1", port))
                .ok()
                .map(|_| StartOutcome::Ready)
        });
        if let StartOutcome::Ready = outcome {
            // The process may have bound after we checked try_wait; a foreign listener on the
            // port would make mosquitto exit with "Address already in use" instead.
            if self
                .log_since(log_before)
                .contains("Address already in use")
            {
                self.kill_child();
                return StartOutcome::AddressInUse;
            }
        }
        outcome
    }

    fn log_since(&self, offset: u64) -> String {
        let bytes = fs::read(&self.log_path).unwrap_or_default();
        let start = (offset as usize).min(bytes.len());
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }

    fn kill_child(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            self.last_exit = child.wait().ok();
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whole broker log (all runs of this instance, appended).
    pub fn log(&self) -> String {
        self.log_since(0)
    }

    /// Byte offset of the current end of the log, for [`Mosquitto::log_since_mark`].
    pub fn log_mark(&self) -> u64 {
        fs::metadata(&self.log_path).map(|m| m.len()).unwrap_or(0)
    }

    /// Log text written after `mark` (from [`Mosquitto::log_mark`]).
    pub fn log_since_mark(&self, mark: u64) -> String {
        self.log_since(mark)
    }

    /// Waits until the log (after `mark`) contains `needle`; panics with the log on deadline.
    pub fn wait_log(&self, mark: u64, needle: &str, timeout: Duration) {
        let found = wait::try_until(timeout, || {
            self.log_since(mark).contains(needle).then_some(())
        });
        if found.is_none() {
            panic!(
                "mosquitto log did not contain {needle:?} within {timeout:?}; log:\n{}",
                self.log_since(mark)
            );
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> &Path {
        &self.conf
    }

    pub fn persistence_dir(&self) -> &Path {
        &self.persistence_dir
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            None => false,
            Some(c) => match c.try_wait().expect("try_wait") {
                None => true,
                Some(status) => {
                    self.last_exit = Some(status);
                    self.child = None;
                    false
                }
            },
        }
    }

    /// Exit status of the last run that ended.
    pub fn last_exit(&self) -> Option<ExitStatus> {
        self.last_exit
    }

    /// Graceful stop: SIGTERM, then wait for exit (mosquitto writes its persistence DB on
    /// exit). No-op if not running.
    pub fn stop(&mut self) {
        let Some(pid) = self.pid() else { return };
        send_signal(pid, "TERM");
        let child = self.child.as_mut().unwrap();
        let status = wait::try_until(STOP_TIMEOUT, || child.try_wait().expect("try_wait"));
        match status {
            Some(status) => {
                self.child = None;
                self.last_exit = Some(status);
            }
            None => {
                self.kill_child();
                panic!(
                    "mosquitto did not exit within {STOP_TIMEOUT:?} after SIGTERM; log:\n{}",
                    self.log()
                );
            }
        }
    }

    /// Crash: SIGKILL and wait. Nothing is persisted (autosave is off).
    pub fn kill(&mut self) {
        self.kill_child();
    }

    /// Starts the broker again after `stop()`/`kill()`: same port, config and persistence dir.
    pub fn start_again(&mut self) {
        assert!(
            !self.is_running(),
            "start_again: mosquitto is still running"
        );
        // Our own previous socket is closed; mosquitto sets SO_REUSEADDR, so TIME_WAIT
        // connections do not block the bind. A few retries cover a slow kernel cleanup.
        for _ in 0..5 {
            match self.spawn_and_wait() {
                StartOutcome::Ready => return,
                StartOutcome::AddressInUse => std::thread::sleep(Duration::from_millis(200)),
            }
        }
        panic!(
            "mosquitto could not re-bind port {}; log:\n{}",
            self.port,
            self.log()
        );
    }

    /// SIGHUP: reload config / password file. Existing connections are kept.
    pub fn reload(&self) {
        let pid = self.pid().expect("reload: mosquitto is not running");
        send_signal(pid, "HUP");
    }

    /// SIGUSR1: write the persistence DB now.
    pub fn save(&self) {
        let pid = self.pid().expect("save: mosquitto is not running");
        send_signal(pid, "USR1");
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill_child();
    }
}
