//! Normalization throughput over the High Mobility fixtures, in messages per second.
//!
//! `cargo bench --bench normalize` (add `-- --quick` for a fast run).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::path::Path;
use vinstream::providers;
use vinstream::record::ProviderKind;

/// `(file name, payload)` of every `*.json` fixture in `tests/fixtures/{dir}`, sorted.
fn fixtures(dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {}", dir.display());
    out
}

fn bench_kind(c: &mut Criterion, group_name: &str, kind: ProviderKind, dir: &str) {
    let received = chrono::Utc::now();
    let all = fixtures(dir);
    let mut group = c.benchmark_group(group_name);
    // every fixture once per iteration: throughput of a realistic mix
    group.throughput(Throughput::Elements(all.len() as u64));
    group.bench_function("all_fixtures", |b| {
        b.iter(|| {
            for (_, payload) in &all {
                let _ = black_box(providers::normalize(
                    kind,
                    "hm",
                    "",
                    black_box(payload),
                    received,
                ));
            }
        })
    });
    // and each fixture alone
    group.throughput(Throughput::Elements(1));
    for (name, payload) in &all {
        group.bench_function(name.as_str(), |b| {
            b.iter(|| {
                black_box(providers::normalize(
                    kind,
                    "hm",
                    "",
                    black_box(payload),
                    received,
                ))
            })
        });
    }
    group.finish();
}

fn hm_v2(c: &mut Criterion) {
    bench_kind(c, "hm_v2", ProviderKind::HighMobilityV2, "highmobility_v2");
}

fn hm_v1(c: &mut Criterion) {
    bench_kind(c, "hm_v1", ProviderKind::HighMobilityV1, "highmobility_v1");
}

criterion_group!(benches, hm_v2, hm_v1);
criterion_main!(benches);
