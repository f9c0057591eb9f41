//! The normalized record: the one shape every provider message becomes (SPEC.md §3).
//!
//! Field order matters: users diff and grep our JSON Lines, so keys are serialized in
//! the order the spec lists them, and optional keys are left out rather than `null`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;

/// Which wire protocol a record came from; it is also the record's `provider` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    HighMobilityV1,
    HighMobilityV2,
    BmwCardata,
}

impl ProviderKind {
    /// The `id` prefix: both High Mobility versions share one message-id space.
    pub fn family(self) -> &'static str {
        match self {
            ProviderKind::HighMobilityV1 | ProviderKind::HighMobilityV2 => "hm",
            ProviderKind::BmwCardata => "bmw",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::HighMobilityV1 => "high_mobility_v1",
            ProviderKind::HighMobilityV2 => "high_mobility_v2",
            ProviderKind::BmwCardata => "bmw_cardata",
        }
    }
}

/// One provider message, normalized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub id: String,
    pub vin: String,
    pub provider: ProviderKind,
    pub source: String,
    pub message_id: String,
    #[serde(serialize_with = "ser_millis")]
    pub received_at: DateTime<Utc>,
    pub signals: Vec<Signal>,
}

impl Record {
    /// The dedup key of SPEC.md §3: `{family}:{message_id}`.
    pub fn make_id(kind: ProviderKind, message_id: &str) -> String {
        format!("{}:{}", kind.family(), message_id)
    }

    /// One JSON line, newline included: exactly what the stdout and file sinks write.
    pub fn to_json_line(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec(self).expect("a record always serializes");
        out.push(b'\n');
        out
    }
}

/// One value of a message, in VSS terms when we know the mapping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub path: String,
    pub value: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    pub origin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Value>,
}

/// RFC 3339 UTC with milliseconds and `Z`, the one timestamp format we emit.
pub fn format_millis(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parse a provider timestamp (RFC 3339, 0–9 fraction digits, any offset) and render it
/// in our format. A timestamp we cannot parse is kept as sent rather than dropped:
/// losing the only hint of when a value was measured is worse than an odd format.
pub fn normalize_timestamp(raw: &str) -> String {
    match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => format_millis(&t.with_timezone(&Utc)),
        Err(_) => raw.to_string(),
    }
}

fn ser_millis<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_millis(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_normalize_to_millis_utc() {
        assert_eq!(
            normalize_timestamp("2025-09-23T18:07:36Z"),
            "2025-09-23T18:07:36.000Z"
        );
        assert_eq!(
            normalize_timestamp("2021-10-06T13:59:25.648943Z"),
            "2021-10-06T13:59:25.648Z"
        );
        assert_eq!(
            normalize_timestamp("2021-10-06T15:59:25.1+02:00"),
            "2021-10-06T13:59:25.100Z"
        );
        assert_eq!(normalize_timestamp("yesterday"), "yesterday");
    }

    #[test]
    fn record_keys_keep_spec_order_and_skip_absent_options() {
        let r = Record {
            id: "hm:1".into(),
            vin: "V".into(),
            provider: ProviderKind::HighMobilityV2,
            source: "hm".into(),
            message_id: "1".into(),
            received_at: DateTime::parse_from_rfc3339("2026-11-21T22:40:00.123Z")
                .unwrap()
                .with_timezone(&Utc),
            signals: vec![Signal {
                path: "Vehicle.Speed".into(),
                value: 1.5.into(),
                unit: Some("km/h".into()),
                timestamp: None,
                origin: "diagnostics.speed".into(),
                failure: None,
            }],
        };
        let line = String::from_utf8(r.to_json_line()).unwrap();
        assert_eq!(
            line,
            "{\"id\":\"hm:1\",\"vin\":\"V\",\"provider\":\"high_mobility_v2\",\"source\":\"hm\",\
             \"message_id\":\"1\",\"received_at\":\"2026-11-21T22:40:00.123Z\",\"signals\":[\
             {\"path\":\"Vehicle.Speed\",\"value\":1.5,\"unit\":\"km/h\",\"origin\":\"diagnostics.speed\"}]}\n"
        );
    }
}
