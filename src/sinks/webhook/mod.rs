//! The `webhook` sink: records are spooled durably under `{state_dir}/sinks/{name}/`
//! (`accept` returns once they are fsynced there, so their provider messages may be
//! acked), and one sender task drains the spool in order as HTTPS POSTs of JSON arrays.
//!
//! - Batches: up to `batch_max_events` records, waiting up to `batch_timeout` to fill.
//!   Each has the id `{spool id}-{segment}-{offset}` (where its first record lies in the
//!   spool), sent as `X-Vinstream-Batch-Id`; a batch that is retried, also after a
//!   restart or SIGKILL, keeps its id and its exact records, so receivers can dedup.
//! - `X-Vinstream-Signature: sha256=<hex HMAC-SHA256(secret, body)>` over the body as
//!   sent (after gzip when `compression = "gzip"`).
//! - Connection errors, timeouts, 5xx (and 1xx/3xx), and the 4xx that say the endpoint
//!   or its credentials are wrong or busy rather than the batch (401, 403, 404, 405, 407,
//!   408, 410, 421, 425, 429: see `http::endpoint_status`): retried forever with jittered
//!   exponential backoff (0.5 s doubling to 60 s), or after Retry-After. While such a 4xx
//!   lasts, `problem()` names it (so `/readyz` is 503): the operator fixes the endpoint or
//!   the config (reload), and the batch, kept in the spool, goes out.
//! - Other 4xx (400, 413, 422, …: the batch itself is refused): the batch is written to
//!   `rejected.jsonl` (with the status and response), counted in
//!   `vinstream_sink_rejected_total`, and the sender moves on. `rejected.jsonl` and
//!   `rejected.jsonl.1` together stay under `rejected_max_bytes`: the older file is
//!   dropped when the newer is full, its batches counted in
//!   `vinstream_sink_rejected_dropped_total`.
//! - When the spool reaches `buffer_max_bytes`, `accept` refuses (the pipeline retries
//!   and holds the acks: backpressure, never a drop) and `problem()` says so.
//! - One spool, one owner: the spool is `flock`ed (see `spool`). A second daemon on the
//!   same `state_dir` fails to start, naming the spool. A reload that changes the sink
//!   builds the new instance while the old one still runs: the new one opens the spool
//!   only once the pipeline has switched to it and the old one is closed (its sender
//!   stopped, its lock released); until then its `accept` waits (up to
//!   [`HANDOVER_WAIT`], then fails and the pipeline retries). The batch the old one had
//!   in flight is in the cursor, so the new one resends it under the same batch id.

mod frame;
mod http;
mod layout;
mod sender;
mod shared;
#[cfg(test)]
mod sink_tests;
mod spool;
#[cfg(test)]
mod tests;

pub mod config;
use super::sink::{Sink, SinkError};
use crate::config::Problems;
use crate::record::Record;
use async_trait::async_trait;
use config::WebhookSinkConfig;
pub use shared::HANDOVER_WAIT;
use shared::{open_spool, Shared};
use spool::{AppendError, OpenError, Spool};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};
use tracing::{info, warn};

/// How long `close` lets the sender flush what is spooled (it stays safe there anyway),
/// while the endpoint answers.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// How long `close` waits for the sender to leave the spool before unlocking it anyway
/// (the spool itself refuses writes after that).
const SENDER_STOP: Duration = Duration::from_secs(5);

pub struct WebhookSink {
    shared: Arc<Shared>,
    /// Dropping this (with the sink, or in `close`) stops the sender task.
    stop: Mutex<Option<watch::Sender<()>>>,
    sender: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Bytes of the last batch refused for want of room (0: none refused since).
    refused: AtomicU64,
}

/// Everything `build` would refuse, without touching the spool or the network: `check`
/// runs this, so a config it passes does not fail at `run`.
pub fn check_config(config: &WebhookSinkConfig) -> Result<(), String> {
    if config.batch_max_events == 0 {
        return Err("batch_max_events: must be at least 1".into());
    }
    if config.buffer_max_bytes.0 == 0 {
        return Err("buffer_max_bytes: must be more than 0".into());
    }
    if config.timeout.0.is_zero() {
        return Err("timeout: must be more than 0".into());
    }
    if config.rejected_max_bytes.0 == 0 {
        return Err("rejected_max_bytes: must be more than 0".into());
    }
    http::Endpoint::new(config).map(drop)
}

/// Report what `build` would refuse (see the registry in `sinks/mod.rs`).
pub fn check(config: &WebhookSinkConfig, p: &mut Problems) {
    if let Err(m) = check_config(config) {
        p.report(m);
    }
}

