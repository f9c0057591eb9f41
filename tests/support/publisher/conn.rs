//! The connection machinery the publisher and the collector share: one rumqttc client (v4
//! or v5) with its event-loop task, and the state it observes.

use super::super::pki::Pki;
use super::{
    tls_config, Auth, ClientOptions, Messages, Protocol, ACK_TIMEOUT, CONNECT_TIMEOUT, MAX_PACKET,
    RECONNECT_BACKOFF,
};
use rumqttc::{TlsConfiguration, Transport};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

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
pub(super) enum AnyClient {
    V4(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

impl AnyClient {
    pub(super) async fn publish(&self, topic: &str, payload: Vec<u8>) -> Result<(), String> {
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

    pub(super) fn try_subscribe(&self, filter: &str) -> Result<(), String> {
        match self {
            AnyClient::V4(c) => c
                .try_subscribe(filter, rumqttc::QoS::AtLeastOnce)
                .map_err(|e| format!("{e:?}")),
            AnyClient::V5(c) => c
                .try_subscribe(filter, rumqttc::v5::mqttbytes::QoS::AtLeastOnce)
                .map_err(|e| format!("{e:?}")),
        }
    }

    pub(super) async fn disconnect(&self) -> Result<(), String> {
        match self {
            AnyClient::V4(c) => c.disconnect().await.map_err(|e| format!("{e:?}")),
            AnyClient::V5(c) => c.disconnect().await.map_err(|e| format!("{e:?}")),
        }
    }
}

pub(super) enum Ev {
    ConnAck { session_present: bool },
    PubAck { rejected: Option<String> },
    SubAck { failure: Option<String> },
    Publish { topic: String, payload: Vec<u8> },
    Other,
}

pub(super) struct Shared {
    pub(super) state: watch::Sender<ConnState>,
    pub(super) messages: Messages,
    pub(super) disconnecting: AtomicBool,
    pub(super) filter: Option<String>,
}

impl Shared {
    pub(super) fn on_event(&self, ev: Ev, client: &AnyClient) {
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
    pub(super) fn on_error(&self, err: String) -> bool {
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

    pub(super) fn close(&self) {
        self.state.send_modify(|s| {
            s.connected = false;
            s.closed = true;
        });
    }
}

pub(super) fn ev_v4(ev: rumqttc::Event) -> Ev {
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

pub(super) fn ev_v5(ev: rumqttc::v5::Event) -> Ev {
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
pub(super) struct Conn {
    pub(super) client: AnyClient,
    pub(super) shared: Arc<Shared>,
    pub(super) task: Option<JoinHandle<()>>,
    pub(super) client_id: String,
}

impl Conn {
    pub(super) async fn open(
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

    pub(super) fn state(&self) -> ConnState {
        self.shared.state.borrow().clone()
    }

    /// Waits until `pred(state)` holds; returns that state, or None on timeout.
    pub(super) async fn wait_state(
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

    pub(super) fn abort(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
        self.shared.close();
    }

    /// Graceful MQTT disconnect; keeps polling until the broker closes the connection
    /// (dropping the event loop right after DISCONNECT can make mosquitto 2.0.11 discard
    /// already-sent QoS 1 publishes).
    pub(super) async fn disconnect(&mut self) {
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
