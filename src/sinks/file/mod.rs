//! The `file` sink: JSON Lines appended to a file, rotated by size (`path.1` newest …
//! `path.{max_files}` oldest). A record never straddles two files: rotation happens
//! between lines. Written data is flushed to the OS before a batch counts as accepted,
//! and fsync'd too when `fsync = true`. SIGHUP reopens the file, so logrotate works.
//!
//! # Write faults (ENOSPC, EIO, short writes, a failed open)
//!
//! The pipeline retries a failed batch, unchanged, until it is accepted. The sink keeps
//! three promises across those retries:
//!
//! - **No torn line, no partial batch.** A batch is written in *segments*, one per file it
//!   lands in. The live file's length at the start of a segment is a line boundary
//!   (read with `len()` each batch, so an outside `copytruncate` is followed). When a
//!   write or fsync of the segment fails, the file is truncated back to that boundary
//!   (and fsync'd when `fsync = true`), so a retry starts on a clean line and the failed
//!   segment leaves nothing behind. Rewriting rather than re-fsyncing also covers Linux
//!   dropping the dirty pages after a failed fsync.
//! - **A file in unknown state gets nothing appended.** If that truncation fails too, the
//!   sink remembers the boundary and every later batch (and a SIGHUP reopen) first tries
//!   the truncation again, checking the length afterwards; until it succeeds the batch
//!   fails with an error saying so, which keeps the acks held and `/readyz` not ready.
//! - **No duplicate within the file set on retry.** Before a rotation the segment written
//!   so far is fsync'd: those records are durable in what becomes `path.1`. The sink
//!   remembers how many leading records of the batch are durable (checked on the retry by
//!   the first and last of them by id) and the retry writes only the rest. Only a batch
//!   that never comes back (a reload replaced the sink, a restart) is written again in
//!   full, which at-least-once allows (the dedup window does not have its ids yet).
//!
//! Rotation is idempotent across retries: shifting `path.k` to `path.k+1` fills the first
//! gap among `path.1 … path.{max_files}` (deleting `path.{max_files}` only when there is
//! none), so a rotation cut short by an error resumes where it stopped instead of
//! deleting another old file; and when the new live file cannot be opened after the move,
//! the next batch only tries to open it again (the old one already is `path.1`).
//!
//! While a batch fails, [`Sink::problem`] says why (for `/readyz`); the next accepted
//! batch clears it.

pub mod config;

use super::sink::{Sink, SinkError};
use crate::config::Problems;
use crate::record::Record;
use async_trait::async_trait;
use config::FileSinkConfig;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod disk;
pub use disk::{Disk, LogFile, Os};

/// Report what `build` would refuse (see the registry in `sinks/mod.rs`).
pub fn check(c: &FileSinkConfig, p: &mut Problems) {
    // SPEC.md §2: rotated files are `path.1` … `path.{max_files}`, so at least one is
    // kept; 0 would make every rotation delete the records it moves.
    if c.max_files == 0 {
        p.at("max_files", MAX_FILES_ZERO);
    }
}

pub async fn build(
    name: &str,
    c: &FileSinkConfig,
    _state_dir: &Path,
) -> Result<Arc<dyn Sink>, String> {
    let sink = FileSink::open(name, c)?;
    Ok(Arc::new(sink))
}

/// The sink: its [`Writer`] is shared with the blocking thread that writes each batch.
pub struct FileSink {
    writer: Arc<Writer>,
}

/// The file set and its state, which every batch, reopen and close goes through.
struct Writer {
    name: String,
    path: PathBuf,
    max_bytes: u64,
    max_files: usize,
    fsync: bool,
    disk: Arc<dyn Disk>,
    out: Mutex<Output>,
    /// Why the last batch failed; `None` after one was accepted.
    problem: Mutex<Option<String>>,
}

struct Output {
    /// `None` after a failed open (after a rotation moved the old file away): the next
    /// batch opens `path` again and does not rotate again.
    file: Option<Box<dyn LogFile>>,
    /// A failed write whose tail could not be cut off: the live file must be truncated
    /// back to this length (a line boundary) before anything is appended to it.
    torn_at: Option<u64>,
    /// The leading records of the batch being retried that are already durable.
    resume: Option<Resume>,
    /// Reused between batches.
    buf: Vec<u8>,
}

/// `done` leading records of a failed batch are durable (fsync'd before a rotation).
struct Resume {
    first: String,
    last: String,
    done: usize,
}

impl Resume {
    fn new(batch: &[Arc<Record>], done: usize) -> Option<Resume> {
        (done > 0).then(|| Resume {
            first: batch[0].id.clone(),
            last: batch[done - 1].id.clone(),
            done,
        })
    }

