//! Telemetry as typed events: every metric is defined here, once, next to the log line
//! that goes with it, so counters and logs cannot drift apart. Callers say what happened
//! (`malformed(source, topic, reason)`), never which counter to bump.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use tracing::warn;

type Labels = Vec<(&'static str, String)>;

fn source(s: &str) -> Labels {
    vec![("source", s.to_string())]
}
fn sink(s: &str) -> Labels {
    vec![("sink", s.to_string())]
}

pub struct Metrics {
    registry: Registry,
    received: Family<Labels, Counter>,
    duplicate: Family<Labels, Counter>,
    malformed: Family<Labels, Counter>,
    signals: Family<Labels, Counter>,
    delivered: Family<Labels, Counter>,
    sink_errors: Family<Labels, Counter>,
    sink_rejected: Family<Labels, Counter>,
    sink_rejected_dropped: Family<Labels, Counter>,
    outside_leaf: Family<Labels, Counter>,
    sink_buffer: Family<Labels, Gauge>,
    connected: Family<Labels, Gauge>,
    fleet_dropped: Family<Labels, Counter>,
    end_to_end: Histogram,
    process: ProcessGauges,
    /// Last time a repeated warning was logged, per key: repeats are counted, not logged.
    quiet: Mutex<std::collections::HashMap<String, Instant>>,
    /// What in `state_dir` is failing now (dead letter, dedup store), for `/readyz`.
    state: Mutex<std::collections::BTreeMap<&'static str, String>>,
    /// Sinks whose last `accept` failed, with the error, for `/readyz`.
    failing_sinks: Mutex<std::collections::HashMap<String, String>>,
}

struct ProcessGauges {
    rss: Gauge,
    cpu_ms: Gauge,
    fds: Gauge,
    start: Gauge,
}

pub fn metrics() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(Metrics::new)
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("vinstream");
        let m = Metrics {
            received: Family::default(),
            duplicate: Family::default(),
            malformed: Family::default(),
            signals: Family::default(),
            delivered: Family::default(),
            sink_errors: Family::default(),
            sink_rejected: Family::default(),
            sink_rejected_dropped: Family::default(),
            outside_leaf: Family::default(),
            sink_buffer: Family::default(),
            connected: Family::default(),
            fleet_dropped: Family::default(),
            end_to_end: Histogram::new(exponential_buckets(0.0005, 2.0, 18)),
            process: ProcessGauges {
                rss: Gauge::default(),
                cpu_ms: Gauge::default(),
                fds: Gauge::default(),
                start: Gauge::default(),
            },
            quiet: Mutex::new(Default::default()),
            state: Mutex::new(Default::default()),
            failing_sinks: Mutex::new(Default::default()),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "messages_received",
            "Provider messages received",
            m.received.clone(),
        );
        r.register(
            "messages_duplicate",
            "Messages already delivered (no record)",
            m.duplicate.clone(),
        );
        r.register(
            "messages_malformed",
            "Payloads sent to the dead letter",
            m.malformed.clone(),
        );
        r.register("signals", "Signals in delivered records", m.signals.clone());
        r.register(
            "values_outside_leaf",
            "Mapped values outside their VSS leaf's range or allowed values, kept under the vendor name",
            m.outside_leaf.clone(),
        );
        r.register(
            "records_delivered",
            "Records a sink accepted",
            m.delivered.clone(),
        );
        r.register(
            "sink_errors",
            "Failed sink deliveries (retried)",
            m.sink_errors.clone(),
        );
        r.register(
            "sink_rejected",
            "Records or parts of records a sink refused for good, kept aside (dead letter, rejected.jsonl)",
            m.sink_rejected.clone(),
        );
        r.register(
            "sink_rejected_dropped",
            "Rejected batches dropped from rejected.jsonl to keep it under its size cap",
            m.sink_rejected_dropped.clone(),
        );
        r.register(
            "sink_buffer_bytes",
            "Bytes waiting in a sink's durable buffer",
            m.sink_buffer.clone(),
        );
        r.register(
            "provider_connected",
            "1 while the provider is connected and subscribed",
            m.connected.clone(),
        );
        r.register(
            "fleet_events_dropped",
            "Delivered records the fleet page missed because it fell behind (consumer: state, page)",
            m.fleet_dropped.clone(),
        );
        r.register(
            "end_to_end_seconds",
            "Receive to last sink accept",
            m.end_to_end.clone(),
        );
        r.register(
            "process_resident_memory_bytes",
            "Resident memory",
            m.process.rss.clone(),
        );
        r.register(
            "process_cpu_milliseconds",
            "CPU time used (user + system)",
            m.process.cpu_ms.clone(),
        );
        r.register(
            "process_open_fds",
            "Open file descriptors",
            m.process.fds.clone(),
        );
        r.register(
            "process_start_time_seconds",
            "Start time, seconds since the epoch",
            m.process.start.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The Prometheus text exposition, with process gauges read now.
    pub fn render(&self) -> String {
        self.read_process();
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }

    fn read_process(&self) {
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            if let Some(kb) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
            {
                self.process.rss.set(kb * 1024);
            }
        }
        if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
            // Fields after the command name (which may hold spaces) start after ") ".
            let rest: Vec<&str> = stat
                .rsplit_once(") ")
                .map(|(_, r)| r)
                .unwrap_or("")
                .split(' ')
                .collect();
            let ticks = |i: usize| rest.get(i).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
            // utime, stime are fields 14 and 15 (index 11, 12 here); clock ticks are 100 Hz on Linux.
            self.process.cpu_ms.set((ticks(11) + ticks(12)) * 10);
        }
        if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
            self.process.fds.set(dir.count() as i64);
        }
        static START: OnceLock<i64> = OnceLock::new();
        self.process
            .start
            .set(*START.get_or_init(|| chrono::Utc::now().timestamp()));
    }

    pub fn received_total(&self, src: &str) -> u64 {
        self.received.get_or_create(&source(src)).get()
    }
    pub fn delivered_total(&self, snk: &str) -> u64 {
        self.delivered.get_or_create(&sink(snk)).get()
    }
    pub fn malformed_total(&self, src: &str) -> u64 {
        self.malformed.get_or_create(&source(src)).get()
    }
    pub fn fleet_dropped_total(&self, consumer: &str) -> u64 {
        self.fleet_dropped
            .get_or_create(&vec![("consumer", consumer.to_string())])
            .get()
    }
}

