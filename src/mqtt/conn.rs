//! One face over rumqttc's two protocol modules (v4 = MQTT 3.1.1, v5 = MQTT 5), so the
//! session driver is written once. Only the events the driver reacts to are surfaced.

use super::sni::Route;
use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5 as p5;
use rumqttc::{v5, QoS, TlsConfiguration, Transport};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    V311,
    V5,
}

/// Everything needed to open (and reopen) one MQTT session.
#[derive(Clone)]
pub struct ConnectOptions {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub client_id: String,
    /// `None` only for the demo's embedded loopback broker: never configurable.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// The TLS name (SNI and certificate) when it is not `host` (see `mqtt::sni`).
    pub server_name: Option<String>,
    pub credentials: Option<(String, String)>,
    pub keep_alive: Duration,
    pub session_expiry_secs: u32,
    pub receive_maximum: u16,
    pub max_packet_size: u32,
    pub connect_timeout: Duration,
    /// Payload bytes the session may hand the pipeline before shedding (see the driver).
    pub max_in_flight: usize,
}

impl std::fmt::Debug for ConnectOptions {
    /// Hand-written so credentials (tokens) can never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("protocol", &self.protocol)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("server_name", &self.server_name)
            .field("client_id", &self.client_id)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(u, _)| (u, "***")),
            )
            .finish_non_exhaustive()
    }
}

/// A received publish, kept until its ack may be sent.
#[derive(Debug, Clone)]
pub enum RawPublish {
    V4(rumqttc::Publish),
    V5(p5::Publish),
}

impl RawPublish {
    pub fn topic(&self) -> String {
        match self {
            RawPublish::V4(p) => p.topic.clone(),
            RawPublish::V5(p) => String::from_utf8_lossy(&p.topic).into_owned(),
        }
    }
    pub fn payload(&self) -> Bytes {
        match self {
            RawPublish::V4(p) => p.payload.clone(),
            RawPublish::V5(p) => p.payload.clone(),
        }
    }
    pub fn payload_len(&self) -> usize {
        match self {
            RawPublish::V4(p) => p.payload.len(),
            RawPublish::V5(p) => p.payload.len(),
        }
    }
    /// What a PUBACK needs, and nothing else: acks can wait in the thousands while a
    /// backlog drains (rumqttc writes one per poll), so they must not hold the publish.
    pub fn ack_ref(&self) -> AckRef {
        match self {
            RawPublish::V4(p) => AckRef {
                v5: false,
                pkid: p.pkid,
                exactly_once: p.qos == QoS::ExactlyOnce,
            },
            RawPublish::V5(p) => AckRef {
                v5: true,
                pkid: p.pkid,
                exactly_once: p.qos == rumqttc::v5::mqttbytes::QoS::ExactlyOnce,
            },
        }
    }
    pub fn needs_ack(&self) -> bool {
        match self {
            RawPublish::V4(p) => p.qos != QoS::AtMostOnce,
            RawPublish::V5(p) => p.qos != rumqttc::v5::mqttbytes::QoS::AtMostOnce,
        }
    }
}

/// The events the session driver cares about.
/// The packet id and QoS of a publish to acknowledge (4 bytes instead of ~200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckRef {
    v5: bool,
    pkid: u16,
    /// QoS 2 is answered with PUBREC, QoS 1 with PUBACK.
    exactly_once: bool,
}

#[derive(Debug)]
pub enum Ev {
    ConnAck {
        session_present: bool,
    },
    SubAck {
        refused: Vec<String>,
    },
    Publish(RawPublish),
    /// The broker closed the session with a reason (MQTT 5 only).
    Disconnect {
        reason: String,
    },
    Other,
}

/// The cloneable request side.
#[derive(Clone)]
pub enum Client {
    V4(rumqttc::AsyncClient),
    V5(v5::AsyncClient),
}

impl Client {
    /// Queue a PUBACK without waiting; `false` if the request queue is full or closed.
    pub fn try_ack(&self, ack: &AckRef) -> bool {
        match self {
            Client::V4(c) if !ack.v5 => {
                let qos = if ack.exactly_once {
                    QoS::ExactlyOnce
                } else {
                    QoS::AtLeastOnce
                };
                let mut p = rumqttc::Publish::new("", qos, Vec::new());
                p.pkid = ack.pkid;
                c.try_ack(&p).is_ok()
            }
            Client::V5(c) if ack.v5 => {
                use rumqttc::v5::mqttbytes::QoS as Q5;
                let qos = if ack.exactly_once {
                    Q5::ExactlyOnce
                } else {
                    Q5::AtLeastOnce
                };
                let mut p = p5::Publish::new("", qos, Vec::new(), None);
                p.pkid = ack.pkid;
                c.try_ack(&p).is_ok()
            }
            _ => false,
        }
    }
    pub fn try_subscribe(&self, filter: &str) -> bool {
        match self {
            Client::V4(c) => c.try_subscribe(filter, QoS::AtLeastOnce).is_ok(),
            Client::V5(c) => c
                .try_subscribe(filter, rumqttc::v5::mqttbytes::QoS::AtLeastOnce)
                .is_ok(),
        }
    }
    pub fn try_disconnect(&self) -> bool {
        match self {
            Client::V4(c) => c.try_disconnect().is_ok(),
            Client::V5(c) => c.try_disconnect().is_ok(),
        }
    }
}

