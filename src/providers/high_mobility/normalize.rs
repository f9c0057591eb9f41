//! High Mobility payload → normalized record. Pure but for the per-VIN driver side, so
//! the daemon and `vinstream normalize` run the very same code.
//!
//! V1 carries one property per message and V2 many, but both nest values as
//! `data.{capability}.{property}` holding one entry or an array of entries
//! (`{data?, timestamp?, failure?, availability?}`), so one walker serves both.

use super::node::in_arena;
pub use super::node::{field, Fields, Node};
use super::rules::{self, Ctx, Rule};
use super::{interned, mapping};
pub use crate::providers::provider::hex_sha256;
use crate::providers::provider::Malformed;
use crate::providers::vehicles::{reported_right, Vehicles};
use crate::record::{normalize_timestamp, ProviderKind, Record, Signal};
use bumpalo::Bump;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;

/// Normalize one High Mobility message (V1 or V2 envelope).
pub fn normalize(
    kind: ProviderKind,
    source: &str,
    topic: &str,
    payload: &[u8],
    received_at: DateTime<Utc>,
    vehicles: &Vehicles,
) -> Result<Record, Malformed> {
    in_arena(|arena| {
        let envelope = parse(payload, arena)?;
        let vin = match field(envelope, "vin") {
            Some(Node::Str(v)) if !v.trim().is_empty() => v.to_string(),
            Some(_) => return Err(Malformed::new("`vin` is not a non-empty string")),
            None => return Err(Malformed::new("payload has no `vin`")),
        };
        let message_id = match field(envelope, "message_id") {
            Some(Node::Str(id)) if !id.is_empty() => id.to_string(),
            Some(Node::Number(n)) => n.to_number().to_string(),
            // Without an id we still must recognise a redelivery: the payload hash does.
            _ => hex_sha256(payload),
        };
        if kind == ProviderKind::HighMobilityV1 {
            cross_check_topic(source, topic, &vin, envelope);
        }
        let mut signals = Vec::new();
        match field(envelope, "data") {
            Some(Node::Object(data)) => {
                let data = rewrap_v1(envelope, data, arena);
                signals.reserve(signal_estimate(data));
                let ctx = Ctx {
                    driver_right: driver_right(&vin, data, vehicles),
                };
                walk_capabilities(data, ctx, &mut Stamps::default(), &mut signals);
            }
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
    })
}

/// The payload's top-level object, its tree in `arena`. The fast reader takes what it is
/// sure of and leaves the rest, errors and payloads that are not UTF-8 included, to
/// serde_json (`fast_json.rs`), whose tree is then copied into the arena. simdutf8, not
/// std: std's check took ~1,100 instructions for a 745-byte payload.
fn parse<'a>(payload: &'a [u8], arena: &'a Bump) -> Result<Fields<'a>, Malformed> {
    let fast = simdutf8::basic::from_utf8(payload)
        .ok()
        .and_then(|text| super::fast_json::read(text, arena));
    let doc = match fast {
        Some(doc) => doc,
        None => {
            let value: Value = serde_json::from_slice(payload)
                .map_err(|e| Malformed::new(format!("payload is not JSON: {e}")))?;
            Node::from_value(&value, arena)
        }
    };
    match doc {
        Node::Object(envelope) => Ok(envelope),
        _ => Err(Malformed::new("payload is not a JSON object")),
    }
}

/// V1 topics repeat the identity (`{env}/level13/{app}/{vin}/{capability}/get/{property}`).
/// The payload is authoritative; a disagreement is worth a log line, not a lost message.
fn cross_check_topic(source: &str, topic: &str, vin: &str, envelope: Fields<'_>) {
    let parts: Vec<&str> = topic.split('/').filter(|p| !p.is_empty()).collect();
    let [_, _, _, t_vin, t_cap, _, t_prop, ..] = parts[..] else {
        return;
    };
    let cap = field(envelope, "capability").and_then(Node::as_str);
    let prop = field(envelope, "property").and_then(Node::as_str);
    if t_vin != vin || cap.is_some_and(|c| c != t_cap) || prop.is_some_and(|p| p != t_prop) {
        tracing::warn!(provider = %source, %topic, vin, capability = ?cap, property = ?prop,
            "topic and payload name different vehicles or values; using the payload");
    }
}

/// Some V1 producers leave out the capability level (`data.{property}` instead of
/// `data.{capability}.{property}`); the envelope names both, so put it back.
fn rewrap_v1<'a>(envelope: Fields<'a>, data: Fields<'a>, arena: &'a Bump) -> Fields<'a> {
    let (Some(Node::Str(cap)), Some(Node::Str(prop))) =
        (field(envelope, "capability"), field(envelope, "property"))
    else {
        return data;
    };
    let has = |key: &str| data.iter().any(|(k, _)| *k == key);
    match data {
        [(_, v)] if !has(cap) && has(prop) => {
            let property = arena.alloc_slice_copy(&[(*prop, *v)]);
            arena.alloc_slice_copy(&[(*cap, Node::Object(property))])
        }
        _ => data,
    }
}