// The events.

/// Make a provider's series exist from the start (at 0), so dashboards and `rate()`
/// see them before the first message.
pub fn register_source(src: &str) {
    let m = metrics();
    let l = source(src);
    for f in [&m.received, &m.duplicate, &m.malformed, &m.signals] {
        drop(f.get_or_create(&l));
    }
    drop(m.connected.get_or_create(&l));
}

pub fn register_sink(snk: &str) {
    let m = metrics();
    let l = sink(snk);
    drop(m.delivered.get_or_create(&l));
    drop(m.sink_errors.get_or_create(&l));
    drop(m.sink_rejected.get_or_create(&l));
    drop(m.sink_rejected_dropped.get_or_create(&l));
    drop(m.sink_buffer.get_or_create(&l));
}

pub fn received(src: &str) {
    metrics().received.get_or_create(&source(src)).inc();
}

pub fn duplicate(src: &str, id: &str) {
    metrics().duplicate.get_or_create(&source(src)).inc();
    tracing::debug!(provider = src, id, "duplicate of a delivered record");
}

/// Logged once per (source, reason kind) a minute; every one is counted.
pub fn malformed(src: &str, topic: &str, reason: &str) {
    metrics().malformed.get_or_create(&source(src)).inc();
    let kind = reason.split(':').next().unwrap_or(reason);
    if loud(&format!("malformed/{src}/{kind}")) {
        warn!(provider = src, topic, reason, "malformed payload sent to the dead letter (repeats within a minute are counted, not logged)");
    }
}

