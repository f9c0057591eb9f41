//! Delivery through outages, signatures and gzip, timeouts, Retry-After, refusals.

use super::{hmac_hex, ids, rejected_lines, wait_spool_empty, Setup, SECRET, T, TOKEN};
use crate::support::http_server::{check_batches, summary, Mode};
use crate::support::wait;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_bridged_in_order_once_per_batch_id_signed_and_gzipped() {
    let s = Setup::new().await;
    let d = s.daemon(
        r#"secret = "${HOOK_SECRET}"
headers = { Authorization = "Bearer ${HOOK_TOKEN}", X-Tenant = "fleet-7" }
compression = "gzip"
batch_max_events = 25
batch_timeout = "200ms""#,
    );
    s.publish(0..20).await;
    s.server.wait_delivered(20, T).await;

    s.server.set_mode(Mode::Status(503));
    s.publish(20..220).await;
    s.server
        .wait_requests("three 503s", T, |r| {
            r.iter().filter(|r| r.status == Some(503)).count() >= 3
        })
        .await;
    s.server.set_mode(Mode::Ok);
    let requests = s.server.wait_delivered(220, T).await;

    // every record once after dedup by batch id, in the order published
    assert_eq!(
        check_batches(&requests),
        ids(0..220),
        "{}",
        summary(&requests)
    );
    for r in &requests {
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(r.header("x-tenant"), Some("fleet-7"));
        assert_eq!(
            r.header("x-vinstream-signature"),
            Some(hmac_hex(&r.raw).as_str())
        );
        assert!(r.raw.starts_with(&[0x1f, 0x8b]), "the body is gzip");
        assert!(r.records().len() <= 25);
        assert_eq!(r.records()[0]["provider"], "high_mobility_v2");
    }
    wait_spool_empty(&s).await;
    let log = d.stderr();
    assert_eq!(log.matches("webhook endpoint failing").count(), 1, "{log}");
    assert_eq!(
        log.matches("webhook endpoint recovered").count(),
        1,
        "{log}"
    );
    assert!(
        !log.contains(SECRET) && !log.contains(TOKEN),
        "a secret was logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_endpoint_times_out_and_429_retry_after_is_honoured() {
    let s = Setup::new().await;
    let _d = s.daemon(
        r#"timeout = "1s"
batch_max_events = 100
batch_timeout = "300ms""#,
    );
    s.server.set_mode(Mode::Hang);
    s.publish(0..10).await;
    let hung = s
        .server
        .wait_requests("two unanswered attempts", T, |r| r.len() >= 2)
        .await;
    assert!(
        hung[1].at - hung[0].at >= Duration::from_secs(1),
        "retried before the 1 s timeout"
    );

    s.server.set_mode(Mode::TooMany { retry_after: 1 });
    let requests = s
        .server
        .wait_requests("three 429s", T, |r| {
            r.iter().filter(|r| r.status == Some(429)).count() >= 3
        })
        .await;
    let answered: Vec<Instant> = requests
        .iter()
        .filter(|r| r.status == Some(429))
        .map(|r| r.at)
        .collect();
    for pair in answered.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_secs(1),
            "came back after {gap:?} despite Retry-After: 1"
        );
    }

    s.server.set_mode(Mode::Ok);
    let requests = s.server.wait_delivered(10, T).await;
    assert_eq!(check_batches(&requests), ids(0..10));
    let first = requests[0].batch_id.clone();
    let before_success: Vec<_> = requests.iter().take_while(|r| !r.delivered()).collect();
    assert!(before_success.len() >= 5);
    assert!(
        before_success.iter().all(|r| r.batch_id == first),
        "a retried batch keeps its id"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_refused_with_400_goes_to_rejected_jsonl_and_later_records_flow() {
    let s = Setup::new().await;
    let d = s.daemon(
        r#"batch_max_events = 50
batch_timeout = "300ms""#,
    );
    s.server.set_mode(Mode::Status(400));
    s.publish(0..5).await;
    let rejected = wait::until_async_sync("5 rejected records", T, || {
        let lines = rejected_lines(&s);
        let n: usize = lines
            .iter()
            .map(|l| l["records"].as_array().unwrap().len())
            .sum();
        (n >= 5).then_some(lines)
    })
    .await;
    let requests = s.server.requests();
    let mut rejected_ids = Vec::new();
    for line in &rejected {
        assert_eq!(line["sink"], "hook");
        assert_eq!(line["status"], 400);
        assert_eq!(line["response"], "refused with 400");
        let batch = line["batch_id"].as_str().unwrap();
        let sent: Vec<_> = requests
            .iter()
            .filter(|r| r.batch_id.as_deref() == Some(batch))
            .collect();
        assert_eq!(sent.len(), 1, "a 400 is not retried");
        assert_eq!(&sent[0].records(), line["records"].as_array().unwrap());
        for r in line["records"].as_array().unwrap() {
            rejected_ids.push(r["id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(rejected_ids, ids(0..5));

    s.server.set_mode(Mode::Ok);
    s.publish(5..10).await;
    let requests = s.server.wait_delivered(5, T).await;
    assert_eq!(check_batches(&requests), ids(5..10));
    d.wait_stderr("rejected a batch", T);
    wait_spool_empty(&s).await;
}

/// Issue 19 item 4: a 401 (wrong credentials) is not a refusal of the batch: it stays in
/// the spool, /readyz says why, and once the endpoint takes the credentials it goes out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_keeps_the_batch_reports_not_ready_and_delivers_once_fixed() {
    let s = Setup::new().await;
    let _d = s.daemon(
        r#"batch_max_events = 50
batch_timeout = "200ms""#,
    );
    s.server.set_mode(Mode::Status(401));
    s.publish(0..10).await;
    s.server
        .wait_requests("three 401s", T, |r| {
            r.iter().filter(|r| r.status == Some(401)).count() >= 3
        })
        .await;
    let (status, body) = wait::until_async("/readyz not ready", T, || async {
        let (status, body) = s.readyz().await;
        (status == 503).then_some((status, body))
    })
    .await;
    assert_eq!(status, 503);
    assert!(
        body.contains("hook") && body.contains("401"),
        "readyz names the sink and the status: {body}"
    );
    assert!(rejected_lines(&s).is_empty(), "a 401 is not a rejection");
    let first = s.server.requests()[0].batch_id.clone();
    assert!(
        s.server.requests().iter().all(|r| r.batch_id == first),
        "the same batch is retried"
    );

    s.server.set_mode(Mode::Ok);
    let requests = s.server.wait_delivered(10, T).await;
    assert_eq!(check_batches(&requests), ids(0..10));
    wait::until_async("/readyz ready again", T, || async {
        (s.readyz().await.0 == 200).then_some(())
    })
    .await;
    assert!(rejected_lines(&s).is_empty(), "nothing in rejected.jsonl");
    assert!(!s.spool_dir().join("rejected.jsonl").exists());
    assert_eq!(s.metric("vinstream_sink_rejected_total").await, Some(0));
    wait_spool_empty(&s).await;
}

/// rejected.jsonl (with rejected.jsonl.1) stays under rejected_max_bytes; every rejected
/// batch is counted in /metrics, which shows the counters at 0 from the start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_jsonl_is_bounded_and_rejections_are_counted_in_metrics() {
    let s = Setup::new().await;
    let _d = s.daemon(
        r#"batch_max_events = 1
batch_timeout = "50ms"
rejected_max_bytes = "4KiB""#,
    );
    let at_start = wait::until_async("/metrics", T, || async {
        s.metric("vinstream_sink_rejected_total").await
    })
    .await;
    assert_eq!(at_start, 0, "the counter is there from the start, at 0");
    assert_eq!(
        s.metric("vinstream_sink_rejected_dropped_total").await,
        Some(0)
    );

    s.server.set_mode(Mode::Status(400));
    s.publish(0..30).await;
    let rejected = wait::until_async("30 rejected batches counted", T, || async {
        s.metric("vinstream_sink_rejected_total")
            .await
            .filter(|&n| n >= 30)
    })
    .await;
    assert_eq!(rejected, 30, "one batch per record");
    let dropped = s
        .metric("vinstream_sink_rejected_dropped_total")
        .await
        .unwrap();
    assert!(dropped > 0, "4 KiB cannot hold 30 batches");
    let file = |n: &str| std::fs::metadata(s.spool_dir().join(n)).map_or(0, |m| m.len());
    let total = file("rejected.jsonl") + file("rejected.jsonl.1");
    assert!(total <= 4096, "{total} bytes of rejected batches");
    let kept = std::fs::read_to_string(s.spool_dir().join("rejected.jsonl.1"))
        .unwrap_or_default()
        .lines()
        .count()
        + rejected_lines(&s).len();
    assert_eq!(
        kept as u64 + dropped,
        30,
        "each rejected batch kept or counted"
    );
    let newest = rejected_lines(&s).pop().unwrap();
    assert_eq!(
        newest["records"][0]["id"], "hm:msg-00029",
        "the newest are kept"
    );
}
