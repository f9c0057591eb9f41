//! BMW CarData payload → normalized record. Pure, so the daemon and `vinstream normalize`
//! run the very same code.
//!
//! A stream message is `{vin, entityId?, topic?, timestamp?, data: {descriptor: entry}}`
//! with entries `{value, unit?, timestamp?}`. BMW sends no message id: the record's is
//! the SHA-256 of the payload bytes, so a redelivered identical payload is recognised.
//! Only a payload that is not a JSON object with a VIN is refused; everything inside is
//! read leniently (numbers as strings, booleans as words, units missing) and whatever
//! does not fit its mapping row, or the VSS leaf the row fills, passes through as
//! `BMW.{descriptor}` unchanged.

use super::mapping::{self, Rule};
use super::read::{
    fits, flag, is_no_data, is_zero_width, lookup, number, remove_zero_width, unit_name,
};
use crate::providers::provider::{hex_sha256, Malformed};
use crate::record::{normalize_timestamp, ProviderKind, Record, Signal};
use crate::vss::{self, units};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::Arc;

const KIND: ProviderKind = ProviderKind::BmwCardata;

/// Normalize one CarData stream message.
pub fn normalize(
    source: &str,
    topic: &str,
    payload: &[u8],
    received_at: DateTime<Utc>,
) -> Result<Record, Malformed> {
    let doc: Value = serde_json::from_slice(payload)
        .map_err(|e| Malformed::new(format!("payload is not JSON: {e}")))?;
    let Value::Object(envelope) = doc else {
        return Err(Malformed::new("payload is not a JSON object"));
    };
    let vin = match envelope.get("vin") {
        Some(Value::String(v)) if !v.trim().is_empty() => v.clone(),
        Some(_) => return Err(Malformed::new("`vin` is not a non-empty string")),
        None => return Err(Malformed::new("payload has no `vin`")),
    };
    cross_check_topic(source, topic, &vin);
    let message_id = hex_sha256(payload);
    let mut signals = Vec::new();
    match envelope.get("data") {
        Some(Value::Object(data)) => {
            for (descriptor, entry) in data {
                descriptor_signals(descriptor, entry, &mut signals);
            }
        }
        None | Some(Value::Null) => {}
        Some(other) => signals.push(Signal {
            path: "BMW.data".into(),
            value: other.clone(),
            unit: None,
            timestamp: None,
            origin: "data".into(),
            failure: None,
        }),
    }
    Ok(Record {
        id: Record::make_id(KIND, &message_id),
        vin,
        provider: KIND,
        source: source.to_string(),
        message_id,
        received_at,
        signals,
    })
}

/// A descriptor name as compared: zero-width characters (U+200B, which BMW's catalogue
/// exports contain, and its kin U+200C, U+200D, U+2060, U+FEFF) removed and surrounding
/// whitespace trimmed. Use it for configured descriptor names too.
pub fn strip_zero_width(s: &str) -> String {
    remove_zero_width(s).trim().to_string()
}

/// The descriptor as the signals' shared `origin`, copied once when it is clean (it
/// nearly always is).
fn origin_of(raw: &str) -> Arc<str> {
    if raw.contains(is_zero_width) {
        remove_zero_width(raw).into()
    } else {
        Arc::from(raw)
    }
}

/// The topic is `{gcid}/{vin}` (or a relay's `…/{vin}`). The payload is authoritative;
/// a disagreement is worth a log line, not a lost message.
fn cross_check_topic(source: &str, topic: &str, vin: &str) {
    let Some((_, t_vin)) = topic.rsplit_once('/') else {
        return;
    };
    if !t_vin.is_empty() && t_vin != vin {
        tracing::warn!(provider = %source, %topic, vin,
            "topic and payload name different vehicles; using the payload's VIN");
    }
}

/// An entry of the expected shape: `{value, unit?, timestamp?}` with a string (or null)
/// unit and timestamp. Anything else passes through whole, so no part of it is lost.
struct Entry<'a> {
    value: &'a Value,
    unit: Option<&'a str>,
    timestamp: Option<Arc<str>>,
}

