//! rumqttc-based test clients: a QoS 1 [`Publisher`] whose `publish` returns only after the
//! broker's PUBACK, and a [`Collector`] that subscribes (auto-ack) and records every message.
//!
//! Both drive their rumqttc `EventLoop` in a spawned tokio task, so use them from a tokio
//! runtime and prefer the async waits (`Collector::wait_count`, `wait::until_async`) over
//! blocking waits on a current-thread runtime.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{TlsConfiguration, Transport};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::pki::Pki;

// A path relative to this file, so that benches/drain.rs (which includes this file by
// path) finds it too.
#[path = "publisher/conn.rs"]
mod conn;

use conn::Conn;
pub use conn::ConnState;

/// Max MQTT packet size for both directions (rumqttc's default is 10 KiB).
pub const MAX_PACKET: usize = 1024 * 1024;
/// Deadline for CONNACK / SUBACK.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Deadline for PUBACKs of `publish` / `publish_all`.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(30);
/// Backoff between reconnect attempts after a connection that once succeeded drops.
const RECONNECT_BACKOFF: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// MQTT 3.1.1
    V4,
    /// MQTT 5
    V5,
}

#[derive(Debug, Clone)]
pub enum Auth {
    /// TLS client certificate (cert PEM, key PEM).
    Cert(PathBuf, PathBuf),
    /// Username + password over TLS without a client certificate.
    Password(String, String),
    /// TLS without client certificate or credentials.
    None,
}

/// Connection options for [`Publisher::connect`] and [`Collector::connect`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub protocol: Protocol,
    pub client_id: String,
    pub auth: Auth,
    /// TLS server name and MQTT host; the server cert has SANs `localhost` and `127.0.0.1`.
    pub host: String,
    /// Persistent session: v4 `clean_session=false`; v5 `clean_start=false` plus
    /// `session_expiry` (mosquitto drops v5 sessions without a non-zero expiry).
    pub persistent: bool,
    pub session_expiry: u32,
    pub keep_alive: Duration,
}

/// One received message: (topic, payload).
pub type Message = (String, Vec<u8>);
/// Shared, growing list of received messages.
pub type Messages = Arc<Mutex<Vec<Message>>>;

static CLIENT_SEQ: AtomicU64 = AtomicU64::new(0);

/// A client id unique within this test process: `<prefix>-<pid>-<n>`.
pub fn unique_client_id(prefix: &str) -> String {
    let n = CLIENT_SEQ.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

impl ClientOptions {
    /// MQTT 5, mTLS with the publisher certificate (CN `test-publisher`), clean session.
    pub fn publisher(pki: &Pki) -> Self {
        ClientOptions {
            protocol: Protocol::V5,
            client_id: unique_client_id("test-publisher"),
            auth: Auth::Cert(pki.publisher_cert.clone(), pki.publisher_key.clone()),
            host: "localhost".into(),
            persistent: false,
            session_expiry: 3600,
            keep_alive: Duration::from_secs(30),
        }
    }

    /// MQTT 5, mTLS with the daemon's client certificate (CN `vinstream-client`).
    pub fn client(pki: &Pki) -> Self {
        ClientOptions {
            auth: Auth::Cert(pki.client_cert.clone(), pki.client_key.clone()),
            client_id: unique_client_id("test-collector"),
            ..Self::publisher(pki)
        }
    }

    /// Username/password auth (for a `password_file` listener), no client certificate.
    pub fn password(user: &str, password: &str) -> Self {
        ClientOptions {
            protocol: Protocol::V5,
            client_id: unique_client_id("test-pw"),
            auth: Auth::Password(user.into(), password.into()),
            host: "localhost".into(),
            persistent: false,
            session_expiry: 3600,
            keep_alive: Duration::from_secs(30),
        }
    }

    pub fn v4(mut self) -> Self {
        self.protocol = Protocol::V4;
        self
    }

    pub fn v5(mut self) -> Self {
        self.protocol = Protocol::V5;
        self
    }

    pub fn id(mut self, client_id: &str) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// Persistent session (v5: clean_start=false, session expiry `self.session_expiry`).
    pub fn persistent(mut self) -> Self {
        self.persistent = true;
        self
    }

    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }
}

/// rustls client config trusting `pki.ca`, optionally presenting a client certificate.
/// Installs the ring provider as process default first (idempotent).
pub fn tls_config(pki: &Pki, identity: Option<(&Path, &Path)>) -> Arc<rustls::ClientConfig> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&pki.ca).expect("open CA PEM") {
        roots.add(cert.expect("parse CA PEM")).expect("add CA");
    }
    let builder = rustls::ClientConfig::builder().with_root_certificates(roots);
    let cfg = match identity {
        Some((cert, key)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                .unwrap_or_else(|e| panic!("open {}: {e}", cert.display()))
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("parse {}: {e}", cert.display()));
            let key = PrivateKeyDer::from_pem_file(key)
                .unwrap_or_else(|e| panic!("parse {}: {e}", key.display()));
            builder
                .with_client_auth_cert(chain, key)
                .expect("client auth cert")
        }
        None => builder.with_no_client_auth(),
    };
    Arc::new(cfg)
}

// ------------------------------------------------------------------------------------------
// Publisher
// ------------------------------------------------------------------------------------------

/// QoS 1 test publisher. `publish` returns after the broker's PUBACK.
pub struct Publisher {
    conn: Conn,
    /// Number of publishes handed to rumqttc; held across the enqueue so the count order
    /// matches the request-channel order.
    sent: tokio::sync::Mutex<u64>,
}

impl Publisher {
    /// MQTT 5, mTLS with the publisher certificate (CN `test-publisher`), host `localhost`.
    pub async fn connect_v5(port: u16, pki: &Pki) -> Publisher {
        Self::connect(port, pki, ClientOptions::publisher(pki)).await
    }

