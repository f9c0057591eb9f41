//! The postgres sink against its limit, in one run on one server: the same rows written
//!
//! 1. by `psql \copy` of pre-rendered CSV straight into `signals` and `records` (one
//!    transaction per table, no staging, no conflict check, no `latest`): the limit;
//! 2. by the sink (`PostgresSink::accept` in batches of 512 records, as the pipeline hands
//!    them over): records → rows, binary COPY into staging, insert `ON CONFLICT DO NOTHING`,
//!    `latest` upsert, one commit per batch.
//!
//! Each into its own fresh schema with the sink's tables. It prints signal rows/s, client
//! CPU per row (psql's, or this process's) and the ratio sink / psql; the target is ≥ 0.5.
//! The server is the test rig's (tests/support/postgres.rs: initdb'd per run, fsync off).
//!
//! ```text
//! cargo bench --bench postgres                       # 100,000 records x 9 signals
//! cargo bench --bench postgres -- --records 20000 --batch-max-rows 5000
//! ```
//! Run without `--bench` (as `cargo test --benches` does) it does nothing.

#[allow(unused_imports)]
#[path = "../tests/support/mosquitto.rs"]
mod mosquitto;
#[allow(unused_imports)]
#[path = "../tests/support/pki.rs"]
mod pki;
#[allow(unused_imports)]
#[path = "../tests/support/postgres.rs"]
mod postgres;
#[allow(unused_imports)]
#[path = "../tests/support/wait.rs"]
mod wait;

use postgres::Postgres;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::io::Write;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vinstream::config::values::Duration as ConfigDuration;
use vinstream::config::Secret;
use vinstream::record::{ProviderKind, Record, Signal};
use vinstream::sinks::postgres::config::PostgresSinkConfig;
use vinstream::sinks::postgres::rows;
use vinstream::sinks::postgres::PostgresSink;
use vinstream::sinks::Sink;

/// The pipeline's batch: what one `accept` gets under load.
const PIPELINE_BATCH: usize = 512;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    let opt = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect(name))
    };
    let n = opt("--records", 100_000);
    let max_rows = opt("--batch-max-rows", 5000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let records: Vec<Arc<Record>> = (0..n).map(record).collect();
    let rows: usize = records.iter().map(|r| r.signals.len()).sum();
    let pg = Postgres::start();
    println!("postgres bench: {n} records, {rows} signal rows, 200 VINs; server fsync=off");

    let (psql_secs, psql_cpu) = runtime.block_on(psql_copy(&pg, &records));
    let (sink_secs, sink_cpu) = runtime.block_on(sink_write(&pg, &records, max_rows));

    let check = |schema: &str| pg.try_count(&format!("SELECT count(*) FROM {schema}.signals"));
    assert_eq!(
        check("bench_psql"),
        Some(rows as i64),
        "psql wrote every row"
    );
    assert_eq!(
        check("bench_sink"),
        Some(rows as i64),
        "the sink wrote every row"
    );
    println!(
        "{:<34} {:>12} {:>14} {:>10}",
        "", "rows/s", "CPU µs/row", "wall s"
    );
    for (what, secs, cpu) in [
        ("psql \\copy (the limit)", psql_secs, psql_cpu),
        ("vinstream postgres sink", sink_secs, sink_cpu),
    ] {
        println!(
            "{what:<34} {:>12.0} {:>14.2} {:>10.2}",
            rows as f64 / secs,
            cpu * 1e6 / rows as f64,
            secs
        );
    }
    let ratio = psql_secs / sink_secs;
    println!(
        "sink / psql throughput: {ratio:.2}x (target >= 0.5x): {}",
        if ratio >= 0.5 { "met" } else { "NOT MET" }
    );
}

/// A realistic record: 9 signals (numbers, a boolean, an enum, a position) of one of
/// 200 vehicles, with provider timestamps.
fn record(i: usize) -> Arc<Record> {
    let ts: Arc<str> = Arc::from(format!(
        "2026-11-21T{:02}:{:02}:{:02}.000Z",
        (i / 3600) % 24,
        (i / 60) % 60,
        i % 60
    ));
    let s = |path: &'static str, value: Value, unit: Option<&'static str>, origin: &str| Signal {
        path: Cow::Borrowed(path),
        value,
        unit: unit.map(Cow::Borrowed),
        timestamp: Some(ts.clone()),
        origin: Arc::from(origin),
        failure: None,
    };
    let f = i as f64;
    Arc::new(Record {
        id: format!("hm:bench-{i:08}"),
        vin: format!("WBA{:014}", i % 200),
        provider: ProviderKind::HighMobilityV2,
        source: "hm".into(),
        message_id: format!("bench-{i:08}"),
        received_at: chrono::Utc::now(),
        signals: vec![
            s(
                "Vehicle.TraveledDistance",
                json!(19_201_010 + i),
                Some("m"),
                "diagnostics.odometer",
            ),
            s(
                "Vehicle.Speed",
                json!(f % 130.0),
                Some("km/h"),
                "diagnostics.speed",
            ),
            s(
                "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
                json!(20.0 + f % 80.0),
                Some("percent"),
                "charging.battery_level",
            ),
            s(
                "Vehicle.Powertrain.TractionBattery.Charging.IsCharging",
                json!(i.is_multiple_of(3)),
                None,
                "charging.status",
            ),
            s(
                "Vehicle.Powertrain.TractionBattery.Charging.Status",
                json!("CHARGING"),
                None,
                "charging.status",
            ),
            s(
                "Vehicle.CurrentLocation.Latitude",
                json!(48.1 + f * 1e-6),
                Some("degrees"),
                "vehicle_location.coordinates",
            ),
            s(
                "Vehicle.CurrentLocation.Longitude",
                json!(11.5 + f * 1e-6),
                Some("degrees"),
                "vehicle_location.coordinates",
            ),
            s(
                "Vehicle.Exterior.AirTemperature",
                json!(12.5),
                Some("Celsius"),
                "climate.outside_temperature",
            ),
            s(
                "Vehicle.Body.Lights.IsBrakeOn",
                json!(false),
                None,
                "lights.brake",
            ),
        ],
    })
}

