//! Sinks: where records go. `accept` returning Ok means "durable from my side" (written
//! and flushed, spooled, or acknowledged by the remote); only then is a message acked.

pub mod stdout;

use crate::config::SinkConfig;
use crate::record::Record;
use async_trait::async_trait;
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
}

pub fn build(name: &str, config: &SinkConfig) -> Result<Arc<dyn Sink>, String> {
    match config {
        SinkConfig::Stdout(_) => Ok(Arc::new(stdout::StdoutSink::new(name))),
    }
}
