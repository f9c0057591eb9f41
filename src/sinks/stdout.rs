//! JSON Lines on stdout, one write and one flush per batch. Logs never go here.
//!
//! The batch is serialized into one buffer (no allocation per record) and written with
//! the standard library's stdout, locked once per batch. A write may block (a full pipe,
//! a stopped terminal), and a blocked worker would stall the tasks queued on it, so on a
//! multi-threaded runtime a write goes through `block_in_place` — except when it cannot
//! block: stdout is a pipe or a socket, the batch fits in `PIPE_BUF` bytes, and `poll`
//! says there is room. At steady rates nearly every write is such a small one, and
//! `block_in_place` (handing the worker's queue to another thread and back) cost more
//! CPU than the write itself (docs/performance.md).

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
    /// stdout is a pipe or a socket: `poll` tells whether a small write would block.
    pollable: bool,
}

/// Writes up to this many bytes to a pipe are atomic, and one free pipe buffer (what
/// `POLLOUT` means for a pipe) holds them: such a write cannot block once `poll` said so.
const PIPE_BUF: usize = 4096;

impl StdoutSink {
    pub fn new(name: &str) -> StdoutSink {
        let pollable = rustix::fs::fstat(std::io::stdout()).is_ok_and(|st| {
            matches!(
                rustix::fs::FileType::from_raw_mode(st.st_mode),
                rustix::fs::FileType::Fifo | rustix::fs::FileType::Socket
            )
        });
        StdoutSink {
            name: name.to_string(),
            buf: Mutex::new(Vec::new()),
            pollable,
        }
    }

    /// Whether writing `len` bytes now cannot block.
    fn fits_now(&self, len: usize) -> bool {
        if !self.pollable || len > PIPE_BUF {
            return false;
        }
        let out = std::io::stdout();
        let mut fds = [rustix::event::PollFd::new(
            &out,
            rustix::event::PollFlags::OUT,
        )];
        let now = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        rustix::event::poll(&mut fds, Some(&now)).is_ok_and(|n| n == 1)
            && fds[0].revents() == rustix::event::PollFlags::OUT
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
        if self.fits_now(buf.len()) {
            write_out(&buf)?;
        } else if multi_thread {
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
