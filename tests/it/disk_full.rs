//! A full disk under `state_dir` (a real tmpfs filled to the last byte): the dead letter
//! cannot be written, so its ack and everything behind it wait; `/readyz` says why; when
//! space returns the daemon resumes by itself, and nothing is lost, repeated or torn.

use crate::support::configs;
use crate::support::daemon::Daemon;
use crate::support::mosquitto::{free_port, Mosquitto, MosquittoOptions};
use crate::support::pki;
use crate::support::publisher::Publisher;
use crate::support::smallfs::SmallFs;
use crate::support::wait;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const APP: &str = "app-disk";
const TOPIC: &str = "live/level13/app-disk";
const T: Duration = Duration::from_secs(30);

fn message(id: &str) -> Vec<u8> {
    json!({"version": 2, "application_id": APP, "message_id": id, "vin": "WVWZZZ1JZXW000001",
           "data": {"diagnostics": {"odometer": [{"data": {"unit": "kilometers", "value": 1}}]}}})
    .to_string()
    .into_bytes()
}

async fn readyz(c: &reqwest::Client, base: &str) -> (u16, Value) {
    match c.get(format!("{base}/readyz")).send().await {
        Ok(r) => {
            let code = r.status().as_u16();
            (code, r.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

/// A daemon whose `state_dir` is a small tmpfs, an HM V2 provider on a real Mosquitto,
/// `sinks` as given, and its admin endpoint; started, subscribed and ready.
struct DiskRig {
    _dir: tempfile::TempDir,
    _broker: Mosquitto,
    fs: SmallFs,
    d: Daemon,
    p: Publisher,
    c: reqwest::Client,
    base: String,
}

impl DiskRig {
    async fn start(session: &str, sinks: &str) -> DiskRig {
        let dir = tempfile::tempdir().unwrap();
        let pki = pki::generate(&dir.path().join("pki"));
        let broker = Mosquitto::start(&pki, MosquittoOptions::default());
        let fs = SmallFs::mount(&dir.path().join("state"), "8m");
        let admin_port = free_port();
        let config = configs::daemon(
            fs.path(),
            &format!("admin_listen = \"127.0.0.1:{admin_port}\""),
        ) + &configs::hm_v2(broker.port(), &pki, APP, session, "", "")
            + sinks;
        let d = Daemon::start(
            Path::new(env!("CARGO_BIN_EXE_vinstream")),
            &config,
            dir.path(),
        );
        let _ = rustls::crypto::ring::default_provider().install_default();
        let c = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{admin_port}");
        d.wait_stderr("subscribed", T);
        wait::until_async("ready", T, || async {
            (readyz(&c, &base).await.0 == 200).then_some(())
        })
        .await;
        let p = Publisher::connect_v5(broker.port(), &pki).await;
        DiskRig {
            _dir: dir,
            _broker: broker,
            fs,
            d,
            p,
            c,
            base,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_holds_the_acks_reports_not_ready_and_resumes_losing_nothing() {
    let rig = DiskRig::start("vinstream-disk", configs::STDOUT).await;
    let DiskRig {
        fs, d, p, c, base, ..
    } = &rig;
    p.publish(TOPIC, &message("before")).await;
    d.wait_records_async(1, T).await;

    fs.fill();
    p.publish(TOPIC, b"not json").await;
    p.publish(TOPIC, &message("behind")).await;
    let body = wait::until_async("not ready for the dead letter", T, || async {
        let (code, body) = readyz(c, base).await;
        (code == 503 && body["state"]["dead_letter"].is_string()).then_some(body)
    })
    .await;
    let problem = body["state"]["dead_letter"].as_str().unwrap();
    assert!(problem.contains("No space left"), "{body}");
    d.wait_stderr("cannot write the dead letter; holding the acks", T);
    // The record queued behind the dead letter waits with it.
    assert_eq!(d.record_count(), 1, "{:?}", d.records());

    fs.free();
    let records = d.wait_records_async(2, T).await;
    assert_eq!(records[1]["message_id"], "behind");
    wait::until_async("ready again", T, || async {
        (readyz(c, base).await.0 == 200).then_some(())
    })
    .await;
    let letters = std::fs::read_to_string(fs.path().join("dead-letter.jsonl")).unwrap();
    let lines: Vec<Value> = letters
        .lines()
        .map(|l| serde_json::from_str(l).expect("whole lines only"))
        .collect();
    assert_eq!(lines.len(), 1, "{letters}");
    assert_eq!(lines[0]["payload"], "not json");
    assert_eq!(d.record_count(), 2);
}

/// The webhook spool and the dedup store on a full disk: the spool append fails, so the
/// batch is not accepted and its acks wait; `/readyz` names the sink; once space
/// returns every record reaches the endpoint once.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_under_the_webhook_spool_holds_the_acks_and_resumes() {
    use crate::support::http_server::HttpServer;
    let server = HttpServer::start().await;
    let hook = format!(
        "\n[sinks.hook]\ntype = \"webhook\"\nurl = \"{}\"\nbatch_timeout = \"50ms\"\n",
        server.url()
    );
    let rig = DiskRig::start("vinstream-disk-hook", &hook).await;
    let DiskRig {
        fs, d, p, c, base, ..
    } = &rig;
    p.publish(TOPIC, &message("w0")).await;
    server.wait_delivered(1, T).await;

    fs.fill();
    for i in 1..=5 {
        p.publish(TOPIC, &message(&format!("w{i}"))).await;
    }
    let deadline = std::time::Instant::now() + T;
    let body = loop {
        let (code, body) = readyz(c, base).await;
        if code == 503 && body["sinks"]["hook"].is_string() {
            break body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "/readyz does not name the webhook sink: {body}; log:\n{}",
            d.stderr_tail(30)
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(body.to_string().contains("No space left"), "{body}");
    assert_eq!(
        server.delivered_ids().len(),
        1,
        "nothing past the full spool"
    );

    fs.free();
    server.wait_delivered(6, T).await;
    let ids = server.delivered_ids();
    for i in 0..=5 {
        assert!(ids.contains(&format!("hm:w{i}")), "w{i}: {ids:?}");
    }
    // one batch id per record, and each record in one delivered batch only
    let delivered = crate::support::http_server::check_batches(&server.requests());
    assert_eq!(delivered.len(), 6, "{delivered:?}");
    wait::until_async("ready again", T, || async {
        (readyz(c, base).await.0 == 200).then_some(())
    })
    .await;
}

/// The dedup store on a full disk: records still reach a sink that needs no disk (they
/// are delivered, so acking them loses nothing; a provider repeat could be a duplicate),
/// `/readyz` reports `state.dedup` until a commit succeeds again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_under_the_dedup_store_is_reported_and_records_still_flow() {
    let rig = DiskRig::start("vinstream-disk-dedup", configs::STDOUT).await;
    let DiskRig {
        fs, d, p, c, base, ..
    } = &rig;
    fs.fill();
    for i in 0..20 {
        p.publish(TOPIC, &message(&format!("d{i}"))).await;
    }
    d.wait_records_async(20, T).await;
    let body = wait::until_async("/readyz to report the dedup store", T, || async {
        let (code, body) = readyz(c, base).await;
        (code == 503 && body["state"]["dedup"].is_string()).then_some(body)
    })
    .await;
    assert!(body.to_string().contains("No space left"), "{body}");
    fs.free();
    p.publish(TOPIC, &message("after")).await;
    d.wait_records_async(21, T).await;
    wait::until_async("ready once a commit succeeds", T, || async {
        (readyz(c, base).await.0 == 200).then_some(())
    })
    .await;
}
