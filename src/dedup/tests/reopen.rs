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

/// Lookups running while failed writes close the database and the next use opens it
/// again: no deadlock (a lookup holds `shared` while it begins its read; reopening takes
/// both locks in the same order), and every committed id stays found.
#[test]
fn lookups_beside_repeated_reopens_never_deadlock() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};
    let dir = tempfile::tempdir().unwrap();
    let mut w = DedupWindow::open(dir.path(), HOUR, 10_000).unwrap();
    w.record(&["kept"], t(1)).unwrap();
    let reader = w.reader();
    let stop = Arc::new(AtomicBool::new(false));
    let lookups: Vec<_> = (0..2)
        .map(|_| {
            let (reader, stop) = (reader.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut found = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    // a lookup may fail while the database is closed; the caller retries
                    if let Ok(hit) = reader.delivered(&["kept"], t(2)) {
                        assert_eq!(hit, [true]);
                        found += 1;
                    }
                }
                found
            })
        })
        .collect();
    let (done, finished) = mpsc::channel();
    let writer = std::thread::spawn(move || {
        for i in 0..120 {
            reader.fail_next_record();
            assert!(w.record(&["lost"], t(2)).is_err());
            let id = format!("id{i}");
            // the next record opens it again; retried as the committer would
            while w.record(&[&id], t(2)).is_err() {}
        }
        done.send(w).unwrap();
    });
    let w = finished
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("recording and lookups beside reopens deadlocked");
    writer.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    for l in lookups {
        assert!(
            l.join().unwrap() > 0,
            "a lookup thread never found the kept id"
        );
    }
    assert!(all_delivered(&w, &["kept", "id0", "id119"], t(3)));
}
