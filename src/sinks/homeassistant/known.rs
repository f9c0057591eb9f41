//! The entities the sink announced, kept under `state_dir/sinks/{name}/entities.jsonl`.
//!
//! Home Assistant deletes every entity a new device config leaves out. After a restart the
//! sink learns what it announced before by reading back its retained state topics, but that
//! read-back is QoS 0 and may miss a vehicle (or the broker may have lost its retained
//! messages): the next config would then list only the new record's paths. So every
//! (VIN, path) that adds to a device config is appended here, with a sample value that
//! tells its entity's kind, and read back at start. One line per entity ever announced:
//! the file grows only with new entities, never with values. A torn last line (a crash
//! mid-append) is skipped.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One announced entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub vin: String,
    pub path: String,
    pub sample: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

pub struct Known {
    path: PathBuf,
    /// Written on a blocking thread: a stalled disk never stalls the runtime.
    file: Option<Arc<Mutex<File>>>,
}

impl Known {
    /// Open (create) the file in `dir` and read what it holds.
    pub fn open(dir: &Path) -> Result<(Known, Vec<Entry>), String> {
        let path = dir.join("entities.jsonl");
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut entries = Vec::new();
        let mut torn = false;
        match File::open(&path) {
            Ok(f) => {
                for line in BufReader::new(f).split(b'\n') {
                    let line = line.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    match serde_json::from_slice::<Entry>(&line) {
                        Ok(e) => entries.push(e),
                        Err(_) => torn = !line.is_empty(),
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        if torn {
            // end the torn line, so the next entry starts a line of its own
            file.write_all(b"\n")
                .map_err(|e| format!("cannot append to {}: {e}", path.display()))?;
        }
        Ok((
            Known {
                path,
                file: Some(Arc::new(Mutex::new(file))),
            },
            entries,
        ))
    }

    /// Append new entities. A failure costs only the protection above, never a record:
    /// the caller logs it and goes on.
    pub async fn append(&self, entries: &[Entry]) -> Result<(), String> {
        let Some(file) = self.file.clone() else {
            return Ok(());
        };
        if entries.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for e in entries {
            serde_json::to_writer(&mut buf, e).expect("an entry serializes");
            buf.push(b'\n');
        }
        let written = tokio::task::spawn_blocking(move || {
            file.lock()
                .unwrap_or_else(|p| p.into_inner())
                .write_all(&buf)
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
        written.map_err(|e| format!("cannot append to {}: {e}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn entries_survive_a_reopen_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (k, got) = Known::open(dir.path()).unwrap();
        assert!(got.is_empty());
        let a = Entry {
            vin: "V1".into(),
            path: "Vehicle.Speed".into(),
            sample: json!(12.5),
            unit: Some("km/h".into()),
        };
        let b = Entry {
            vin: "V2".into(),
            path: "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen".into(),
            sample: json!(false),
            unit: None,
        };
        k.append(&[a.clone(), b.clone()]).await.unwrap();
        drop(k);
        // a crash mid-append
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join("entities.jsonl"))
            .unwrap();
        f.write_all(b"{\"vin\":\"V3\",\"pa").unwrap();
        let (k, got) = Known::open(dir.path()).unwrap();
        assert_eq!(got, [a.clone(), b.clone()]);
        // what follows the torn line is a line of its own
        let c = Entry {
            vin: "V3".into(),
            ..a.clone()
        };
        k.append(std::slice::from_ref(&c)).await.unwrap();
        let (_, got) = Known::open(dir.path()).unwrap();
        assert_eq!(got, [a, b, c]);
    }
}
