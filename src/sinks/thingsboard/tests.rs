//! The sink against a scripted MQTT peer that can withhold PUBACKs or drop the connection:
//! the cases a real broker will not produce on demand. What must hold: a batch is Ok only
//! when all its publishes were acked on one connection; after a failure nothing of the
//! failed batch leaks into the next connection, and the new connection announces again.

use super::*;
use crate::config::values::ByteSize;
use crate::record::testing;
use serde_json::json;
use std::sync::Mutex as StdMutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Ack,
    /// Take publishes, never acknowledge them.
    Ignore,
    /// Close the connection on the first publish.
    Close,
}

/// (connection number, topic, payload) of every publish received.
type Seen = Arc<StdMutex<Vec<(usize, String, String)>>>;

#[derive(Clone)]
struct Peer {
    port: u16,
    mode: Arc<StdMutex<Mode>>,
    seen: Seen,
}

impl Peer {
    async fn start(mode: Mode) -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let peer = Peer {
            port: listener.local_addr().unwrap().port(),
            mode: Arc::new(StdMutex::new(mode)),
            seen: Seen::default(),
        };
        let p = peer.clone();
        tokio::spawn(async move {
            let mut n = 0;
            while let Ok((s, _)) = listener.accept().await {
                n += 1;
                tokio::spawn(p.clone().serve(n, s));
            }
        });
        peer
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn on(&self, conn: usize) -> Vec<(String, String)> {
        let seen = self.seen.lock().unwrap();
        let on = seen.iter().filter(|s| s.0 == conn);
        on.map(|s| (s.1.clone(), s.2.clone())).collect()
    }

    fn last_conn(&self) -> usize {
        self.seen.lock().unwrap().last().map_or(0, |s| s.0)
    }

    async fn serve(self, conn: usize, mut s: TcpStream) -> std::io::Result<()> {
        loop {
            let first = s.read_u8().await?;
            let (mut len, mut shift) = (0usize, 0);
            loop {
                let b = s.read_u8().await?;
                len |= usize::from(b & 0x7f) << shift;
                shift += 7;
                if b & 0x80 == 0 {
                    break;
                }
            }
            let mut body = vec![0; len];
            s.read_exact(&mut body).await?;
            match first >> 4 {
                1 => s.write_all(&[0x20, 2, 0, 0]).await?,
                3 => {
                    let tl = usize::from(u16::from_be_bytes([body[0], body[1]]));
                    let topic = String::from_utf8_lossy(&body[2..2 + tl]).into_owned();
                    let payload = String::from_utf8_lossy(&body[4 + tl..]).into_owned();
                    self.seen.lock().unwrap().push((conn, topic, payload));
                    let mode = *self.mode.lock().unwrap();
                    match mode {
                        Mode::Ack => s.write_all(&[0x40, 2, body[2 + tl], body[3 + tl]]).await?,
                        Mode::Ignore => {}
                        Mode::Close => return Ok(()),
                    }
                }
                12 => s.write_all(&[0xD0, 0]).await?,
                14 => return Ok(()),
                _ => {}
            }
        }
    }
}

fn config(port: u16) -> ThingsboardSinkConfig {
    ThingsboardSinkConfig {
        kind: "thingsboard".into(),
        host: "127.0.0.1".into(),
        port,
        tls: false,
        ca_file: None,
        server_name: None,
        access_token: "token".into(),
        client_id: None,
        device_type: "vehicle".into(),
        key_style: KeyStyle::Path,
        max_payload_bytes: ByteSize(65536),
    }
}

fn rec(vin: &str, km: i64) -> Arc<Record> {
    let odometer = testing::signal(
        "Vehicle.TraveledDistance",
        json!(km),
        Some("m"),
        Some("2026-11-21T10:00:00.000Z"),
        "diagnostics.odometer",
    );
    Arc::new(testing::record(vin, &format!("{vin}-{km}"), vec![odometer]))
}

const CONNECT: &str = r#"{"device":"V1","type":"vehicle"}"#;

fn telemetry(km: i64) -> (String, String) {
    let payload = format!(
        r#"{{"V1":[{{"ts":1795255200000,"values":{{"Vehicle.TraveledDistance":{km}}}}}]}}"#
    );
    ("v1/gateway/telemetry".into(), payload)
}

fn connect() -> (String, String) {
    ("v1/gateway/connect".into(), CONNECT.into())
}

#[tokio::test]
async fn unacked_or_cut_batches_fail_and_leave_nothing_behind_on_the_next_connection() {
    let peer = Peer::start(Mode::Ignore).await;
    let sink = start("tb", &config(peer.port), Duration::from_millis(400)).unwrap();

    // No PUBACK: the batch fails, and the connection is given up.
    let err = sink.accept(&[rec("V1", 1)]).await.unwrap_err();
    assert!(err.to_string().contains("no PUBACK"), "{err}");
    assert_eq!(peer.on(1), vec![connect(), telemetry(1)]);

    // The retry goes out on a new connection: announced again, nothing stale with it.
    peer.set(Mode::Ack);
    sink.accept(&[rec("V1", 1)]).await.unwrap();
    assert_eq!(peer.last_conn(), 2);
    assert_eq!(peer.on(2), vec![connect(), telemetry(1)]);
    // Same connection: no second announcement.
    sink.accept(&[rec("V1", 2)]).await.unwrap();
    assert_eq!(peer.on(2), vec![connect(), telemetry(1), telemetry(2)]);
    assert!(sink.problem().is_none());

    // The connection drops mid-batch: Err, then all of it again on the next one.
    peer.set(Mode::Close);
    let err = sink.accept(&[rec("V1", 3)]).await.unwrap_err();
    assert!(err.to_string().contains("connection lost"), "{err}");
    let on2 = peer.on(2);
    assert_eq!(on2.last(), Some(&telemetry(3)), "{on2:?}");
    peer.set(Mode::Ack);
    sink.accept(&[rec("V1", 3)]).await.unwrap();
    assert_eq!(peer.on(3), vec![connect(), telemetry(3)]);
    sink.close().await.unwrap();
}

#[tokio::test]
async fn a_platform_that_is_down_is_a_problem_and_a_failed_batch() {
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sink = start("tb", &config(port), Duration::from_secs(1)).unwrap();
    let err = sink.accept(&[rec("V1", 1)]).await.unwrap_err();
    assert!(
        err.to_string().contains("not connected to 127.0.0.1"),
        "{err}"
    );
    let problem = sink.problem().unwrap();
    assert!(problem.contains("127.0.0.1"), "{problem}");
}
