//! The webhook sink's durable spool under `{state_dir}/sinks/{name}/`:
//!
//! - `NNNNNNNNNNNNNNNN.seg`: append-only segment files of framed records (see `frame`),
//!   fsynced once per append; a new segment starts when the current one reaches
//!   `limit / 8` (so sent data is given back to the disk in small steps).
//! - `cursor`: the spool's random id, the position of the next unsent record and the
//!   batch in flight (`{start, end}`), replaced atomically. Keeping the batch in flight
//!   lets a restarted sender resend exactly the same records under the same batch id.
//!
//! - `lock`: holds the pid of the process using the spool, which keeps an exclusive
//!   `flock` on it while the spool is open: one spool, one writer. Another process gets
//!   [`OpenError::Elsewhere`]; in this process a second open while the first is not yet
//!   released (a reload replacing the sink) gets [`OpenError::HeldHere`] and waits for it.
//!   [`Spool::release`] (or drop) gives it up; after that the instance writes nothing.
//!
//! Appends come from `accept`, reads and acks from the one sender task; all methods
//! block (file I/O) and are called from blocking threads. Fully sent segments are deleted.
//! The size (`size()`, the sum of the segment files) never grows past `limit`, except by
//! one batch when that batch alone is larger than the limit and the spool is empty.

mod lock;

use super::frame::{FrameReader, Next, HEADER_LEN, MAGIC};
use super::layout::{self, segment_name, sync_dir, CursorFile};
pub use super::layout::{Pos, Span};
pub use lock::OpenError;
use lock::{held, released, take_lock};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use tracing::warn;

/// Records read from the spool, each one JSON object.
#[derive(Debug)]
pub struct Batch {
    pub span: Span,
    pub records: Vec<Vec<u8>>,
}

#[derive(Debug)]
pub enum AppendError {
    /// Taking `need` more bytes would grow the spool past `limit`.
    Full {
        used: u64,
        need: u64,
        limit: u64,
    },
    Io(io::Error),
}

pub struct Spool {
    dir: PathBuf,
    limit: u64,
    segment_target: u64,
    id: String,
    size: AtomicU64,
    inner: Mutex<Inner>,
}

struct Inner {
    /// Segment number → length of its valid data.
    segments: BTreeMap<u64, u64>,
    writer: Option<(u64, File)>,
    next_seq: u64,
    cursor: Pos,
    inflight: Option<Span>,
    /// The locked `lock` file; `None` once released: then nothing is written any more.
    lock: Option<File>,
}

