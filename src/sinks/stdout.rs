//! JSON Lines on stdout, one write and one flush per batch. Logs never go here.

use super::{Sink, SinkError};
use crate::record::Record;
use async_trait::async_trait;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

pub struct StdoutSink {
    name: String,
    out: Mutex<tokio::io::Stdout>,
}

impl StdoutSink {
    pub fn new(name: &str) -> StdoutSink {
        StdoutSink {
            name: name.to_string(),
            out: Mutex::new(tokio::io::stdout()),
        }
    }
}

#[async_trait]
impl Sink for StdoutSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn accept(&self, batch: &[Arc<Record>]) -> Result<(), SinkError> {
        let mut buf = Vec::with_capacity(batch.len() * 512);
        for r in batch {
            buf.extend_from_slice(&r.to_json_line());
        }
        let mut out = self.out.lock().await;
        out.write_all(&buf).await?;
        out.flush().await?;
        Ok(())
    }
}
