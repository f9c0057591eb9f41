//! What the sink's handle (`accept`, `close`) and its sender task share: the spool once
//! owned, the endpoint, the batch settings and the state `problem()` reports. Its own
//! module so that the sender does not import the sink that starts it.

use super::http;
use super::spool::{OpenError, Spool};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// How long `accept` on a new instance waits for the old one to hand the spool over.
pub const HANDOVER_WAIT: Duration = Duration::from_secs(5);

/// What `accept`, the sender task and `close` share.
pub(super) struct Shared {
    pub(super) name: String,
    /// The spool directory (`{state_dir}/sinks/{name}`).
    pub(super) dir: PathBuf,
    pub(super) limit: u64,
    /// Set once this instance owns the spool: at build, or after a hand-over.
    pub(super) spool: OnceLock<Arc<Spool>>,
    /// True once `spool` is set.
    pub(super) opened: watch::Sender<bool>,
    pub(super) endpoint: http::Endpoint,
    pub(super) rejected_max_bytes: u64,
    pub(super) batch_max: usize,
    pub(super) batch_timeout: Duration,
    /// Wakes the sender: records were appended, or the sink is closing.
    pub(super) wake: Notify,
    /// Closing: send what is spooled without waiting for a batch to fill.
    pub(super) closing: AtomicBool,
    /// Why the endpoint fails right now, if it does.
    pub(super) last_error: Mutex<Option<String>>,
    /// What an operator must fix (the endpoint answers 401, 404, …), for `problem()`.
    pub(super) attention: Mutex<Option<String>>,
    pub(super) rejected_batches: AtomicU64,
}

impl Shared {
    /// The spool; only the sender calls this, after it has it.
    pub(super) fn spool(&self) -> &Arc<Spool> {
        self.spool.get().expect("the sender owns the spool")
    }

    pub(super) fn set_attention(&self, e: Option<String>) {
        *self.attention.lock().unwrap_or_else(|p| p.into_inner()) = e;
    }

    pub(super) fn attention(&self) -> Option<String> {
        self.attention
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(super) fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(super) fn set_last_error(&self, e: Option<String>) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = e;
    }
}

pub(super) async fn open_spool(dir: &Path, limit: u64) -> Result<Spool, OpenError> {
    let d = dir.to_path_buf();
    tokio::task::spawn_blocking(move || Spool::open(&d, limit))
        .await
        .map_err(|e| OpenError::Io(std::io::Error::other(e)))?
}
