//! The admin endpoint over real HTTP: metric names and values move, /healthz answers,
//! /readyz flips to 503 when the broker goes away and back to 200 when it returns; and
//! the periodic summary line.

use crate::support::configs;
use crate::support::daemon::Daemon;
use crate::support::metrics::metric;
use crate::support::mosquitto::{free_port, Mosquitto, MosquittoOptions};
use crate::support::pki;
use crate::support::publisher::Publisher;
use crate::support::wait;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const APP: &str = "app-admin";
const TOPIC: &str = "live/level13/app-admin";
const T: Duration = Duration::from_secs(30);

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn get(c: &reqwest::Client, url: &str) -> (u16, String) {
    match c.get(url).send().await {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(_) => (0, String::new()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_health_and_readiness_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::generate(&dir.path().join("pki"));
    let mut broker = Mosquitto::start(&pki, MosquittoOptions::default());
    let admin_port = free_port();
    let config = configs::daemon(
        &dir.path().join("state"),
        &format!("admin_listen = \"127.0.0.1:{admin_port}\"\nsummary_interval = \"1s\""),
    ) + &configs::hm_v2(
        broker.port(),
        &pki,
        APP,
        "vinstream-admin",
        "",
        "keep_alive = \"5s\"\nconnect_timeout = \"2s\"",
    ) + configs::STDOUT;
    let d = Daemon::start(
        Path::new(env!("CARGO_BIN_EXE_vinstream")),
        &config,
        dir.path(),
    );
    let c = http();
    let base = format!("http://127.0.0.1:{admin_port}");
    d.wait_stderr("subscribed", T);
    assert_eq!(get(&c, &format!("{base}/healthz")).await.0, 200);
    wait::until_async("ready", T, || async {
        (get(&c, &format!("{base}/readyz")).await.0 == 200).then_some(())
    })
    .await;

    let p = Publisher::connect_v5(broker.port(), &pki).await;
    let msg = |id: &str| {
        json!({"version": 2, "application_id": APP, "message_id": id, "vin": "V",
               "data": {"diagnostics": {"odometer": [{"data": {"unit": "kilometers", "value": 1}}]},
                        "vehicle_location": {"coordinates": [{"data": {"latitude": 1.0, "longitude": 2.0}}]}}})
        .to_string()
        .into_bytes()
    };
    for id in ["a", "b", "c", "a"] {
        p.publish(TOPIC, &msg(id)).await;
    }
    p.publish(TOPIC, b"garbage").await;
    d.wait_records(3, T);
    let text = wait::until_async("metrics to move", T, || async {
        let (_, text) = get(&c, &format!("{base}/metrics")).await;
        (metric(&text, "vinstream_messages_malformed_total{source=\"hm\"}") == Some(1.0))
            .then_some(text)
    })
    .await;
    assert_eq!(
        metric(&text, "vinstream_messages_received_total{source=\"hm\"}"),
        Some(5.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "vinstream_messages_duplicate_total{source=\"hm\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&text, "vinstream_signals_total{source=\"hm\"}"),
        Some(9.0)
    );
    assert_eq!(
        metric(&text, "vinstream_records_delivered_total{sink=\"console\"}"),
        Some(3.0)
    );
    assert_eq!(
        metric(&text, "vinstream_provider_connected{source=\"hm\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&text, "vinstream_end_to_end_seconds_count"),
        Some(3.0)
    );
    assert!(metric(&text, "vinstream_process_resident_memory_bytes").unwrap() > 1e6);
    assert_eq!(
        metric(&text, "vinstream_sink_errors_total{sink=\"console\"}"),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "vinstream_sink_buffer_bytes{sink=\"console\"}"),
        Some(0.0)
    );

    // The broker goes away: not ready, and the body says which provider.
    p.disconnect().await;
    broker.stop();
    let body = wait::until_async("503 while the broker is down", T, || async {
        let (code, body) = get(&c, &format!("{base}/readyz")).await;
        (code == 503).then_some(body)
    })
    .await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["ready"], false);
    assert!(v["providers"]["hm"].is_string(), "{v}");
    assert_eq!(
        get(&c, &format!("{base}/healthz")).await.0,
        200,
        "healthz stays 200"
    );
    broker.start_again();
    wait::until_async("200 when it is back", T, || async {
        (get(&c, &format!("{base}/readyz")).await.0 == 200).then_some(())
    })
    .await;
    d.wait_stderr("summary: providers [hm", T);
}
