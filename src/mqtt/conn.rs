//! One face over rumqttc's two protocol modules (v4 = MQTT 3.1.1, v5 = MQTT 5), so the
//! session driver is written once. Only the events the driver reacts to are surfaced
//! (`conn/events.rs`).

mod events;

use super::sni::Route;
use events::{v4_error, v4_event, v5_error, v5_event};
pub use events::{AckRef, Ev, RawPublish};
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
