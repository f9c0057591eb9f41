//! The tag index saved on a clean shutdown, so that the next open need not rebuild it.
//!
//! Rebuilding reads and hashes every stored id: ~0.2 s of CPU for a full window of
//! 1,000,000, which a 100,000-message drain after a restart paid at ~2 µs a message
//! (docs/performance.md). The committer saves the index after its last commit
//! (`dedup.index` in `state_dir`, written to a temporary file, synced and renamed); the
//! next open takes it only when it matches the database exactly, and deletes it before
//! using it, so that it is used once: after a crash the index is rebuilt as before.
//!
//! It matches when its database instance (a random number in the window's `meta`, made
//! when the file was created), its `next_seq` and its slot count are the database's, its
//! `floor` is at or below the database's (expiry on open may only have moved it up: the
//! index then holds dead entries, as it may anyway), and its crc32 is right. Any commit
//! after the save changes `next_seq` or `floor`, or comes from another instance.
//!
//! Layout, little-endian: `MAGIC`, then `instance`, `next_seq`, `floor`, `seed`, the entry
//! count and the slot count as u64, then each occupied slot as (position u32, slot u64),
//! and the crc32 of all before it. Only occupied slots are written, and they are read
//! straight into the index through a small buffer: a window of few ids stays small in
//! memory (untouched zero pages are not resident), and a full one needs no second copy.

use super::index::Index;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

/// The file name inside `state_dir`.
pub const FILE_NAME: &str = "dedup.index";
const MAGIC: &[u8; 8] = b"VSDXIDX1";
/// An occupied slot: its position (u32) and the slot (u64).
const ENTRY: usize = 12;
/// Entries written and read at once.
const BLOCK: usize = 4096;

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
    let tmp = dir.join(format!("{FILE_NAME}.tmp"));
    let mut out = Crc(
        crc32fast::Hasher::new(),
        BufWriter::new(File::create(&tmp)?),
    );
    out.write_all(MAGIC)?;
    for v in [
        stamp.instance,
        stamp.next_seq,
        stamp.floor,
        seed,
        len as u64,
        slots.len() as u64,
    ] {
        out.write_all(&v.to_le_bytes())?;
    }
    // in blocks, not 12 bytes at a time: the crc and the writer's per-call work made
    // saving a full index cost ~250M instructions
    let mut block = Vec::with_capacity(BLOCK * ENTRY);
    for (at, &slot) in slots.iter().enumerate().filter(|(_, &s)| s != 0) {
        let at = u32::try_from(at).map_err(|_| io::ErrorKind::InvalidInput)?;
        block.extend_from_slice(&at.to_le_bytes());
        block.extend_from_slice(&slot.to_le_bytes());
        if block.len() == BLOCK * ENTRY {
            out.write_all(&block)?;
            block.clear();
        }
    }
    out.write_all(&block)?;
    let Crc(crc, mut file) = out;
    file.write_all(&crc.finalize().to_le_bytes())?;
    // The contents are on disk before the name is, and the name before we return: a
    // crash may then leave the old state or the new one, not a torn file under the name
    // (which the crc would refuse, costing the rebuild this file exists to save).
    file.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_all()?;
    std::fs::rename(&tmp, dir.join(FILE_NAME))?;
    File::open(dir)?.sync_all()
}

/// Loads the index saved in `dir` into `index` if it matches `stamp` (see the module
/// docs), and deletes the file either way. True when `index` now holds it; false leaves
/// `index` empty, to be rebuilt.
pub(super) fn load(dir: &Path, index: &mut Index, stamp: Stamp) -> bool {
    let path = dir.join(FILE_NAME);
    let file = match File::open(&path) {
        Ok(f) => f,
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
    let mut r = Crc(
        crc32fast::Hasher::new(),
        BufReader::with_capacity(1 << 16, file),
    );
    match read_into(&mut r, index, stamp) {
        Ok(true) => true,
        Ok(false) => false,
        Err(e) => {
            index.reset(fastrand::u64(..));
            tracing::warn!(path = %path.display(), error = %e, "the saved dedup index is damaged; rebuilding it");
            false
        }
    }
}

/// Ok(false): a sound file of another state (nothing taken); Err: damaged (`index` may
/// hold part of it).
fn read_into<R: Read>(r: &mut Crc<R>, index: &mut Index, stamp: Stamp) -> io::Result<bool> {
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)?;
    if &magic != MAGIC {
        return Err(damaged("not a saved index"));
    }
    let mut word = || -> io::Result<u64> {
        let mut b = [0u8; 8];
        r.read_exact(&mut b)?;
        Ok(u64::from_le_bytes(b))
    };
    let saved = Stamp {
        instance: word()?,
        next_seq: word()?,
        floor: word()?,
    };
    let (seed, len, slots) = (word()?, word()?, word()?);
    let fits = usize::try_from(slots).is_ok_and(|n| index.can_restore(n));
    if saved.instance != stamp.instance
        || saved.next_seq != stamp.next_seq
        || saved.floor > stamp.floor
        || !fits
    {
        return Ok(false);
    }
    index.reset(seed);
    // in blocks, as `save` writes them
    let mut block = vec![0u8; BLOCK * ENTRY];
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left.min(BLOCK as u64)).expect("at most BLOCK");
        let entries = &mut block[..n * ENTRY];
        r.read_exact(entries)?;
        for e in entries.chunks_exact(ENTRY) {
            let at = u32::from_le_bytes(e[..4].try_into().expect("4 bytes"));
            let slot = u64::from_le_bytes(e[4..].try_into().expect("8 bytes"));
            if !index.put(at as usize, slot) {
                return Err(damaged("a slot out of place"));
            }
        }
        left -= n as u64;
    }
    let computed = r.0.clone().finalize();
    let mut crc = [0u8; 4];
    r.1.read_exact(&mut crc)?;
    let mut rest = [0u8; 1];
    if u32::from_le_bytes(crc) != computed || r.1.read(&mut rest)? != 0 {
        return Err(damaged("crc mismatch"));
    }
    Ok(true)
}

fn damaged(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// A reader or writer that feeds what passes through it to a crc32.
struct Crc<T>(crc32fast::Hasher, T);

impl<W: Write> Write for Crc<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.1.write(buf)?;
        self.0.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.1.flush()
    }
}

impl<R: Read> Read for Crc<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.1.read(buf)?;
        self.0.update(&buf[..n]);
        Ok(n)
    }
}
