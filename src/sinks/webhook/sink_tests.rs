//! Unit tests of the sink as the pipeline sees it: config checks, backpressure through
//! `accept`, `problem`, `buffer_bytes`, `close`, and a restart on the same spool.

use super::build;
use super::config::{Compression, WebhookSinkConfig};
use crate::config::values::{ByteSize, Duration as ConfigDuration};
use crate::record::{testing, Record};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn config(url: &str) -> WebhookSinkConfig {
    WebhookSinkConfig {
        kind: "webhook".into(),
        url: url.into(),
        headers: BTreeMap::new(),
        secret: None,
        batch_max_events: 10,
        batch_timeout: ConfigDuration(Duration::from_millis(50)),
        buffer_max_bytes: ByteSize(16 * 1024),
        rejected_max_bytes: ByteSize(64 << 20),
        compression: Compression::None,
        timeout: ConfigDuration(Duration::from_secs(2)),
        ca_file: None,
        server_name: None,
    }
}

fn record(i: usize) -> Arc<Record> {
    Arc::new(testing::record("VIN1", &format!("m-{i:04}"), vec![]))
}

/// A local port nobody listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn segment_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum()
}

async fn build_err(c: &WebhookSinkConfig) -> String {
    match build("hook", c, Path::new("/nonexistent")).await {
        Ok(_) => panic!("build accepted {c:?}"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn bad_settings_are_refused_without_echoing_header_values() {
    let ok = config("http://127.0.0.1:9/ingest");
    let e = build_err(&WebhookSinkConfig {
        batch_max_events: 0,
        ..ok.clone()
    })
    .await;
    assert!(e.contains("batch_max_events"), "{e}");
    assert!(build_err(&config("ftp://example.com/x"))
        .await
        .contains("scheme"));
    assert!(build_err(&config("not a url")).await.contains("url"));
    let e = build_err(&WebhookSinkConfig {
        secret: Some(String::new().into()),
        ..ok.clone()
    })
    .await;
    assert!(e.contains("secret"), "{e}");
    for (name, value, says) in [
        ("Bad Name", "x", "header name"),
        ("Content-Type", "text/plain", "set by the sink"),
        ("X-Vinstream-Signature", "forged", "set by the sink"),
        ("Authorization", "Bearer top-secret\n", "header value"),
    ] {
        let mut c = ok.clone();
        c.headers.insert(name.into(), value.into());
        let e = build_err(&c).await;
        assert!(e.contains(says), "{name}: {e}");
        assert!(!e.contains("top-secret"), "the value leaked: {e}");
    }
}

/// Accepts every POST and counts the records it got.
async fn counting_endpoint() -> (String, Arc<Mutex<Vec<String>>>) {
    use axum::routing::post;
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/ingest",
        post(move |body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                let v: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
                let mut seen = seen.lock().unwrap();
                seen.extend(v.iter().map(|r| r["id"].as_str().unwrap().to_string()));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://127.0.0.1:{port}/ingest"), got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_spool_refuses_batches_reports_it_and_is_drained_after_a_restart() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let state = tempfile::tempdir().unwrap();
    let spool_dir = state.path().join("sinks/hook");
    let down = config(&format!("http://127.0.0.1:{}/ingest", closed_port()));
    let sink = build("hook", &down, state.path()).await.unwrap();
    let mut taken = 0;
    let refusal = loop {
        let batch: Vec<_> = (taken..taken + 5).map(record).collect();
        match sink.accept(&batch).await {
            Ok(()) => taken += 5,
            Err(e) => break e.to_string(),
        }
        assert!(taken < 10_000, "never refused");
    };
    assert!(refusal.contains("spool full"), "{refusal}");
    let problem = sink.problem().expect("a full spool is a problem");
    assert!(problem.contains("spool full"), "{problem}");
    assert_eq!(sink.buffer_bytes(), segment_bytes(&spool_dir));
    assert!(sink.buffer_bytes() <= 16 * 1024);
    let started = Instant::now();
    sink.close().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "close waited too long"
    );
    drop(sink);

    // Same state dir, the endpoint is up now: the spool is sent, then accepting resumes.
    let (url, got) = counting_endpoint().await;
    let sink = build("hook", &config(&url), state.path()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.lock().unwrap().len() < taken {
        assert!(Instant::now() < deadline, "spool not drained");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sink.accept(&[record(taken)]).await.unwrap();
    assert!(sink.problem().is_none());
    sink.close().await.unwrap();
    let got = got.lock().unwrap().clone();
    let want: Vec<String> = (0..=taken).map(|i| record(i).id.clone()).collect();
    assert_eq!(got, want, "every record once, in order");
    assert_eq!(sink.buffer_bytes(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_hands_the_spool_over_once_the_old_instance_closes() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let state = tempfile::tempdir().unwrap();
    let down = config(&format!("http://127.0.0.1:{}/ingest", closed_port()));
    let old = build("hook", &down, state.path()).await.unwrap();
    old.accept(&(0..5).map(record).collect::<Vec<_>>())
        .await
        .unwrap();
    // The reload builds the new instance while the old one still owns the spool.
    let (url, got) = counting_endpoint().await;
    let new = build("hook", &config(&url), state.path()).await.unwrap();
    let waiting = new.problem().expect("not ready before the hand-over");
    assert!(waiting.contains("hand over"), "{waiting}");
    let accepting = {
        let new = new.clone();
        tokio::spawn(async move { new.accept(&[record(5)]).await })
    };
    let mut accepting = accepting;
    assert!(
        tokio::time::timeout(Duration::from_millis(100), &mut accepting)
            .await
            .is_err(),
        "took records while the old one owned the spool"
    );
    old.close().await.unwrap();
    accepting.await.unwrap().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.lock().unwrap().len() < 6 {
        assert!(
            Instant::now() < deadline,
            "spool not drained: {:?}",
            got.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(new.problem().is_none());
    new.close().await.unwrap();
    let want: Vec<String> = (0..6).map(|i| record(i).id.clone()).collect();
    assert_eq!(*got.lock().unwrap(), want, "every record once, in order");
}