fn entry(v: &Value) -> Option<Entry<'_>> {
    let obj: &Map<String, Value> = v.as_object()?;
    let value = obj.get("value")?;
    if !obj
        .keys()
        .all(|k| matches!(k.as_str(), "value" | "unit" | "timestamp"))
    {
        return None;
    }
    let unit = match obj.get("unit") {
        None | Some(Value::Null) => None,
        Some(Value::String(u)) => Some(u.as_str()),
        Some(_) => return None,
    };
    let timestamp = match obj.get("timestamp") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(normalize_timestamp(t)),
        Some(_) => return None,
    };
    Some(Entry {
        value,
        unit,
        timestamp,
    })
}

fn descriptor_signals(raw: &str, entry_value: &Value, out: &mut Vec<Signal>) {
    let origin = origin_of(raw);
    let name = strip_zero_width(raw);
    let path = format!("BMW.{name}");
    let Some(e) = entry(entry_value) else {
        out.push(Signal {
            path: Cow::Owned(path),
            value: entry_value.clone(),
            unit: None,
            timestamp: None,
            origin,
            failure: None,
        });
        return;
    };
    let mapped = mapping::lookup(&name)
        .and_then(|row| apply(row.rule, e.value, e.unit))
        .filter(|m| admitted(m));
    match mapped {
        Some(mapped) => out.extend(mapped.into_iter().map(|m| Signal {
            path: Cow::Borrowed(m.path),
            value: m.value,
            unit: m.unit.map(Cow::Borrowed),
            timestamp: e.timestamp.clone(),
            origin: origin.clone(),
            failure: None,
        })),
        None => out.push(Signal {
            path: Cow::Owned(path),
            value: e.value.clone(),
            unit: e.unit.map(|u| Cow::Owned(u.to_string())),
            timestamp: e.timestamp,
            origin,
            failure: None,
        }),
    }
}

/// A VSS value produced by a row.
#[derive(Debug, Clone, PartialEq)]
struct Mapped {
    path: &'static str,
    value: Value,
    unit: Option<&'static str>,
}

fn null(path: &'static str) -> Mapped {
    Mapped {
        path,
        value: Value::Null,
        unit: None,
    }
}

fn plain(path: &'static str, value: Value) -> Mapped {
    Mapped {
        path,
        value,
        unit: None,
    }
}

/// Apply a row; `None` when the value does not fit it (the caller passes it through).
fn apply(rule: Rule, value: &Value, unit: Option<&str>) -> Option<Vec<Mapped>> {
    if matches!(rule, Rule::Keep(_)) {
        return None;
    }
    // a partial row: its own words, and nothing else (not even "no data")
    let word = value.as_str().map(str::trim);
    if let Rule::PartialFlag(path, words) = rule {
        return Some(vec![plain(path, Value::Bool(lookup(words, word?)?))]);
    }
    if value.is_null() {
        return Some(rule.null_targets().into_iter().map(null).collect());
    }
    let no_data = word.is_some_and(is_no_data);
    Some(match rule {
        Rule::Keep(_) | Rule::PartialFlag(..) => return None,
        Rule::Measure(path, _) if no_data => vec![null(path)],
        Rule::Measure(path, default) => vec![measure(path, default, value, unit, 1.0)?],
        Rule::Cooling(path) if no_data => vec![null(path)],
        Rule::Cooling(path) => vec![measure(path, "percent", value, unit, -1.0)?],
        Rule::Flag(path, words) => {
            let b = flag(value, words)?;
            vec![plain(path, b.map_or(Value::Null, Value::Bool))]
        }
        Rule::FlagEach(paths, words) => {
            let b = flag(value, words)?.map_or(Value::Null, Value::Bool);
            paths.iter().map(|p| plain(p, b.clone())).collect()
        }
        // a row's own words come first; the no-data words only when the row lacks them
        Rule::Enum(path, table) => match lookup(table, word?) {
            Some(v) => vec![plain(path, Value::from(v))],
            None if no_data => vec![null(path)],
            None => return None,
        },
        Rule::FlagEnum(path, [on, off, unknown]) => {
            let v = match flag(value, &[])? {
                Some(true) => on,
                Some(false) => off,
                None => unknown,
            };
            vec![plain(path, Value::from(v))]
        }
        // "no data" is a null status, as for every row: the overlay has no UNKNOWN value
        Rule::ChargingStatus(table) => match lookup(table, word?) {
            Some(status) => vec![
                plain(mapping::STATUS, Value::from(status)),
                plain(mapping::IS_CHARGING, Value::Bool(status == "CHARGING")),
            ],
            None if no_data => vec![null(mapping::STATUS)],
            None => return None,
        },
        Rule::DoorLocks => match lookup(mapping::LOCK_STATUS, word?) {
            Some(locked) => mapping::DOOR_LOCKS
                .into_iter()
                .zip(locked)
                .map(|(path, l)| plain(path, Value::Bool(l)))
                .collect(),
            None if no_data => mapping::DOOR_LOCKS.into_iter().map(null).collect(),
            None => return None,
        },
    })
}

