//! SIGHUP reload: a changed sink takes effect, unchanged providers keep running, a
//! changed provider restarts, and an invalid config is refused while the old one runs.

use crate::support::configs;
use crate::support::daemon::Daemon;
use crate::support::mosquitto::{Mosquitto, MosquittoOptions};
use crate::support::pki;
use crate::support::publisher::Publisher;
use crate::support::wait;
use serde_json::json;
use std::path::Path;
use std::time::Duration;

const APP: &str = "app-reload";
const TOPIC: &str = "live/level13/app-reload";
const T: Duration = Duration::from_secs(30);

fn lines(p: &Path) -> usize {
    std::fs::read_to_string(p)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_changed_parts_and_refuses_an_invalid_config() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::generate(&dir.path().join("pki"));
    let broker = Mosquitto::start(&pki, MosquittoOptions::default());
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    let config = |file: &Path, keep_alive: &str| {
        configs::daemon(&dir.path().join("state"), "")
            + &configs::hm_v2(
                broker.port(),
                &pki,
                APP,
                "vinstream-reload",
                "",
                &format!("keep_alive = \"{keep_alive}\""),
            )
            + configs::STDOUT
            + &format!(
                "\n[sinks.archive]\ntype = \"file\"\npath = \"{}\"\n",
                file.display()
            )
    };
    let d = Daemon::start(
        Path::new(env!("CARGO_BIN_EXE_vinstream")),
        &config(&a, "30s"),
        dir.path(),
    );
    d.wait_stderr("subscribed", T);
    let p = Publisher::connect_v5(broker.port(), &pki).await;
    let msg = |i: usize| {
        json!({"version": 2, "application_id": APP, "message_id": format!("r{i}"), "vin": "V",
               "data": {"diagnostics": {"odometer": [{"data": {"unit": "kilometers", "value": i}}]}}})
        .to_string()
        .into_bytes()
    };
    p.publish(TOPIC, &msg(1)).await;
    wait::until_async_sync("a.jsonl", T, || (lines(&a) == 1).then_some(())).await;

    // A changed sink takes effect; the unchanged provider is not restarted.
    d.write_config(&config(&b, "30s"));
    d.sighup();
    d.wait_stderr("configuration reloaded", T);
    p.publish(TOPIC, &msg(2)).await;
    wait::until_async_sync("b.jsonl", T, || (lines(&b) == 1).then_some(())).await;
    assert_eq!(lines(&a), 1, "the old sink got records after the reload");
    assert_eq!(
        d.stderr()
            .matches("starting High Mobility V2 provider")
            .count(),
        1
    );

    // An invalid config is refused; the old one keeps running.
    d.write_config(
        &config(&b, "30s").replace("[sinks.console]", "[sinks.console]\ncolour = \"blue\""),
    );
    d.sighup();
    d.wait_stderr(
        "the new configuration is invalid; still running the previous one",
        T,
    );
    assert!(
        d.stderr().contains("sinks.console.colour"),
        "{}",
        d.stderr()
    );
    p.publish(TOPIC, &msg(3)).await;
    wait::until_async_sync("b.jsonl after the refused reload", T, || {
        (lines(&b) == 2).then_some(())
    })
    .await;

    // A changed provider restarts, and messages keep flowing.
    d.write_config(&config(&b, "20s"));
    d.sighup();
    wait::until_async_sync("the provider restart", T, || {
        (d.stderr()
            .matches("starting High Mobility V2 provider")
            .count()
            == 2
            && d.stderr().matches("subscribed").count() >= 2)
            .then_some(())
    })
    .await;
    p.publish(TOPIC, &msg(4)).await;
    wait::until_async_sync("b.jsonl after the provider restart", T, || {
        (lines(&b) == 3).then_some(())
    })
    .await;
    let records = d.wait_records(4, T);
    assert_eq!(records.len(), 4, "stdout got every record once");
}
