use super::*;
use redb::{ReadableDatabase, TableDefinition};
use std::time::UNIX_EPOCH;

const HOUR: Duration = Duration::from_secs(3600);

/// `secs` after a fixed point ten minutes ago, in whole seconds: close enough to now
/// that a reopen (which sweeps at the real time) keeps entries an hour's ttl.
fn t(secs: u64) -> SystemTime {
    static BASE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let base = BASE.get_or_init(|| to_ms(SystemTime::now()) / 1000 - 600);
    UNIX_EPOCH + Duration::from_secs(base + secs)
}

fn ids(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}:{i:08}")).collect()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn all_delivered(w: &DedupWindow, v: &[&str], now: SystemTime) -> bool {
    w.delivered(v, now).unwrap().iter().all(|&b| b)
}

fn none_delivered(w: &DedupWindow, v: &[&str], now: SystemTime) -> bool {
    w.delivered(v, now).unwrap().iter().all(|&b| !b)
}

#[test]
fn remembers_within_ttl_and_forgets_after() {
    let mut w = DedupWindow::in_memory(Duration::from_secs(10), 100);
    w.record(&["a"], t(0)).unwrap();
    assert_eq!(w.delivered(&["a", "b"], t(9)).unwrap(), [true, false]);
    assert_eq!(w.delivered(&["a"], t(10)).unwrap(), [false]);
    // expired entries are swept by the next record
    assert_eq!(w.len(), 1);
    w.record(&["b"], t(10)).unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!(w.delivered(&["a", "b"], t(10)).unwrap(), [false, true]);
}

#[test]
fn recording_again_does_not_refresh_or_duplicate() {
    let mut w = DedupWindow::in_memory(Duration::from_secs(10), 2);
    w.record(&["a"], t(0)).unwrap();
    w.record(&["a", "a"], t(5)).unwrap();
    w.record(&["b"], t(5)).unwrap();
    assert_eq!(w.len(), 2);
    assert_eq!(w.delivered(&["a", "b"], t(9)).unwrap(), [true, true]);
    assert_eq!(w.delivered(&["a", "b"], t(10)).unwrap(), [false, true]);
}

#[test]
fn exact_at_capacity_oldest_evicted_new_always_admitted() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = DedupWindow::open(dir.path(), HOUR, 3).unwrap();
    w.record(&["a", "b", "c"], t(0)).unwrap();
    w.record(&["d"], t(1)).unwrap();
    assert_eq!(w.len(), 3);
    assert_eq!(
        w.delivered(&["a", "b", "c", "d"], t(2)).unwrap(),
        [false, true, true, true]
    );
    // every new id is admitted, one at a time and in a batch larger than capacity
    for (i, id) in ids(50, "n").iter().enumerate() {
        w.record(&[id], t(2 + i as u64)).unwrap();
        assert!(all_delivered(&w, &[id], t(60)), "{id}");
        assert_eq!(w.len(), 3);
    }
    let batch = ids(10, "m");
    w.record(&refs(&batch), t(100)).unwrap();
    assert_eq!(w.len(), 3);
    assert!(none_delivered(&w, &refs(&batch[..7]), t(100)));
    assert!(all_delivered(&w, &refs(&batch[7..]), t(100)));
}

#[test]
fn survives_reopen_with_len() {
    let dir = tempfile::tempdir().unwrap();
    let v = ids(1000, "hm");
    {
        let mut w = DedupWindow::open(dir.path(), HOUR, 600).unwrap();
        w.record(&refs(&v[..500]), t(0)).unwrap();
        w.record(&refs(&v[500..]), t(1)).unwrap();
        assert_eq!(w.len(), 600);
    }
    let mut w = DedupWindow::open(dir.path(), HOUR, 600).unwrap();
    assert_eq!(w.len(), 600);
    assert!(none_delivered(&w, &refs(&v[..400]), t(2)));
    assert!(all_delivered(&w, &refs(&v[400..]), t(2)));
    // eviction order and sequence numbers carry on across the restart
    w.record(&["x"], t(3)).unwrap();
    assert_eq!(w.len(), 600);
    assert!(none_delivered(&w, &[v[400].as_str()], t(3)));
    assert!(all_delivered(&w, &[v[401].as_str(), "x"], t(3)));
}

