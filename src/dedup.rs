//! The dedup window: ids of records every sink accepted, remembered for `ttl`, at most
//! `capacity` of them, oldest evicted first. Exact by design: a probabilistic filter
//! could refuse a new id (loss) or forget a recent one (duplicate).
//!
//! The window lives in `{state_dir}/dedup.redb`, a redb database (one file, copy-on-write
//! B-trees, a commit is durable once `commit()` returns), so it survives a restart and a
//! SIGKILL. Ids enter only after delivery ([`DedupWindow::record`]), so a crash can cause
//! a duplicate but never a loss. No id is kept in memory: lookups go to redb, whose page
//! cache is bounded ([`CACHE_BYTES`]).
//!
//! # Layout (format 1)
//!
//! Every id admitted to the window gets the next sequence number. The window is the
//! `capacity` newest sequence numbers, less the expired ones: the live ids are exactly
//! those with `seq >= floor`, where `floor` only ever moves up (eviction by capacity
//! sets it to `next_seq - capacity`, expiry past the last expired id). So `len` is
//! `next_seq - floor`, and evicting the oldest ids is one number, not a delete per id.
//!
//! - `ids.{n}` (generations): id → (seq, recorded-at ms since the Unix epoch). A new
//!   generation starts every `capacity / GENERATIONS` sequence numbers; a generation is
//!   deleted as a whole once all its sequence numbers are below `floor`. A lookup tries
//!   the newest generation first and stops at the first copy, which is the newest.
//!   Inserting an id touches one B-tree leaf; evicting touches none (deleting a whole
//!   table only frees its pages), which halves the pages each commit writes compared with
//!   removing evicted ids one by one.
//! - `gens`: generation number → its first sequence number.
//! - `batches`: first sequence number of a `record` call → its recorded-at, to move
//!   `floor` past expired ids.
//! - `meta`: `format`, `next_seq`, `floor`.
//!
//! A stale copy of an id (in an older generation, below `floor`) stays on disk until its
//! generation is deleted: the file holds at most `capacity + capacity / GENERATIONS` ids.
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

use redb::backends::InMemoryBackend;
use redb::{
    Database, DatabaseError, ReadableDatabase, ReadableTable, TableDefinition, TableHandle,
    WriteTransaction,
};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A generation of ids: id → (seq, recorded-at ms). Named `ids.{n}`.
type Ids<'a> = TableDefinition<'a, &'static str, (u64, u64)>;
/// generation number → first seq.
const GENS: TableDefinition<u64, u64> = TableDefinition::new("gens");
/// first seq of a `record` call → its recorded-at ms.
const BATCHES: TableDefinition<u64, u64> = TableDefinition::new("batches");
/// `format`, `next_seq`, `floor`.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const FORMAT: u64 = 1;

/// Generations a full window spans: a lookup of an unknown id reads up to
/// `GENERATIONS + 1` B-trees; evicted ids linger on disk up to `capacity / GENERATIONS`.
const GENERATIONS: u64 = 2;

/// The file name inside `state_dir`.
pub const FILE_NAME: &str = "dedup.redb";
/// redb's page cache (reads and write buffer). The whole daemon must stay within 64 MiB
/// RSS with a full window; lookups beyond the cache read from the OS page cache.
pub const CACHE_BYTES: usize = 16 * 1024 * 1024;

fn gen_table(name: &str) -> Ids<'_> {
    TableDefinition::new(name)
}

fn gen_name(n: u64) -> String {
    format!("ids.{n}")
}

pub struct DedupWindow {
    db: Database,
    /// Where the window lives, for messages: the file, or `None` in memory.
    path: Option<PathBuf>,
    ttl_ms: u64,
    capacity: u64,
    /// Sequence numbers per generation.
    gen_size: u64,
    /// The committed state, cached; replaced only after a commit succeeded.
    state: State,
}

#[derive(Debug, Clone, PartialEq)]
struct State {
    next_seq: u64,
    floor: u64,
    /// (generation number, first seq), oldest first.
    gens: Vec<(u64, u64)>,
    /// The newest recorded-at: stamps never go below it.
    newest_ms: u64,
}

