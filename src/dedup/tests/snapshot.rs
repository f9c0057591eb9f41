//! The index saved on a clean shutdown: taken when it matches the database exactly,
//! rebuilt otherwise, used once.

use super::*;
use crate::dedup::snapshot::{self, FILE_NAME as SAVED};

fn saved(dir: &Path) -> bool {
    dir.join(SAVED).exists()
}

/// A window in `dir` holding `v`, closed cleanly (its index saved).
fn closed_with(dir: &Path, v: &[String], capacity: usize) {
    let mut w = DedupWindow::open(dir, HOUR, capacity).unwrap();
    w.record(&refs(v), t(0)).unwrap();
    w.save_index().unwrap();
}

#[test]
fn a_saved_index_is_taken_once_and_equals_the_rebuilt_one() {
    let dir = tempfile::tempdir().unwrap();
    let v = ids(1000, "saved");
    let mut w = DedupWindow::open(dir.path(), HOUR, 2000).unwrap();
    w.record(&refs(&v), t(0)).unwrap();
    w.save_index().unwrap();
    assert!(saved(dir.path()));
    // what the file holds loads into a fresh index as the very same slots
    let stamp = w.stamp(&w.read().state);
    let mut fresh = Index::new(2000);
    assert!(snapshot::load(dir.path(), &mut fresh, stamp));
    assert_eq!(fresh.parts(), w.read().index.parts());
    assert!(!saved(dir.path()), "used once");
    // and the window that opens on it answers as the one that saved it
    w.save_index().unwrap();
    drop(w);
    let w = DedupWindow::open(dir.path(), HOUR, 2000).unwrap();
    assert!(!saved(dir.path()));
    assert!(all_delivered(&w, &refs(&v), t(1)));
    assert!(none_delivered(&w, &refs(&ids(1000, "other")), t(1)));
    assert_eq!(w.len(), 1000);
}

#[test]
fn an_index_saved_before_later_commits_is_not_taken() {
    let dir = tempfile::tempdir().unwrap();
    let (early, late) = (ids(500, "early"), ids(500, "late"));
    let mut w = DedupWindow::open(dir.path(), HOUR, 2000).unwrap();
    w.record(&refs(&early), t(0)).unwrap();
    w.save_index().unwrap();
    // a commit after the save, then a crash (no save)
    w.record(&refs(&late), t(1)).unwrap();
    drop(w);
    let w = DedupWindow::open(dir.path(), HOUR, 2000).unwrap();
    assert!(all_delivered(&w, &refs(&early), t(2)));
    assert!(
        all_delivered(&w, &refs(&late), t(2)),
        "the stale index was taken"
    );
}

#[test]
fn a_damaged_index_another_windows_or_one_of_another_capacity_is_rebuilt() {
    let v = ids(300, "mine");
    // damaged: one flipped byte in the slots
    let dir = tempfile::tempdir().unwrap();
    closed_with(dir.path(), &v, 1000);
    let path = dir.path().join(SAVED);
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let w = DedupWindow::open(dir.path(), HOUR, 1000).unwrap();
    assert!(all_delivered(&w, &refs(&v), t(1)));
    assert!(!saved(dir.path()));
    drop(w);
    // cut short
    closed_with(dir.path(), &[], 1000);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
    let w = DedupWindow::open(dir.path(), HOUR, 1000).unwrap();
    assert!(all_delivered(&w, &refs(&v), t(1)));
    assert!(none_delivered(&w, &refs(&ids(300, "never")), t(1)));
    drop(w);
    // another window's, with the same next_seq and floor
    let other = tempfile::tempdir().unwrap();
    closed_with(other.path(), &ids(300, "theirs"), 1000);
    closed_with(dir.path(), &[], 1000);
    std::fs::copy(other.path().join(SAVED), dir.path().join(SAVED)).unwrap();
    let w = DedupWindow::open(dir.path(), HOUR, 1000).unwrap();
    assert!(all_delivered(&w, &refs(&v), t(1)));
    assert!(none_delivered(&w, &refs(&ids(300, "theirs")), t(1)));
    drop(w);
    // the same window opened with another capacity
    closed_with(dir.path(), &[], 1000);
    assert!(saved(dir.path()));
    let w = DedupWindow::open(dir.path(), HOUR, 5000).unwrap();
    assert!(all_delivered(&w, &refs(&v), t(1)));
}
