//! The dedup window: ids of records every sink accepted, remembered for `ttl`, at most
//! `capacity` of them, oldest evicted first. Exact by design: a probabilistic filter
//! could refuse a new id (loss) or forget a recent one (duplicate).
//!
//! The window lives in `{state_dir}/dedup.redb`, a redb database (one file, copy-on-write
//! B-trees, a commit is durable once `commit()` returns), so it survives a restart and a
//! SIGKILL. Ids enter only after delivery ([`DedupWindow::record`]), so a crash can cause
//! a duplicate but never a loss. In memory there is only an index of fingerprints
//! (`index.rs`, ~13 bytes per id of capacity), rebuilt from the file on open; a
//! fingerprint match is confirmed against the stored id, so lookups stay exact.
//!
//! Commits run behind the acks; what is acked but not yet committed is in the journal
//! (`journal.rs`, `{state_dir}/dedup.journal.{0,1}`), which `open` records first.
//!
//! # Layout (format 3)
//!
//! Every id admitted to the window gets the next sequence number. The window is the
//! `capacity` newest sequence numbers, less the expired ones: the live ids are exactly
//! those with `seq >= floor`, where `floor` only ever moves up (eviction by capacity
//! sets it to `next_seq - capacity`, expiry past the last expired id). So `len` is
//! `next_seq - floor`, and evicting the oldest ids is one number, not a delete per id.
//!
//! - `rows.{n}` (generations): first seq of a row → (the row's ids, recorded-at ms since
//!   the Unix epoch). A row (`row.rs`) holds up to 64 ids of consecutive sequence numbers
//!   from one `record` call, so recording only appends, a row at a time: a commit writes
//!   the last leaf or two, not a random leaf per id as format 1 (keyed by id) did, nor an
//!   entry per id as format 2 did. A new generation starts every
//!   `capacity / GENERATIONS` sequence numbers (no row spans two); a generation is
//!   deleted as a whole once all its sequence numbers are below `floor` (deleting a table
//!   only frees its pages).
//! - `gens`: generation number → its first sequence number.
//! - `batches`: first sequence number of a `record` call → its recorded-at, to move
//!   `floor` past expired ids.
//! - `meta`: `format`, `next_seq`, `floor`, and `instance` (a random identity, which an
//!   index saved on a clean shutdown must carry: `snapshot.rs`).
//!
//! A stale copy of an id (below `floor`) stays on disk until its generation is deleted:
//! the file holds at most `capacity + capacity / GENERATIONS` ids. A file in format 1 or
//! 2 is converted on open (`migrate.rs`).
//!
//! # Clock
//!
//! The window must outlive the process, so it uses wall-clock time. An entry is delivered
//! iff `seq >= floor` and `now - recorded_at < ttl`, the difference saturating at zero, so
//! an entry recorded "in the future" (the clock went backwards since) still counts as
//! delivered. A record is stamped with `max(now, newest recorded-at)`: recorded-at never
//! decreases with `seq`, and a clock that goes backwards makes entries live longer (by
//! the size of the jump), never shorter — dedup is never lost early. A clock that jumps
//! forward does expire entries early; across a restart that cannot be told apart from
//! time really passing.

use index::{Entry, Index};
pub use journal::Journal;
use redb::backends::InMemoryBackend;
use redb::{Database, DatabaseError, ReadableTable, Table, TableHandle};
use state::{fail, read, to_ms, write, Shared, State};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime};
use tables::{gen_name, gen_name_in, row_table, BATCHES, FORMAT, GENERATIONS, GENS, META};

/// The file name inside `state_dir`.
pub const FILE_NAME: &str = "dedup.redb";
/// redb's page cache (reads and write buffer). The whole daemon must stay within 64 MiB
/// RSS with a full window, index included; recording only appends, and lookups read the
/// file only to confirm a fingerprint match.
pub const CACHE_BYTES: usize = 2 * 1024 * 1024;

pub struct DedupWindow {
    db: Arc<store::Store>,
    /// Where the window lives, for messages: the file, or `None` in memory.
    path: Option<Arc<Path>>,
    ttl_ms: u64,
    capacity: u64,
    /// Sequence numbers per generation.
    gen_size: u64,
    /// The committed state and the index of its ids, shared with the readers; replaced
    /// only after a commit succeeded.
    shared: Arc<RwLock<Shared>>,
    /// Where delivered ids are written before their acks, until the pipeline takes it
    /// (`journal.rs`); `None` in memory.
    journal: Option<Journal>,
    /// This database's identity (`meta`), which a saved index must carry (`snapshot.rs`).
    instance: u64,
}

impl fmt::Debug for DedupWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DedupWindow")
            .field("path", &self.path)
            .field("ttl_ms", &self.ttl_ms)
            .field("capacity", &self.capacity)
            .field("state", &self.read().state)
            .finish_non_exhaustive()
    }
}

