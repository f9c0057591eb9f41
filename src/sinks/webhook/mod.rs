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
//! - Connection errors, timeouts, 408, 429, 5xx (and 1xx/3xx): retried forever with
//!   jittered exponential backoff (0.5 s doubling to 60 s), or after Retry-After.
//!   Other 4xx: the batch is written to `rejected.jsonl` (with the status and response)
//!   and the sender moves on.
//! - When the spool reaches `buffer_max_bytes`, `accept` refuses (the pipeline retries
//!   and holds the acks: backpressure, never a drop) and `problem()` says so.

mod frame;
mod http;
mod layout;
mod sender;
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
use spool::{AppendError, Spool};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};
use tracing::{info, warn};

/// How long `close` lets the sender flush what is spooled (it stays safe there anyway).
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// What `accept`, the sender task and `close` share.
struct Shared {
    name: String,
    spool: Arc<Spool>,
    endpoint: http::Endpoint,
    batch_max: usize,
    batch_timeout: Duration,
    /// Wakes the sender: records were appended, or the sink is closing.
    wake: Notify,
    /// Closing: send what is spooled without waiting for a batch to fill.
    closing: AtomicBool,
    /// Why the endpoint fails right now, if it does.
    last_error: Mutex<Option<String>>,
    rejected_batches: AtomicU64,
}

impl Shared {
    fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_last_error(&self, e: Option<String>) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = e;
    }
}

pub struct WebhookSink {
    shared: Arc<Shared>,
    /// Dropping the sink drops this, which stops the sender task.
    _stop: watch::Sender<()>,
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
    let spool = {
        let d = dir.clone();
        tokio::task::spawn_blocking(move || Spool::open(&d, limit))
            .await
            .map_err(|e| format!("spool: {e}"))?
            .map_err(|e| format!("spool {}: {e}", dir.display()))?
    };
    info!(sink = name, endpoint = %endpoint.shown, spooled_bytes = spool.size(),
        "webhook sink ready");
    let (stop_tx, stop_rx) = watch::channel(());
    let shared = Arc::new(Shared {
        name: name.to_string(),
        spool: Arc::new(spool),
        endpoint,
        batch_max: config.batch_max_events,
        batch_timeout: config.batch_timeout.0,
        wake: Notify::new(),
        closing: AtomicBool::new(false),
        last_error: Mutex::new(None),
        rejected_batches: AtomicU64::new(0),
    });
    tokio::spawn(sender::run(shared.clone(), stop_rx));
    Ok(Arc::new(WebhookSink {
        shared,
        _stop: stop_tx,
        refused: AtomicU64::new(0),
    }))
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
        let spool = self.shared.spool.clone();
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
                self.shared.spool.dir().display()
            ))),
        }
    }

    async fn close(&self) -> Result<(), SinkError> {
        self.shared.closing.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
        let deadline = Instant::now() + CLOSE_GRACE;
        while self.shared.spool.size() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let left = self.shared.spool.size();
        if left > 0 {
            info!(sink = %self.shared.name, spooled_bytes = left,
                "webhook records stay in the spool and are sent after the next start");
        }
        Ok(())
    }

    fn buffer_bytes(&self) -> u64 {
        self.shared.spool.size()
    }

    fn problem(&self) -> Option<String> {
        let need = self.refused.load(Ordering::SeqCst);
        let size = self.shared.spool.size();
        // Not full (any more) once the refused batch would fit.
        if need == 0 || size == 0 || size + need <= self.shared.spool.limit() {
            return None;
        }
        let why = self
            .shared
            .last_error()
            .map(|e| format!("; endpoint: {e}"))
            .unwrap_or_default();
        Some(format!(
            "spool full ({size} of {} bytes){why}",
            self.shared.spool.limit()
        ))
    }
}
