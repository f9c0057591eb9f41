//! The config file as the daemon reads it: `config/`'s loader, given every provider type
//! (`providers::ProviderConfig`) and every sink type (`sinks::SinkConfig`). This is the
//! one place that names both sides; `config/` itself knows neither.

use crate::config::{self, ConfigError, Problem};
use crate::providers::ProviderConfig;
use crate::sinks::SinkConfig;
use std::path::Path;

/// The whole, validated configuration.
pub type Config = config::Config<ProviderConfig, SinkConfig>;

/// Read, parse and validate a config file, including the files it references.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    config::load(path)
}

/// Parse and validate config text; referenced files (certificates, keys) are read.
pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, Vec<Problem>> {
    config::parse(text, env)
}

#[cfg(test)]
mod tests;
