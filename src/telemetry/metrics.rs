//! The metrics themselves: the Prometheus registry, every series the daemon exports, and the
//! process gauges read at each scrape. The events that update them, with their log lines,
//! are in `telemetry.rs`; only those should touch the fields.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

pub(super) type Labels = Vec<(&'static str, String)>;

pub(super) fn source(s: &str) -> Labels {
    vec![("source", s.to_string())]
}
pub(super) fn sink(s: &str) -> Labels {
    vec![("sink", s.to_string())]
}

pub struct Metrics {
    pub(super) registry: Registry,
    pub(super) received: Family<Labels, Counter>,
    pub(super) duplicate: Family<Labels, Counter>,
    pub(super) malformed: Family<Labels, Counter>,
    pub(super) signals: Family<Labels, Counter>,
    pub(super) delivered: Family<Labels, Counter>,
    pub(super) sink_errors: Family<Labels, Counter>,
    pub(super) sink_rejected: Family<Labels, Counter>,
    pub(super) sink_rejected_dropped: Family<Labels, Counter>,
    pub(super) outside_leaf: Family<Labels, Counter>,
    pub(super) sink_buffer: Family<Labels, Gauge>,
    pub(super) connected: Family<Labels, Gauge>,
    pub(super) fleet_dropped: Family<Labels, Counter>,
    pub(super) end_to_end: Histogram,
    pub(super) process: ProcessGauges,
    /// Last time a repeated warning was logged, per key: repeats are counted, not logged.
    pub(super) quiet: Mutex<std::collections::HashMap<String, Instant>>,
    /// What in `state_dir` is failing now (dead letter, dedup store), for `/readyz`.
    pub(super) state: Mutex<std::collections::BTreeMap<&'static str, String>>,
    /// Sinks whose last `accept` failed, with the error, for `/readyz`.
    pub(super) failing_sinks: Mutex<std::collections::HashMap<String, String>>,
}

pub(super) struct ProcessGauges {
    pub(super) rss: Gauge,
    pub(super) cpu_ms: Gauge,
    pub(super) fds: Gauge,
    pub(super) start: Gauge,
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
