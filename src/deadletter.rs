//! The dead letter: payloads we could not turn into records, kept with their reason in
//! `{state_dir}/dead-letter.jsonl` so nothing is acked without a trace. Bounded by
//! rotation (`.1` … `.N`) so a flood of garbage cannot fill the disk.

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Cheap to clone: the writes run on a blocking thread, off the async workers, so a slow
/// disk stalls only the batch that waits for its letters, not keep-alives and acks.
#[derive(Clone)]
pub struct DeadLetter {
    path: PathBuf,
    max_bytes: u64,
    keep: usize,
}

#[derive(Serialize)]
struct Entry<'a> {
    received_at: String,
    source: &'a str,
    topic: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_base64: Option<String>,
    reason: &'a str,
    /// The sink that refused a record for good (absent for payloads that did not parse).
    #[serde(skip_serializing_if = "Option::is_none")]
    sink: Option<&'a str>,
}

/// One dead letter to write.
pub struct Letter<'a> {
    pub received_at: DateTime<Utc>,
    pub source: &'a str,
    pub topic: &'a str,
    pub payload: &'a [u8],
    pub reason: &'a str,
    pub sink: Option<&'a str>,
}

impl DeadLetter {
    pub fn new(state_dir: &Path) -> DeadLetter {
        DeadLetter {
            path: state_dir.join("dead-letter.jsonl"),
            max_bytes: 64 << 20,
            keep: 3,
        }
    }

    pub fn with_limits(mut self, max_bytes: u64, keep: usize) -> DeadLetter {
        self.max_bytes = max_bytes;
        self.keep = keep.max(1);
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append the letters and sync them to disk: this write is what acks the payloads.
    pub fn write(&self, letters: &[Letter<'_>]) -> std::io::Result<()> {
        self.append(&DeadLetter::encode(letters)?)
    }

    /// The JSON lines for `letters`, ready for [`DeadLetter::append`].
    pub fn encode(letters: &[Letter<'_>]) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        for l in letters {
            let text = std::str::from_utf8(l.payload).ok();
            let entry = Entry {
                received_at: crate::record::format_millis(&l.received_at),
                source: l.source,
                topic: l.topic,
                payload: text,
                payload_base64: text
                    .is_none()
                    .then(|| base64::engine::general_purpose::STANDARD.encode(l.payload)),
                reason: l.reason,
                sink: l.sink,
            };
            serde_json::to_writer(&mut buf, &entry).map_err(std::io::Error::other)?;
            buf.push(b'\n');
        }
        Ok(buf)
    }

    /// Append encoded lines and sync them. A write that fails halfway (a full disk) is
    /// cut back to where it began, so the retry never follows a torn line.
    pub fn append(&self, buf: &[u8]) -> std::io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        self.rotate_if_needed(buf.len() as u64)?;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        let start = f.metadata()?.len();
        let written = f.write_all(buf).and_then(|()| f.sync_data());
        if written.is_err() {
            let _ = f.set_len(start);
        }
        written
    }

    fn rotate_if_needed(&self, incoming: u64) -> std::io::Result<()> {
        let size = match std::fs::metadata(&self.path) {
            Ok(m) => m.len(),
            Err(_) => return Ok(()),
        };
        if size == 0 || size + incoming <= self.max_bytes {
            return Ok(());
        }
        let numbered = |n: usize| PathBuf::from(format!("{}.{n}", self.path.display()));
        let _ = std::fs::remove_file(numbered(self.keep));
        for n in (1..self.keep).rev() {
            let _ = std::fs::rename(numbered(n), numbered(n + 1));
        }
        std::fs::rename(&self.path, numbered(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter<'a>(payload: &'a [u8]) -> Letter<'a> {
        Letter {
            received_at: Utc::now(),
            source: "hm",
            topic: "live/level13/x",
            payload,
            reason: "payload is not JSON",
            sink: None,
        }
    }

    #[test]
    fn writes_text_or_base64_with_reason() {
        let dir = tempfile::tempdir().unwrap();
        let dl = DeadLetter::new(dir.path());
        dl.write(&[letter(b"not json"), letter(&[0xff, 0x00])])
            .unwrap();
        let text = std::fs::read_to_string(dl.path()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["payload"], "not json");
        assert_eq!(lines[0]["reason"], "payload is not JSON");
        assert_eq!(lines[1]["payload_base64"], "/wA=");
    }

    #[test]
    fn rotation_bounds_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let dl = DeadLetter::new(dir.path()).with_limits(1000, 2);
        for _ in 0..100 {
            dl.write(&[letter(&[b'x'; 100])]).unwrap();
        }
        let total: u64 = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        assert!(total <= 3 * 1000, "{total}");
        assert!(!dir.path().join("dead-letter.jsonl.3").exists());
    }
}
