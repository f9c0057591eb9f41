//! Delivered ids written down before their acks go out: the dedup commit of a batch.
//!
//! The window's redb commit (an fsync'd transaction) runs behind the pipeline, grouped,
//! so that acks do not wait for a disk flush (`pipeline/commit.rs`). Without more, an id
//! acked but not yet in redb was forgotten by a crash, and the provider sending it again
//! made a duplicate. So before a batch's acks complete, its ids are appended here, in one
//! `write(2)`: once acked, an id survives a crash of the daemon as surely as the file
//! sink's own unsynced write does. On open the window records what the journal holds and
//! empties it (`DedupWindow::open`).
//!
//! Two files take turns so that neither grows without bound while batches keep coming:
//! appends go to the current one; once it holds [`ROTATE_BYTES`] and every batch in the
//! other is committed to redb, the other is emptied and becomes current. When every batch
//! is committed, both are emptied.
//!
//! A record is `[len u32][crc32 u32][batch u64][(id len u32, id bytes)…]`, little-endian,
//! `len` and the crc covering what follows them. Reading stops at the first record that is
//! cut short or fails its crc (a write torn by a power loss): what follows it is lost,
//! which can only cost a duplicate.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The journal's files inside `state_dir`.
pub const FILE_NAMES: [&str; 2] = ["dedup.journal.0", "dedup.journal.1"];
/// A file this long hands over to the other one once that one is committed.
const ROTATE_BYTES: u64 = 1 << 20;
/// `len`, `crc32` and `batch`.
const HEADER: usize = 16;

/// The appending end, owned by the pipeline.
pub struct Journal {
    files: [Segment; 2],
    current: usize,
    /// Reused between appends.
    buf: Vec<u8>,
}

struct Segment {
    file: File,
    path: PathBuf,
    len: u64,
    /// The newest batch in the file; 0 when it holds none.
    last: u64,
}

impl Journal {
    /// Opens both files in `dir`, emptied: call only after [`replay`] took what they held.
    pub(super) fn create(dir: &Path) -> io::Result<Journal> {
        let open = |name: &str| -> io::Result<Segment> {
            let path = dir.join(name);
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| named(&path, "open", e))?;
            file.set_len(0).map_err(|e| named(&path, "empty", e))?;
            Ok(Segment {
                file,
                path,
                len: 0,
                last: 0,
            })
        };
        Ok(Journal {
            files: [open(FILE_NAMES[0])?, open(FILE_NAMES[1])?],
            current: 0,
            buf: Vec::new(),
        })
    }

    /// Writes batch `batch`'s ids (batch numbers increase) before their acks go out.
    /// A failed write is undone, so that the records after it stay readable.
    pub fn append(&mut self, batch: u64, ids: &[String]) -> io::Result<()> {
        self.buf.clear();
        self.buf.extend_from_slice(&[0; HEADER]);
        for id in ids {
            let len = u32::try_from(id.len()).map_err(|_| io::ErrorKind::InvalidInput)?;
            self.buf.extend_from_slice(&len.to_le_bytes());
            self.buf.extend_from_slice(id.as_bytes());
        }
        let body = u32::try_from(self.buf.len() - 8).map_err(|_| io::ErrorKind::InvalidInput)?;
        self.buf[8..16].copy_from_slice(&batch.to_le_bytes());
        let crc = crc32fast::hash(&self.buf[8..]);
        self.buf[0..4].copy_from_slice(&body.to_le_bytes());
        self.buf[4..8].copy_from_slice(&crc.to_le_bytes());
        let seg = &mut self.files[self.current];
        if let Err(e) = seg.file.write_all(&self.buf) {
            // a torn record in the middle would hide every record after it
            let _ = seg.file.set_len(seg.len);
            return Err(named(&seg.path, "write", e));
        }
        seg.len += self.buf.len() as u64;
        seg.last = batch;
        Ok(())
    }

    /// Batches up to `upto` are committed to redb: forget what no longer needs keeping.
    pub fn committed(&mut self, upto: u64) -> io::Result<()> {
        let other = 1 - self.current;
        if self.files[0].last.max(self.files[1].last) <= upto {
            self.files[other].empty()?;
            return self.files[self.current].empty();
        }
        if self.files[self.current].len >= ROTATE_BYTES && self.files[other].last <= upto {
            self.files[other].empty()?;
            self.current = other;
        }
        Ok(())
    }

    /// Tests: every write to the current file fails from now on, as on a full disk
    /// (`/dev/full` answers ENOSPC).
    #[cfg(test)]
    pub(crate) fn fail_writes(&mut self) {
        self.files[self.current].file = OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
    }

    /// Tests: the disk has room again (undoes [`Journal::fail_writes`]).
    #[cfg(test)]
    pub(crate) fn restore_writes(&mut self) {
        let seg = &mut self.files[self.current];
        seg.file = OpenOptions::new()
            .append(true)
            .open(&seg.path)
            .expect("the journal's file");
    }

    /// Bytes in both files: bounded by [`ROTATE_BYTES`] and the uncommitted ids.
    #[cfg(test)]
    fn len(&self) -> u64 {
        self.files[0].len + self.files[1].len
    }
}

