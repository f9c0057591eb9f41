//! Table-driven High Mobility cases: one row per mapped property, unit family, enum,
//! multi-instance value and failure shape. Each case is a V2 `data` object and the
//! signals expected from it (compared as JSON, so order, values, units and origins count).

mod inputs;

use serde_json::{json, Value};
use vinstream::providers;
use vinstream::record::ProviderKind;

pub(crate) fn signals_of(vin: &str, data: Value) -> Value {
    let payload =
        json!({"version": 2, "application_id": "a", "message_id": "m", "vin": vin, "data": data});
    let record = providers::normalize(
        ProviderKind::HighMobilityV2,
        "hm",
        "",
        payload.to_string().as_bytes(),
        chrono::Utc::now(),
    )
    .expect("normalizes");
    serde_json::to_value(&record.signals).unwrap()
}

/// `(name, data, expected signals)`; signals written without `timestamp`/`failure` have none.
fn cases() -> Vec<(&'static str, Value, Value)> {
    let ts = "2026-11-21T10:00:00Z";
    let tsn = "2026-11-21T10:00:00.000Z";
    vec![
        (
            "odometer in km",
            json!({"diagnostics": {"odometer": [{"data": {"unit": "kilometers", "value": 8050.4}}]}}),
            json!([{"path": "Vehicle.TraveledDistance", "value": 8050400, "unit": "m", "origin": "diagnostics.odometer"}]),
        ),
        (
            "odometer in miles",
            json!({"diagnostics": {"odometer": [{"data": {"unit": "miles", "value": 1}}]}}),
            json!([{"path": "Vehicle.TraveledDistance", "value": 1609, "unit": "m", "origin": "diagnostics.odometer"}]),
        ),
        (
            "deprecated mileage alias",
            json!({"diagnostics": {"mileage": [{"data": {"unit": "meters", "value": 12.6}}]}}),
            json!([{"path": "Vehicle.TraveledDistance", "value": 13, "unit": "m", "origin": "diagnostics.mileage"}]),
        ),
        (
            "deprecated mileage_meters alias",
            json!({"diagnostics": {"mileage_meters": [{"data": {"unit": "meters", "value": 5000}}]}}),
            json!([{"path": "Vehicle.TraveledDistance", "value": 5000, "unit": "m", "origin": "diagnostics.mileage_meters"}]),
        ),
        (
            "trip distance",
            json!({"diagnostics": {"distance_since_start": [{"data": {"unit": "kilometers", "value": 1.5}}]}}),
            json!([{"path": "Vehicle.TraveledDistanceSinceStart", "value": 1500, "unit": "m", "origin": "diagnostics.distance_since_start"}]),
        ),
        (
            "speed in m/s",
            json!({"diagnostics": {"speed": [{"data": {"unit": "meters_per_second", "value": 10}}]}}),
            json!([{"path": "Vehicle.Speed", "value": 36.0, "unit": "km/h", "origin": "diagnostics.speed"}]),
        ),
        (
            "speed in knots",
            json!({"diagnostics": {"wheel_based_speed": [{"data": {"unit": "knots", "value": 10}}]}}),
            json!([{"path": "Vehicle.Speed", "value": 18.52, "unit": "km/h", "origin": "diagnostics.wheel_based_speed"}]),
        ),
        (
            "fuel level rounds to a whole percent",
            json!({"diagnostics": {"fuel_level": [{"data": 0.456}]}}),
            json!([{"path": "Vehicle.Powertrain.FuelSystem.RelativeLevel", "value": 46, "unit": "percent", "origin": "diagnostics.fuel_level"}]),
        ),
        (
            "fuel volume in gallons",
            json!({"diagnostics": {"fuel_volume": [{"data": {"unit": "gallons", "value": 10}}]}}),
            json!([{"path": "Vehicle.Powertrain.FuelSystem.AbsoluteLevel", "value": 37.85411784, "unit": "l", "origin": "diagnostics.fuel_volume"}]),
        ),
        (
            "fuel range",
            json!({"diagnostics": {"estimated_range": [{"data": {"unit": "kilometers", "value": 420}}]}}),
            json!([{"path": "Vehicle.Powertrain.FuelSystem.Range", "value": 420000, "unit": "m", "origin": "diagnostics.estimated_range"}]),
        ),
        (
            "total range",
            json!({"diagnostics": {"estimated_mixed_powertrain_range": [{"data": {"unit": "miles", "value": 100}}]}}),
            json!([{"path": "Vehicle.Powertrain.Range", "value": 160934, "unit": "m", "origin": "diagnostics.estimated_mixed_powertrain_range"}]),
        ),
        (
            "12 V battery in millivolts",
            json!({"diagnostics": {"battery_voltage": [{"data": {"unit": "millivolts", "value": 12600}}]}}),
            json!([{"path": "Vehicle.LowVoltageBattery.CurrentVoltage", "value": 12.6, "unit": "V", "origin": "diagnostics.battery_voltage"}]),
        ),
        (
            "coolant in kelvin",
            json!({"diagnostics": {"engine_coolant_temperature": [{"data": {"unit": "kelvin", "value": 363.15}}]}}),
            json!([{"path": "Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature", "value": 90.0, "unit": "Celsius", "origin": "diagnostics.engine_coolant_temperature"}]),
        ),
        (
            "washer fluid low",
            json!({"diagnostics": {"washer_fluid_level": [{"data": "very_low"}]}}),
            json!([{"path": "Vehicle.Body.Windshield.Front.WasherFluid.IsLevelLow", "value": true, "origin": "diagnostics.washer_fluid_level"}]),
        ),
        (
            "tire pressures per wheel, bars and psi, spare passes through",
            json!({"diagnostics": {"tire_pressures": [
             {"data": {"location": "front_right", "pressure": {"unit": "bars", "value": 2.31}}},
             {"data": {"location": "rear_left", "pressure": {"unit": "pounds_force_per_square_inch", "value": 35}}},
             {"data": {"location": "spare", "pressure": {"unit": "bars", "value": 4.2}}}]}}),
            json!([
             {"path": "Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.Pressure", "value": 231, "unit": "kPa", "origin": "diagnostics.tire_pressures[front_right]"},
             {"path": "Vehicle.Chassis.Axle.Row2.Wheel.Left.Tire.Pressure", "value": 241, "unit": "kPa", "origin": "diagnostics.tire_pressures[rear_left]"},
             {"path": "HM.diagnostics.tire_pressures", "value": {"location": "spare", "pressure": {"unit": "bars", "value": 4.2}}, "origin": "diagnostics.tire_pressures[spare]"}]),
        ),
        (
            "tire pressure statuses",
            json!({"diagnostics": {"tire_pressure_statuses": [
             {"data": {"location": "front_left", "status": "normal"}}, {"data": {"location": "rear_right", "status": "deflation"}}]}}),
            json!([
             {"path": "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.IsPressureLow", "value": false, "origin": "diagnostics.tire_pressure_statuses[front_left]"},
             {"path": "Vehicle.Chassis.Axle.Row2.Wheel.Right.Tire.IsPressureLow", "value": true, "origin": "diagnostics.tire_pressure_statuses[rear_right]"}]),
        ),
        (
            "tire temperature in fahrenheit",
            json!({"diagnostics": {"tire_temperatures": [
             {"data": {"location": "rear_right", "temperature": {"unit": "fahrenheit", "value": 104}}}]}}),
            json!([{"path": "Vehicle.Chassis.Axle.Row2.Wheel.Right.Tire.AirTemperature", "value": 40.0, "unit": "Celsius", "origin": "diagnostics.tire_temperatures[rear_right]"}]),
        ),
        (
            "trouble codes pass through (only confirmed OBD-II codes fill DTCList)",
            json!({"diagnostics": {"trouble_codes": [
             {"data": {"occurrences": 2, "id": "C1116FA", "ecu_id": "RDU_F", "status": "PENDING", "system": "unknown"}},
             {"data": {"occurrences": 1, "id": "P0300", "ecu_id": "DME", "status": "ACTIVE", "system": "unknown"}}]}}),
            json!([
             {"path": "HM.diagnostics.trouble_codes", "value": {"occurrences": 2, "id": "C1116FA", "ecu_id": "RDU_F", "status": "PENDING", "system": "unknown"}, "origin": "diagnostics.trouble_codes"},
             {"path": "HM.diagnostics.trouble_codes", "value": {"occurrences": 1, "id": "P0300", "ecu_id": "DME", "status": "ACTIVE", "system": "unknown"}, "origin": "diagnostics.trouble_codes"}]),
        ),
        (
            "coordinates, altitude in feet, heading in revolutions",
            json!({"vehicle_location": {
             "coordinates": [{"data": {"latitude": 52.52, "longitude": 13.405}, "timestamp": ts}],
             "altitude": [{"data": {"unit": "feet", "value": 100}}],
             "heading": [{"data": {"unit": "revolutions", "value": 0.25}}]}}),
            json!([
             {"path": "Vehicle.CurrentLocation.Latitude", "value": 52.52, "unit": "degrees", "timestamp": tsn, "origin": "vehicle_location.coordinates"},
             {"path": "Vehicle.CurrentLocation.Longitude", "value": 13.405, "unit": "degrees", "timestamp": tsn, "origin": "vehicle_location.coordinates"},
             {"path": "Vehicle.CurrentLocation.Altitude", "value": 30.48, "unit": "m", "origin": "vehicle_location.altitude"},
             {"path": "Vehicle.CurrentLocation.Heading", "value": 90.0, "unit": "degrees", "origin": "vehicle_location.heading"}]),
        ),
        (
            "gps source none maps, real passes through",
            json!({"vehicle_location": {"gps_source": [{"data": "none"}, {"data": "real"}]}}),
            json!([
             {"path": "Vehicle.CurrentLocation.GNSSReceiver.FixType", "value": "NONE", "origin": "vehicle_location.gps_source"},
             {"path": "HM.vehicle_location.gps_source", "value": "real", "origin": "vehicle_location.gps_source"}]),
        ),
        (
            "state of charge and displayed state of charge",
            json!({
             "charging": {"battery_level": [{"data": 0.641}]},
             "charging_session": {"displayed_state_of_charge": [{"data": 0.65}]}}),
            json!([
             {"path": "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current", "value": 64.1, "unit": "percent", "origin": "charging.battery_level"},
             {"path": "Vehicle.Powertrain.TractionBattery.StateOfCharge.Displayed", "value": 65.0, "unit": "percent", "origin": "charging_session.displayed_state_of_charge"}]),
        ),
        (
            // HM allows > 1.0 (production tolerance); the VSS leaf stops at 100 %
            "state of health above 100 percent stays under its vendor name",
            json!({"charging": {"state_of_health": [{"data": 1.02}]}}),
            json!([{"path": "HM.charging.state_of_health", "value": 1.02, "origin": "charging.state_of_health"}]),
        ),
        (
            "charging status overlay",
            json!({"charging": {"status": [{"data": "fast_charging", "timestamp": ts}]}}),
            json!([
             {"path": "Vehicle.Powertrain.TractionBattery.Charging.Status", "value": "CHARGING", "timestamp": tsn, "origin": "charging.status"},
             {"path": "Vehicle.Powertrain.TractionBattery.Charging.IsCharging", "value": true, "timestamp": tsn, "origin": "charging.status"},
             {"path": "Vehicle.Powertrain.TractionBattery.Charging.IsDischarging", "value": false, "timestamp": tsn, "origin": "charging.status"}]),
        ),
        (
            "discharging and an unknown charging status",
            json!({"charging": {"status": [{"data": "discharging"}, {"data": "levitating"}]}}),
            json!([
             {"path": "Vehicle.Powertrain.TractionBattery.Charging.Status", "value": "DISCHARGING", "origin": "charging.status"},
             {"path": "Vehicle.Powertrain.TractionBattery.Charging.IsCharging", "value": false, "origin": "charging.status"},
             {"path": "Vehicle.Powertrain.TractionBattery.Charging.IsDischarging", "value": true, "origin": "charging.status"},
             {"path": "HM.charging.status", "value": "levitating", "origin": "charging.status"}]),
        ),
        (
            "plug, flap and cable lock",
            json!({"charging": {
             "plugged_in": [{"data": "plugged_in_both_sides"}], "charge_port_state": [{"data": "open"}], "plug_lock_status": [{"data": "unlocked"}]}}),
            json!([
             {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected", "value": true, "origin": "charging.plugged_in"},
             {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsFlapOpen", "value": true, "origin": "charging.charge_port_state"},
             {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableLocked", "value": false, "origin": "charging.plug_lock_status"}]),
        ),
        (
            "charge limit, time to complete, EV range",
            json!({"charging": {
             "charge_limit": [{"data": 0.8}], "time_to_complete_charge": [{"data": {"unit": "minutes", "value": 95}}],
             "estimated_range": [{"data": {"unit": "kilometers", "value": 250.4}}]}}),
            json!([
             {"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit", "value": 80, "unit": "percent", "origin": "charging.charge_limit"},
             {"path": "Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete", "value": 5700, "unit": "s", "origin": "charging.time_to_complete_charge"},
             {"path": "Vehicle.Powertrain.TractionBattery.Range", "value": 250400, "unit": "m", "origin": "charging.estimated_range"}]),
        ),
        (
            "charging power in kW, deprecated charging_rate_kw, capacity",
            json!({"charging": {
             "charging_rate": [{"data": {"unit": "kilowatts", "value": 11}}], "charging_rate_kw": [{"data": {"unit": "kilowatts", "value": 7.4}}],
             "battery_capacity": [{"data": {"unit": "kilowatt_hours", "value": 77.4}}]}}),
            json!([
             {"path": "Vehicle.Powertrain.TractionBattery.CurrentPower", "value": 11000.0, "unit": "W", "origin": "charging.charging_rate"},
             {"path": "Vehicle.Powertrain.TractionBattery.CurrentPower", "value": 7400.0, "unit": "W", "origin": "charging.charging_rate_kw"},
             {"path": "Vehicle.Powertrain.TractionBattery.NetCapacity", "value": 77, "unit": "kWh", "origin": "charging.battery_capacity"}]),
        ),
        (
            "charge rate as range per hour",
            json!({"charging": {"charging_rate_distance": [{"data": {
             "distance": {"unit": "kilometers", "value": 30}, "time": {"unit": "minutes", "value": 30}}}]}}),
            json!([{"path": "Vehicle.Powertrain.TractionBattery.Charging.ChargeRate", "value": 60.0, "unit": "km/h", "origin": "charging.charging_rate_distance"}]),
        ),
        (
            "doors of a left-hand-drive car, and all doors",
            json!({"doors": {
             "positions": [{"data": {"location": "front_left", "position": "open"}}, {"data": {"location": "all", "position": "closed"}}],
             "locks": [{"data": {"location": "rear_right", "lock_state": "locked"}}]}}),
            json!([
             {"path": "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen", "value": true, "origin": "doors.positions[front_left]"},
             {"path": "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen", "value": false, "origin": "doors.positions[all]"},
             {"path": "Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen", "value": false, "origin": "doors.positions[all]"},
             {"path": "Vehicle.Cabin.Door.Row2.DriverSide.IsOpen", "value": false, "origin": "doors.positions[all]"},
             {"path": "Vehicle.Cabin.Door.Row2.PassengerSide.IsOpen", "value": false, "origin": "doors.positions[all]"},
             {"path": "Vehicle.Cabin.Door.Row2.PassengerSide.IsLocked", "value": true, "origin": "doors.locks[rear_right]"}]),
        ),
        (
            "windows: intermediate is open, percentages, hatch passes through",
            json!({"windows": {
             "positions": [{"data": {"location": "front_right", "position": "intermediate"}}, {"data": {"location": "hatch", "position": "closed"}}],
             "open_percentages": [{"data": {"location": "rear_left", "open_percentage": 0.25}}]}}),
            json!([
             {"path": "Vehicle.Cabin.Door.Row1.PassengerSide.Window.IsOpen", "value": true, "origin": "windows.positions[front_right]"},
             {"path": "HM.windows.positions", "value": {"location": "hatch", "position": "closed"}, "origin": "windows.positions[hatch]"},
             {"path": "Vehicle.Cabin.Door.Row2.DriverSide.Window.Position", "value": 25, "unit": "percent", "origin": "windows.open_percentages[rear_left]"}]),
        ),
        (
            "trunk, hood",
            json!({"trunk": {"position": [{"data": "open"}], "lock": [{"data": "locked"}]}, "hood": {"position": [{"data": "intermediate"}]}}),
            json!([
             {"path": "Vehicle.Body.Trunk.Rear.IsOpen", "value": true, "origin": "trunk.position"},
             {"path": "Vehicle.Body.Trunk.Rear.IsLocked", "value": true, "origin": "trunk.lock"},
             {"path": "Vehicle.Body.Hood.IsOpen", "value": true, "origin": "hood.position"}]),
        ),
        (
            "temperatures outside and inside",
            json!({"climate": {
             "outside_temperature": [{"data": {"unit": "celsius", "value": -4.5}}], "inside_temperature": [{"data": {"unit": "kelvin", "value": 294.15}}]}}),
            json!([
             {"path": "Vehicle.Exterior.AirTemperature", "value": -4.5, "unit": "Celsius", "origin": "climate.outside_temperature"},
             {"path": "Vehicle.Cabin.HVAC.AmbientAirTemperature", "value": 21.0, "unit": "Celsius", "origin": "climate.inside_temperature"}]),
        ),
        (
            "ignition state and its deprecated alias",
            json!({"ignition": {"state": [{"data": "accessory"}], "status": [{"data": "on"}]}}),
            json!([
             {"path": "Vehicle.LowVoltageSystemState", "value": "ACC", "origin": "ignition.state"},
             {"path": "Vehicle.LowVoltageSystemState", "value": "ON", "origin": "ignition.status"}]),
        ),
        (
            "engine running, vehicle moving",
            json!({"engine": {"status": [{"data": "on"}]}, "race": {"vehicle_moving": [{"data": "not_moving"}]}}),
            json!([
             {"path": "Vehicle.Powertrain.CombustionEngine.IsRunning", "value": true, "origin": "engine.status"},
             {"path": "Vehicle.IsMoving", "value": false, "origin": "race.vehicle_moving"}]),
        ),
        (
            "service status, distance and time",
            json!({"maintenance": {
             "service_status": [{"data": "warning"}], "distance_to_next_service": [{"data": {"unit": "miles", "value": 1000}}],
             "time_to_next_service": [{"data": {"unit": "days", "value": -3}}]}}),
            json!([
             {"path": "Vehicle.Service.IsServiceDue", "value": true, "origin": "maintenance.service_status"},
             {"path": "Vehicle.Service.DistanceToService", "value": 1609.344, "unit": "km", "origin": "maintenance.distance_to_next_service"},
             {"path": "Vehicle.Service.TimeToService", "value": -259200, "unit": "s", "origin": "maintenance.time_to_next_service"}]),
        ),
        (
            "out-of-order samples in one array keep their own timestamps",
            json!({"diagnostics": {"odometer": [
             {"data": {"unit": "kilometers", "value": 2}, "timestamp": "2026-11-21T10:00:02Z"},
             {"data": {"unit": "kilometers", "value": 1}, "timestamp": "2026-11-21T10:00:01.123456789Z"}]}}),
            json!([
             {"path": "Vehicle.TraveledDistance", "value": 2000, "unit": "m", "timestamp": "2026-11-21T10:00:02.000Z", "origin": "diagnostics.odometer"},
             {"path": "Vehicle.TraveledDistance", "value": 1000, "unit": "m", "timestamp": "2026-11-21T10:00:01.123Z", "origin": "diagnostics.odometer"}]),
        ),
        (
            "unknown unit passes through with its unit",
            json!({"diagnostics": {"odometer": [{"data": {"unit": "furlongs", "value": 8}}]}}),
            json!([{"path": "HM.diagnostics.odometer", "value": 8, "unit": "furlongs", "origin": "diagnostics.odometer"}]),
        ),
        (
            "unknown capability passes through",
            json!({"teleporter": {"charge": [{"data": "full", "timestamp": ts}]}}),
            json!([{"path": "HM.teleporter.charge", "value": "full", "timestamp": tsn, "origin": "teleporter.charge"}]),
        ),
        (
            "failure on a per-wheel property",
            json!({"diagnostics": {"tire_pressures": [{"failure": {"reason": "unknown", "description": "no sensor"}}]}}),
            json!([{"path": "HM.diagnostics.tire_pressures", "value": null, "origin": "diagnostics.tire_pressures",
                 "failure": {"reason": "unknown", "description": "no sensor"}}]),
        ),
        (
            "failure on charging status fills every target",
            json!({"charging": {"status": [{"failure": {"reason": "privacy_mode_active", "description": ""}}]}}),
            json!([
             {"path": "Vehicle.Powertrain.TractionBattery.Charging.Status", "value": null, "origin": "charging.status", "failure": {"reason": "privacy_mode_active", "description": ""}},
             {"path": "Vehicle.Powertrain.TractionBattery.Charging.IsCharging", "value": null, "origin": "charging.status", "failure": {"reason": "privacy_mode_active", "description": ""}},
             {"path": "Vehicle.Powertrain.TractionBattery.Charging.IsDischarging", "value": null, "origin": "charging.status", "failure": {"reason": "privacy_mode_active", "description": ""}}]),
        ),
        (
            "an unwrapped single entry (V1 style) inside V2",
            json!({"diagnostics": {"speed": {"data": {"unit": "kilometers_per_hour", "value": 50}}}}),
            json!([{"path": "Vehicle.Speed", "value": 50.0, "unit": "km/h", "origin": "diagnostics.speed"}]),
        ),
        (
            "a bare value without an entry wrapper",
            json!({"diagnostics": {"fuel_level": 0.5}}),
            json!([{"path": "Vehicle.Powertrain.FuelSystem.RelativeLevel", "value": 50, "unit": "percent", "origin": "diagnostics.fuel_level"}]),
        ),
    ]
}

#[test]
fn every_case_yields_exactly_the_expected_signals() {
    let all = cases();
    assert!(all.len() >= 30, "{} cases", all.len());
    let mut failures = Vec::new();
    for (name, data, expected) in all {
        let got = signals_of("CASEVIN", data);
        if got != expected {
            failures.push(format!(
                "{name}:\n  expected {}\n  got      {}",
                expected, got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