impl DedupWindow {
    /// Open or create `{dir}/dedup.redb` (creating `dir` if needed). Expired entries, and
    /// entries beyond `capacity` (oldest first), are evicted on open.
    ///
    /// A file that is not a readable dedup window is an error naming the path; it is never
    /// deleted or overwritten. So is a file another process has open.
    ///
    /// Ids that the journal holds (acked before a crash, not yet committed) are recorded
    /// first, so a repeat of them is caught.
    pub fn open(dir: &Path, ttl: Duration, capacity: usize) -> Result<DedupWindow, String> {
        let mut w = Self::open_with(dir, ttl, capacity, Index::new)?;
        w.recover_journal(dir)?;
        Ok(w)
    }

    fn open_with(
        dir: &Path,
        ttl: Duration,
        capacity: usize,
        index: fn(u64) -> Index,
    ) -> Result<DedupWindow, String> {
        let path = dir.join(FILE_NAME);
        let shown = path.display();
        if capacity == 0 {
            return Err(format!("dedup window {shown}: capacity must be at least 1"));
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("dedup window {shown}: cannot create {}: {e}", dir.display()))?;
        let reopen = store::Reopen {
            dir: dir.to_path_buf(),
            ttl,
            capacity,
            index,
            open: reopen,
        };
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(&path)
            .map_err(|e| match e {
                DatabaseError::DatabaseAlreadyOpen => format!(
                    "dedup window {shown}: already in use \
                     (is another vinstream running with this state_dir?)"
                ),
                e => format!("dedup window {shown}: cannot open: {e}"),
            })?;
        Self::init(
            store::Store::new(db, Some(reopen)),
            Some(path),
            ttl,
            capacity,
            index,
        )
    }

    /// In memory only (tests, `normalize`): the same code and semantics, nothing on disk.
    pub fn in_memory(ttl: Duration, capacity: usize) -> DedupWindow {
        Self::in_memory_with(ttl, capacity, Index::new)
    }

    fn in_memory_with(ttl: Duration, capacity: usize, index: fn(u64) -> Index) -> DedupWindow {
        assert!(capacity > 0, "dedup capacity must be at least 1");
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create_with_backend(InMemoryBackend::new())
            .expect("an in-memory redb database always opens");
        Self::init(store::Store::new(db, None), None, ttl, capacity, index)
            .expect("a fresh in-memory dedup window always initializes")
    }

    /// Creates or checks the tables (converting older formats), loads the state, evicts what
    /// the ttl and the capacity no longer allow, and indexes the live ids.
    fn init(
        db: store::Store,
        path: Option<PathBuf>,
        ttl: Duration,
        capacity: usize,
        index: fn(u64) -> Index,
    ) -> Result<DedupWindow, String> {
        let capacity = capacity as u64;
        let mut s = State {
            next_seq: 0,
            floor: 0,
            gens: Vec::new(),
            newest_ms: 0,
        };
        let w = DedupWindow {
            db: Arc::new(db),
            path: path.map(Arc::from),
            // round up: a sub-millisecond ttl must not become 0 (everything expired)
            ttl_ms: u64::try_from(ttl.as_micros().div_ceil(1000)).unwrap_or(u64::MAX),
            capacity,
            gen_size: capacity.div_ceil(GENERATIONS).max(1),
            shared: Arc::new(RwLock::new(Shared {
                state: s.clone(),
                index: index(capacity),
                #[cfg(test)]
                fail_next_record: false,
            })),
            journal: None,
            instance: 0,
        };
        let instance;
        let txn = w.db.begin_write().map_err(|e| w.fail("begin write", e))?;
        let tables: Vec<String> = txn
            .list_tables()
            .map_err(|e| w.fail("list tables", e))?
            .map(|t| t.name().to_string())
            .collect();
        let format = {
            let mut meta = txn.open_table(META).map_err(|e| w.fail("open meta", e))?;
            let get = |meta: &Table<&str, u64>, key: &str| -> Result<Option<u64>, String> {
                Ok(meta
                    .get(key)
                    .map_err(|e| w.fail("read meta", e))?
                    .map(|v| v.value()))
            };
            let format = get(&meta, "format")?;
            match format {
                Some(1..=FORMAT) => {
                    s.next_seq = get(&meta, "next_seq")?.unwrap_or(0);
                    s.floor = get(&meta, "floor")?.unwrap_or(0);
                }
                Some(other) => {
                    return Err(w.fail(
                        "unsupported format",
                        format!("{other} (this version reads 1 to {FORMAT})"),
                    ))
                }
                None if !tables.is_empty() => {
                    // someone else's redb file: never adopt it
                    return Err(w.fail("not a dedup window", "unknown tables and no format"));
                }
                None => {
                    meta.insert("format", FORMAT)
                        .map_err(|e| w.fail("write meta", e))?;
                }
            }
            instance = match get(&meta, "instance")? {
                Some(i) => i,
                None => {
                    let i = fastrand::u64(..);
                    meta.insert("instance", i)
                        .map_err(|e| w.fail("write meta", e))?;
                    i
                }
            };
            let gens = txn.open_table(GENS).map_err(|e| w.fail("open gens", e))?;
            for g in gens.iter().map_err(|e| w.fail("read gens", e))? {
                let (n, start) = g.map_err(|e| w.fail("read gens", e))?;
                s.gens.push((n.value(), start.value()));
            }
            let batches = txn
                .open_table(BATCHES)
                .map_err(|e| w.fail("open batches", e))?;
            let last = batches.last().map_err(|e| w.fail("read batches", e))?;
            if let Some((_, at)) = last {
                s.newest_ms = at.value();
            }
            format
        };
        if s.floor > s.next_seq || s.gens.iter().any(|&(_, start)| start > s.next_seq) {
            return Err(w.fail("inconsistent", format!("{s:?}")));
        }
        let format = format.unwrap_or(FORMAT);
        if let Some(&(n, _)) = s
            .gens
            .iter()
            .find(|&&(n, _)| !tables.contains(&gen_name_in(format, n)))
        {
            return Err(w.fail("inconsistent", format!("generation {n} is missing")));
        }
        if format < FORMAT {
            w.migrate(&txn, &s, format)?;
        }
        w.evict(&txn, &mut s, to_ms(SystemTime::now()))?;
        w.save(&txn, &s)?;
        txn.commit().map_err(|e| w.fail("commit", e))?;
        let mut w = w;
        w.instance = instance;
        if !w.restore_index(&s) {
            w.load_index(&s)?;
        }
        Ok(w)
    }

