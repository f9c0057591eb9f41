//! The file operations the `file` sink makes, behind a trait: the real ones go to the OS,
//! and tests put a [`Disk`] in between that runs out of space, fails with EIO or writes
//! short, so every fault path is tested deterministically without a full disk.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Directory-level operations: open the live file, rotate, check which rotated files exist.
pub trait Disk: Send + Sync {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Open (create if missing) `path` for appending: every write goes to its end, so
    /// truncating back to a line boundary is enough to undo a failed write.
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn LogFile>>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// `Ok(false)` only when `path` is really absent: a rename onto a file whose existence
    /// could not be checked would replace it.
    fn exists(&self, path: &Path) -> io::Result<bool>;
}

/// One open append-only file.
// `len` is the file's size for truncating back to a line boundary, not a collection's.
#[allow(clippy::len_without_is_empty)]
pub trait LogFile: Send {
    /// May write fewer bytes than given (a filling disk does), like `Write::write`.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize>;
    fn sync_data(&mut self) -> io::Result<()>;
    fn len(&self) -> io::Result<u64>;
    fn is_empty(&self) -> io::Result<bool> {
        self.len().map(|n| n == 0)
    }
    /// Cut the file back to `len` bytes: drops the tail of a write that failed halfway.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

/// Write all of `buf`, or fail: a write that makes no progress is an error (ENOSPC
/// normally comes back as an error, but a zero-length write must not loop forever).
pub fn write_all(f: &mut dyn LogFile, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match f.write(buf) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "wrote 0 bytes")),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The operating system's file system.
pub struct Os;

impl Disk for Os {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn LogFile>> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Box::new(file))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        match std::fs::symlink_metadata(path) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

impl LogFile for File {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Write::write(self, buf)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        File::sync_data(self)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }
}
