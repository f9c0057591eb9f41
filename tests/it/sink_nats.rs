//! The NATS JetStream sink against real peers: Mosquitto (mutual TLS, persistence), the built
//! binary, a real MQTT 5 publisher and a nats-server with JetStream started per test. What
//! is asserted is read back from the stream itself: one message per record id
//! (`Nats-Msg-Id`), on the templated subject — also with two replicas on one shared
//! subscription, when one of them is SIGKILLed, and when NATS restarts mid-stream.

use crate::support::configs;
use crate::support::daemon::Daemon;
use crate::support::nats::{self, NatsServer, NatsTls, Stored};
use crate::support::rig::BrokerRig;
use crate::support::wait;
use async_nats::jetstream;
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

const APP: &str = "00000000-0000-0000-0000-000000000000";
const TOPIC: &str = "live/level13/00000000-0000-0000-0000-000000000000";
const STREAM: &str = "VEHICLES";
const T: Duration = Duration::from_secs(60);

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_vinstream"))
}

impl BrokerRig {
    /// A replica: its own client id and state dir; the share group is the default
    /// (the application id), so every replica joins `$share/{APP}/live/level13/{APP}`.
    fn replica_config(&self, replica: &str, client_id: &str, sinks: &str) -> String {
        let state = self.dir.path().join(replica).join("state");
        configs::daemon(&state, "log_level = \"info\"\nshutdown_timeout = \"10s\"")
            + &configs::hm_v2(
                self.broker.port(),
                &self.pki,
                APP,
                client_id,
                "",
                "keep_alive = \"5s\"\nreceive_maximum = 64",
            )
            + "\n"
            + sinks
    }

    fn replica_daemon(&self, replica: &str, client_id: &str, sinks: &str) -> Daemon {
        let config = self.replica_config(replica, client_id, sinks);
        let d = Daemon::start(bin(), &config, &self.dir.path().join(replica));
        d.wait_stderr("subscribed", T);
        d
    }
}

/// The NATS sink under test, named `bus`.
fn bus(url: &str, extra: &str) -> String {
    nats_sink("bus", url, STREAM, extra)
}

fn nats_sink(name: &str, url: &str, stream: &str, extra: &str) -> String {
    format!("[sinks.{name}]\ntype = \"nats\"\nurl = \"{url}\"\nstream = \"{stream}\"\n{extra}\n")
}

/// A stdout sink, to see which replica handled which record. Sinks are called in name
/// order: `bus`, then `console`.
const CONSOLE: &str = "[sinks.console]\ntype = \"stdout\"\n";

fn message(i: usize) -> (String, Vec<u8>) {
    message_for(&format!("msg-{i:05}"), &format!("VIN{:04}", i % 50), i)
}

fn message_for(id: &str, vin: &str, i: usize) -> (String, Vec<u8>) {
    let payload = json!({
        "version": 2, "application_id": APP, "message_id": id, "vin": vin,
        "data": {"diagnostics": {"odometer": [
            {"data": {"unit": "kilometers", "value": i}, "timestamp": "2026-11-21T10:00:00Z"}
        ]}}
    });
    (TOPIC.to_string(), payload.to_string().into_bytes())
}

fn messages(range: std::ops::Range<usize>) -> Vec<(String, Vec<u8>)> {
    range.map(message).collect()
}

async fn js(url: &str) -> jetstream::Context {
    jetstream::new(nats::client(url).await)
}

/// Waits until the stream holds at least `n` messages.
async fn wait_stream(js: &jetstream::Context, n: u64, what: &str) {
    wait::until_async(what, T, || async {
        (nats::stream_len(js, STREAM).await >= n).then_some(())
    })
    .await;
}

