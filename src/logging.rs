//! Logs go to stderr only (stdout carries records), as text or JSON. `RUST_LOG`, when
//! set, overrides `log_level` so a person can turn up one module without editing config.

use crate::config::LogFormat;
use tracing_subscriber::EnvFilter;

/// Libraries whose own logs repeat what our state-change lines already say (e.g. every
/// reconnect attempt) are held at warn unless the user asks for them.
const QUIET: &str = "async_nats=warn,rumqttc=warn,hyper=warn,reqwest=warn";

pub fn init(format: LogFormat, level: &str) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| {
            let quiet: Vec<&str> = QUIET
                .split(',')
                .filter(|d| !level.contains(d.split('=').next().unwrap_or(d)))
                .collect();
            EnvFilter::try_new(format!("{level},{}", quiet.join(",")))
                .unwrap_or_else(|_| EnvFilter::new("info"))
        });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let result = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    // A second init (tests, embedded use) keeps the first subscriber.
    let _ = result;
}
