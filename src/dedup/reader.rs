//! Lookups that run beside the writer (see [`DedupReader`]).

use super::row;
use super::state::{fail, read, to_ms, Shared};
use super::tables::{gen_name, row_table};
use redb::TableError;
use std::collections::hash_map::{Entry, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// Looks ids up in the last committed state of a window: the index answers for ids it
/// has no candidate for (new ones, the common case); a candidate is confirmed against the
/// stored id in a redb read transaction. redb readers see a consistent snapshot and never
/// wait for the writer, so lookups go on while a commit (and its fsync) runs on another
/// thread; the index is updated only after a commit, so that snapshot holds every id it
/// names.
#[derive(Clone)]
pub struct DedupReader {
    pub(super) db: Arc<super::store::Store>,
    pub(super) path: Option<Arc<Path>>,
    pub(super) ttl_ms: u64,
    pub(super) shared: Arc<RwLock<Shared>>,
}

impl DedupReader {
    /// Holds redb's write lock until the transaction is dropped: a commit waits meanwhile.
    #[cfg(test)]
    pub(crate) fn block_commits(&self) -> redb::WriteTransaction {
        self.db.begin_write().expect("a write transaction")
    }

    /// Makes the window's next `record` fail (nothing recorded), as a broken disk would.
    #[cfg(test)]
    pub(crate) fn fail_next_record(&self) {
        super::state::write(&self.shared).fail_next_record = true;
    }

    /// Which of `ids` were delivered within the window at `now`, as of the last commit.
    pub fn delivered(&self, ids: &[&str], now: SystemTime) -> Result<Vec<bool>, String> {
        let mut out = vec![false; ids.len()];
        let shared = read(&self.shared);
        let s = &shared.state;
        // (position in `ids`, generation position, seq) of every live candidate
        let mut check = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let tag = shared.index.tag(id);
            check.extend(s.candidates(&shared.index, tag).map(|(g, seq)| (i, g, seq)));
        }
        if check.is_empty() {
            return Ok(out);
        }
        let fail = |what: &str, e: &dyn fmt::Display| fail(self.path.as_deref(), what, e);
        if !self.db.is_open() {
            // Closed after a failed write: opening it replaces `shared`, so not under it.
            drop(shared);
            self.db
                .ensure_open(&self.shared)
                .map_err(|e| fail("open", &e))?;
            return self.delivered(ids, now);
        }
        let now_ms = to_ms(now);
        // begun under the lock: at least as new as the commit the index reflects
        let txn = self.db.begin_read().map_err(|e| fail("begin read", &e))?;
        let mut tables = HashMap::new();
        for (i, g, seq) in check {
            if out[i] {
                continue;
            }
            let n = s.gens[g].0;
            let table = match tables.entry(n) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(match txn.open_table(row_table(&gen_name(n))) {
                    Ok(t) => Some(t),
                    // deleted by a commit since: all its ids were evicted
                    Err(TableError::TableDoesNotExist(_)) => None,
                    Err(e) => return Err(fail("open generation", &e)),
                }),
            };
            let Some(table) = table else { continue };
            if let Some(at) = row::holds(table, seq, ids[i]).map_err(|e| fail("read", &e))? {
                out[i] = now_ms.saturating_sub(at) < self.ttl_ms;
            }
        }
        Ok(out)
    }
}
