//! The slice of the COVESA VSS 6.0 catalogue that our mapping tables target.
//!
//! Kept as data so a mapping row only names a path; datatype and unit come from here,
//! which keeps one source of truth for "odometer is uint32 metres in 6.0".

use super::Datatype::{self, *};

/// A VSS signal: its path, datatype and unit id (`None` for booleans, strings, enums).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VssSignal {
    pub path: &'static str,
    pub datatype: Datatype,
    pub unit: Option<&'static str>,
}

const fn s(path: &'static str, datatype: Datatype, unit: Option<&'static str>) -> VssSignal {
    VssSignal {
        path,
        datatype,
        unit,
    }
}

pub const SIGNALS: &[VssSignal] = &[
    s("Vehicle.TraveledDistance", UInt32, Some("m")),
    s("Vehicle.TraveledDistanceSinceStart", UInt32, Some("m")),
    s("Vehicle.Speed", Float, Some("km/h")),
    s("Vehicle.CurrentLocation.Latitude", Double, Some("degrees")),
    s("Vehicle.CurrentLocation.Longitude", Double, Some("degrees")),
    s("Vehicle.CurrentLocation.Altitude", Double, Some("m")),
    s("Vehicle.CurrentLocation.Heading", Double, Some("degrees")),
    s(
        "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
        Float,
        Some("percent"),
    ),
    s(
        "Vehicle.Powertrain.TractionBattery.Range",
        UInt32,
        Some("m"),
    ),
    s("Vehicle.Exterior.AirTemperature", Float, Some("Celsius")),
    s("Vehicle.LowVoltageBattery.CurrentVoltage", Float, Some("V")),
];

/// Look a path up; mapping tables only name paths that are here (a unit test checks it).
pub fn signal(path: &str) -> Option<&'static VssSignal> {
    SIGNALS.iter().find(|s| s.path == path)
}
