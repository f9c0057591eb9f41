//! JSON Lines on stdout, written batch by batch. Logs never go here.
//!
//! The batch is serialized into one buffer (no allocation per record) and written with
//! the standard library's stdout, locked once per batch. A write may block (a full pipe,
//! a stopped terminal), and a blocked worker would stall the tasks queued on it — with
//! the daemon's one worker, all of them — so on a multi-threaded runtime a write goes
//! through `block_in_place`, except what cannot block: when stdout is a pipe or a socket,
//! whole lines go out directly, at most `PIPE_BUF` bytes a write, as long as `poll` says
//! there is room. At steady rates that is every write, and `block_in_place` (handing the
//! worker's queue to another thread and back) cost more CPU than the write itself
//! (docs/performance.md).

pub mod config;

use super::sink::{Sink, SinkError};
use crate::config::Problems;
use crate::record::Record;
use async_trait::async_trait;
use config::StdoutSinkConfig;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::Mutex;

/// Nothing to refuse: stdout is always there.
pub fn check(_: &StdoutSinkConfig, _: &mut Problems) {}

pub async fn build(
    name: &str,
    _: &StdoutSinkConfig,
    _state_dir: &Path,
) -> Result<Arc<dyn Sink>, String> {
    Ok(Arc::new(StdoutSink::new(name)))
}

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
}

/// Whether a write of at most `PIPE_BUF` bytes to `fd` (a pipe or a socket) cannot
/// block now.
fn has_room(fd: impl std::os::fd::AsFd) -> bool {
    let mut fds = [rustix::event::PollFd::new(
        &fd,
        rustix::event::PollFlags::OUT,
    )];
    let now = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    rustix::event::poll(&mut fds, Some(&now)).is_ok_and(|n| n == 1)
        && fds[0].revents() == rustix::event::PollFlags::OUT
}

/// Write whole lines of `buf` to `out` (a pipe or a socket), at most `PIPE_BUF` bytes
/// a write, for as long as `poll` says such a write cannot block; returns how many
/// bytes went out. A batch of several records then still goes out without
/// `block_in_place` when the pipe has room, and only what meets a full pipe (or a line
/// longer than `PIPE_BUF`) is left for a write that may block.
fn write_what_fits<W: Write + std::os::fd::AsFd>(
    out: &mut W,
    buf: &[u8],
) -> std::io::Result<usize> {
    let mut sent = 0;
    while sent < buf.len() {
        let window = &buf[sent..buf.len().min(sent + PIPE_BUF)];
        let Some(last) = window.iter().rposition(|&b| b == b'\n') else {
            break;
        };
        if !has_room(&*out) {
            break;
        }
        out.write_all(&window[..=last])?;
        out.flush()?;
        sent += last + 1;
    }
    Ok(sent)
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
        let sent = if self.pollable {
            write_what_fits(&mut std::io::stdout().lock(), &buf)?
        } else {
            0
        };
        if sent < buf.len() {
            let multi_thread = Handle::try_current()
                .is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
            if multi_thread {
                tokio::task::block_in_place(|| write_out(&buf[sent..]))?;
            } else {
                let bytes = std::mem::take(&mut *buf);
                let (result, bytes) =
                    tokio::task::spawn_blocking(move || (write_out(&bytes[sent..]), bytes))
                        .await
                        .map_err(|e| SinkError::Other(format!("stdout writer: {e}")))?;
                *buf = bytes;
                result?;
            }
        }
        // Do not keep a huge buffer around after a burst.
        if buf.capacity() > 4 << 20 {
            *buf = Vec::new();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{has_room, write_what_fits, PIPE_BUF};
    use std::io::{Read, Write};
    use std::sync::mpsc;
    use std::time::Duration;

    /// `lines` lines of `len` bytes each, newline included, numbered so order shows.
    fn lines(count: usize, len: usize) -> Vec<u8> {
        (0..count)
            .flat_map(|i| {
                let mut l = format!("{i:06}").into_bytes();
                l.resize(len - 1, b'x');
                l.push(b'\n');
                l
            })
            .collect()
    }

    /// Runs `f` on a thread and fails the test, instead of hanging it, if it blocks.
    fn without_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || tx.send(f()).unwrap());
        rx.recv_timeout(Duration::from_secs(10))
            .expect("a write blocked on a full pipe")
    }

    #[test]
    fn a_batch_larger_than_pipe_buf_goes_out_whole_in_line_sized_writes() {
        let (mut rx, mut tx) = std::io::pipe().unwrap();
        let batch = lines(12, 1000); // 12,000 bytes: three writes of four lines
        let b = batch.clone();
        let sent = without_blocking(move || write_what_fits(&mut tx, &b).unwrap());
        assert_eq!(sent, batch.len());
        let mut got = vec![0; batch.len()];
        rx.read_exact(&mut got).unwrap();
        assert_eq!(got, batch);
    }

    #[test]
    fn a_full_pipe_takes_whole_lines_as_room_comes_and_never_blocks() {
        let (mut rx, mut tx) = std::io::pipe().unwrap();
        // Fill the pipe with page-sized writes, each of which cannot block.
        let mut filled = 0;
        while has_room(&tx) {
            tx.write_all(&[b'.'; PIPE_BUF]).unwrap();
            filled += PIPE_BUF;
        }
        let batch = lines(20, 1000);
        let (b, tx) = (batch.clone(), tx);
        let (sent, mut tx) = without_blocking(move || {
            let mut tx = tx;
            (write_what_fits(&mut tx, &b).unwrap(), tx)
        });
        assert_eq!(sent, 0, "wrote to a full pipe");

        // One page read frees one pipe buffer: room for one write of up to four lines.
        let mut page = vec![0; PIPE_BUF];
        rx.read_exact(&mut page).unwrap();
        let b = batch.clone();
        let (sent, _tx) = without_blocking(move || (write_what_fits(&mut tx, &b).unwrap(), tx));
        assert!(sent > 0 && sent < batch.len(), "{sent}");
        assert_eq!(sent % 1000, 0, "stopped inside a line: {sent}");

        let mut rest = vec![0; filled - PIPE_BUF + sent];
        rx.read_exact(&mut rest).unwrap();
        assert_eq!(&rest[filled - PIPE_BUF..], &batch[..sent]);
    }

    #[test]
    fn a_line_longer_than_pipe_buf_is_left_for_the_blocking_write() {
        let (_rx, mut tx) = std::io::pipe().unwrap();
        let mut batch = lines(2, 1000);
        batch.extend(lines(1, PIPE_BUF + 10));
        let b = batch.clone();
        let sent = without_blocking(move || write_what_fits(&mut tx, &b).unwrap());
        assert_eq!(sent, 2000);
    }
}
