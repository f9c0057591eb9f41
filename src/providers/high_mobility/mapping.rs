//! High Mobility (Auto API level 13) → VSS 6.0, as a table (signals.md A.3, A.4).
//!
//! One row per `capability.property`; adding a mapping is adding a row. A value whose
//! shape does not fit its row (a string where a unit value was expected, an unknown unit
//! or enum value, a wheel VSS has no slot for) is not forced: the walker passes it
//! through under `HM.` so nothing is lost. `docs/signals.md` is generated from here.

use super::rules::Rule::*;
use super::rules::{Inner, Rule};

#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub capability: &'static str,
    pub property: &'static str,
    pub rule: Rule,
}

const fn row(capability: &'static str, property: &'static str, rule: Rule) -> Row {
    Row {
        capability,
        property,
        rule,
    }
}

// Enum value tables.
pub const OPEN: &[(&str, bool)] = &[("open", true), ("closed", false)];
pub const OPEN3: &[(&str, bool)] = &[("open", true), ("intermediate", true), ("closed", false)];
pub const LOCKED: &[(&str, bool)] = &[("locked", true), ("unlocked", false)];
pub const ON: &[(&str, bool)] = &[("on", true), ("off", false)];
pub const MOVING: &[(&str, bool)] = &[("moving", true), ("not_moving", false)];
pub const SERVICE_DUE: &[(&str, bool)] = &[("ok", false), ("warning", true), ("critical", true)];
pub const FLUID_LOW: &[(&str, bool)] = &[
    ("low", true),
    ("very_low", true),
    ("filled", false),
    ("normal", false),
    ("high", false),
    ("very_high", false),
];
pub const PLUGGED: &[(&str, bool)] = &[
    ("disconnected", false),
    ("plugged_in", true),
    ("plugged_in_both_sides", true),
];
pub const TIRE_LOW: &[(&str, bool)] = &[
    ("normal", false),
    ("low", true),
    ("alert", true),
    ("soft", true),
    ("deflation", true),
];
pub const IGNITION: &[(&str, &str)] = &[
    ("lock", "LOCK"),
    ("off", "OFF"),
    ("accessory", "ACC"),
    ("on", "ON"),
    ("start", "START"),
];
/// Only `none` has a sure VSS meaning; "real" and "dead_reckoning" say nothing of 2D/3D.
pub const GPS_FIX: &[(&str, &str)] = &[("none", "NONE")];
/// The project's common charging status (signals.md A.4).
pub const CHARGING_STATUS: &[(&str, &str)] = &[
    ("cable_unplugged", "NOT_CONNECTED"),
    ("flap_open", "NOT_CONNECTED"),
    ("not_charging", "IDLE"),
    ("conditioning", "IDLE"),
    ("initialising", "WAITING"),
    ("ready_for_charging", "WAITING"),
    ("charging", "CHARGING"),
    ("slow_charging", "CHARGING"),
    ("fast_charging", "CHARGING"),
    ("charging_paused", "PAUSED"),
    ("charging_complete", "COMPLETE"),
    ("discharging", "DISCHARGING"),
    ("charging_error", "ERROR"),
    ("foreign_object_detected", "ERROR"),
];

