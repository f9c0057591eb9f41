//! The findings of the independent VSS review (docs/vss-review.md, issue 18) as cases:
//! each new or changed row with what it maps and, for partial rows, what it leaves under
//! the vendor name. Strictness is the point: a word that does not mean the leaf's value
//! (DC plug `DISCONNECTED`, `doors.locks_state` `unlocked`) must not reach it.
//!
//! Two findings were applied and withdrawn: the emergency brake light and BMW's manual
//! conditioning button could fill their state leaf (Brake.IsActive ADAPTIVE,
//! BatteryConditioning.RequestedMode) for their "on" words only, and nothing else resets
//! those leaves, so a consumer keeping the last value would hold a stale state after
//! the emergency ends or the button is switched off. Every word of both passes through.

use crate::normalize_hm_cases::signals_of;
use crate::support::records::bmw_signals;
use serde_json::{json, Value};

const FAILURE: &str = "vehicle_error";

fn failure() -> Value {
    json!({"reason": FAILURE, "description": "no reading"})
}

/// `(name, HM V2 data, expected signals)`.
fn hm_cases() -> Vec<(&'static str, Value, Value)> {
    let row2 = |side: &str| format!("Vehicle.Cabin.HVAC.Station.Row2.{side}.Temperature");
    let brake = |axle: &str, side: &str| {
        format!("Vehicle.Chassis.Axle.{axle}.Wheel.{side}.Brake.IsFluidLevelLow")
    };
    let ambient =
        |row: &str, side: &str| format!("Vehicle.Cabin.Light.AmbientLight.{row}.{side}.Color");
    let wheels = [
        ("Row1", "Left"),
        ("Row1", "Right"),
        ("Row2", "Left"),
        ("Row2", "Right"),
    ];
    let zones = [
        ("Row1", "DriverSide"),
        ("Row1", "PassengerSide"),
        ("Row2", "DriverSide"),
        ("Row2", "PassengerSide"),
    ];
    let fluid = |v: Value| -> Value {
        wheels
            .iter()
            .map(|(a, s)| json!({"path": brake(a, s), "value": v, "origin": "diagnostics.brake_fluid_level"}))
            .collect()
    };
    vec![
        (
            "§1 #3 (withdrawn): an active emergency brake light passes through; ADAPTIVE would be left standing after it",
            json!({"lights": {"emergency_brake_light": [{"data": "active"}]}}),
            json!([{"path": "HM.lights.emergency_brake_light", "value": "active", "origin": "lights.emergency_brake_light"}]),
        ),
        (
            "§1 #3: an inactive one says nothing of the brake light and passes through",
            json!({"lights": {"emergency_brake_light": [{"data": "inactive"}]}}),
            json!([{"path": "HM.lights.emergency_brake_light", "value": "inactive", "origin": "lights.emergency_brake_light"}]),
        ),
        (
            "§1 #3: its failure does not blank Brake.IsActive",
            json!({"lights": {"emergency_brake_light": [{"failure": failure()}]}}),
            json!([{"path": "HM.lights.emergency_brake_light", "value": null, "origin": "lights.emergency_brake_light", "failure": failure()}]),
        ),
        (
            "§1a: a mounted hard top is a closed roof, as BMW's HARDTOPMOUNTED",
            json!({"rooftop_control": {"convertible_roof_state": [{"data": "hard_top_mounted"}, {"data": "loading_position"}]}}),
            json!([
                {"path": "Vehicle.Cabin.Convertible.Status", "value": "CLOSED", "origin": "rooftop_control.convertible_roof_state"},
                {"path": "HM.rooftop_control.convertible_roof_state", "value": "loading_position", "origin": "rooftop_control.convertible_roof_state"}]),
        ),
        (
            "§1 #6: the rear set point, in °C, to both Row2 stations",
            json!({"climate": {"rear_temperature_setting": [{"data": {"unit": "fahrenheit", "value": 68}}]}}),
            json!([
                {"path": row2("Driver"), "value": 20.0, "unit": "Celsius", "origin": "climate.rear_temperature_setting"},
                {"path": row2("Passenger"), "value": 20.0, "unit": "Celsius", "origin": "climate.rear_temperature_setting"}]),
        ),
        (
            "§1 #6: its failure is both stations' failure",
            json!({"climate": {"rear_temperature_setting": [{"failure": failure()}]}}),
            json!([
                {"path": row2("Driver"), "value": null, "origin": "climate.rear_temperature_setting", "failure": failure()},
                {"path": row2("Passenger"), "value": null, "origin": "climate.rear_temperature_setting", "failure": failure()}]),
        ),
        (
            "§1 #8: low brake fluid is low at every wheel's brake (one reservoir)",
            json!({"diagnostics": {"brake_fluid_level": [{"data": "very_low"}]}}),
            fluid(json!(true)),
        ),
        (
            "§1 #8: filled is not low",
            json!({"diagnostics": {"brake_fluid_level": [{"data": "filled"}]}}),
            fluid(json!(false)),
        ),
        (
            "§1 #9: the ambient colour as #RRGGBB in each of VSS's four zones",
            json!({"lights": {"ambient_light_colour": [{"data": {"red": 255, "green": 128, "blue": 0}}]}}),
            zones
                .iter()
                .map(|(r, s)| json!({"path": ambient(r, s), "value": "#FF8000", "origin": "lights.ambient_light_colour"}))
                .collect(),
        ),
        (
            "§1 #9: a component outside 0–255 or not whole is no colour and passes through",
            json!({"lights": {"ambient_light_colour": [
                {"data": {"red": 256, "green": 0, "blue": 0}},
                {"data": {"red": 1.5, "green": 0, "blue": 0}}]}}),
            json!([
                {"path": "HM.lights.ambient_light_colour", "value": {"red": 256, "green": 0, "blue": 0}, "origin": "lights.ambient_light_colour"},
                {"path": "HM.lights.ambient_light_colour", "value": {"red": 1.5, "green": 0, "blue": 0}, "origin": "lights.ambient_light_colour"}]),
        ),
        (
            "§2 #4: centrally unlocked may be one door: no door is said unlocked",
            json!({"doors": {"locks_state": [{"data": "unlocked"}]}}),
            json!([{"path": "HM.doors.locks_state", "value": "unlocked", "origin": "doors.locks_state"}]),
        ),
        (
            "§2 #3: confirmed OBD-II codes fill DTCList and DTCCount",
            json!({"diagnostics": {"confirmed_trouble_codes": [
                {"data": {"id": "P0300", "ecu_address": "12", "ecu_variant_name": "DME", "status": "confirmed"}},
                {"data": {"id": "U0100", "ecu_address": "40", "ecu_variant_name": "BDC", "status": "confirmed"}}]}}),
            json!([
                {"path": "HM.diagnostics.confirmed_trouble_codes", "value": {"id": "P0300", "ecu_address": "12", "ecu_variant_name": "DME", "status": "confirmed"}, "origin": "diagnostics.confirmed_trouble_codes"},
                {"path": "HM.diagnostics.confirmed_trouble_codes", "value": {"id": "U0100", "ecu_address": "40", "ecu_variant_name": "BDC", "status": "confirmed"}, "origin": "diagnostics.confirmed_trouble_codes"},
                {"path": "Vehicle.Diagnostics.DTCCount", "value": 2, "origin": "diagnostics.confirmed_trouble_codes"},
                {"path": "Vehicle.Diagnostics.DTCList", "value": ["P0300", "U0100"], "origin": "diagnostics.confirmed_trouble_codes"}]),
        ),
        (
            "§2 #3: one id not in OBD-II form (a failure-type byte, lower case) keeps both leaves out",
            json!({"diagnostics": {"confirmed_trouble_codes": [
                {"data": {"id": "P0300", "ecu_address": "12", "ecu_variant_name": "DME", "status": "confirmed"}},
                {"data": {"id": "C1116FA", "ecu_address": "29", "ecu_variant_name": "DSC", "status": "confirmed"}},
                {"data": {"id": "p0420", "ecu_address": "12", "ecu_variant_name": "DME", "status": "confirmed"}}]}}),
            json!([
                {"path": "HM.diagnostics.confirmed_trouble_codes", "value": {"id": "P0300", "ecu_address": "12", "ecu_variant_name": "DME", "status": "confirmed"}, "origin": "diagnostics.confirmed_trouble_codes"},
                {"path": "HM.diagnostics.confirmed_trouble_codes", "value": {"id": "C1116FA", "ecu_address": "29", "ecu_variant_name": "DSC", "status": "confirmed"}, "origin": "diagnostics.confirmed_trouble_codes"},
                {"path": "HM.diagnostics.confirmed_trouble_codes", "value": {"id": "p0420", "ecu_address": "12", "ecu_variant_name": "DME", "status": "confirmed"}, "origin": "diagnostics.confirmed_trouble_codes"}]),
        ),
        (
            "§2 #3: trouble_codes (stored or pending too) only pass through",
            json!({"diagnostics": {"trouble_codes": [
                {"data": {"occurrences": 1, "id": "P0300", "ecu_id": "DME", "status": "ACTIVE", "system": "powertrain"}}]}}),
            json!([{"path": "HM.diagnostics.trouble_codes", "value": {"occurrences": 1, "id": "P0300", "ecu_id": "DME", "status": "ACTIVE", "system": "powertrain"}, "origin": "diagnostics.trouble_codes"}]),
        ),
    ]
}

