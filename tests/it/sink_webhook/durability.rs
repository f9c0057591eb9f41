//! What survives: SIGKILL with a spooled backlog, a full spool, a restart (HTTPS).

use super::{ids, wait_spool_empty, Setup, T};
use crate::support::http_server::{check_batches, summary, tls_front, Mode};
use crate::support::wait;
use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spooled_backlog_survives_sigkill_and_is_delivered_after_restart() {
    let s = Setup::new().await;
    let mut d = s.daemon(
        r#"batch_max_events = 100
batch_timeout = "200ms""#,
    );
    s.server.set_mode(Mode::Status(503));
    s.publish(0..500).await;
    // acked to the broker = durably in the spool
    wait::until_async_sync("500 acks from the daemon", T, || {
        (s.acks() >= 500).then_some(())
    })
    .await;
    let tried = s
        .server
        .wait_requests("an attempt at the first batch", T, |r| !r.is_empty())
        .await;
    let in_flight = tried[0].batch_id.clone().unwrap();
    assert!(
        s.spool_bytes() > 500 * 200,
        "{} bytes spooled",
        s.spool_bytes()
    );
    d.kill();

    s.server.set_mode(Mode::Ok);
    d.restart();
    let requests = s.server.wait_delivered(500, T).await;
    assert_eq!(
        check_batches(&requests),
        ids(0..500),
        "{}",
        summary(&requests)
    );
    let resent = requests
        .iter()
        .find(|r| r.delivered() && r.batch_id.as_deref() == Some(in_flight.as_str()));
    assert!(
        resent.is_some(),
        "the batch in flight at the kill is resent under its id"
    );
    wait_spool_empty(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_spool_holds_the_acks_and_resumes_when_the_endpoint_returns() {
    const LIMIT: u64 = 64 * 1024;
    let s = Setup::new().await;
    let d = s.daemon(
        r#"buffer_max_bytes = "64KiB"
batch_max_events = 50
batch_timeout = "200ms""#,
    );
    s.server.set_mode(Mode::Status(503));
    // ~320 KB of records: five times what the spool may hold
    s.publish(0..600).await;
    d.wait_stderr("webhook spool full", T);

    // While full: the spool stays within its limit and the daemon acks nothing more
    // (the acks of the last batch it took may still be on their way for a moment).
    let started = Instant::now();
    let mut max_spool = 0;
    let mut acks_at_1s = None;
    wait::until_async_sync("the observation window", Duration::from_secs(10), || {
        max_spool = max_spool.max(s.spool_bytes());
        if started.elapsed() >= Duration::from_secs(1) && acks_at_1s.is_none() {
            acks_at_1s = Some(s.acks());
        }
        (started.elapsed() >= Duration::from_secs(3)).then_some(())
    })
    .await;
    assert!(max_spool <= LIMIT, "spool grew to {max_spool} bytes");
    // (a pipeline batch that does not fit is refused whole, so "full" may be well below)
    assert!(max_spool > 0, "nothing was spooled");
    let acks_when_full = acks_at_1s.unwrap();
    let acks = s.acks();
    assert_eq!(
        acks, acks_when_full,
        "acks went on while the spool was full"
    );
    assert!(
        acks < 600,
        "everything was acked ({acks}) though the spool holds a fraction"
    );
    // /metrics shows the spool's size, /readyz says the sink cannot take records
    let shown = wait::until_async("the buffer gauge to show the spool", T, || async {
        s.buffer_metric().await.filter(|&b| b > 0)
    })
    .await;
    assert!(shown <= LIMIT, "vinstream_sink_buffer_bytes = {shown}");
    let (status, body) = s.readyz().await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("spool full"), "{body}");
    let rss = d.rss_kib().unwrap_or(0);
    assert!(rss < 128 * 1024, "daemon uses {rss} KiB");

    s.server.set_mode(Mode::Ok);
    let requests = s.server.wait_delivered(600, T).await;
    let order = check_batches(&requests);
    assert_eq!(
        order.iter().collect::<HashSet<_>>().len(),
        600,
        "{}",
        summary(&requests)
    );
    assert_eq!(order, ids(0..600), "delivered in order");
    wait::until_async_sync("600 acks", T, || (s.acks() >= 600).then_some(())).await;
    d.wait_stderr("spool has room again", T);
    wait_spool_empty(&s).await;
    wait::until_async("the buffer gauge back at 0", T, || async {
        (s.buffer_metric().await == Some(0)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_verifies_the_endpoint_against_ca_file_and_the_spool_outlives_a_restart() {
    let s = Setup::new().await;
    let url = tls_front(&s.server, &s.pki.server_cert, &s.pki.server_key);
    let sink = |ca: &Path| format!("ca_file = \"{}\"\nbatch_timeout = \"200ms\"", ca.display());
    // a CA that did not issue the endpoint's certificate: nothing may get through
    let mut d = s.daemon_at(&url, &sink(&s.pki.untrusted_ca));
    s.publish(0..10).await;
    d.wait_stderr("webhook endpoint failing", T);
    assert_eq!(
        s.server.request_count(),
        0,
        "a request passed an untrusted certificate"
    );
    let log = d.stderr();
    let failing = log
        .lines()
        .find(|l| l.contains("webhook endpoint failing"))
        .unwrap();
    assert!(failing.contains("certificate"), "{failing}");
    // SIGTERM with records spooled: a clean exit, and they wait for the next start
    assert!(d.stop(T).success());
    assert!(s.spool_bytes() > 0);

    d.write_config(&s.config(&url, &sink(&s.pki.ca)));
    d.restart();
    let requests = s.server.wait_delivered(10, T).await;
    assert_eq!(check_batches(&requests), ids(0..10));
    wait_spool_empty(&s).await;
}
