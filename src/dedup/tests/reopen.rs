//! A failed write closes the window's database; the next use opens it again from the
//! file (redb refuses everything after an I/O error until then), so one full disk does
//! not turn dedup off until a restart.

use super::*;

#[test]
fn after_a_failed_record_the_window_opens_again_and_keeps_what_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = DedupWindow::open(dir.path(), HOUR, 100).unwrap();
    let reader = w.reader();
    w.record(&["a", "b"], t(10)).unwrap();
    reader.fail_next_record();
    assert!(w.record(&["c"], t(11)).is_err());
    assert!(!w.db.is_open(), "a failed write closes the database");
    // A lookup that needs the file opens it again.
    assert_eq!(reader.delivered(&["a", "c"], t(12)).unwrap(), [true, false]);
    assert!(w.db.is_open());
    w.record(&["d"], t(13)).unwrap();
    assert!(all_delivered(&w, &["a", "b", "d"], t(14)));
    assert!(none_delivered(&w, &["c"], t(14)));
    drop((w, reader));
    let w = DedupWindow::open(dir.path(), HOUR, 100).unwrap();
    assert!(all_delivered(&w, &["a", "b", "d"], t(15)));
}

#[test]
fn after_a_failed_record_the_next_record_opens_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = DedupWindow::open(dir.path(), HOUR, 100).unwrap();
    w.record(&["a"], t(10)).unwrap();
    w.reader().fail_next_record();
    assert!(w.record(&["b"], t(11)).is_err());
    w.record(&["c"], t(12)).unwrap();
    assert!(all_delivered(&w, &["a", "c"], t(13)));
    assert!(none_delivered(&w, &["b"], t(13)));
}

#[test]
fn an_in_memory_window_is_never_closed() {
    let mut w = DedupWindow::in_memory(HOUR, 100);
    w.record(&["a"], t(10)).unwrap();
    w.reader().fail_next_record();
    assert!(w.record(&["b"], t(11)).is_err());
    assert!(w.db.is_open());
    assert!(all_delivered(&w, &["a"], t(12)));
}
