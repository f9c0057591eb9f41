//! What a window carries over a restart besides its database: the journal of ids acked
//! but not yet committed (`journal.rs`), and the index saved on a clean shutdown
//! (`snapshot.rs`). Its own module so that `mod.rs` stays about the database.

use super::journal::{self, Journal};
use super::snapshot;
use super::state::State;
use super::DedupWindow;
use std::path::Path;
use std::time::SystemTime;

impl DedupWindow {
    /// Records what the journal in `dir` holds, then starts it afresh. Only [`Self::open`]
    /// calls it: a reopen after an I/O error must not touch the live journal.
    pub(super) fn recover_journal(&mut self, dir: &Path) -> Result<(), String> {
        let (ids, torn) = journal::replay(dir).map_err(|e| e.to_string())?;
        for problem in torn {
            tracing::warn!("{problem}");
        }
        if !ids.is_empty() {
            // `record` skips ids the window (or this call) already holds
            let before = self.read().state.next_seq;
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            self.record(&refs, SystemTime::now())?;
            tracing::info!(
                ids = self.read().state.next_seq - before,
                "dedup window: recorded the delivered ids a crash left in the journal"
            );
        }
        self.journal = Some(Journal::create(dir).map_err(|e| e.to_string())?);
        Ok(())
    }

    /// The journal, for the pipeline that acks (once; `None` in memory).
    pub fn take_journal(&mut self) -> Option<Journal> {
        self.journal.take()
    }

    /// Takes the index saved at the last clean shutdown, if it matches `s` exactly.
    pub(super) fn restore_index(&self, s: &State) -> bool {
        let Some(dir) = self.path.as_deref().and_then(Path::parent) else {
            return false;
        };
        let stamp = self.stamp(s);
        let mut shared = self.write();
        let restored = snapshot::load(dir, &mut shared.index, stamp);
        if restored {
            shared.state = s.clone();
            tracing::info!(
                ids = s.next_seq - s.floor,
                "dedup window: index loaded as saved at the last shutdown"
            );
        }
        restored
    }

    pub(super) fn stamp(&self, s: &State) -> snapshot::Stamp {
        snapshot::Stamp {
            instance: self.instance,
            next_seq: s.next_seq,
            floor: s.floor,
        }
    }

    /// Saves the index for the next open (`snapshot.rs`): call after the last commit of a
    /// clean shutdown. Nothing to do in memory.
    pub fn save_index(&self) -> Result<(), String> {
        let Some(dir) = self.path.as_deref().and_then(Path::parent) else {
            return Ok(());
        };
        let shared = self.read();
        snapshot::save(dir, &shared.index, self.stamp(&shared.state))
            .map_err(|e| self.fail("save the index", e))
    }
}
