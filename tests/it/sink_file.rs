//! The `file` sink through the real daemon: rotation under a long stream (no line lost
//! or split across files), several file sinks at once, and SIGHUP reopening for logrotate.

use crate::support::configs;
use crate::support::daemon::Daemon;
use crate::support::mosquitto::{Mosquitto, MosquittoOptions};
use crate::support::pki;
use crate::support::publisher::Publisher;
use crate::support::wait;
use serde_json::{json, Value};
use std::collections::HashSet;
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
