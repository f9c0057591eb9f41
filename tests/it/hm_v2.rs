//! High Mobility MQTT V2 end to end: real Mosquitto (mutual TLS, persistence), the built
//! binary, a real MQTT publisher.

use crate::support::configs;
use crate::support::daemon::Daemon;
use crate::support::rig::BrokerRig;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

const APP: &str = "00000000-0000-0000-0000-000000000000";
const TOPIC: &str = "live/level13/00000000-0000-0000-0000-000000000000";
const T: Duration = Duration::from_secs(20);

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_vinstream"))
}

impl BrokerRig {
    /// `cert` / `key` let a test present a client certificate the broker does not trust.
    fn v2_config(&self, cert: &Path, key: &Path) -> String {
        let provider = configs::hm_v2(
            self.broker.port(),
            &self.pki,
            APP,
            "vinstream-test",
            "",
            "keep_alive = \"5s\"\nreceive_maximum = 32",
        )
        .replace(
            &self.pki.client_cert.display().to_string(),
            &cert.display().to_string(),
        )
        .replace(
            &self.pki.client_key.display().to_string(),
            &key.display().to_string(),
        );
        configs::daemon(
            &self.state_dir(),
            "log_level = \"info,vinstream=debug\"\nshutdown_timeout = \"10s\"",
        ) + &provider
            + configs::STDOUT
    }

    fn v2_daemon(&self) -> Daemon {
        let config = self.v2_config(&self.pki.client_cert, &self.pki.client_key);
        let d = Daemon::start(bin(), &config, self.dir.path());
        d.wait_stderr("subscribed", T);
        d
    }
}

fn message(id: &str, vin: &str, odometer_km: f64) -> Vec<u8> {
    json!({
        "version": 2, "application_id": APP, "message_id": id, "vin": vin,
        "data": {"diagnostics": {"odometer": [{"data": {"unit": "kilometers", "value": odometer_km},
                                                "timestamp": "2026-11-21T10:00:00Z"}]}}
    })
    .to_string()
    .into_bytes()
}

