//! Telemetry as typed events: every metric is defined once (`telemetry/metrics.rs`) and
//! updated only here, next to the log line that goes with it, so counters and logs cannot
//! drift apart. Callers say what happened (`malformed(source, topic, reason)`), never
//! which counter to bump.

mod metrics;

pub use metrics::{metrics, Metrics};
use metrics::{sink, source};
use std::time::{Duration, Instant};
use tracing::warn;

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

/// Counts the messages of one provider. Taken once per provider: looking the counter up
/// by its label for every message built a label vector and hashed it (~700 instructions
/// a message).
#[derive(Clone)]
pub struct Received(prometheus_client::metrics::counter::Counter);

impl Received {
    pub fn for_source(src: &str) -> Received {
        Received(metrics().received.get_or_create(&source(src)).clone())
    }

    pub fn inc(&self) {
        self.0.inc();
    }
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

/// Records every sink accepted, as (source, signals, receive-to-accept time): the
/// latency of each, and the signals counted once per run of one source, not per record.
pub fn delivered<'r>(records: impl IntoIterator<Item = (&'r str, usize, Duration)>) {
    let m = metrics();
    let count = |src: &str, n: u64| m.signals.get_or_create(&source(src)).inc_by(n);
    let mut run: Option<(&str, u64)> = None;
    for (src, signals, waited) in records {
        m.end_to_end.observe(waited.as_secs_f64());
        match &mut run {
            Some((s, n)) if *s == src => *n += signals as u64,
            _ => {
                if let Some((s, n)) = run.replace((src, signals as u64)) {
                    count(s, n);
                }
            }
        }
    }
    if let Some((s, n)) = run {
        count(s, n);
    }
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

/// The dedup journal could not take a batch's ids (a broken or full disk): the batch is
/// acked anyway (every sink has it), and its ids are safe from a repeat once the window's
/// commit records them; a crash before that forgets them.
pub fn journal_failed(error: &std::io::Error) {
    if loud("dedup_journal") {
        tracing::error!(error = %error,
            "cannot write the dedup journal; a crash before the next commit may repeat records");
    }
    state_failing("dedup_journal", error.to_string());
}

/// The dedup journal took a batch again after failing.
pub fn journal_written() {
    state_recovered("dedup_journal");
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
        Received::for_source("t-src").inc();
        duplicate("t-src", "x");
        malformed("t-src", "topic", "payload is not JSON: boom");
        // runs of one source are counted together, each record's latency apart
        let ms = Duration::from_millis(2);
        delivered([
            ("t-src", 1, ms),
            ("t-src", 2, ms),
            ("t-src-b", 5, ms),
            ("t-src", 4, ms),
        ]);
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
            "vinstream_signals_total{source=\"t-src\"} 7",
            "vinstream_signals_total{source=\"t-src-b\"} 5",
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
