//! Dedup window throughput against a full window of 1,000,000 ids on disk (in its
//! steady state: 2,000,000 recorded so far), in ids per second, with batches of 256:
//! `delivered` (one read transaction; half of the ids seen, half new, then all new) and
//! `record` (one durable write transaction, fsync included, each id evicting the oldest).
//! Also prints the file size, the time to reopen the window (clean and after a crash),
//! the latency of `record`, and the process RSS while the full window is open.
//!
//! `cargo bench --bench dedup` (add `-- --quick` for a fast run). The window is built in
//! `$VINSTREAM_BENCH_DIR` if set (to measure a particular disk), else in a temporary
//! directory.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};
use vinstream::dedup::{DedupWindow, FILE_NAME};

const WINDOW: usize = 1_000_000;
const BATCH: usize = 256;
const TTL: Duration = Duration::from_secs(24 * 3600);

/// A BMW-like id (family and a 64-hex-digit digest): the longest ids the daemon makes,
/// in no particular order, as real message ids arrive.
fn id(n: u64) -> String {
    let mut h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5DEE_CE66_D1CE_4E5B;
    let mut s = String::with_capacity(68);
    s.push_str("bmw:");
    for _ in 0..4 {
        h ^= h >> 31;
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        s.push_str(&format!("{h:016x}"));
    }
    s
}

fn ids(range: std::ops::Range<u64>) -> Vec<String> {
    range.map(id).collect()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "?".into())
}

fn file_mib(dir: &Path) -> f64 {
    let len = std::fs::metadata(dir.join(FILE_NAME)).map_or(0, |m| m.len());
    len as f64 / (1024.0 * 1024.0)
}

fn bench(c: &mut Criterion) {
    let tmp = match std::env::var_os("VINSTREAM_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .unwrap();
    let dir = tmp.path();

    // two turnovers of the window, so that it is in its steady state: full, with
    // generations of ids being started and deleted
    let started = Instant::now();
    let mut w = DedupWindow::open(dir, TTL, WINDOW).unwrap();
    let mut slowest = Duration::ZERO;
    for chunk in (0..2 * WINDOW as u64).step_by(10_000) {
        let batch = ids(chunk..chunk + 10_000);
        let t = Instant::now();
        w.record(&refs(&batch), SystemTime::now()).unwrap();
        slowest = slowest.max(t.elapsed());
    }
    assert_eq!(w.len(), WINDOW);
    eprintln!(
        "dedup: recorded {} ids in batches of 10,000 in {:.1?} (slowest batch {slowest:.1?}); \
         {FILE_NAME} is {:.1} MiB with the window full",
        2 * WINDOW,
        started.elapsed(),
        file_mib(dir)
    );
    drop(w);

    // a clean reopen, and one after a crash (the file as a SIGKILL leaves it)
    let started = Instant::now();
    let w = DedupWindow::open(dir, TTL, WINDOW).unwrap();
    eprintln!(
        "dedup: clean reopen of {} ids: {:.1?}",
        w.len(),
        started.elapsed()
    );
    std::mem::forget(w);
    let crashed = tempfile::tempdir_in(dir).unwrap();
    std::fs::copy(dir.join(FILE_NAME), crashed.path().join(FILE_NAME)).unwrap();
    let started = Instant::now();
    let w = DedupWindow::open(crashed.path(), TTL, WINDOW).unwrap();
    eprintln!("dedup: reopen after a crash: {:.1?}", started.elapsed());
    drop(w);
    drop(crashed);

    // the forgotten handle above still locks the file: measure on a copy of it
    let live = tempfile::tempdir_in(dir).unwrap();
    std::fs::copy(dir.join(FILE_NAME), live.path().join(FILE_NAME)).unwrap();
    let mut w = DedupWindow::open(live.path(), TTL, WINDOW).unwrap();
    eprintln!(
        "dedup: RSS with the full window open: VmRSS {} (peak VmHWM {})",
        status("VmRSS:"),
        status("VmHWM:")
    );

    // the window is exact: the first million were evicted, the second are all there
    let now = SystemTime::now();
    let evicted = ids(0..1000);
    let live_ids = ids(WINDOW as u64..WINDOW as u64 + 1000);
    assert!(w
        .delivered(&refs(&evicted), now)
        .unwrap()
        .iter()
        .all(|&d| !d));
    assert!(w
        .delivered(&refs(&live_ids), now)
        .unwrap()
        .iter()
        .all(|&d| d));

    // latency of single record calls, which block the pipeline while they fsync
    let mut next = 2 * WINDOW as u64;
    let mut lat = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let batch = ids(next..next + BATCH as u64);
        next += BATCH as u64;
        let t = Instant::now();
        w.record(&refs(&batch), SystemTime::now()).unwrap();
        lat.push(t.elapsed());
    }
    lat.sort();
    eprintln!(
        "dedup: record({BATCH}) latency over 1000 calls: p50 {:.1?}, p90 {:.1?}, p99 {:.1?}, max {:.1?}",
        lat[500], lat[900], lat[990], lat[999]
    );

    let mut group = c.benchmark_group("dedup_1m");
    group.throughput(Throughput::Elements(BATCH as u64));

    // half of each batch delivered (present), half new, at random positions in the tree
    let live_lo = next - WINDOW as u64;
    let mut n = 0u64;
    group.bench_function("delivered_256", |b| {
        b.iter_batched(
            || {
                n += 1;
                let mut v = Vec::with_capacity(BATCH);
                for i in 0..BATCH as u64 / 2 {
                    v.push(id(live_lo + (n * 7919 + i * 104_729) % WINDOW as u64));
                    v.push(id(u64::MAX - n * BATCH as u64 - i));
                }
                v
            },
            |v| black_box(w.delivered(&refs(&v), SystemTime::now()).unwrap()),
            BatchSize::SmallInput,
        )
    });

    // all new: the common case, and the slowest (every generation is searched)
    group.bench_function("delivered_256_new", |b| {
        b.iter_batched(
            || {
                n += 1;
                (0..BATCH as u64)
                    .map(|i| id(u64::MAX / 2 - n * BATCH as u64 - i))
                    .collect::<Vec<_>>()
            },
            |v| black_box(w.delivered(&refs(&v), SystemTime::now()).unwrap()),
            BatchSize::SmallInput,
        )
    });

    // new ids: each record also evicts the 256 oldest (the window stays full)
    group.bench_function("record_256", |b| {
        b.iter_batched(
            || {
                next += BATCH as u64;
                ids(next - BATCH as u64..next)
            },
            |v| w.record(&refs(&v), SystemTime::now()).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    assert_eq!(w.len(), WINDOW);
    eprintln!(
        "dedup: after the runs: {FILE_NAME} is {:.1} MiB; VmRSS {} (peak VmHWM {})",
        file_mib(live.path()),
        status("VmRSS:"),
        status("VmHWM:")
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
