//! BMW CarData payload → normalized record. Pure, so the daemon and `vinstream normalize`
//! run the very same code.
//!
//! A stream message is `{vin, entityId?, topic?, timestamp?, data: {descriptor: entry}}`
//! with entries `{value, unit?, timestamp?}`. BMW sends no message id: the record's is
//! the SHA-256 of the payload bytes, so a redelivered identical payload is recognised.
//! Only a payload that is not a JSON object with a VIN is refused; everything inside is
//! read leniently (numbers as strings, booleans as words, units missing) and whatever
//! does not fit its mapping row passes through as `BMW.{descriptor}` unchanged.

use super::mapping::{self, Rule, BOOLEAN_WORDS, NO_DATA};
use crate::providers::high_mobility::normalize::hex_sha256;
use crate::providers::Malformed;
use crate::record::{normalize_timestamp, ProviderKind, Record, Signal};
use crate::vss::{self, units, Datatype};
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

fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

fn remove_zero_width(s: &str) -> String {
    s.chars().filter(|&c| !is_zero_width(c)).collect()
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
    let mapped = mapping::lookup(&name).and_then(|row| apply(row.rule, e.value, e.unit));
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
    if value.is_null() {
        return Some(rule.null_targets().into_iter().map(null).collect());
    }
    let word = value.as_str().map(str::trim);
    let no_data = word.is_some_and(is_no_data);
    Some(match rule {
        Rule::Keep(_) => return None,
        Rule::Measure(path, _) if no_data => vec![null(path)],
        Rule::Measure(path, default) => vec![measure(path, default, value, unit)?],
        Rule::Flag(path, words) => {
            let b = flag(value, words)?;
            vec![plain(path, b.map_or(Value::Null, Value::Bool))]
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
        Rule::ChargingStatus(table) => {
            let word = word?;
            let status = lookup(table, word).or(no_data.then_some("UNKNOWN"))?;
            let mut out = vec![plain(mapping::STATUS, Value::from(status))];
            if status != "UNKNOWN" {
                out.push(plain(
                    mapping::IS_CHARGING,
                    Value::Bool(status == "CHARGING"),
                ));
            }
            out
        }
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

/// A case-insensitive word lookup.
fn lookup<T: Copy>(table: &[(&str, T)], word: &str) -> Option<T> {
    table
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(word))
        .map(|(_, v)| *v)
}

fn is_no_data(word: &str) -> bool {
    NO_DATA.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// A boolean, leniently: `Some(None)` when the vehicle says it does not know, `None`
/// when the value is no boolean at all.
fn flag(value: &Value, words: &[(&str, bool)]) -> Option<Option<bool>> {
    match value {
        Value::Null => Some(None),
        Value::Bool(b) => Some(Some(*b)),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(Some(true)),
            Some(0.0) => Some(Some(false)),
            _ => None,
        },
        Value::String(s) => {
            let s = s.trim();
            if let Some(b) = lookup(words, s).or_else(|| lookup(BOOLEAN_WORDS, s)) {
                Some(Some(b))
            } else if is_no_data(s) {
                Some(None)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// A finite number from a JSON number or a numeric string.
fn number(value: &Value) -> Option<f64> {
    let n = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// A BMW unit spelling as a unit name `vss::units` knows (or `percent`); `Some(None)`
/// when the message names no unit at all, `None` when the spelling is unknown.
fn unit_name(raw: Option<&str>) -> Option<Option<&'static str>> {
    let Some(raw) = raw else {
        return Some(None);
    };
    let raw = remove_zero_width(raw);
    let u = raw.trim().to_lowercase();
    Some(Some(match u.as_str() {
        "" | "null" | "none" => return Some(None),
        "%" | "percent" | "pct" => "percent",
        "m" | "meter" | "meters" | "metre" | "metres" => "m",
        "km" | "kilometer" | "kilometers" | "kilometre" | "kilometres" => "km",
        "mi" | "mile" | "miles" => "mi",
        "ft" | "foot" | "feet" => "feet",
        "l" | "liter" | "liters" | "litre" | "litres" => "l",
        "gal" | "gallon" | "gallons" => "gallons",
        "°c" | "℃" | "c" | "degc" | "celsius" => "Celsius",
        "°f" | "℉" | "f" | "degf" | "fahrenheit" => "fahrenheit",
        "k" | "kelvin" => "kelvin",
        "kpa" | "kilopascal" | "kilopascals" => "kPa",
        "pa" => "Pa",
        "bar" | "bars" => "bars",
        "psi" => "pounds_force_per_square_inch",
        "v" | "volt" | "volts" => "V",
        "a" | "amp" | "amps" | "ampere" | "amperes" => "A",
        "w" | "watt" | "watts" => "W",
        "kw" | "kilowatt" | "kilowatts" => "kW",
        "wh" => "Wh",
        "kwh" => "kWh",
        "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "min" | "mins" | "minute" | "minutes" => "min",
        "h" | "hr" | "hrs" | "hour" | "hours" => "h",
        "°" | "deg" | "degree" | "degrees" => "degrees",
        "km/h" | "kmh" | "kph" => "km/h",
        "mph" => "miles_per_hour",
        _ => return None,
    }))
}

/// A number in the message's unit (or the row's default) in the VSS signal's unit and
/// datatype; `None` when the unit cannot be converted or the result does not fit.
fn measure(path: &'static str, default: &str, value: &Value, unit: Option<&str>) -> Option<Mapped> {
    let s = mapping::vss(path)?;
    let n = number(value)?;
    let from = unit_name(unit)?.unwrap_or(default);
    let to = s.unit?;
    let v = if from == to {
        n
    } else {
        units::convert(n, from, to)?
    };
    if !fits(s.datatype, v) {
        return None;
    }
    let value = vss::number_value(s.datatype, v);
    (!value.is_null()).then_some(Mapped {
        path,
        value,
        unit: Some(to),
    })
}

/// Whether a number has a form in the datatype: finite, and within an integer's range.
fn fits(datatype: Datatype, v: f64) -> bool {
    let v = if datatype.is_integer() { v.round() } else { v };
    let (lo, hi) = datatype.integer_range().unwrap_or((f64::MIN, f64::MAX));
    v.is_finite() && v >= lo && v <= hi
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
        assert_eq!(remove_zero_width(" a\u{200b}b "), " ab ");
    }

    #[test]
    fn numbers_are_read_from_numbers_and_numeric_strings() {
        assert_eq!(number(&json!(87897)), Some(87897.0));
        assert_eq!(number(&json!(" 9.498705 ")), Some(9.498705));
        assert_eq!(number(&json!("1e3")), Some(1000.0));
        assert_eq!(number(&json!("NaN")), None);
        assert_eq!(number(&json!("inf")), None);
        assert_eq!(number(&json!("12 km")), None);
        assert_eq!(number(&json!(true)), None);
    }

    #[test]
    fn booleans_are_read_leniently() {
        let t = Some(Some(true));
        let f = Some(Some(false));
        assert_eq!(flag(&json!(true), &[]), t);
        assert_eq!(flag(&json!(1), &[]), t);
        assert_eq!(flag(&json!(0.0), &[]), f);
        assert_eq!(flag(&json!(2), &[]), None);
        assert_eq!(flag(&json!("False"), &[]), f);
        assert_eq!(flag(&json!("asn_istrue"), &[]), t);
        assert_eq!(flag(&json!("ASN_isUnknown"), &[]), Some(None));
        assert_eq!(flag(&json!("open"), mapping::OPEN), t);
        assert_eq!(flag(&json!("OPEN"), &[]), None);
        assert_eq!(flag(&json!("invalid"), mapping::OPEN), Some(None));
        assert_eq!(flag(&json!("ajar"), mapping::OPEN), None);
        assert_eq!(flag(&json!({"a": 1}), &[]), None);
    }

    #[test]
    fn units_are_aliased_to_converter_names() {
        assert_eq!(unit_name(None), Some(None));
        assert_eq!(unit_name(Some(" ")), Some(None));
        assert_eq!(unit_name(Some("null")), Some(None));
        assert_eq!(unit_name(Some("%")), Some(Some("percent")));
        assert_eq!(unit_name(Some("Miles")), Some(Some("mi")));
        assert_eq!(unit_name(Some("°C")), Some(Some("Celsius")));
        assert_eq!(unit_name(Some("gal")), Some(Some("gallons")));
        assert_eq!(unit_name(Some("stars")), None);
        for alias in [
            "m", "km", "mi", "ft", "l", "gal", "°c", "°f", "k", "kpa", "pa", "bar", "psi", "v",
            "a", "w", "kw", "wh", "kwh", "s", "min", "h", "deg", "km/h", "mph",
        ] {
            let name = unit_name(Some(alias)).unwrap().unwrap();
            assert!(units::quantity_of(name).is_some(), "{alias} → {name}");
        }
    }

    #[test]
    fn integers_must_fit_their_datatype() {
        assert!(fits(Datatype::UInt8, 255.4));
        assert!(!fits(Datatype::UInt8, 255.6));
        assert!(!fits(Datatype::UInt32, -1.0));
        assert!(fits(Datatype::Int8, -100.0));
        assert!(!fits(Datatype::Float, f64::INFINITY));
        assert!(fits(Datatype::Double, -1e300));
    }

    #[test]
    fn measures_convert_and_refuse_what_does_not_fit() {
        let odo = "Vehicle.TraveledDistance";
        let m = |v: Value, u: Option<&str>| measure(odo, "km", &v, u).map(|m| m.value);
        assert_eq!(m(json!(1), Some("mi")), Some(json!(1609)));
        assert_eq!(m(json!("2.5"), None), Some(json!(2500)));
        assert_eq!(m(json!(-3), Some("km")), None);
        assert_eq!(m(json!(3), Some("kPa")), None);
        assert_eq!(m(json!(3), Some("%")), None);
        assert_eq!(m(json!(1e300), Some("km")), None);
    }
}
