//! Sinks: where records go. `accept` returning Ok means "durable from my side" (written
//! and flushed, spooled, or acknowledged by the remote); only then is a message acked.

pub mod cumulocity;
pub mod file;
mod mqtt_out;
pub mod nats;
pub mod stdout;
pub mod thingsboard;
pub mod webhook;

use crate::config::SinkConfig;
use crate::record::Record;
use async_trait::async_trait;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

#[async_trait]
pub trait Sink: Send + Sync {
    fn name(&self) -> &str;
    /// Take a batch; Ok only once the records are durable from this sink's side.
    async fn accept(&self, batch: &[Arc<Record>]) -> Result<(), SinkError>;
    /// Called once on shutdown after the last batch.
    async fn close(&self) -> Result<(), SinkError> {
        Ok(())
    }
    /// SIGHUP: reopen files (logrotate moved them away).
    async fn reopen(&self) -> Result<(), SinkError> {
        Ok(())
    }
    /// Bytes waiting in a durable buffer (webhook spool), for `vinstream_sink_buffer_bytes`.
    fn buffer_bytes(&self) -> u64 {
        0
    }
    /// Where an accepted record waits durably for this sink to send it (the webhook
    /// spool). A new instance with the same store (a reload) sends what the old one
    /// accepted, so a batch the old one took is not handed to the new one again.
    fn store(&self) -> Option<&Path> {
        None
    }
    /// Why the sink cannot take records now, if so (for /readyz).
    fn problem(&self) -> Option<String> {
        None
    }
}

/// Build a sink; `state_dir` holds sinks' durable state under `sinks/{name}/`.
pub async fn build(
    name: &str,
    config: &SinkConfig,
    state_dir: &Path,
) -> Result<Arc<dyn Sink>, String> {
    match config {
        SinkConfig::Stdout(_) => Ok(Arc::new(stdout::StdoutSink::new(name))),
        SinkConfig::File(c) => file::build(name, c, state_dir).await,
        SinkConfig::Webhook(c) => webhook::build(name, c, state_dir).await,
        SinkConfig::Thingsboard(c) => thingsboard::build(name, c, state_dir).await,
        SinkConfig::Cumulocity(c) => cumulocity::build(name, c, state_dir).await,
        SinkConfig::Nats(c) => nats::build(name, c, state_dir).await,
    }
}