impl Segment {
    fn empty(&mut self) -> io::Result<()> {
        if self.len > 0 {
            self.file
                .set_len(0)
                .map_err(|e| named(&self.path, "empty", e))?;
            self.len = 0;
        }
        self.last = 0;
        Ok(())
    }
}

/// What the journal in `dir` holds: the ids of every intact record, and a description of
/// what could not be read (a torn tail), if anything.
pub(super) fn replay(dir: &Path) -> io::Result<(Vec<String>, Vec<String>)> {
    let mut ids = Vec::new();
    let mut problems = Vec::new();
    for name in FILE_NAMES {
        let path = dir.join(name);
        let mut bytes = Vec::new();
        match File::open(&path) {
            Ok(mut f) => f
                .read_to_end(&mut bytes)
                .map_err(|e| named(&path, "read", e))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(named(&path, "open", e)),
        };
        let read = parse(&bytes, &mut ids);
        if read < bytes.len() {
            problems.push(format!(
                "{}: {} bytes after offset {read} are not an intact record (a torn write); skipped",
                path.display(),
                bytes.len() - read
            ));
        }
    }
    Ok((ids, problems))
}

/// Appends the ids of the intact records at the start of `bytes` to `ids`; returns how
/// many bytes they took.
fn parse(bytes: &[u8], ids: &mut Vec<String>) -> usize {
    let mut at = 0;
    while let Some(record) = record(&bytes[at..]) {
        ids.extend(record.0);
        at += record.1;
    }
    at
}

