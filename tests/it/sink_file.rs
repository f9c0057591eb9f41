//! The `file` sink through the real daemon: rotation under a long stream (no line lost
//! or split across files), several file sinks at once, SIGHUP reopening for logrotate,
//! and a real disk running full (a small tmpfs) under the daemon.

use crate::support::configs;
use crate::support::daemon::Daemon;
use crate::support::mosquitto::{free_port, Mosquitto, MosquittoOptions};
use crate::support::pki;
use crate::support::publisher::Publisher;
use crate::support::smallfs::SmallFs;
use crate::support::wait;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

const APP: &str = "app-file";
const TOPIC: &str = "live/level13/app-file";
const T: Duration = Duration::from_secs(120);

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_vinstream"))
}

fn config(state: &Path, port: u16, pki: &pki::Pki, sinks: &str) -> String {
    configs::daemon(state, "")
        + &configs::hm_v2(port, pki, APP, "vinstream-file", "share_group = \"\"", "")
        + sinks
}

fn message(i: usize) -> (String, Vec<u8>) {
    let p = json!({"version": 2, "application_id": APP, "message_id": format!("f{i}"), "vin": "VINFILE",
                   "data": {"diagnostics": {"speed": [{"data": {"unit": "kilometers_per_hour", "value": i % 200}}]}}});
    (TOPIC.to_string(), p.to_string().into_bytes())
}

/// Every line of `path` and its rotated siblings, oldest file first; panics on a torn line.
fn read_all(path: &Path) -> Vec<Value> {
    let dir = path.parent().unwrap();
    let base = path.file_name().unwrap().to_string_lossy().to_string();
    let mut files: Vec<(usize, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().to_string();
            let n = if name == base {
                0
            } else {
                name.strip_prefix(&format!("{base}."))?.parse().ok()?
            };
            Some((n, dir.join(name)))
        })
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    let mut out = Vec::new();
    for (_, f) in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "{} ends mid-line",
            f.display()
        );
        for line in text.lines() {
            out.push(
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{}: torn line {line:?}: {e}", f.display())),
            );
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_under_a_100000_record_stream_loses_and_splits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::generate(&dir.path().join("pki"));
    let broker = Mosquitto::start(&pki, MosquittoOptions::default());
    let out = dir.path().join("out/vehicles.jsonl");
    let sinks = format!(
        "[sinks.archive]\ntype = \"file\"\npath = \"{}\"\nmax_bytes = \"2MB\"\nmax_files = 1000\n",
        out.display()
    );
    let d = Daemon::start(
        bin(),
        &config(&dir.path().join("state"), broker.port(), &pki, &sinks),
        dir.path(),
    );
    d.wait_stderr("subscribed", T);
    let p = Publisher::connect_v5(broker.port(), &pki).await;
    const N: usize = 100_000;
    for chunk in (0..N).collect::<Vec<_>>().chunks(10_000) {
        p.publish_all(chunk.iter().map(|&i| message(i))).await;
    }
    let records = wait::until_async_sync("100000 lines across the rotated files", T, || {
        let r = read_all(&out);
        (r.len() >= N).then_some(r)
    })
    .await;
    let ids: HashSet<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), N, "every record once");
    assert_eq!(records.len(), N, "no duplicates");
    let rotated = std::fs::read_dir(out.parent().unwrap()).unwrap().count();
    assert!(
        rotated > 5,
        "expected several rotated files, found {rotated}"
    );
    for e in std::fs::read_dir(out.parent().unwrap()).unwrap() {
        assert!(e.unwrap().metadata().unwrap().len() <= 2_000_000);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_file_sinks_run_side_by_side_and_sighup_reopens_for_logrotate() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::generate(&dir.path().join("pki"));
    let broker = Mosquitto::start(&pki, MosquittoOptions::default());
    let a = dir.path().join("a/a.jsonl");
    let b = dir.path().join("b/b.jsonl");
    let sinks = format!(
        "[sinks.a]\ntype = \"file\"\npath = \"{}\"\nfsync = true\n[sinks.b]\ntype = \"file\"\npath = \"{}\"\n",
        a.display(),
        b.display()
    );
    let d = Daemon::start(
        bin(),
        &config(&dir.path().join("state"), broker.port(), &pki, &sinks),
        dir.path(),
    );
    d.wait_stderr("subscribed", T);
    let p = Publisher::connect_v5(broker.port(), &pki).await;
    p.publish_all((0..10).map(message)).await;
    wait::until_async_sync("both files", T, || {
        (read_all(&a).len() == 10 && read_all(&b).len() == 10).then_some(())
    })
    .await;
    // logrotate: move the file away, then SIGHUP
    std::fs::rename(&a, dir.path().join("a/a.jsonl.rotated")).unwrap();
    d.sighup();
    d.wait_stderr("SIGHUP: reopening sink files", T);
    p.publish_all((10..20).map(message)).await;
    wait::until_async_sync("new lines in a fresh file", T, || {
        (std::fs::read_to_string(&a)
            .map(|t| t.lines().count())
            .unwrap_or(0)
            == 10)
            .then_some(())
    })
    .await;
    let moved = std::fs::read_to_string(dir.path().join("a/a.jsonl.rotated")).unwrap();
    assert_eq!(
        moved.lines().count(),
        10,
        "nothing went to the moved file after SIGHUP"
    );
    assert_eq!(read_all(&b).len(), 20);
}