    /// How many records of `batch` to skip: `done` if it is the batch that failed.
    fn skip(&self, batch: &[Arc<Record>]) -> usize {
        let same = batch.len() >= self.done
            && batch[0].id == self.first
            && batch[self.done - 1].id == self.last;
        if same {
            self.done
        } else {
            0
        }
    }
}

fn open_file(disk: &dyn Disk, path: &Path) -> io::Result<Box<dyn LogFile>> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        disk.create_dir_all(dir).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create the directory {}: {e}", dir.display()),
            )
        })?;
    }
    disk.open_append(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot open {} for writing: {e}", path.display()),
        )
    })
}

impl FileSink {
    pub fn open(name: &str, c: &FileSinkConfig) -> Result<FileSink, String> {
        FileSink::with_disk(name, c, Arc::new(Os))
    }

    /// Errors name the key they are about (`path: …`, `max_files: …`).
    pub fn with_disk(
        name: &str,
        c: &FileSinkConfig,
        disk: Arc<dyn Disk>,
    ) -> Result<FileSink, String> {
        if c.max_files == 0 {
            return Err(format!("max_files: {MAX_FILES_ZERO}"));
        }
        let file = open_file(&*disk, &c.path).map_err(|e| format!("path: {e}"))?;
        let writer = Writer {
            name: name.to_string(),
            out: Mutex::new(Output {
                file: Some(file),
                torn_at: None,
                resume: None,
                buf: Vec::new(),
            }),
            disk,
            path: c.path.clone(),
            max_bytes: c.max_bytes.0.max(1),
            max_files: c.max_files,
            fsync: c.fsync,
            problem: Mutex::new(None),
        };
        Ok(FileSink {
            writer: Arc::new(writer),
        })
    }
}

impl Writer {
    fn numbered(&self, n: usize) -> PathBuf {
        PathBuf::from(format!("{}.{n}", self.path.display()))
    }

    /// Make `path.1` free by shifting `path.k` to `path.k+1` below the first gap among
    /// `path.1 … path.{max_files}`, deleting `path.{max_files}` only when there is no gap.
    /// A shift cut short leaves a gap where it stopped, so doing it again after an error
    /// deletes nothing more.
    fn shift(&self) -> io::Result<()> {
        let mut gap = None;
        for k in 1..=self.max_files {
            if !self.disk.exists(&self.numbered(k))? {
                gap = Some(k);
                break;
            }
        }
        let gap = match gap {
            Some(k) => k,
            None => {
                match self.disk.remove_file(&self.numbered(self.max_files)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
                self.max_files
            }
        };
        for n in (1..gap).rev() {
            self.disk.rename(&self.numbered(n), &self.numbered(n + 1))?;
        }
        Ok(())
    }

    /// Sync the live file, move it to `path.1` (after [`Self::shift`]) and open a new one.
    /// Every step can fail and be done again: the old file is synced before it moves, and
    /// once it moved, `out.file` is `None` so a retry only opens.
    fn rotate(&self, out: &mut Output) -> io::Result<()> {
        if let Some(f) = out.file.as_deref_mut() {
            f.sync_data()?;
        }
        self.shift()?;
        self.disk.rename(&self.path, &self.numbered(1))?;
        out.file = None;
        out.file = Some(open_file(&*self.disk, &self.path)?);
        Ok(())
    }

    /// Cut `f` back to the line boundary `at`, check it, and make the cut durable.
    fn cut(&self, f: &mut dyn LogFile, at: u64) -> io::Result<()> {
        f.truncate(at)?;
        let len = f.len()?;
        if len != at {
            return Err(io::Error::other(format!(
                "it is {len} bytes long after truncating it to {at}"
            )));
        }
        if self.fsync {
            f.sync_data()?;
        }
        Ok(())
    }

    /// The live file, ready to take lines: a pending cut done, a missing file opened.
    fn ready<'a>(&self, out: &'a mut Output) -> io::Result<&'a mut dyn LogFile> {
        if let (Some(at), Some(f)) = (out.torn_at, out.file.as_deref_mut()) {
            self.cut(f, at).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "it still ends in a partial write after byte {at} that cannot be cut off ({e}); nothing is appended to it until that succeeds"
                    ),
                )
            })?;
        }
        out.torn_at = None;
        if out.file.is_none() {
            out.file = Some(open_file(&*self.disk, &self.path)?);
        }
        Ok(out.file.as_deref_mut().expect("just opened"))
    }

    /// Write one segment at the boundary `start` and sync it if `sync`; on failure cut
    /// the file back to `start`, or remember that it must be.
    fn commit(&self, out: &mut Output, start: u64, bytes: &[u8], sync: bool) -> io::Result<()> {
        let f = out.file.as_deref_mut().expect("ready() opened it");
        let written =
            disk::write_all(f, bytes).and_then(|()| if sync { f.sync_data() } else { Ok(()) });
        let Err(e) = written else { return Ok(()) };
        if let Err(cut) = self.cut(f, start) {
            out.torn_at = Some(start);
            return Err(io::Error::new(
                e.kind(),
                format!("{e}; cutting the partial write off at byte {start} failed too ({cut}): nothing is appended to it until that succeeds"),
            ));
        }
        Err(e)
    }

    fn write_batch(&self, batch: &[Arc<Record>]) -> io::Result<()> {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let mut done = out.resume.take().map_or(0, |r| r.skip(batch));
        let mut buf = std::mem::take(&mut out.buf);
        let written = self.write_lines(&mut out, &mut buf, batch, &mut done);
        if written.is_err() {
            out.resume = Resume::new(batch, done);
        }
        // keep the buffer for the next batch, unless a burst made it huge
        if buf.capacity() <= 4 << 20 {
            out.buf = buf;
        }
        written
    }

    /// Serialize `batch[*done..]` into `buf` and write it, rotating between lines when the
    /// next line would pass `max_bytes`. `*done` counts the records durable so far.
    fn write_lines(
        &self,
        out: &mut Output,
        buf: &mut Vec<u8>,
        batch: &[Arc<Record>],
        done: &mut usize,
    ) -> io::Result<()> {
        buf.clear();
        let mut start = self.ready(out)?.len()?;
        for (i, record) in batch.iter().enumerate().skip(*done) {
            let at = buf.len();
            record.write_json_line(buf);
            let line = (buf.len() - at) as u64;
            let pending = start + at as u64;
            if pending > 0 && pending + line > self.max_bytes {
                if at > 0 {
                    // synced: after the move these lines must not be written again
                    self.commit(out, start, &buf[..at], true)?;
                    *done = i;
                    buf.drain(..at);
                }
                self.rotate(out)?;
                start = self.ready(out)?.len()?;
            }
        }
        self.commit(out, start, buf, self.fsync)?;
        *done = batch.len();
        Ok(())
    }

    fn set_problem(&self, why: Option<String>) {
        *self.problem.lock().unwrap_or_else(|p| p.into_inner()) = why;
    }
}

