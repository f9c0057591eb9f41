//! The daemon's own tables, `[daemon]` and `[dedup]` (SPEC.md §2), with their defaults
//! and checks. Every table denies unknown keys: a typo must be an error, not a silently
//! ignored setting.

use super::values::{ByteSize, Duration};
use super::Problems;
use super::Secret;
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
    /// The fleet page keeps the latest state of at most this many VINs (the least
    /// recently seen one makes room): its memory stays bounded whatever the fleet.
    #[serde(default = "default_max_vehicles")]
    pub max_vehicles: usize,
    /// When set, `/` and `/api/*` of the admin listener need it (bearer, cookie or
    /// `?token=`): for an `admin_listen` that others can reach.
    #[serde(default)]
    pub admin_token: Option<Secret>,
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
            max_vehicles: default_max_vehicles(),
            admin_token: None,
        }
    }
}

fn default_dead_letter_max_bytes() -> ByteSize {
    ByteSize(64 << 20)
}
fn default_summary_interval() -> Duration {
    Duration(std::time::Duration::from_secs(60))
}
fn default_max_vehicles() -> usize {
    10_000
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

/// Values that parse but make no sense.
pub(super) fn check(daemon: &DaemonConfig, dedup: &DedupConfig, p: &mut Problems) {
    let level = daemon.log_level.as_str();
    let plain_level = ["off", "error", "warn", "info", "debug", "trace"].contains(&level);
    let directives = level.contains('=') || level.contains(',');
    if !(plain_level || directives && tracing_subscriber::EnvFilter::try_new(level).is_ok()) {
        p.at(
            "daemon.log_level",
            format!(
                "`{}` is not a level (error, warn, info, debug, trace) or filter",
                daemon.log_level
            ),
        );
    }
    if let Some(addr) = &daemon.admin_listen {
        if addr.parse::<std::net::SocketAddr>().is_err() {
            p.at(
                "daemon.admin_listen",
                format!("`{addr}` is not an address like 127.0.0.1:9464"),
            );
        }
    }
    if daemon.max_vehicles == 0 {
        p.at("daemon.max_vehicles", "must be at least 1");
    }
    if daemon.admin_token.as_ref().is_some_and(Secret::is_empty) {
        p.at(
            "daemon.admin_token",
            "is empty: leave it out, or set a token (e.g. \"${VINSTREAM_ADMIN_TOKEN}\")",
        );
    }
    if dedup.capacity == 0 {
        p.at("dedup.capacity", "must be at least 1");
    }
    if dedup.ttl.0.is_zero() {
        p.at("dedup.ttl", "must be longer than 0s");
    }
}