/// Every id of `range` is in the stream exactly once, and nothing else is.
fn assert_exactly_once(stored: &[Stored], range: std::ops::Range<usize>) {
    let mut per_id: HashMap<&str, usize> = HashMap::new();
    for m in stored {
        *per_id.entry(m.msg_id.as_str()).or_default() += 1;
        assert_eq!(
            m.json()["id"].as_str(),
            Some(m.msg_id.as_str()),
            "Nats-Msg-Id = record id"
        );
    }
    let twice: Vec<_> = per_id.iter().filter(|(_, &n)| n > 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    let missing: Vec<usize> = range
        .clone()
        .filter(|i| !per_id.contains_key(format!("hm:msg-{i:05}").as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "lost {} records, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert_eq!(
        stored.len(),
        range.len(),
        "the stream holds something else too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_land_in_a_created_stream_with_their_id_and_templated_subject() {
    let rig = BrokerRig::new();
    let server = NatsServer::start();
    let extra = "subject = \"vehicles.{source}.{vin}\"\ncreate_stream = true\n\
                 duplicate_window = \"5m\"\nmax_age = \"1h\"";
    let d = rig.replica_daemon("one", "vinstream-nats", &bus(&server.url(), extra));
    assert!(
        d.stderr().contains("created the JetStream stream"),
        "{}",
        d.stderr()
    );
    let p = rig.publisher().await;
    p.publish_all([
        message_for("plain", "WBA00000000000001", 1),
        message_for("odd", "ODD.VIN*>X Y", 2),
        message_for("plain", "WBA00000000000001", 1), // a redelivery
    ])
    .await;
    let js = js(&server.url()).await;
    wait_stream(&js, 2, "two records").await;
    let mut stream = js.get_stream(STREAM).await.unwrap();
    let config = stream.info().await.unwrap().config.clone();
    assert_eq!(config.subjects, vec!["vehicles.*.*".to_string()]);
    assert_eq!(config.duplicate_window, Duration::from_secs(300));
    assert_eq!(config.max_age, Duration::from_secs(3600));

    let stored = nats::stream_messages(&js, STREAM).await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert_eq!(stored[0].msg_id, "hm:plain");
    assert_eq!(stored[0].subject, "vehicles.hm.WBA00000000000001");
    assert_eq!(stored[1].msg_id, "hm:odd");
    assert_eq!(
        stored[1].subject, "vehicles.hm.ODD_VIN__X_Y",
        "tokens are sanitized"
    );
    let record = stored[1].json();
    assert_eq!(
        record["vin"], "ODD.VIN*>X Y",
        "the payload keeps the real VIN"
    );
    assert_eq!(record["id"], "hm:odd");
    assert_eq!(record["signals"][0]["path"], "Vehicle.TraveledDistance");
    assert_eq!(stored[1].payload.last(), Some(&b'}'), "no trailing newline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_share_group_fill_one_stream_exactly_once_even_when_one_is_killed() {
    let rig = BrokerRig::new();
    let server = NatsServer::start();
    let js = js(&server.url()).await;
    // Replica A also copies every record into a second stream, HELD. Deleting HELD wedges
    // A deterministically: its batch is in VEHICLES already, but its MQTT acks are held.
    let held = || jetstream::stream::Config {
        name: "HELD".into(),
        subjects: vec!["held.>".into()],
        ..Default::default()
    };
    js.create_stream(held()).await.expect("create HELD");
    let extra = "subject = \"vehicles.{vin}\"\ncreate_stream = true\ntimeout = \"5s\"";
    let sinks_a = format!(
        "{}{CONSOLE}{}",
        bus(&server.url(), extra),
        nats_sink(
            "held",
            &server.url(),
            "HELD",
            "subject = \"held.{vin}\"\ntimeout = \"2s\""
        )
    );
    let mut a = rig.replica_daemon("a", "vinstream-replica-a", &sinks_a);
    let b = rig.replica_daemon(
        "b",
        "vinstream-replica-b",
        &format!("{}{CONSOLE}", bus(&server.url(), extra)),
    );

    // Both take a share; the stream gets every message once.
    let p = rig.publisher().await;
    p.publish_all(messages(0..2000)).await;
    wait_stream(&js, 2000, "the first 2000").await;
    assert_exactly_once(&nats::stream_messages(&js, STREAM).await, 0..2000);
    let (na, nb) = (a.record_count(), b.record_count());
    eprintln!("two replicas: A took {na}, B took {nb} of 2000");
    assert!(na > 0 && nb > 0, "the load did not split: A {na}, B {nb}");
    assert_eq!(
        na + nb,
        2000,
        "a replica handled a message the other one had"
    );

    // Wedge A mid-stream, then SIGKILL it: the batch it holds is in VEHICLES, unacked.
    js.delete_stream("HELD").await.expect("delete HELD");
    let mark = a.stderr_mark();
    let publishing = tokio::spawn(async move {
        p.publish_all(messages(2000..4000)).await;
        p
    });
    a.wait_stderr_since(mark, "sink did not accept the batch", T);
    a.kill();
    let p = publishing.await.unwrap();
    let b_at_kill = b.record_count();
    // The survivor carries on with what is published after the kill.
    p.publish_all(messages(4000..4500)).await;
    wait::until_async_sync("B to keep delivering after the kill", T, || {
        (b.record_count() >= b_at_kill + 100).then_some(())
    })
    .await;
    let before_restart = nats::stream_len(&js, STREAM).await;

    // Mosquitto keeps the dead member's session — its unacked messages and its round-robin
    // share of later ones — until that client id comes back: restart A (un-wedged).
    js.create_stream(held()).await.expect("recreate HELD");
    a.restart();
    a.wait_stderr("subscribed", T);
    wait_stream(&js, 4500, "all 4500 after A's restart").await;
    assert_exactly_once(&nats::stream_messages(&js, STREAM).await, 0..4500);

    let mut handled: HashMap<String, usize> = HashMap::new();
    for r in a.all_records().iter().chain(b.all_records().iter()) {
        *handled
            .entry(r["id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let twice: usize = handled.values().map(|n| n - 1).sum();
    eprintln!(
        "after the kill: the stream held {before_restart} of 4500 before A came back; A's restart \
         delivered {} records; {twice} were published twice and stored once",
        a.run_records().len()
    );
    assert!(
        twice > 0,
        "A's held batch should have been redelivered and published again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_restart_mid_stream_loses_nothing_and_stores_nothing_twice() {
    let rig = BrokerRig::new();
    let mut server = NatsServer::start();
    let extra = "create_stream = true\ntimeout = \"2s\"";
    let d = rig.replica_daemon("one", "vinstream-nats-restart", &bus(&server.url(), extra));
    let js_before = js(&server.url()).await;
    let p = rig.publisher().await;
    let publishing = tokio::spawn(async move {
        p.publish_all(messages(0..3000)).await;
        p
    });
    wait_stream(&js_before, 500, "500 before the restart").await;
    drop(js_before);
    let mark = d.stderr_mark();
    server.stop();
    d.wait_stderr_since(mark, "lost the NATS connection", T);
    d.wait_stderr_since(mark, "sink did not accept the batch", T);
    server.start_again();
    let _p = publishing.await.unwrap();
    let js = js(&server.url()).await;
    wait_stream(&js, 3000, "all 3000 after the NATS restart").await;
    assert_exactly_once(&nats::stream_messages(&js, STREAM).await, 0..3000);
    assert!(
        d.stderr().contains("connected to NATS"),
        "{}",
        d.stderr_tail(30)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_a_nats_down_at_start_and_a_missing_stream_hold_records_until_fixed() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rig = BrokerRig::new();
    let mut server = NatsServer::start_tls(NatsTls {
        cert: rig.pki.server_cert.clone(),
        key: rig.pki.server_key.clone(),
    });
    server.stop();
    let extra = format!("ca_file = \"{}\"\ntimeout = \"2s\"", rig.pki.ca.display());
    let mut d = rig.replica_daemon("one", "vinstream-nats-tls", &bus(&server.url(), &extra));
    assert!(d.is_running(), "NATS being down must not stop the daemon");
    d.wait_stderr("cannot connect to NATS", T);
    let p = rig.publisher().await;
    p.publish_all(messages(0..5)).await;

    server.start_again();
    d.wait_stderr(
        "does not exist on the NATS server and create_stream = false",
        T,
    );
    let client = async_nats::ConnectOptions::new()
        .add_root_certificates(rig.pki.ca.clone())
        .require_tls(true)
        .connect(server.url())
        .await
        .expect("TLS client");
    let js = jetstream::new(client);
    nats::create_vehicles_stream(&js, STREAM).await;
    wait_stream(&js, 5, "the 5 held records").await;
    assert_exactly_once(&nats::stream_messages(&js, STREAM).await, 0..5);
}
