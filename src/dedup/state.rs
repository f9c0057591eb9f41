//! The window's committed state and index as lookups see them, and the helpers every part
//! of the window uses on it (lock, error text, clock). Its own module so that the store,
//! the reader and the window share it without importing each other.

use super::index::{full_seq, Index};
use std::fmt;
use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// What a lookup needs, updated together after each commit.
pub(super) struct Shared {
    pub(super) state: State,
    pub(super) index: Index,
    /// Tests: the next `record` fails as a full or broken disk would make it.
    #[cfg(test)]
    pub(super) fail_next_record: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct State {
    pub(super) next_seq: u64,
    pub(super) floor: u64,
    /// (generation number, first seq), oldest first.
    pub(super) gens: Vec<(u64, u64)>,
    /// The newest recorded-at: stamps never go below it.
    pub(super) newest_ms: u64,
}

impl State {
    /// Position in `gens` of the generation holding `seq`.
    pub(super) fn gen_of(&self, seq: u64) -> Option<usize> {
        self.gens.partition_point(|g| g.1 <= seq).checked_sub(1)
    }

    /// The sequence number an index entry names (by its low 32 bits), if it is still in
    /// the window.
    pub(super) fn live_seq(&self, low: u32) -> Option<u64> {
        Some(full_seq(low, self.next_seq)).filter(|&seq| seq >= self.floor)
    }

    /// Where the index says an id with `tag` may be stored: (position in `gens`, seq) of
    /// each live candidate. Each one still has to be confirmed against the stored id.
    pub(super) fn candidates<'a>(
        &'a self,
        index: &'a Index,
        tag: u32,
    ) -> impl Iterator<Item = (usize, u64)> + 'a {
        index
            .candidates(tag)
            .filter_map(|low| self.live_seq(low))
            .filter_map(|seq| Some((self.gen_of(seq)?, seq)))
    }
}

/// A panic while the lock was held cannot leave `Shared` half-updated in a way that
/// loses anything (an index entry is one word), so a poisoned lock is used as it is.
pub(super) fn read(shared: &RwLock<Shared>) -> RwLockReadGuard<'_, Shared> {
    shared.read().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn write(shared: &RwLock<Shared>) -> RwLockWriteGuard<'_, Shared> {
    shared.write().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn fail(path: Option<&Path>, what: &str, e: impl fmt::Display) -> String {
    match path {
        Some(p) => format!("dedup window {}: {what}: {e}", p.display()),
        None => format!("dedup window (in memory): {what}: {e}"),
    }
}

/// Milliseconds since the Unix epoch; 0 before it.
pub(super) fn to_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