#[test]
fn an_unwritable_path_stops_the_daemon_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::generate(&dir.path().join("pki"));
    let sinks = "[sinks.bad]\ntype = \"file\"\npath = \"/proc/vinstream-nope/out.jsonl\"\n";
    let mut d = Daemon::start(
        bin(),
        &config(&dir.path().join("state"), 1, &pki, sinks),
        dir.path(),
    );
    let status = d.wait_exit(Duration::from_secs(20)).expect("exits");
    assert_eq!(status.code(), Some(1));
    assert!(
        d.stderr()
            .contains("sinks.bad: path: cannot create the directory /proc/vinstream-nope"),
        "{}",
        d.stderr()
    );
}

/// The lines of `path` when it holds whole lines only (`None` while it ends mid-line or
/// a line does not parse), without panicking, for polling.
fn whole_lines(path: &Path) -> Option<Vec<Value>> {
    let text = std::fs::read_to_string(path).ok()?;
    if !(text.is_empty() || text.ends_with('\n')) {
        return None;
    }
    text.lines().map(|l| serde_json::from_str(l).ok()).collect()
}

fn counts(records: &[Value]) -> HashMap<String, usize> {
    let mut t = HashMap::new();
    for r in records {
        *t.entry(r["id"].as_str().unwrap().to_string()).or_default() += 1;
    }
    t
}

fn assert_each_once(records: &[Value], range: std::ops::Range<usize>) {
    let t = counts(records);
    for i in range.clone() {
        assert_eq!(t.get(&format!("hm:f{i}")), Some(&1), "record f{i}: {t:?}");
    }
    assert_eq!(records.len(), range.len(), "nothing else: {t:?}");
}

async fn readyz(base: &str) -> (u16, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match reqwest::get(format!("{base}/readyz")).await {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(_) => (0, String::new()),
    }
}

/// The sink hits ENOSPC on a real (tmpfs) disk: it holds the acks, /readyz names it, the
/// file never keeps a torn line, and once space is back every message is there once —
/// both when the daemon keeps running and when it is killed while the disk is full
/// (the broker redelivers what was never acked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_holds_the_acks_and_loses_or_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::generate(&dir.path().join("pki"));
    let broker = Mosquitto::start(&pki, MosquittoOptions::default());
    let disk = SmallFs::mount(&dir.path().join("out"), "64k");
    let out = dir.path().join("out/vehicles.jsonl");
    let admin = free_port();
    let base = format!("http://127.0.0.1:{admin}");
    let sinks = format!(
        "[sinks.archive]\ntype = \"file\"\npath = \"{}\"\n",
        out.display()
    );
    let config = configs::daemon(
        &dir.path().join("state"),
        &format!("admin_listen = \"127.0.0.1:{admin}\""),
    ) + &configs::hm_v2(broker.port(), &pki, APP, "vinstream-file-full", "", "")
        + &sinks;
    let mut d = Daemon::start(bin(), &config, dir.path());
    d.wait_stderr("subscribed", T);
    let p = Publisher::connect_v5(broker.port(), &pki).await;
    p.publish_all((0..5).map(message)).await;
    wait::until_async_sync("the first 5 lines", T, || {
        (whole_lines(&out)?.len() == 5).then_some(())
    })
    .await;
    wait::until_async("ready", T, || async {
        (readyz(&base).await.0 == 200).then_some(())
    })
    .await;

    // Full disk, daemon keeps running: the slack of the file's last page takes a few
    // lines, then a write comes up short and fails.
    disk.fill();
    p.publish_all((5..40).map(message)).await;
    let body = wait::until_async("/readyz to name the full file sink", T, || async {
        let (code, body) = readyz(&base).await;
        (code == 503 && body.contains("archive")).then_some(body)
    })
    .await;
    assert!(body.contains("No space left on device"), "{body}");
    let stuck =
        wait::until_async_sync("whole lines only on the full disk", T, || whole_lines(&out)).await;
    assert!(
        stuck.len() < 40,
        "the disk was not full: {} lines",
        stuck.len()
    );
    disk.free();
    let records = wait::until_async_sync("all 40 records once space is back", T, || {
        let r = whole_lines(&out)?;
        (r.len() >= 40).then_some(r)
    })
    .await;
    assert_each_once(&records, 0..40);
    wait::until_async("ready again", T, || async {
        (readyz(&base).await.0 == 200).then_some(())
    })
    .await;

    // Full again, and the daemon dies while it is: what it could not write it never
    // acked, so the broker sends it again to the restarted daemon.
    disk.fill();
    p.publish_all((40..70).map(message)).await;
    wait::until_async("/readyz to name the full file sink again", T, || async {
        let (code, body) = readyz(&base).await;
        (code == 503 && body.contains("archive")).then_some(())
    })
    .await;
    let stuck = wait::until_async_sync("whole lines only", T, || whole_lines(&out)).await;
    assert!(
        stuck.len() < 70,
        "the disk was not full: {} lines",
        stuck.len()
    );
    d.kill();
    disk.free();
    d.restart();
    let records = wait::until_async_sync("all 70 records after the restart", T, || {
        let r = whole_lines(&out)?;
        (r.len() >= 70).then_some(r)
    })
    .await;
    assert_each_once(&records, 0..70);
    // every line of the file is whole (read_all panics on a torn one)
    assert_eq!(read_all(&out).len(), 70);
}
