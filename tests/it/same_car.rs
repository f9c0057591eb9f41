//! Same car, same signals: one vehicle state told by High Mobility V1, High Mobility V2
//! and BMW CarData gives the same VSS signals (paths, units, values within rounding).
//! Every leaf both mapping tables can fill is covered by a triple; a test computes that
//! set from the tables, so a new shared leaf without a triple fails here.

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use vinstream::providers::{self, bmw, high_mobility};
use vinstream::record::ProviderKind;
use vinstream::vss::catalogue;

const VIN: &str = "WBA00000000000001";

/// VSS path → (value, unit) of every `Vehicle.` signal.
type Vss = BTreeMap<String, (Value, Option<String>)>;

fn vss_of(kind: ProviderKind, topic: &str, payload: &Value, into: &mut Vss) {
    let rec = providers::normalize(
        kind,
        "car",
        topic,
        payload.to_string().as_bytes(),
        chrono::Utc::now(),
    )
    .unwrap_or_else(|e| panic!("{kind:?} refused {payload}: {e}"));
    for s in rec
        .signals
        .iter()
        .filter(|s| s.path.starts_with("Vehicle."))
    {
        into.insert(
            s.path.to_string(),
            (s.value.clone(), s.unit.as_deref().map(String::from)),
        );
    }
}

/// HM V2: one message with every capability.
fn hm_v2(data: &Value) -> Vss {
    let mut out = Vss::new();
    let msg =
        json!({"version": 2, "application_id": "a", "message_id": "m2", "vin": VIN, "data": data});
    vss_of(ProviderKind::HighMobilityV2, "", &msg, &mut out);
    out
}

/// HM V1: one message per property, as the V1 broker sends them; single-instance
/// properties as one entry object, multi-instance ones (entries with a location) as arrays.
fn hm_v1(data: &Value) -> Vss {
    let mut out = Vss::new();
    for (cap, props) in data.as_object().unwrap() {
        for (prop, entries) in props.as_object().unwrap() {
            let entries = entries.as_array().unwrap();
            let multi = entries.iter().any(|e| e["data"].get("location").is_some());
            let value = if multi {
                Value::Array(entries.clone())
            } else {
                entries[0].clone()
            };
            let msg = json!({
                "message_id": format!("m1-{cap}-{prop}"), "version": 1, "vin": VIN,
                "capability": cap, "property": prop, "data": {cap: {prop: value}}
            });
            vss_of(ProviderKind::HighMobilityV1, "", &msg, &mut out);
        }
    }
    out
}

fn bmw_of(data: &Value) -> Vss {
    let mut out = Vss::new();
    let msg = json!({"vin": VIN, "entityId": "e", "topic": VIN, "timestamp": "2026-12-06T10:00:00Z", "data": data});
    vss_of(
        ProviderKind::BmwCardata,
        &format!("gcid/{VIN}"),
        &msg,
        &mut out,
    );
    out
}

fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0),
        _ => a == b,
    }
}

