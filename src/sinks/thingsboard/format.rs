//! ThingsBoard gateway API payloads (reference/sinks.md Part B) from a batch of records.
//! Pure: no I/O, no clock.
//!
//! * `v1/gateway/connect`: `{"device":VIN,"type":device_type}`.
//! * `v1/gateway/telemetry`: `{VIN:[{"ts":ms,"values":{key:value,…}},…],…}`, one entry per
//!   VIN and timestamp (the signal's `timestamp`, else the record's `received_at`), entries
//!   in time order, VINs and keys sorted. The same key twice for one VIN and timestamp: the
//!   later record wins (ThingsBoard would keep only one as well).
//! * Values: numbers, booleans and strings as they are; objects and arrays (vendor values)
//!   as their JSON text in a string; `null` (the provider sent a failure) is left out, since
//!   ThingsBoard has no "no value" and a string "null" would pollute numeric series. It
//!   never fails the batch.
//! * Packing: each publish, MQTT header included, stays within the limit. A key/value pair
//!   is never split; an entry that does not fit is continued in the next publish as another
//!   entry with the same `ts`. A single pair that cannot fit even alone is left out and
//!   returned as a [`Refusal`] for the dead letter (the batch still goes through:
//!   retrying could never make it fit).

use super::config::KeyStyle;
use crate::record::Record;
use crate::sinks::mqtt_out::{packet_len, Publish};
use crate::sinks::Refusal;
use chrono::DateTime;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const CONNECT_TOPIC: &str = "v1/gateway/connect";
pub const TELEMETRY_TOPIC: &str = "v1/gateway/telemetry";

/// `v1/gateway/connect` for one vehicle.
pub fn connect(vin: &str, device_type: &str) -> Publish {
    let payload = serde_json::json!({"device": vin, "type": device_type});
    Publish::new(CONNECT_TOPIC, payload.to_string())
}

/// The telemetry of a batch, packed into publishes.
#[derive(Debug, Default)]
pub struct Telemetry {
    pub publishes: Vec<Publish>,
    /// Signals left out because their value was null (a provider failure).
    pub nulls: usize,
    /// Pairs too large for any publish, for the dead letter.
    pub oversize: Vec<Refusal>,
}

/// The telemetry key of a VSS path.
pub fn key(path: &str, style: KeyStyle) -> String {
    match style {
        KeyStyle::Path => path.to_string(),
        KeyStyle::Flat => flat(path),
    }
}

/// `Vehicle.Powertrain.TractionBattery.StateOfCharge.Current` →
/// `vehicle_powertrain_traction_battery_state_of_charge_current`: snake case, acronyms kept
/// as one word (`OBD.DTCList` → `obd_dtc_list`), anything but letters and digits → `_`.
pub fn flat(path: &str) -> String {
    let chars: Vec<char> = path.chars().collect();
    let mut out = String::with_capacity(path.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_uppercase() && i > 0 && !out.is_empty() && !out.ends_with('_') {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// The value as ThingsBoard telemetry JSON, None for null.
fn render(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Object(_) | Value::Array(_) => Some(Value::String(value.to_string()).to_string()),
        v => Some(v.to_string()),
    }
}

/// Milliseconds of an RFC 3339 timestamp, if it is one.
fn millis(ts: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// VIN → ts → key → rendered value.
type Grouped = BTreeMap<String, BTreeMap<i64, BTreeMap<String, String>>>;

/// The batch's telemetry, each publish (header included) at most `max_packet` bytes.
pub fn telemetry(batch: &[Arc<Record>], style: KeyStyle, max_packet: usize) -> Telemetry {
    let mut grouped = Grouped::new();
    let mut out = Telemetry::default();
    for r in batch {
        let fallback = r.received_at.timestamp_millis();
        for s in &r.signals {
            let Some(value) = render(&s.value) else {
                out.nulls += 1;
                continue;
            };
            let ts = s.timestamp.as_deref().and_then(millis).unwrap_or(fallback);
            grouped
                .entry(r.vin.clone())
                .or_default()
                .entry(ts)
                .or_default()
                .insert(key(&s.path, style), value);
        }
    }
    let mut packer = Packer::new(max_packet);
    for (vin, entries) in &grouped {
        let vin_json = Value::String(vin.clone()).to_string();
        for (ts, values) in entries {
            for (k, v) in values {
                let pair = format!("{}:{v}", Value::String(k.clone()));
                if !packer.add(&vin_json, *ts, &pair) {
                    out.oversize.push(Refusal {
                        vin: vin.clone(),
                        topic: TELEMETRY_TOPIC.to_string(),
                        payload: format!("{{{vin_json}:[{{\"ts\":{ts},\"values\":{{{pair}}}}}]}}"),
                        reason: format!(
                            "`{k}` ({} bytes) does not fit one publish of at most {max_packet} bytes",
                            pair.len()
                        ),
                    });
                }
            }
        }
    }
    out.publishes = packer.finish();
    out
}

/// Greedy packing of `"VIN":[{"ts":…,"values":{pair,…}},…]` into payloads that stay valid
/// JSON and within the packet limit.
struct Packer {
    max_packet: usize,
    done: Vec<Publish>,
    cur: String,
    /// The VIN (as JSON) and ts of the entry `cur` ends in, if any.
    open: Option<(String, i64)>,
}

/// Closes an open entry, its VIN's array and the payload object.
const CLOSE: &str = "}}]}";

impl Packer {
    fn new(max_packet: usize) -> Packer {
        Packer {
            max_packet,
            done: Vec::new(),
            cur: String::new(),
            open: None,
        }
    }

    fn fits(&self, extra: usize) -> bool {
        packet_len(TELEMETRY_TOPIC, self.cur.len() + extra + CLOSE.len()) <= self.max_packet
    }

    /// What joins `pair` to the current payload.
    fn joint(&self, vin: &str, ts: i64) -> String {
        match &self.open {
            None => format!("{{{vin}:[{{\"ts\":{ts},\"values\":{{"),
            Some((v, t)) if v == vin && *t == ts => ",".to_string(),
            Some((v, _)) if v == vin => format!("}}}},{{\"ts\":{ts},\"values\":{{"),
            Some(_) => format!("}}}}],{vin}:[{{\"ts\":{ts},\"values\":{{"),
        }
    }

    /// False if the pair cannot fit even into an empty payload (it is then dropped).
    fn add(&mut self, vin: &str, ts: i64, pair: &str) -> bool {
        let joint = self.joint(vin, ts);
        if self.fits(joint.len() + pair.len()) {
            self.cur.push_str(&joint);
            self.cur.push_str(pair);
            self.open = Some((vin.to_string(), ts));
            return true;
        }
        if self.open.is_none() {
            return false;
        }
        self.flush();
        self.add(vin, ts, pair)
    }

    fn flush(&mut self) {
        if self.open.take().is_some() {
            let mut payload = std::mem::take(&mut self.cur);
            payload.push_str(CLOSE);
            self.done.push(Publish::new(TELEMETRY_TOPIC, payload));
        }
    }

    fn finish(mut self) -> Vec<Publish> {
        self.flush();
        self.done
    }
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
