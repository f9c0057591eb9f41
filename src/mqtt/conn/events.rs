//! What the session driver is told of rumqttc's two protocol modules: received publishes
//! (and the few bytes their acks need), the events it reacts to, and connection errors in
//! words an operator can act on.

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5 as p5;
use rumqttc::{v5, QoS};

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
            // a valid topic (the only kind brokers forward) skips the lossy path's
            // per-chunk decoding: ~400 instructions a message in a drain
            RawPublish::V5(p) => match std::str::from_utf8(&p.topic) {
                Ok(topic) => topic.to_owned(),
                Err(_) => String::from_utf8_lossy(&p.topic).into_owned(),
            },
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
    pub(super) v5: bool,
    pub(super) pkid: u16,
    /// QoS 2 is answered with PUBREC, QoS 1 with PUBACK.
    pub(super) exactly_once: bool,
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

pub(super) fn v4_event(p: rumqttc::Packet) -> Ev {
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

pub(super) fn v5_event(p: p5::Packet) -> Ev {
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
pub(super) fn explain(raw: String) -> String {
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

pub(super) fn v4_error(e: rumqttc::ConnectionError) -> String {
    explain(v4_error_raw(e))
}

pub(super) fn v5_error(e: v5::ConnectionError) -> String {
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
