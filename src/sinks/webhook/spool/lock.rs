//! The spool's `lock` file: one spool, one writer. An exclusive `flock` keeps other
//! processes out (they get [`OpenError::Elsewhere`], naming the pid written in it); a
//! process-wide set tells a second open in this process ([`OpenError::HeldHere`]: a
//! reload handing the spool over) from another process holding it.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::MutexGuard;

/// Spool directories whose lock this process holds. Checked and changed together with
/// the `flock` itself (under this mutex), so "held by us" and "held by another process"
/// are never confused while an old instance is letting go.
static HELD: std::sync::Mutex<BTreeSet<PathBuf>> = std::sync::Mutex::new(BTreeSet::new());

pub(super) fn held() -> MutexGuard<'static, BTreeSet<PathBuf>> {
    HELD.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Debug)]
pub enum OpenError {
    /// Another instance in this process has the spool open (a reload is handing it over).
    HeldHere,
    /// Another process has the spool open.
    Elsewhere {
        lock: PathBuf,
        pid: Option<u32>,
    },
    Io(io::Error),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::HeldHere => write!(f, "still open in this process"),
            OpenError::Elsewhere { lock, pid } => {
                write!(f, "in use by another vinstream process")?;
                if let Some(pid) = pid {
                    write!(f, " (pid {pid})")?;
                }
                write!(
                    f,
                    ": {} is locked; two daemons must not share a state_dir",
                    lock.display()
                )
            }
            OpenError::Io(e) => e.fmt(f),
        }
    }
}

impl From<io::Error> for OpenError {
    fn from(e: io::Error) -> Self {
        OpenError::Io(e)
    }
}

pub(super) fn released() -> io::Error {
    io::Error::other("the spool was handed over or closed; this sink instance no longer writes it")
}

/// Take the spool's lock file, or say who has it.
pub(super) fn take_lock(dir: &Path) -> Result<File, OpenError> {
    let path = dir.join("lock");
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)?;
    let mut held = held();
    match rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(rustix::io::Errno::WOULDBLOCK) if held.contains(dir) => {
            return Err(OpenError::HeldHere)
        }
        Err(rustix::io::Errno::WOULDBLOCK) => {
            let mut text = String::new();
            let _ = f.read_to_string(&mut text);
            return Err(OpenError::Elsewhere {
                lock: path,
                pid: text.trim().parse().ok(),
            });
        }
        Err(e) => return Err(OpenError::Io(e.into())),
    }
    held.insert(dir.to_path_buf());
    drop(held);
    // The pid is for the error message of a second daemon; the lock is what counts.
    let _ = f
        .set_len(0)
        .and_then(|_| f.write_all(format!("{}\n", std::process::id()).as_bytes()));
    Ok(f)
}
