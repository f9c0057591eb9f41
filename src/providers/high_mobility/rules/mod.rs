//! What a mapping row does with an entry's `data`. Each rule either produces VSS values
//! or declines (`None`) when the data does not have the shape it expects or a value
//! does not fit its leaf (range, allowed values); the caller then passes the value
//! through untouched, so nothing is lost.

mod places;

use super::mapping::CHARGING_STATUS;
use super::node::Node;
use crate::vss::catalogue::{self, instance_path, VssSignal};
use crate::vss::{self, units, Datatype};
use serde_json::Value;
use std::borrow::Cow;

pub use super::mapping::Words;

/// How one value inside an entry (per wheel, per door, per key) is read.
#[derive(Debug, Clone, Copy)]
pub enum Inner {
    /// `{"unit": .., "value": ..}` converted to the leaf's unit.
    Measure,
    /// A 0.0–1.0 fraction as VSS `percent`.
    Percentage,
    /// An enum word as a boolean.
    Flag(Words<bool>),
    /// An enum word renamed to the VSS value.
    Enum(Words<&'static str>),
    /// `{"red", "green", "blue"}` integers 0–255 as VSS's `#RRGGBB` colour string.
    Colour,
}

#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// `{"unit": .., "value": ..}` converted to the unit of the VSS signal.
    Measure(&'static str),
    /// A bare 0.0–1.0 fraction, emitted as VSS `percent` (×100).
    Percentage(&'static str),
    /// A string kept as it is (an identifier such as the VIN).
    Text(&'static str),
    /// `{"latitude": .., "longitude": ..}` into the given latitude and longitude leaves.
    Coordinates(&'static str, &'static str),
    /// An enum word renamed to the VSS value; unknown words pass through.
    Enum(&'static str, Words<&'static str>),
    /// An enum word as the integer code VSS uses (gears: 126 park, 127 drive).
    Code(&'static str, Words<i64>),
    /// An enum word read as a boolean; unknown words pass through.
    Flag(&'static str, Words<bool>),
    /// One enum word read as several booleans: each leaf whose table knows the word.
    Flags(&'static [(&'static str, Words<bool>)]),
    /// One vehicle-wide value that VSS models per instance, read as `Inner` into each
    /// listed leaf (the one rear set point → both Row2 stations; the one brake fluid
    /// reservoir → every wheel's brake). Like BMW's mirror heating → both mirrors.
    Each(&'static [&'static str], Inner),
    /// One field of an object-valued entry, read as `Inner` into a leaf.
    Field(&'static str, &'static str, Inner),
    /// The entry's `key` field picks the leaf (`extreme: highest` → `…Temperature.Max`),
    /// its `value` field holds the value.
    Keyed {
        key: &'static str,
        leaves: Words<&'static str>,
        value: &'static str,
        inner: Inner,
    },
    /// `charging.status`: the common status overlay plus IsCharging / IsDischarging.
    ChargingStatus,
    /// `{"distance": length, "time": duration}` as a speed (km/h of range per hour).
    RatePerHour(&'static str),
    /// Per wheel: `location` picks Axle.RowN.Wheel.Left|Right, `field` holds the value.
    Wheel(&'static str, &'static str, Inner),
    /// Per door (driver-relative): `location` picks Door.RowN.DriverSide|PassengerSide.
    Door(&'static str, &'static str, Inner),
    /// Per seat (driver-relative, plus `rear_center`, `driver`, `passenger`).
    Seat(&'static str, &'static str, Inner),
    /// Each trouble code passes through whole; the property also yields DTCCount/DTCList
    /// when every code is in OBD-II form (`trouble_code_summary`).
    TroubleCodes,
}

/// Per-message facts a rule may need.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ctx {
    /// The driver sits on the right (right-hand drive): left doors are passenger side.
    pub driver_right: bool,
}

/// A VSS value produced by a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    pub path: Cow<'static, str>,
    pub value: Value,
    pub unit: Option<&'static str>,
}

const STATUS: &str = "Vehicle.Powertrain.TractionBattery.Charging.Status";
const IS_CHARGING: &str = "Vehicle.Powertrain.TractionBattery.Charging.IsCharging";
const IS_DISCHARGING: &str = "Vehicle.Powertrain.TractionBattery.Charging.IsDischarging";
pub const DTC_COUNT: &str = "Vehicle.Diagnostics.DTCCount";
pub const DTC_LIST: &str = "Vehicle.Diagnostics.DTCList";

fn sig(path: &str) -> Option<&'static VssSignal> {
    catalogue::signal(path)
}

/// A value for leaf `s` at `path` (the leaf's own path, or a concrete instance of a
/// template), if the leaf admits it.
fn fitted(s: &VssSignal, path: Cow<'static, str>, value: Value) -> Option<Mapped> {
    s.admit(&value).then_some(Mapped {
        path,
        value,
        unit: s.unit,
    })
}