pub async fn build(
    name: &str,
    config: &WebhookSinkConfig,
    state_dir: &Path,
) -> Result<Arc<dyn Sink>, String> {
    check_config(config)?;
    let endpoint = http::Endpoint::new(config)?;
    let dir = state_dir.join("sinks").join(name);
    let limit = config.buffer_max_bytes.0;
    let spool = match open_spool(&dir, limit).await {
        Ok(spool) => {
            info!(sink = name, endpoint = %endpoint.shown, spooled_bytes = spool.size(),
                "webhook sink ready");
            Some(spool)
        }
        Err(OpenError::HeldHere) => {
            info!(sink = name, endpoint = %endpoint.shown, spool = %dir.display(),
                "webhook sink ready; it takes the spool over once the previous instance has closed");
            None
        }
        Err(e) => return Err(format!("spool {}: {e}", dir.display())),
    };
    let (stop_tx, stop_rx) = watch::channel(());
    let shared = Arc::new(Shared {
        name: name.to_string(),
        dir,
        limit,
        spool: OnceLock::new(),
        opened: watch::Sender::new(false),
        endpoint,
        rejected_max_bytes: config.rejected_max_bytes.0,
        batch_max: config.batch_max_events,
        batch_timeout: config.batch_timeout.0,
        wake: Notify::new(),
        closing: AtomicBool::new(false),
        last_error: Mutex::new(None),
        attention: Mutex::new(None),
        rejected_batches: AtomicU64::new(0),
    });
    if let Some(spool) = spool {
        let _ = shared.spool.set(Arc::new(spool));
        shared.opened.send_replace(true);
    }
    let task = tokio::spawn(sender::run(shared.clone(), stop_rx));
    Ok(Arc::new(WebhookSink {
        shared,
        stop: Mutex::new(Some(stop_tx)),
        sender: Mutex::new(Some(task)),
        refused: AtomicU64::new(0),
    }))
}

impl WebhookSink {
    /// The spool, waiting (up to [`HANDOVER_WAIT`]) for a hand-over in progress.
    async fn spool(&self) -> Result<Arc<Spool>, SinkError> {
        if let Some(s) = self.shared.spool.get() {
            return Ok(s.clone());
        }
        let mut opened = self.shared.opened.subscribe();
        let _ = tokio::time::timeout(HANDOVER_WAIT, opened.wait_for(|&o| o)).await;
        self.shared.spool.get().cloned().ok_or_else(|| {
            SinkError::Other(format!(
                "the spool {} is still held by this sink's previous instance (reload hand-over)",
                self.shared.dir.display()
            ))
        })
    }
}

#[async_trait]
impl Sink for WebhookSink {
    fn name(&self) -> &str {
        &self.shared.name
    }

    async fn accept(&self, batch: &[Arc<Record>]) -> Result<(), SinkError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut frames = Vec::with_capacity(batch.len() * 512);
        let mut json = Vec::with_capacity(2048);
        for r in batch {
            json.clear();
            r.write_json_line(&mut json);
            json.pop(); // the newline: a frame holds the record alone
            frame::encode(&mut frames, &json);
        }
        let spool = self.spool().await?;
        let appended = tokio::task::spawn_blocking(move || spool.append(&frames))
            .await
            .map_err(|e| SinkError::Other(format!("spool append: {e}")))?;
        match appended {
            Ok(()) => {
                if self.refused.swap(0, Ordering::SeqCst) > 0 {
                    info!(sink = %self.shared.name, "webhook spool has room again; accepting records");
                }
                self.shared.wake.notify_one();
                Ok(())
            }
            Err(AppendError::Full { used, need, limit }) => {
                let why = self
                    .shared
                    .last_error()
                    .map(|e| format!(" (endpoint: {e})"))
                    .unwrap_or_default();
                if self.refused.swap(need, Ordering::SeqCst) == 0 {
                    warn!(sink = %self.shared.name, used, limit,
                        "webhook spool full; holding acks until the endpoint takes records{why}");
                }
                Err(SinkError::Other(format!(
                    "spool full: {used} of {limit} bytes wait for the endpoint{why}"
                )))
            }
            Err(AppendError::Io(e)) => Err(SinkError::Other(format!(
                "cannot write the spool in {}: {e}",
                self.shared.dir.display()
            ))),
        }
    }

    /// Flush what the endpoint takes within [`CLOSE_GRACE`], then stop the sender and
    /// release the spool: after this, a new instance (a reload) may own it.
    async fn close(&self) -> Result<(), SinkError> {
        self.shared.closing.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
        let deadline = Instant::now() + CLOSE_GRACE;
        if let Some(spool) = self.shared.spool.get() {
            while spool.size() > 0
                && Instant::now() < deadline
                && self.shared.last_error().is_none()
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        drop(self.stop.lock().unwrap_or_else(|p| p.into_inner()).take());
        let task = self.sender.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            if tokio::time::timeout(SENDER_STOP, task).await.is_err() {
                warn!(sink = %self.shared.name, "webhook sender did not stop in time; releasing the spool anyway");
            }
        }
        if let Some(spool) = self.shared.spool.get() {
            let left = spool.size();
            let s = spool.clone();
            let _ = tokio::task::spawn_blocking(move || s.release()).await;
            if left > 0 {
                info!(sink = %self.shared.name, spooled_bytes = left,
                    "webhook records stay in the spool and are sent by the next instance");
            }
        }
        Ok(())
    }

    fn buffer_bytes(&self) -> u64 {
        match self.shared.spool.get() {
            Some(s) if s.is_open() => s.size(),
            _ => 0,
        }
    }

    fn store(&self) -> Option<&Path> {
        Some(&self.shared.dir)
    }

    fn problem(&self) -> Option<String> {
        let Some(spool) = self.shared.spool.get() else {
            return Some(format!(
                "waiting for the previous instance to hand over the spool {}",
                self.shared.dir.display()
            ));
        };
        if let Some(a) = self.shared.attention() {
            return Some(a);
        }
        let need = self.refused.load(Ordering::SeqCst);
        let size = spool.size();
        // Not full (any more) once the refused batch would fit.
        if need == 0 || size == 0 || size + need <= spool.limit() {
            return None;
        }
        let why = self
            .shared
            .last_error()
            .map(|e| format!("; endpoint: {e}"))
            .unwrap_or_default();
        Some(format!(
            "spool full ({size} of {} bytes){why}",
            spool.limit()
        ))
    }
}