    /// MQTT 3.1.1, mTLS with the publisher certificate.
    pub async fn connect_v4(port: u16, pki: &Pki) -> Publisher {
        Self::connect(port, pki, ClientOptions::publisher(pki).v4()).await
    }

    /// Connects with explicit options; panics if the connection is refused.
    pub async fn connect(port: u16, pki: &Pki, opts: ClientOptions) -> Publisher {
        Self::try_connect(port, pki, opts)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Connects and waits for CONNACK. `Err` carries the connection error(s), e.g. a TLS
    /// alert for an untrusted certificate or `ConnectionRefused(NotAuthorized)`.
    pub async fn try_connect(
        port: u16,
        pki: &Pki,
        opts: ClientOptions,
    ) -> Result<Publisher, String> {
        let conn = Conn::open(port, pki, &opts, None).await?;
        Ok(Publisher {
            conn,
            sent: tokio::sync::Mutex::new(0),
        })
    }

    pub fn client_id(&self) -> &str {
        &self.conn.client_id
    }

    pub fn state(&self) -> ConnState {
        self.conn.state()
    }

    /// Number of PUBACKs received so far.
    pub fn acked(&self) -> u64 {
        self.conn.state().pubacks
    }

    /// Publishes QoS 1 and returns once the broker's PUBACK for it has been received.
    pub async fn publish(&self, topic: &str, payload: &[u8]) {
        self.publish_all([(topic.to_string(), payload.to_vec())])
            .await;
    }

    /// Publishes all messages pipelined (QoS 1, in order) and returns once all are acked.
    pub async fn publish_all(&self, msgs: impl IntoIterator<Item = (String, Vec<u8>)>) {
        let target = {
            let mut sent = self.sent.lock().await;
            for (topic, payload) in msgs {
                if let Err(e) = self.conn.client.publish(&topic, payload).await {
                    panic!(
                        "publish to {topic:?} failed: {e}; state {:?}",
                        self.conn.state()
                    );
                }
                *sent += 1;
            }
            *sent
        };
        let got = self
            .conn
            .wait_state(ACK_TIMEOUT, |s| s.pubacks >= target || s.closed)
            .await;
        match got {
            Some(s) if s.pubacks >= target => {
                assert!(
                    s.rejected.is_empty(),
                    "broker rejected publishes: {:?}",
                    s.rejected
                );
            }
            other => panic!(
                "publisher {}: {} of {target} PUBACKs within {ACK_TIMEOUT:?}; state {:?}",
                self.conn.client_id,
                other.as_ref().map_or(self.acked(), |s| s.pubacks),
                self.conn.state()
            ),
        }
    }

    /// Graceful disconnect (waits for the broker to close the connection).
    pub async fn disconnect(mut self) {
        self.conn.disconnect().await;
    }
}

// ------------------------------------------------------------------------------------------
// Collector
// ------------------------------------------------------------------------------------------

/// Subscriber that auto-acks (QoS 1) and records every received `(topic, payload)`.
/// Reconnects on connection loss (re-subscribing if the session was not resumed).
pub struct Collector {
    conn: Conn,
    /// Everything received so far, in arrival order (redeliveries included).
    pub messages: Messages,
}

/// MQTT 5 mTLS subscriber with the daemon's CLIENT certificate (CN `vinstream-client`),
/// clean session, subscribed to `topic` at QoS 1. Returns after SUBACK.
pub async fn subscribe_collect(port: u16, pki: &Pki, topic: &str) -> Collector {
    Collector::connect(port, pki, ClientOptions::client(pki), topic).await
}

impl Collector {
    /// Connects and subscribes to `filter` (QoS 1) unless the broker resumed a session
    /// (then the session's subscriptions apply). Panics on failure.
    pub async fn connect(port: u16, pki: &Pki, opts: ClientOptions, filter: &str) -> Collector {
        Self::try_connect(port, pki, opts, filter)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn try_connect(
        port: u16,
        pki: &Pki,
        opts: ClientOptions,
        filter: &str,
    ) -> Result<Collector, String> {
        let conn = Conn::open(port, pki, &opts, Some(filter.to_string())).await?;
        let messages = conn.shared.messages.clone();
        Ok(Collector { conn, messages })
    }

    pub fn client_id(&self) -> &str {
        &self.conn.client_id
    }

    pub fn state(&self) -> ConnState {
        self.conn.state()
    }

    /// `session_present` from the latest CONNACK.
    pub fn session_present(&self) -> bool {
        self.conn.state().session_present
    }

    /// Snapshot of everything received.
    pub fn messages(&self) -> Vec<(String, Vec<u8>)> {
        self.messages.lock().unwrap().clone()
    }

    pub fn len(&self) -> usize {
        self.messages.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until at least `n` messages were received; returns the snapshot. Panics on
    /// deadline with what was received.
    pub async fn wait_count(&self, n: usize, timeout: Duration) -> Vec<(String, Vec<u8>)> {
        let got = self
            .conn
            .wait_state(timeout, |s| s.received >= n as u64)
            .await;
        if got.is_none() {
            let msgs = self.messages();
            panic!(
                "collector {}: got {} of {n} messages within {timeout:?}: {:?}; state {:?}",
                self.conn.client_id,
                msgs.len(),
                msgs.iter()
                    .map(|(t, p)| (t.clone(), String::from_utf8_lossy(p).into_owned()))
                    .collect::<Vec<_>>(),
                self.conn.state()
            );
        }
        self.messages()
    }

    /// Graceful disconnect. With a persistent session, later messages queue at the broker.
    pub async fn disconnect(mut self) {
        self.conn.disconnect().await;
    }
}
