//! What a signal path becomes in Home Assistant: the row of [`super::table`] that matches
//! it, or, for a VSS leaf the table does not know (yet) and for vendor signals, an entity
//! derived from the catalogue or the value itself.

use super::config::Entities;
use super::row::{Kind, Row, StateClass};
use super::table::ROWS;
use crate::vss::{catalogue, Datatype};
use serde_json::Value;
use std::borrow::Cow;

/// What a path becomes: the table's answer or a derived one.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub name: String,
    pub kind: Kind,
    /// A vendor signal's own unit (vendor sensors have no `Kind` unit).
    pub vendor_unit: Option<String>,
    /// Vendor signals start disabled in Home Assistant.
    pub enabled_by_default: bool,
}

/// VSS unit → Home Assistant unit, for leaves the table derives.
const UNITS: &[(&str, &str)] = &[
    ("percent", "%"),
    ("m", "m"),
    ("mm", "mm"),
    ("cm", "cm"),
    ("km", "km"),
    ("km/h", "km/h"),
    ("m/s", "m/s"),
    ("Celsius", "°C"),
    ("kPa", "kPa"),
    ("Pa", "Pa"),
    ("bar", "bar"),
    ("kWh", "kWh"),
    ("Wh", "Wh"),
    ("W", "W"),
    ("kW", "kW"),
    ("V", "V"),
    ("mV", "mV"),
    ("A", "A"),
    ("mA", "mA"),
    ("s", "s"),
    ("min", "min"),
    ("h", "h"),
    ("l", "L"),
    ("ml", "mL"),
    ("rpm", "rpm"),
    ("degrees", "°"),
    ("degrees/s", "°/s"),
    ("m/s^2", "m/s²"),
    ("l/100km", "L/100km"),
    ("km/l", "km/L"),
    ("kg", "kg"),
    ("g", "g"),
    ("Nm", "N·m"),
    ("Hz", "Hz"),
];

/// The Home Assistant spelling of a VSS unit (the VSS name when there is none).
pub fn ha_unit(vss_unit: &'static str) -> &'static str {
    UNITS
        .iter()
        .find(|(v, _)| *v == vss_unit)
        .map_or(vss_unit, |(_, ha)| ha)
}

/// The entity for `path`, `None` when it gets none (a vendor signal under
/// `entities = "mapped"`). `sample` and `unit` are a value of it as seen, for what the
/// catalogue cannot say.
pub fn entity(path: &str, sample: &Value, unit: Option<&str>, mode: Entities) -> Option<Entity> {
    if !path.starts_with("Vehicle.") {
        if mode != Entities::All {
            return None;
        }
        return Some(Entity {
            name: path.to_string(),
            kind: kind_of_value(sample, false),
            vendor_unit: unit.map(str::to_string),
            enabled_by_default: false,
        });
    }
    if let Some((row, instances)) = lookup(path) {
        return Some(Entity {
            name: fill_name(row.name, &instances),
            kind: row.kind.clone(),
            vendor_unit: None,
            enabled_by_default: true,
        });
    }
    let kind = match catalogue::signal(path) {
        Some(s) => kind_of_leaf(s.datatype, s.unit),
        None => kind_of_value(sample, true),
    };
    Some(Entity {
        name: words_of_path(path),
        kind,
        vendor_unit: None,
        enabled_by_default: true,
    })
}

/// The row for a path, with the path segments its `*` stand for.
pub fn lookup(path: &str) -> Option<(&'static Row, Vec<&str>)> {
    let parts: Vec<&str> = path.split('.').collect();
    ROWS.iter().find_map(|row| {
        let pattern: Vec<&str> = row.path.split('.').collect();
        if pattern.len() != parts.len() {
            return None;
        }
        let mut instances = Vec::new();
        for (p, s) in pattern.iter().zip(&parts) {
            match *p {
                "*" => instances.push(*s),
                p if p == *s => {}
                _ => return None,
            }
        }
        Some((row, instances))
    })
}

fn kind_of_leaf(datatype: Datatype, unit: Option<&'static str>) -> Kind {
    match datatype {
        Datatype::Boolean => Kind::Binary {
            device_class: None,
            inverted: false,
        },
        Datatype::String | Datatype::StringArray | Datatype::FloatArray | Datatype::UInt8Array => {
            Kind::Text
        }
        _ => Kind::Sensor {
            unit: unit.map(ha_unit),
            device_class: None,
            state_class: Some(StateClass::Measurement),
            scale: None,
        },
    }
}

/// A path neither the table nor the catalogue knows: by the value's JSON type. Numbers
/// get a state class only under VSS (a vendor value's type may change).
fn kind_of_value(sample: &Value, vss: bool) -> Kind {
    match sample {
        Value::Bool(_) => Kind::Binary {
            device_class: None,
            inverted: false,
        },
        Value::Number(_) => Kind::Sensor {
            unit: None,
            device_class: None,
            state_class: vss.then_some(StateClass::Measurement),
            scale: None,
        },
        _ => Kind::Text,
    }
}

/// Words for an instance segment; `""` for one that adds nothing (`AnyPosition`).
fn instance_words(segment: &str) -> Cow<'_, str> {
    Cow::Borrowed(match segment {
        "Row1" => "front",
        "Row2" => "rear",
        "Row3" => "third-row",
        "Row4" => "fourth-row",
        "DriverSide" => "driver-side",
        "PassengerSide" => "passenger-side",
        "FrontLeft" => "front left",
        "FrontMiddle" => "front middle",
        "FrontRight" => "front right",
        "RearLeft" => "rear left",
        "RearMiddle" => "rear middle",
        "RearRight" => "rear right",
        "AnyPosition" => "",
        other => return Cow::Owned(split_camel(other)),
    })
}

/// `IsChargingCableConnected` → `is charging cable connected`.
fn split_camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        out.extend(c.to_lowercase());
    }
    out
}

/// A row's name with its instance words in place, first letter capitalized.
pub fn fill_name(template: &str, instances: &[&str]) -> String {
    let words: Vec<Cow<'_, str>> = instances
        .iter()
        .map(|s| instance_words(s))
        .filter(|w| !w.is_empty())
        .collect();
    let name = template.replace("{}", &words.join(" "));
    capitalize(name.trim())
}

/// `Vehicle.Body.Hood.IsOpen` → `Body hood is open`: for leaves the table lacks.
pub fn words_of_path(path: &str) -> String {
    let rest = path.strip_prefix("Vehicle.").unwrap_or(path);
    let words: Vec<String> = rest.split('.').map(split_camel).collect();
    capitalize(&words.join(" "))
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
