//! A record as table rows (SPEC.md §6): one `records` row and one `signals` row per
//! signal, the value in the column of its JSON type.
//!
//! Nothing a provider sends can make PostgreSQL refuse a row, since one refused row
//! would roll back its whole batch again and again: a value goes to `num`, `txt`, `bool`
//! or `json` by its JSON type, whatever the path's usual type is, and NUL characters
//! (which neither `text` nor `jsonb` can hold) become U+FFFD. An unreadable signal
//! timestamp (kept as sent in the record) dates the row by `received_at`.

use crate::record::{Record, Signal};
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The `signals` columns, in the staging table's and the COPY's order.
pub const SIGNAL_COLUMNS: &str =
    "record_id, vin, path, origin, ts, received_at, num, txt, bool, json, unit, failure";

/// The `records` columns, in the staging table's and the COPY's order.
pub const RECORD_COLUMNS: &str = "record_id, vin, provider, source, message_id, received_at";

/// A signal's value, split by JSON type into the four value columns.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Null,
    Num(f64),
    Txt(Cow<'a, str>),
    Bool(bool),
    Json(Cow<'a, Value>),
}

/// One `signals` row, borrowing from its record where it can.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalRow<'a> {
    pub record_id: Cow<'a, str>,
    pub vin: Cow<'a, str>,
    pub path: Cow<'a, str>,
    pub origin: Cow<'a, str>,
    pub ts: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub value: Cell<'a>,
    pub unit: Option<Cow<'a, str>>,
    pub failure: Option<Cow<'a, Value>>,
}

impl SignalRow<'_> {
    pub fn num(&self) -> Option<f64> {
        match self.value {
            Cell::Num(n) => Some(n),
            _ => None,
        }
    }
    pub fn txt(&self) -> Option<&str> {
        match &self.value {
            Cell::Txt(s) => Some(s),
            _ => None,
        }
    }
    pub fn bool(&self) -> Option<bool> {
        match self.value {
            Cell::Bool(b) => Some(b),
            _ => None,
        }
    }
    pub fn json(&self) -> Option<&Value> {
        match &self.value {
            Cell::Json(v) => Some(v),
            _ => None,
        }
    }
}

/// The signal rows of a record.
pub fn signal_rows(record: &Record) -> impl Iterator<Item = SignalRow<'_>> {
    let record_id = text(&record.id);
    let vin = text(&record.vin);
    let received_at = received_at(record);
    record.signals.iter().map(move |s| SignalRow {
        record_id: record_id.clone(),
        vin: vin.clone(),
        path: text(&s.path),
        origin: text(&s.origin),
        ts: signal_time(s).unwrap_or(received_at),
        received_at,
        value: cell(&s.value),
        unit: s.unit.as_deref().map(text),
        failure: s.failure.as_ref().map(json),
    })
}

/// The `records` row's text columns: record_id, vin, provider, source, message_id.
pub fn record_texts(record: &Record) -> [Cow<'_, str>; 5] {
    [
        text(&record.id),
        text(&record.vin),
        Cow::Borrowed(record.provider.as_str()),
        text(&record.source),
        text(&record.message_id),
    ]
}

/// `received_at` as the record states it (milliseconds, SPEC.md §3), so a row and the
/// JSON line of its record agree to the digit.
pub fn received_at(record: &Record) -> DateTime<Utc> {
    record.received_at.trunc_subsecs(3)
}

fn signal_time(s: &Signal) -> Option<DateTime<Utc>> {
    let raw = s.timestamp.as_deref()?;
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn cell(v: &Value) -> Cell<'_> {
    match v {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Bool(*b),
        // serde_json has no NaN or infinity; a u64/i64 beyond 2^53 rounds, as any
        // `double precision` does.
        Value::Number(n) => n.as_f64().map_or(Cell::Json(Cow::Borrowed(v)), Cell::Num),
        Value::String(s) => Cell::Txt(text(s)),
        Value::Array(_) | Value::Object(_) => Cell::Json(json(v)),
    }
}

/// `s` without NUL characters, which PostgreSQL text cannot hold.
pub fn text(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// `v` without `\u0000` in any string or key, which `jsonb` refuses.
pub fn json(v: &Value) -> Cow<'_, Value> {
    if !has_nul(v) {
        return Cow::Borrowed(v);
    }
    fn clean(v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(text(s).into_owned()),
            Value::Array(a) => Value::Array(a.iter().map(clean).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (text(k).into_owned(), clean(v)))
                    .collect::<Map<_, _>>(),
            ),
            other => other.clone(),
        }
    }
    Cow::Owned(clean(v))
}

fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(has_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ProviderKind;
    use serde_json::json;
    use std::sync::Arc;

    fn signal(path: &'static str, value: Value, timestamp: Option<&str>) -> Signal {
        Signal {
            path: Cow::Borrowed(path),
            value,
            unit: None,
            timestamp: timestamp.map(Arc::from),
            origin: Arc::from("cap.prop"),
            failure: None,
        }
    }

    #[test]
    fn each_json_type_has_its_column_and_nul_never_reaches_the_server() {
        let received_at: DateTime<Utc> = "2026-11-21T22:40:00.123456Z".parse().unwrap();
        let record = Record {
            id: "hm:1".into(),
            vin: "V\0IN".into(),
            provider: ProviderKind::HighMobilityV2,
            source: "hm".into(),
            message_id: "1".into(),
            received_at,
            signals: vec![
                signal("A", json!(12.5), Some("2025-08-12T16:07:48+02:00")),
                signal("B", json!("on\0off"), Some("yesterday")),
                signal("C", json!(true), None),
                signal("D", json!({"k\0": ["x\0", 1]}), None),
                signal("E", Value::Null, None),
                signal("F", json!(19201010u64), None),
            ],
        };
        let rows: Vec<_> = signal_rows(&record).collect();
        assert_eq!(rows[0].num(), Some(12.5));
        assert_eq!(rows[0].ts.to_rfc3339(), "2025-08-12T14:07:48+00:00");
        assert_eq!(rows[1].txt(), Some("on\u{FFFD}off"));
        let millis: DateTime<Utc> = "2026-11-21T22:40:00.123Z".parse().unwrap();
        assert_eq!(
            rows[1].ts, millis,
            "an unreadable timestamp: received_at, as printed"
        );
        assert!(rows.iter().all(|r| r.received_at == millis));
        assert_eq!(rows[2].bool(), Some(true));
        assert_eq!(
            rows[3].json(),
            Some(&json!({"k\u{FFFD}": ["x\u{FFFD}", 1]}))
        );
        assert_eq!(rows[4].value, Cell::Null);
        assert_eq!(rows[5].num(), Some(19201010.0));
        assert!(rows.iter().all(|r| r.vin == "V\u{FFFD}IN"));
        assert_eq!(record_texts(&record)[2], "high_mobility_v2");
    }
}
