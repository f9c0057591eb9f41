//! What a mapping row does with an entry's `data`. Each rule either produces VSS values
//! or declines (`None`) when the data does not have the shape it expects, in which case
//! the caller passes the value through untouched.

use super::normalize::Node;
use crate::vss::catalogue::{self, instance_path, VssSignal};
use crate::vss::{self, units, Datatype};
use serde_json::Value;
use std::borrow::Cow;

/// How an instance's value is read (per wheel, per door).
#[derive(Debug, Clone, Copy)]
pub enum Inner {
    Measure,
    Percentage,
    Flag(&'static [(&'static str, bool)]),
}

#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// `{"unit": .., "value": ..}` converted to the unit of the VSS signal.
    Measure(&'static str),
    /// A bare 0.0–1.0 fraction, emitted as VSS `percent` (×100).
    Percentage(&'static str),
    /// `{"latitude": .., "longitude": ..}`, split into the two VSS signals.
    Coordinates,
    /// An enum string renamed to the VSS value; unknown values pass through.
    Enum(&'static str, &'static [(&'static str, &'static str)]),
    /// An enum string read as a boolean; unknown values pass through.
    Flag(&'static str, &'static [(&'static str, bool)]),
    /// `charging.status`: the common status overlay plus IsCharging / IsDischarging.
    ChargingStatus,
    /// `{"distance": length, "time": duration}` as a speed (km/h of range per hour).
    RatePerHour(&'static str),
    /// Per wheel: `location` picks Axle.RowN.Wheel.Left|Right, `field` holds the value.
    Wheel(&'static str, &'static str, Inner),
    /// Per door (driver-relative): `location` picks Door.RowN.DriverSide|PassengerSide.
    Door(&'static str, &'static str, Inner),
    /// Each trouble code passes through whole; the property also yields DTCCount/DTCList.
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
const LATITUDE: &str = "Vehicle.CurrentLocation.Latitude";
const LONGITUDE: &str = "Vehicle.CurrentLocation.Longitude";
pub const DTC_COUNT: &str = "Vehicle.Diagnostics.DTCCount";
pub const DTC_LIST: &str = "Vehicle.Diagnostics.DTCList";

fn sig(path: &str) -> Option<&'static VssSignal> {
    catalogue::signal(path)
}

/// A number in `from` unit (or already in the signal's unit) as the signal's JSON value.
fn measured(s: &VssSignal, value: f64, from: Option<&str>) -> Option<Mapped> {
    let value = match (from, s.unit) {
        (Some(from), Some(to)) => units::convert(value, from, to)?,
        (None, _) => value,
        (Some(_), None) => return None,
    };
    Some(Mapped {
        path: Cow::Borrowed(s.path),
        value: vss::number_value(s.datatype, value),
        unit: s.unit,
    })
}

fn unit_value<'n>(data: &'n Node<'_>) -> Option<(f64, &'n str)> {
    Some((data.get("value")?.as_f64()?, data.get("unit")?.as_str()?))
}

fn lookup<T: Copy>(table: &[(&str, T)], key: &Node<'_>) -> Option<T> {
    let key = key.as_str()?;
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

fn boolean(path: Cow<'static, str>, b: bool) -> Mapped {
    Mapped {
        path,
        value: Value::Bool(b),
        unit: None,
    }
}

impl Inner {
    fn apply(self, template: &'static str, instance: String, v: &Node<'_>) -> Option<Mapped> {
        let s = sig(template)?;
        let mut m = match self {
            Inner::Measure => {
                let (value, unit) = unit_value(v)?;
                measured(s, value, Some(unit))?
            }
            Inner::Percentage => measured(s, v.as_f64()? * 100.0, None)?,
            Inner::Flag(table) => boolean(Cow::Borrowed(""), lookup(table, v)?),
        };
        m.path = Cow::Owned(instance);
        Some(m)
    }
}

impl Rule {
    /// The VSS paths an entry of this row writes when it carries a failure instead of
    /// data; empty when the path depends on the data (per-instance rules).
    pub fn failure_paths(self) -> Vec<&'static str> {
        match self {
            Rule::Measure(p) | Rule::Percentage(p) | Rule::Enum(p, _) | Rule::Flag(p, _) => {
                vec![p]
            }
            Rule::RatePerHour(p) => vec![p],
            Rule::Coordinates => vec![LATITUDE, LONGITUDE],
            Rule::ChargingStatus => vec![STATUS, IS_CHARGING, IS_DISCHARGING],
            Rule::Wheel(..) | Rule::Door(..) | Rule::TroubleCodes => Vec::new(),
        }
    }

    /// Every VSS path (or template) the rule can write, for docs and coverage checks.
    pub fn targets(self) -> Vec<&'static str> {
        match self {
            Rule::Wheel(t, ..) | Rule::Door(t, ..) => vec![t],
            Rule::TroubleCodes => vec![DTC_COUNT, DTC_LIST],
            other => other.failure_paths(),
        }
    }

    /// Apply the rule; `None` when `data` does not have the shape the rule expects.
    pub fn apply(self, data: &Node<'_>, ctx: Ctx) -> Option<Vec<Mapped>> {
        match self {
            Rule::Measure(path) => {
                let (value, unit) = unit_value(data)?;
                Some(vec![measured(sig(path)?, value, Some(unit))?])
            }
            Rule::Percentage(path) => {
                Some(vec![measured(sig(path)?, data.as_f64()? * 100.0, None)?])
            }
            Rule::Coordinates => {
                let lat = data.get("latitude")?.as_f64()?;
                let lon = data.get("longitude")?.as_f64()?;
                Some(vec![
                    measured(sig(LATITUDE)?, lat, None)?,
                    measured(sig(LONGITUDE)?, lon, None)?,
                ])
            }
            Rule::Enum(path, table) => Some(vec![Mapped {
                path: Cow::Borrowed(path),
                value: Value::from(lookup(table, data)?),
                unit: None,
            }]),
            Rule::Flag(path, table) => {
                Some(vec![boolean(Cow::Borrowed(path), lookup(table, data)?)])
            }
            Rule::ChargingStatus => {
                let status = lookup(super::mapping::CHARGING_STATUS, data)?;
                Some(vec![
                    Mapped {
                        path: Cow::Borrowed(STATUS),
                        value: Value::from(status),
                        unit: None,
                    },
                    boolean(Cow::Borrowed(IS_CHARGING), status == "CHARGING"),
                    boolean(Cow::Borrowed(IS_DISCHARGING), status == "DISCHARGING"),
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
                Some(vec![measured(sig(path)?, km / hours, None)?])
            }
            Rule::Wheel(template, field, inner) => {
                let (row, side) = wheel(data.get("location")?.as_str()?)?;
                let path = instance_path(template, &[row, side]);
                Some(vec![inner.apply(template, path, data.get(field)?)?])
            }
            Rule::Door(template, field, inner) => {
                let location = data.get("location")?.as_str()?;
                let value = data.get(field)?;
                doors(location, ctx.driver_right)?
                    .into_iter()
                    .map(|(row, side)| {
                        inner.apply(template, instance_path(template, &[row, side]), value)
                    })
                    .collect()
            }
            Rule::TroubleCodes => None,
        }
    }
}

/// HM wheel locations are absolute, like VSS wheels; outer twin wheels and the spare
/// have no VSS slot.
fn wheel(location: &str) -> Option<(&'static str, &'static str)> {
    Some(match location {
        "front_left" => ("Row1", "Left"),
        "front_right" => ("Row1", "Right"),
        "rear_left" => ("Row2", "Left"),
        "rear_right" => ("Row2", "Right"),
        _ => return None,
    })
}

/// VSS doors are driver-relative, HM's absolute; `all` means every door.
fn doors(location: &str, driver_right: bool) -> Option<Vec<(&'static str, &'static str)>> {
    let side = |left: bool| {
        if left != driver_right {
            "DriverSide"
        } else {
            "PassengerSide"
        }
    };
    Some(match location {
        "front_left" => vec![("Row1", side(true))],
        "front_right" => vec![("Row1", side(false))],
        "rear_left" => vec![("Row2", side(true))],
        "rear_right" => vec![("Row2", side(false))],
        "all" => vec![
            ("Row1", "DriverSide"),
            ("Row1", "PassengerSide"),
            ("Row2", "DriverSide"),
            ("Row2", "PassengerSide"),
        ],
        _ => return None,
    })
}

/// DTCCount and DTCList over a trouble-code property's entries.
pub fn trouble_code_summary(entries: &[&Node<'_>]) -> Vec<Mapped> {
    let ids: Vec<Value> = entries
        .iter()
        .filter_map(|d| d.get("id").and_then(Node::as_str))
        .map(Value::from)
        .collect();
    vec![
        Mapped {
            path: Cow::Borrowed(DTC_COUNT),
            value: vss::number_value(Datatype::UInt8, ids.len() as f64),
            unit: None,
        },
        Mapped {
            path: Cow::Borrowed(DTC_LIST),
            value: Value::Array(ids),
            unit: None,
        },
    ]
}
