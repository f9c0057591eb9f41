//! One case per kind of mapping rule added for whole-car coverage (keyed entries, one
//! word as several booleans, seats, gear codes, fields, the VIN, other coordinates,
//! reciprocal units), and the range/allowed-value rule: a value its leaf does not admit
//! stays under the vendor name, as sent, and is counted.

use crate::normalize_hm_cases::signals_of;
use serde_json::{json, Value};
use vinstream::telemetry::outside_leaf_total;

fn cases() -> Vec<(&'static str, Value, Value)> {
    vec![
        (
            "battery temperature extremes pick Max and Min by key",
            json!({"charging": {"battery_temperature_extremes": [
                {"data": {"extreme": "highest", "temperature": {"unit": "celsius", "value": 31.5}}},
                {"data": {"extreme": "lowest", "temperature": {"unit": "fahrenheit", "value": 68}}}]}}),
            json!([
                {"path": "Vehicle.Powertrain.TractionBattery.Temperature.Max", "value": 31.5, "unit": "Celsius", "origin": "charging.battery_temperature_extremes"},
                {"path": "Vehicle.Powertrain.TractionBattery.Temperature.Min", "value": 20.0, "unit": "Celsius", "origin": "charging.battery_temperature_extremes"}]),
        ),
        (
            "accelerations by direction, in g",
            json!({"race": {"accelerations": [
                {"data": {"direction": "longitudinal", "acceleration": {"unit": "gravity", "value": 0.5}}},
                {"data": {"direction": "front_lateral", "acceleration": {"unit": "gravity", "value": 0.1}}}]}}),
            json!([
                {"path": "Vehicle.Acceleration.Longitudinal", "value": 4.903325, "unit": "m/s^2", "origin": "race.accelerations"},
                {"path": "HM.race.accelerations", "value": {"direction": "front_lateral", "acceleration": {"unit": "gravity", "value": 0.1}}, "origin": "race.accelerations"}]),
        ),
        (
            "hazard flashers are hazard lights, not indicators",
            json!({"honk_horn_flash_lights": {"flashers": [{"data": "emergency_flasher_active"}]}}),
            json!([{"path": "Vehicle.Body.Lights.Hazard.IsSignaling", "value": true, "origin": "honk_horn_flash_lights.flashers"}]),
        ),
        (
            "the left flasher",
            json!({"honk_horn_flash_lights": {"flashers": [{"data": "left_flasher_active"}]}}),
            json!([
                {"path": "Vehicle.Body.Lights.Hazard.IsSignaling", "value": false, "origin": "honk_horn_flash_lights.flashers"},
                {"path": "Vehicle.Body.Lights.DirectionIndicator.Left.IsSignaling", "value": true, "origin": "honk_horn_flash_lights.flashers"},
                {"path": "Vehicle.Body.Lights.DirectionIndicator.Right.IsSignaling", "value": false, "origin": "honk_horn_flash_lights.flashers"}]),
        ),
        (
            "a failed bulb",
            json!({"dashboard_lights": {"bulb_failures": [{"data": "low_beam_left"}, {"data": "multiple"}]}}),
            json!([
                {"path": "Vehicle.Body.Lights.Beam.Low.IsDefect", "value": true, "origin": "dashboard_lights.bulb_failures"},
                {"path": "HM.dashboard_lights.bulb_failures", "value": "multiple", "origin": "dashboard_lights.bulb_failures"}]),
        ),
        (
            "a tell-tale",
            json!({"dashboard_lights": {"dashboard_lights": [{"data": {"name": "trailer_connected", "state": "on"}}]}}),
            json!([{"path": "Vehicle.Trailer.IsConnected", "value": true, "origin": "dashboard_lights.dashboard_lights"}]),
        ),
        (
            "central locking locks every door",
            json!({"doors": {"locks_state": [{"data": "locked"}]}}),
            json!([
                {"path": "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked", "value": true, "origin": "doors.locks_state"},
                {"path": "Vehicle.Cabin.Door.Row1.PassengerSide.IsLocked", "value": true, "origin": "doors.locks_state"},
                {"path": "Vehicle.Cabin.Door.Row2.DriverSide.IsLocked", "value": true, "origin": "doors.locks_state"},
                {"path": "Vehicle.Cabin.Door.Row2.PassengerSide.IsLocked", "value": true, "origin": "doors.locks_state"}]),
        ),
        (
            "seats: rear centre and the relative driver seat",
            json!({"seats": {
                "persons_detected": [{"data": {"location": "rear_center", "detected": "detected"}}],
                "seatbelts_state": [{"data": {"location": "driver", "fastened_state": "not_fastened"}}]}}),
            json!([
                {"path": "Vehicle.Cabin.Seat.Row2.Middle.OccupancyStatus", "value": "OCCUPIED", "origin": "seats.persons_detected[rear_center]"},
                {"path": "Vehicle.Cabin.Seat.Row1.DriverSide.IsBelted", "value": false, "origin": "seats.seatbelts_state[driver]"}]),
        ),
        (
            "gear selector as VSS codes",
            json!({"race": {"gear_mode": [{"data": "park"}]}}),
            json!([{"path": "Vehicle.Powertrain.Transmission.SelectedGear", "value": 126, "origin": "race.gear_mode"}]),
        ),
        (
            "a field of an object value",
            json!({"maintenance": {"service_warning": [{"data": {"due": "overdue", "reason": "distance_driven"}}]}}),
            json!([{"path": "Vehicle.Service.IsServiceDue", "value": true, "origin": "maintenance.service_warning"}]),
        ),
        (
            "a service almost due is due: VSS IsServiceDue is now or in the near future",
            json!({"maintenance": {"service_warning": [{"data": {"due": "almost", "reason": "distance_driven"}}]}}),
            json!([{"path": "Vehicle.Service.IsServiceDue", "value": true, "origin": "maintenance.service_warning"}]),
        ),
        (
            "fuel consumption since start becomes the drive's economy in km/l",
            json!({"usage": {"fuel_consumption_rate_since_start": [{"data": {"unit": "liters_per_100_kilometers", "value": 5}}]}}),
            json!([{"path": "Vehicle.Powertrain.FuelSystem.DriveFuelEconomy", "value": 20.0, "unit": "km/l", "origin": "usage.fuel_consumption_rate_since_start"}]),
        ),
        (
            "fuel consumption since reset becomes the cumulative economy in km/l",
            json!({"usage": {"fuel_consumption_rate_since_reset": [{"data": {"unit": "liters_per_100_kilometers", "value": 4}}]}}),
            json!([{"path": "Vehicle.Powertrain.FuelSystem.CumulativeFuelEconomy", "value": 25.0, "unit": "km/l", "origin": "usage.fuel_consumption_rate_since_reset"}]),
        ),
        (
            "OEM trouble code values stay under the vendor name (not OBD-II active codes)",
            json!({"diagnostics": {"oem_trouble_code_values": [{"data": {"id": "123", "key_value": {"key": "k", "value": "v"}}}]}}),
            json!([{"path": "HM.diagnostics.oem_trouble_code_values", "value": {"id": "123", "key_value": {"key": "k", "value": "v"}}, "origin": "diagnostics.oem_trouble_code_values"}]),
        ),
        (
            "the universal vin property",
            json!({"doors": {"vin": [{"data": "WBA00000000000001"}]}}),
            json!([{"path": "Vehicle.VehicleIdentification.VIN", "value": "WBA00000000000001", "origin": "doors.vin"}]),
        ),
        (
            "navigation destination coordinates",
            json!({"navi_destination": {"coordinates": [{"data": {"latitude": 52.5, "longitude": 13.4}}]}}),
            json!([
                {"path": "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Latitude", "value": 52.5, "unit": "degrees", "origin": "navi_destination.coordinates"},
                {"path": "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Longitude", "value": 13.4, "unit": "degrees", "origin": "navi_destination.coordinates"}]),
        ),
        (
            "fuel economy in km/l becomes l/100km",
            json!({"usage": {"current_fuel_consumption": [{"data": {"unit": "kilometers_per_liter", "value": 20}}]}}),
            json!([{"path": "Vehicle.Powertrain.FuelSystem.InstantConsumption", "value": 5.0, "unit": "l/100km", "origin": "usage.current_fuel_consumption"}]),
        ),
        (
            "wheel speed in rpm becomes degrees per second",
            json!({"diagnostics": {"wheel_rpms": [{"data": {"location": "rear_right", "rpm": {"unit": "revolutions_per_minute", "value": 600}}}]}}),
            json!([{"path": "Vehicle.Chassis.Axle.Row2.Wheel.Right.AngularSpeed", "value": 3600.0, "unit": "degrees/s", "origin": "diagnostics.wheel_rpms[rear_right]"}]),
        ),
        (
            "an oil level VSS has no word for passes through",
            json!({"diagnostics": {"engine_oil_fluid_level": [{"data": "filled"}]}}),
            json!([{"path": "HM.diagnostics.engine_oil_fluid_level", "value": "filled", "origin": "diagnostics.engine_oil_fluid_level"}]),
        ),
    ]
}

