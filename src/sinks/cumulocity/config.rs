//! `[sinks.NAME]` of `type = "cumulocity"` (SPEC.md §2), with its defaults.

use crate::config::Secret;
use serde::Deserialize;
use std::path::PathBuf;

/// `type = "cumulocity"`: MQTT SmartREST 2.0 static templates, one child device per VIN.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CumulocitySinkConfig {
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
    pub tenant: String,
    pub username: String,
    pub password: Secret,
    /// The daemon's own device: MQTT client id `d:{device_id}`.
    pub device_id: String,
    #[serde(default = "default_c8y_name")]
    pub device_name: String,
    #[serde(default = "default_c8y_type")]
    pub device_type: String,
    #[serde(default = "default_c8y_child_type")]
    pub child_type: String,
    /// Measurements as `201` (several series per row) or `200` (one per row).
    #[serde(default = "crate::sinks::mqtt_out::yes")]
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
