//! Lookups that run beside the writer (see [`DedupReader`]).

use super::{fail, gen_name, gen_table, newest, to_ms, GENS, META};
use redb::{Database, ReadableDatabase, ReadableTable};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

/// Looks ids up in the last committed state of a window. redb readers see a consistent
/// snapshot and never wait for the writer, so lookups go on while a commit (and its
/// fsync) runs on another thread. The snapshot carries its own `floor` and generations:
/// nothing is shared with the writer but the file.
#[derive(Clone)]
pub struct DedupReader {
    pub(super) db: Arc<Database>,
    pub(super) path: Option<Arc<Path>>,
    pub(super) ttl_ms: u64,
}

impl DedupReader {
    /// Holds redb's write lock until the transaction is dropped: a commit waits meanwhile.
    #[cfg(test)]
    pub(crate) fn block_commits(&self) -> redb::WriteTransaction {
        self.db.begin_write().expect("a write transaction")
    }

    /// Which of `ids` were delivered within the window at `now`, as of the last commit
    /// (one read transaction).
    pub fn delivered(&self, ids: &[&str], now: SystemTime) -> Result<Vec<bool>, String> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let fail = |what: &str, e: &dyn fmt::Display| fail(self.path.as_deref(), what, e);
        let now_ms = to_ms(now);
        let txn = self.db.begin_read().map_err(|e| fail("begin read", &e))?;
        let floor = txn
            .open_table(META)
            .map_err(|e| fail("open meta", &e))?
            .get("floor")
            .map_err(|e| fail("read meta", &e))?
            .map_or(0, |v| v.value());
        let mut names = Vec::new();
        let gens = txn.open_table(GENS).map_err(|e| fail("open gens", &e))?;
        for g in gens.iter().map_err(|e| fail("read gens", &e))? {
            let (n, _) = g.map_err(|e| fail("read gens", &e))?;
            names.push(gen_name(n.value()));
        }
        let tables = names
            .iter()
            .map(|n| txn.open_table(gen_table(n)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| fail("open generation", &e))?;
        ids.iter()
            .map(|id| {
                Ok(match newest(&tables, id).map_err(|e| fail("read", &e))? {
                    Some((seq, at)) => seq >= floor && now_ms.saturating_sub(at) < self.ttl_ms,
                    None => false,
                })
            })
            .collect()
    }
}