#[test]
fn hm_review_findings_map_what_they_say_and_no_more() {
    let mut failures = Vec::new();
    for (name, data, expected) in hm_cases() {
        let got = signals_of("REVIEWVIN", data);
        if got != expected {
            failures.push(format!("{name}:\n  expected {expected}\n  got      {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `(path, value)` of every signal of one BMW descriptor's entry.
fn bmw(descriptor: &str, value: Value) -> Vec<(String, Value)> {
    bmw_signals(descriptor, json!({"value": value}))
        .into_iter()
        .map(|s| (s.path.to_string(), s.value))
        .collect()
}

#[test]
fn bmw_review_findings_map_their_words_only() {
    let dc = "vehicle.body.chargingPort.dcStatus";
    let cable = "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected";
    assert_eq!(bmw(dc, json!("CONNECTED")), [(cable.into(), json!(true))]);
    // no DC plug leaves an AC cable possible; "no data" and booleans say nothing either
    for v in [
        json!("DISCONNECTED"),
        json!("INVALID"),
        json!(null),
        json!(false),
    ] {
        assert_eq!(bmw(dc, v.clone()), [(format!("BMW.{dc}"), v)]);
    }

    // §1 #12, withdrawn: the button's OFF is not "no conditioning requested" (automatic
    // mode may request it), so ON_CHARGE/ON_DRIVE alone would leave a stale RequestedMode
    // standing once it is switched off; every word passes through
    let button = "vehicle.powertrain.electric.battery.preconditioning.manualMode.statusFeedback";
    for v in [
        json!("ON_CHARGE"),
        json!("ON_DRIVE"),
        json!("OFF"),
        json!("UNKNOWN"),
        json!(null),
    ] {
        assert_eq!(bmw(button, v.clone()), [(format!("BMW.{button}"), v)]);
    }
}
