//! Unit tests of the spool (framing, torn tails, cursor, limits) and of the request
//! helpers (signature, Retry-After, backoff, rejected.jsonl lines).

mod sending;

use super::frame::{self, crc32, HEADER_LEN};
use super::http::{self, Backoff};
use super::spool::{AppendError, Pos, Span, Spool};
use std::fs;
use std::io::Write;

use std::path::Path;
use std::time::{Duration, SystemTime};

fn frames(records: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        frame::encode(&mut out, r.as_bytes());
    }
    out
}

fn records(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!(r#"{{"id":"r-{i:04}"}}"#)).collect()
}

fn texts(b: &super::spool::Batch) -> Vec<String> {
    b.records
        .iter()
        .map(|r| String::from_utf8(r.clone()).unwrap())
        .collect()
}

fn segment_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    v.sort();
    v
}

fn disk_bytes(dir: &Path) -> u64 {
    segment_files(dir)
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum()
}

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn appended_records_read_back_in_order_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    // 4 KiB segments (limit / 8): 300 records need several.
    let spool = Spool::open(dir.path(), 32 << 10).unwrap();
    let all = records(0..300);
    for chunk in all.chunks(7) {
        spool.append(&frames(chunk)).unwrap();
    }
    assert!(segment_files(dir.path()).len() > 1);
    assert_eq!(spool.size(), disk_bytes(dir.path()));
    let mut got = Vec::new();
    let mut from = spool.cursor();
    loop {
        let b = spool.read(from, 50, usize::MAX).unwrap();
        if b.records.is_empty() {
            break;
        }
        assert!(b.records.len() <= 50);
        got.extend(texts(&b));
        from = b.span.end;
    }
    assert_eq!(got, all);
}

#[test]
fn acked_segments_are_deleted_and_the_spool_returns_to_zero() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path(), 1 << 20).unwrap();
    spool.append(&frames(&records(0..200))).unwrap();
    spool.append(&frames(&records(200..400))).unwrap();
    let first = spool.read(spool.cursor(), 250, usize::MAX).unwrap();
    spool.ack(first.span).unwrap();
    assert_eq!(spool.size(), disk_bytes(dir.path()));
    let rest = spool.read(spool.cursor(), 1000, usize::MAX).unwrap();
    assert_eq!(texts(&rest), records(250..400));
    spool.ack(rest.span).unwrap();
    assert_eq!(spool.size(), 0);
    assert!(segment_files(dir.path()).is_empty());
    // and it keeps working after being emptied
    spool.append(&frames(&records(400..401))).unwrap();
    let b = spool.read(spool.cursor(), 10, usize::MAX).unwrap();
    assert_eq!(texts(&b), records(400..401));
}

#[test]
fn a_torn_tail_is_ignored_and_cut_off_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let spool = Spool::open(dir.path(), 1 << 20).unwrap();
        spool.append(&frames(&records(0..5))).unwrap();
    }
    let seg = segment_files(dir.path()).pop().unwrap();
    let intact = fs::metadata(&seg).unwrap().len();
    // SIGKILL in the middle of an append: half an entry at the end.
    let torn = frames(&records(5..6));
    fs::OpenOptions::new()
        .append(true)
        .open(&seg)
        .unwrap()
        .write_all(&torn[..torn.len() / 2])
        .unwrap();
    let spool = Spool::open(dir.path(), 1 << 20).unwrap();
    assert_eq!(fs::metadata(&seg).unwrap().len(), intact);
    spool.append(&frames(&records(6..8))).unwrap();
    let b = spool.read(spool.cursor(), 100, usize::MAX).unwrap();
    let mut want = records(0..5);
    want.extend(records(6..8));
    assert_eq!(texts(&b), want);
}

#[test]
fn a_damaged_entry_in_an_older_segment_is_skipped_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    {
        let spool = Spool::open(dir.path(), 1 << 20).unwrap();
        spool.append(&frames(&records(0..3))).unwrap();
    }
    // Garbage after the valid entries of a segment that is no longer the last one.
    let first = segment_files(dir.path()).pop().unwrap();
    {
        let spool = Spool::open(dir.path(), 1 << 20).unwrap();
        spool.append(&frames(&records(3..5))).unwrap();
    }
    let mut bad = frames(&records(99..100));
    let n = bad.len();
    bad[n - 2] ^= 0xff; // checksum mismatch
    fs::OpenOptions::new()
        .append(true)
        .open(&first)
        .unwrap()
        .write_all(&bad)
        .unwrap();
    let spool = Spool::open(dir.path(), 1 << 20).unwrap();
    let b = spool.read(spool.cursor(), 100, usize::MAX).unwrap();
    assert_eq!(texts(&b), records(0..5));
}

#[test]
fn the_cursor_and_the_batch_in_flight_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (id, inflight) = {
        let spool = Spool::open(dir.path(), 1 << 20).unwrap();
        spool.append(&frames(&records(0..30))).unwrap();
        let sent = spool.read(spool.cursor(), 10, usize::MAX).unwrap();
        spool.ack(sent.span).unwrap();
        let next = spool.read(spool.cursor(), 10, usize::MAX).unwrap();
        spool.set_inflight(next.span).unwrap();
        // more records arrive after the batch was formed
        spool.append(&frames(&records(30..40))).unwrap();
        (spool.id().to_string(), next.span)
    };
    let spool = Spool::open(dir.path(), 1 << 20).unwrap();
    assert_eq!(spool.id(), id, "the spool id is stable");
    assert_eq!(spool.inflight(), Some(inflight));
    let again = spool.read_span(inflight).unwrap();
    assert_eq!(again.span, inflight);
    assert_eq!(texts(&again), records(10..20), "exactly the same records");
    spool.ack(again.span).unwrap();
    drop(spool);
    let spool = Spool::open(dir.path(), 1 << 20).unwrap();
    assert_eq!(spool.inflight(), None);
    let rest = spool.read(spool.cursor(), 100, usize::MAX).unwrap();
    assert_eq!(texts(&rest), records(20..40));
}

