//! Records for the unit tests of what consumes them (sinks, subjects, vehicle memory): one
//! builder, so the tests do not each spell out every field of `Record` and `Signal`.

use super::{ProviderKind, Record, Signal};
use serde_json::Value;

/// A High Mobility V2 record of source `hm`, id `hm:{message_id}`, received now.
pub(crate) fn record(vin: &str, message_id: &str, signals: Vec<Signal>) -> Record {
    let kind = ProviderKind::HighMobilityV2;
    Record {
        id: Record::make_id(kind, message_id),
        vin: vin.into(),
        provider: kind,
        source: "hm".into(),
        message_id: message_id.into(),
        received_at: chrono::Utc::now(),
        signals,
    }
}

/// A signal of `origin` (a provider's `capability.property`, or anything for a sink).
pub(crate) fn signal(
    path: &str,
    value: Value,
    unit: Option<&str>,
    timestamp: Option<&str>,
    origin: &str,
) -> Signal {
    Signal {
        path: path.to_string().into(),
        value,
        unit: unit.map(|u| u.to_string().into()),
        timestamp: timestamp.map(std::sync::Arc::from),
        origin: origin.into(),
        failure: None,
    }
}
