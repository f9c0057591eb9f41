//! A stalled event-stream client never slows delivery or acks.

use super::*;

/// A page that connects to /api/events and then never reads: 10,000 messages still flow,
/// every one delivered. The provider session lets the broker have at most 100 messages
/// unacknowledged (receive_maximum), so 10,000 delivered means the acks kept flowing.
/// Each record is ~1.5 KB: far more than the socket buffers and the feed hold, so the
/// stalled client falls behind and its losses are counted once it reads again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_event_client_never_slows_delivery_or_acks() {
    const N: usize = 10_000;
    let rig = BrokerRig::new();
    let admin = free_port();
    let d = rig.page_daemon(admin, "", "receive_maximum = 100");
    let base = format!("http://127.0.0.1:{admin}");
    d.wait_stderr("subscribed", T);
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stalled = socket
        .connect(format!("127.0.0.1:{admin}").parse().unwrap())
        .await
        .unwrap();
    stalled
        .write_all(
            b"GET /api/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n",
        )
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let mut b = [0u8; 512];
        let n = stalled.read(&mut b).await.unwrap();
        assert!(n > 0, "the event stream closed");
        head.extend_from_slice(&b[..n]);
    }
    assert!(
        String::from_utf8_lossy(&head).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    // From here on the client reads nothing.

    let p = rig.publisher().await;
    let note = "n".repeat(1000);
    let msgs: Vec<(String, Vec<u8>)> = (0..N)
        .map(|i| {
            let vin = format!("VSTALL{:03}", i % 50);
            (
                TOPIC.to_string(),
                message(&format!("s{i}"), &vin, 0.5, 48.0, 11.0, &note),
            )
        })
        .collect();
    let started = std::time::Instant::now();
    p.publish_all(msgs).await;
    let records = d.wait_records_async(N, Duration::from_secs(240)).await;
    eprintln!(
        "10,000 records with a stalled page client in {:?}",
        started.elapsed()
    );
    let ids: HashSet<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), N, "every message delivered once");
    let c = http();
    let metrics = c
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        metric(&metrics, "vinstream_messages_received_total{source=\"hm\"}"),
        Some(N as f64)
    );
    assert_eq!(
        metric(
            &metrics,
            "vinstream_records_delivered_total{sink=\"console\"}"
        ),
        Some(N as f64)
    );

    // The stalled client reads again: what it missed is counted, not waited for.
    let drain = tokio::spawn(async move {
        let mut b = vec![0u8; 64 * 1024];
        while stalled.read(&mut b).await.map(|n| n > 0).unwrap_or(false) {}
    });
    wait::until_async("the stalled client's losses counted", T, || async {
        let text = c
            .get(format!("{base}/metrics"))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (metric(
            &text,
            "vinstream_fleet_events_dropped_total{consumer=\"page\"}",
        )? > 0.0)
            .then_some(())
    })
    .await;
    drain.abort();
    let status: Value = c
        .get(format!("{base}/api/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["vehicles"]["count"], 50, "{status}");
}
