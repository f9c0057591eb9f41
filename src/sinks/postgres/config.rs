//! `[sinks.NAME]` of `type = "postgres"` (SPEC.md §6), with its defaults.

use crate::config::values::Duration;
use crate::config::Secret;
use serde::Deserialize;

/// `type = "postgres"`: history and latest state per vehicle, idempotent.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PostgresSinkConfig {
    #[serde(rename = "type")]
    pub kind: String,
    /// `postgres://user:password@host:port/db?sslmode=...`: a secret, since it usually
    /// carries the password (`${PGPASSWORD}`); never logged, never in an error message.
    pub url: Secret,
    /// Where `signals`, `latest` and `records` live; created on start when missing.
    #[serde(default = "default_schema")]
    pub schema: String,
    /// The most signal rows one transaction writes (a record is never split).
    #[serde(default = "default_batch_max_rows")]
    pub batch_max_rows: usize,
    /// The longest rows handed over together wait for more to join them.
    #[serde(default = "default_batch_timeout")]
    pub batch_timeout: Duration,
}

pub fn default_schema() -> String {
    "vinstream".into()
}
fn default_batch_max_rows() -> usize {
    5000
}
fn default_batch_timeout() -> Duration {
    Duration(std::time::Duration::from_millis(500))
}
