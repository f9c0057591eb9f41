//! What every sink is to the pipeline: the [`Sink`] trait, its error, and the parts of a
//! batch a sink can refuse for good. Apart from the registry in `mod.rs` so that each
//! sink's folder depends on this file and the registry on the folders, never both ways.

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
