//! `[sinks.NAME]` of `type = "webhook"` (SPEC.md §2), with its defaults.

use crate::config::values::{ByteSize, Duration};
use crate::config::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

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
    /// Values are secrets: they often carry `Authorization` tokens.
    pub headers: BTreeMap<String, Secret>,
    /// HMAC-SHA256 key for `X-Vinstream-Signature: sha256=<hex>`.
    #[serde(default)]
    pub secret: Option<Secret>,
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
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// https only: the name verified in the certificate, sent as SNI and `Host`, while
    /// the connection goes to the URL's host (an address or an alias).
    #[serde(default)]
    pub server_name: Option<String>,
}

fn default_batch_max_events() -> usize {
    500
}
fn default_batch_timeout() -> Duration {
    Duration::secs(1)
}
fn default_buffer_max_bytes() -> ByteSize {
    ByteSize(1 << 30)
}
fn default_rejected_max_bytes() -> ByteSize {
    ByteSize(64 << 20)
}
fn default_timeout() -> Duration {
    Duration::secs(30)
}
