//! Sinks: where records go. `accept` returning Ok means "durable from my side" (written
//! and flushed, spooled, or acknowledged by the remote); only then is a message acked.
//!
//! This file is the sink registry: one line per sink type in `sinks!` below. Each type is
//! a folder `sinks/{type}/` with `config.rs` (its config type: serde, unknown keys
//! denied, defaults), and in `mod.rs` a `check(&Config, &mut Problems)` (what `build`
//! would refuse, found without opening anything, so `vinstream check` catches it) and
//! `async fn build(name, &Config, state_dir) -> Result<Arc<dyn Sink>, String>`.

pub mod cumulocity;
pub mod file;
pub mod homeassistant;
mod mqtt_out;
pub mod nats;
pub mod postgres;
mod sink;
pub mod stdout;
pub mod thingsboard;
pub mod webhook;

pub use sink::{Refusal, Sink, SinkError};

use crate::config::{typed, Problem, Problems, Section};
use std::path::Path;
use std::sync::Arc;

/// The registry: `Variant(config type) = "type" => module`, one line per sink type.
macro_rules! sinks {
    ($($variant:ident($config:ty) = $kind:literal => $module:ident,)+) => {
        /// One `[sinks.NAME]` table, by its `type`.
        #[derive(Debug, Clone, PartialEq)]
        pub enum SinkConfig {
            $($variant($config),)+
        }

        impl SinkConfig {
            /// The `type` it was written with.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(SinkConfig::$variant(_) => $kind,)+
                }
            }

            /// Report what building this sink would refuse.
            pub fn check(&self, p: &mut Problems) {
                match self {
                    $(SinkConfig::$variant(c) => $module::check(c, p),)+
                }
            }
        }

        impl Section for SinkConfig {
            const NAME: &'static str = "sinks";
            const TYPES: &'static [&'static str] = &[$($kind),+];

            fn parse(kind: &str, key: &str, t: toml::Table) -> Option<Result<Self, Vec<Problem>>> {
                match kind {
                    $($kind => Some(typed(t, key).map(SinkConfig::$variant)),)+
                    _ => None,
                }
            }

            fn check(entries: &[(String, Self)], problems: &mut Vec<Problem>) {
                for (name, sink) in entries {
                    sink.check(&mut Problems::new(format!("sinks.{name}"), problems));
                }
            }
        }

        /// Build a sink; `state_dir` holds sinks' durable state under `sinks/{name}/`.
        pub async fn build(
            name: &str,
            config: &SinkConfig,
            state_dir: &Path,
        ) -> Result<Arc<dyn Sink>, String> {
            match config {
                $(SinkConfig::$variant(c) => $module::build(name, c, state_dir).await,)+
            }
        }
    };
}

sinks! {
    Stdout(stdout::config::StdoutSinkConfig) = "stdout" => stdout,
    File(file::config::FileSinkConfig) = "file" => file,
    Webhook(webhook::config::WebhookSinkConfig) = "webhook" => webhook,
    Thingsboard(thingsboard::config::ThingsboardSinkConfig) = "thingsboard" => thingsboard,
    Cumulocity(cumulocity::config::CumulocitySinkConfig) = "cumulocity" => cumulocity,
    Nats(nats::config::NatsSinkConfig) = "nats" => nats,
    HomeAssistant(homeassistant::config::HomeAssistantSinkConfig) = "homeassistant" => homeassistant,
    Postgres(postgres::config::PostgresSinkConfig) = "postgres" => postgres,
}