impl fmt::Debug for DedupWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DedupWindow")
            .field("path", &self.path)
            .field("ttl_ms", &self.ttl_ms)
            .field("capacity", &self.capacity)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl DedupWindow {
    /// Open or create `{dir}/dedup.redb` (creating `dir` if needed). Expired entries, and
    /// entries beyond `capacity` (oldest first), are evicted on open.
    ///
    /// A file that is not a readable dedup window is an error naming the path; it is never
    /// deleted or overwritten. So is a file another process has open.
    pub fn open(dir: &Path, ttl: Duration, capacity: usize) -> Result<DedupWindow, String> {
        let path = dir.join(FILE_NAME);
        let shown = path.display();
        if capacity == 0 {
            return Err(format!("dedup window {shown}: capacity must be at least 1"));
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("dedup window {shown}: cannot create {}: {e}", dir.display()))?;
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
        Self::init(db, Some(path), ttl, capacity)
    }

    /// In memory only (tests, `normalize`): the same code and semantics, nothing on disk.
    pub fn in_memory(ttl: Duration, capacity: usize) -> DedupWindow {
        assert!(capacity > 0, "dedup capacity must be at least 1");
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create_with_backend(InMemoryBackend::new())
            .expect("an in-memory redb database always opens");
        Self::init(db, None, ttl, capacity)
            .expect("a fresh in-memory dedup window always initializes")
    }

    /// Creates or checks the tables, loads the state, and evicts what the ttl and the
    /// capacity no longer allow.
    fn init(
        db: Database,
        path: Option<PathBuf>,
        ttl: Duration,
        capacity: usize,
    ) -> Result<DedupWindow, String> {
        let capacity = capacity as u64;
        let mut w = DedupWindow {
            db,
            path,
            // round up: a sub-millisecond ttl must not become 0 (everything expired)
            ttl_ms: u64::try_from(ttl.as_micros().div_ceil(1000)).unwrap_or(u64::MAX),
            capacity,
            gen_size: capacity.div_ceil(GENERATIONS).max(1),
            state: State {
                next_seq: 0,
                floor: 0,
                gens: Vec::new(),
                newest_ms: 0,
            },
        };
        let txn = w.db.begin_write().map_err(|e| w.fail("begin write", e))?;
        let tables: Vec<String> = txn
            .list_tables()
            .map_err(|e| w.fail("list tables", e))?
            .map(|t| t.name().to_string())
            .collect();
        let mut s = w.state.clone();
        {
            let mut meta = txn.open_table(META).map_err(|e| w.fail("open meta", e))?;
            let get = |meta: &redb::Table<&str, u64>, key: &str| -> Result<Option<u64>, String> {
                Ok(meta
                    .get(key)
                    .map_err(|e| w.fail("read meta", e))?
                    .map(|v| v.value()))
            };
            match get(&meta, "format")? {
                Some(FORMAT) => {
                    s.next_seq = get(&meta, "next_seq")?.unwrap_or(0);
                    s.floor = get(&meta, "floor")?.unwrap_or(0);
                }
                Some(other) => {
                    return Err(w.fail(
                        "unsupported format",
                        format!("{other} (this version reads {FORMAT})"),
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
        }
        if s.floor > s.next_seq || s.gens.iter().any(|&(_, start)| start > s.next_seq) {
            return Err(w.fail("inconsistent", format!("{s:?}")));
        }
        if let Some(&(n, _)) = s
            .gens
            .iter()
            .find(|&&(n, _)| !tables.contains(&gen_name(n)))
        {
            return Err(w.fail("inconsistent", format!("generation {n} is missing")));
        }
        w.evict(&txn, &mut s, to_ms(SystemTime::now()))?;
        w.save(&txn, &s)?;
        txn.commit().map_err(|e| w.fail("commit", e))?;
        w.state = s;
        Ok(w)
    }

    /// Which of `ids` were delivered within the window at `now` (one read transaction).
    pub fn delivered(&self, ids: &[&str], now: SystemTime) -> Result<Vec<bool>, String> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let now_ms = to_ms(now);
        let txn = self
            .db
            .begin_read()
            .map_err(|e| self.fail("begin read", e))?;
        let names: Vec<String> = self.state.gens.iter().map(|g| gen_name(g.0)).collect();
        let tables = names
            .iter()
            .map(|n| txn.open_table(gen_table(n)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.fail("open generation", e))?;
        ids.iter()
            .map(|id| {
                Ok(
                    match newest(&tables, id).map_err(|e| self.fail("read", e))? {
                        Some((seq, at)) => {
                            seq >= self.state.floor && now_ms.saturating_sub(at) < self.ttl_ms
                        }
                        None => false,
                    },
                )
            })
            .collect()
    }

    /// Record `ids` as delivered at `now`, durably (one write transaction, fsync'd)
    /// before returning. In the same transaction expired ids are evicted, then each new id
    /// is admitted, evicting the oldest beyond `capacity` — a new id is always admitted.
    /// An id already in the window is left as it is (not refreshed). On error nothing is
    /// recorded. No ids: nothing is done (no transaction).
    pub fn record(&mut self, ids: &[&str], now: SystemTime) -> Result<(), String> {
        if ids.is_empty() {
            return Ok(());
        }
        let now_ms = to_ms(now);
        // never older than what is already there: recorded-at never decreases with seq
        let stamp = now_ms.max(self.state.newest_ms);
        let mut s = self.state.clone();
        let txn = self
            .db
            .begin_write()
            .map_err(|e| self.fail("begin write", e))?;
        self.evict(&txn, &mut s, now_ms)?;
        let first_seq = s.next_seq;
        {
            let mut tables = s
                .gens
                .iter()
                .map(|g| txn.open_table(gen_table(&gen_name(g.0))))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.fail("open generation", e))?;
            for id in ids {
                // after `evict`, every id at or above the floor is live: nothing to refresh
                let found = newest(&tables, id).map_err(|e| self.fail("read", e))?;
                if found.is_some_and(|(seq, _)| seq >= s.floor) {
                    continue;
                }
                let full = s
                    .gens
                    .last()
                    .is_none_or(|&(_, start)| s.next_seq - start >= self.gen_size);
                if full {
                    let n = s.gens.last().map_or(0, |g| g.0 + 1);
                    s.gens.push((n, s.next_seq));
                    let table = txn
                        .open_table(gen_table(&gen_name(n)))
                        .map_err(|e| self.fail("open generation", e))?;
                    tables.push(table);
                }
                let current = tables.last_mut().expect("a generation was just ensured");
                current
                    .insert(*id, (s.next_seq, stamp))
                    .map_err(|e| self.fail("write", e))?;
                s.next_seq += 1;
                // exact capacity, id by id: a repeat later in this batch sees the eviction
                s.floor = s.floor.max(s.next_seq.saturating_sub(self.capacity));
            }
        }
        if s.next_seq > first_seq {
            let mut batches = txn
                .open_table(BATCHES)
                .map_err(|e| self.fail("open batches", e))?;
            batches
                .insert(first_seq, stamp)
                .map_err(|e| self.fail("write batches", e))?;
            s.newest_ms = stamp;
        }
        self.evict(&txn, &mut s, now_ms)?;
        self.save(&txn, &s)?;
        txn.commit().map_err(|e| self.fail("commit", e))?;
        self.state = s;
        Ok(())
    }

    /// How many ids the window holds (expired ones included until the next `record` or
    /// `open` evicts them).
    pub fn len(&self) -> usize {
        usize::try_from(self.state.next_seq - self.state.floor).unwrap_or(usize::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The file, or `None` for an in-memory window.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Moves `floor` past expired ids and below-capacity ones, forgets the batches below
    /// it, and deletes the generations wholly below it.
    fn evict(&self, txn: &WriteTransaction, s: &mut State, now_ms: u64) -> Result<(), String> {
        s.floor = s.floor.max(s.next_seq.saturating_sub(self.capacity));
        let mut batches = txn
            .open_table(BATCHES)
            .map_err(|e| self.fail("open batches", e))?;
        loop {
            let (start_at, end) = {
                let mut it = batches.iter().map_err(|e| self.fail("read batches", e))?;
                let Some(first) = it.next() else { break };
                let (_, at) = first.map_err(|e| self.fail("read batches", e))?;
                let end = match it.next() {
                    Some(next) => next.map_err(|e| self.fail("read batches", e))?.0.value(),
                    None => s.next_seq,
                };
                (at.value(), end)
            };
            if now_ms.saturating_sub(start_at) >= self.ttl_ms {
                s.floor = s.floor.max(end);
            } else if end > s.floor {
                break;
            }
            batches
                .pop_first()
                .map_err(|e| self.fail("write batches", e))?;
        }
        drop(batches);
        let mut gens = txn
            .open_table(GENS)
            .map_err(|e| self.fail("open gens", e))?;
        while let Some(&(n, _)) = s.gens.first() {
            let end = s.gens.get(1).map_or(s.next_seq, |g| g.1);
            if end > s.floor {
                break;
            }
            let name = gen_name(n);
            txn.delete_table(gen_table(&name))
                .map_err(|e| self.fail("delete generation", e))?;
            gens.remove(n).map_err(|e| self.fail("write gens", e))?;
            s.gens.remove(0);
        }
        Ok(())
    }

    fn save(&self, txn: &WriteTransaction, s: &State) -> Result<(), String> {
        let mut meta = txn
            .open_table(META)
            .map_err(|e| self.fail("open meta", e))?;
        for (key, value) in [("next_seq", s.next_seq), ("floor", s.floor)] {
            meta.insert(key, value)
                .map_err(|e| self.fail("write meta", e))?;
        }
        // a handful of entries; a batch may have started more than one generation
        let mut gens = txn
            .open_table(GENS)
            .map_err(|e| self.fail("open gens", e))?;
        for &(n, start) in &s.gens {
            gens.insert(n, start)
                .map_err(|e| self.fail("write gens", e))?;
        }
        Ok(())
    }

    fn fail(&self, what: &str, e: impl fmt::Display) -> String {
        match &self.path {
            Some(p) => format!("dedup window {}: {what}: {e}", p.display()),
            None => format!("dedup window (in memory): {what}: {e}"),
        }
    }
}

/// The newest copy of `id`: (seq, recorded-at).
fn newest<T: ReadableTable<&'static str, (u64, u64)>>(
    tables: &[T],
    id: &str,
) -> Result<Option<(u64, u64)>, redb::StorageError> {
    for t in tables.iter().rev() {
        if let Some(v) = t.get(id)? {
            return Ok(Some(v.value()));
        }
    }
    Ok(None)
}

/// Milliseconds since the Unix epoch; 0 before it.
fn to_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    /// `secs` after a fixed point ten minutes ago, in whole seconds: close enough to now
    /// that a reopen (which sweeps at the real time) keeps entries an hour's ttl.
    fn t(secs: u64) -> SystemTime {
        static BASE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        let base = BASE.get_or_init(|| to_ms(SystemTime::now()) / 1000 - 600);
        UNIX_EPOCH + Duration::from_secs(base + secs)
    }

    fn ids(n: usize, prefix: &str) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}:{i:08}")).collect()
    }

    fn refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }

    fn all_delivered(w: &DedupWindow, v: &[&str], now: SystemTime) -> bool {
        w.delivered(v, now).unwrap().iter().all(|&b| b)
    }

    fn none_delivered(w: &DedupWindow, v: &[&str], now: SystemTime) -> bool {
        w.delivered(v, now).unwrap().iter().all(|&b| !b)
    }

    #[test]
    fn remembers_within_ttl_and_forgets_after() {
        let mut w = DedupWindow::in_memory(Duration::from_secs(10), 100);
        w.record(&["a"], t(0)).unwrap();
        assert_eq!(w.delivered(&["a", "b"], t(9)).unwrap(), [true, false]);
        assert_eq!(w.delivered(&["a"], t(10)).unwrap(), [false]);
        // expired entries are swept by the next record
        assert_eq!(w.len(), 1);
        w.record(&["b"], t(10)).unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(w.delivered(&["a", "b"], t(10)).unwrap(), [false, true]);
    }

    #[test]
    fn recording_again_does_not_refresh_or_duplicate() {
        let mut w = DedupWindow::in_memory(Duration::from_secs(10), 2);
        w.record(&["a"], t(0)).unwrap();
        w.record(&["a", "a"], t(5)).unwrap();
        w.record(&["b"], t(5)).unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w.delivered(&["a", "b"], t(9)).unwrap(), [true, true]);
        assert_eq!(w.delivered(&["a", "b"], t(10)).unwrap(), [false, true]);
    }

    #[test]
    fn exact_at_capacity_oldest_evicted_new_always_admitted() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = DedupWindow::open(dir.path(), HOUR, 3).unwrap();
        w.record(&["a", "b", "c"], t(0)).unwrap();
        w.record(&["d"], t(1)).unwrap();
        assert_eq!(w.len(), 3);
        assert_eq!(
            w.delivered(&["a", "b", "c", "d"], t(2)).unwrap(),
            [false, true, true, true]
        );
        // every new id is admitted, one at a time and in a batch larger than capacity
        for (i, id) in ids(50, "n").iter().enumerate() {
            w.record(&[id], t(2 + i as u64)).unwrap();
            assert!(all_delivered(&w, &[id], t(60)), "{id}");
            assert_eq!(w.len(), 3);
        }
        let batch = ids(10, "m");
        w.record(&refs(&batch), t(100)).unwrap();
        assert_eq!(w.len(), 3);
        assert!(none_delivered(&w, &refs(&batch[..7]), t(100)));
        assert!(all_delivered(&w, &refs(&batch[7..]), t(100)));
    }

    #[test]
    fn survives_reopen_with_len() {
        let dir = tempfile::tempdir().unwrap();
        let v = ids(1000, "hm");
        {
            let mut w = DedupWindow::open(dir.path(), HOUR, 600).unwrap();
            w.record(&refs(&v[..500]), t(0)).unwrap();
            w.record(&refs(&v[500..]), t(1)).unwrap();
            assert_eq!(w.len(), 600);
        }
        let mut w = DedupWindow::open(dir.path(), HOUR, 600).unwrap();
        assert_eq!(w.len(), 600);
        assert!(none_delivered(&w, &refs(&v[..400]), t(2)));
        assert!(all_delivered(&w, &refs(&v[400..]), t(2)));
        // eviction order and sequence numbers carry on across the restart
        w.record(&["x"], t(3)).unwrap();
        assert_eq!(w.len(), 600);
        assert!(none_delivered(&w, &[v[400].as_str()], t(3)));
        assert!(all_delivered(&w, &[v[401].as_str(), "x"], t(3)));
    }

    #[test]
    fn reopen_applies_a_smaller_capacity_and_a_shorter_ttl() {
        let dir = tempfile::tempdir().unwrap();
        let v = ids(10, "hm");
        {
            let mut w = DedupWindow::open(dir.path(), HOUR, 100).unwrap();
            // ages 57, 51, ..., 3 minutes
            let start = SystemTime::now() - Duration::from_secs(57 * 60);
            for (i, id) in v.iter().enumerate() {
                w.record(&[id], start + Duration::from_secs(i as u64 * 6 * 60))
                    .unwrap();
            }
        }
        let w = DedupWindow::open(dir.path(), HOUR, 8).unwrap();
        assert_eq!(w.len(), 8);
        assert!(none_delivered(&w, &refs(&v[..2]), SystemTime::now()));
        drop(w);
        // a 25-minute ttl keeps the entries 21, 15, 9 and 3 minutes old
        let w = DedupWindow::open(dir.path(), Duration::from_secs(25 * 60), 8).unwrap();
        assert_eq!(w.len(), 4);
        assert!(all_delivered(&w, &refs(&v[6..]), SystemTime::now()));
    }

    #[test]
    fn crash_without_close_keeps_committed_ids() {
        let dir = tempfile::tempdir().unwrap();
        let v = ids(100, "bmw");
        let mut w = DedupWindow::open(dir.path(), HOUR, 1000).unwrap();
        w.record(&refs(&v), t(0)).unwrap();
        // no close, no drop: the file is as a SIGKILL would leave it. The forgotten handle
        // still holds the file lock, so open a copy of the file.
        std::mem::forget(w);
        let copy = tempfile::tempdir().unwrap();
        std::fs::copy(dir.path().join(FILE_NAME), copy.path().join(FILE_NAME)).unwrap();
        let w = DedupWindow::open(copy.path(), HOUR, 1000).unwrap();
        assert_eq!(w.len(), 100);
        assert!(all_delivered(&w, &refs(&v), t(1)));
    }

    /// A real SIGKILL: this test re-runs itself as a child process that records ids and
    /// then waits to be killed.
    #[test]
    fn survives_sigkill() {
        use std::io::BufRead;
        const ENV: &str = "VINSTREAM_DEDUP_SIGKILL_CHILD";
        let v = ids(300, "hm");
        if let Some(dir) = std::env::var_os(ENV) {
            let mut w = DedupWindow::open(Path::new(&dir), HOUR, 1000).unwrap();
            for chunk in v.chunks(100) {
                w.record(&refs(chunk), SystemTime::now()).unwrap();
            }
            println!("recorded");
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "dedup::tests::survives_sigkill", "--nocapture"])
            .env(ENV, dir.path())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut recorded = false;
        for line in out.lines() {
            if line.unwrap().trim() == "recorded" {
                recorded = true;
                break;
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(recorded, "the child did not record");
        let w = DedupWindow::open(dir.path(), HOUR, 1000).unwrap();
        assert_eq!(w.len(), 300);
        assert!(all_delivered(&w, &refs(&v), SystemTime::now()));
    }

    #[test]
    fn ten_thousand_ids_in_one_record() {
        let dir = tempfile::tempdir().unwrap();
        let v = ids(10_000, "hm");
        let mut w = DedupWindow::open(dir.path(), HOUR, 20_000).unwrap();
        w.record(&refs(&v), t(0)).unwrap();
        assert_eq!(w.len(), 10_000);
        assert!(all_delivered(&w, &refs(&v), t(1)));
        drop(w);
        // a batch larger than the capacity keeps its newest ids
        let mut w = DedupWindow::open(dir.path(), HOUR, 5_000).unwrap();
        assert_eq!(w.len(), 5_000);
        let more = ids(10_000, "bmw");
        w.record(&refs(&more), t(2)).unwrap();
        assert_eq!(w.len(), 5_000);
        assert!(none_delivered(&w, &refs(&v), t(2)));
        assert!(none_delivered(&w, &refs(&more[..5_000]), t(2)));
        assert!(all_delivered(&w, &refs(&more[5_000..]), t(2)));
        drop(w);
        assert_eq!(
            DedupWindow::open(dir.path(), HOUR, 5_000).unwrap().len(),
            5_000
        );
    }

    #[test]
    fn old_generations_are_deleted_and_the_window_stays_exact() {
        let dir = tempfile::tempdir().unwrap();
        let v = ids(5_000, "hm");
        let mut w = DedupWindow::open(dir.path(), HOUR, 1_000).unwrap();
        for (i, chunk) in v.chunks(100).enumerate() {
            w.record(&refs(chunk), t(i as u64)).unwrap();
            assert_eq!(w.len(), (100 * (i + 1)).min(1_000));
        }
        drop(w);
        let w = DedupWindow::open(dir.path(), HOUR, 1_000).unwrap();
        assert!(none_delivered(&w, &refs(&v[..4_000]), t(60)));
        assert!(all_delivered(&w, &refs(&v[4_000..]), t(60)));
        drop(w);
        // at most capacity / GENERATIONS evicted ids are still stored
        let db = Database::open(dir.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_read().unwrap();
        let mut stored = 0;
        for t in txn.list_tables().unwrap() {
            if t.name().starts_with("ids.") {
                use redb::ReadableTableMetadata;
                stored += txn.open_table(gen_table(t.name())).unwrap().len().unwrap();
            }
        }
        assert!((1_000..=1_500).contains(&stored), "{stored} ids stored");
    }

    #[test]
    fn a_clock_going_backwards_never_expires_entries_early() {
        let ttl = Duration::from_secs(10);
        let mut w = DedupWindow::in_memory(ttl, 100);
        w.record(&["a"], t(1000)).unwrap();
        // the clock goes back 100 s: "a" was recorded in the future, still delivered
        assert!(all_delivered(&w, &["a"], t(900)));
        // recording now neither sweeps "a" nor stamps "b" earlier than "a"
        w.record(&["b"], t(900)).unwrap();
        assert_eq!(w.len(), 2);
        assert!(all_delivered(&w, &["a", "b"], t(905)));
        assert!(all_delivered(&w, &["a", "b"], t(1009)));
        w.record(&["c"], t(1005)).unwrap();
        // both expire ttl after the newest time seen, not earlier
        assert_eq!(
            w.delivered(&["a", "b", "c"], t(1010)).unwrap(),
            [false, false, true]
        );
        w.record(&["d"], t(1010)).unwrap();
        assert_eq!(w.len(), 2);
        // before the epoch counts as the epoch
        assert!(all_delivered(
            &w,
            &["c", "d"],
            UNIX_EPOCH - Duration::from_secs(1)
        ));
    }

    #[test]
    fn a_corrupt_file_is_an_error_naming_it_and_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &garbage).unwrap();
        let e = DedupWindow::open(dir.path(), HOUR, 10).unwrap_err();
        assert!(e.contains(&path.display().to_string()), "{e}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            garbage,
            "the file was modified"
        );
    }

    #[test]
    fn a_file_of_another_format_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        {
            let db = Database::create(&path).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(META).unwrap().insert("format", 99).unwrap();
            txn.commit().unwrap();
        }
        let e = DedupWindow::open(dir.path(), HOUR, 10).unwrap_err();
        assert!(
            e.contains("format") && e.contains(&path.display().to_string()),
            "{e}"
        );
        // a table of the wrong type too
        let other = tempfile::tempdir().unwrap();
        {
            let db = Database::create(other.path().join(FILE_NAME)).unwrap();
            let txn = db.begin_write().unwrap();
            let def: TableDefinition<u64, u64> = TableDefinition::new("ids");
            txn.open_table(def).unwrap().insert(1, 1).unwrap();
            txn.commit().unwrap();
        }
        let e = DedupWindow::open(other.path(), HOUR, 10).unwrap_err();
        assert!(e.contains("dedup.redb"), "{e}");
        // someone else's redb file is not adopted
        let foreign = tempfile::tempdir().unwrap();
        {
            let db = Database::create(foreign.path().join(FILE_NAME)).unwrap();
            let txn = db.begin_write().unwrap();
            let def: TableDefinition<&str, &str> = TableDefinition::new("settings");
            txn.open_table(def).unwrap().insert("k", "v").unwrap();
            txn.commit().unwrap();
        }
        let e = DedupWindow::open(foreign.path(), HOUR, 10).unwrap_err();
        assert!(e.contains("not a dedup window"), "{e}");
        let db = Database::open(foreign.path().join(FILE_NAME)).unwrap();
        let names: Vec<String> = db
            .begin_read()
            .unwrap()
            .list_tables()
            .unwrap()
            .map(|t| t.name().to_string())
            .collect();
        assert_eq!(names, ["settings"], "the foreign file was changed");
    }

    #[test]
    fn a_second_open_of_the_same_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _w = DedupWindow::open(dir.path(), HOUR, 10).unwrap();
        let e = DedupWindow::open(dir.path(), HOUR, 10).unwrap_err();
        assert!(e.contains("dedup.redb"), "{e}");
    }

    #[test]
    fn zero_capacity_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(DedupWindow::open(dir.path(), HOUR, 0).is_err());
    }

    /// The window as the old in-memory code kept it: a queue in insertion (= expiry)
    /// order, expired ids evicted before a record, the oldest beyond capacity after each
    /// admission.
    #[derive(Debug, Default)]
    struct Model {
        queue: std::collections::VecDeque<(String, u64)>,
        newest_ms: u64,
    }

    impl Model {
        fn expire(&mut self, now_ms: u64, ttl_ms: u64) {
            while self
                .queue
                .front()
                .is_some_and(|(_, at)| now_ms.saturating_sub(*at) >= ttl_ms)
            {
                self.queue.pop_front();
            }
        }

        fn trim(&mut self, capacity: usize) {
            while self.queue.len() > capacity {
                self.queue.pop_front();
            }
        }

        fn record(&mut self, ids: &[&str], now_ms: u64, ttl_ms: u64, capacity: usize) {
            if ids.is_empty() {
                return;
            }
            self.expire(now_ms, ttl_ms);
            let stamp = now_ms.max(self.newest_ms);
            for id in ids {
                if self.queue.iter().any(|(x, _)| x == id) {
                    continue;
                }
                self.queue.push_back((id.to_string(), stamp));
                self.newest_ms = stamp;
                self.trim(capacity);
            }
        }

        fn delivered(&self, id: &str, now_ms: u64, ttl_ms: u64) -> bool {
            self.queue
                .iter()
                .any(|(x, at)| x == id && now_ms.saturating_sub(*at) < ttl_ms)
        }
    }

    mod model {
        use super::*;
        use proptest::prelude::*;

        const ALPHABET: usize = 12;

        #[derive(Debug, Clone)]
        enum Op {
            /// Move the clock by this many seconds (may be negative), then record these ids.
            Record(i64, Vec<usize>),
            /// Reopen the file, with this capacity.
            Reopen(usize),
        }

        fn op(reopen: bool) -> impl Strategy<Value = Op> {
            let record = (-5i64..20, proptest::collection::vec(0..ALPHABET, 0..8))
                .prop_map(|(dt, ids)| Op::Record(dt, ids));
            let reopen_weight = if reopen { 1 } else { 0 };
            prop_oneof![
                8 => record,
                reopen_weight => (1usize..8).prop_map(Op::Reopen),
            ]
        }

        fn check(
            w: &DedupWindow,
            m: &Model,
            names: &[String],
            now: SystemTime,
            ttl_ms: u64,
        ) -> Result<(), TestCaseError> {
            let got = w.delivered(&refs(names), now).unwrap();
            let want: Vec<bool> = names
                .iter()
                .map(|id| m.delivered(id, to_ms(now), ttl_ms))
                .collect();
            prop_assert_eq!(got, want);
            prop_assert_eq!(w.len(), m.queue.len());
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            /// Small capacities start and delete generations constantly; the clock jumps
            /// back and forth across the ttl.
            #[test]
            fn in_memory_matches_the_model(
                ttl_s in 1u64..30,
                capacity in 1usize..8,
                ops in proptest::collection::vec(op(false), 1..60),
            ) {
                let names = ids(ALPHABET, "id");
                let ttl_ms = ttl_s * 1000;
                let mut w = DedupWindow::in_memory(Duration::from_secs(ttl_s), capacity);
                let mut m = Model::default();
                let mut clock: i64 = 1_000;
                for op in ops {
                    let Op::Record(dt, batch) = op else { continue };
                    clock = (clock + dt).max(0);
                    let now = t(clock as u64);
                    let batch: Vec<&str> = batch.iter().map(|&i| names[i].as_str()).collect();
                    w.record(&batch, now).unwrap();
                    m.record(&batch, to_ms(now), ttl_ms, capacity);
                    check(&w, &m, &names, now, ttl_ms)?;
                    // and a little later, without a record in between
                    let later = now + Duration::from_secs(ttl_s / 2 + 1);
                    check(&w, &m, &names, later, ttl_ms)?;
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]
            /// On disk with restarts, which may change the capacity. The ttl is long enough
            /// that the real clock, which a reopen evicts with, expires nothing.
            #[test]
            fn on_disk_across_reopens_matches_the_model(
                capacity in 1usize..8,
                ops in proptest::collection::vec(op(true), 1..40),
            ) {
                let names = ids(ALPHABET, "id");
                let ttl_ms = HOUR.as_millis() as u64;
                let dir = tempfile::tempdir().unwrap();
                let mut capacity = capacity;
                let mut w = DedupWindow::open(dir.path(), HOUR, capacity).unwrap();
                let mut m = Model::default();
                let mut clock: i64 = 0;
                for op in ops {
                    match op {
                        Op::Record(dt, batch) => {
                            clock = (clock + dt).max(0);
                            let batch: Vec<&str> =
                                batch.iter().map(|&i| names[i].as_str()).collect();
                            w.record(&batch, t(clock as u64)).unwrap();
                            m.record(&batch, to_ms(t(clock as u64)), ttl_ms, capacity);
                        }
                        Op::Reopen(c) => {
                            drop(w);
                            capacity = c;
                            w = DedupWindow::open(dir.path(), HOUR, capacity).unwrap();
                            m.trim(capacity);
                        }
                    }
                    check(&w, &m, &names, t(clock as u64), ttl_ms)?;
                }
            }
        }
    }
}
