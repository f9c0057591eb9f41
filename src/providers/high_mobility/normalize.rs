//! High Mobility payload → normalized record. Pure but for the per-VIN driver side, so
//! the daemon and `vinstream normalize` run the very same code.
//!
//! V1 carries one property per message and V2 many, but both nest values as
//! `data.{capability}.{property}` holding one entry or an array of entries
//! (`{data?, timestamp?, failure?, availability?}`), so one walker serves both.

use super::mapping;
use super::rules::{self, Ctx, Rule};
use crate::providers::Malformed;
use crate::record::{normalize_timestamp, ProviderKind, Record, Signal};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Normalize one High Mobility message (V1 or V2 envelope).
pub fn normalize(
    kind: ProviderKind,
    source: &str,
    topic: &str,
    payload: &[u8],
    received_at: DateTime<Utc>,
) -> Result<Record, Malformed> {
    let doc: Value = serde_json::from_slice(payload)
        .map_err(|e| Malformed::new(format!("payload is not JSON: {e}")))?;
    let Value::Object(mut envelope) = doc else {
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
    if kind == ProviderKind::HighMobilityV1 {
        cross_check_topic(source, topic, &vin, &envelope);
    }
    let mut signals = Vec::new();
    match envelope.remove("data") {
        Some(Value::Object(mut data)) => {
            rewrap_v1(&envelope, &mut data);
            let ctx = Ctx {
                driver_right: super::driver_side::driver_right(&vin, Some(&data)),
            };
            walk_capabilities(&data, ctx, &mut signals);
        }
        Some(other) => signals.push(passthrough("HM.data".into(), "data".into(), &other, None)),
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

/// V1 topics repeat the identity (`{env}/level13/{app}/{vin}/{capability}/get/{property}`).
/// The payload is authoritative; a disagreement is worth a log line, not a lost message.
fn cross_check_topic(source: &str, topic: &str, vin: &str, envelope: &Map<String, Value>) {
    let parts: Vec<&str> = topic.split('/').filter(|p| !p.is_empty()).collect();
    let [_, _, _, t_vin, t_cap, _, t_prop, ..] = parts[..] else {
        return;
    };
    let cap = envelope.get("capability").and_then(Value::as_str);
    let prop = envelope.get("property").and_then(Value::as_str);
    if t_vin != vin || cap.is_some_and(|c| c != t_cap) || prop.is_some_and(|p| p != t_prop) {
        tracing::warn!(provider = %source, %topic, vin, capability = ?cap, property = ?prop,
            "topic and payload name different vehicles or values; using the payload");
    }
}

/// Some V1 producers leave out the capability level (`data.{property}` instead of
/// `data.{capability}.{property}`); the envelope names both, so put it back.
fn rewrap_v1(envelope: &Map<String, Value>, data: &mut Map<String, Value>) {
    let (Some(Value::String(cap)), Some(Value::String(prop))) =
        (envelope.get("capability"), envelope.get("property"))
    else {
        return;
    };
    if data.contains_key(cap) || !data.contains_key(prop) || data.len() != 1 {
        return;
    }
    if let Some(v) = data.remove(prop) {
        let mut inner = Map::new();
        inner.insert(prop.clone(), v);
        data.insert(cap.clone(), Value::Object(inner));
    }
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn walk_capabilities(data: &Map<String, Value>, ctx: Ctx, out: &mut Vec<Signal>) {
    for (capability, props) in data {
        match props {
            Value::Object(props) => {
                for (property, value) in props {
                    walk_property(capability, property, value, ctx, out);
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

fn walk_property(capability: &str, property: &str, value: &Value, ctx: Ctx, out: &mut Vec<Signal>) {
    let row = mapping::lookup(capability, property);
    let entries: Vec<&Value> = match value {
        Value::Array(entries) => entries.iter().collect(),
        entry => vec![entry],
    };
    for entry in &entries {
        walk_entry(capability, property, row.map(|r| r.rule), entry, ctx, out);
    }
    if let Some(Rule::TroubleCodes) = row.map(|r| r.rule) {
        let codes: Vec<&Value> = entries.iter().filter_map(|e| e.get("data")).collect();
        if !codes.is_empty() {
            let origin = format!("{capability}.{property}");
            out.extend(
                rules::trouble_code_summary(&codes)
                    .into_iter()
                    .map(|m| Signal {
                        path: m.path,
                        value: m.value,
                        unit: m.unit.map(str::to_string),
                        timestamp: None,
                        origin: origin.clone(),
                        failure: None,
                    }),
            );
        }
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

fn walk_entry(
    capability: &str,
    property: &str,
    rule: Option<Rule>,
    entry: &Value,
    ctx: Ctx,
    out: &mut Vec<Signal>,
) {
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
    let hm_path = || format!("HM.{capability}.{property}");
    let first = out.len();
    let mapped = match (data, rule) {
        (Some(d), Some(rule)) => rule.apply(d, ctx),
        _ => None,
    };
    match (mapped, data) {
        (Some(mapped), _) => out.extend(mapped.into_iter().map(|m| Signal {
            path: m.path,
            value: m.value,
            unit: m.unit.map(str::to_string),
            timestamp: timestamp.clone(),
            origin: origin.clone(),
            failure: None,
        })),
        (None, Some(d)) => out.push(passthrough(hm_path(), origin, d, timestamp)),
        (None, None) => {
            let paths = match (failure, rule) {
                (Some(_), Some(rule)) => rule.failure_paths(),
                _ => Vec::new(),
            };
            let paths: Vec<String> = if paths.is_empty() {
                vec![hm_path()]
            } else {
                paths.into_iter().map(str::to_string).collect()
            };
            out.extend(paths.into_iter().map(|path| Signal {
                path,
                value: Value::Null,
                unit: None,
                timestamp: timestamp.clone(),
                origin: origin.clone(),
                failure: None,
            }));
        }
    }
    if let Some(f) = failure {
        for s in &mut out[first..] {
            s.failure = Some(f.clone());
        }
    }
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
