//! High Mobility MQTT V1 end to end: MQTT 3.1.1, mutual TLS, one topic per property,
//! persistent session, and the one-connection-per-client-id rule.

use crate::support::daemon::Daemon;
use crate::support::mosquitto::{Mosquitto, MosquittoOptions};
use crate::support::pki::{self, Pki};
use crate::support::publisher::Publisher;
use crate::support::wait;
use serde_json::json;
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

const APP: &str = "9FBBEDED80595912588FF4FF";
const T: Duration = Duration::from_secs(20);

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_vinstream"))
}

fn config(state: &Path, port: u16, pki: &Pki, client_id: &str) -> String {
    format!(
        r#"
[daemon]
state_dir = "{state}"

[providers.legacy]
type = "high_mobility_v1"
host = "localhost"
port = {port}
environment = "live"
application_id = "{APP}"
ca_file = "{ca}"
cert_file = "{cert}"
key_file = "{key}"
client_id = "{client_id}"

[sinks.console]
type = "stdout"
"#,
        state = state.display(),
        ca = pki.ca.display(),
        cert = pki.client_cert.display(),
        key = pki.client_key.display(),
    )
}

fn v1_message(
    id: &str,
    vin: &str,
    capability: &str,
    property: &str,
    entry: serde_json::Value,
) -> (String, Vec<u8>) {
    let topic = format!("live/level13/{APP}/{vin}/{capability}/get/{property}");
    let payload = json!({
        "message_id": id, "version": 1, "vin": vin, "capability": capability, "property": property,
        "timestamp": "2026-11-21T10:00:00Z",
        "data": {capability: {property: entry}}
    });
    (topic, payload.to_string().into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_messages_per_property_topic_arrive_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::generate(&dir.path().join("pki"));
    let broker = Mosquitto::start(&pki, MosquittoOptions::default());
    let cfg = config(
        &dir.path().join("state"),
        broker.port(),
        &pki,
        "75374841-d7a5-4db7-b9b5-8a5f60eed79d",
    );
    let mut d = Daemon::start(bin(), &cfg, dir.path());
    d.wait_stderr("subscribed", T);
    let p = Publisher::connect_v4(broker.port(), &pki).await;

    let (topic, payload) = v1_message(
        "odo-1",
        "VFXXXXXXXXXXXXXXX",
        "diagnostics",
        "odometer",
        json!({"data": {"unit": "kilometers", "value": 100}, "timestamp": "2026-11-21T09:59:00.1Z"}),
    );
    p.publish(&topic, &payload).await;
    let (topic, payload) = v1_message(
        "tires-1",
        "VFXXXXXXXXXXXXXXX",
        "diagnostics",
        "tire_pressures",
        json!([{"data": {"location": "front_left", "pressure": {"unit": "bars", "value": 2.5}}},
               {"data": {"location": "rear_right", "pressure": {"unit": "pounds_force_per_square_inch", "value": 33}}}]),
    );
    p.publish(&topic, &payload).await;
    let records = d.wait_records(2, T);
    assert_eq!(records[0]["provider"], "high_mobility_v1");
    assert_eq!(records[0]["source"], "legacy");
    assert_eq!(records[0]["id"], "hm:odo-1");
    assert_eq!(
        records[0]["signals"][0],
        json!({"path": "Vehicle.TraveledDistance", "value": 100000, "unit": "m",
               "timestamp": "2026-11-21T09:59:00.100Z", "origin": "diagnostics.odometer"})
    );
    assert_eq!(
        records[1]["signals"][0]["path"],
        "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure"
    );
    assert_eq!(records[1]["signals"][0]["value"], json!(250));
    assert_eq!(records[1]["signals"][1]["value"], json!(228));
    assert_eq!(
        records[1]["signals"][1]["origin"],
        "diagnostics.tire_pressures[rear_right]"
    );

    // Persistent session: published while stopped, delivered after the restart.
    d.sigterm();
    assert_eq!(d.wait_exit(T).map(|s| s.success()), Some(true));
    let offline: Vec<(String, Vec<u8>)> = (0..30)
        .map(|i| {
            v1_message(
                &format!("off-{i}"),
                &format!("VIN{i:02}"),
                "charging",
                "battery_level",
                json!({"data": 0.5}),
            )
        })
        .collect();
    p.publish_all(offline).await;
    d.restart();
    let ids: HashSet<String> = wait::until("30 queued V1 messages", T, || {
        let ids: HashSet<String> = d
            .all_records()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        (ids.len() >= 32).then_some(ids)
    });
    assert!((0..30).all(|i| ids.contains(&format!("hm:off-{i}"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_that_disagrees_with_the_payload_is_logged_and_the_payload_wins() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::generate(&dir.path().join("pki"));
    let broker = Mosquitto::start(&pki, MosquittoOptions::default());
    let cfg = config(&dir.path().join("state"), broker.port(), &pki, "cert-a");
    let d = Daemon::start(bin(), &cfg, dir.path());
    d.wait_stderr("subscribed", T);
    let p = Publisher::connect_v4(broker.port(), &pki).await;
    // HM's own demo data: topic says theft_alarm, payload says thief_alarm.
    let payload = std::fs::read(format!(
        "{}/tests/fixtures/highmobility_v1/explorer_QUIRK_theft_alarm_status.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    p.publish(
        &format!("live/level13/{APP}/1GCRCSEA4CZ1397/theft_alarm/get/status"),
        &payload,
    )
    .await;
    let records = d.wait_records(1, T);
    assert_eq!(records[0]["signals"][0]["origin"], "thief_alarm.status");
    assert_eq!(records[0]["signals"][0]["value"], "triggered");
    d.wait_stderr("topic and payload name different", T);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_with_one_client_id_are_reported_as_a_session_takeover() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::generate(&dir.path().join("pki"));
    let broker = Mosquitto::start(&pki, MosquittoOptions::default());
    let a_dir = dir.path().join("a");
    let b_dir = dir.path().join("b");
    std::fs::create_dir_all(&a_dir).unwrap();
    std::fs::create_dir_all(&b_dir).unwrap();
    let a = Daemon::start(
        bin(),
        &config(&a_dir.join("state"), broker.port(), &pki, "same-cert"),
        &a_dir,
    );
    a.wait_stderr("subscribed", T);
    let b = Daemon::start(
        bin(),
        &config(&b_dir.join("state"), broker.port(), &pki, "same-cert"),
        &b_dir,
    );
    let needle = "another client is probably connected with the same client id";
    wait::until("a takeover report", Duration::from_secs(60), || {
        (a.stderr().contains(needle) || b.stderr().contains(needle)).then_some(())
    });
}
