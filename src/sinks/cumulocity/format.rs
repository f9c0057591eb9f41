//! Cumulocity SmartREST 2.0 static-template rows (reference/sinks.md Part C) from a batch
//! of records. Pure: no I/O, no clock; the event memory is passed in and the changes to it
//! are handed back, to be kept only once the batch was acknowledged.
//!
//! Per VIN, on `s/us/{VIN}`:
//! * numbers → measurements: `201,vss_Measurement,{time},{fragment},{series},{value},{unit}…`
//!   (one row per VIN and time, split into several rows only if one would not fit in a
//!   publish), or one `200,{fragment},{series},{value},{unit},{time}` per signal when
//!   `use_201 = false`. Fragment = the VSS branch with `_` for `.`
//!   (`Vehicle_Powertrain_TractionBattery_StateOfCharge`), series = the leaf (`Current`),
//!   unit = the VSS unit (empty if none).
//! * `Vehicle.CurrentLocation.Latitude` and `.Longitude` both in a record →
//!   `402,{lat},{lng},{alt},{accuracy},{time}` (altitude and `HorizontalAccuracy` if
//!   present, else empty); the position signals are then not repeated as measurements.
//!   A lone coordinate stays a plain measurement.
//! * booleans, strings (enums) and vendor objects/arrays → `400,{type},{text},{time}` when
//!   the value differs from the last one sent for that VIN and path (first sight counts as
//!   a change). Type = the whole path with `_` for `.`; text = `{path}: {value}`.
//! * null values (provider failures) are skipped and do not touch the event memory.
//!
//! Times are the signal's timestamp (RFC 3339 UTC, milliseconds), else `received_at`.
//! Values are quoted when they hold `"`, `,`, CR, LF, tab or leading/trailing whitespace,
//! with `\"` inside quotes (the MQTT implementation page's rule). Rows are packed into
//! publishes of at most `max_packet` bytes, MQTT header and topic included; a row is never
//! split, and a row that cannot fit alone is dropped and reported.

use crate::record::{format_millis, Record};
use crate::sinks::mqtt_out::{packet_len, Publish};
use crate::sinks::Refusal;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub const UP: &str = "s/us";
pub const ERRORS: &str = "s/e";
pub const MEASUREMENT_TYPE: &str = "vss_Measurement";
pub const LATITUDE: &str = "Vehicle.CurrentLocation.Latitude";
pub const LONGITUDE: &str = "Vehicle.CurrentLocation.Longitude";
pub const ALTITUDE: &str = "Vehicle.CurrentLocation.Altitude";
pub const ACCURACY: &str = "Vehicle.CurrentLocation.HorizontalAccuracy";
/// Event texts are cut to this many bytes (vendor objects can be large).
pub const MAX_TEXT: usize = 2000;

/// Last value sent as an event, per (VIN, path).
pub type EventMemory = HashMap<(String, String), Value>;

/// One CSV value, quoted and escaped when needed.
pub fn escape(v: &str) -> Cow<'_, str> {
    let edge_space = v.starts_with(char::is_whitespace) || v.ends_with(char::is_whitespace);
    if edge_space || v.contains(['"', ',', '\n', '\r', '\t']) {
        Cow::Owned(format!("\"{}\"", v.replace('"', "\\\"")))
    } else {
        Cow::Borrowed(v)
    }
}

/// One row: escaped values joined by commas, terminated by `\n`.
pub fn row<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&escape(f.as_ref()));
    }
    out.push('\n');
    out
}

/// `100`: create the daemon's own device if needed.
pub fn device(name: &str, device_type: &str) -> String {
    row(&["100", name, device_type])
}

/// `101`: create the vehicle's child device if needed (name = VIN).
pub fn child(vin: &str, child_type: &str) -> String {
    row(&["101", vin, vin, child_type])
}

/// Letters, digits and `_` only, so the name is safe as a JSON key in the platform.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// (fragment, series) of a path: the branch and the leaf.
pub fn fragment_series(path: &str) -> (String, String) {
    match path.rsplit_once('.') {
        Some((branch, leaf)) => (sanitize(branch), sanitize(leaf)),
        None => (sanitize(path), sanitize(path)),
    }
}

/// Whether a VIN can be a topic level and a child id.
pub fn usable_vin(vin: &str) -> bool {
    !vin.is_empty() && !vin.contains(['/', '+', '#', '\0'])
}

fn time_of(ts: Option<&str>, received: &DateTime<Utc>) -> String {
    ts.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| format_millis(&t.with_timezone(&Utc)))
        .unwrap_or_else(|| format_millis(received))
}

fn cut(mut s: String) -> String {
    if s.len() > MAX_TEXT {
        let mut end = MAX_TEXT - 3;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str("...");
    }
    s
}

/// What a batch becomes.
#[derive(Debug, Default)]
pub struct Output {
    /// Data publishes on `s/us/{VIN}`.
    pub publishes: Vec<Publish>,
    /// VINs that got data (their child device must exist), sorted.
    pub vins: Vec<String>,
    /// Event memory updates, to apply once the batch was acknowledged.
    pub remembered: Vec<((String, String), Value)>,
    pub nulls: usize,
    /// Records skipped because their VIN cannot be a topic level.
    pub bad_vins: Vec<String>,
    /// Rows that cannot fit any publish, for the dead letter.
    pub oversize: Vec<Refusal>,
}