/// `(state, HM V2 data, BMW data)`: the same vehicle state in both providers' words.
fn triples() -> Vec<(&'static str, Value, Value)> {
    let e = |d: Value| json!([{"data": d}]);
    let uv = |unit: &str, value: f64| json!({"unit": unit, "value": value});
    let b = |value: Value, unit: &str| json!({"value": value, "unit": unit});
    let w = |loc: &str, field: &str, v: Value| json!({"data": {"location": loc, field: v}});
    vec![
        (
            "parked in Munich, 12 V battery at 12.6 V, coolant cold",
            json!({
                "vehicle_location": {
                    "coordinates": e(json!({"latitude": 48.1351, "longitude": 11.582})),
                    "altitude": e(uv("meters", 519.0)),
                    "heading": e(uv("degrees", 270.0)),
                    "gps_source": e(json!("none"))},
                "race": {"vehicle_moving": e(json!("not_moving"))},
                "diagnostics": {
                    "odometer": e(uv("kilometers", 12345.6)),
                    "battery_voltage": e(uv("volts", 12.6)),
                    "engine_coolant_temperature": e(uv("celsius", 18.0)),
                    "estimated_mixed_powertrain_range": e(uv("kilometers", 610.0)),
                    "fuel_level": e(json!(0.42)),
                    "fuel_volume": e(uv("liters", 25.2)),
                    "estimated_range": e(uv("kilometers", 410.0)),
                    "tire_pressures": [
                        w("front_left", "pressure", uv("bars", 2.5)), w("front_right", "pressure", uv("bars", 2.5)),
                        w("rear_left", "pressure", uv("bars", 2.7)), w("rear_right", "pressure", uv("bars", 2.7))],
                    "tire_temperatures": [
                        w("front_left", "temperature", uv("celsius", 21.0)), w("front_right", "temperature", uv("celsius", 21.5)),
                        w("rear_left", "temperature", uv("celsius", 22.0)), w("rear_right", "temperature", uv("celsius", 22.5))]},
                "ignition": {"status": e(json!("off"))},
                "maintenance": {"distance_to_next_service": e(uv("kilometers", 8200.0))}
            }),
            json!({
                "vehicle.cabin.infotainment.navigation.currentLocation.latitude": b(json!(48.1351), "degrees"),
                "vehicle.cabin.infotainment.navigation.currentLocation.longitude": b(json!(11.582), "degrees"),
                "vehicle.cabin.infotainment.navigation.currentLocation.heading": b(json!(270), "degrees"),
                "vehicle.cabin.infotainment.navigation.currentLocation.fixStatus": b(json!("NO_FIX"), ""),
                "vehicle.isMoving": b(json!(false), ""),
                "vehicle.vehicle.travelledDistance": b(json!(12345.6), "km"),
                "vehicle.electricalSystem.battery.voltage": b(json!(12.6), "V"),
                "vehicle.drivetrain.internalCombustionEngine.engine.ect": b(json!(18), "°C"),
                "vehicle.drivetrain.lastRemainingRange": b(json!(610), "km"),
                "vehicle.drivetrain.fuelSystem.level": b(json!(42), "%"),
                "vehicle.drivetrain.fuelSystem.remainingFuel": b(json!(25.2), "l"),
                "vehicle.cabin.infotainment.navigation.remainingRange": b(json!(410), "km"),
                "vehicle.chassis.axle.row1.wheel.left.tire.pressure": b(json!(250), "kPa"),
                "vehicle.chassis.axle.row1.wheel.right.tire.pressure": b(json!(250), "kPa"),
                "vehicle.chassis.axle.row2.wheel.left.tire.pressure": b(json!(270), "kPa"),
                "vehicle.chassis.axle.row2.wheel.right.tire.pressure": b(json!(270), "kPa"),
                "vehicle.chassis.axle.row1.wheel.left.tire.temperature": b(json!(21), "°C"),
                "vehicle.chassis.axle.row1.wheel.right.tire.temperature": b(json!(21.5), "°C"),
                "vehicle.chassis.axle.row2.wheel.left.tire.temperature": b(json!(22), "°C"),
                "vehicle.chassis.axle.row2.wheel.right.tire.temperature": b(json!(22.5), "°C"),
                "vehicle.drivetrain.engine.isActive": b(json!(false), ""),
                "vehicle.status.serviceDistance.next": b(json!(8200), "km")
            }),
        ),
        (
            "charging at 11 kW, plugged and locked, flap open, 64 % towards 80 %",
            json!({
                "charging": {
                    "battery_level": e(json!(0.64)),
                    "estimated_range": e(uv("kilometers", 250.0)),
                    "status": e(json!("charging")),
                    "plugged_in": e(json!("plugged_in")),
                    "charge_port_state": e(json!("open")),
                    "plug_lock_status": e(json!("locked")),
                    "charge_limit": e(json!(0.8)),
                    "charging_rate": e(uv("kilowatts", 11.0)),
                    "time_to_complete_charge": e(uv("minutes", 95.0)),
                    "state_of_health": e(json!(0.93)),
                    "battery_capacity": e(uv("kilowatt_hours", 77.0))},
                "charging_session": {"displayed_state_of_charge": e(json!(0.65))}
            }),
            json!({
                "vehicle.drivetrain.batteryManagement.header": b(json!(64), "%"),
                "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange": b(json!(250), "km"),
                "vehicle.drivetrain.electricEngine.charging.hvStatus": b(json!("CHARGING"), ""),
                "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged": b(json!(true), ""),
                "vehicle.powertrain.tractionBattery.charging.port.anyPosition.flap.isOpen": b(json!("OPEN"), ""),
                "vehicle.body.chargingPort.lockedStatus": b(json!("CHARGING_CABLE_LOCKED"), ""),
                "vehicle.powertrain.electric.battery.stateOfCharge.target": b(json!(80), "%"),
                "vehicle.powertrain.electric.battery.charging.power": b(json!(11000), "W"),
                "vehicle.drivetrain.electricEngine.charging.timeRemaining": b(json!(95), "min"),
                "vehicle.powertrain.electric.battery.stateOfHealth.displayed": b(json!(93), "%"),
                "vehicle.drivetrain.batteryManagement.maxEnergy": b(json!(77), "kWh"),
                "vehicle.powertrain.electric.battery.stateOfCharge.displayed": b(json!(65), "%")
            }),
        ),
        (
            "driving away: rear-left door ajar, all locked, windows shut, boot open, sunroof at 30 %",
            json!({
                "race": {"vehicle_moving": e(json!("moving"))},
                "ignition": {"status": e(json!("on"))},
                "doors": {
                    "positions": [
                        w("front_left", "position", json!("closed")), w("front_right", "position", json!("closed")),
                        w("rear_left", "position", json!("open")), w("rear_right", "position", json!("closed"))],
                    "locks": [
                        w("front_left", "lock_state", json!("locked")), w("front_right", "lock_state", json!("locked")),
                        w("rear_left", "lock_state", json!("locked")), w("rear_right", "lock_state", json!("locked"))]},
                "windows": {"positions": [
                    w("front_left", "position", json!("intermediate")), w("front_right", "position", json!("closed")),
                    w("rear_left", "position", json!("closed")), w("rear_right", "position", json!("closed"))]},
                "trunk": {"position": e(json!("open")), "lock": e(json!("unlocked"))},
                "hood": {"position": e(json!("closed"))},
                "rooftop_control": {"position": e(json!(0.3)), "convertible_roof_state": e(json!("closed_secured"))}
            }),
            json!({
                "vehicle.isMoving": b(json!(true), ""),
                "vehicle.drivetrain.engine.isActive": b(json!(true), ""),
                "vehicle.cabin.door.row1.driver.isOpen": b(json!("CLOSED"), ""),
                "vehicle.cabin.door.row1.passenger.isOpen": b(json!("CLOSED"), ""),
                "vehicle.cabin.door.row2.driver.isOpen": b(json!("OPEN"), ""),
                "vehicle.cabin.door.row2.passenger.isOpen": b(json!("CLOSED"), ""),
                "vehicle.cabin.door.lock.status": b(json!("LOCKED"), ""),
                "vehicle.cabin.window.row1.driver.status": b(json!("INTERMEDIATE"), ""),
                "vehicle.cabin.window.row1.passenger.status": b(json!("CLOSED"), ""),
                "vehicle.cabin.window.row2.driver.status": b(json!("CLOSED"), ""),
                "vehicle.cabin.window.row2.passenger.status": b(json!("CLOSED"), ""),
                "vehicle.body.trunk.isOpen": b(json!("OPEN"), ""),
                "vehicle.body.trunk.isLocked": b(json!("UNLOCKED"), ""),
                "vehicle.body.hood.isOpen": b(json!("CLOSED"), ""),
                "vehicle.cabin.sunroof.relativePosition": b(json!(30), "%"),
                "vehicle.cabin.convertible.roofStatus": b(json!("CLOSEDSECURED"), "")
            }),
        ),
        (
            // HM's `locks_state` `unlocked` may be one door, so it names no door
            "centrally locked",
            json!({"doors": {"locks_state": e(json!("locked"))}}),
            json!({"vehicle.cabin.door.lock.status": b(json!("SECURED"), "")}),
        ),
        (
            "every door unlocked, door by door",
            json!({"doors": {"locks": [
                w("front_left", "lock_state", json!("unlocked")), w("front_right", "lock_state", json!("unlocked")),
                w("rear_left", "lock_state", json!("unlocked")), w("rear_right", "lock_state", json!("unlocked"))]}}),
            json!({"vehicle.cabin.door.lock.status": b(json!("UNLOCKED"), "")}),
        ),
        (
            "a hard top mounted; a DC cable plugged in",
            json!({
                "rooftop_control": {"convertible_roof_state": e(json!("hard_top_mounted"))},
                "charging": {"plugged_in": e(json!("plugged_in"))}
            }),
            json!({
                "vehicle.cabin.convertible.roofStatus": b(json!("HARDTOPMOUNTED"), ""),
                "vehicle.body.chargingPort.dcStatus": b(json!("CONNECTED"), "")
            }),
        ),
    ]
}