#[test]
fn reopen_applies_a_smaller_capacity_and_a_shorter_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let v = ids(10, "hm");
    {
        let mut w = DedupWindow::open(dir.path(), HOUR, 100).unwrap();
        // ages 57, 51, ..., 3 minutes
        let start = SystemTime::now() - Duration::from_secs(57 * 60);
        for (i, id) in v.iter().enumerate() {
            w.record(&[id], start + Duration::from_secs(i as u64 * 6 * 60))
                .unwrap();
        }
    }
    let w = DedupWindow::open(dir.path(), HOUR, 8).unwrap();
    assert_eq!(w.len(), 8);
    assert!(none_delivered(&w, &refs(&v[..2]), SystemTime::now()));
    drop(w);
    // a 25-minute ttl keeps the entries 21, 15, 9 and 3 minutes old
    let w = DedupWindow::open(dir.path(), Duration::from_secs(25 * 60), 8).unwrap();
    assert_eq!(w.len(), 4);
    assert!(all_delivered(&w, &refs(&v[6..]), SystemTime::now()));
}

#[test]
fn crash_without_close_keeps_committed_ids() {
    let dir = tempfile::tempdir().unwrap();
    let v = ids(100, "bmw");
    let mut w = DedupWindow::open(dir.path(), HOUR, 1000).unwrap();
    w.record(&refs(&v), t(0)).unwrap();
    // no close, no drop: the file is as a SIGKILL would leave it. The forgotten handle
    // still holds the file lock, so open a copy of the file.
    std::mem::forget(w);
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join(FILE_NAME), copy.path().join(FILE_NAME)).unwrap();
    let w = DedupWindow::open(copy.path(), HOUR, 1000).unwrap();
    assert_eq!(w.len(), 100);
    assert!(all_delivered(&w, &refs(&v), t(1)));
}

/// A real SIGKILL: this test re-runs itself as a child process that records ids and
/// then waits to be killed.
#[test]
fn survives_sigkill() {
    use std::io::BufRead;
    const ENV: &str = "VINSTREAM_DEDUP_SIGKILL_CHILD";
    let v = ids(300, "hm");
    if let Some(dir) = std::env::var_os(ENV) {
        let mut w = DedupWindow::open(Path::new(&dir), HOUR, 1000).unwrap();
        for chunk in v.chunks(100) {
            w.record(&refs(chunk), SystemTime::now()).unwrap();
        }
        println!("recorded");
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "dedup::tests::survives_sigkill", "--nocapture"])
        .env(ENV, dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut recorded = false;
    for line in out.lines() {
        if line.unwrap().trim() == "recorded" {
            recorded = true;
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(recorded, "the child did not record");
    let w = DedupWindow::open(dir.path(), HOUR, 1000).unwrap();
    assert_eq!(w.len(), 300);
    assert!(all_delivered(&w, &refs(&v), SystemTime::now()));
}

#[test]
fn ten_thousand_ids_in_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let v = ids(10_000, "hm");
    let mut w = DedupWindow::open(dir.path(), HOUR, 20_000).unwrap();
    w.record(&refs(&v), t(0)).unwrap();
    assert_eq!(w.len(), 10_000);
    assert!(all_delivered(&w, &refs(&v), t(1)));
    drop(w);
    // a batch larger than the capacity keeps its newest ids
    let mut w = DedupWindow::open(dir.path(), HOUR, 5_000).unwrap();
    assert_eq!(w.len(), 5_000);
    let more = ids(10_000, "bmw");
    w.record(&refs(&more), t(2)).unwrap();
    assert_eq!(w.len(), 5_000);
    assert!(none_delivered(&w, &refs(&v), t(2)));
    assert!(none_delivered(&w, &refs(&more[..5_000]), t(2)));
    assert!(all_delivered(&w, &refs(&more[5_000..]), t(2)));
    drop(w);
    assert_eq!(
        DedupWindow::open(dir.path(), HOUR, 5_000).unwrap().len(),
        5_000
    );
}

#[test]
fn old_generations_are_deleted_and_the_window_stays_exact() {
    let dir = tempfile::tempdir().unwrap();
    let v = ids(5_000, "hm");
    let mut w = DedupWindow::open(dir.path(), HOUR, 1_000).unwrap();
    for (i, chunk) in v.chunks(100).enumerate() {
        w.record(&refs(chunk), t(i as u64)).unwrap();
        assert_eq!(w.len(), (100 * (i + 1)).min(1_000));
    }
    drop(w);
    let w = DedupWindow::open(dir.path(), HOUR, 1_000).unwrap();
    assert!(none_delivered(&w, &refs(&v[..4_000]), t(60)));
    assert!(all_delivered(&w, &refs(&v[4_000..]), t(60)));
    drop(w);
    // at most capacity / GENERATIONS evicted ids are still stored
    let db = Database::open(dir.path().join(FILE_NAME)).unwrap();
    let txn = db.begin_read().unwrap();
    let mut stored = 0;
    for t in txn.list_tables().unwrap() {
        if t.name().starts_with("rows.") {
            let table = txn.open_table(tables::row_table(t.name())).unwrap();
            for r in table.iter().unwrap() {
                stored += row::len(r.unwrap().1.value().0);
            }
        }
    }
    assert!((1_000..=1_500).contains(&stored), "{stored} ids stored");
}

#[test]
fn a_clock_going_backwards_never_expires_entries_early() {
    let ttl = Duration::from_secs(10);
    let mut w = DedupWindow::in_memory(ttl, 100);
    w.record(&["a"], t(1000)).unwrap();
    // the clock goes back 100 s: "a" was recorded in the future, still delivered
    assert!(all_delivered(&w, &["a"], t(900)));
    // recording now neither sweeps "a" nor stamps "b" earlier than "a"
    w.record(&["b"], t(900)).unwrap();
    assert_eq!(w.len(), 2);
    assert!(all_delivered(&w, &["a", "b"], t(905)));
    assert!(all_delivered(&w, &["a", "b"], t(1009)));
    w.record(&["c"], t(1005)).unwrap();
    // both expire ttl after the newest time seen, not earlier
    assert_eq!(
        w.delivered(&["a", "b", "c"], t(1010)).unwrap(),
        [false, false, true]
    );
    w.record(&["d"], t(1010)).unwrap();
    assert_eq!(w.len(), 2);
    // before the epoch counts as the epoch
    assert!(all_delivered(
        &w,
        &["c", "d"],
        UNIX_EPOCH - Duration::from_secs(1)
    ));
}

#[test]
fn a_corrupt_file_is_an_error_naming_it_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let e = DedupWindow::open(dir.path(), HOUR, 10).unwrap_err();
    assert!(e.contains(&path.display().to_string()), "{e}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the file was modified"
    );
}

