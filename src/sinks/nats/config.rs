//! `[sinks.NAME]` of `type = "nats"` (SPEC.md §2), with its defaults.

use crate::config::values::Duration;
use serde::Deserialize;
use std::path::PathBuf;

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
    /// The name verified in the servers' certificates (TLS is then required).
    #[serde(default)]
    pub server_name: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
}

fn default_nats_subject() -> String {
    "vehicles.{vin}".into()
}
fn default_duplicate_window() -> Duration {
    Duration::secs(120)
}
fn default_timeout() -> Duration {
    Duration::secs(30)
}
