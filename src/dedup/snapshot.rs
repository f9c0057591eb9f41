//! The tag index saved on a clean shutdown, so that the next open need not rebuild it.
//!
//! Rebuilding reads and hashes every stored id: ~0.2 s of CPU for a full window of
//! 1,000,000, which a 100,000-message drain after a restart paid at ~2 µs a message
//! (docs/performance.md). The committer saves the index after its last commit
//! (`dedup.index` in `state_dir`, written to a temporary file and renamed); the next open
//! takes it only when it matches the database exactly, and deletes it before using it, so
//! that it is used once: after a crash the index is rebuilt as before.
//!
//! It matches when its database instance (a random number in the window's `meta`, made
//! when the file was created), its `next_seq` and its slot count are the database's, its
//! `floor` is at or below the database's (expiry on open may only have moved it up: the
//! index then holds dead entries, as it may anyway), and its crc32 is right. Any commit
//! after the save changes `next_seq` or `floor`, or comes from another instance.
//!
//! Layout, little-endian: `MAGIC`, then `instance`, `next_seq`, `floor`, `seed`, `len`
//! and the slot count as u64, the slots as u64, and the crc32 of all before it.

use super::index::Index;
use std::io::{self, Write};
use std::path::Path;

/// The file name inside `state_dir`.
pub const FILE_NAME: &str = "dedup.index";
const MAGIC: &[u8; 8] = b"VSDXIDX1";
const HEADER: usize = 8 + 6 * 8;

/// What the saved index belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Stamp {
    pub instance: u64,
    pub next_seq: u64,
    pub floor: u64,
}

/// Saves `index` as of `stamp` in `dir`. Nothing is saved for an index whose keys cannot
/// be (tests').
pub(super) fn save(dir: &Path, index: &Index, stamp: Stamp) -> io::Result<()> {
    let Some((seed, len, slots)) = index.parts() else {
        return Ok(());
    };
    let mut bytes = Vec::with_capacity(HEADER + slots.len() * 8 + 4);
    bytes.extend_from_slice(MAGIC);
    for v in [
        stamp.instance,
        stamp.next_seq,
        stamp.floor,
        seed,
        len as u64,
        slots.len() as u64,
    ] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    for s in slots {
        bytes.extend_from_slice(&s.to_le_bytes());
    }
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    let tmp = dir.join(format!("{FILE_NAME}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&bytes)?;
    drop(f);
    std::fs::rename(&tmp, dir.join(FILE_NAME))
}

/// Loads the index saved in `dir` into `index` if it matches `stamp` (see the module
/// docs), and deletes the file either way. True when `index` now holds it.
pub(super) fn load(dir: &Path, index: &mut Index, stamp: Stamp) -> bool {
    let path = dir.join(FILE_NAME);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return false,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read the saved dedup index; rebuilding it");
            return false;
        }
    };
    // used once: a later crash must not find it again
    if let Err(e) = std::fs::remove_file(&path) {
        tracing::warn!(path = %path.display(), error = %e, "cannot delete the saved dedup index; rebuilding it");
        return false;
    }
    let Some((saved, seed, len, slots)) = parse(&bytes) else {
        tracing::warn!(path = %path.display(), "the saved dedup index is damaged; rebuilding it");
        return false;
    };
    let matches = saved.instance == stamp.instance
        && saved.next_seq == stamp.next_seq
        && saved.floor <= stamp.floor;
    matches && index.restore(seed, len, slots)
}

/// (stamp, seed, len, slots) of an intact file.
fn parse(b: &[u8]) -> Option<(Stamp, u64, usize, Vec<u64>)> {
    let (body, crc) = b.split_at_checked(b.len().checked_sub(4)?)?;
    if crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().ok()?) {
        return None;
    }
    if body.get(..8)? != MAGIC {
        return None;
    }
    let word = |i: usize| -> Option<u64> {
        Some(u64::from_le_bytes(
            body.get(8 + i * 8..16 + i * 8)?.try_into().ok()?,
        ))
    };
    let stamp = Stamp {
        instance: word(0)?,
        next_seq: word(1)?,
        floor: word(2)?,
    };
    let (seed, len, n) = (word(3)?, usize::try_from(word(4)?).ok()?, word(5)?);
    let slots = body.get(HEADER..)?;
    if slots.len() as u64 != n.checked_mul(8)? {
        return None;
    }
    let slots = slots
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    Some((stamp, seed, len, slots))
}