/// Why `max_files = 0` is refused (config validation reports it under the key): SPEC.md
/// §2 numbers the rotated files `path.1` … `path.{max_files}`, so at least one is kept.
pub const MAX_FILES_ZERO: &str = "must be at least 1: rotation moves the file to path.1 … path.{max_files}, and 0 would delete the records in it";

#[async_trait]
impl Sink for FileSink {
    fn name(&self) -> &str {
        &self.writer.name
    }

    /// File I/O blocks, so the batch is written on a blocking thread. Not through
    /// `block_in_place`: that hands the worker's role to another thread for every batch,
    /// so under a drain the pipeline ran on four threads in turn, each allocating what
    /// the others freed (docs/performance.md).
    async fn accept(&self, batch: &[Arc<Record>]) -> Result<(), SinkError> {
        let (writer, records) = (self.writer.clone(), batch.to_vec());
        let written = tokio::task::spawn_blocking(move || writer.write_batch(&records))
            .await
            .unwrap_or_else(|e| match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(e) => Err(io::Error::other(format!("the write task ended: {e}"))),
            });
        match written {
            Ok(()) => {
                self.writer.set_problem(None);
                Ok(())
            }
            Err(e) => {
                let why = format!("cannot write {}: {e}", self.writer.path.display());
                self.writer.set_problem(Some(why.clone()));
                Err(SinkError::Other(why))
            }
        }
    }

    async fn close(&self) -> Result<(), SinkError> {
        let mut out = self.writer.out.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = out.file.as_deref_mut() {
            f.sync_data()?;
        }
        Ok(())
    }

    /// A partial write still to be cut off is cut on the old file first: if that fails,
    /// the sink stays on the old file (reopening would leave the torn tail behind for good).
    async fn reopen(&self) -> Result<(), SinkError> {
        let mut out = self.writer.out.lock().unwrap_or_else(|p| p.into_inner());
        self.writer.ready(&mut out).map_err(|e| {
            SinkError::Other(format!("cannot reopen {}: {e}", self.writer.path.display()))
        })?;
        if let Some(f) = out.file.as_deref_mut() {
            let _ = f.sync_data();
        }
        out.file = Some(open_file(&*self.writer.disk, &self.writer.path)?);
        Ok(())
    }

    fn problem(&self) -> Option<String> {
        self.writer
            .problem
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests;
