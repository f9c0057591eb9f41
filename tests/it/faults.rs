//! Nothing lost, nothing twice — under faults (SPEC.md §4). Real Mosquitto with
//! persistence, the real binary, and the faults users meet: SIGKILL, broker restarts,
//! a silently dead network, a stalled sink, SIGTERM mid-stream, DUP redeliveries and
//! a flood of garbage.

use crate::support::configs;
use crate::support::daemon::Daemon;
use crate::support::proxy::Proxy;
use crate::support::rig::{numbered_message as message, BrokerRig};
use crate::support::wait;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

mod stalled_sink;

const APP: &str = "00000000-0000-0000-0000-000000000000";
const TOPIC: &str = "live/level13/00000000-0000-0000-0000-000000000000";
const T: Duration = Duration::from_secs(90);

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_vinstream"))
}

/// The faults tests' provider session options.
const SESSION: &str = "keep_alive = \"5s\"\nreceive_maximum = 32\nconnect_timeout = \"3s\"";

impl BrokerRig {
    fn faults_config(&self, port: u16, extra_daemon: &str) -> String {
        self.faults_config_with_session(port, extra_daemon, SESSION)
    }

    fn faults_config_with_session(&self, port: u16, extra_daemon: &str, session: &str) -> String {
        configs::daemon(
            &self.state_dir(),
            &format!("shutdown_timeout = \"10s\"\n{extra_daemon}"),
        ) + &configs::hm_v2(port, &self.pki, APP, "vinstream-faults", "", session)
            + configs::STDOUT
    }

    fn faults_daemon(&self, port: u16, extra: &str) -> Daemon {
        let d = Daemon::start(bin(), &self.faults_config(port, extra), self.dir.path());
        d.wait_stderr("subscribed", T);
        d
    }
}

fn messages(range: std::ops::Range<usize>) -> Vec<(String, Vec<u8>)> {
    range.map(message).collect()
}

/// Counts per record id over every run of the daemon.
fn tally(d: &Daemon) -> HashMap<String, usize> {
    let mut t = HashMap::new();
    for r in d.all_records() {
        *t.entry(r["id"].as_str().unwrap().to_string()).or_default() += 1;
    }
    t
}

async fn wait_for_ids(d: &Daemon, n: usize, what: &str) -> HashMap<String, usize> {
    let got = wait::try_until_async(T, || {
        let t = tally(d);
        (t.len() >= n).then_some(t)
    })
    .await;
    match got {
        Some(t) => t,
        None => {
            let t = tally(d);
            let mut have: Vec<&String> = t.keys().collect();
            have.sort();
            panic!(
                "timed out waiting for {what}: {} of {n} ids (first {:?}, last {:?}); daemon log:\n{}",
                t.len(),
                have.first(),
                have.last(),
                d.stderr_tail(40)
            )
        }
    }
}

