//! Converting an older window to format 3 (ids in rows by sequence number), inside the
//! opening transaction: a crash before its commit leaves the file as it was, to be
//! converted again.
//!
//! - Format 1 kept `ids.{n}`: id → (seq, recorded-at). It becomes format 2 first.
//! - Format 2 kept `log.{n}`: seq → (id, recorded-at), one entry per id. Its entries are
//!   read in sequence order and written as rows (`row.rs`) in `rows.{n}`.
//!
//! The generation numbers and sequence numbers stay as they are, so `gens`, `batches` and
//! `meta` carry over, and so does an index saved by the older version (`snapshot.rs`).
//! Stale copies below `floor` are left behind: they were no longer in the window.

use super::row::{self, ROW_IDS};
use super::state::State;
use super::tables::{gen_name_in, row_table, Format1, Format2, FORMAT, META};
use super::DedupWindow;
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use tracing::info;

impl DedupWindow {
    /// Converts the generations of `s`, stored in `format` (1 or 2), to format 3 and
    /// marks the file so.
    pub(super) fn migrate(
        &self,
        txn: &WriteTransaction,
        s: &State,
        format: u64,
    ) -> Result<(), String> {
        if format == 1 {
            self.format_1_to_2(txn, s)?;
        }
        let moved = self.format_2_to_3(txn, s)?;
        txn.open_table(META)
            .map_err(|e| self.fail("open meta", e))?
            .insert("format", FORMAT)
            .map_err(|e| self.fail("write meta", e))?;
        info!(
            path = ?self.path,
            ids = moved,
            from = format,
            to = FORMAT,
            "dedup window converted to the current format"
        );
        Ok(())
    }

    fn format_1_to_2(&self, txn: &WriteTransaction, s: &State) -> Result<(), String> {
        for &(n, _) in &s.gens {
            let old_name = gen_name_in(1, n);
            let old_def: Format1 = TableDefinition::new(&old_name);
            let new_name = gen_name_in(2, n);
            {
                let old = txn
                    .open_table(old_def)
                    .map_err(|e| self.fail("open format-1 generation", e))?;
                let new_def: Format2 = TableDefinition::new(&new_name);
                let mut new = txn
                    .open_table(new_def)
                    .map_err(|e| self.fail("open format-2 generation", e))?;
                for entry in old.iter().map_err(|e| self.fail("read format 1", e))? {
                    let (id, v) = entry.map_err(|e| self.fail("read format 1", e))?;
                    let (seq, at) = v.value();
                    if seq >= s.floor {
                        new.insert(seq, (id.value(), at))
                            .map_err(|e| self.fail("write format 2", e))?;
                    }
                }
            }
            txn.delete_table(old_def)
                .map_err(|e| self.fail("delete format-1 generation", e))?;
        }
        Ok(())
    }

    /// Returns how many ids were moved.
    fn format_2_to_3(&self, txn: &WriteTransaction, s: &State) -> Result<u64, String> {
        let mut moved = 0u64;
        for &(n, _) in &s.gens {
            let old_name = gen_name_in(2, n);
            let old_def: Format2 = TableDefinition::new(&old_name);
            let new_name = gen_name_in(FORMAT, n);
            {
                let old = txn
                    .open_table(old_def)
                    .map_err(|e| self.fail("open format-2 generation", e))?;
                let mut new = txn
                    .open_table(row_table(&new_name))
                    .map_err(|e| self.fail("open generation", e))?;
                // the row being gathered: its first seq, recorded-at and ids
                let mut row: Option<(u64, u64, Vec<String>)> = None;
                let mut put = |row: (u64, u64, Vec<String>)| {
                    let refs: Vec<&str> = row.2.iter().map(String::as_str).collect();
                    new.insert(row.0, (row::encode(&refs).as_slice(), row.1))
                        .map(|_| ())
                        .map_err(|e| self.fail("write", e))
                };
                for entry in old
                    .range(s.floor..)
                    .map_err(|e| self.fail("read format 2", e))?
                {
                    let (seq, v) = entry.map_err(|e| self.fail("read format 2", e))?;
                    let (seq, (id, at)) = (seq.value(), v.value());
                    // a row holds consecutive sequence numbers of one recorded-at
                    let extends = row.as_ref().is_some_and(|(first, row_at, ids)| {
                        *row_at == at && first + ids.len() as u64 == seq && ids.len() < ROW_IDS
                    });
                    if !extends {
                        if let Some(done) = row.take() {
                            put(done)?;
                        }
                        row = Some((seq, at, Vec::new()));
                    }
                    row.as_mut().expect("just set").2.push(id.to_owned());
                    moved += 1;
                }
                if let Some(done) = row.take() {
                    put(done)?;
                }
            }
            txn.delete_table(old_def)
                .map_err(|e| self.fail("delete format-2 generation", e))?;
        }
        Ok(moved)
    }
}