/// Concrete leaves a High Mobility row can write (templates expanded over the catalogue).
fn hm_leaves() -> BTreeSet<String> {
    let matches = |template: &str, path: &str| {
        let (t, p): (Vec<&str>, Vec<&str>) =
            (template.split('.').collect(), path.split('.').collect());
        t.len() == p.len() && t.iter().zip(&p).all(|(a, b)| *a == "*" || a == b)
    };
    let mut out = BTreeSet::new();
    for r in high_mobility::mapping::rows() {
        for t in r.rule.targets() {
            for s in catalogue::signals().iter().filter(|s| matches(t, s.path)) {
                out.insert(s.path.to_string());
            }
            if catalogue::signal(t).is_some_and(|s| s.overlay) {
                out.insert(t.to_string());
            }
        }
    }
    out
}

fn bmw_leaves() -> BTreeSet<String> {
    bmw::mapping::ROWS
        .iter()
        .flat_map(|r| r.rule.targets())
        .map(String::from)
        .collect()
}

#[test]
fn the_same_state_gives_the_same_signals_from_every_provider() {
    let shared: BTreeSet<String> = hm_leaves().intersection(&bmw_leaves()).cloned().collect();
    let mut covered = BTreeSet::new();
    let mut problems = Vec::new();
    for (state, hm, bmw) in triples() {
        let (v1, v2, b) = (hm_v1(&hm), hm_v2(&hm), bmw_of(&bmw));
        let paths: BTreeSet<&String> = v1
            .keys()
            .chain(v2.keys())
            .chain(b.keys())
            .filter(|p| shared.contains(*p))
            .collect();
        for p in paths {
            let got = [
                ("HM V1", v1.get(p)),
                ("HM V2", v2.get(p)),
                ("BMW", b.get(p)),
            ];
            let Some((_, Some(first))) = got.iter().find(|(_, v)| v.is_some()) else {
                continue;
            };
            let agree = got
                .iter()
                .all(|(_, v)| v.is_some_and(|(val, unit)| same(val, &first.0) && *unit == first.1));
            if agree {
                covered.insert(p.clone());
            } else {
                problems.push(format!("{state}: {p}: {got:?}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "providers disagree:\n{}",
        problems.join("\n")
    );
    let missing: Vec<&String> = shared.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "leaves both providers fill with no triple: {missing:?}"
    );
    println!("{} leaves both providers fill, all covered", shared.len());
    assert!(shared.len() >= 40, "only {} shared leaves", shared.len());
}