fn assert_all(t: &HashMap<String, usize>, range: std::ops::Range<usize>) {
    let missing: Vec<usize> = range
        .filter(|i| !t.contains_key(&format!("hm:msg-{i:05}")))
        .collect();
    assert!(
        missing.is_empty(),
        "lost {} messages, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
}

fn duplicates(t: &HashMap<String, usize>) -> usize {
    t.values().map(|n| n - 1).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_then_restart_loses_nothing() {
    let rig = BrokerRig::new();
    let mut d = rig.faults_daemon(rig.broker.port(), "");
    let p = rig.publisher().await;
    let publishing = tokio::spawn(async move {
        p.publish_all(messages(0..5000)).await;
        p
    });
    wait::until_async_sync("1000 records before the kill", T, || {
        (d.record_count() >= 1000).then_some(())
    })
    .await;
    d.kill();
    // what the killed run wrote, in order (kill() has read its output to the end)
    let written: Vec<String> = d
        .all_records()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let _p = publishing.await.unwrap();
    d.restart();
    let t = wait_for_ids(&d, 5000, "all 5000 ids after the restart").await;
    assert_all(&t, 0..5000);
    let dups = duplicates(&t);
    eprintln!(
        "SIGKILL mid-stream: {dups} duplicate records (written but not yet acked at the kill)"
    );
    // Only records written but not yet acked can repeat: the broker redelivers them. Ids
    // are journaled and acked in the order they are written, so the repeats are exactly
    // the killed run's last `dups` records. How many there are is up to the broker: the
    // receive maximum (32) unless Mosquitto 2.0.11 overshoots it, which it does at some
    // timings of our acks (docs/performance.md), so the count itself is not bounded here.
    let repeated: HashSet<&String> = t
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    assert!(t.values().all(|&n| n <= 2), "an id came out three times");
    // Most of what the killed run wrote had been acked: acks follow the journal by a
    // millisecond's linger, so an overshooting broker makes the repeats a few hundred at
    // most (112 seen), where acks that never went out would repeat every record written.
    assert!(
        dups * 2 < written.len(),
        "{dups} of the {} records written before the kill came again",
        written.len()
    );
    let tail = written
        .len()
        .checked_sub(dups)
        .expect("more repeats than records written");
    let last: HashSet<&String> = written[tail..].iter().collect();
    assert_eq!(
        repeated, last,
        "the repeated ids are not the killed run's last {dups} records"
    );
    // The provider sends all 5000 again, and one new message. Every id was acked, and an
    // acked id is in the dedup journal before its ack goes out, so the window knows all of
    // them after the restart, committed or not at the kill (pipeline/commit.rs).
    let p = rig.publisher().await;
    p.publish_all(messages(0..5001)).await;
    let t = wait_for_ids(&d, 5001, "the new id").await;
    assert_eq!(
        duplicates(&t),
        dups,
        "ids acked before the SIGKILL came out again when the provider repeated them"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_mid_stream_loses_nothing() {
    let mut rig = BrokerRig::new();
    let d = rig.faults_daemon(rig.broker.port(), "");
    let p = rig.publisher().await;
    // A stalled sink leaves most of the first 1000 queued in the broker's session for us.
    d.pause_stdout();
    p.publish_all(messages(0..1000)).await;
    p.disconnect().await;
    rig.broker.stop();
    rig.broker.start_again();
    wait::until_async_sync("resubscribed after the broker restart", T, || {
        (d.stderr().matches("subscribed").count() >= 2).then_some(())
    })
    .await;
    d.resume_stdout();
    let p = rig.publisher().await;
    p.publish_all(messages(1000..2000)).await;
    let t = wait_for_ids(&d, 2000, "all 2000 ids").await;
    assert_all(&t, 0..2000);
    assert_eq!(duplicates(&t), 0, "in-process dedup absorbs redeliveries");
    d.wait_stderr("connection lost", T);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silently_dead_network_is_noticed_by_keep_alive_and_nothing_is_lost() {
    let rig = BrokerRig::new();
    let proxy = Proxy::start(rig.broker.port());
    let d = rig.faults_daemon(proxy.port(), "");
    let p = rig.publisher().await;
    p.publish_all(messages(0..300)).await;
    wait::until_async_sync("records before the cut", T, || {
        (d.record_count() >= 100).then_some(())
    })
    .await;
    let cut_at = Instant::now();
    proxy.cut();
    p.publish_all(messages(300..600)).await;
    d.wait_stderr("connection lost", T);
    let noticed = cut_at.elapsed();
    assert!(
        noticed < Duration::from_secs(20),
        "keep-alive (5 s) took {noticed:?}"
    );
    proxy.restore();
    let t = wait_for_ids(&d, 600, "all 600 ids after the network returns").await;
    assert_all(&t, 0..600);
    assert_eq!(duplicates(&t), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_stream_exits_0_in_time_and_the_restart_loses_and_repeats_nothing() {
    let rig = BrokerRig::new();
    let mut d = rig.faults_daemon(rig.broker.port(), "");
    let p = rig.publisher().await;
    let publishing = tokio::spawn(async move {
        p.publish_all(messages(0..2000)).await;
        p
    });
    wait::until_async_sync("500 records", T, || (d.record_count() >= 500).then_some(())).await;
    let asked = Instant::now();
    d.sigterm();
    let status = d.wait_exit(Duration::from_secs(15)).expect("exited");
    assert!(status.success(), "{status}");
    assert!(
        asked.elapsed() < Duration::from_secs(11),
        "took {:?}",
        asked.elapsed()
    );
    let _p = publishing.await.unwrap();
    d.restart();
    let t = wait_for_ids(&d, 2000, "all 2000 ids").await;
    assert_all(&t, 0..2000);
    assert_eq!(
        duplicates(&t),
        0,
        "a graceful stop acks everything it wrote"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dup_redelivery_after_a_reconnect_yields_one_record() {
    let rig = BrokerRig::new();
    let proxy = Proxy::start(rig.broker.port());
    let d = rig.faults_daemon(proxy.port(), "");
    let p = rig.publisher().await;
    // Fill the stdout pipe so records stay unwritten, hence unacked.
    d.pause_stdout();
    p.publish_all(messages(0..400)).await;
    // The broker delivered a window it now waits on; drop the connection under it.
    proxy.cut();
    d.wait_stderr("connection lost", T);
    proxy.restore();
    wait::until_async_sync("reconnected", T, || {
        (d.stderr().matches("subscribed").count() >= 2).then_some(())
    })
    .await;
    d.resume_stdout();
    let t = wait_for_ids(&d, 400, "all 400 ids").await;
    assert_all(&t, 0..400);
    assert_eq!(
        duplicates(&t),
        0,
        "{:?}",
        t.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );
    assert!(rig.broker.log().contains("vinstream-faults"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_garbage_is_dead_lettered_within_bounds_and_valid_messages_flow() {
    let rig = BrokerRig::new();
    let d = rig.faults_daemon(
        rig.broker.port(),
        "dead_letter_max_bytes = \"256KiB\"\ndead_letter_max_files = 2",
    );
    let p = rig.publisher().await;
    let mut batch = Vec::new();
    for i in 0..10_000usize {
        if i % 1000 == 0 {
            batch.push(message(i / 1000));
        }
        batch.push((
            TOPIC.to_string(),
            format!("garbage #{i} {}", "x".repeat(80)).into_bytes(),
        ));
    }
    p.publish_all(batch).await;
    let t = wait_for_ids(&d, 10, "the 10 valid messages").await;
    assert_all(&t, 0..10);
    let dl = rig.dir.path().join("state");
    let size = || -> u64 {
        std::fs::read_dir(&dl)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("dead-letter"))
            .map(|e| e.metadata().unwrap().len())
            .sum()
    };
    wait::until_async_sync("dead letters written", T, || {
        (size() > 256 * 1024).then_some(())
    })
    .await;
    let files: HashSet<String> = std::fs::read_dir(&dl)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("dead-letter"))
        .collect();
    assert!(
        size() <= 3 * 256 * 1024,
        "dead letters take {} bytes",
        size()
    );
    assert!(files.len() <= 3, "{files:?}");
    let mut d = d;
    assert!(d.is_running());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dedup_window_survives_a_restart() {
    let rig = BrokerRig::new();
    let mut d = rig.faults_daemon(rig.broker.port(), "");
    let p = rig.publisher().await;
    p.publish_all(messages(0..20)).await;
    wait_for_ids(&d, 20, "the first 20").await;
    d.sigterm();
    assert!(d.wait_exit(T).unwrap().success());
    assert!(rig.dir.path().join("state/dedup.redb").exists());
    // a clean stop saves the window's index, and the next start takes it (used once)
    let saved = rig.dir.path().join("state/dedup.index");
    assert!(saved.exists(), "no saved dedup index after SIGTERM");
    d.restart();
    d.wait_stderr("index loaded as saved at the last shutdown", T);
    assert!(!saved.exists());
    d.wait_stderr("subscribed", T);
    // The provider delivers the same message ids again (at-least-once), plus a new one.
    p.publish_all(messages(0..21)).await;
    let t = wait_for_ids(&d, 21, "the new id").await;
    assert_eq!(
        duplicates(&t),
        0,
        "ids delivered before the restart came out again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_shutdown_ends_at_shutdown_timeout_and_a_second_signal_ends_it_at_once() {
    let rig = BrokerRig::new();
    let mut d = rig.faults_daemon(rig.broker.port(), "");
    let p = rig.publisher().await;
    d.pause_stdout();
    p.publish_all(messages(0..500)).await;
    wait::until_async_sync("the sink to stall", T, || {
        d.stderr().contains("subscribed").then_some(())
    })
    .await;
    // With the sink stuck, a graceful stop cannot finish: it gives up at shutdown_timeout.
    let asked = Instant::now();
    d.sigterm();
    let status = d.wait_exit(Duration::from_secs(20)).expect("exited");
    assert!(status.success(), "{status}");
    let took = asked.elapsed();
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(15),
        "{took:?}"
    );
    d.wait_stderr("shutdown_timeout reached", T);

    d.restart();
    d.wait_stderr("subscribed", T);
    d.pause_stdout();
    p.publish_all(messages(500..1000)).await;
    let asked = Instant::now();
    d.sigterm();
    d.wait_stderr("SIGTERM: shutting down", T);
    d.sigterm();
    let status = d.wait_exit(Duration::from_secs(5)).expect("exited at once");
    assert!(asked.elapsed() < Duration::from_secs(5));
    assert_eq!(status.code(), Some(130));
    d.wait_stderr("second signal", T);
}
