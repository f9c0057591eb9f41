//! Tests of the `webhook` sink end to end: real Mosquitto (mTLS, persistence), the built
//! binary with a webhook sink, a real MQTT publisher, and a loopback HTTP endpoint that
//! answers 200, 503, 429 + Retry-After, 400 or nothing, as each test needs.
//!
//! - `delivery`: outages, signatures, gzip, timeouts, Retry-After, permanent refusals.
//! - `durability`: SIGKILL with a spooled backlog, a full spool, HTTPS and restarts.
//! - `handover`: a reload that changes the sink (records flowing, endpoint down), and a
//!   second daemon on the same spool.

mod delivery;
mod durability;
mod handover;

use crate::support::configs;
use crate::support::daemon::Daemon;
use crate::support::http_server::{check_batches, summary, HttpServer, Request};
use crate::support::mosquitto::{free_port, Mosquitto, MosquittoOptions};
use crate::support::pki::{self, Pki};
use crate::support::publisher::Publisher;
use crate::support::rig::numbered_message as message;
use crate::support::wait;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

const APP: &str = "00000000-0000-0000-0000-000000000000";
const CLIENT_ID: &str = "vinstream-webhook";
const T: Duration = Duration::from_secs(40);
const SECRET: &str = "hook-secret-5d1f";
const TOKEN: &str = "hook-token-9c2e";

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_vinstream"))
}

struct Setup {
    dir: tempfile::TempDir,
    pki: Pki,
    broker: Mosquitto,
    server: HttpServer,
    /// `daemon.admin_listen` port: /metrics and /readyz.
    admin: u16,
}

impl Setup {
    async fn new() -> Setup {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let pki = pki::generate(&dir.path().join("pki"));
        // debug logging: the broker logs every PUBACK it gets from the daemon
        let broker = Mosquitto::start(
            &pki,
            MosquittoOptions {
                extra_config: "log_type debug\n".into(),
                ..MosquittoOptions::default()
            },
        );
        let server = HttpServer::start().await;
        Setup {
            dir,
            pki,
            broker,
            server,
            admin: free_port(),
        }
    }

    fn spool_dir(&self) -> PathBuf {
        self.dir.path().join("state/sinks/hook")
    }

    /// Bytes of the spool's segment files.
    /// `vinstream_sink_buffer_bytes{sink="hook"}` from /metrics, if served yet.
    async fn buffer_metric(&self) -> Option<u64> {
        let url = format!("http://127.0.0.1:{}/metrics", self.admin);
        let text = reqwest::get(url).await.ok()?.text().await.ok()?;
        text.lines()
            .find_map(|l| l.strip_prefix(r#"vinstream_sink_buffer_bytes{sink="hook"} "#))
            .and_then(|v| v.trim().parse().ok())
    }

    /// A `{sink="hook"}` series from /metrics, if served (`None` also when absent).
    async fn metric(&self, name: &str) -> Option<u64> {
        let url = format!("http://127.0.0.1:{}/metrics", self.admin);
        let text = reqwest::get(url).await.ok()?.text().await.ok()?;
        let prefix = format!(r#"{name}{{sink="hook"}} "#);
        text.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .and_then(|v| v.trim().parse().ok())
    }

    /// /readyz: status and body.
    async fn readyz(&self) -> (u16, String) {
        let url = format!("http://127.0.0.1:{}/readyz", self.admin);
        let resp = reqwest::get(url).await.expect("GET /readyz");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    fn spool_bytes(&self) -> u64 {
        std::fs::read_dir(self.spool_dir())
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".seg"))
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Messages the daemon has acknowledged to the broker.
    fn acks(&self) -> usize {
        self.broker
            .log()
            .matches(&format!("Received PUBACK from {CLIENT_ID}"))
            .count()
    }

    fn config(&self, url: &str, sink: &str) -> String {
        let daemon = format!(
            "admin_listen = \"127.0.0.1:{admin}\"\nlog_level = \"info,vinstream=debug\"\n\
             shutdown_timeout = \"10s\"",
            admin = self.admin
        );
        let session = "keep_alive = \"5s\"\nreceive_maximum = 32";
        configs::daemon(&self.dir.path().join("state"), &daemon)
            + &configs::hm_v2(self.broker.port(), &self.pki, APP, CLIENT_ID, "", session)
            + &format!("\n[sinks.hook]\ntype = \"webhook\"\nurl = \"{url}\"\n{sink}\n")
    }

    fn daemon(&self, sink: &str) -> Daemon {
        self.daemon_at(&self.server.url(), sink)
    }

    fn daemon_at(&self, url: &str, sink: &str) -> Daemon {
        let mut cmd = Daemon::command(bin(), self.dir.path());
        cmd.env("HOOK_SECRET", SECRET).env("HOOK_TOKEN", TOKEN);
        let d = Daemon::start_command(cmd, &self.config(url, sink), self.dir.path());
        d.wait_stderr("subscribed", T);
        d
    }

    async fn publish(&self, range: std::ops::Range<usize>) {
        let p = Publisher::connect_v5(self.broker.port(), &self.pki).await;
        p.publish_all(range.map(message)).await;
        p.disconnect().await;
    }
}

fn ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("hm:msg-{i:05}")).collect()
}

fn hmac_hex(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn rejected_lines(s: &Setup) -> Vec<Value> {
    std::fs::read_to_string(s.spool_dir().join("rejected.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("rejected.jsonl line is JSON"))
        .collect()
}

/// No record went out under two different batch ids (over every request, answered or
/// not), and each batch id always carried the same records; returns the delivered ids.
fn one_batch_id_per_record(requests: &[Request]) -> Vec<String> {
    let mut by_record: HashMap<String, HashSet<String>> = HashMap::new();
    for r in requests {
        for id in r.record_ids() {
            by_record
                .entry(id)
                .or_default()
                .insert(r.batch_id.clone().unwrap_or_default());
        }
    }
    let twice: Vec<_> = by_record.iter().filter(|(_, b)| b.len() > 1).collect();
    assert!(
        twice.is_empty(),
        "records sent under different batch ids: {twice:?}\n{}",
        summary(requests)
    );
    check_batches(requests)
}

async fn wait_spool_empty(s: &Setup) {
    wait::until_async_sync("the spool to drain", T, || {
        (s.spool_bytes() == 0).then_some(())
    })
    .await;
}