/// The driver side for this VIN: as this message reports it, else as `vehicles` knows.
fn driver_right(vin: &str, data: Fields<'_>, vehicles: &Vehicles) -> bool {
    let seat = field(data, "vehicle_information")
        .and_then(|info| info.get("driver_seat_location"))
        .map(Node::to_value);
    reported_right(seat.as_ref()).unwrap_or_else(|| vehicles.driver_right(vin))
}

/// Room for the signals of `data`, so the record's list is allocated once: growing it
/// as signals came reallocated and copied it three times per drain message. Half an
/// entry more per entry covers the rules that make two signals of one (a position's
/// latitude and longitude); more grows the list as before.
fn signal_estimate(data: Fields<'_>) -> usize {
    let entries: usize = data
        .iter()
        .map(|(_, props)| match props {
            Node::Object(props) => props
                .iter()
                .map(|(_, v)| match v {
                    Node::Array(entries) => entries.len(),
                    _ => 1,
                })
                .sum(),
            _ => 1,
        })
        .sum();
    entries + entries / 2 + 1
}

/// The last timestamp an entry of this message had, raw and normalized: the entries of a
/// message mostly share one (the fixtures do), and normalizing it is ~500 instructions.
#[derive(Default)]
struct Stamps<'n> {
    last: Option<(&'n str, Arc<str>)>,
}

impl<'n> Stamps<'n> {
    fn normalize(&mut self, raw: &'n str) -> Arc<str> {
        match &self.last {
            Some((r, t)) if *r == raw => t.clone(),
            _ => {
                let t = normalize_timestamp(raw);
                self.last = Some((raw, t.clone()));
                t
            }
        }
    }
}

fn walk_capabilities<'n>(
    data: Fields<'n>,
    ctx: Ctx,
    stamps: &mut Stamps<'n>,
    out: &mut Vec<Signal>,
) {
    for (capability, props) in data {
        match props {
            Node::Object(props) => {
                for (property, value) in props.iter() {
                    walk_property(capability, property, value, ctx, stamps, out);
                }
            }
            other => out.push(passthrough(
                ["HM.", capability].concat(),
                Arc::from(&**capability),
                other,
                None,
            )),
        }
    }
}

fn walk_property<'n>(
    capability: &str,
    property: &str,
    value: &'n Node<'_>,
    ctx: Ctx,
    stamps: &mut Stamps<'n>,
    out: &mut Vec<Signal>,
) {
    let row = mapping::lookup(capability, property);
    let entries: &'n [Node<'_>] = match value {
        Node::Array(entries) => entries,
        entry => std::slice::from_ref(entry),
    };
    for entry in entries {
        let rule = row.map(|r| r.rule);
        walk_entry(capability, property, rule, entry, ctx, stamps, out);
    }
    if let Some(Rule::TroubleCodes) = row.map(|r| r.rule) {
        let codes: Vec<&Node<'_>> = entries.iter().filter_map(|e| e.get("data")).collect();
        if !codes.is_empty() {
            let origin = interned::origin(&[capability, ".", property]);
            out.extend(
                rules::trouble_code_summary(&codes)
                    .into_iter()
                    .map(|m| Signal {
                        path: m.path,
                        value: m.value,
                        unit: m.unit.map(Cow::Borrowed),
                        timestamp: None,
                        origin: origin.clone(),
                        failure: None,
                    }),
            );
        }
    }
}

