//! The `postgres` sink (SPEC.md §6): every signal a row of `signals`, every record a row
//! of `records`, the newest value of each path of each vehicle in `latest`. A batch is
//! one transaction and counts as accepted once it committed; unique keys make a
//! redelivered record add no row. See docs/postgres.md for the tables and queries.
//!
//! - `url.rs`: the URL and TLS modes, read without connecting (`vinstream check`).
//! - `schema.rs`: the tables, created or checked on every connect.
//! - `rows.rs`: a record as rows, so that no value can make the server refuse a batch.
//! - `write.rs`, `copy.rs`: the transaction of a batch (records claim, binary COPY,
//!   `latest` upsert) and its rows.
//! - `link.rs`: the task owning the connection: reconnects, backoff, batching.

pub mod config;
mod copy;
mod link;
pub mod rows;
pub mod schema;
pub mod url;
mod write;

use super::sink::{Sink, SinkError};
use crate::config::Problems;
use crate::record::Record;
use async_trait::async_trait;
use config::PostgresSinkConfig;
use link::{Request, Settings, Status, Verdict};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// How long `build` waits for the first connection before it lets the daemon start
/// anyway (the database being down is no reason not to start; a schema that does not
/// fit is, since no retry fixes it).
const FIRST_VERDICT: Duration = Duration::from_secs(3);

pub struct PostgresSink {
    name: String,
    tx: mpsc::Sender<Request>,
    status: Arc<Status>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// Checks the settings without connecting (for `vinstream check`).
pub fn check_config(config: &PostgresSinkConfig) -> Result<url::Target, String> {
    let target = url::parse(config.url.expose())?;
    schema::check_name(&config.schema)?;
    if config.batch_max_rows == 0 {
        return Err("batch_max_rows: must be at least 1".into());
    }
    Ok(target)
}

/// Report what `build` would refuse (see the registry in `sinks/mod.rs`).
pub fn check(config: &PostgresSinkConfig, p: &mut Problems) {
    if let Err(m) = check_config(config) {
        p.report(m);
    }
}

pub async fn build(
    name: &str,
    config: &PostgresSinkConfig,
    state_dir: &Path,
) -> Result<Arc<dyn Sink>, String> {
    let _ = state_dir; // the database is the durable store: nothing is kept locally.
    Ok(Arc::new(PostgresSink::open(name, config).await?))
}

impl PostgresSink {
    pub async fn open(name: &str, config: &PostgresSinkConfig) -> Result<PostgresSink, String> {
        let target = check_config(config)?;
        target.rustls()?;
        let (tx, rx) = mpsc::channel(16);
        let status = Arc::new(Status::new());
        let mut verdict = status.verdict.subscribe();
        let settings = Settings {
            name: name.to_string(),
            target,
            schema: config.schema.clone(),
            max_rows: config.batch_max_rows,
            linger: config.batch_timeout.0,
        };
        let task = link::spawn(settings, rx, status.clone());
        let first =
            tokio::time::timeout(FIRST_VERDICT, verdict.wait_for(|v| *v != Verdict::Waiting)).await;
        if let Ok(Ok(v)) = first {
            if let Verdict::Mismatch(m) = &*v {
                task.abort();
                return Err(format!("schema: {m}"));
            }
        }
        Ok(PostgresSink {
            name: name.to_string(),
            tx,
            status,
            task: Mutex::new(Some(task)),
        })
    }
}

#[async_trait]
impl Sink for PostgresSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn accept(&self, batch: &[Arc<Record>]) -> Result<(), SinkError> {
        if batch.is_empty() {
            return Ok(());
        }
        let (done, answer) = oneshot::channel();
        let request = Request {
            records: batch.to_vec(),
            done,
        };
        self.status.arriving.fetch_add(1, Ordering::SeqCst);
        let sent = self.tx.send(request).await;
        if sent.is_err() {
            self.status.arriving.fetch_sub(1, Ordering::SeqCst);
            return Err(SinkError::Other("the PostgreSQL sink has stopped".into()));
        }
        match answer.await {
            Ok(result) => result.map_err(SinkError::Other),
            Err(_) => Err(SinkError::Other("the PostgreSQL sink has stopped".into())),
        }
    }

    async fn close(&self) -> Result<(), SinkError> {
        // Every accepted batch is committed already: nothing to flush.
        if let Some(task) = self.task.lock().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
        Ok(())
    }

    fn problem(&self) -> Option<String> {
        self.status.problem()
    }
}

impl Drop for PostgresSink {
    fn drop(&mut self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests;
