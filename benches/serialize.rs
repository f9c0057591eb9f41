//! Record serialization: a normalized record to its JSON line (what the stdout and file
//! sinks write), in records per second, and a batch of 512 records into one buffer (what
//! a sink does per batch). The records are the High Mobility V2 fixtures, normalized.
//!
//! Before the timings it prints allocations per message (a counting global allocator) for
//! normalize per provider (every fixture of tests/fixtures, malformed ones included) and
//! for serialization.
//!
//! `cargo bench --bench serialize` (add `-- --quick` for a fast run).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use vinstream::providers;
use vinstream::record::{ProviderKind, Record};

/// Counts allocations (and reallocations) so the bench can report them per message.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (allocations, bytes allocated) per call of `f`, averaged over `rounds` calls.
fn allocations(rounds: u64, mut f: impl FnMut()) -> (f64, f64) {
    f(); // warm up lazily initialized tables
    let (a0, b0) = (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    for _ in 0..rounds {
        f();
    }
    let (a1, b1) = (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    (
        (a1 - a0) as f64 / rounds as f64,
        (b1 - b0) as f64 / rounds as f64,
    )
}

fn payloads(dir: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut out: Vec<(std::path::PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, b)| b).collect()
}

fn report_allocations() {
    let now = chrono::Utc::now();
    println!("allocations per message (mean over the fixtures):");
    for (name, kind, dir) in [
        (
            "normalize hm_v2",
            ProviderKind::HighMobilityV2,
            "highmobility_v2",
        ),
        (
            "normalize hm_v1",
            ProviderKind::HighMobilityV1,
            "highmobility_v1",
        ),
        ("normalize bmw", ProviderKind::BmwCardata, "bmw_cardata"),
    ] {
        let all = payloads(dir);
        let (a, b) = allocations(200, || {
            for p in &all {
                let _ = black_box(providers::normalize(kind, "hm", "", black_box(p), now));
            }
        });
        let n = all.len() as f64;
        println!(
            "  {name:<18} {:>7.1} allocations, {:>8.0} bytes",
            a / n,
            b / n
        );
    }
    let recs = records(ProviderKind::HighMobilityV2, "highmobility_v2");
    let n = recs.len() as f64;
    let (a, b) = allocations(200, || {
        for (_, r) in &recs {
            black_box(r.to_json_line());
        }
    });
    println!(
        "  {:<18} {:>7.1} allocations, {:>8.0} bytes",
        "to_json_line",
        a / n,
        b / n
    );
    let mut buf = Vec::with_capacity(1 << 20);
    let (a, b) = allocations(200, || {
        buf.clear();
        for (_, r) in &recs {
            r.write_json_line(&mut buf);
        }
    });
    println!(
        "  {:<18} {:>7.1} allocations, {:>8.0} bytes (into a reused buffer)",
        "write_json_line",
        a / n,
        b / n
    );
}

fn records(kind: ProviderKind, dir: &str) -> Vec<(String, Record)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut out: Vec<(String, Record)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter_map(|p| {
            let payload = std::fs::read(&p).unwrap();
            let r = providers::normalize(kind, "hm", "", &payload, chrono::Utc::now()).ok()?;
            Some((p.file_stem().unwrap().to_string_lossy().to_string(), r))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!out.is_empty(), "no fixtures in {}", dir.display());
    out
}

/// The message `benches/drain.rs` publishes (~745 bytes, 9 signals), for one-core figures
/// of the drain's per-message work: normalize, serialize, both.
const DRAIN_PAYLOAD: &str = concat!(
    r#"{"version":2,"application_id":"00000000-0000-0000-0000-000000000000","#,
    r#""message_id":"7F2C9EE943B3FA012AF946633897D0589684598CD746C01A0000000300000000","#,
    r#""vin":"WBY1Z4C5000000000","data":{"diagnostics":{"odometer":[{"data":{"unit":"kilometers","#,
    r#""value":78660.5},"timestamp":"2026-11-21T07:30:35.761Z"}]},"vehicle_location":{"coordinates":"#,
    r#"[{"data":{"latitude":48.523067,"longitude":11.285509},"timestamp":"2026-11-21T07:30:35.761Z"}],"#,
    r#""heading":[{"data":{"unit":"degrees","value":190},"timestamp":"2026-11-21T07:30:35.761Z"}]},"#,
    r#""charging":{"battery_level":[{"data":0.40,"timestamp":"2026-11-21T07:30:35.761Z"}],"#,
    r#""status":[{"data":"charging","timestamp":"2026-11-21T07:30:35.761Z"}],"#,
    r#""estimated_range":[{"data":{"unit":"kilometers","value":270}}]}}}"#
);

fn drain_payload(c: &mut Criterion) {
    let now = chrono::Utc::now();
    let payload = DRAIN_PAYLOAD.as_bytes();
    let kind = ProviderKind::HighMobilityV2;
    let record = providers::normalize(kind, "hm", "", payload, now).expect("normalizes");
    let (a, b) = allocations(1000, || {
        let _ = black_box(providers::normalize(
            kind,
            "hm",
            "",
            black_box(payload),
            now,
        ));
    });
    println!(
        "drain payload ({} bytes, {} signals): normalize {a:.1} allocations, {b:.0} bytes",
        payload.len(),
        record.signals.len()
    );
    let mut group = c.benchmark_group("drain_payload");
    group.throughput(Throughput::Elements(1));
    group.bench_function("normalize", |b| {
        b.iter(|| providers::normalize(kind, "hm", "", black_box(payload), now))
    });
    group.bench_function("serialize", |b| {
        let mut buf = Vec::with_capacity(4096);
        b.iter(|| {
            buf.clear();
            black_box(&record).write_json_line(&mut buf);
            black_box(buf.len())
        })
    });
    group.bench_function("normalize_and_serialize", |b| {
        let mut buf = Vec::with_capacity(4096);
        b.iter(|| {
            buf.clear();
            let r = providers::normalize(kind, "hm", "", black_box(payload), now).unwrap();
            r.write_json_line(&mut buf);
            black_box(buf.len())
        })
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    report_allocations();
    let all = records(ProviderKind::HighMobilityV2, "highmobility_v2");
    let bytes: usize = all.iter().map(|(_, r)| r.to_json_line().len()).sum();
    let mut group = c.benchmark_group("serialize");
    group.throughput(Throughput::Elements(all.len() as u64));
    group.bench_function("to_json_line/all_fixtures", |b| {
        b.iter(|| {
            for (_, r) in &all {
                black_box(black_box(r).to_json_line());
            }
        })
    });
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("to_json_line/all_fixtures_bytes", |b| {
        b.iter(|| {
            for (_, r) in &all {
                black_box(black_box(r).to_json_line());
            }
        })
    });
    // a sink's batch: 512 records appended to one buffer
    let batch: Vec<Arc<Record>> = (0..512)
        .map(|i| Arc::new(all[i % all.len()].1.clone()))
        .collect();
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.bench_function("batch_512_into_buffer", |b| {
        b.iter(|| {
            let mut buf = Vec::with_capacity(batch.len() * 512);
            for r in &batch {
                r.write_json_line(&mut buf);
            }
            black_box(buf)
        })
    });
    group.throughput(Throughput::Elements(1));
    for (name, r) in &all {
        group.bench_function(name.as_str(), |b| b.iter(|| black_box(r).to_json_line()));
    }
    group.finish();
}

criterion_group!(benches, bench, drain_payload);
criterion_main!(benches);
