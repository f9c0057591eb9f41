//! High Mobility payload → normalized record. Pure: no MQTT, no I/O, so the daemon
//! and `vinstream normalize` run the very same code.
//!
//! V1 carries one property per message and V2 many, but both nest values as
//! `data.{capability}.{property}` holding one entry or an array of entries
//! (`{data?, timestamp?, failure?, availability?}`), so one walker serves both.

use super::mapping;
use crate::providers::Malformed;
use crate::record::{normalize_timestamp, ProviderKind, Record, Signal};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Normalize one High Mobility message (V1 or V2 envelope).
pub fn normalize(
    kind: ProviderKind,
    source: &str,
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
    let message_id = match envelope.get("message_id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(Value::Number(n)) => n.to_string(),
        // Without an id we still must recognise a redelivery: the payload hash does.
        _ => hex_sha256(payload),
    };
    let mut signals = Vec::new();
    match envelope.get("data") {
        Some(Value::Object(data)) => walk_capabilities(data, &mut signals),
        Some(other) => signals.push(passthrough("HM.data".into(), "data".into(), other, None)),
        None => {}
    }
    Ok(Record {
        id: Record::make_id(kind, &message_id),
        vin,
        provider: kind,
        source: source.to_string(),
        message_id,
        received_at,
        signals,
    })
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn walk_capabilities(data: &Map<String, Value>, out: &mut Vec<Signal>) {
    for (capability, props) in data {
        match props {
            Value::Object(props) => {
                for (property, value) in props {
                    walk_property(capability, property, value, out);
                }
            }
            other => out.push(passthrough(
                format!("HM.{capability}"),
                capability.clone(),
                other,
                None,
            )),
        }
    }
}

fn walk_property(capability: &str, property: &str, value: &Value, out: &mut Vec<Signal>) {
    match value {
        Value::Array(entries) => {
            for entry in entries {
                walk_entry(capability, property, entry, out);
            }
        }
        entry => walk_entry(capability, property, entry, out),
    }
}

/// Is this object a level 13 property entry, or a bare value someone sent unwrapped?
fn is_entry(obj: &Map<String, Value>) -> bool {
    !obj.is_empty()
        && obj.keys().all(|k| {
            matches!(
                k.as_str(),
                "data" | "timestamp" | "failure" | "availability"
            )
        })
}

fn walk_entry(capability: &str, property: &str, entry: &Value, out: &mut Vec<Signal>) {
    let (data, timestamp, failure) = match entry {
        Value::Object(obj) if is_entry(obj) => (
            obj.get("data"),
            obj.get("timestamp").map(|t| match t {
                Value::String(s) => normalize_timestamp(s),
                other => other.to_string(),
            }),
            obj.get("failure").filter(|f| !f.is_null()),
        ),
        bare => (Some(bare), None, None),
    };
    let location = data.and_then(|d| d.get("location")).and_then(Value::as_str);
    let origin = match location {
        Some(loc) => format!("{capability}.{property}[{loc}]"),
        None => format!("{capability}.{property}"),
    };
    let row = mapping::lookup(capability, property);
    let first = out.len();
    match (data, row) {
        (Some(d), Some(row)) => match row.rule.apply(d) {
            Some(mapped) => out.extend(mapped.into_iter().map(|m| Signal {
                path: m.path.to_string(),
                value: m.value,
                unit: m.unit.map(str::to_string),
                timestamp: timestamp.clone(),
                origin: origin.clone(),
                failure: None,
            })),
            None => out.push(passthrough(
                hm_path(capability, property),
                origin,
                d,
                timestamp,
            )),
        },
        (Some(d), None) => out.push(passthrough(
            hm_path(capability, property),
            origin,
            d,
            timestamp,
        )),
        (None, Some(row)) if failure.is_some() => {
            out.extend(row.rule.paths().iter().map(|p| Signal {
                path: p.to_string(),
                value: Value::Null,
                unit: None,
                timestamp: timestamp.clone(),
                origin: origin.clone(),
                failure: None,
            }))
        }
        (None, _) => out.push(Signal {
            path: hm_path(capability, property),
            value: Value::Null,
            unit: None,
            timestamp,
            origin,
            failure: None,
        }),
    }
    if let Some(f) = failure {
        for s in &mut out[first..] {
            s.failure = Some(f.clone());
        }
    }
}

fn hm_path(capability: &str, property: &str) -> String {
    format!("HM.{capability}.{property}")
}

/// A value we have no mapping for, kept as the provider sent it. A plain unit value
/// keeps its number and unit apart, like mapped signals; anything else goes as is.
fn passthrough(path: String, origin: String, data: &Value, timestamp: Option<String>) -> Signal {
    let unit_value = data.as_object().filter(|o| o.len() == 2).and_then(|o| {
        let unit = o.get("unit")?.as_str()?;
        let value = o.get("value").filter(|v| v.is_number())?;
        Some((value.clone(), unit.to_string()))
    });
    let (value, unit) = match unit_value {
        Some((v, u)) => (v, Some(u)),
        None => (data.clone(), None),
    };
    Signal {
        path,
        value,
        unit,
        timestamp,
        origin,
        failure: None,
    }
}
