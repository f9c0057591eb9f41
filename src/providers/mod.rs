//! Providers: how to reach each car-data broker and how to read what it sends.
//! Each knows its topics, auth and payload format, and nothing about sinks.

pub mod bmw;
pub mod config;
pub mod high_mobility;
pub mod provider;
pub mod vehicles;

pub use provider::{Env, Malformed};
pub use vehicles::Vehicles;

use crate::mqtt::{DeliverFn, Session};
use crate::record::{ProviderKind, Record};
use chrono::{DateTime, Utc};
pub use config::ProviderConfig;

/// Payload → record for one provider kind; the topic helps providers that need it.
pub fn normalize(
    kind: ProviderKind,
    source: &str,
    topic: &str,
    payload: &[u8],
    received_at: DateTime<Utc>,
) -> Result<Record, Malformed> {
    normalize_for(
        kind,
        source,
        topic,
        payload,
        received_at,
        &Vehicles::default(),
    )
}

/// [`normalize`] with what is known of the vehicles from earlier messages (the driver's
/// side): the result depends on the payload and `vehicles` only, never on what this
/// process saw before.
pub fn normalize_for(
    kind: ProviderKind,
    source: &str,
    topic: &str,
    payload: &[u8],
    received_at: DateTime<Utc>,
    vehicles: &Vehicles,
) -> Result<Record, Malformed> {
    match kind {
        ProviderKind::HighMobilityV1 | ProviderKind::HighMobilityV2 => {
            high_mobility::normalize::normalize(kind, source, topic, payload, received_at, vehicles)
        }
        ProviderKind::BmwCardata => bmw::normalize::normalize(source, topic, payload, received_at),
    }
}

pub fn kind_of(config: &ProviderConfig) -> ProviderKind {
    config.record_kind()
}

/// Start a provider's session; deliveries go to `out`.
pub async fn start(
    name: &str,
    config: &ProviderConfig,
    env: &Env<'_>,
    out: DeliverFn,
) -> Result<Session, String> {
    match config {
        ProviderConfig::HighMobilityV1(c) => high_mobility::start_v1(name, c, env, out),
        ProviderConfig::HighMobilityV2(c) => high_mobility::start_v2(name, c, env, out),
        ProviderConfig::Bmw(c) => bmw::start(name, c, env, out).await,
    }
}