#[test]
fn a_file_of_another_format_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    {
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META).unwrap().insert("format", 99).unwrap();
        txn.commit().unwrap();
    }
    let e = DedupWindow::open(dir.path(), HOUR, 10).unwrap_err();
    assert!(
        e.contains("format") && e.contains(&path.display().to_string()),
        "{e}"
    );
    // a table of the wrong type too
    let other = tempfile::tempdir().unwrap();
    {
        let db = Database::create(other.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_write().unwrap();
        let def: TableDefinition<u64, u64> = TableDefinition::new("ids");
        txn.open_table(def).unwrap().insert(1, 1).unwrap();
        txn.commit().unwrap();
    }
    let e = DedupWindow::open(other.path(), HOUR, 10).unwrap_err();
    assert!(e.contains("dedup.redb"), "{e}");
    // someone else's redb file is not adopted
    let foreign = tempfile::tempdir().unwrap();
    {
        let db = Database::create(foreign.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_write().unwrap();
        let def: TableDefinition<&str, &str> = TableDefinition::new("settings");
        txn.open_table(def).unwrap().insert("k", "v").unwrap();
        txn.commit().unwrap();
    }
    let e = DedupWindow::open(foreign.path(), HOUR, 10).unwrap_err();
    assert!(e.contains("not a dedup window"), "{e}");
    let db = Database::open(foreign.path().join(FILE_NAME)).unwrap();
    let names: Vec<String> = db
        .begin_read()
        .unwrap()
        .list_tables()
        .unwrap()
        .map(|t| t.name().to_string())
        .collect();
    assert_eq!(names, ["settings"], "the foreign file was changed");
}

#[test]
fn a_second_open_of_the_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _w = DedupWindow::open(dir.path(), HOUR, 10).unwrap();
    let e = DedupWindow::open(dir.path(), HOUR, 10).unwrap_err();
    assert!(e.contains("dedup.redb"), "{e}");
}

#[test]
fn zero_capacity_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(DedupWindow::open(dir.path(), HOUR, 0).is_err());
}

mod journal;
mod migrate;
mod model;
mod reopen;
mod snapshot;
