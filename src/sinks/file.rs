//! The `file` sink: JSON Lines appended to a file, rotated by size (`path.1` newest …
//! `path.{max_files}` oldest). A record never straddles two files: rotation happens
//! between lines. Written data is flushed to the OS before a batch counts as accepted,
//! and fsync'd too when `fsync = true`. SIGHUP reopens the file, so logrotate works.

use super::{Sink, SinkError};
use crate::config::FileSinkConfig;
use crate::record::Record;
use async_trait::async_trait;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
    out: Mutex<Output>,
}

struct Output {
    file: File,
    size: u64,
    /// Reused between batches.
    buf: Vec<u8>,
}

fn open_append(path: &Path) -> Result<Output, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the directory {}: {e}", dir.display()))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open {} for writing: {e}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok(Output {
        file,
        size,
        buf: Vec::new(),
    })
}

impl FileSink {
    pub fn open(name: &str, c: &FileSinkConfig) -> Result<FileSink, String> {
        Ok(FileSink {
            name: name.to_string(),
            out: Mutex::new(open_append(&c.path)?),
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
            std::fs::remove_file(&self.path)?;
        } else {
            let _ = std::fs::remove_file(self.numbered(self.max_files));
            for n in (1..self.max_files).rev() {
                match std::fs::rename(self.numbered(n), self.numbered(n + 1)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            std::fs::rename(&self.path, self.numbered(1))?;
        }
        *out = open_append(&self.path).map_err(std::io::Error::other)?;
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
                out.file.write_all(&buf[..start])?;
                out.size += start as u64;
                buf.drain(..start);
                self.rotate(out)?;
            }
        }
        out.file.write_all(buf)?;
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
        let out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        out.file.sync_data()?;
        Ok(())
    }

    async fn reopen(&self) -> Result<(), SinkError> {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = out.file.sync_data();
        *out = open_append(&self.path).map_err(SinkError::Other)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values::ByteSize;
    use crate::record::ProviderKind;

    fn record(i: usize) -> Arc<Record> {
        Arc::new(Record {
            id: format!("hm:{i}"),
            vin: "V".into(),
            provider: ProviderKind::HighMobilityV2,
            source: "hm".into(),
            message_id: i.to_string(),
            received_at: chrono::Utc::now(),
            signals: Vec::new(),
        })
    }

    fn config(path: &Path, max_bytes: u64, max_files: usize) -> FileSinkConfig {
        FileSinkConfig {
            kind: "file".into(),
            path: path.to_path_buf(),
            max_bytes: ByteSize(max_bytes),
            max_files,
            fsync: true,
        }
    }

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn rotates_between_lines_and_keeps_max_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.jsonl");
        let sink = FileSink::open("f", &config(&path, 1000, 3)).unwrap();
        let batch: Vec<_> = (0..100).map(record).collect();
        sink.accept(&batch).await.unwrap();
        let mut all = Vec::new();
        for p in [
            sink.numbered(3),
            sink.numbered(2),
            sink.numbered(1),
            path.clone(),
        ] {
            let size = std::fs::metadata(&p).unwrap().len();
            assert!(size <= 1000, "{} is {size} bytes", p.display());
            for l in lines(&p) {
                serde_json::from_str::<serde_json::Value>(&l).expect("whole lines only");
                all.push(l);
            }
        }
        assert!(!sink.numbered(4).exists());
        // the newest lines are all there, in order, none split
        let ids: Vec<usize> = all
            .iter()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["message_id"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
        assert_eq!(*ids.last().unwrap(), 99);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn reopen_follows_a_moved_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let sink = FileSink::open("f", &config(&path, 1 << 20, 2)).unwrap();
        sink.accept(&[record(1)]).await.unwrap();
        std::fs::rename(&path, dir.path().join("moved")).unwrap();
        sink.reopen().await.unwrap();
        sink.accept(&[record(2)]).await.unwrap();
        assert_eq!(lines(&path).len(), 1);
        assert_eq!(lines(&dir.path().join("moved")).len(), 1);
    }

    #[test]
    fn an_unwritable_path_is_a_clear_error() {
        let err = FileSink::open("f", &config(Path::new("/proc/nope/out.jsonl"), 10, 1))
            .err()
            .unwrap();
        assert!(err.contains("/proc/nope"), "{err}");
    }
}