/// The record at the start of `b` and its length, if it is whole and intact.
fn record(b: &[u8]) -> Option<(Vec<String>, usize)> {
    let body = u32::from_le_bytes(b.get(0..4)?.try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(b.get(4..8)?.try_into().ok()?);
    let end = 8usize.checked_add(body)?;
    let covered = b.get(8..end)?;
    if covered.len() < 8 || crc32fast::hash(covered) != crc {
        return None;
    }
    let mut ids = Vec::new();
    let mut rest = &covered[8..];
    while !rest.is_empty() {
        let len = u32::from_le_bytes(rest.get(0..4)?.try_into().ok()?) as usize;
        let id = rest.get(4..4usize.checked_add(len)?)?;
        ids.push(String::from_utf8(id.to_vec()).ok()?);
        rest = &rest[4 + len..];
    }
    Some((ids, end))
}

fn named(path: &Path, what: &str, e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!("dedup journal {}: cannot {what}: {e}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|i| format!("msg-{i}")).collect()
    }

    #[test]
    fn what_is_appended_is_replayed_and_a_new_journal_starts_empty() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path()).unwrap();
        j.append(1, &ids(0..3)).unwrap();
        j.append(2, &["".to_owned(), "ü\nnewline".to_owned()])
            .unwrap();
        drop(j);
        let (got, problems) = replay(dir.path()).unwrap();
        assert_eq!(got, ["msg-0", "msg-1", "msg-2", "", "ü\nnewline"]);
        assert!(problems.is_empty(), "{problems:?}");
        Journal::create(dir.path()).unwrap();
        assert!(replay(dir.path()).unwrap().0.is_empty());
    }

    #[test]
    fn a_failed_write_names_the_file_and_keeps_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path()).unwrap();
        j.append(1, &ids(0..2)).unwrap();
        j.fail_writes();
        let e = j.append(2, &ids(2..4)).unwrap_err().to_string();
        assert!(e.contains(FILE_NAMES[0]) && e.contains("write"), "{e}");
        drop(j);
        let (got, problems) = replay(dir.path()).unwrap();
        assert_eq!(got, ids(0..2));
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn a_missing_journal_replays_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(replay(dir.path()).unwrap(), (vec![], vec![]));
    }

    #[test]
    fn a_torn_or_corrupt_tail_keeps_every_record_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path()).unwrap();
        j.append(1, &ids(0..2)).unwrap();
        j.append(2, &ids(2..4)).unwrap();
        drop(j);
        let path = dir.path().join(FILE_NAMES[0]);
        let whole = std::fs::read(&path).unwrap();
        for cut in 1..whole.len() / 2 {
            std::fs::write(&path, &whole[..whole.len() - cut]).unwrap();
            let (got, problems) = replay(dir.path()).unwrap();
            assert_eq!(got, ids(0..2), "cut {cut}");
            assert_eq!(problems.len(), 1, "cut {cut}");
        }
        // a flipped byte in the second record: its crc fails
        let mut flipped = whole.clone();
        let n = flipped.len();
        flipped[n - 2] ^= 0x40;
        std::fs::write(&path, &flipped).unwrap();
        assert_eq!(replay(dir.path()).unwrap().0, ids(0..2));
        // zeros where a record should be (a power loss extended the file)
        let mut zeros = whole[..whole.len() / 2].to_vec();
        zeros.resize(whole.len() + 64, 0);
        std::fs::write(&path, &zeros).unwrap();
        assert_eq!(replay(dir.path()).unwrap().0, ids(0..2));
    }

    #[test]
    fn committed_batches_are_forgotten_and_the_files_stay_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path()).unwrap();
        let batch = ids(0..512);
        // the committer lags three batches behind: the journal never empties at once
        for n in 1..=2_000u64 {
            j.append(n, &batch).unwrap();
            j.committed(n.saturating_sub(3)).unwrap();
            assert!(j.len() <= 2 * ROTATE_BYTES + 4 * 8192, "{} bytes", j.len());
        }
        // every uncommitted batch is still there
        let (got, _) = replay(dir.path()).unwrap();
        assert!(got.len() >= 3 * 512, "{}", got.len());
        j.committed(2_000).unwrap();
        assert_eq!(j.len(), 0);
        assert!(replay(dir.path()).unwrap().0.is_empty());
    }

    #[test]
    fn an_uncommitted_batch_is_never_emptied_away() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path()).unwrap();
        let big = ids(0..100_000);
        // batches 1 and 2 fill the first file past ROTATE_BYTES: the second takes over
        j.append(1, &big).unwrap();
        j.append(2, &ids(0..1)).unwrap();
        j.committed(0).unwrap();
        // the second file is now current and empty; the first still holds batches 1 and 2,
        // which a commit up to 1 must not empty away (batch 2 is not committed)
        j.append(3, &big).unwrap();
        j.committed(1).unwrap();
        j.append(4, &ids(5..6)).unwrap();
        let (got, _) = replay(dir.path()).unwrap();
        assert_eq!(got.len(), 2 * 100_000 + 2, "every batch kept");
        // up to 2 committed: the first file is emptied and takes over again
        j.committed(2).unwrap();
        let (got, _) = replay(dir.path()).unwrap();
        assert_eq!(got.len(), 100_000 + 1, "batches 3 and 4 kept");
        assert_eq!(got.last().map(String::as_str), Some("msg-5"));
    }
}
