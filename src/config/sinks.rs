//! Sink tables of the config file (SPEC.md §2). Each sink's runtime lives in
//! `src/sinks/{type}.rs`; these are only the settings, with their defaults.

use super::values::{ByteSize, Duration};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn secs(n: u64) -> Duration {
    Duration(std::time::Duration::from_secs(n))
}

/// `type = "stdout"`: JSON Lines on standard output.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StdoutSinkConfig {
    #[serde(rename = "type")]
    pub kind: String,
}

/// `type = "file"`: JSON Lines in a file, rotated by size.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileSinkConfig {
    #[serde(rename = "type")]
    pub kind: String,
    pub path: PathBuf,
    /// Rotate when the file would grow past this: `path.1` (newest) … `path.{max_files}`.
    #[serde(default = "default_file_max_bytes")]
    pub max_bytes: ByteSize,
    #[serde(default = "default_file_max_files")]
    pub max_files: usize,
    /// fsync before a batch counts as accepted (power-loss safe, slower).
    #[serde(default)]
    pub fsync: bool,
}

fn default_file_max_bytes() -> ByteSize {
    ByteSize(100_000_000)
}
fn default_file_max_files() -> usize {
    10
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    #[default]
    None,
    Gzip,
}

/// `type = "webhook"`: HTTPS POST of JSON arrays, spooled durably while the endpoint is down.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookSinkConfig {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// HMAC-SHA256 key for `X-Vinstream-Signature: sha256=<hex>`.
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default = "default_batch_max_events")]
    pub batch_max_events: usize,
    #[serde(default = "default_batch_timeout")]
    pub batch_timeout: Duration,
    #[serde(default = "default_buffer_max_bytes")]
    pub buffer_max_bytes: ByteSize,
    /// Cap of `rejected.jsonl` and `rejected.jsonl.1` together (oldest dropped).
    #[serde(default = "default_rejected_max_bytes")]
    pub rejected_max_bytes: ByteSize,
    #[serde(default)]
    pub compression: Compression,
    /// One request's deadline.
    #[serde(default = "default_http_timeout")]
    pub timeout: Duration,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn default_batch_max_events() -> usize {
    500
}
fn default_batch_timeout() -> Duration {
    secs(1)
}
fn default_buffer_max_bytes() -> ByteSize {
    ByteSize(1 << 30)
}
fn default_rejected_max_bytes() -> ByteSize {
    ByteSize(64 << 20)
}
fn default_http_timeout() -> Duration {
    secs(30)
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum KeyStyle {
    /// `Vehicle.Speed`
    #[default]
    Path,
    /// `vehicle_speed`
    Flat,
}

/// `type = "thingsboard"`: the MQTT gateway API, one ThingsBoard device per VIN.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ThingsboardSinkConfig {
    #[serde(rename = "type")]
    pub kind: String,
    pub host: String,
    #[serde(default = "default_mqtts_port")]
    pub port: u16,
    #[serde(default = "yes")]
    pub tls: bool,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub server_name: Option<String>,
    /// The gateway device's access token (the MQTT username).
    pub access_token: String,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default = "default_device_type")]
    pub device_type: String,
    #[serde(default)]
    pub key_style: KeyStyle,
    #[serde(default = "default_tb_payload")]
    pub max_payload_bytes: ByteSize,
}

fn default_mqtts_port() -> u16 {
    8883
}
fn yes() -> bool {
    true
}
fn default_device_type() -> String {
    "vehicle".into()
}
fn default_tb_payload() -> ByteSize {
    ByteSize(64 * 1024)
}

/// `type = "cumulocity"`: MQTT SmartREST 2.0 static templates, one child device per VIN.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CumulocitySinkConfig {
    #[serde(rename = "type")]
    pub kind: String,
    pub host: String,
    #[serde(default = "default_mqtts_port")]
    pub port: u16,
    #[serde(default = "yes")]
    pub tls: bool,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub server_name: Option<String>,
    pub tenant: String,
    pub username: String,
    pub password: String,
    /// The daemon's own device: MQTT client id `d:{device_id}`.
    pub device_id: String,
    #[serde(default = "default_c8y_name")]
    pub device_name: String,
    #[serde(default = "default_c8y_type")]
    pub device_type: String,
    #[serde(default = "default_c8y_child_type")]
    pub child_type: String,
    /// Measurements as `201` (several series per row) or `200` (one per row).
    #[serde(default = "yes")]
    pub use_201: bool,
}

fn default_c8y_name() -> String {
    "vinstream".into()
}
fn default_c8y_type() -> String {
    "c8y_vinstream".into()
}
fn default_c8y_child_type() -> String {
    "c8y_Vehicle".into()
}

/// `type = "nats"`: NATS JetStream, `Nats-Msg-Id` = record id.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NatsSinkConfig {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    pub stream: String,
    /// Templated with `{vin}` and `{source}`.
    #[serde(default = "default_nats_subject")]
    pub subject: String,
    #[serde(default)]
    pub create_stream: bool,
    /// Subjects of a created stream (default: the subject template with `*` for fields).
    #[serde(default)]
    pub subjects: Option<Vec<String>>,
    #[serde(default)]
    pub max_age: Option<Duration>,
    #[serde(default = "default_duplicate_window")]
    pub duplicate_window: Duration,
    #[serde(default)]
    pub credentials_file: Option<PathBuf>,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default = "default_http_timeout")]
    pub timeout: Duration,
}

fn default_nats_subject() -> String {
    "vehicles.{vin}".into()
}
fn default_duplicate_window() -> Duration {
    secs(120)
}

#[derive(Debug, Clone, PartialEq)]
pub enum SinkConfig {
    Stdout(StdoutSinkConfig),
    File(FileSinkConfig),
    Webhook(WebhookSinkConfig),
    Thingsboard(ThingsboardSinkConfig),
    Cumulocity(CumulocitySinkConfig),
    Nats(NatsSinkConfig),
}

impl SinkConfig {
    pub fn kind(&self) -> &'static str {
        match self {
            SinkConfig::Stdout(_) => "stdout",
            SinkConfig::File(_) => "file",
            SinkConfig::Webhook(_) => "webhook",
            SinkConfig::Thingsboard(_) => "thingsboard",
            SinkConfig::Cumulocity(_) => "cumulocity",
            SinkConfig::Nats(_) => "nats",
        }
    }
}
