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

/// [`record`] received at `received_at` (RFC 3339), for output that shows it.
pub(crate) fn record_at(
    vin: &str,
    message_id: &str,
    signals: Vec<Signal>,
    received_at: &str,
) -> Record {
    let mut r = record(vin, message_id, signals);
    r.received_at = chrono::DateTime::parse_from_rfc3339(received_at)
        .expect("an RFC 3339 time")
        .with_timezone(&chrono::Utc);
    r
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
