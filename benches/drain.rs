//! End-to-end benchmarks against a real Mosquitto (mTLS, persistence, `max_queued_messages 0`):
//!
//! - **drain**, measured as an outsider would: for every run a fresh Mosquitto, a persistent
//!   shared-subscription session made by the consumer itself (the daemon run until it has
//!   subscribed, then stopped; `mosquitto_sub -E`), then a backlog of N realistic High
//!   Mobility V2 QoS 1 messages (~745 bytes, 200 VINs, distinct message ids) queued for it,
//!   then the consumer started and timed from spawn until the last message is out:
//!   1. `sub`: `mosquitto_sub -V 5 -q 1 -c -C N` to /dev/null: the physical limit of this
//!      broker and machine; CPU and peak RSS from GNU `time`;
//!   2. `file`: the release `vinstream run` with the default config and a file sink: TLS,
//!      parse, normalize, dedup (persistent window), write (fsync'd with `--fsync`), ordered acks; done when
//!      the file holds N lines; CPU (utime + stime of all threads) and peak RSS (`VmHWM`)
//!      from /proc at that moment;
//!   3. `prefilled`: the same with the persistent dedup window pre-filled with `--prefill`
//!      ids (1,000,000);
//!   4. `webhook`: the pre-filled window and a webhook sink against a local 200-OK server
//!      (counted when the server has every record).
//!
//!   It prints messages/s, the ratio vinstream / mosquitto_sub (per run, then the median),
//!   peak RSS and CPU µs per message of each contender. `--messages` selects the backlog
//!   (100000, 400000, 1000000).
//! - **latency**: publish at a steady rate (2,000 msg/s for 30 s) while `vinstream run`
//!   (stdout sink) and a plain `mosquitto_sub` both subscribe; per message it takes
//!   publish → record on vinstream's stdout, publish → mosquitto_sub's stdout, and their
//!   difference (the latency vinstream adds), and vinstream's CPU over the window.
//!
//! ```text
//! cargo bench --bench drain                              # both, defaults
//! cargo bench --bench drain -- --messages 100000 --runs 3 --only drain
//! cargo bench --bench drain -- --only latency --rate 2000 --duration 30
//! bench/drain --messages 20000                           # the same, via the wrapper
//! ```
//!
//! Options: `--messages N` (100000), `--vins N` (200), `--runs N` (3), `--only drain|latency`,
//! `--variants sub,file,prefilled,webhook` (sub,file,webhook), `--prefill N` (ids in the
//! dedup window of variants 3 and 4,
//! 1000000; 0 = empty), `--receive-maximum N` (vinstream's, 256), `--rate N` (2000),
//! `--duration SECS` (30), `--bin PATH` (the vinstream binary), `--keep` (keep the temp dir),
//! `--timeout SECS` (120: a drain still incomplete then is reported as STALLED, with
//! vinstream's warnings), `--max-in-flight SIZE` (vinstream's `session.max_in_flight`,
//! default its own 8MiB), `--fleet-page` (serve the admin listener, so the fleet page's
//! state follows every record), `--fsync` (`fsync = true` on the file sink: every batch
//! durable before its acks; the sink's default is a flush to the OS).
//! Run without `--bench` (as `cargo test --benches` does) it does nothing.

// The pieces of the integration-test harness this bench needs (they refer to each other
// as `super::…`, so they sit at the crate root).
#[allow(unused_imports)]
#[path = "../tests/support/configs.rs"]
mod configs;
#[allow(unused_imports)]
#[path = "../tests/support/mosquitto.rs"]
mod mosquitto;
#[allow(unused_imports)]
#[path = "../tests/support/pki.rs"]
mod pki;
#[allow(unused_imports)]
#[path = "../tests/support/publisher.rs"]
mod publisher;
#[allow(unused_imports)]
#[path = "../tests/support/wait.rs"]
mod wait;
mod support {
    pub(crate) use super::{publisher, wait};
}

use mosquitto::{Mosquitto, MosquittoOptions};
use pki::Pki;
use publisher::Publisher;
use std::cell::RefCell;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

const APP: &str = "00000000-0000-0000-0000-000000000000";
const TOPIC: &str = "live/level13/00000000-0000-0000-0000-000000000000";

#[derive(Debug, Clone)]
struct Opts {
    messages: usize,
    vins: usize,
    runs: usize,
    drain: bool,
    latency: bool,
    variants: Vec<String>,
    prefill: usize,
    receive_maximum: u16,
    rate: u64,
    duration: u64,
    bin: PathBuf,
    keep: bool,
    timeout: Duration,
    max_in_flight: Option<String>,
    fleet_page: bool,
    /// `fsync = true` on the file sink: a batch is accepted (and acked) only once durable.
    fsync: bool,
}

