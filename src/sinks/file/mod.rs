//! The `file` sink: JSON Lines appended to a file, rotated by size (`path.1` newest …
//! `path.{max_files}` oldest). A record never straddles two files: rotation happens
//! between lines. Written data is flushed to the OS before a batch counts as accepted,
//! and fsync'd too when `fsync = true`. SIGHUP reopens the file, so logrotate works.

use super::{Sink, SinkError};
use crate::config::FileSinkConfig;
use crate::record::Record;
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod disk;
pub use disk::{Disk, LogFile, Os};

pub async fn build(
    name: &str,
    c: &FileSinkConfig,
    _state_dir: &Path,
) -> Result<Arc<dyn Sink>, String> {
    let sink = FileSink::open(name, c).map_err(|e| format!("path: {e}"))?;
    Ok(Arc::new(sink))
}

pub struct FileSink {
    name: String,
    path: PathBuf,
    max_bytes: u64,
    max_files: usize,
    fsync: bool,
    disk: Arc<dyn Disk>,
    out: Mutex<Output>,
}

struct Output {
    file: Box<dyn LogFile>,
    size: u64,
    /// Reused between batches.
    buf: Vec<u8>,
}

fn open_append(disk: &dyn Disk, path: &Path) -> Result<Output, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        disk.create_dir_all(dir)
            .map_err(|e| format!("cannot create the directory {}: {e}", dir.display()))?;
    }
    let file = disk
        .open_append(path)
        .map_err(|e| format!("cannot open {} for writing: {e}", path.display()))?;
    let size = file.len().unwrap_or(0);
    Ok(Output {
        file,
        size,
        buf: Vec::new(),
    })
}

impl FileSink {
    pub fn open(name: &str, c: &FileSinkConfig) -> Result<FileSink, String> {
        FileSink::with_disk(name, c, Arc::new(Os))
    }

    pub fn with_disk(
        name: &str,
        c: &FileSinkConfig,
        disk: Arc<dyn Disk>,
    ) -> Result<FileSink, String> {
        Ok(FileSink {
            name: name.to_string(),
            out: Mutex::new(open_append(&*disk, &c.path)?),
            disk,
            path: c.path.clone(),
            max_bytes: c.max_bytes.0.max(1),
            max_files: c.max_files,
            fsync: c.fsync,
        })
    }

    fn numbered(&self, n: usize) -> PathBuf {
        PathBuf::from(format!("{}.{n}", self.path.display()))
    }

    /// Shift `path.k` to `path.k+1` (dropping the oldest), move `path` to `path.1`, and
    /// start a new `path`.
    fn rotate(&self, out: &mut Output) -> std::io::Result<()> {
        out.file.sync_data()?;
        if self.max_files == 0 {
            self.disk.remove_file(&self.path)?;
        } else {
            let _ = self.disk.remove_file(&self.numbered(self.max_files));
            for n in (1..self.max_files).rev() {
                match self.disk.rename(&self.numbered(n), &self.numbered(n + 1)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            self.disk.rename(&self.path, &self.numbered(1))?;
        }
        *out = open_append(&*self.disk, &self.path).map_err(std::io::Error::other)?;
        Ok(())
    }

    fn write_batch(&self, batch: &[Arc<Record>]) -> std::io::Result<()> {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let mut buf = std::mem::take(&mut out.buf);
        buf.clear();
        let written = self.write_lines(&mut out, &mut buf, batch);
        // keep the buffer for the next batch, unless a burst made it huge
        if buf.capacity() <= 4 << 20 {
            out.buf = buf;
        }
        written
    }

    /// Serialize the batch into `buf` (one allocation-free append per record) and write
    /// it, rotating between lines when the next line would pass `max_bytes`.
    fn write_lines(
        &self,
        out: &mut Output,
        buf: &mut Vec<u8>,
        batch: &[Arc<Record>],
    ) -> std::io::Result<()> {
        for record in batch {
            let start = buf.len();
            record.write_json_line(buf);
            let line = (buf.len() - start) as u64;
            let pending = out.size + start as u64;
            if pending > 0 && pending + line > self.max_bytes {
                disk::write_all(&mut *out.file, &buf[..start])?;
                out.size += start as u64;
                buf.drain(..start);
                self.rotate(out)?;
            }
        }
        disk::write_all(&mut *out.file, buf)?;
        out.size += buf.len() as u64;
        if self.fsync {
            out.file.sync_data()?;
        }
        Ok(())
    }
}

#[async_trait]
impl Sink for FileSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn accept(&self, batch: &[Arc<Record>]) -> Result<(), SinkError> {
        // File I/O blocks: keep it off the async workers.
        tokio::task::block_in_place(|| self.write_batch(batch))
            .map_err(|e| SinkError::Other(format!("cannot write {}: {e}", self.path.display())))
    }

    async fn close(&self) -> Result<(), SinkError> {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        out.file.sync_data()?;
        Ok(())
    }

    async fn reopen(&self) -> Result<(), SinkError> {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = out.file.sync_data();
        *out = open_append(&*self.disk, &self.path).map_err(SinkError::Other)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
