//! `[sinks.NAME]` of `type = "homeassistant"` (SPEC.md §6), with its defaults.

use crate::config::Secret;
use serde::Deserialize;
use std::path::PathBuf;

/// Which signals become Home Assistant entities.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Entities {
    /// VSS paths only.
    #[default]
    Mapped,
    /// VSS paths, and vendor ones (`HM.*`, `BMW.*`) as entities disabled by default.
    All,
}

/// `type = "homeassistant"`: MQTT discovery on the broker Home Assistant's MQTT
/// integration uses, one HA device per VIN.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HomeAssistantSinkConfig {
    #[serde(rename = "type")]
    pub kind: String,
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    /// Plain TCP unless set: a home broker usually listens on 1883 without TLS.
    #[serde(default)]
    pub tls: bool,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// A client certificate, for brokers that ask for one (with `key_file`).
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    #[serde(default)]
    pub server_name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    #[serde(default = "default_discovery_prefix")]
    pub discovery_prefix: String,
    #[serde(default = "default_base_topic")]
    pub base_topic: String,
    #[serde(default)]
    pub entities: Entities,
}

fn default_port() -> u16 {
    1883
}
fn default_discovery_prefix() -> String {
    "homeassistant".into()
}
fn default_base_topic() -> String {
    "vinstream".into()
}
