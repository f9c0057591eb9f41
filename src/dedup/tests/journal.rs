//! The journal across a crash: what the pipeline appended before its acks is in the
//! window after the next open, without commits of its own.

use super::*;
use crate::dedup::journal::FILE_NAMES;

/// The state_dir as a SIGKILL leaves it: copied, because the forgotten window still
/// holds the redb file lock.
fn crash_copy(dir: &Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for name in [FILE_NAME, FILE_NAMES[0], FILE_NAMES[1]] {
        std::fs::copy(dir.join(name), copy.path().join(name)).unwrap();
    }
    copy
}

fn journal_bytes(dir: &Path) -> u64 {
    FILE_NAMES
        .iter()
        .map(|n| std::fs::metadata(dir.join(n)).unwrap().len())
        .sum()
}

#[test]
fn ids_journaled_but_not_committed_are_delivered_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let committed = ids(50, "committed");
    let acked = ids(200, "acked");
    let mut w = DedupWindow::open(dir.path(), HOUR, 1000).unwrap();
    let mut journal = w.take_journal().expect("a window on disk has a journal");
    assert!(w.take_journal().is_none(), "the journal is handed out once");
    // the first batch is journaled and committed, the others only journaled (acked)
    journal.append(1, &committed).unwrap();
    w.record(&refs(&committed), t(0)).unwrap();
    for (n, chunk) in acked.chunks(64).enumerate() {
        journal.append(n as u64 + 2, chunk).unwrap();
    }
    std::mem::forget(w);
    std::mem::forget(journal);
    let copy = crash_copy(dir.path());
    let w = DedupWindow::open(copy.path(), HOUR, 1000).unwrap();
    assert!(
        all_delivered(&w, &refs(&acked), t(1)),
        "acked ids forgotten"
    );
    assert!(all_delivered(&w, &refs(&committed), t(1)));
    // ids both committed and journaled are not recorded twice
    assert_eq!(w.len(), 250);
    assert_eq!(journal_bytes(copy.path()), 0, "the journal starts afresh");
    // and a second open has nothing left to record
    drop(w);
    let w = DedupWindow::open(copy.path(), HOUR, 1000).unwrap();
    assert_eq!(w.len(), 250);
}

#[test]
fn a_torn_journal_tail_costs_only_the_torn_batch() {
    let dir = tempfile::tempdir().unwrap();
    let first = ids(10, "first");
    let torn = ids(10, "torn");
    let mut w = DedupWindow::open(dir.path(), HOUR, 1000).unwrap();
    let mut journal = w.take_journal().unwrap();
    journal.append(1, &first).unwrap();
    journal.append(2, &torn).unwrap();
    std::mem::forget(w);
    std::mem::forget(journal);
    let copy = crash_copy(dir.path());
    let path = copy.path().join(FILE_NAMES[0]);
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    let w = DedupWindow::open(copy.path(), HOUR, 1000).unwrap();
    assert!(all_delivered(&w, &refs(&first), t(1)));
    assert!(none_delivered(&w, &refs(&torn), t(1)));
}

#[test]
fn a_window_in_memory_has_no_journal() {
    let mut w = DedupWindow::in_memory(HOUR, 10);
    assert!(w.take_journal().is_none());
}