fn config(pg: &Postgres, schema: &str, max_rows: usize) -> PostgresSinkConfig {
    PostgresSinkConfig {
        kind: "postgres".into(),
        url: Secret::new(pg.url()),
        schema: schema.into(),
        batch_max_rows: max_rows,
        batch_timeout: ConfigDuration(Duration::from_millis(500)),
    }
}

/// Wall and CPU seconds of the sink writing `records` in pipeline-sized batches.
async fn sink_write(pg: &Postgres, records: &[Arc<Record>], max_rows: usize) -> (f64, f64) {
    let sink = PostgresSink::open("bench", &config(pg, "bench_sink", max_rows))
        .await
        .expect("open the sink");
    let (cpu0, t0) = (self_cpu(), Instant::now());
    for batch in records.chunks(PIPELINE_BATCH) {
        sink.accept(batch).await.expect("accept");
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = self_cpu() - cpu0;
    sink.close().await.unwrap();
    (secs, cpu)
}

/// Wall and CPU seconds of `psql \copy ... FROM pstdin` of pre-rendered CSV (rendering
/// not timed), `records` then `signals`, into tables the sink created.
async fn psql_copy(pg: &Postgres, records: &[Arc<Record>]) -> (f64, f64) {
    // The sink's tables, created the sink's way.
    let sink = PostgresSink::open("tables", &config(pg, "bench_psql", 5000))
        .await
        .expect("create the tables");
    sink.close().await.unwrap();
    drop(sink);
    let (records_csv, signals_csv) = csv(records);
    let (mut secs, mut cpu) = (0.0, 0.0);
    for (table, columns, data) in [
        ("records", rows::RECORD_COLUMNS, records_csv),
        ("signals", rows::SIGNAL_COLUMNS, signals_csv),
    ] {
        let (cpu0, t0) = (children_cpu(), Instant::now());
        let mut child = pg
            .psql_command(postgres::DB)
            .args([
                "-c",
                &format!("\\copy bench_psql.{table} ({columns}) FROM pstdin WITH (FORMAT csv)"),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("run psql");
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || stdin.write_all(&data));
        let status = child.wait().unwrap();
        writer.join().unwrap().expect("feed psql");
        assert!(status.success(), "psql \\copy {table} failed");
        secs += t0.elapsed().as_secs_f64();
        cpu += children_cpu() - cpu0;
    }
    (secs, cpu)
}

/// The rows as CSV, in [`rows::RECORD_COLUMNS`] and [`rows::SIGNAL_COLUMNS`] order.
fn csv(records: &[Arc<Record>]) -> (Vec<u8>, Vec<u8>) {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let opt = |s: Option<String>| s.map_or(String::new(), |s| q(&s));
    let (mut rec, mut sig) = (Vec::new(), Vec::new());
    for r in records {
        let at = rows::received_at(r).to_rfc3339();
        let [id, vin, provider, source, message_id] = rows::record_texts(r);
        writeln!(
            rec,
            "{},{},{},{},{},{at}",
            q(&id),
            q(&vin),
            q(&provider),
            q(&source),
            q(&message_id)
        )
        .unwrap();
        for row in rows::signal_rows(r) {
            writeln!(
                sig,
                "{},{},{},{},{},{},{},{},{},{},{},{}",
                q(&row.record_id),
                q(&row.vin),
                q(&row.path),
                q(&row.origin),
                row.ts.to_rfc3339(),
                row.received_at.to_rfc3339(),
                row.num().map_or(String::new(), |n| n.to_string()),
                opt(row.txt().map(str::to_string)),
                row.bool().map_or(String::new(), |b| b.to_string()),
                opt(row.json().map(|v| v.to_string())),
                opt(row.unit.as_deref().map(str::to_string)),
                opt(row.failure.as_deref().map(|v| v.to_string())),
            )
            .unwrap();
        }
    }
    (rec, sig)
}

fn clk_tck() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// `/proc/self/stat` fields after the command name: utime 14, stime 15, cutime 16,
/// cstime 17 (1-based, as in proc(5)), in seconds.
fn stat_secs(fields: [usize; 2]) -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state).
    let get = |n: usize| {
        f.get(n - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (get(fields[0]) + get(fields[1])) / clk_tck()
}

fn self_cpu() -> f64 {
    stat_secs([14, 15])
}

/// CPU of the children waited for (psql).
fn children_cpu() -> f64 {
    stat_secs([16, 17])
}
