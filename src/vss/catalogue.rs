//! The slice of the COVESA VSS 6.0 catalogue that our mapping tables target.
//!
//! Kept as data so a mapping row only names a path; datatype and unit come from here,
//! which keeps one source of truth for "odometer is uint32 metres in 6.0".

use super::Datatype::{self, *};
use std::string::String as Text;

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

/// `*` stands for an instance (`Row1`, `DriverSide`, `Left`, …); see [`instance_path`].
pub const SIGNALS: &[VssSignal] = &[
    s("Vehicle.TraveledDistance", UInt32, Some("m")),
    s("Vehicle.TraveledDistanceSinceStart", UInt32, Some("m")),
    s("Vehicle.Speed", Float, Some("km/h")),
    s("Vehicle.IsMoving", Boolean, None),
    s("Vehicle.LowVoltageSystemState", String, None),
    s("Vehicle.CurrentLocation.Latitude", Double, Some("degrees")),
    s("Vehicle.CurrentLocation.Longitude", Double, Some("degrees")),
    s("Vehicle.CurrentLocation.Altitude", Double, Some("m")),
    s("Vehicle.CurrentLocation.Heading", Double, Some("degrees")),
    s("Vehicle.CurrentLocation.GNSSReceiver.FixType", String, None),
    s("Vehicle.Powertrain.Range", UInt32, Some("m")),
    s("Vehicle.Powertrain.FuelSystem.RelativeLevel", UInt8, Some("percent")),
    s("Vehicle.Powertrain.FuelSystem.AbsoluteLevel", Float, Some("l")),
    s("Vehicle.Powertrain.FuelSystem.Range", UInt32, Some("m")),
    s("Vehicle.Powertrain.CombustionEngine.IsRunning", Boolean, None),
    s(
        "Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature",
        Float,
        Some("Celsius"),
    ),
    s("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current", Float, Some("percent")),
    s("Vehicle.Powertrain.TractionBattery.StateOfCharge.Displayed", Float, Some("percent")),
    s("Vehicle.Powertrain.TractionBattery.StateOfHealth", Float, Some("percent")),
    s("Vehicle.Powertrain.TractionBattery.NetCapacity", UInt16, Some("kWh")),
    s("Vehicle.Powertrain.TractionBattery.GrossCapacity", UInt16, Some("kWh")),
    s("Vehicle.Powertrain.TractionBattery.Range", UInt32, Some("m")),
    s("Vehicle.Powertrain.TractionBattery.CurrentPower", Float, Some("W")),
    s("Vehicle.Powertrain.TractionBattery.Charging.IsCharging", Boolean, None),
    s("Vehicle.Powertrain.TractionBattery.Charging.IsDischarging", Boolean, None),
    // Project overlay: VSS has no charging-state enum (signals.md A.4).
    s("Vehicle.Powertrain.TractionBattery.Charging.Status", String, None),
    s("Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit", UInt8, Some("percent")),
    s("Vehicle.Powertrain.TractionBattery.Charging.ChargeRate", Float, Some("km/h")),
    s("Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete", UInt32, Some("s")),
    s(
        "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected",
        Boolean,
        None,
    ),
    s(
        "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsFlapOpen",
        Boolean,
        None,
    ),
    s(
        "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableLocked",
        Boolean,
        None,
    ),
    // Instances: FrontLeft, FrontMiddle, FrontRight, RearLeft, RearMiddle, RearRight
    // (AnyPosition, above, is the one to use for a single port).
    s(
        "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.*.IsChargingCableConnected",
        Boolean,
        None,
    ),
    s("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.*.IsFlapOpen", Boolean, None),
    s("Vehicle.Cabin.Door.*.*.IsOpen", Boolean, None),
    s("Vehicle.Cabin.Door.*.*.Position", UInt8, Some("percent")),
    s("Vehicle.Cabin.Door.*.*.IsLocked", Boolean, None),
    s("Vehicle.Cabin.Door.*.*.Window.IsOpen", Boolean, None),
    s("Vehicle.Cabin.Door.*.*.Window.Position", UInt8, Some("percent")),
    s("Vehicle.Cabin.HVAC.AmbientAirTemperature", Float, Some("Celsius")),
    s("Vehicle.Cabin.Sunroof.Position", Int8, Some("percent")),
    s("Vehicle.Body.Trunk.Rear.IsOpen", Boolean, None),
    s("Vehicle.Body.Trunk.Rear.IsLocked", Boolean, None),
    s("Vehicle.Body.Hood.IsOpen", Boolean, None),
    s("Vehicle.Body.Windshield.Front.WasherFluid.IsLevelLow", Boolean, None),
    s("Vehicle.Chassis.Axle.*.Wheel.*.Tire.Pressure", UInt16, Some("kPa")),
    s("Vehicle.Chassis.Axle.*.Wheel.*.Tire.IsPressureLow", Boolean, None),
    s("Vehicle.Chassis.Axle.*.Wheel.*.Tire.AirTemperature", Float, Some("Celsius")),
    s("Vehicle.Exterior.AirTemperature", Float, Some("Celsius")),
    s("Vehicle.Service.IsServiceDue", Boolean, None),
    s("Vehicle.Service.DistanceToService", Float, Some("km")),
    s("Vehicle.Service.TimeToService", Int32, Some("s")),
    s("Vehicle.LowVoltageBattery.CurrentVoltage", Float, Some("V")),
    s("Vehicle.Diagnostics.DTCCount", UInt8, None),
    s("Vehicle.Diagnostics.DTCList", StringArray, None),
];

/// Fill a template's `*` instance slots in order: `("…Axle.*.Wheel.*.Tire", ["Row1", "Left"])`.
pub fn instance_path(template: &str, instances: &[&str]) -> Text {
    let mut out = Text::with_capacity(template.len() + 16);
    let mut it = instances.iter();
    for (i, part) in template.split('*').enumerate() {
        if i > 0 {
            out.push_str(it.next().copied().unwrap_or("*"));
        }
        out.push_str(part);
    }
    out
}

/// Look a path up; mapping tables only name paths that are here (a unit test checks it).
pub fn signal(path: &str) -> Option<&'static VssSignal> {
    SIGNALS.iter().find(|s| s.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_paths_fill_in_order() {
        assert_eq!(
            instance_path(
                "Vehicle.Chassis.Axle.*.Wheel.*.Tire.Pressure",
                &["Row1", "Left"]
            ),
            "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure"
        );
        assert_eq!(instance_path("Vehicle.Speed", &[]), "Vehicle.Speed");
    }

    #[test]
    fn paths_are_unique() {
        for (i, a) in SIGNALS.iter().enumerate() {
            assert!(
                SIGNALS[i + 1..].iter().all(|b| b.path != a.path),
                "{}",
                a.path
            );
        }
    }
}