/// (fragment, series) → (value, unit) of one time.
type Series = BTreeMap<(String, String), (String, String)>;

/// Rows of one VIN: measurements by time, then positions and events in record order.
#[derive(Default)]
struct VinRows {
    /// time → series
    measurements: BTreeMap<String, Series>,
    other: Vec<String>,
}

pub fn batch_rows(
    batch: &[Arc<Record>],
    use_201: bool,
    max_packet: usize,
    memory: &EventMemory,
) -> Output {
    let mut out = Output::default();
    let mut vins: BTreeMap<String, VinRows> = BTreeMap::new();
    let mut changed: HashMap<(String, String), Value> = HashMap::new();
    for r in batch {
        if !usable_vin(&r.vin) {
            out.bad_vins.push(r.vin.clone());
            continue;
        }
        let rows = vins.entry(r.vin.clone()).or_default();
        let find = |p: &str| {
            r.signals
                .iter()
                .find(|s| s.path == p && s.value.is_number())
        };
        let position = match (find(LATITUDE), find(LONGITUDE)) {
            (Some(lat), Some(lng)) => {
                let num = |p: &str| find(p).map(|s| s.value.to_string()).unwrap_or_default();
                rows.other.push(row(&[
                    "402".to_string(),
                    lat.value.to_string(),
                    lng.value.to_string(),
                    num(ALTITUDE),
                    num(ACCURACY),
                    time_of(lat.timestamp.as_deref(), &r.received_at),
                ]));
                true
            }
            _ => false,
        };
        for s in &r.signals {
            let time = time_of(s.timestamp.as_deref(), &r.received_at);
            match &s.value {
                Value::Null => out.nulls += 1,
                Value::Number(n) => {
                    let is_pos = [LATITUDE, LONGITUDE, ALTITUDE, ACCURACY].contains(&&*s.path);
                    if position && is_pos {
                        continue;
                    }
                    rows.measurements.entry(time).or_default().insert(
                        fragment_series(&s.path),
                        (
                            n.to_string(),
                            s.unit.as_deref().unwrap_or_default().to_string(),
                        ),
                    );
                }
                v => {
                    let k = (r.vin.clone(), s.path.to_string());
                    let last = changed.get(&k).or_else(|| memory.get(&k));
                    if last == Some(v) {
                        continue;
                    }
                    let text = match v {
                        Value::String(t) => t.clone(),
                        other => other.to_string(),
                    };
                    let event_type = sanitize(&s.path);
                    let text = cut(format!("{}: {text}", s.path));
                    rows.other.push(row(&["400", &event_type, &text, &time]));
                    changed.insert(k, v.clone());
                }
            }
        }
    }
    for (vin, rows) in vins {
        let topic = format!("{UP}/{vin}");
        let mut all = Vec::new();
        for (time, series) in &rows.measurements {
            if use_201 {
                all.extend(rows_201(&topic, time, series, max_packet));
            } else {
                for ((fragment, s), (value, unit)) in series {
                    all.push(row(&["200", fragment, s, value, unit, time]));
                }
            }
        }
        all.extend(rows.other);
        if all.is_empty() {
            continue;
        }
        let (publishes, dropped) = pack(&topic, &all, max_packet);
        out.publishes.extend(publishes);
        out.oversize.extend(dropped.into_iter().map(|row| Refusal {
            vin: vin.clone(),
            topic: topic.clone(),
            reason: format!(
                "a SmartREST row of {} bytes does not fit one publish of at most {max_packet} bytes",
                row.len()
            ),
            payload: row,
        }));
        out.vins.push(vin);
    }
    out.remembered = changed.into_iter().collect();
    out
}

/// `201` rows for one time: as few as fit, each within one publish on `topic`.
fn rows_201(topic: &str, time: &str, series: &Series, max_packet: usize) -> Vec<String> {
    let head = row(&["201", MEASUREMENT_TYPE, time]);
    let head = head.trim_end_matches('\n');
    let mut rows = Vec::new();
    let mut cur = String::new();
    for ((fragment, s), (value, unit)) in series {
        let group = row(&[fragment, s, value, unit]);
        let group = group.trim_end_matches('\n');
        if !cur.is_empty() && packet_len(topic, cur.len() + 1 + group.len() + 1) > max_packet {
            cur.push('\n');
            rows.push(std::mem::take(&mut cur));
        }
        if cur.is_empty() {
            cur.push_str(head);
        }
        cur.push(',');
        cur.push_str(group);
    }
    if !cur.is_empty() {
        cur.push('\n');
        rows.push(cur);
    }
    rows
}

/// Rows (each ending in `\n`) packed in order into publishes on `topic` of at most
/// `max_packet` bytes; also returns the rows that do not fit even alone.
pub fn pack(topic: &str, rows: &[String], max_packet: usize) -> (Vec<Publish>, Vec<String>) {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut dropped = Vec::new();
    for r in rows {
        if packet_len(topic, r.len()) > max_packet {
            dropped.push(r.clone());
            continue;
        }
        if packet_len(topic, cur.len() + r.len()) > max_packet {
            out.push(Publish::new(topic, std::mem::take(&mut cur)));
        }
        cur.push_str(r);
    }
    if !cur.is_empty() {
        out.push(Publish::new(topic, cur));
    }
    (out, dropped)
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
