//! JSON Lines on stdout, one write and one flush per batch. Logs never go here.
//!
//! The batch is serialized into one buffer (no allocation per record) and written with
//! the standard library's stdout, locked once per batch. On a multi-threaded runtime the
//! write runs under `block_in_place` (a full pipe must not stall the other tasks), which
//! saves the hand-off to tokio's blocking pool that `tokio::io::stdout` makes per write.

use super::{Sink, SinkError};
use crate::record::Record;
use async_trait::async_trait;
use std::io::Write;
use std::sync::Arc;
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::Mutex;

pub struct StdoutSink {
    name: String,
    /// Serializes batches (and reuses one buffer between them).
    buf: Mutex<Vec<u8>>,
}

impl StdoutSink {
    pub fn new(name: &str) -> StdoutSink {
        StdoutSink {
            name: name.to_string(),
            buf: Mutex::new(Vec::new()),
        }
    }
}

fn write_out(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

#[async_trait]
impl Sink for StdoutSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn accept(&self, batch: &[Arc<Record>]) -> Result<(), SinkError> {
        let mut buf = self.buf.lock().await;
        buf.clear();
        for r in batch {
            r.write_json_line(&mut buf);
        }
        let multi_thread =
            Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
        if multi_thread {
            tokio::task::block_in_place(|| write_out(&buf))?;
        } else {
            let bytes = std::mem::take(&mut *buf);
            let (result, bytes) = tokio::task::spawn_blocking(move || (write_out(&bytes), bytes))
                .await
                .map_err(|e| SinkError::Other(format!("stdout writer: {e}")))?;
            *buf = bytes;
            result?;
        }
        // Do not keep a huge buffer around after a burst.
        if buf.capacity() > 4 << 20 {
            *buf = Vec::new();
        }
        Ok(())
    }
}