pub const ROWS: &[Row] = &[
    // diagnostics
    row("diagnostics", "odometer", Measure("Vehicle.TraveledDistance")),
    row("diagnostics", "mileage", Measure("Vehicle.TraveledDistance")),
    row("diagnostics", "mileage_meters", Measure("Vehicle.TraveledDistance")),
    row("diagnostics", "distance_since_start", Measure("Vehicle.TraveledDistanceSinceStart")),
    row("diagnostics", "speed", Measure("Vehicle.Speed")),
    row("diagnostics", "wheel_based_speed", Measure("Vehicle.Speed")),
    row("diagnostics", "battery_level", Percentage("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current")),
    row("diagnostics", "estimated_mixed_powertrain_range", Measure("Vehicle.Powertrain.Range")),
    row("diagnostics", "fuel_level", Percentage("Vehicle.Powertrain.FuelSystem.RelativeLevel")),
    row("diagnostics", "fuel_volume", Measure("Vehicle.Powertrain.FuelSystem.AbsoluteLevel")),
    row("diagnostics", "estimated_range", Measure("Vehicle.Powertrain.FuelSystem.Range")),
    row("diagnostics", "tire_pressures", Wheel(TIRE_PRESSURE, "pressure", Inner::Measure)),
    row("diagnostics", "tire_pressure_statuses", Wheel(TIRE_LOW_PATH, "status", Inner::Flag(TIRE_LOW))),
    row("diagnostics", "tire_temperatures", Wheel(TIRE_TEMPERATURE, "temperature", Inner::Measure)),
    row("diagnostics", "battery_voltage", Measure("Vehicle.LowVoltageBattery.CurrentVoltage")),
    row("diagnostics", "washer_fluid_level", Flag("Vehicle.Body.Windshield.Front.WasherFluid.IsLevelLow", FLUID_LOW)),
    row("diagnostics", "trouble_codes", TroubleCodes),
    row("diagnostics", "confirmed_trouble_codes", TroubleCodes),
    row("diagnostics", "engine_coolant_temperature", Measure("Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature")),
    // vehicle_location
    row("vehicle_location", "coordinates", Coordinates),
    row("vehicle_location", "altitude", Measure("Vehicle.CurrentLocation.Altitude")),
    row("vehicle_location", "heading", Measure("Vehicle.CurrentLocation.Heading")),
    row("vehicle_location", "gps_source", Enum("Vehicle.CurrentLocation.GNSSReceiver.FixType", GPS_FIX)),
    // charging
    row("charging", "battery_level", Percentage("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current")),
    row("charging", "estimated_range", Measure("Vehicle.Powertrain.TractionBattery.Range")),
    row("charging", "status", ChargingStatus),
    row("charging", "plugged_in", Flag("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected", PLUGGED)),
    row("charging", "charge_port_state", Flag("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsFlapOpen", OPEN)),
    row("charging", "plug_lock_status", Flag("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableLocked", LOCKED)),
    row("charging", "charge_limit", Percentage("Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit")),
    row("charging", "charging_rate_distance", RatePerHour("Vehicle.Powertrain.TractionBattery.Charging.ChargeRate")),
    row("charging", "charging_rate", Measure("Vehicle.Powertrain.TractionBattery.CurrentPower")),
    row("charging", "charging_rate_kw", Measure("Vehicle.Powertrain.TractionBattery.CurrentPower")),
    row("charging", "charger_power", Measure("Vehicle.Powertrain.TractionBattery.CurrentPower")),
    row("charging", "time_to_complete_charge", Measure("Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete")),
    row("charging", "state_of_health", Percentage("Vehicle.Powertrain.TractionBattery.StateOfHealth")),
    row("charging", "battery_capacity", Measure("Vehicle.Powertrain.TractionBattery.NetCapacity")),
    row("charging_session", "displayed_state_of_charge", Percentage("Vehicle.Powertrain.TractionBattery.StateOfCharge.Displayed")),
    // body
    row("doors", "positions", Door("Vehicle.Cabin.Door.*.*.IsOpen", "position", Inner::Flag(OPEN))),
    row("doors", "locks", Door("Vehicle.Cabin.Door.*.*.IsLocked", "lock_state", Inner::Flag(LOCKED))),
    row("windows", "positions", Door("Vehicle.Cabin.Door.*.*.Window.IsOpen", "position", Inner::Flag(OPEN3))),
    row("windows", "open_percentages", Door("Vehicle.Cabin.Door.*.*.Window.Position", "open_percentage", Inner::Percentage)),
    row("trunk", "position", Flag("Vehicle.Body.Trunk.Rear.IsOpen", OPEN)),
    row("trunk", "lock", Flag("Vehicle.Body.Trunk.Rear.IsLocked", LOCKED)),
    row("hood", "position", Flag("Vehicle.Body.Hood.IsOpen", OPEN3)),
    // cabin and state
    row("climate", "outside_temperature", Measure("Vehicle.Exterior.AirTemperature")),
    row("climate", "inside_temperature", Measure("Vehicle.Cabin.HVAC.AmbientAirTemperature")),
    row("ignition", "state", Enum("Vehicle.LowVoltageSystemState", IGNITION)),
    row("ignition", "status", Enum("Vehicle.LowVoltageSystemState", IGNITION)),
    row("ignition", "accessories_status", Enum("Vehicle.LowVoltageSystemState", IGNITION)),
    row("engine", "status", Flag("Vehicle.Powertrain.CombustionEngine.IsRunning", ON)),
    row("race", "vehicle_moving", Flag("Vehicle.IsMoving", MOVING)),
    // maintenance
    row("maintenance", "service_status", Flag("Vehicle.Service.IsServiceDue", SERVICE_DUE)),
    row("maintenance", "distance_to_next_service", Measure("Vehicle.Service.DistanceToService")),
    row("maintenance", "time_to_next_service", Measure("Vehicle.Service.TimeToService")),
];

