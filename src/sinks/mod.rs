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

/// Part of a record a sink can never deliver, however often it is retried (a value larger
/// than the platform's packet limit, a VIN the platform cannot name). The pipeline writes
/// it to the dead letter before the acks, so nothing is acked without a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub vin: String,
    /// Where it would have gone (an MQTT topic).
    pub topic: String,
    /// What would have been sent, or the record, as text.
    pub payload: String,
    pub reason: String,
}

#[async_trait]
pub trait Sink: Send + Sync {
    fn name(&self) -> &str;
    /// Take a batch; Ok only once the records are durable from this sink's side.
    async fn accept(&self, batch: &[Arc<Record>]) -> Result<(), SinkError>;
    /// Take a batch as [`Sink::accept`] does, and say what of it the sink refused for
    /// good. The pipeline calls this one; sinks that can refuse parts override it.
    async fn accept_refusing(&self, batch: &[Arc<Record>]) -> Result<Vec<Refusal>, SinkError> {
        self.accept(batch).await.map(|()| Vec::new())
    }
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
    /// Why the sink cannot take records now, if so (for /readyz).
    fn problem(&self) -> Option<String> {
        None
    }
}

/// What building the sink would refuse, found without opening anything: `check` and
/// config loading run it, so `run` does not fail on a config that `check` passed.
pub fn check_config(config: &SinkConfig) -> Result<(), String> {
    match config {
        SinkConfig::Stdout(_) | SinkConfig::File(_) => Ok(()),
        SinkConfig::Webhook(c) => webhook::check_config(c),
        SinkConfig::Thingsboard(c) => thingsboard::check_config(c),
        SinkConfig::Cumulocity(c) => cumulocity::check_config(c),
        SinkConfig::Nats(c) => nats::check_config(c),
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