pub fn delivered(src: &str, signals: usize, receive_to_accept: Duration) {
    let m = metrics();
    m.signals.get_or_create(&source(src)).inc_by(signals as u64);
    m.end_to_end.observe(receive_to_accept.as_secs_f64());
}

pub fn sink_accepted(snk: &str, records: usize) {
    let m = metrics();
    m.delivered.get_or_create(&sink(snk)).inc_by(records as u64);
    let mut failing = m.failing_sinks.lock().unwrap_or_else(|p| p.into_inner());
    if !failing.is_empty() {
        failing.remove(snk);
    }
}

/// The error of the sink's last `accept`, while it fails (batches wait on it).
pub fn sink_failing(snk: &str) -> Option<String> {
    let failing = metrics()
        .failing_sinks
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    failing.get(snk).cloned()
}

pub fn sink_failed(snk: &str, error: &str, retry_in: Duration) {
    let m = metrics();
    m.sink_errors.get_or_create(&sink(snk)).inc();
    m.failing_sinks
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(snk.to_string(), error.to_string());
    if loud(&format!("sink/{snk}")) {
        tracing::error!(sink = snk, error, retry_in = ?retry_in, "sink did not accept the batch; retrying (repeats within a minute are counted, not logged)");
    }
}

/// A provider value that maps to `path` was outside the leaf's range or allowed values
/// (`reason`: `out_of_range`, `not_allowed`); it went out under its vendor name.
/// Logged once a minute per path; every one is counted.
pub fn value_outside_leaf(path: &str, reason: &'static str) {
    metrics()
        .outside_leaf
        .get_or_create(&vec![
            ("path", path.to_string()),
            ("reason", reason.to_string()),
        ])
        .inc();
    if loud(&format!("leaf/{path}")) {
        warn!(path, reason, "value outside its VSS leaf kept under the vendor name (repeats within a minute are counted, not logged)");
    }
}

/// How many values were kept out of `path` so far (all reasons).
pub fn outside_leaf_total(path: &str) -> u64 {
    ["out_of_range", "not_allowed"]
        .iter()
        .map(|r| {
            metrics()
                .outside_leaf
                .get_or_create(&vec![("path", path.to_string()), ("reason", r.to_string())])
                .get()
        })
        .sum()
}

/// A remote refused a batch for good (e.g. HTTP 400); it was kept aside, not retried.
pub fn sink_rejected(snk: &str) {
    metrics().sink_rejected.get_or_create(&sink(snk)).inc();
}

/// A sink refused part of a record for good (too large for the platform, a VIN it cannot
/// name); it went to the dead letter. Logged once a minute per sink; every one is counted.
pub fn sink_refused(snk: &str, vin: &str, reason: &str) {
    metrics().sink_rejected.get_or_create(&sink(snk)).inc();
    if loud(&format!("refused/{snk}")) {
        warn!(sink = snk, vin, reason, "a sink refused part of a record for good; it is kept in the dead letter (repeats within a minute are counted, not logged)");
    }
}

pub fn sink_rejected_total(snk: &str) -> u64 {
    metrics().sink_rejected.get_or_create(&sink(snk)).get()
}

/// Rejected batches dropped to keep rejected.jsonl under its cap.
pub fn sink_rejected_dropped(snk: &str, batches: u64) {
    metrics()
        .sink_rejected_dropped
        .get_or_create(&sink(snk))
        .inc_by(batches);
}

pub fn sink_buffer(snk: &str, bytes: u64) {
    metrics()
        .sink_buffer
        .get_or_create(&sink(snk))
        .set(bytes as i64);
}

pub fn provider_ready(src: &str, ready: bool) {
    metrics()
        .connected
        .get_or_create(&source(src))
        .set(i64::from(ready));
}

/// A fleet page consumer (`state`: the vehicle table, `page`: an event stream) fell
/// behind and missed `records`: the page never holds the pipeline back. Counted only.
pub fn fleet_dropped(consumer: &'static str, records: u64) {
    metrics()
        .fleet_dropped
        .get_or_create(&vec![("consumer", consumer.to_string())])
        .inc_by(records);
}