fn without_received_at(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("received_at");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_sample_arrives_as_the_spec_record() {
    let s = BrokerRig::new();
    let d = s.v2_daemon();
    let sample = std::fs::read(format!(
        "{}/tests/fixtures/highmobility_v2/docs_mqtt_v2_example.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    s.publisher().await.publish(TOPIC, &sample).await;
    let records = d.wait_records(1, T);
    let id = "4F02FFB01650060FA8888E5C3ED46FF2A0E4A49EACF1A92E264CD0C137971B28";
    assert_eq!(
        without_received_at(records[0].clone()),
        json!({
            "id": format!("hm:{id}"), "vin": "EXV10000000", "provider": "high_mobility_v2",
            "source": "hm", "message_id": id,
            "signals": [
                {"path":"Vehicle.TraveledDistance","value":19201010,"unit":"m","origin":"diagnostics.odometer"},
                {"path":"Vehicle.CurrentLocation.Altitude","value":63.0,"unit":"m","timestamp":"2025-08-12T16:07:48.000Z","origin":"vehicle_location.altitude"},
                {"path":"Vehicle.CurrentLocation.Latitude","value":11.572,"unit":"degrees","timestamp":"2025-08-12T16:07:48.000Z","origin":"vehicle_location.coordinates"},
                {"path":"Vehicle.CurrentLocation.Longitude","value":8.487,"unit":"degrees","timestamp":"2025-08-12T16:07:48.000Z","origin":"vehicle_location.coordinates"}
            ]
        })
    );
    let received_at = records[0]["received_at"].as_str().unwrap();
    assert!(
        received_at.ends_with('Z') && received_at.len() == 24,
        "{received_at}"
    );
    // stdout carries records only: every line parsed as a record above
    assert!(!d.stderr().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_collapse_and_a_500_message_burst_from_20_vins_arrives_whole() {
    let s = BrokerRig::new();
    let d = s.v2_daemon();
    let p = s.publisher().await;
    p.publish(TOPIC, &message("dup-1", "VIN-DUP", 1.0)).await;
    p.publish(TOPIC, &message("dup-1", "VIN-DUP", 1.0)).await;
    let burst: Vec<(String, Vec<u8>)> = (0..500)
        .map(|i| {
            let vin = format!("VIN{:014}", i % 20);
            (
                TOPIC.to_string(),
                message(&format!("m-{i}"), &vin, i as f64),
            )
        })
        .collect();
    p.publish_all(burst).await;
    let records = d.wait_records(501, T);
    let ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "a record arrived twice");
    assert!(unique.contains("hm:dup-1"));
    let mut per_vin: HashMap<&str, usize> = HashMap::new();
    for r in &records[1..] {
        *per_vin.entry(r["vin"].as_str().unwrap()).or_default() += 1;
    }
    assert_eq!(per_vin.len(), 20);
    assert!(per_vin.values().all(|&n| n == 25));
    // nothing more trickles in (the duplicate stayed a duplicate)
    p.publish(TOPIC, &message("after", "VIN-DUP", 2.0)).await;
    let records = d.wait_records(502, T);
    assert_eq!(records.len(), 502);
    assert_eq!(records[501]["id"], "hm:after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_60_kib_message_arrives() {
    let s = BrokerRig::new();
    let d = s.v2_daemon();
    let mut props = serde_json::Map::new();
    for i in 0..700 {
        props.insert(
            format!("custom_property_{i:04}"),
            json!([{"data": {"unit": "kilometers", "value": i}, "timestamp": "2026-11-21T10:00:00.000Z"}]),
        );
    }
    let payload = json!({"version": 2, "application_id": APP, "message_id": "big", "vin": "BIG",
                         "data": {"diagnostics": props}})
    .to_string();
    assert!(payload.len() >= 60 * 1024, "{}", payload.len());
    s.publisher().await.publish(TOPIC, payload.as_bytes()).await;
    let records = d.wait_records(1, T);
    assert_eq!(records[0]["id"], "hm:big");
    assert_eq!(records[0]["signals"].as_array().unwrap().len(), 700);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_client_certificate_is_refused_and_retried_with_backoff() {
    let s = BrokerRig::new();
    let config = s.v2_config(&s.pki.untrusted_client_cert, &s.pki.untrusted_client_key);
    let mut d = Daemon::start(bin(), &config, s.dir.path());
    d.wait_stderr("connect failed", T);
    // a second attempt comes after a backoff delay, and the daemon is still up
    crate::support::wait::until("a second connect attempt", T, || {
        (d.stderr().matches("connect failed").count() >= 2).then_some(())
    });
    assert!(d.is_running(), "the daemon must keep retrying, not exit");
    let log = d.stderr();
    assert!(
        log.contains("TLS handshake rejected: the broker does not accept our client certificate"),
        "the log should say what is wrong:\n{log}"
    );
    assert!(log.contains("retry_in"), "{log}");
    assert!(!log.contains("subscribed"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_payloads_are_dead_lettered_acked_and_do_not_stop_the_stream() {
    let s = BrokerRig::new();
    let mut d = s.v2_daemon();
    let p = s.publisher().await;
    p.publish(TOPIC, b"not json at all").await;
    p.publish(TOPIC, br#"{"version":2,"message_id":"no-vin","data":{}}"#)
        .await;
    p.publish(TOPIC, br#"[1,2,3]"#).await;
    p.publish(TOPIC, &message("ok-1", "VIN-OK", 5.0)).await;
    let records = d.wait_records(1, T);
    assert_eq!(records[0]["id"], "hm:ok-1");
    let dead = s.state_dir().join("dead-letter.jsonl");
    crate::support::wait::until("three dead letters", T, || {
        let text = std::fs::read_to_string(&dead).ok()?;
        (text.lines().count() == 3).then_some(())
    });
    let letters: Vec<Value> = std::fs::read_to_string(&dead)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(letters[0]["payload"], "not json at all");
    assert_eq!(letters[0]["topic"], TOPIC);
    assert_eq!(letters[0]["source"], "hm");
    assert!(letters[0]["reason"].as_str().unwrap().contains("not JSON"));
    assert!(letters[1]["reason"].as_str().unwrap().contains("vin"));
    d.wait_stderr("malformed payload", T);

    // They were acked: a restart does not bring them back.
    d.sigterm();
    assert_eq!(d.wait_exit(T).map(|s| s.success()), Some(true));
    d.restart();
    d.wait_stderr("subscribed", T);
    p.publish(TOPIC, &message("ok-2", "VIN-OK", 6.0)).await;
    crate::support::wait::until("ok-2 after restart", T, || {
        d.all_records()
            .iter()
            .any(|r| r["id"] == "hm:ok-2")
            .then_some(())
    });
    let text = std::fs::read_to_string(&dead).unwrap();
    assert_eq!(
        text.lines().count(),
        3,
        "a malformed payload was redelivered: not acked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_published_while_stopped_arrive_after_restart() {
    let s = BrokerRig::new();
    let mut d = s.v2_daemon();
    let p = s.publisher().await;
    p.publish(TOPIC, &message("before", "VIN-P", 1.0)).await;
    d.wait_records(1, T);
    d.sigterm();
    assert_eq!(
        d.wait_exit(T).map(|s| s.success()),
        Some(true),
        "SIGTERM exits 0"
    );
    d.wait_stderr("shutdown complete", T);

    let offline: Vec<(String, Vec<u8>)> = (0..50)
        .map(|i| {
            (
                TOPIC.to_string(),
                message(&format!("offline-{i}"), "VIN-P", i as f64),
            )
        })
        .collect();
    p.publish_all(offline).await;

    d.restart();
    let ids: HashSet<String> = crate::support::wait::until("the 50 queued messages", T, || {
        let ids: HashSet<String> = d
            .all_records()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        (ids.len() >= 51).then_some(ids)
    });
    for i in 0..50 {
        assert!(ids.contains(&format!("hm:offline-{i}")), "offline-{i} lost");
    }
    assert!(
        d.stderr().contains("session_present=true"),
        "{}",
        d.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_is_survived_with_resubscription_and_nothing_lost() {
    let mut s = BrokerRig::new();
    let d = s.v2_daemon();
    let p = s.publisher().await;
    p.publish(TOPIC, &message("r-before", "VIN-R", 1.0)).await;
    d.wait_records(1, T);
    p.disconnect().await;

    s.broker.stop();
    d.wait_stderr("connection lost", T);
    s.broker.start_again();
    crate::support::wait::until("resubscribed", T, || {
        (d.stderr().matches("subscribed").count() >= 2).then_some(())
    });
    let p = s.publisher().await;
    for i in 0..20 {
        p.publish(TOPIC, &message(&format!("r-after-{i}"), "VIN-R", i as f64))
            .await;
    }
    let records = d.wait_records(21, T);
    let ids: HashSet<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 21);
    assert!(
        d.stderr().contains("session_present=true"),
        "{}",
        d.stderr()
    );
}