pub struct Conn {
    el: Loop,
    /// Kept for the event loop's lifetime: it carries every (re)connect.
    route: Route,
}

enum Loop {
    V4(Box<rumqttc::EventLoop>),
    V5(Box<v5::EventLoop>),
}

impl Conn {
    pub fn new(o: &ConnectOptions) -> (Client, Conn) {
        let route = Route::new(
            &o.host,
            o.port,
            o.tls.is_some(),
            o.server_name.as_deref(),
            o.connect_timeout,
        );
        let transport = match &o.tls {
            Some(tls) => Transport::tls_with_config(TlsConfiguration::Rustls(tls.clone())),
            None => Transport::Tcp,
        };
        // Acks and subscriptions are the only requests; leave room for a full window.
        let cap = usize::from(o.receive_maximum) + 64;
        let timeout_secs = o.connect_timeout.as_secs().max(1);
        match o.protocol {
            Protocol::V311 => {
                let mut m = rumqttc::MqttOptions::new(&o.client_id, &route.broker_addr, o.port);
                if let Some(relay) = &route.relay {
                    m.set_proxy(relay.proxy());
                }
                m.set_transport(transport)
                    .set_keep_alive(o.keep_alive)
                    .set_clean_session(false)
                    .set_manual_acks(true)
                    .set_request_channel_capacity(cap)
                    .set_max_packet_size(o.max_packet_size as usize, o.max_packet_size as usize);
                if let Some((user, pass)) = &o.credentials {
                    m.set_credentials(user, pass);
                }
                let (client, mut el) = rumqttc::AsyncClient::new(m, cap);
                el.network_options.set_connection_timeout(timeout_secs);
                (
                    Client::V4(client),
                    Conn {
                        el: Loop::V4(Box::new(el)),
                        route,
                    },
                )
            }
            Protocol::V5 => {
                let mut m = v5::MqttOptions::new(&o.client_id, &route.broker_addr, o.port);
                if let Some(relay) = &route.relay {
                    m.set_proxy(relay.proxy());
                }
                m.set_transport(transport)
                    .set_keep_alive(o.keep_alive)
                    .set_clean_start(false)
                    .set_session_expiry_interval(Some(o.session_expiry_secs))
                    .set_receive_maximum(Some(o.receive_maximum))
                    // We never publish on a provider session; rumqttc sizes a table of
                    // outgoing publishes by this (unset: 65,535 slots, 14 MiB).
                    .set_outgoing_inflight_upper_limit(8)
                    .set_max_packet_size(Some(o.max_packet_size))
                    .set_manual_acks(true)
                    .set_request_channel_capacity(cap)
                    .set_connection_timeout(timeout_secs);
                if let Some((user, pass)) = &o.credentials {
                    m.set_credentials(user, pass);
                }
                let (client, el) = v5::AsyncClient::new(m, cap);
                (
                    Client::V5(client),
                    Conn {
                        el: Loop::V5(Box::new(el)),
                        route,
                    },
                )
            }
        }
    }

    /// Poll the event loop once. Errors come back as one readable sentence.
    pub async fn poll(&mut self) -> Result<Ev, String> {
        match &mut self.el {
            Loop::V4(el) => match el.poll().await {
                Ok(rumqttc::Event::Incoming(p)) => Ok(v4_event(p)),
                Ok(rumqttc::Event::Outgoing(_)) => Ok(Ev::Other),
                Err(e) => Err(self.route.explain(v4_error(e))),
            },
            Loop::V5(el) => match el.poll().await {
                Ok(v5::Event::Incoming(p)) => Ok(v5_event(p)),
                Ok(v5::Event::Outgoing(_)) => Ok(Ev::Other),
                Err(e) => Err(self.route.explain(v5_error(e))),
            },
        }
    }

    /// Drop the network and any PUBACK still queued for it (rumqttc's `clean`).
    pub fn clean(&mut self) {
        match &mut self.el {
            Loop::V4(el) => el.clean(),
            Loop::V5(el) => el.clean(),
        }
    }

    /// Publishes rumqttc read from the dead connection but has not yielded yet
    /// (`clean()` leaves them in `state.events`). They belong to the dead epoch.
    pub fn drain_stale(&mut self) -> Vec<RawPublish> {
        match &mut self.el {
            Loop::V4(el) => el
                .state
                .events
                .drain(..)
                .filter_map(|e| match e {
                    rumqttc::Event::Incoming(rumqttc::Packet::Publish(p)) => {
                        Some(RawPublish::V4(p))
                    }
                    _ => None,
                })
                .collect(),
            Loop::V5(el) => el
                .state
                .events
                .drain(..)
                .filter_map(|e| match e {
                    v5::Event::Incoming(p5::Packet::Publish(p)) => Some(RawPublish::V5(p)),
                    _ => None,
                })
                .collect(),
        }
    }

