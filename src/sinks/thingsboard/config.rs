//! `[sinks.NAME]` of `type = "thingsboard"` (SPEC.md §2), with its defaults.

use crate::config::values::ByteSize;
use crate::config::Secret;
use serde::Deserialize;
use std::path::PathBuf;

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
    #[serde(default = "crate::sinks::mqtt_out::default_port")]
    pub port: u16,
    #[serde(default = "crate::sinks::mqtt_out::yes")]
    pub tls: bool,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub server_name: Option<String>,
    /// The gateway device's access token (the MQTT username).
    pub access_token: Secret,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default = "default_device_type")]
    pub device_type: String,
    #[serde(default)]
    pub key_style: KeyStyle,
    #[serde(default = "default_tb_payload")]
    pub max_payload_bytes: ByteSize,
}

fn default_device_type() -> String {
    "vehicle".into()
}
fn default_tb_payload() -> ByteSize {
    ByteSize(64 * 1024)
}