const TIRE_PRESSURE: &str = "Vehicle.Chassis.Axle.*.Wheel.*.Tire.Pressure";
const TIRE_LOW_PATH: &str = "Vehicle.Chassis.Axle.*.Wheel.*.Tire.IsPressureLow";
const TIRE_TEMPERATURE: &str = "Vehicle.Chassis.Axle.*.Wheel.*.Tire.AirTemperature";

pub fn lookup(capability: &str, property: &str) -> Option<&'static Row> {
    ROWS.iter()
        .find(|r| r.capability == capability && r.property == property)
}

/// The mapping as a Markdown table: `docs/signals.md` is this, and a test keeps it so.
pub fn markdown() -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "# High Mobility → VSS 6.0 mapping\n\n\
         Generated from `src/providers/high_mobility/mapping.rs` (do not edit by hand; \
         `VINSTREAM_BLESS=1 cargo test docs_signals` rewrites it).\n\n\
         Values of any other `capability.property`, and values whose shape, unit or enum value \
         does not fit their row, pass through as `HM.{capability}.{property}` with the value \
         as sent. `*` in a path is an instance: wheels `Row1|Row2` × `Left|Right` (absolute), \
         doors `Row1|Row2` × `DriverSide|PassengerSide` (driver-relative; left is the driver's \
         side unless `vehicle_information.driver_seat_location` reported `right` for the VIN).\n\n\
         | High Mobility | rule | VSS path | type | unit | values |\n|---|---|---|---|---|---|\n",
    );
    for r in ROWS {
        let (rule, values) = describe(r.rule);
        for target in r.rule.targets() {
            let s = crate::vss::catalogue::signal(target);
            let _ = writeln!(
                out,
                "| `{}.{}` | {} | `{}` | {} | {} | {} |",
                r.capability,
                r.property,
                rule,
                target,
                s.map_or("?".into(), |s| s.datatype.vss_name().to_string()),
                s.and_then(|s| s.unit).unwrap_or("–"),
                values
            );
        }
    }
    out
}

fn describe(rule: Rule) -> (&'static str, String) {
    let flags = |t: &[(&str, bool)]| {
        t.iter()
            .map(|(k, v)| format!("{k}→{v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match rule {
        Measure(_) => ("unit value, converted", String::new()),
        Percentage(_) => ("fraction ×100", String::new()),
        Coordinates => ("latitude / longitude", String::new()),
        Enum(_, t) => (
            "enum",
            t.iter()
                .map(|(k, v)| format!("{k}→{v}"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Flag(_, t) => ("enum as boolean", flags(t)),
        ChargingStatus => (
            "charging status overlay",
            CHARGING_STATUS
                .iter()
                .map(|(k, v)| format!("{k}→{v}"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        RatePerHour(_) => ("distance / time, km per hour", String::new()),
        Wheel(_, field, inner) | Door(_, field, inner) => (
            if matches!(rule, Wheel(..)) {
                "per wheel"
            } else {
                "per door"
            },
            match inner {
                Inner::Measure => format!("`{field}` converted"),
                Inner::Percentage => format!("`{field}` ×100"),
                Inner::Flag(t) => format!("`{field}`: {}", flags(t)),
            },
        ),
        TroubleCodes => ("trouble codes (each also passes through)", "ids".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vss::catalogue;

    #[test]
    fn every_row_targets_a_catalogued_path() {
        for r in ROWS {
            let targets = r.rule.targets();
            assert!(!targets.is_empty(), "{}.{}", r.capability, r.property);
            for p in targets {
                assert!(
                    catalogue::signal(p).is_some(),
                    "{p} is not in the catalogue"
                );
            }
        }
    }

    #[test]
    fn rows_are_unique() {
        for (i, a) in ROWS.iter().enumerate() {
            assert!(
                ROWS[i + 1..]
                    .iter()
                    .all(|b| (a.capability, a.property) != (b.capability, b.property)),
                "duplicate row {}.{}",
                a.capability,
                a.property
            );
        }
    }

    #[test]
    fn docs_signals_md_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/signals.md");
        let want = markdown();
        if std::env::var_os("VINSTREAM_BLESS").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "docs/signals.md is stale: run `VINSTREAM_BLESS=1 cargo test docs_signals`"
        );
    }
}
