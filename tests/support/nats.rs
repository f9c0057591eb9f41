//! nats-server with JetStream as a child process (`nats-server -js -sd <dir> -a 127.0.0.1
//! -p <free port>`), never the system one on 4222; `stop`/`start_again` keep the port and
//! the JetStream store, so streams survive a restart. Plus helpers that read a stream back
//! with async-nats: every message's sequence, subject, `Nats-Msg-Id` and payload.
#![allow(dead_code)]

use std::fs::{self, OpenOptions};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::mosquitto::free_port;
use super::wait;

pub const NATS_BIN: &str = "/usr/sbin/nats-server";
pub const START_TIMEOUT: Duration = Duration::from_secs(15);
pub const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// TLS for the client port: the server presents `cert`/`key` (clients verify it).
#[derive(Debug, Clone)]
pub struct NatsTls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub struct NatsServer {
    dir: tempfile::TempDir,
    store: PathBuf,
    log_path: PathBuf,
    port: u16,
    tls: Option<NatsTls>,
    child: Option<Child>,
}

impl NatsServer {
    /// A JetStream server on a fresh port with its own store. Panics (with the server log)
    /// if it is not ready within 15 s.
    pub fn start() -> NatsServer {
        Self::start_with(None)
    }

    /// Same, with TLS on the client port.
    pub fn start_tls(tls: NatsTls) -> NatsServer {
        Self::start_with(Some(tls))
    }

    fn start_with(tls: Option<NatsTls>) -> NatsServer {
        let dir = tempfile::Builder::new()
            .prefix("vinstream-nats-")
            .tempdir()
            .expect("tempdir");
        let store = dir.path().join("jetstream");
        fs::create_dir_all(&store).expect("create store dir");
        let log_path = dir.path().join("nats-server.log");
        let mut s = NatsServer {
            dir,
            store,
            log_path,
            port: 0,
            tls,
            child: None,
        };
        for _ in 0..5 {
            s.port = free_port();
            if s.spawn_and_wait() {
                return s;
            }
        }
        panic!(
            "nats-server: no free port after 5 attempts; log:\n{}",
            s.log()
        );
    }

    fn spawn_and_wait(&mut self) -> bool {
        assert!(self.child.is_none(), "nats-server already running");
        let mark = self.log_mark();
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open nats-server.log");
        let mut cmd = Command::new(NATS_BIN);
        cmd.arg("-js")
            .arg("-sd")
            .arg(&self.store)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-n", &format!("vinstream-test-{}", self.port)]);
        if let Some(tls) = &self.tls {
            cmd.arg("--tls")
                .arg("--tlscert")
                .arg(&tls.cert)
                .arg("--tlskey")
                .arg(&tls.key);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {NATS_BIN}: {e}"));
        self.child = Some(child);
        let port = self.port;
        let ready = wait::until("nats-server to be ready", START_TIMEOUT, || {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().expect("try_wait") {
                self.child = None;
                let log = self.log_since(mark);
                if log.contains("address already in use") {
                    return Some(false);
                }
                panic!("nats-server exited during startup ({status}); log:\n{log}");
            }
            let up = self.log_since(mark).contains("Server is ready")
                && TcpStream::connect(("127.0.0.1", port)).is_ok();
            up.then_some(true)
        });
        ready
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `nats://127.0.0.1:{port}` (`tls://` with TLS).
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "tls" } else { "nats" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    pub fn store_dir(&self) -> &Path {
        &self.store
    }

    pub fn log(&self) -> String {
        self.log_since(0)
    }

    pub fn log_mark(&self) -> u64 {
        fs::metadata(&self.log_path).map(|m| m.len()).unwrap_or(0)
    }

    pub fn log_since(&self, mark: u64) -> String {
        let bytes = fs::read(&self.log_path).unwrap_or_default();
        let start = (mark as usize).min(bytes.len());
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }

    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            None => false,
            Some(c) => match c.try_wait().expect("try_wait") {
                None => true,
                Some(_) => {
                    self.child = None;
                    false
                }
            },
        }
    }

    /// Graceful stop: SIGTERM, then wait for the exit. No-op if not running.
    pub fn stop(&mut self) {
        let Some(child) = self.child.as_mut() else {
            return;
        };
        let pid = child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(
            sent.map(|s| s.success()).unwrap_or(false),
            "kill -TERM {pid}"
        );
        let exited = wait::try_until(STOP_TIMEOUT, || child.try_wait().expect("try_wait"));
        if exited.is_none() {
            self.kill();
            panic!(
                "nats-server did not exit within {STOP_TIMEOUT:?} after SIGTERM; log:\n{}",
                self.log()
            );
        }
        self.child = None;
    }

    /// Crash: SIGKILL and wait.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start again after `stop`/`kill`: same port, same store (streams and their messages
    /// survive).
    pub fn start_again(&mut self) {
        assert!(
            !self.is_running(),
            "start_again: nats-server is still running"
        );
        for _ in 0..10 {
            if self.spawn_and_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200)); // the old socket lingers
        }
        panic!(
            "nats-server could not re-bind port {}; log:\n{}",
            self.port,
            self.log()
        );
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One message of a stream as stored.
#[derive(Debug, Clone)]
pub struct Stored {
    pub sequence: u64,
    pub subject: String,
    /// The `Nats-Msg-Id` header ("" when absent).
    pub msg_id: String,
    pub payload: Vec<u8>,
}

impl Stored {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.payload).unwrap_or_else(|e| {
            panic!(
                "message {} is not JSON ({e}): {:?}",
                self.sequence,
                String::from_utf8_lossy(&self.payload)
            )
        })
    }
}

/// A plain client (no TLS) for reading streams back.
pub async fn client(url: &str) -> async_nats::Client {
    async_nats::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

/// How many messages the stream holds (0 when it does not exist yet).
/// Creates the stream `name` over `vehicles.>`, where the tests' subject templates fall.
pub async fn create_vehicles_stream(js: &async_nats::jetstream::Context, name: &str) {
    js.create_stream(async_nats::jetstream::stream::Config {
        name: name.into(),
        subjects: vec!["vehicles.>".into()],
        ..Default::default()
    })
    .await
    .expect("create the stream");
}

pub async fn stream_len(js: &async_nats::jetstream::Context, stream: &str) -> u64 {
    match js.get_stream(stream).await {
        Ok(mut s) => s.info().await.map(|i| i.state.messages).unwrap_or(0),
        Err(_) => 0,
    }
}

/// Every message of the stream, in sequence order.
pub async fn stream_messages(js: &async_nats::jetstream::Context, stream: &str) -> Vec<Stored> {
    let mut s = js
        .get_stream(stream)
        .await
        .unwrap_or_else(|e| panic!("stream {stream}: {e}"));
    let state = s.info().await.expect("stream info").state.clone();
    let mut out = Vec::with_capacity(state.messages as usize);
    if state.messages == 0 {
        return out;
    }
    for seq in state.first_sequence..=state.last_sequence {
        let m = match s.get_raw_message(seq).await {
            Ok(m) => m,
            Err(e) if e.to_string().contains("not found") => continue, // deleted
            Err(e) => panic!("stream {stream} message {seq}: {e}"),
        };
        let msg_id = m
            .headers
            .get("Nats-Msg-Id")
            .map(|v| v.as_str().to_string())
            .unwrap_or_default();
        out.push(Stored {
            sequence: m.sequence,
            subject: m.subject.to_string(),
            msg_id,
            payload: m.payload.to_vec(),
        });
    }
    out
}