impl Spool {
    /// Open (or create) the spool in `dir`: drop segments already sent, cut a torn tail
    /// off the last segment (SIGKILL or power loss mid-append).
    pub fn open(dir: &Path, limit: u64) -> Result<Spool, OpenError> {
        fs::create_dir_all(dir)?;
        let lock = take_lock(dir)?;
        // From here on, dropping `spool` (on an error too) releases the lock.
        let mut spool = Spool {
            dir: dir.to_path_buf(),
            limit,
            segment_target: (limit / 8).clamp(4 << 10, 64 << 20),
            id: String::new(),
            size: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                segments: BTreeMap::new(),
                writer: None,
                next_seq: 1,
                cursor: Pos::default(),
                inflight: None,
                lock: Some(lock),
            }),
        };
        spool.recover()?;
        Ok(spool)
    }

    fn recover(&mut self) -> io::Result<()> {
        let dir = self.dir.clone();
        let dir = dir.as_path();
        let saved = layout::read_cursor(dir)?;
        let fresh = saved.is_none();
        let saved = saved.unwrap_or_else(|| CursorFile {
            spool_id: format!("{:016x}", fastrand::u64(..)),
            next: Pos::default(),
            inflight: None,
        });
        let segments = layout::recover_segments(dir, saved.next)?;
        let next_seq = segments
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0)
            .max(saved.next.seq)
            + 1;
        let size = segments.values().sum();
        self.id = saved.spool_id.clone();
        self.size = AtomicU64::new(size);
        {
            let g = self.inner.get_mut().unwrap_or_else(|p| p.into_inner());
            g.segments = segments;
            g.next_seq = next_seq;
            g.cursor = saved.next;
            g.inflight = saved.inflight;
        }
        if fresh {
            layout::write_cursor(dir, &saved)?;
        }
        Ok(())
    }

    /// Give the spool up: close the segment being written, unlock. Everything durable
    /// stays for the next instance; this one refuses to write from now on. Waits for an
    /// append, cursor write or cleanup in progress to finish first.
    pub fn release(&self) {
        let mut g = self.lock();
        g.writer = None;
        if let Some(f) = g.lock.take() {
            let mut held = held();
            drop(f);
            held.remove(&self.dir);
        }
    }

    /// Whether this instance still owns the spool.
    pub fn is_open(&self) -> bool {
        self.lock().lock.is_some()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Random per spool, so batch ids never repeat even if `state_dir` is wiped.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Bytes of the segment files.
    pub fn size(&self) -> u64 {
        self.size.load(Ordering::SeqCst)
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Where the next unsent record is.
    pub fn cursor(&self) -> Pos {
        self.lock().cursor
    }

    /// The batch that was being sent when the spool was last closed (or crashed).
    pub fn inflight(&self) -> Option<Span> {
        self.lock().inflight
    }

    /// Append framed entries (`frame::encode`) and fsync; all or nothing.
    pub fn append(&self, frames: &[u8]) -> Result<(), AppendError> {
        if frames.is_empty() {
            return Ok(());
        }
        let mut g = self.lock();
        let g = &mut *g;
        if g.lock.is_none() {
            return Err(AppendError::Io(released()));
        }
        let add = frames.len() as u64;
        let need_segment = match &g.writer {
            None => true,
            Some((seq, _)) => g.segments[seq] >= self.segment_target,
        };
        let used = self.size();
        let extra = if need_segment { HEADER_LEN } else { 0 };
        if used > 0 && used + add + extra > self.limit {
            return Err(AppendError::Full {
                used,
                need: add + extra,
                limit: self.limit,
            });
        }
        if need_segment {
            g.writer = None;
            let seq = g.next_seq;
            g.next_seq += 1;
            let path = self.dir.join(segment_name(seq));
            let mut f = OpenOptions::new()
                .append(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(AppendError::Io)?;
            if let Err(e) = f.write_all(MAGIC).and_then(|_| f.sync_all()) {
                let _ = fs::remove_file(&path);
                return Err(AppendError::Io(e));
            }
            sync_dir(&self.dir).map_err(AppendError::Io)?;
            g.segments.insert(seq, HEADER_LEN);
            self.size.fetch_add(HEADER_LEN, Ordering::SeqCst);
            g.writer = Some((seq, f));
        }
        let (seq, file) = g.writer.as_mut().expect("a segment is open");
        let seq = *seq;
        let before = g.segments[&seq];
        match file.write_all(frames).and_then(|_| file.sync_data()) {
            Ok(()) => {
                g.segments.insert(seq, before + add);
                self.size.fetch_add(add, Ordering::SeqCst);
                Ok(())
            }
            Err(e) => {
                // Take back a partial write so later appends do not follow garbage; if
                // that fails too, the next append starts a new segment and readers stop
                // at the valid length anyway.
                if file.set_len(before).is_err() {
                    g.writer = None;
                }
                Err(AppendError::Io(e))
            }
        }
    }

    /// Up to `max_records` records (and not many more than `max_bytes`) from `from`.
    pub fn read(&self, from: Pos, max_records: usize, max_bytes: usize) -> io::Result<Batch> {
        let until = Pos {
            seq: u64::MAX,
            offset: u64::MAX,
        };
        self.read_until(from, max_records, max_bytes, until)
    }

    /// Exactly the records of `span` (a batch formed before a restart).
    pub fn read_span(&self, span: Span) -> io::Result<Batch> {
        self.read_until(span.start, usize::MAX, usize::MAX, span.end)
    }

    fn read_until(
        &self,
        from: Pos,
        max_records: usize,
        max_bytes: usize,
        until: Pos,
    ) -> io::Result<Batch> {
        let snapshot: Vec<(u64, u64)> = {
            let g = self.lock();
            g.segments
                .range(from.seq..)
                .map(|(&s, &l)| (s, l))
                .collect()
        };
        let mut pos = from;
        let mut start = None;
        let mut records = Vec::new();
        let mut bytes = 0;
        let mut payload = Vec::new();
        'segments: for (seq, len) in snapshot {
            let here = if seq > pos.seq {
                Pos {
                    seq,
                    offset: HEADER_LEN,
                }
            } else {
                Pos {
                    seq,
                    offset: pos.offset.max(HEADER_LEN),
                }
            };
            if here >= until {
                break;
            }
            pos = here;
            if pos.offset >= len {
                continue;
            }
            let path = self.dir.join(segment_name(seq));
            let mut f = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    warn!(segment = %path.display(), "spool segment vanished; skipping it");
                    pos.offset = len;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let mut magic = [0u8; MAGIC.len()];
            f.read_exact(&mut magic)?;
            if &magic != MAGIC {
                warn!(segment = %path.display(), "spool segment has no valid header; skipping it");
                pos.offset = len;
                continue;
            }
            f.seek(SeekFrom::Start(pos.offset))?;
            let mut reader = FrameReader::new(f, pos.offset, len);
            loop {
                if records.len() >= max_records || bytes >= max_bytes || pos >= until {
                    break 'segments;
                }
                let at = reader.pos;
                match reader.next(&mut payload)? {
                    Next::Entry => {
                        start.get_or_insert(Pos { seq, offset: at });
                        bytes += payload.len();
                        records.push(std::mem::take(&mut payload));
                        pos.offset = reader.pos;
                    }
                    Next::End => break,
                    Next::Torn | Next::Corrupt => {
                        warn!(segment = %path.display(), offset = at, len,
                            "spool segment is damaged or torn from here on; skipping the rest of it");
                        pos.offset = len;
                        break;
                    }
                }
            }
        }
        Ok(Batch {
            span: Span {
                start: start.unwrap_or(pos),
                end: pos,
            },
            records,
        })
    }

    /// Remember the batch about to be sent, durably, before its first attempt.
    pub fn set_inflight(&self, span: Span) -> io::Result<()> {
        // The cursor is written under the lock, so no write follows a release.
        let mut g = self.lock();
        if g.lock.is_none() {
            return Err(released());
        }
        layout::write_cursor(
            &self.dir,
            &CursorFile {
                spool_id: self.id.clone(),
                next: g.cursor,
                inflight: Some(span),
            },
        )?;
        g.inflight = Some(span);
        Ok(())
    }

    /// The batch `span` is done (delivered or rejected): move the cursor past it, durably,
    /// then delete the segments it finished.
    pub fn ack(&self, span: Span) -> io::Result<()> {
        let mut g = self.lock();
        if g.lock.is_none() {
            return Err(released());
        }
        layout::write_cursor(
            &self.dir,
            &CursorFile {
                spool_id: self.id.clone(),
                next: span.end,
                inflight: None,
            },
        )?;
        g.cursor = span.end;
        g.inflight = None;
        let end = span.end;
        let done: Vec<(u64, u64)> = g
            .segments
            .iter()
            .filter(|(&s, &l)| s < end.seq || (s == end.seq && l <= end.offset))
            .map(|(&s, &l)| (s, l))
            .collect();
        for (seq, len) in done {
            if g.writer.as_ref().is_some_and(|(w, _)| *w == seq) {
                g.writer = None;
            }
            match fs::remove_file(self.dir.join(segment_name(seq))) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            g.segments.remove(&seq);
            self.size.fetch_sub(len, Ordering::SeqCst);
        }
        Ok(())
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        self.release();
    }
}