fn parse_args() -> Option<Opts> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let bench = args.iter().any(|a| a == "--bench");
    args.retain(|a| a != "--bench");
    if !bench {
        eprintln!("drain: benchmarks run only under `cargo bench` (or with --bench); skipped");
        return None;
    }
    let mut o = Opts {
        messages: 100_000,
        vins: 200,
        runs: 3,
        drain: true,
        latency: true,
        variants: vec!["sub".into(), "file".into(), "webhook".into()],
        prefill: 1_000_000,
        receive_maximum: 256,
        rate: 2000,
        duration: 30,
        bin: PathBuf::from(env!("CARGO_BIN_EXE_vinstream")),
        keep: false,
        timeout: Duration::from_secs(120),
        max_in_flight: None,
        fleet_page: false,
        fsync: false,
    };
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--messages" => o.messages = val().replace('_', "").parse().expect("--messages"),
            "--vins" => o.vins = val().parse().expect("--vins"),
            "--runs" => o.runs = val().parse().expect("--runs"),
            "--only" => match val().as_str() {
                "drain" => o.latency = false,
                "latency" => o.drain = false,
                other => panic!("--only drain|latency, not {other}"),
            },
            "--variants" => o.variants = val().split(',').map(str::to_string).collect(),
            "--prefill" => o.prefill = val().replace('_', "").parse().expect("--prefill"),
            "--receive-maximum" => o.receive_maximum = val().parse().expect("--receive-maximum"),
            "--rate" => o.rate = val().parse().expect("--rate"),
            "--duration" => o.duration = val().parse().expect("--duration"),
            "--bin" => o.bin = PathBuf::from(val()),
            "--keep" => o.keep = true,
            "--max-in-flight" => o.max_in_flight = Some(val()),
            "--fleet-page" => o.fleet_page = true,
            "--fsync" => o.fsync = true,
            "--timeout" => o.timeout = Duration::from_secs(val().parse().expect("--timeout")),
            // criterion-style flags cargo may pass along
            "--quick" | "--nocapture" => {}
            other => panic!("unknown option {other} (see the top of benches/drain.rs)"),
        }
    }
    Some(o)
}

// ------------------------------------------------------------------------------------------
// Payloads
// ------------------------------------------------------------------------------------------

struct Gen {
    state: u64,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }
    fn next(&mut self) -> u64 {
        // splitmix64
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn vin(n: usize) -> String {
    format!("WBY1Z4C5{n:09}")
}

/// A realistic High Mobility MQTT V2 message (the shape the demo fleet and the HM docs
/// show): odometer, coordinates, heading, battery level, charging status and range, with
/// per-value timestamps. Compact JSON, ~740 bytes, 9 signals.
fn hm_v2_message(message_id: &str, vin: &str, g: &mut Gen) -> Vec<u8> {
    let t = format!(
        "2026-11-21T{:02}:{:02}:{:02}.{:03}Z",
        g.next() % 24,
        g.next() % 60,
        g.next() % 60,
        g.next() % 1000
    );
    let odo = 10_000.0 + (g.f() * 90_000.0 * 10.0).round() / 10.0;
    let status = ["charging", "not_charging", "charging_complete"][(g.next() % 3) as usize];
    format!(
        concat!(
            r#"{{"version":2,"application_id":"{app}","message_id":"{id}","vin":"{vin}","data":{{"#,
            r#""diagnostics":{{"odometer":[{{"data":{{"unit":"kilometers","value":{odo}}},"timestamp":"{t}"}}"#,
            r#"]}},"#,
            r#""vehicle_location":{{"coordinates":[{{"data":{{"latitude":{lat:.6},"longitude":{lon:.6}}},"timestamp":"{t}"}}],"#,
            r#""heading":[{{"data":{{"unit":"degrees","value":{heading}}},"timestamp":"{t}"}}]}},"#,
            r#""charging":{{"battery_level":[{{"data":{soc:.2},"timestamp":"{t}"}}],"#,
            r#""status":[{{"data":"{status}","timestamp":"{t}"}}],"#,
            r#""estimated_range":[{{"data":{{"unit":"kilometers","value":{range}}}}}]}}}}}}"#
        ),
        app = APP,
        id = message_id,
        vin = vin,
        odo = odo,
        t = t,
        lat = 48.0 + g.f(),
        lon = 11.0 + g.f(),
        heading = g.next() % 360,
        soc = g.f(),
        status = status,
        range = g.next() % 420,
    )
    .into_bytes()
}

/// A 64-hex-digit message id, as High Mobility sends them, distinct per (batch, i).
fn message_id(batch: u64, i: u64) -> String {
    let mut g = Gen::new(batch.wrapping_mul(1_000_003) ^ i);
    format!(
        "{:016X}{:016X}{:016X}{:08X}{i:08X}",
        g.next(),
        g.next(),
        g.next(),
        batch as u32
    )
}

/// The backlog, generated as it is published (a 1M backlog would be ~800 MB held at once).
fn backlog(batch: u64, n: usize, vins: usize) -> impl Iterator<Item = (String, Vec<u8>)> {
    let mut g = Gen::new(batch);
    (0..n).map(move |i| {
        let id = message_id(batch, i as u64);
        (
            TOPIC.to_string(),
            hm_v2_message(&id, &vin(i % vins), &mut g),
        )
    })
}

// ------------------------------------------------------------------------------------------
// Process measurements (/proc)
// ------------------------------------------------------------------------------------------

fn clk_tck() -> f64 {
    let out = Command::new("getconf").arg("CLK_TCK").output();
    out.ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU seconds (user + system) of a live process.
fn cpu_secs(pid: u32) -> f64 {
    let (user, sys) = cpu_split(pid);
    user + sys
}

/// CPU seconds of a live process: (user, system).
fn cpu_split(pid: u32) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // fields after the ")" of the command name: state is field 3, utime 14, stime 15
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) / clk_tck(), ticks(12) / clk_tck())
}