/// A dedup commit took `took` (at least half a second): the state_dir's disk stalled, and
/// past 2,048 uncommitted ids the pipeline, and every ack, waits for it. Not rate-limited:
/// each line stands for half a second of stall.
pub fn slow_commit(ids: usize, took: Duration) {
    warn!(
        ids,
        took_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        "slow dedup commit: the disk of state_dir stalled"
    );
}

/// A dedup commit failed (a broken or full disk): the batch was delivered and acked, but
/// the window does not know its ids, so a redelivery of them comes out again.
pub fn record_failed(error: &dyn std::fmt::Display) {
    tracing::error!(
        error = %error,
        "could not record delivered ids; if the provider sends them again they repeat"
    );
    state_failing("dedup", error.to_string());
}

/// The dedup store recorded a batch: it is usable again.
pub fn recorded() {
    state_recovered("dedup");
}

/// The dead letter cannot be written; its acks are held.
pub fn dead_letter_failed(path: &std::path::Path, error: &std::io::Error, retry_in: Duration) {
    tracing::error!(path = %path.display(), error = %error, retry_in = ?retry_in,
        "cannot write the dead letter; holding the acks");
    state_failing("dead_letter", format!("{}: {error}", path.display()));
}

pub fn dead_letter_written() {
    state_recovered("dead_letter");
}

fn state_failing(part: &'static str, problem: String) {
    let mut s = metrics().state.lock().unwrap_or_else(|p| p.into_inner());
    s.insert(part, problem);
}

fn state_recovered(part: &'static str) {
    let mut s = metrics().state.lock().unwrap_or_else(|p| p.into_inner());
    if s.remove(part).is_some() {
        tracing::info!(part, "working again");
    }
}

/// What in `state_dir` fails now, by part (`dead_letter`, `dedup`): not ready meanwhile.
pub fn state_problems() -> Vec<(&'static str, String)> {
    let s = metrics().state.lock().unwrap_or_else(|p| p.into_inner());
    s.iter().map(|(k, v)| (*k, v.clone())).collect()
}

/// Rate-limit a repeated log line: true at most once a minute per key.
fn loud(key: &str) -> bool {
    let mut q = metrics().quiet.lock().unwrap_or_else(|p| p.into_inner());
    let now = Instant::now();
    match q.get(key) {
        Some(at) if now.duration_since(*at) < Duration::from_secs(60) => false,
        _ => {
            q.insert(key.to_string(), now);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_match_the_spec() {
        received("t-src");
        duplicate("t-src", "x");
        malformed("t-src", "topic", "payload is not JSON: boom");
        delivered("t-src", 3, Duration::from_millis(2));
        sink_accepted("t-sink", 2);
        sink_failed("t-sink", "down", Duration::from_secs(1));
        sink_buffer("t-sink", 42);
        register_sink("t-sink-2");
        provider_ready("t-src", true);
        let text = metrics().render();
        for name in [
            "vinstream_messages_received_total{source=\"t-src\"} 1",
            "vinstream_messages_duplicate_total{source=\"t-src\"} 1",
            "vinstream_messages_malformed_total{source=\"t-src\"} 1",
            "vinstream_signals_total{source=\"t-src\"} 3",
            "vinstream_records_delivered_total{sink=\"t-sink\"} 2",
            "vinstream_sink_errors_total{sink=\"t-sink\"} 1",
            "vinstream_sink_buffer_bytes{sink=\"t-sink\"} 42",
            "vinstream_sink_rejected_total{sink=\"t-sink-2\"} 0",
            "vinstream_sink_rejected_dropped_total{sink=\"t-sink-2\"} 0",
            "vinstream_provider_connected{source=\"t-src\"} 1",
            "vinstream_end_to_end_seconds_bucket",
            "vinstream_process_resident_memory_bytes",
        ] {
            assert!(text.contains(name), "{name} missing in\n{text}");
        }
    }
}