#[test]
fn a_full_spool_refuses_without_writing_and_takes_again_after_an_ack() {
    let dir = tempfile::tempdir().unwrap();
    let limit = 8 * 1024;
    let spool = Spool::open(dir.path(), limit).unwrap();
    let mut taken = 0;
    let err = loop {
        match spool.append(&frames(&records(taken..taken + 10))) {
            Ok(()) => taken += 10,
            Err(e) => break e,
        }
        assert!(taken < 10_000, "never refused");
    };
    assert!(matches!(err, AppendError::Full { limit: l, .. } if l == limit));
    let before = disk_bytes(dir.path());
    assert!(before <= limit, "{before} > {limit}");
    assert_eq!(spool.size(), before);
    assert!(matches!(
        spool.append(&frames(&records(0..10))),
        Err(AppendError::Full { .. })
    ));
    assert_eq!(
        disk_bytes(dir.path()),
        before,
        "a refused append wrote nothing"
    );
    let all = spool.read(spool.cursor(), usize::MAX, usize::MAX).unwrap();
    assert_eq!(texts(&all), records(0..taken), "nothing was dropped");
    spool.ack(all.span).unwrap();
    spool.append(&frames(&records(0..10))).unwrap();
}

#[test]
fn one_batch_larger_than_the_limit_is_taken_when_the_spool_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path(), 100).unwrap();
    spool.append(&frames(&records(0..20))).unwrap();
    assert!(matches!(
        spool.append(&frames(&records(0..1))),
        Err(AppendError::Full { .. })
    ));
}

#[test]
fn segments_already_sent_before_a_crash_are_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path(), 32 << 10).unwrap();
    spool.append(&frames(&records(0..300))).unwrap();
    spool.append(&frames(&records(300..600))).unwrap();
    let first_segment = segment_files(dir.path())[0].clone();
    let kept = fs::read(&first_segment).unwrap();
    let b = spool.read(spool.cursor(), 300, usize::MAX).unwrap();
    spool.ack(b.span).unwrap();
    drop(spool);
    // as if the process died between writing the cursor and deleting the segment
    fs::write(&first_segment, kept).unwrap();
    let spool = Spool::open(dir.path(), 32 << 10).unwrap();
    assert!(!first_segment.exists());
    let rest = spool.read(spool.cursor(), 1000, usize::MAX).unwrap();
    assert_eq!(texts(&rest), records(300..600));
}

#[test]
fn positions_order_by_segment_then_offset() {
    let a = Pos {
        seq: 1,
        offset: 900,
    };
    let b = Pos {
        seq: 2,
        offset: HEADER_LEN,
    };
    assert!(a < b);
    let s = Span { start: a, end: b };
    assert_eq!(s, Span { start: a, end: b });
}

#[test]
fn a_second_open_of_a_spool_is_refused_until_the_first_releases_it() {
    let dir = tempfile::tempdir().unwrap();
    let first = Spool::open(dir.path(), 1 << 20).unwrap();
    first.append(&frames(&records(0..3))).unwrap();
    // In this process: a hand-over in progress (a reload).
    assert!(matches!(
        Spool::open(dir.path(), 1 << 20),
        Err(super::spool::OpenError::HeldHere)
    ));
    first.release();
    assert!(
        first.append(&frames(&records(3..4))).is_err(),
        "a released spool still took records"
    );
    let b = first.read(first.cursor(), 100, usize::MAX).unwrap();
    assert!(
        first.ack(b.span).is_err(),
        "a released spool moved its cursor"
    );
    assert!(first.set_inflight(b.span).is_err());
    let second = Spool::open(dir.path(), 1 << 20).unwrap();
    let b = second.read(second.cursor(), 100, usize::MAX).unwrap();
    assert_eq!(
        texts(&b),
        records(0..3),
        "nothing lost, nothing acked twice"
    );
    drop(first);
    // dropping the released instance does not unlock the new owner's spool
    assert!(matches!(
        Spool::open(dir.path(), 1 << 20),
        Err(super::spool::OpenError::HeldHere)
    ));
}

#[test]
fn a_spool_locked_by_another_process_is_refused_naming_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    // Another process's lock: a flock on another open file description, not registered
    // as held by this process.
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.path().join("lock"))
        .unwrap();
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
    fs::write(dir.path().join("lock"), "4242\n").unwrap();
    let e = match Spool::open(dir.path(), 1 << 20) {
        Ok(_) => panic!("opened a spool another process holds"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("another vinstream process"), "{e}");
    assert!(e.contains("pid 4242"), "{e}");
    assert!(
        e.contains(&dir.path().join("lock").display().to_string()),
        "{e}"
    );
    assert!(
        !dir.path().join("cursor").exists(),
        "the refused open wrote the spool"
    );
    drop(lock);
    Spool::open(dir.path(), 1 << 20).unwrap();
}
