//! Converting a format-1 window (ids as keys) to format 2 (ids by sequence number).
//!
//! Format 1 kept `ids.{n}`: id → (seq, recorded-at). Format 2 keeps the same entries the
//! other way round in `log.{n}`, with the same generation numbers, so `gens`, `batches`
//! and `meta` carry over as they are. The conversion runs inside the opening transaction:
//! a crash before its commit leaves the file in format 1, to be converted again.

use super::state::State;
use super::tables::{format_1_name, gen_name, log_table, META};
use super::DedupWindow;
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use tracing::info;

/// A format-1 generation: id → (seq, recorded-at ms).
type Ids<'a> = TableDefinition<'a, &'static str, (u64, u64)>;

impl DedupWindow {
    /// Moves the live ids (`seq >= floor`) of every generation of `s` into `log.{n}`,
    /// drops `ids.{n}` and marks the file format 2. Stale copies below `floor` are left
    /// behind: they were no longer in the window.
    pub(super) fn migrate_from_format_1(
        &self,
        txn: &WriteTransaction,
        s: &State,
    ) -> Result<(), String> {
        let mut moved = 0u64;
        for &(n, _) in &s.gens {
            let old_name = format_1_name(n);
            let old_def: Ids = TableDefinition::new(&old_name);
            let new_name = gen_name(n);
            {
                let old = txn
                    .open_table(old_def)
                    .map_err(|e| self.fail("open format-1 generation", e))?;
                let mut new = txn
                    .open_table(log_table(&new_name))
                    .map_err(|e| self.fail("open generation", e))?;
                for entry in old.iter().map_err(|e| self.fail("read format 1", e))? {
                    let (id, v) = entry.map_err(|e| self.fail("read format 1", e))?;
                    let (seq, at) = v.value();
                    if seq >= s.floor {
                        new.insert(seq, (id.value(), at))
                            .map_err(|e| self.fail("write", e))?;
                        moved += 1;
                    }
                }
            }
            txn.delete_table(old_def)
                .map_err(|e| self.fail("delete format-1 generation", e))?;
        }
        txn.open_table(META)
            .map_err(|e| self.fail("open meta", e))?
            .insert("format", super::tables::FORMAT)
            .map_err(|e| self.fail("write meta", e))?;
        info!(
            path = ?self.path,
            ids = moved,
            "dedup window converted from format 1 to format 2"
        );
        Ok(())
    }
}
