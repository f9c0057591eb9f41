//! The MQTT session knobs every provider table has (`[providers.NAME.session]`, and the
//! protocol version where a provider lets one choose), with their defaults and checks.

use crate::config::values::{ByteSize, Duration};
use crate::config::Problems;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum MqttProtocol {
    #[default]
    V5,
    V3,
}

/// MQTT session knobs shared by every provider; the defaults suit the providers'
/// brokers, so most users never write this table.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SessionTuning {
    /// How often we ping; also how fast a half-open connection is noticed.
    #[serde(default = "default_keep_alive")]
    pub keep_alive: Duration,
    /// How long the broker keeps our session (and queues for us) while we are away.
    #[serde(default = "default_session_expiry")]
    pub session_expiry: Duration,
    /// Deliveries in flight (received, not yet acked); bounds memory and the ack queue.
    #[serde(default = "default_receive_maximum")]
    pub receive_maximum: u16,
    /// Largest message accepted; High Mobility V2 messages carry many values.
    #[serde(default = "default_max_packet_size")]
    pub max_packet_size: ByteSize,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout: Duration,
    /// Payload bytes a session may have waiting for the sinks. A broker that ignores our
    /// receive maximum cannot push past it: further messages stay unacknowledged and are
    /// redelivered after the sinks catch up.
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: ByteSize,
}

impl Default for SessionTuning {
    fn default() -> Self {
        SessionTuning {
            keep_alive: default_keep_alive(),
            session_expiry: default_session_expiry(),
            receive_maximum: default_receive_maximum(),
            max_packet_size: default_max_packet_size(),
            connect_timeout: default_connect_timeout(),
            max_in_flight: default_max_in_flight(),
        }
    }
}

fn default_keep_alive() -> Duration {
    Duration(std::time::Duration::from_secs(30))
}
fn default_session_expiry() -> Duration {
    Duration(std::time::Duration::from_secs(7 * 24 * 3600))
}
fn default_receive_maximum() -> u16 {
    256
}
fn default_max_packet_size() -> ByteSize {
    ByteSize(4 << 20)
}
fn default_max_in_flight() -> ByteSize {
    ByteSize(8 << 20)
}
fn default_connect_timeout() -> Duration {
    Duration(std::time::Duration::from_secs(10))
}

/// Values of `[providers.NAME.session]` that parse but cannot work.
pub fn check(s: &SessionTuning, p: &mut Problems) {
    let secs = s.keep_alive.0.as_secs();
    if !(5..=65535).contains(&secs) {
        p.at("keep_alive", "must be between 5s and 65535s");
    }
    if s.session_expiry.0.as_secs() > u64::from(u32::MAX) || s.session_expiry.0.is_zero() {
        p.at("session_expiry", "must be between 1s and 136 years");
    }
    if s.receive_maximum == 0 {
        p.at("receive_maximum", "must be at least 1");
    }
    if s.max_packet_size.0 < 1024 || s.max_packet_size.0 > 268_435_455 {
        p.at(
            "max_packet_size",
            "must be between 1KiB and 256MiB (the MQTT limit)",
        );
    }
}
