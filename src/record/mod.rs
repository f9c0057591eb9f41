//! The normalized record: the one shape every provider message becomes (SPEC.md §3).
//!
//! Field order matters: users diff and grep our JSON Lines, so keys are serialized in
//! the order the spec lists them, and optional keys are left out rather than `null`.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;

pub(crate) mod escape;
mod json;
#[cfg(test)]
pub(crate) mod testing;

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
        let family = kind.family();
        let mut id = String::with_capacity(family.len() + 1 + message_id.len());
        id.push_str(family);
        id.push(':');
        id.push_str(message_id);
        id
    }

    /// One JSON line, newline included: exactly what the stdout and file sinks write.
    pub fn to_json_line(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + 192 * self.signals.len());
        self.write_json_line(&mut out);
        out
    }
}

/// One value of a message, in VSS terms when we know the mapping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    /// Nearly always a catalogue path: borrowed, so a record does not allocate per signal
    /// for what every record repeats (a backlog drain builds ~9 signals per message).
    pub path: Cow<'static, str>,
    pub value: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<Cow<'static, str>>,
    /// Shared by the signals of one provider entry (a value and its unit, a position).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Arc<str>>,
    pub origin: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Value>,
}

/// RFC 3339 UTC with milliseconds and `Z`, the one timestamp format we emit.
pub fn format_millis(t: &DateTime<Utc>) -> String {
    with_millis(t, str::to_owned)
}

/// `f` applied to `t` in [`format_millis`]'s form, built on the stack when it can be:
/// the one place that picks between the fast path and chrono, for every writer.
fn with_millis<R>(t: &DateTime<Utc>, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 24];
    match millis_into(t, &mut buf) {
        Some(s) => f(s),
        None => f(&t.to_rfc3339_opts(SecondsFormat::Millis, true)),
    }
}

/// `format_millis` without chrono's formatter or an allocation, for years 0–9999 outside
/// a leap second (chrono renders those differently): `None` means "ask chrono".
fn millis_into<'b>(t: &DateTime<Utc>, buf: &'b mut [u8; 24]) -> Option<&'b str> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = t.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    fn put(buf: &mut [u8], at: usize, value: u32, digits: usize) {
        let mut v = value;
        for i in (0..digits).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    buf.copy_from_slice(b"0000-00-00T00:00:00.000Z");
    put(buf, 0, year, 4);
    put(buf, 5, t.month(), 2);
    put(buf, 8, t.day(), 2);
    put(buf, 11, t.hour(), 2);
    put(buf, 14, t.minute(), 2);
    put(buf, 17, t.second(), 2);
    put(buf, 20, nanos / 1_000_000, 3);
    std::str::from_utf8(buf).ok()
}

/// Parse a provider timestamp (RFC 3339, 0–9 fraction digits, any offset) and render it
/// in our format. A timestamp we cannot parse is kept as sent rather than dropped:
/// losing the only hint of when a value was measured is worse than an odd format.
/// Shared: every signal of a provider entry carries the entry's timestamp.
pub fn normalize_timestamp(raw: &str) -> Arc<str> {
    let mut buf = [0u8; 24];
    if let Some(s) = utc_fast_path(raw, &mut buf) {
        return Arc::from(s);
    }
    match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => format_millis(&t.with_timezone(&Utc)).into(),
        Err(_) => Arc::from(raw),
    }
}

/// The form nearly every provider timestamp has, `YYYY-MM-DDTHH:MM:SS[.f]Z` (UTC, 0–9
/// fraction digits, a valid date and a time before 23:59:60), rendered without a parse:
/// the date and time are kept as they are and the fraction cut to milliseconds, exactly
/// what parsing and formatting would give. Anything else (offsets, leap seconds, other
/// spellings) returns `None`, for chrono to handle.
fn utc_fast_path<'b>(raw: &str, out: &'b mut [u8; 24]) -> Option<&'b str> {
    let b = raw.as_bytes();
    if b.len() < 20 || b.len() > 30 || b[b.len() - 1] != b'Z' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let fraction = &b[19..b.len() - 1];
    let digits = match fraction.split_first() {
        None => &[][..],
        Some((b'.', d)) if (1..=9).contains(&d.len()) && d.iter().all(u8::is_ascii_digit) => d,
        _ => return None,
    };
    out[..19].copy_from_slice(&b[..19]);
    out[19] = b'.';
    for i in 0..3 {
        out[20 + i] = digits.get(i).copied().unwrap_or(b'0');
    }
    out[23] = b'Z';
    std::str::from_utf8(out).ok()
}

fn ser_millis<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    with_millis(t, |text| s.serialize_str(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_normalize_to_millis_utc() {
        assert_eq!(
            &*normalize_timestamp("2025-09-23T18:07:36Z"),
            "2025-09-23T18:07:36.000Z"
        );
        assert_eq!(
            &*normalize_timestamp("2021-10-06T13:59:25.648943Z"),
            "2021-10-06T13:59:25.648Z"
        );
        assert_eq!(
            &*normalize_timestamp("2021-10-06T15:59:25.1+02:00"),
            "2021-10-06T13:59:25.100Z"
        );
        assert_eq!(&*normalize_timestamp("yesterday"), "yesterday");
    }

    /// The fast path gives what chrono gives, for every shape it takes or declines.
    #[test]
    fn the_utc_fast_path_agrees_with_chrono() {
        let chrono_way = |raw: &str| match DateTime::parse_from_rfc3339(raw) {
            Ok(t) => t
                .with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            Err(_) => raw.to_string(),
        };
        let cases = [
            "2025-08-12T16:07:48.000Z",
            "2025-08-12T16:07:48Z",
            "2025-08-12T16:07:48.1Z",
            "2025-08-12T16:07:48.12Z",
            "2025-08-12T16:07:48.123456789Z",
            "2025-08-12T16:07:48.1234567891Z",
            "2025-08-12T16:07:48.Z",
            "2024-02-29T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2000-02-29T23:59:59.999Z",
            "2025-12-31T23:59:60Z",
            "2025-13-01T00:00:00Z",
            "2025-00-01T00:00:00Z",
            "2025-04-31T00:00:00Z",
            "2025-04-30T24:00:00Z",
            "2025-04-30T23:60:00Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.9999Z",
            "2025-08-12t16:07:48Z",
            "2025-08-12 16:07:48Z",
            "2025-08-12T16:07:48z",
            "2025-08-12T16:07:48+02:00",
            "2025-8-12T16:07:48Z",
            "+2025-08-12T16:07:48Z",
            "２025-08-12T16:07:48Z",
        ];
        for raw in cases {
            assert_eq!(*normalize_timestamp(raw), *chrono_way(raw), "{raw}");
        }
    }

    #[test]
    fn millis_formatting_agrees_with_chrono() {
        for raw in [
            "2026-11-21T22:40:00.123456Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "1969-07-20T20:17:40.5Z",
        ] {
            let t = DateTime::parse_from_rfc3339(raw)
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(
                format_millis(&t),
                t.to_rfc3339_opts(SecondsFormat::Millis, true)
            );
        }
        let far = DateTime::<Utc>::from_timestamp(400_000_000_000, 7_000_000).unwrap();
        assert_eq!(
            format_millis(&far),
            far.to_rfc3339_opts(SecondsFormat::Millis, true)
        );
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