    /// Indexes the live ids of the committed state `s`, and publishes both.
    fn load_index(&self, s: &State) -> Result<(), String> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| self.fail("begin read", e))?;
        let mut shared = self.write();
        let mut entries = Vec::with_capacity(usize::try_from(s.next_seq - s.floor).unwrap_or(0));
        for &(n, _) in &s.gens {
            let name = gen_name(n);
            let table = txn
                .open_table(row_table(&name))
                .map_err(|e| self.fail("open generation", e))?;
            // the row that holds `floor` may start below it
            let first = match table
                .range(..=s.floor)
                .map_err(|e| self.fail("read", e))?
                .next_back()
            {
                Some(row) => row.map_err(|e| self.fail("read", e))?.0.value(),
                None => s.floor,
            };
            for entry in table.range(first..).map_err(|e| self.fail("read", e))? {
                let (start, v) = entry.map_err(|e| self.fail("read", e))?;
                let (start, (ids, _)) = (start.value(), v.value());
                for (seq, id) in (start..).zip(row::ids(ids)) {
                    if seq < s.floor {
                        continue;
                    }
                    let id = std::str::from_utf8(id).map_err(|e| self.fail("read", e))?;
                    entries.push(Entry::new(shared.index.tag(id), seq));
                }
            }
        }
        // live ids are at most `capacity`: the index never fills with them
        shared.index.insert_all(entries);
        shared.state = s.clone();
        Ok(())
    }

    /// Which of `ids` were delivered within the window at `now`.
    pub fn delivered(&self, ids: &[&str], now: SystemTime) -> Result<Vec<bool>, String> {
        self.reader().delivered(ids, now)
    }

    /// A view for lookups from another thread while this one records.
    pub fn reader(&self) -> DedupReader {
        DedupReader {
            db: self.db.clone(),
            path: self.path.clone(),
            ttl_ms: self.ttl_ms,
            shared: self.shared.clone(),
        }
    }

    /// How many ids the window holds (expired ones included until the next `record` or
    /// `open` evicts them).
    pub fn len(&self) -> usize {
        let s = &self.read().state;
        usize::try_from(s.next_seq - s.floor).unwrap_or(usize::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The file, or `None` for an in-memory window.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn read(&self) -> RwLockReadGuard<'_, Shared> {
        read(&self.shared)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Shared> {
        write(&self.shared)
    }

    fn fail(&self, what: &str, e: impl fmt::Display) -> String {
        fail(self.path.as_deref(), what, e)
    }

    /// The database and the shared state of a window nobody else holds yet.
    fn into_parts(self) -> (Database, Shared) {
        let store = Arc::try_unwrap(self.db)
            .ok()
            .expect("a window just opened is not shared");
        let shared = Arc::try_unwrap(self.shared)
            .ok()
            .expect("a window just opened is not shared")
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        (
            store.into_database().expect("a window just opened is open"),
            shared,
        )
    }
}

/// How the store opens the file again after a failed write (see `store.rs`): handed to it
/// as [`store::Reopen::open`], so that the store does not import the window.
fn reopen(r: &store::Reopen) -> Result<(Database, Shared), String> {
    DedupWindow::open_with(&r.dir, r.ttl, r.capacity, r.index).map(DedupWindow::into_parts)
}

mod index;
mod journal;
mod migrate;
mod reader;
mod record;
mod restart;
mod row;
mod snapshot;
mod state;
mod store;
mod tables;
#[cfg(test)]
mod tests;

pub use reader::DedupReader;
/// The saved index's file name inside `state_dir` (`snapshot.rs`).
pub use snapshot::FILE_NAME as INDEX_FILE_NAME;
