//! Issue 19 item 1: one spool, one owner. A reload that changes the webhook sink hands
//! the spool from the old instance to the new one (records flowing, or the endpoint
//! down): every record arrives, none under two batch ids, nothing acked is lost. A
//! second daemon on the same state_dir refuses to start, naming the spool.

use super::{ids, one_batch_id_per_record, wait_spool_empty, Daemon, Setup, T};
use crate::support::http_server::Mode;
use crate::support::publisher::Publisher;
use crate::support::wait;

const SINK: &str = r#"batch_max_events = 10
batch_timeout = "100ms""#;
/// A changed sink config: the reload restarts the sink.
const SINK_CHANGED: &str = r#"batch_max_events = 7
batch_timeout = "150ms"
headers = { X-Reloaded = "yes" }"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_webhook_reload_while_records_flow_sends_each_record_under_one_batch_id() {
    let s = Setup::new().await;
    let d = s.daemon(SINK);
    let url = s.server.url();
    let publishing = async {
        let p = Publisher::connect_v5(s.broker.port(), &s.pki).await;
        for chunk in 0..30 {
            p.publish_all((chunk * 10..chunk * 10 + 10).map(super::message))
                .await;
        }
        p.disconnect().await;
    };
    let reloading = async {
        for (i, sink) in [SINK_CHANGED, SINK, SINK_CHANGED].into_iter().enumerate() {
            s.server.wait_delivered(40 + 60 * i, T).await;
            d.write_config(&s.config(&url, sink));
            d.sighup();
            let want = i + 1;
            wait::until_async_sync("the reload", T, || {
                (d.stderr().matches("configuration reloaded").count() >= want).then_some(())
            })
            .await;
        }
    };
    tokio::join!(publishing, reloading);
    let requests = s.server.wait_delivered(300, T).await;
    let mut delivered = one_batch_id_per_record(&requests);
    delivered.sort();
    assert_eq!(delivered, ids(0..300), "every record once");
    wait_spool_empty(&s).await;
    let log = d.stderr();
    assert_eq!(
        log.matches("webhook spool taken over").count(),
        3,
        "each reload handed the spool over\n{log}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.header("x-reloaded") == Some("yes")),
        "the new sink config took effect"
    );
    // every message was acked: nothing waits on a sink instance that went away
    wait::until_async_sync("300 acks", T, || (s.acks() >= 300).then_some(())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_webhook_reload_while_the_endpoint_is_down_keeps_every_spooled_record() {
    let s = Setup::new().await;
    let d = s.daemon(SINK);
    let url = s.server.url();
    s.server.set_mode(Mode::Status(503));
    s.publish(0..50).await;
    s.server
        .wait_requests("three 503s", T, |r| {
            r.iter().filter(|r| r.status == Some(503)).count() >= 3
        })
        .await;
    // the 50 records are acked: they live only in the spool now
    wait::until_async_sync("50 acks", T, || (s.acks() >= 50).then_some(())).await;
    // more records arrive while the reload swaps the sink
    let publishing = async {
        let p = Publisher::connect_v5(s.broker.port(), &s.pki).await;
        for chunk in 5..15 {
            p.publish_all((chunk * 10..chunk * 10 + 10).map(super::message))
                .await;
        }
        p.disconnect().await;
    };
    let reloading = async {
        wait::until_async_sync("60 acks", T, || (s.acks() >= 60).then_some(())).await;
        d.write_config(&s.config(&url, SINK_CHANGED));
        d.sighup();
        d.wait_stderr_async("configuration reloaded", T).await;
    };
    tokio::join!(publishing, reloading);
    wait::until_async_sync("150 acks", T, || (s.acks() >= 150).then_some(())).await;
    let before_fix = s.server.request_count();
    s.server
        .wait_requests("the new instance retrying", T, |r| {
            r.len() > before_fix && r.last().unwrap().header("x-reloaded") == Some("yes")
        })
        .await;
    s.server.set_mode(Mode::Ok);
    let requests = s.server.wait_delivered(150, T).await;
    let delivered = one_batch_id_per_record(&requests);
    assert_eq!(delivered, ids(0..150), "every record once, in order");
    wait_spool_empty(&s).await;
    d.wait_stderr_async("webhook spool taken over", T).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_webhook_a_second_daemon_on_the_same_spool_fails_naming_it() {
    let s = Setup::new().await;
    let _d = s.daemon(SINK);
    s.publish(0..10).await;
    s.server.wait_delivered(10, T).await;
    s.server.set_mode(Mode::Status(503));
    s.publish(10..20).await;
    wait::until_async_sync("20 acks", T, || (s.acks() >= 20).then_some(())).await;

    // The same config (same state_dir) from another directory.
    let other = s.dir.path().join("second");
    let mut second = Daemon::start(super::bin(), &s.config(&s.server.url(), SINK), &other);
    let status = second
        .wait_exit_async(T)
        .await
        .expect("the second daemon exits");
    assert!(!status.success(), "{status:?}");
    let log = second.stderr();
    let spool = s.spool_dir().display().to_string();
    assert!(
        log.contains(&spool) && log.contains("another vinstream process"),
        "the error names the spool and why:\n{log}"
    );

    // The first daemon's spool is intact: everything arrives once.
    s.server.set_mode(Mode::Ok);
    s.publish(20..30).await;
    let requests = s.server.wait_delivered(30, T).await;
    assert_eq!(one_batch_id_per_record(&requests), ids(0..30));
    wait_spool_empty(&s).await;
}