/// The members of a level 13 property entry (`{data?, timestamp?, failure?,
/// availability?}`).
struct EntryParts<'n, 'a> {
    data: Option<&'n Node<'a>>,
    timestamp: Option<&'n Node<'a>>,
    failure: Option<&'n Node<'a>>,
}

/// The entry's members, in one pass over the object; `None` when it is not an entry but
/// a bare value someone sent unwrapped.
fn entry_parts<'n, 'a>(obj: &'n [(&'a str, Node<'a>)]) -> Option<EntryParts<'n, 'a>> {
    let mut parts = EntryParts {
        data: None,
        timestamp: None,
        failure: None,
    };
    for (k, v) in obj {
        match *k {
            "data" => parts.data = Some(v),
            "timestamp" => parts.timestamp = Some(v),
            "failure" => parts.failure = Some(v),
            "availability" => {}
            _ => return None,
        }
    }
    (!obj.is_empty()).then_some(parts)
}

fn walk_entry<'n>(
    capability: &str,
    property: &str,
    rule: Option<Rule>,
    entry: &'n Node<'_>,
    ctx: Ctx,
    stamps: &mut Stamps<'n>,
    out: &mut Vec<Signal>,
) {
    let parts = match entry {
        Node::Object(obj) => entry_parts(obj),
        _ => None,
    };
    let (data, timestamp, failure) = match parts {
        Some(p) => (
            p.data,
            p.timestamp.map(|t| -> Arc<str> {
                match t {
                    Node::Str(s) => stamps.normalize(s),
                    other => other.to_value().to_string().into(),
                }
            }),
            p.failure.filter(|f| !f.is_null()),
        ),
        None => (Some(entry), None, None),
    };
    let location = data.and_then(|d| d.get("location")).and_then(Node::as_str);
    let origin = match location {
        Some(loc) => interned::origin(&[capability, ".", property, "[", loc, "]"]),
        None => interned::origin(&[capability, ".", property]),
    };
    let hm_path = || ["HM.", capability, ".", property].concat();
    let first = out.len();
    let mapped = match (data, rule) {
        (Some(d), Some(rule)) => rule.apply(d, ctx),
        _ => None,
    };
    match (mapped, data) {
        (Some(mapped), _) => out.extend(mapped.into_iter().map(|m| Signal {
            path: m.path,
            value: m.value,
            unit: m.unit.map(Cow::Borrowed),
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
            let paths: Vec<Cow<'static, str>> = if paths.is_empty() {
                vec![Cow::Owned(hm_path())]
            } else {
                paths.into_iter().map(Cow::Borrowed).collect()
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
    if let Some(f) = failure.map(Node::to_value) {
        for s in &mut out[first..] {
            s.failure = Some(f.clone());
        }
    }
}

/// A value we have no mapping for, kept as the provider sent it. A plain unit value
/// keeps its number and unit apart, like mapped signals; anything else goes as is.
fn passthrough(
    path: String,
    origin: Arc<str>,
    data: &Node<'_>,
    timestamp: Option<Arc<str>>,
) -> Signal {
    let unit_value = data.as_object().filter(|o| o.len() == 2).and_then(|o| {
        let unit = field(o, "unit")?.as_str()?;
        let value = field(o, "value").filter(|v| v.is_number())?;
        Some((value.to_value(), Cow::Owned(unit.to_string())))
    });
    let (value, unit) = match unit_value {
        Some((v, u)) => (v, Some(u)),
        None => (data.to_value(), None),
    };
    Signal {
        path: Cow::Owned(path),
        value,
        unit,
        timestamp,
        origin,
        failure: None,
    }
}

#[cfg(test)]
mod tests;