/// A number in `from` unit (or already in the signal's unit) as the signal's JSON value.
fn measured(s: &VssSignal, path: Cow<'static, str>, v: f64, from: Option<&str>) -> Option<Mapped> {
    let v = match (from, s.unit) {
        (Some(from), Some(to)) => units::convert(v, from, to)?,
        (None, _) => v,
        (Some(_), None) => return None,
    };
    fitted(s, path, vss::number_value(s.datatype, v))
}

fn unit_value<'n>(data: &'n Node<'_>) -> Option<(f64, &'n str)> {
    Some((data.get("value")?.as_f64()?, data.get("unit")?.as_str()?))
}

fn lookup<T: Copy>(table: &[(&str, T)], key: &Node<'_>) -> Option<T> {
    let key = key.as_str()?;
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// `{"red": 255, "green": 128, "blue": 0}` as `#FF8000`; `None` unless each component
/// is a whole number 0–255.
fn colour(v: &Node<'_>) -> Option<String> {
    let byte = |name: &str| {
        let c = v.get(name)?.as_f64()?;
        ((0.0..=255.0).contains(&c) && c.fract() == 0.0).then_some(c as u8)
    };
    let (r, g, b) = (byte("red")?, byte("green")?, byte("blue")?);
    Some(format!("#{r:02X}{g:02X}{b:02X}"))
}

fn boolean(path: Cow<'static, str>, b: bool) -> Mapped {
    Mapped {
        path,
        value: Value::Bool(b),
        unit: None,
    }
}

impl Inner {
    /// Read `v` into the leaf at `path` (a leaf, or an instance of a template); `None`
    /// when that instance is not a VSS leaf (a rear-centre door).
    fn apply(self, path: Cow<'static, str>, v: &Node<'_>) -> Option<Mapped> {
        let s = sig(&path)?;
        match self {
            Inner::Measure => {
                let (value, unit) = unit_value(v)?;
                measured(s, path, value, Some(unit))
            }
            Inner::Percentage => measured(s, path, v.as_f64()? * 100.0, None),
            Inner::Flag(table) => Some(boolean(path, lookup(table, v)?)),
            Inner::Enum(table) => fitted(s, path, Value::from(lookup(table, v)?)),
            Inner::Colour => fitted(s, path, Value::from(colour(v)?)),
        }
    }
}

impl Rule {
    /// The VSS paths an entry of this row writes when it carries a failure instead of
    /// data; empty when the path depends on the data (per-instance and keyed rules).
    pub fn failure_paths(self) -> Vec<&'static str> {
        match self {
            Rule::Measure(p)
            | Rule::Percentage(p)
            | Rule::Text(p)
            | Rule::Enum(p, _)
            | Rule::Code(p, _)
            | Rule::Flag(p, _)
            | Rule::Field(_, p, _)
            | Rule::RatePerHour(p) => vec![p],
            Rule::Coordinates(lat, lon) => vec![lat, lon],
            Rule::Each(paths, _) => paths.to_vec(),
            Rule::ChargingStatus => vec![STATUS, IS_CHARGING, IS_DISCHARGING],
            Rule::Flags(_)
            | Rule::Keyed { .. }
            | Rule::Wheel(..)
            | Rule::Door(..)
            | Rule::Seat(..)
            | Rule::TroubleCodes => Vec::new(),
        }
    }

    /// Every VSS path (or template) the rule can write, for docs and coverage checks.
    pub fn targets(self) -> Vec<&'static str> {
        match self {
            Rule::Wheel(t, ..) | Rule::Door(t, ..) | Rule::Seat(t, ..) => vec![t],
            Rule::Flags(leaves) => leaves.iter().map(|(p, _)| *p).collect(),
            Rule::Keyed { leaves, .. } => {
                let mut out: Vec<&'static str> = Vec::new();
                for (_, p) in leaves {
                    if !out.contains(p) {
                        out.push(p);
                    }
                }
                out
            }
            Rule::TroubleCodes => vec![DTC_COUNT, DTC_LIST],
            other => other.failure_paths(),
        }
    }

    /// Apply the rule; `None` when `data` does not have the shape the rule expects or a
    /// value does not fit its leaf.
    pub fn apply(self, data: &Node<'_>, ctx: Ctx) -> Option<Vec<Mapped>> {
        let one = |m: Option<Mapped>| m.map(|m| vec![m]);
        match self {
            Rule::Measure(path) => {
                let (value, unit) = unit_value(data)?;
                one(measured(sig(path)?, path.into(), value, Some(unit)))
            }
            Rule::Percentage(path) => one(measured(
                sig(path)?,
                path.into(),
                data.as_f64()? * 100.0,
                None,
            )),
            Rule::Text(path) => one(fitted(sig(path)?, path.into(), Value::from(data.as_str()?))),
            Rule::Coordinates(lat, lon) => {
                let la = data.get("latitude")?.as_f64()?;
                let lo = data.get("longitude")?.as_f64()?;
                Some(vec![
                    measured(sig(lat)?, lat.into(), la, None)?,
                    measured(sig(lon)?, lon.into(), lo, None)?,
                ])
            }
            Rule::Enum(path, table) => one(fitted(
                sig(path)?,
                path.into(),
                Value::from(lookup(table, data)?),
            )),
            Rule::Each(paths, inner) => paths
                .iter()
                .map(|p| inner.apply((*p).into(), data))
                .collect(),
            Rule::Code(path, table) => {
                let s = sig(path)?;
                one(fitted(s, path.into(), Value::from(lookup(table, data)?)))
            }
            Rule::Flag(path, table) => Some(vec![boolean(path.into(), lookup(table, data)?)]),
            Rule::Flags(leaves) => {
                let out: Vec<Mapped> = leaves
                    .iter()
                    .filter_map(|(path, table)| Some(boolean((*path).into(), lookup(table, data)?)))
                    .collect();
                (!out.is_empty()).then_some(out)
            }
            Rule::Field(field, path, inner) => one(inner.apply(path.into(), data.get(field)?)),
            Rule::Keyed {
                key,
                leaves,
                value,
                inner,
            } => {
                let path = lookup(leaves, data.get(key)?)?;
                one(inner.apply(path.into(), data.get(value)?))
            }
            Rule::ChargingStatus => {
                let status = lookup(CHARGING_STATUS, data)?;
                Some(vec![
                    fitted(sig(STATUS)?, STATUS.into(), Value::from(status))?,
                    boolean(IS_CHARGING.into(), status == "CHARGING"),
                    boolean(IS_DISCHARGING.into(), status == "DISCHARGING"),
                ])
            }
            Rule::RatePerHour(path) => {
                let (distance, dunit) = unit_value(data.get("distance")?)?;
                let (time, tunit) = unit_value(data.get("time")?)?;
                let km = units::convert(distance, dunit, "km")?;
                let hours = units::convert(time, tunit, "h")?;
                if hours == 0.0 {
                    return None;
                }
                one(measured(sig(path)?, path.into(), km / hours, None))
            }
            Rule::Wheel(template, field, inner) => {
                let place = places::wheel(data.get("location")?.as_str()?)?;
                let path = instance_path(template, &place);
                one(inner.apply(path.into(), data.get(field)?))
            }
            Rule::Door(template, field, inner) => {
                let location = data.get("location")?.as_str()?;
                let value = data.get(field)?;
                places::doors(location, ctx.driver_right)?
                    .into_iter()
                    .map(|place| inner.apply(instance_path(template, &place).into(), value))
                    .collect()
            }
            Rule::Seat(template, field, inner) => {
                let place = places::seat(data.get("location")?.as_str()?, ctx.driver_right)?;
                let path = instance_path(template, &place);
                one(inner.apply(path.into(), data.get(field)?))
            }
            Rule::TroubleCodes => None,
        }
    }
}