#[test]
fn every_rule_case_yields_exactly_the_expected_signals() {
    let mut failures = Vec::new();
    for (name, data, expected) in cases() {
        let got = signals_of("RULEVIN", data);
        if got != expected {
            failures.push(format!("{name}:\n  expected {expected}\n  got      {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn values_outside_their_leaf_stay_under_the_vendor_name_and_are_counted() {
    let soc = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current";
    let heading = "Vehicle.CurrentLocation.Heading";
    let (soc_before, heading_before) = (outside_leaf_total(soc), outside_leaf_total(heading));
    let got = signals_of(
        "RANGEVIN",
        json!({
            "charging": {"battery_level": [{"data": 1.04}]},
            "vehicle_location": {"heading": [{"data": {"unit": "degrees", "value": 400}}]},
            "diagnostics": {"battery_level": [{"data": 0.5}]}
        }),
    );
    assert_eq!(
        got,
        json!([
            {"path": "HM.charging.battery_level", "value": 1.04, "origin": "charging.battery_level"},
            {"path": "HM.vehicle_location.heading", "value": 400, "unit": "degrees", "origin": "vehicle_location.heading"},
            {"path": soc, "value": 50.0, "unit": "percent", "origin": "diagnostics.battery_level"}
        ])
    );
    // other tests run in this process too: the counters went up at least by these
    assert!(outside_leaf_total(soc) > soc_before);
    assert!(outside_leaf_total(heading) > heading_before);
}
