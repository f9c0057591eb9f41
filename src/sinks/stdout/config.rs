//! `[sinks.NAME]` of `type = "stdout"`: nothing to set but the type.

use serde::Deserialize;

/// `type = "stdout"`: JSON Lines on standard output.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StdoutSinkConfig {
    #[serde(rename = "type")]
    pub kind: String,
}