/// A `/proc/{pid}/status` field in KiB (VmHWM: peak RSS, VmRSS: current).
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

// ------------------------------------------------------------------------------------------
// A local HTTP server that answers 200 to every POST and counts the records it got
// ------------------------------------------------------------------------------------------

struct Http {
    port: u16,
    records: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn http_server() -> Http {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the http server");
    let port = listener.local_addr().unwrap().port();
    let records = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let (r, q) = (records.clone(), requests.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let (r, q) = (r.clone(), q.clone());
            std::thread::spawn(move || {
                let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
                let mut chunk = vec![0u8; 1 << 16];
                loop {
                    // headers
                    let head_end = loop {
                        if let Some(p) = find(&buf, b"\r\n\r\n") {
                            break p + 4;
                        }
                        match s.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map(|v| v.trim().parse().unwrap_or(0))
                        .unwrap_or(0);
                    while buf.len() < head_end + len {
                        match s.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = &buf[head_end..head_end + len];
                    let n = serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(body)
                        .map(|v| v.len())
                        .unwrap_or(0);
                    r.fetch_add(n, Ordering::AcqRel);
                    q.fetch_add(1, Ordering::AcqRel);
                    buf.drain(..head_end + len);
                    if s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    Http {
        port,
        records,
        requests,
    }
}

// ------------------------------------------------------------------------------------------
// The rig
// ------------------------------------------------------------------------------------------

struct Rig {
    dir: PathBuf,
    pki: Pki,
    /// Replaced by a fresh one before every drain (`fresh_broker`), as an outsider would
    /// measure: no earlier run's sessions, queues or persistence in the broker.
    broker: RefCell<Mosquitto>,
    rt: tokio::runtime::Runtime,
    opts: Opts,
    /// Share groups must differ between sessions: a group spreads messages over every
    /// session in it, offline ones included.
    next_group: AtomicU64,
}

impl Rig {
    fn group(&self) -> String {
        format!("bench{}", self.next_group.fetch_add(1, Ordering::Relaxed))
    }

    fn port(&self) -> u16 {
        self.broker.borrow().port()
    }

    /// Stop the broker and start a new one (new port, empty persistence).
    fn fresh_broker(&self) {
        self.broker.borrow_mut().stop();
        let fresh = Mosquitto::start(&self.pki, MosquittoOptions::default());
        *self.broker.borrow_mut() = fresh;
    }

    fn preload(&self, msgs: impl Iterator<Item = (String, Vec<u8>)>) -> Duration {
        let t = Instant::now();
        self.rt.block_on(async {
            let p = Publisher::connect_v5(self.port(), &self.pki).await;
            let mut msgs = msgs.peekable();
            while msgs.peek().is_some() {
                let chunk: Vec<_> = msgs.by_ref().take(5_000).collect();
                p.publish_all(chunk).await;
            }
            p.disconnect().await;
        });
        t.elapsed()
    }

    fn config(
        &self,
        state: &Path,
        client_id: &str,
        group: &str,
        sinks: &str,
        level: &str,
    ) -> String {
        let mut session = format!("receive_maximum = {}", self.opts.receive_maximum);
        if let Some(m) = &self.opts.max_in_flight {
            session.push_str(&format!("\nmax_in_flight = \"{m}\""));
        }
        let mut daemon = format!("log_level = \"{level}\"\nshutdown_timeout = \"30s\"");
        if self.opts.fleet_page {
            // The fleet page's state follows every record (no browser attached).
            let port = mosquitto::free_port();
            daemon.push_str(&format!("\nadmin_listen = \"127.0.0.1:{port}\""));
        }
        configs::daemon(state, &daemon)
            + &configs::hm_v2(
                self.port(),
                &self.pki,
                APP,
                client_id,
                &format!("share_group = \"{group}\""),
                &session,
            )
            + "\n"
            + sinks
    }

    fn broker_pid(&self) -> u32 {
        self.broker.borrow().pid().expect("broker running")
    }
}

#[derive(Debug, Clone)]
struct DrainResult {
    variant: String,
    messages: usize,
    secs: f64,
    cpu: f64,
    /// Of `cpu`, the part spent in the kernel.
    sys: f64,
    rss_mib: f64,
    broker_cpu: f64,
    note: String,
}

impl DrainResult {
    fn rate(&self) -> f64 {
        self.messages as f64 / self.secs
    }
}

fn drain_sub(rig: &Rig, batch: u64) -> DrainResult {
    let n = rig.opts.messages;
    let group = rig.group();
    let client_id = format!("bench-sub-{batch}");
    rig.fresh_broker();
    // The session is made by mosquitto_sub itself (-E: exit once subscribed).
    let made = sub_command(rig, &client_id, &group)
        .arg("-E")
        .stdout(Stdio::null())
        .status()
        .expect("run mosquitto_sub -E");
    assert!(made.success(), "mosquitto_sub -E failed: {made}");
    rig.preload(backlog(batch, n, rig.opts.vins));
    let timing = rig.dir.join(format!("time-{batch}.txt"));
    let broker_cpu0 = cpu_secs(rig.broker_pid());
    let t0 = Instant::now();
    let mut child = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%e %U %S %M")
        .arg("-o")
        .arg(&timing)
        .arg("mosquitto_sub")
        .args(sub_args(rig, &client_id, &group))
        .args(["-C", &n.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run /usr/bin/time mosquitto_sub");
    let status = support::wait::until("mosquitto_sub to drain", rig.opts.timeout, || {
        child.try_wait().expect("wait mosquitto_sub")
    });
    let secs = t0.elapsed().as_secs_f64();
    let broker_cpu = cpu_secs(rig.broker_pid()) - broker_cpu0;
    assert!(status.success(), "mosquitto_sub failed: {status}");
    let t = std::fs::read_to_string(&timing).unwrap_or_default();
    let f: Vec<f64> = t
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    DrainResult {
        variant: "mosquitto_sub".into(),
        messages: n,
        secs,
        cpu: f.get(1).copied().unwrap_or(0.0) + f.get(2).copied().unwrap_or(0.0),
        sys: f.get(2).copied().unwrap_or(0.0),
        rss_mib: mib(f.get(3).copied().unwrap_or(0.0) as u64),
        broker_cpu,
        note: String::new(),
    }
}

/// `mosquitto_sub -V 5 -q 1 -c` on the persistent session `client_id` in `group`.
fn sub_args(rig: &Rig, client_id: &str, group: &str) -> Vec<std::ffi::OsString> {
    let mut a: Vec<std::ffi::OsString> = Vec::new();
    for s in [
        "-V",
        "5",
        "-q",
        "1",
        "-c",
        "-x",
        "3600",
        "-h",
        "localhost",
        "-p",
    ] {
        a.push(s.into());
    }
    a.push(rig.port().to_string().into());
    a.push("-i".into());
    a.push(client_id.into());
    a.push("--cafile".into());
    a.push(rig.pki.ca.clone().into());
    a.push("--cert".into());
    a.push(rig.pki.client_cert.clone().into());
    a.push("--key".into());
    a.push(rig.pki.client_key.clone().into());
    a.push("-t".into());
    a.push(format!("$share/{group}/{TOPIC}").into());
    a
}

fn sub_command(rig: &Rig, client_id: &str, group: &str) -> Command {
    let mut c = Command::new("mosquitto_sub");
    c.args(sub_args(rig, client_id, group));
    c
}

/// Count newlines appended to `path` since `offset` (updates both).
fn count_lines(path: &Path, offset: &mut u64, lines: &mut usize) {
    let Ok(mut f) = std::fs::File::open(path) else {
        return;
    };
    use std::io::Seek;
    if f.seek(std::io::SeekFrom::Start(*offset)).is_err() {
        return;
    }
    let mut buf = Vec::new();
    if f.read_to_end(&mut buf).is_ok() {
        *offset += buf.len() as u64;
        *lines += buf.iter().filter(|&&b| b == b'\n').count();
    }
}

fn spawn_daemon(rig: &Rig, dir: &Path, config: &str, stdout: Stdio) -> Child {
    std::fs::create_dir_all(dir).unwrap();
    let conf = dir.join("vinstream.toml");
    std::fs::write(&conf, config).unwrap();
    let log = std::fs::File::create(dir.join("vinstream.log")).unwrap();
    Command::new(&rig.opts.bin)
        .arg("run")
        .arg("-c")
        .arg(&conf)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", rig.opts.bin.display()))
}

fn stop_daemon(mut child: Child, dir: &Path) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let done =
        support::wait::try_until(Duration::from_secs(60), || child.try_wait().ok().flatten());
    match done {
        Some(s) if s.success() => {}
        other => {
            let _ = child.kill();
            let log = std::fs::read_to_string(dir.join("vinstream.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            eprintln!(
                "vinstream did not stop cleanly ({other:?}); log tail:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
    }
}

/// A dedup window holding `n` ids (as after `n` messages), built once and copied per run.
fn prefilled_window(rig: &Rig, n: usize) -> Option<PathBuf> {
    if n == 0 {
        return None;
    }
    let dir = rig.dir.join("prefilled");
    let file = dir.join(vinstream::dedup::FILE_NAME);
    if file.exists() {
        return Some(file);
    }
    let t = Instant::now();
    eprintln!("building a dedup window of {n} ids (once)…");
    let mut w = vinstream::dedup::DedupWindow::open(&dir, Duration::from_secs(24 * 3600), n)
        .expect("open the dedup window");
    let mut i = 0u64;
    while (i as usize) < n {
        let end = (i + 10_000).min(n as u64);
        let ids: Vec<String> = (i..end)
            .map(|k| format!("hm:{}", message_id(u64::MAX, k)))
            .collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        w.record(&refs, SystemTime::now()).expect("record");
        i = end;
    }
    assert_eq!(w.len(), n);
    drop(w);
    eprintln!("… in {:.1} s", t.elapsed().as_secs_f64());
    Some(file)
}

fn drain_vinstream(rig: &Rig, batch: u64, webhook: bool) -> DrainResult {
    let n = rig.opts.messages;
    let group = rig.group();
    let client_id = format!("bench-vin-{batch}");
    let dir = rig.dir.join(format!("run-{batch}"));
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let mut note = String::new();
    let http = webhook.then(http_server);
    if webhook {
        if let Some(src) = prefilled_window(rig, rig.opts.prefill) {
            std::fs::copy(&src, state.join(vinstream::dedup::FILE_NAME)).unwrap();
            note = format!("dedup window pre-filled with {} ids; ", rig.opts.prefill);
        }
    }
    let out = dir.join("out.jsonl");
    let sinks = match &http {
        Some(h) => format!(
            "[sinks.hook]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{}/ingest\"\n",
            h.port
        ),
        None => format!(
            "[sinks.out]\ntype = \"file\"\npath = \"{}\"\nmax_bytes = \"100GiB\"\nmax_files = 1\nfsync = {}\n",
            out.display(),
            rig.opts.fsync
        ),
    };
    rig.fresh_broker();
    let config = rig.config(&state, &client_id, &group, &sinks, "info");
    // The daemon makes its persistent session itself: run it until it has subscribed,
    // stop it, then queue the backlog.
    let maker = spawn_daemon(rig, &dir, &config, Stdio::null());
    let log = dir.join("vinstream.log");
    support::wait::until("vinstream to subscribe", Duration::from_secs(30), || {
        let l = std::fs::read_to_string(&log).unwrap_or_default();
        l.contains("subscribed").then_some(())
    });
    stop_daemon(maker, &dir);
    rig.preload(backlog(batch, n, rig.opts.vins));
    let broker_cpu0 = cpu_secs(rig.broker_pid());
    let t0 = Instant::now();
    let mut child = spawn_daemon(rig, &dir, &config, Stdio::null());
    let pid = child.id();
    let (mut offset, mut lines) = (0u64, 0usize);
    let deadline = t0 + rig.opts.timeout;
    let mut stalled = None;
    loop {
        let got = match &http {
            Some(h) => h.records.load(Ordering::Acquire),
            None => {
                count_lines(&out, &mut offset, &mut lines);
                lines
            }
        };
        if got >= n {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(dir.join("vinstream.log")).unwrap_or_default();
            panic!("vinstream exited ({status}) after {got} of {n} records; log:\n{log}");
        }
        if Instant::now() >= deadline {
            stalled = Some(got);
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let secs = t0.elapsed().as_secs_f64();
    let (user, sys) = cpu_split(pid);
    let cpu = user + sys;
    let rss = status_kib(pid, "VmHWM");
    let broker_cpu = cpu_secs(rig.broker_pid()) - broker_cpu0;
    if let Some(got) = stalled {
        let log = std::fs::read_to_string(dir.join("vinstream.log")).unwrap_or_default();
        let warnings: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR") || l.contains("caught up"))
            .take(6)
            .collect();
        eprintln!(
            "vinstream STALLED: {got} of {n} records after {:?}; its warnings:\n{}",
            rig.opts.timeout,
            warnings.join("\n")
        );
        note.push_str(&format!("STALLED at {got} of {n} records; "));
    }
    let delivered = stalled.unwrap_or(n);
    if let Some(h) = &http {
        note.push_str(&format!(
            "{} POSTs; counted when the HTTP server had every record",
            h.requests.load(Ordering::Acquire)
        ));
    } else {
        note.push_str("counted when the file had every line");
    }
    stop_daemon(child, &dir);
    if http.is_none() && stalled.is_none() {
        count_lines(&out, &mut offset, &mut lines);
        assert_eq!(
            lines, n,
            "the file sink wrote {lines} lines for {n} messages"
        );
    }
    if !rig.opts.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    DrainResult {
        variant: if webhook {
            "vinstream dedup+webhook".into()
        } else {
            "vinstream file".into()
        },
        messages: delivered,
        secs,
        cpu,
        sys,
        rss_mib: mib(rss),
        broker_cpu,
        note,
    }
}

fn webhook_available(rig: &Rig) -> bool {
    let dir = rig.dir.join("check-webhook");
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("check.toml");
    let sinks = "[sinks.hook]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/ingest\"\n";
    std::fs::write(&conf, rig.config(&dir, "check", "check", sinks, "warn")).unwrap();
    Command::new(&rig.opts.bin)
        .args(["check", "-c"])
        .arg(&conf)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn range(v: &[f64]) -> String {
    range_to(v, 0)
}

/// Median (min–max) with `digits` decimals.
fn range_to(v: &[f64], digits: usize) -> String {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let med = median(v);
    if v.len() == 1 {
        format!("{med:.digits$}")
    } else {
        format!("{med:.digits$} ({lo:.digits$}–{hi:.digits$})")
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

fn run_drain(rig: &Rig) {
    let o = &rig.opts;
    let webhook_ok = !o.variants.iter().any(|v| v == "webhook") || webhook_available(rig);
    if !webhook_ok {
        eprintln!(
            "note: this build has no usable `webhook` sink; variant 3 runs with the file sink \
             and the pre-filled persistent dedup window instead"
        );
    }
    let mut all: Vec<DrainResult> = Vec::new();
    let mut batch = 1u64;
    for run in 1..=o.runs {
        for v in &o.variants {
            batch += 1;
            let r = match v.as_str() {
                "sub" => drain_sub(rig, batch),
                "file" => drain_vinstream(rig, batch, false),
                "prefilled" => {
                    let mut r = drain_vinstream_prefilled_file(rig, batch);
                    r.variant = format!("vinstream file, {}-id window", o.prefill);
                    r
                }
                "webhook" if webhook_ok => drain_vinstream(rig, batch, true),
                "webhook" => {
                    let mut r = drain_vinstream_prefilled_file(rig, batch);
                    r.variant = "vinstream dedup+file".into();
                    r
                }
                other => panic!("unknown variant {other} (sub, file, webhook)"),
            };
            println!(
                "run {run} {:<26} {:>7} msgs {:>7.2} s {:>9.0} msg/s  cpu {:>6.2} s (sys {:>5.2})  peak RSS {:>6.1} MiB  broker cpu {:>6.2} s  {}",
                r.variant, r.messages, r.secs, r.rate(), r.cpu, r.sys, r.rss_mib, r.broker_cpu, r.note
            );
            all.push(r);
        }
    }
    println!();
    println!(
        "## drain: {} messages, {} VINs, receive maximum {}, {} run(s); median (min–max)",
        o.messages, o.vins, o.receive_maximum, o.runs
    );
    // Per run, beside the rates: CPU per message against mosquitto_sub's in the same run,
    // and against the broker's own CPU in that drain. This host's speed moves by tens of
    // percent within an hour; the broker's work per message is fixed, so its CPU gauges
    // the moment, and the ratio moves far less than either figure alone.
    println!(
        "| consumer | msg/s | × mosquitto_sub | CPU s | CPU µs/msg | CPU × mosquitto_sub | CPU / broker CPU | peak RSS MiB | broker CPU s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut names: Vec<String> = all.iter().map(|r| r.variant.clone()).collect();
    names.dedup();
    names.sort();
    names.dedup();
    let subs: Vec<&DrainResult> = all
        .iter()
        .filter(|r| r.variant == "mosquitto_sub")
        .collect();
    let sub: Vec<f64> = subs.iter().map(|r| r.rate()).collect();
    let per_msg = |r: &DrainResult| r.cpu / r.messages as f64;
    for name in names {
        let rs: Vec<&DrainResult> = all.iter().filter(|r| r.variant == name).collect();
        let rates: Vec<f64> = rs.iter().map(|r| r.rate()).collect();
        // ratio per run (same run, same machine state), then median/range
        let ratios: Vec<f64> = rs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| sub.get(i).map(|s| r.rate() / s * 100.0))
            .collect();
        let ratio = if sub.is_empty() {
            "–".to_string()
        } else {
            let s = range(&ratios);
            format!("{s} %")
        };
        let cpu: Vec<f64> = rs.iter().map(|r| r.cpu).collect();
        let per: Vec<f64> = rs.iter().map(|r| r.cpu / r.messages as f64 * 1e6).collect();
        let rss: Vec<f64> = rs.iter().map(|r| r.rss_mib).collect();
        let bcpu: Vec<f64> = rs.iter().map(|r| r.broker_cpu).collect();
        let cpu_ratios: Vec<f64> = rs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| subs.get(i).map(|s| per_msg(r) / per_msg(s)))
            .collect();
        let cpu_ratio = if cpu_ratios.is_empty() {
            "–".to_string()
        } else {
            range_to(&cpu_ratios, 2)
        };
        let gauge: Vec<f64> = rs
            .iter()
            .filter(|r| r.broker_cpu > 0.0)
            .map(|r| r.cpu / r.broker_cpu)
            .collect();
        let gauge = if gauge.is_empty() {
            "–".to_string()
        } else {
            range_to(&gauge, 2)
        };
        println!(
            "| {name} | {} | {ratio} | {:.2} | {} | {cpu_ratio} | {gauge} | {:.1} | {:.2} |",
            range(&rates),
            median(&cpu),
            range_to(&per, 1),
            rss.iter().copied().fold(0.0, f64::max),
            median(&bcpu),
        );
    }
}

/// Variant 3 when the webhook sink is not available: file sink + pre-filled dedup window.
fn drain_vinstream_prefilled_file(rig: &Rig, batch: u64) -> DrainResult {
    let dir = rig.dir.join(format!("run-{batch}"));
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    if let Some(src) = prefilled_window(rig, rig.opts.prefill) {
        std::fs::copy(&src, state.join(vinstream::dedup::FILE_NAME)).unwrap();
    }
    let mut r = drain_vinstream(rig, batch, false);
    r.note = format!(
        "dedup window pre-filled with {} ids; {}",
        rig.opts.prefill, r.note
    );
    r
}

// ------------------------------------------------------------------------------------------
// Latency
// ------------------------------------------------------------------------------------------

/// Read lines from `r`; for each one carrying `"message_id":"LAT{seq}"` store the arrival
/// time (ns since `base`) in `arrivals[seq]`.
fn collect_arrivals(
    r: impl Read + Send + 'static,
    base: Instant,
    arrivals: Arc<Vec<AtomicU64>>,
    lines: Arc<AtomicUsize>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut r = BufReader::with_capacity(1 << 16, r);
        let mut line = Vec::new();
        const KEY: &[u8] = b"\"message_id\":\"LAT";
        loop {
            line.clear();
            match r.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let now = base.elapsed().as_nanos() as u64;
            lines.fetch_add(1, Ordering::Relaxed);
            if let Some(p) = find(&line, KEY) {
                let digits = &line[p + KEY.len()..];
                let end = digits.iter().position(|b| !b.is_ascii_digit()).unwrap_or(0);
                if let Some(seq) = std::str::from_utf8(&digits[..end])
                    .ok()
                    .and_then(|s| s.parse::<usize>().ok())
                {
                    if let Some(slot) = arrivals.get(seq) {
                        let _ = slot.compare_exchange(0, now, Ordering::AcqRel, Ordering::Acquire);
                    }
                }
            }
        }
    })
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn run_latency(rig: &Rig, run: usize) {
    let o = &rig.opts;
    let warmup = (o.rate as usize).min(2000); // one second
    let total = warmup + (o.rate * o.duration) as usize;
    let group = rig.group();
    let client_id = format!("bench-lat-{run}");
    let dir = rig.dir.join(format!("latency-{run}"));
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let config = rig.config(
        &state,
        &client_id,
        &group,
        "[sinks.console]\ntype = \"stdout\"\n",
        "info",
    );
    let base = Instant::now();
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let via_vinstream: Arc<Vec<AtomicU64>> =
        Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let via_sub: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());

    let mut daemon = spawn_daemon(rig, &dir, &config, Stdio::piped());
    let pid = daemon.id();
    let v_lines = Arc::new(AtomicUsize::new(0));
    let v_reader = collect_arrivals(
        daemon.stdout.take().unwrap(),
        base,
        via_vinstream.clone(),
        v_lines.clone(),
    );
    let log = dir.join("vinstream.log");
    support::wait::until("vinstream to subscribe", Duration::from_secs(30), || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("subscribed")
            .then_some(())
    });
    let mut sub = Command::new("mosquitto_sub")
        .args(["-V", "5", "-q", "1", "-h", "localhost"])
        .args(["-p", &rig.port().to_string()])
        .args(["-i", &format!("bench-lat-sub-{run}")])
        .arg("--cafile")
        .arg(&rig.pki.ca)
        .arg("--cert")
        .arg(&rig.pki.client_cert)
        .arg("--key")
        .arg(&rig.pki.client_key)
        .args(["-t", TOPIC])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn mosquitto_sub");
    let s_lines = Arc::new(AtomicUsize::new(0));
    let s_reader = collect_arrivals(
        sub.stdout.take().unwrap(),
        base,
        via_sub.clone(),
        s_lines.clone(),
    );
    std::thread::sleep(Duration::from_millis(500)); // mosquitto_sub subscribes

    // the publisher: QoS 1, pipelined, at a steady rate (send times taken at the call)
    let payloads: Vec<Vec<u8>> = {
        let mut g = Gen::new(7 + run as u64);
        (0..total)
            .map(|i| hm_v2_message(&format!("LAT{i:010}"), &vin(i % o.vins), &mut g))
            .collect()
    };
    let sub_pid = sub.id();
    let (cpu0, wall0, cpu1, wall1, sub_cpu) = rig.rt.block_on(async {
        use rumqttc::v5::{mqttbytes::QoS, AsyncClient, MqttOptions};
        let tls = support::publisher::tls_config(
            &rig.pki,
            Some((&rig.pki.publisher_cert, &rig.pki.publisher_key)),
        );
        let mut m = MqttOptions::new(format!("bench-lat-pub-{run}"), "localhost", rig.port());
        m.set_transport(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(tls),
        ))
        .set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(Some(1 << 20));
        let (client, mut el) = AsyncClient::new(m, 4096);
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let driver = tokio::spawn(async move {
            while !stop2.load(Ordering::Relaxed) {
                if let Err(e) = el.poll().await {
                    eprintln!("latency publisher: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
        let period = Duration::from_nanos(1_000_000_000 / o.rate);
        let start = tokio::time::Instant::now();
        let mut window = (0.0, Instant::now());
        let mut sub_cpu0 = 0.0;
        for (i, payload) in payloads.into_iter().enumerate() {
            if i == warmup {
                window = (cpu_secs(pid), Instant::now());
                sub_cpu0 = cpu_secs(sub_pid);
            }
            tokio::time::sleep_until(start + period * i as u32).await;
            sent[i].store(base.elapsed().as_nanos() as u64, Ordering::Release);
            client
                .publish(TOPIC, QoS::AtLeastOnce, false, payload)
                .await
                .expect("publish");
        }
        let end = (cpu_secs(pid), Instant::now());
        let sub_cpu = cpu_secs(sub_pid) - sub_cpu0;
        // wait for both consumers to have everything (or 30 s)
        let deadline = Instant::now() + Duration::from_secs(30);
        while (v_lines.load(Ordering::Relaxed) < total || s_lines.load(Ordering::Relaxed) < total)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = client.disconnect().await;
        stop.store(true, Ordering::Relaxed);
        let _ = tokio::time::timeout(Duration::from_secs(2), driver).await;
        (window.0, window.1, end.0, end.1, sub_cpu)
    });
    let rss = status_kib(pid, "VmHWM");
    stop_daemon(daemon, &dir);
    let _ = sub.kill();
    let _ = sub.wait();
    let _ = v_reader.join();
    let _ = s_reader.join();

    let ms = |a: u64, b: u64| (a as f64 - b as f64) / 1e6;
    let (mut lv, mut ls, mut added) = (Vec::new(), Vec::new(), Vec::new());
    let (mut missing_v, mut missing_s) = (0, 0);
    for i in warmup..total {
        let s = sent[i].load(Ordering::Acquire);
        let v = via_vinstream[i].load(Ordering::Acquire);
        let b = via_sub[i].load(Ordering::Acquire);
        if v == 0 {
            missing_v += 1;
        } else {
            lv.push(ms(v, s));
        }
        if b == 0 {
            missing_s += 1;
        } else {
            ls.push(ms(b, s));
        }
        if v != 0 && b != 0 {
            added.push(ms(v, b));
        }
    }
    for v in [&mut lv, &mut ls, &mut added] {
        v.sort_by(f64::total_cmp);
    }
    let window = wall1.duration_since(wall0).as_secs_f64();
    let cpu_pct = (cpu1 - cpu0) / window * 100.0;
    let n = total - warmup;
    println!();
    println!(
        "## latency run {run}: {} msg/s for {} s ({n} messages after 1 s of warm-up), receive maximum {}",
        o.rate, o.duration, o.receive_maximum
    );
    println!("| path | p50 ms | p99 ms | max ms | missing |");
    println!("|---|---|---|---|---|");
    let row = |name: &str, v: &[f64], missing: usize| {
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} | {missing} |",
            pct(v, 0.5),
            pct(v, 0.99),
            v.last().copied().unwrap_or(f64::NAN)
        );
    };
    row("publish → mosquitto_sub stdout", &ls, missing_s);
    row("publish → vinstream stdout", &lv, missing_v);
    row("added by vinstream (per message)", &added, 0);
    println!(
        "vinstream CPU over the window: {:.2} s in {window:.1} s = {cpu_pct:.1} % of one core; peak RSS {:.1} MiB",
        cpu1 - cpu0,
        mib(rss)
    );
    // what users would otherwise run: a plain QoS 1 subscriber (auto-ack, no dedup, no fsync)
    println!(
        "mosquitto_sub CPU over the window: {sub_cpu:.2} s = {:.1} % of one core",
        sub_cpu / window * 100.0
    );
    if !rig.opts.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn main() {
    let Some(opts) = parse_args() else { return };
    let _ = rustls::crypto::ring::default_provider().install_default();
    assert!(
        opts.bin.exists(),
        "{} does not exist: build it (cargo build --release)",
        opts.bin.display()
    );
    let tmp = tempfile::Builder::new()
        .prefix("vinstream-bench-")
        .tempdir()
        .unwrap();
    let (dir, _guard) = if opts.keep {
        (tmp.keep(), None)
    } else {
        (tmp.path().to_path_buf(), Some(tmp))
    };
    let pki = pki::generate(&dir.join("pki"));
    let broker = RefCell::new(Mosquitto::start(&pki, MosquittoOptions::default()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sample = hm_v2_message(&message_id(0, 0), &vin(0), &mut Gen::new(0));
    println!(
        "vinstream bench: binary {}, payload ~{} bytes, broker mosquitto (mTLS, persistence, max_queued_messages 0) on port {}, {} cores",
        opts.bin.display(),
        sample.len(),
        broker.borrow().port(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let rig = Rig {
        dir: dir.clone(),
        pki,
        broker,
        rt,
        opts: opts.clone(),
        next_group: AtomicU64::new(0),
    };
    if opts.drain {
        run_drain(&rig);
    }
    if opts.latency {
        for run in 1..=opts.runs.min(3) {
            run_latency(&rig, run);
        }
    }
    if opts.keep {
        println!("kept {}", dir.display());
    }
}
