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
// Shared connection machinery (v4 and v5)
// ------------------------------------------------------------------------------------------

/// Observable state of one client connection, updated by its event-loop task.
#[derive(Debug, Clone, Default)]
pub struct ConnState {
    /// Number of CONNACKs received (1 + number of reconnects).
    pub connacks: u64,
    /// `session_present` of the latest CONNACK.
    pub session_present: bool,
    pub connected: bool,
    /// PUBACKs received for our own QoS 1 publishes (all reason codes).
    pub pubacks: u64,
    /// v5 PUBACKs with a failure reason code.
    pub rejected: Vec<String>,
    /// The subscription is active on the current connection (SUBACK or session present).
    pub subscribed: bool,
    pub sub_failures: Vec<String>,
    /// Incoming publishes collected.
    pub received: u64,
    /// Most recent connection errors (capped).
    pub errors: Vec<String>,
    /// The event-loop task ended (initial connect failed, or disconnected).
    pub closed: bool,
}

#[derive(Clone)]
enum AnyClient {
    V4(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

impl AnyClient {
    async fn publish(&self, topic: &str, payload: Vec<u8>) -> Result<(), String> {
        match self {
            AnyClient::V4(c) => c
                .publish(topic, rumqttc::QoS::AtLeastOnce, false, payload)
                .await
                .map_err(|e| format!("{e:?}")),
            AnyClient::V5(c) => c
                .publish(
                    topic,
                    rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
                    false,
                    payload,
                )
                .await
                .map_err(|e| format!("{e:?}")),
        }
    }

    fn try_subscribe(&self, filter: &str) -> Result<(), String> {
        match self {
            AnyClient::V4(c) => c
                .try_subscribe(filter, rumqttc::QoS::AtLeastOnce)
                .map_err(|e| format!("{e:?}")),
            AnyClient::V5(c) => c
                .try_subscribe(filter, rumqttc::v5::mqttbytes::QoS::AtLeastOnce)
                .map_err(|e| format!("{e:?}")),
        }
    }

    async fn disconnect(&self) -> Result<(), String> {
        match self {
            AnyClient::V4(c) => c.disconnect().await.map_err(|e| format!("{e:?}")),
            AnyClient::V5(c) => c.disconnect().await.map_err(|e| format!("{e:?}")),
        }
    }
}

enum Ev {
    ConnAck { session_present: bool },
    PubAck { rejected: Option<String> },
    SubAck { failure: Option<String> },
    Publish { topic: String, payload: Vec<u8> },
    Other,
}

struct Shared {
    state: watch::Sender<ConnState>,
    messages: Messages,
    disconnecting: AtomicBool,
    filter: Option<String>,
}

impl Shared {
    fn on_event(&self, ev: Ev, client: &AnyClient) {
        match ev {
            Ev::ConnAck { session_present } => {
                let mut resubscribe = false;
                self.state.send_modify(|s| {
                    s.connacks += 1;
                    s.connected = true;
                    s.session_present = session_present;
                    s.subscribed = self.filter.is_none() || session_present;
                    resubscribe = !s.subscribed;
                });
                if resubscribe {
                    let filter = self.filter.as_deref().unwrap();
                    if let Err(e) = client.try_subscribe(filter) {
                        self.state
                            .send_modify(|s| s.sub_failures.push(format!("subscribe: {e}")));
                    }
                }
            }
            Ev::PubAck { rejected } => self.state.send_modify(|s| {
                s.pubacks += 1;
                s.rejected.extend(rejected);
            }),
            Ev::SubAck { failure } => self.state.send_modify(|s| match failure {
                None => s.subscribed = true,
                Some(f) => s.sub_failures.push(f),
            }),
            Ev::Publish { topic, payload } => {
                self.messages.lock().unwrap().push((topic, payload));
                self.state.send_modify(|s| s.received += 1);
            }
            Ev::Other => {}
        }
    }

    /// Records a connection error; returns whether the task should keep polling (reconnect).
    fn on_error(&self, err: String) -> bool {
        let disconnecting = self.disconnecting.load(Ordering::SeqCst);
        let mut keep_going = true;
        self.state.send_modify(|s| {
            s.connected = false;
            if s.errors.len() >= 20 {
                s.errors.remove(0);
            }
            s.errors.push(err);
            if disconnecting || s.connacks == 0 {
                s.closed = true;
                keep_going = false;
            }
        });
        keep_going
    }

    fn close(&self) {
        self.state.send_modify(|s| {
            s.connected = false;
            s.closed = true;
        });
    }
}

fn ev_v4(ev: rumqttc::Event) -> Ev {
    use rumqttc::{Event, Packet, SubscribeReasonCode};
    match ev {
        Event::Incoming(Packet::ConnAck(c)) => Ev::ConnAck {
            session_present: c.session_present,
        },
        Event::Incoming(Packet::PubAck(_)) => Ev::PubAck { rejected: None },
        Event::Incoming(Packet::SubAck(s)) => Ev::SubAck {
            failure: s
                .return_codes
                .iter()
                .any(|c| matches!(c, SubscribeReasonCode::Failure))
                .then(|| format!("{:?}", s.return_codes)),
        },
        Event::Incoming(Packet::Publish(p)) => Ev::Publish {
            topic: p.topic,
            payload: p.payload.to_vec(),
        },
        _ => Ev::Other,
    }
}

fn ev_v5(ev: rumqttc::v5::Event) -> Ev {
    use rumqttc::v5::mqttbytes::v5::{Packet, PubAckReason, SubscribeReasonCode};
    use rumqttc::v5::Event;
    match ev {
        Event::Incoming(Packet::ConnAck(c)) => Ev::ConnAck {
            session_present: c.session_present,
        },
        Event::Incoming(Packet::PubAck(a)) => Ev::PubAck {
            rejected: match a.reason {
                PubAckReason::Success | PubAckReason::NoMatchingSubscribers => None,
                r => Some(format!("pkid {}: {r:?}", a.pkid)),
            },
        },
        Event::Incoming(Packet::SubAck(s)) => Ev::SubAck {
            failure: s
                .return_codes
                .iter()
                .any(|c| !matches!(c, SubscribeReasonCode::Success(_)))
                .then(|| format!("{:?}", s.return_codes)),
        },
        Event::Incoming(Packet::Publish(p)) => Ev::Publish {
            topic: String::from_utf8_lossy(&p.topic).into_owned(),
            payload: p.payload.to_vec(),
        },
        _ => Ev::Other,
    }
}

/// One connected client: handle + event-loop task + observable state.
struct Conn {
    client: AnyClient,
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
    client_id: String,
}

impl Conn {
    async fn open(
        port: u16,
        pki: &Pki,
        opts: &ClientOptions,
        filter: Option<String>,
    ) -> Result<Conn, String> {
        let identity = match &opts.auth {
            Auth::Cert(c, k) => Some((c.as_path(), k.as_path())),
            _ => None,
        };
        let transport =
            Transport::tls_with_config(TlsConfiguration::Rustls(tls_config(pki, identity)));
        let (state_tx, _) = watch::channel(ConnState::default());
        let shared = Arc::new(Shared {
            state: state_tx,
            messages: Arc::new(Mutex::new(Vec::new())),
            disconnecting: AtomicBool::new(false),
            filter,
        });

        let (client, task) = match opts.protocol {
            Protocol::V4 => {
                let mut o = rumqttc::MqttOptions::new(&opts.client_id, &opts.host, port);
                o.set_transport(transport)
                    .set_keep_alive(opts.keep_alive)
                    .set_max_packet_size(MAX_PACKET, MAX_PACKET)
                    .set_clean_session(!opts.persistent);
                if let Auth::Password(u, p) = &opts.auth {
                    o.set_credentials(u, p);
                }
                let (c, mut el) = rumqttc::AsyncClient::new(o, 256);
                let client = AnyClient::V4(c);
                let (sh, cl) = (shared.clone(), client.clone());
                let task = tokio::spawn(async move {
                    loop {
                        match el.poll().await {
                            Ok(ev) => sh.on_event(ev_v4(ev), &cl),
                            Err(e) => {
                                if !sh.on_error(format!("{e:?}")) {
                                    break;
                                }
                                tokio::time::sleep(RECONNECT_BACKOFF).await;
                            }
                        }
                    }
                });
                (client, task)
            }
            Protocol::V5 => {
                let mut o = rumqttc::v5::MqttOptions::new(&opts.client_id, &opts.host, port);
                o.set_transport(transport)
                    .set_keep_alive(opts.keep_alive)
                    .set_max_packet_size(Some(MAX_PACKET as u32))
                    .set_clean_start(!opts.persistent);
                if opts.persistent {
                    o.set_session_expiry_interval(Some(opts.session_expiry));
                }
                if let Auth::Password(u, p) = &opts.auth {
                    o.set_credentials(u, p);
                }
                let (c, mut el) = rumqttc::v5::AsyncClient::new(o, 256);
                let client = AnyClient::V5(c);
                let (sh, cl) = (shared.clone(), client.clone());
                let task = tokio::spawn(async move {
                    loop {
                        match el.poll().await {
                            Ok(ev) => sh.on_event(ev_v5(ev), &cl),
                            Err(e) => {
                                if !sh.on_error(format!("{e:?}")) {
                                    break;
                                }
                                tokio::time::sleep(RECONNECT_BACKOFF).await;
                            }
                        }
                    }
                });
                (client, task)
            }
        };
        let mut conn = Conn {
            client,
            shared,
            task: Some(task),
            client_id: opts.client_id.clone(),
        };
        let ready = conn
            .wait_state(CONNECT_TIMEOUT, |s| {
                s.closed || !s.sub_failures.is_empty() || (s.connacks > 0 && s.subscribed)
            })
            .await;
        match ready {
            Some(s) if !s.closed && s.sub_failures.is_empty() => Ok(conn),
            Some(s) => {
                conn.abort();
                Err(format!(
                    "client {} failed to connect/subscribe: errors {:?}, subscribe failures {:?}",
                    opts.client_id, s.errors, s.sub_failures
                ))
            }
            None => {
                let s = conn.state();
                conn.abort();
                Err(format!(
                    "client {} not connected/subscribed within {CONNECT_TIMEOUT:?}: {s:?}",
                    opts.client_id
                ))
            }
        }
    }

    fn state(&self) -> ConnState {
        self.shared.state.borrow().clone()
    }

    /// Waits until `pred(state)` holds; returns that state, or None on timeout.
    async fn wait_state(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&ConnState) -> bool,
    ) -> Option<ConnState> {
        let mut rx = self.shared.state.subscribe();
        let res = tokio::time::timeout(timeout, rx.wait_for(|s| pred(s)))
            .await
            .ok()
            .and_then(|r| r.ok().map(|s| s.clone()));
        res
    }

    fn abort(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
        self.shared.close();
    }

    /// Graceful MQTT disconnect; keeps polling until the broker closes the connection
    /// (dropping the event loop right after DISCONNECT can make mosquitto 2.0.11 discard
    /// already-sent QoS 1 publishes).
    async fn disconnect(&mut self) {
        let Some(mut task) = self.task.take() else {
            return;
        };
        self.shared.disconnecting.store(true, Ordering::SeqCst);
        if self.state().closed {
            let _ = task.await;
            return;
        }
        if self.client.disconnect().await.is_err() {
            // The event loop is already gone.
            task.abort();
            self.shared.close();
            return;
        }
        if tokio::time::timeout(Duration::from_secs(10), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
        self.shared.close();
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
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
