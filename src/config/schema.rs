//! The config file's schema (SPEC.md §2). Every table denies unknown keys: a typo must
//! be an error, not a silently ignored setting.

pub use super::sinks::*;
use super::values::{ByteSize, Duration};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DaemonConfig {
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    #[serde(default)]
    pub admin_listen: Option<String>,
    #[serde(default)]
    pub log_format: LogFormat,
    #[serde(default = "default_log_level")]
    pub log_level: String,
    #[serde(default = "default_shutdown_timeout")]
    pub shutdown_timeout: Duration,
    /// `dead-letter.jsonl` rotates at this size, keeping `dead_letter_max_files` old files.
    #[serde(default = "default_dead_letter_max_bytes")]
    pub dead_letter_max_bytes: ByteSize,
    #[serde(default = "default_dead_letter_max_files")]
    pub dead_letter_max_files: usize,
    /// How often the one-line summary (rates, backlogs) is logged.
    #[serde(default = "default_summary_interval")]
    pub summary_interval: Duration,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            state_dir: default_state_dir(),
            admin_listen: None,
            log_format: LogFormat::default(),
            log_level: default_log_level(),
            shutdown_timeout: default_shutdown_timeout(),
            dead_letter_max_bytes: default_dead_letter_max_bytes(),
            dead_letter_max_files: default_dead_letter_max_files(),
            summary_interval: default_summary_interval(),
        }
    }
}

fn default_dead_letter_max_bytes() -> ByteSize {
    ByteSize(64 << 20)
}
fn default_summary_interval() -> Duration {
    Duration(std::time::Duration::from_secs(60))
}
fn default_dead_letter_max_files() -> usize {
    3
}

fn default_state_dir() -> PathBuf {
    PathBuf::from("/var/lib/vinstream")
}
fn default_log_level() -> String {
    "info".into()
}
fn default_shutdown_timeout() -> Duration {
    Duration(std::time::Duration::from_secs(10))
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DedupConfig {
    #[serde(default = "default_ttl")]
    pub ttl: Duration,
    #[serde(default = "default_capacity")]
    pub capacity: usize,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            ttl: default_ttl(),
            capacity: default_capacity(),
        }
    }
}

fn default_ttl() -> Duration {
    Duration(std::time::Duration::from_secs(24 * 3600))
}
fn default_capacity() -> usize {
    1_000_000
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Live,
    Sandbox,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Live => "live",
            Environment::Sandbox => "sandbox",
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum MqttProtocol {
    #[default]
    V5,
    V3,
}

/// `type = "high_mobility_v2"`: High Mobility's MQTT V2 (Enterprise) broker.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HighMobilityV2Config {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default = "default_hm_v2_host")]
    pub host: String,
    #[serde(default = "default_tls_port")]
    pub port: u16,
    pub environment: Environment,
    pub application_id: String,
    pub ca_file: PathBuf,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    #[serde(default)]
    pub server_name: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub share_group: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub protocol: MqttProtocol,
    #[serde(default)]
    pub session: SessionTuning,
}

impl HighMobilityV2Config {
    /// The subscription filter: a shared subscription by default, so replicas can split
    /// the stream, or the plain topic when `share_group = ""`.
    pub fn topic_filter(&self) -> String {
        if let Some(t) = &self.topic {
            return t.clone();
        }
        let plain = format!(
            "{}/level13/{}",
            self.environment.as_str(),
            self.application_id
        );
        match self.share_group.as_deref() {
            Some("") => plain,
            Some(group) => format!("$share/{group}/{plain}"),
            None => format!("$share/{}/{plain}", self.application_id),
        }
    }
}

/// `type = "high_mobility_v1"`: High Mobility's MQTT V1 (Auto API) broker, MQTT 3.1.1.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HighMobilityV1Config {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default = "default_hm_v1_host")]
    pub host: String,
    #[serde(default = "default_tls_port")]
    pub port: u16,
    pub environment: Environment,
    pub application_id: String,
    pub ca_file: PathBuf,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    #[serde(default)]
    pub server_name: Option<String>,
    /// The certificate id from the console: the broker allows one connection per id.
    pub client_id: String,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub session: SessionTuning,
}

impl HighMobilityV1Config {
    pub fn topic_filter(&self) -> String {
        self.topic.clone().unwrap_or_else(|| {
            format!(
                "{}/level13/{}/#",
                self.environment.as_str(),
                self.application_id
            )
        })
    }
}

