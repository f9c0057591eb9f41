//! What the spool keeps on disk, by name: segment files `NNNNNNNNNNNNNNNN.seg` and the
//! `cursor` file (JSON, replaced atomically), and how they are put right when the spool
//! opens after a crash.

use super::frame::{self, HEADER_LEN};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;
use tracing::warn;

/// A place in the spool: a segment and a byte offset in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Pos {
    pub seq: u64,
    pub offset: u64,
}

/// The records from `start` (the first one's position) up to `end` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

/// The `cursor` file: the spool's id, the next unsent record, the batch in flight.
#[derive(Debug, Serialize, Deserialize)]
pub struct CursorFile {
    pub spool_id: String,
    pub next: Pos,
    #[serde(default)]
    pub inflight: Option<Span>,
}

pub fn segment_name(seq: u64) -> String {
    format!("{seq:016}.seg")
}

fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    (digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

pub fn read_cursor(dir: &Path) -> io::Result<Option<CursorFile>> {
    let path = dir.join("cursor");
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} is damaged ({e}); removing it resends the whole spool",
                    path.display()
                ),
            )
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn write_cursor(dir: &Path, c: &CursorFile) -> io::Result<()> {
    let bytes = serde_json::to_vec(c).map_err(io::Error::other)?;
    crate::state::write_atomic(&dir.join("cursor"), &bytes, 0o600)
}

/// The segments still to send (number → length), after deleting those wholly before
/// `next` (sent, but the process died before deleting them) and cutting a torn tail off
/// the last one (SIGKILL or power loss mid-append). Older segments keep their length:
/// a reader skips a damaged end there with a warning.
pub fn recover_segments(dir: &Path, next: Pos) -> io::Result<BTreeMap<u64, u64>> {
    let mut segments = BTreeMap::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Some(seq) = entry.file_name().to_str().and_then(parse_segment_name) else {
            continue;
        };
        let len = entry.metadata()?.len();
        if seq < next.seq || (seq == next.seq && len <= next.offset) {
            fs::remove_file(entry.path())?;
            continue;
        }
        segments.insert(seq, len);
    }
    if let Some((&last, &len)) = segments.iter().next_back() {
        let path = dir.join(segment_name(last));
        let valid = frame::valid_prefix(&path)?;
        if valid <= HEADER_LEN {
            fs::remove_file(&path)?;
            segments.remove(&last);
        } else if valid < len {
            warn!(segment = %path.display(), valid, len,
                "spool segment ends in a torn write (interrupted append); cutting it off");
            let f = OpenOptions::new().write(true).open(&path)?;
            f.set_len(valid)?;
            f.sync_all()?;
            segments.insert(last, valid);
        }
    }
    Ok(segments)
}