    /// Replace the password used on the next (re)connect, e.g. a refreshed token.
    pub fn set_credentials(&mut self, user: &str, pass: &str) {
        match &mut self.el {
            Loop::V4(el) => {
                el.mqtt_options.set_credentials(user, pass);
            }
            Loop::V5(el) => {
                el.options.set_credentials(user, pass);
            }
        }
    }
}

fn v4_event(p: rumqttc::Packet) -> Ev {
    use rumqttc::{Packet, SubscribeReasonCode};
    match p {
        Packet::ConnAck(c) => Ev::ConnAck {
            session_present: c.session_present,
        },
        Packet::SubAck(s) => Ev::SubAck {
            refused: s
                .return_codes
                .iter()
                .filter(|c| matches!(c, SubscribeReasonCode::Failure))
                .map(|c| format!("{c:?}"))
                .collect(),
        },
        Packet::Publish(p) => Ev::Publish(RawPublish::V4(p)),
        _ => Ev::Other,
    }
}

fn v5_event(p: p5::Packet) -> Ev {
    match p {
        p5::Packet::ConnAck(c) => Ev::ConnAck {
            session_present: c.session_present,
        },
        p5::Packet::SubAck(s) => Ev::SubAck {
            refused: s
                .return_codes
                .iter()
                .filter(|c| !matches!(c, p5::SubscribeReasonCode::Success(_)))
                .map(|c| format!("{c:?}"))
                .collect(),
        },
        p5::Packet::Publish(p) => Ev::Publish(RawPublish::V5(p)),
        p5::Packet::Disconnect(d) => Ev::Disconnect {
            reason: format!("{:?}", d.reason_code),
        },
        _ => Ev::Other,
    }
}

/// rumqttc nests a TLS alert from the broker deep inside protocol errors
/// ("Mqtt state: … IO: received fatal alert: UnknownCA"); say what it means instead.
fn explain(raw: String) -> String {
    if raw.contains("certificate not valid for name") {
        return format!(
            "{raw} (set server_name to a name the certificate is valid for when host is an address or alias)"
        );
    }
    let Some(pos) = raw.find("received fatal alert: ") else {
        return raw;
    };
    let alert = raw[pos + "received fatal alert: ".len()..].trim();
    let meaning = match alert {
        "UnknownCA" | "BadCertificate" | "CertificateUnknown" => {
            "the broker does not accept our client certificate"
        }
        "CertificateRequired" => "the broker requires a client certificate",
        "CertificateExpired" => "our client certificate has expired",
        "CertificateRevoked" => "our client certificate was revoked",
        "HandshakeFailure" | "ProtocolVersion" => "no TLS parameters in common with the broker",
        _ => "the broker aborted the handshake",
    };
    format!("TLS handshake rejected: {meaning} (alert {alert})")
}

fn v4_error(e: rumqttc::ConnectionError) -> String {
    explain(v4_error_raw(e))
}

fn v5_error(e: v5::ConnectionError) -> String {
    explain(v5_error_raw(e))
}

fn v4_error_raw(e: rumqttc::ConnectionError) -> String {
    use rumqttc::ConnectionError as E;
    match e {
        E::ConnectionRefused(code) => format!("the broker refused the connection: {code:?}"),
        E::Tls(t) => format!("TLS error: {t}"),
        E::NetworkTimeout => "timed out connecting to the broker".into(),
        other => other.to_string(),
    }
}

fn v5_error_raw(e: v5::ConnectionError) -> String {
    use v5::ConnectionError as E;
    match e {
        E::ConnectionRefused(code) => format!("the broker refused the connection: {code:?}"),
        E::Tls(t) => format!("TLS error: {t}"),
        E::Timeout(_) => "timed out connecting to the broker".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_alerts_are_explained() {
        let raw = "Mqtt state: Mqtt serialization/deserialization error: IO: received fatal alert: UnknownCA";
        assert_eq!(
            explain(raw.into()),
            "TLS handshake rejected: the broker does not accept our client certificate (alert UnknownCA)"
        );
        assert_eq!(
            explain("I/O: connection refused".into()),
            "I/O: connection refused"
        );
    }

    #[test]
    fn an_ack_ref_keeps_the_packet_id_and_the_qos_and_nothing_else() {
        use rumqttc::v5::mqttbytes::QoS as Q5;
        let mut v4 = rumqttc::Publish::new("a/b", QoS::AtLeastOnce, vec![1; 700]);
        v4.pkid = 42;
        let mut v5 = p5::Publish::new("a/b", Q5::ExactlyOnce, vec![1; 700], None);
        v5.pkid = 7;
        let (a4, a5) = (RawPublish::V4(v4).ack_ref(), RawPublish::V5(v5).ack_ref());
        assert_eq!(
            a4,
            AckRef {
                v5: false,
                pkid: 42,
                exactly_once: false
            }
        );
        assert_eq!(
            a5,
            AckRef {
                v5: true,
                pkid: 7,
                exactly_once: true
            }
        );
        assert!(std::mem::size_of::<AckRef>() <= 4);
    }
}