/// `type = "bmw_cardata"`: BMW CarData streaming (MQTT 3.1.1, id token as password).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BmwConfig {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default = "default_bmw_host")]
    pub host: String,
    #[serde(default = "default_bmw_port")]
    pub port: u16,
    /// The CarData client id (OAuth), from the BMW portal.
    pub client_id: String,
    /// The MQTT username; also the client id, as BMW allows one connection per GCID.
    pub gcid: String,
    pub token_file: PathBuf,
    /// `[]` subscribes `{gcid}/+`; otherwise one `{gcid}/{vin}` each.
    #[serde(default)]
    pub vins: Vec<String>,
    #[serde(default = "default_token_url")]
    pub token_url: String,
    #[serde(default = "default_device_code_url")]
    pub device_code_url: String,
    /// Refresh this long before the id token expires.
    #[serde(default = "default_refresh_before")]
    pub refresh_before: Duration,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub server_name: Option<String>,
    #[serde(default)]
    pub session: SessionTuning,
}

impl BmwConfig {
    pub fn topic_filters(&self) -> Vec<String> {
        if self.vins.is_empty() {
            vec![format!("{}/+", self.gcid)]
        } else {
            self.vins
                .iter()
                .map(|v| format!("{}/{v}", self.gcid))
                .collect()
        }
    }
}

fn default_bmw_host() -> String {
    "customer.streaming-cardata.bmwgroup.com".into()
}
fn default_bmw_port() -> u16 {
    9000
}
fn default_token_url() -> String {
    crate::providers::bmw::oauth::DEFAULT_TOKEN_URL.into()
}
fn default_device_code_url() -> String {
    crate::providers::bmw::oauth::DEFAULT_DEVICE_CODE_URL.into()
}
fn default_refresh_before() -> Duration {
    Duration(std::time::Duration::from_secs(600))
}

fn default_hm_v1_host() -> String {
    "mqtt.high-mobility.com".into()
}

fn default_hm_v2_host() -> String {
    "mqtt-v2.high-mobility.com".into()
}
fn default_tls_port() -> u16 {
    8883
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

#[derive(Debug, Clone, PartialEq)]
pub enum ProviderConfig {
    HighMobilityV1(HighMobilityV1Config),
    HighMobilityV2(HighMobilityV2Config),
    Bmw(BmwConfig),
}

impl ProviderConfig {
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderConfig::HighMobilityV1(_) => "high_mobility_v1",
            ProviderConfig::HighMobilityV2(_) => "high_mobility_v2",
            ProviderConfig::Bmw(_) => "bmw_cardata",
        }
    }

    /// Host and port of the broker.
    pub fn broker(&self) -> (&str, u16) {
        match self {
            ProviderConfig::HighMobilityV1(c) => (&c.host, c.port),
            ProviderConfig::HighMobilityV2(c) => (&c.host, c.port),
            ProviderConfig::Bmw(c) => (&c.host, c.port),
        }
    }

    /// The subscription filters.
    pub fn topics(&self) -> Vec<String> {
        match self {
            ProviderConfig::HighMobilityV1(c) => vec![c.topic_filter()],
            ProviderConfig::HighMobilityV2(c) => vec![c.topic_filter()],
            ProviderConfig::Bmw(c) => c.topic_filters(),
        }
    }

    /// Broker, account identity and its key: the broker allows one live connection per
    /// pair (per certificate for High Mobility, per GCID for BMW).
    pub fn identity(&self) -> (&str, Option<&str>, &'static str) {
        match self {
            ProviderConfig::HighMobilityV1(c) => (&c.host, Some(&c.client_id), "client_id"),
            ProviderConfig::HighMobilityV2(c) => (&c.host, c.client_id.as_deref(), "client_id"),
            ProviderConfig::Bmw(c) => (&c.host, Some(&c.gcid), "gcid"),
        }
    }

    /// The session tuning table, shared by every provider type.
    pub fn session(&self) -> &SessionTuning {
        match self {
            ProviderConfig::HighMobilityV1(c) => &c.session,
            ProviderConfig::HighMobilityV2(c) => &c.session,
            ProviderConfig::Bmw(c) => &c.session,
        }
    }
}

/// The whole, validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub daemon: DaemonConfig,
    pub dedup: DedupConfig,
    pub providers: Vec<(String, ProviderConfig)>,
    pub sinks: Vec<(String, SinkConfig)>,
}