/// Whether `id` is an OBD-II code as VSS DTCList wants it (SAE J2012: P, C, B or U and
/// four hex digits, `P0300`); HM ids with a failure-type byte (`C1116FA`) or OEM codes
/// are not.
pub fn is_obd_code(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 5
        && matches!(b[0], b'P' | b'C' | b'B' | b'U')
        && b[1..]
            .iter()
            .all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F'))
}

/// DTCCount and DTCList over a trouble-code property's entries, only when every entry's
/// id is an OBD-II code: a list with the others left out would understate DTCCount and
/// claim a code set the vehicle did not report (the entries pass through whole anyway).
pub fn trouble_code_summary(entries: &[&Node<'_>]) -> Vec<Mapped> {
    let ids: Option<Vec<Value>> = entries
        .iter()
        .map(|d| {
            let id = d.get("id").and_then(Node::as_str)?;
            is_obd_code(id).then(|| Value::from(id))
        })
        .collect();
    let Some(ids) = ids else {
        return Vec::new();
    };
    let count = vss::number_value(Datatype::UInt8, ids.len() as f64);
    // more codes than a uint8 counts: the list still says them all
    let count = sig(DTC_COUNT).and_then(|s| fitted(s, DTC_COUNT.into(), count));
    count
        .into_iter()
        .chain([Mapped {
            path: Cow::Borrowed(DTC_LIST),
            value: Value::Array(ids),
            unit: None,
        }])
        .collect()
}
