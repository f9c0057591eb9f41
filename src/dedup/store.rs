//! The redb database behind the window, opened again after a failed write. After an I/O
//! error redb refuses every further operation (`PreviousIo`) until the database is
//! opened anew, so without this one full disk would turn dedup off until a restart:
//! every later commit would fail and every repeat would become a duplicate.
//!
//! A failed `record` closes the database; the next operation on it, from the committer
//! or from a lookup, opens the file again and reloads the window's state and index from
//! it (what the last successful commit left). While that fails (the disk is still full,
//! a lookup of the old database is still running) the operation fails and its caller
//! retries, as it would on any I/O error.

use super::index::Index;
use super::state::{write, Shared};
use redb::{Database, ReadTransaction, ReadableDatabase, WriteTransaction};
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::Duration;

pub(super) struct Store {
    slot: RwLock<Option<Database>>,
    /// How to open the file again; `None` in memory (nothing to reopen: never closed).
    file: Option<Reopen>,
}

/// What `DedupWindow::open` was given.
#[derive(Clone)]
pub(super) struct Reopen {
    pub dir: PathBuf,
    pub ttl: Duration,
    pub capacity: usize,
    pub index: fn(u64) -> Index,
    /// Opens the window anew from these settings: its database and state.
    pub open: fn(&Reopen) -> Result<(Database, Shared), String>,
}

impl Store {
    pub fn new(db: Database, file: Option<Reopen>) -> Store {
        Store {
            slot: RwLock::new(Some(db)),
            file,
        }
    }

    /// Fails while closed: call [`Store::ensure_open`] first.
    pub fn begin_read(&self) -> Result<ReadTransaction, String> {
        let slot = self.slot.read().unwrap_or_else(|p| p.into_inner());
        match slot.as_ref() {
            Some(db) => db.begin_read().map_err(|e| e.to_string()),
            None => Err(CLOSED.into()),
        }
    }

    /// Fails while closed: call [`Store::ensure_open`] first.
    pub fn begin_write(&self) -> Result<WriteTransaction, String> {
        let slot = self.slot.read().unwrap_or_else(|p| p.into_inner());
        match slot.as_ref() {
            Some(db) => db.begin_write().map_err(|e| e.to_string()),
            None => Err(CLOSED.into()),
        }
    }

    pub fn is_open(&self) -> bool {
        self.file.is_none()
            || self
                .slot
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .is_some()
    }

    /// After a failed write: drop the database, so the next operation opens it again.
    pub fn close(&self) {
        if self.file.is_some() {
            *self.slot.write().unwrap_or_else(|p| p.into_inner()) = None;
        }
    }

    /// Open the file again if a failed write closed it. Call it before taking a lock on
    /// `shared`: reopening replaces what `shared` holds.
    ///
    /// Locks are taken in one order everywhere, `shared` before `slot`: a lookup holds
    /// `shared` while it begins its read transaction, so taking `slot` first here could
    /// deadlock with it.
    pub fn ensure_open(&self, shared: &RwLock<Shared>) -> Result<(), String> {
        if self.is_open() {
            return Ok(());
        }
        let Some(file) = &self.file else {
            return Ok(());
        };
        let mut shared = write(shared);
        let mut slot = self.slot.write().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return Ok(());
        }
        let (db, state) =
            (file.open)(file).map_err(|e| format!("{CLOSED}; opening it again: {e}"))?;
        *shared = state;
        *slot = Some(db);
        tracing::info!(dir = %file.dir.display(), "dedup window opened again after an I/O error");
        Ok(())
    }

    /// The database, for a window that is being taken apart.
    pub fn into_database(self) -> Option<Database> {
        self.slot.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

const CLOSED: &str = "closed after an I/O error";