/// Whether every value a row produced belongs in its leaf (range, integer datatype,
/// allowed values). One that does not is not forced in: the whole entry then passes
/// through as `BMW.{descriptor}`, and each refused value is counted
/// (`vinstream_values_outside_leaf_total`).
fn admitted(mapped: &[Mapped]) -> bool {
    mapped.iter().fold(true, |all, m| {
        let fits = mapping::vss(m.path).is_some_and(|s| s.admit(&m.value));
        fits && all
    })
}

/// A number in the message's unit (or the row's default), times `factor` (−1 for a
/// cooling level on a signed heating/cooling leaf), in the VSS signal's unit and
/// datatype; `None` when it is no number or the unit cannot be converted. A number the
/// datatype cannot hold (a negative `uint`, 1e300 for a `uint32`) keeps its own value
/// for [`admitted`] to refuse and count.
fn measure(
    path: &'static str,
    default: &str,
    value: &Value,
    unit: Option<&str>,
    factor: f64,
) -> Option<Mapped> {
    let s = mapping::vss(path)?;
    let n = number(value)? * factor;
    let from = unit_name(unit)?.unwrap_or(default);
    let to = s.unit?;
    let v = if from == to {
        n
    } else {
        units::convert(n, from, to)?
    };
    let value = if fits(s.datatype, v) {
        vss::number_value(s.datatype, v)
    } else {
        Value::Number(serde_json::Number::from_f64(v)?)
    };
    (!value.is_null()).then_some(Mapped {
        path,
        value,
        unit: Some(to),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn zero_width_spaces_and_whitespace_are_stripped() {
        assert_eq!(
            strip_zero_width(" vehicle.\u{200b}body.\u{200b}chargingPort.status\u{feff} "),
            "vehicle.body.chargingPort.status"
        );
    }

    #[test]
    fn measures_convert_and_keep_what_does_not_fit_for_admit() {
        let odo = "Vehicle.TraveledDistance";
        let m = |v: Value, u: Option<&str>| measure(odo, "km", &v, u, 1.0).map(|m| m.value);
        assert_eq!(m(json!(1), Some("mi")), Some(json!(1609)));
        assert_eq!(m(json!("2.5"), None), Some(json!(2500)));
        assert_eq!(m(json!(3), Some("kPa")), None);
        assert_eq!(m(json!(3), Some("%")), None);
        // a uint32 cannot hold these: they keep their value, and the leaf refuses them
        assert_eq!(m(json!(-3), Some("km")), Some(json!(-3000.0)));
        assert_eq!(m(json!(1e300), Some("km")), Some(json!(1e303)));
        let leaf = mapping::vss(odo).unwrap();
        assert!(leaf.admits(&json!(-3000.0)).is_err());
        assert!(leaf.admits(&json!(1e303)).is_err());
    }

    #[test]
    fn cooling_is_the_negative_side_of_heating_cooling() {
        let seat = "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling";
        let got = apply(Rule::Cooling(seat), &json!(40), Some("percent")).unwrap();
        assert_eq!(got[0].value, json!(-40));
        let off = apply(Rule::Cooling(seat), &json!("0"), None).unwrap();
        assert_eq!(off[0].value, json!(0));
        assert!(admitted(&got));
        let over = apply(Rule::Cooling(seat), &json!(140), None).unwrap();
        assert!(!admitted(&over), "−140 % is outside −100..100");
    }

    #[test]
    fn one_entry_refused_anywhere_is_refused_whole() {
        let ok = plain("Vehicle.IsMoving", json!(true));
        let soc = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current";
        let bad = Mapped {
            path: soc,
            value: json!(104.0),
            unit: Some("percent"),
        };
        assert!(admitted(std::slice::from_ref(&ok)));
        assert!(!admitted(&[ok, bad]));
    }
}
