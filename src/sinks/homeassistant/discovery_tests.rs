//! The discovery and state payloads against Home Assistant's device discovery format,
//! and the sink's config.

use super::config::{Entities, HomeAssistantSinkConfig};
use super::discovery::{unique_id, Topics, Vehicle};
use serde_json::{json, Value};

fn topics() -> Topics {
    Topics {
        discovery_prefix: "homeassistant".into(),
        base_topic: "vinstream".into(),
    }
}

const VIN: &str = "WBA0TEST0VIN00001";

fn vehicle(mode: Entities, signals: &[(&str, Value, Option<&str>)]) -> Vehicle {
    let mut v = Vehicle::default();
    for (p, val, unit) in signals {
        v.observe(VIN, p, val, *unit, mode);
    }
    v
}

fn discovery(v: &Vehicle) -> Value {
    serde_json::from_slice(&v.discovery_payload(VIN, &topics())).unwrap()
}

#[test]
fn discovery_is_one_device_with_a_component_per_path() {
    let v = vehicle(
        Entities::Mapped,
        &[
            ("Vehicle.TraveledDistance", json!(12345678), Some("m")),
            (
                "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked",
                json!(true),
                None,
            ),
            (
                "Vehicle.Powertrain.TractionBattery.Charging.IsCharging",
                json!(false),
                None,
            ),
            ("Vehicle.CurrentLocation.Latitude", json!(52.5), None),
            ("Vehicle.CurrentLocation.Longitude", json!(13.4), None),
            (
                "Vehicle.Powertrain.TractionBattery.Charging.Status",
                json!("CHARGING"),
                None,
            ),
            ("HM.charging.plug_type", json!("type2"), None),
        ],
    );
    let d = discovery(&v);
    assert_eq!(
        topics().config(VIN),
        format!("homeassistant/device/{VIN}/config")
    );
    assert_eq!(d["dev"]["identifiers"], json!([format!("vinstream_{VIN}")]));
    assert_eq!(d["dev"]["name"], VIN);
    assert_eq!(d["dev"]["manufacturer"], "BMW");
    assert_eq!(d["o"]["name"], "vinstream");
    assert_eq!(d["o"]["sw_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(d["avty"], json!([{"topic": "vinstream/status"}]));
    let cmps = d["cmps"].as_object().unwrap();
    let ids: Vec<&str> = cmps.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        [
            "wba0test0vin00001_vehicle_cabin_door_row1_driverside_islocked",
            "wba0test0vin00001_vehicle_currentlocation",
            "wba0test0vin00001_vehicle_powertrain_tractionbattery_charging_ischarging",
            "wba0test0vin00001_vehicle_powertrain_tractionbattery_charging_status",
            "wba0test0vin00001_vehicle_traveleddistance",
        ],
        "one component per path, the location paths as one tracker, no vendor path"
    );
    for (id, c) in cmps {
        assert_eq!(c["unique_id"], id.as_str());
    }
    let state = format!("vinstream/{VIN}/state");
    let odo = &cmps["wba0test0vin00001_vehicle_traveleddistance"];
    assert_eq!(
        odo,
        &json!({
            "p": "sensor",
            "value_template": "{% set v = value_json.get(\"Vehicle.TraveledDistance\") %}{{ (v * 0.001) | round(3) if v is number else v }}",
            "unit_of_measurement": "km",
            "device_class": "distance",
            "state_class": "total_increasing",
            "name": "Odometer",
            "unique_id": "wba0test0vin00001_vehicle_traveleddistance",
            "state_topic": state,
        })
    );
    let lock = &cmps["wba0test0vin00001_vehicle_cabin_door_row1_driverside_islocked"];
    assert_eq!(lock["p"], "binary_sensor");
    assert_eq!(lock["device_class"], "lock");
    assert_eq!(
        (&lock["payload_on"], &lock["payload_off"]),
        (&json!("true"), &json!("false"))
    );
    // on = unlocked: `true` (locked) renders `false`.
    assert!(lock["value_template"]
        .as_str()
        .unwrap()
        .ends_with("{{ 'None' if v is none else ('false' if v else 'true') }}"));
    let charging =
        &cmps["wba0test0vin00001_vehicle_powertrain_tractionbattery_charging_ischarging"];
    assert_eq!(charging["device_class"], "battery_charging");
    assert!(charging["value_template"]
        .as_str()
        .unwrap()
        .ends_with("('true' if v else 'false') }}"));
    let tracker = &cmps["wba0test0vin00001_vehicle_currentlocation"];
    assert_eq!(tracker["p"], "device_tracker");
    assert_eq!(tracker["json_attributes_topic"], state.as_str());
    assert!(
        tracker.get("state_topic").is_none(),
        "a state topic would set the tracker's state"
    );
    assert_eq!(
        tracker["json_attributes_template"],
        "{{ {\"latitude\": value_json.get(\"Vehicle.CurrentLocation.Latitude\"), \"longitude\": value_json.get(\"Vehicle.CurrentLocation.Longitude\"), \"gps_accuracy\": 0} | tojson }}"
    );
    // The state holds every path, vendor ones included.
    let s: Value = serde_json::from_slice(&v.state_payload()).unwrap();
    assert_eq!(s["Vehicle.TraveledDistance"], 12345678);
    assert_eq!(s["HM.charging.plug_type"], "type2");
    assert_eq!(s.as_object().unwrap().len(), 7);
}

#[test]
fn vendor_components_with_all_are_disabled_by_default() {
    let v = vehicle(
        Entities::All,
        &[("HM.usage.odometer_x", json!(5.5), Some("kWh"))],
    );
    let d = discovery(&v);
    let c = &d["cmps"]["wba0test0vin00001_hm_usage_odometer_x"];
    assert_eq!(c["enabled_by_default"], false);
    assert_eq!(c["unit_of_measurement"], "kWh");
    assert_eq!(c["name"], "HM.usage.odometer_x");
    assert!(c.get("state_class").is_none());
}

#[test]
fn a_vin_grows_its_discovery_only_with_new_entities() {
    let mut v = Vehicle::default();
    let m = Entities::Mapped;
    assert!(v.observe(VIN, "Vehicle.Speed", &json!(10.0), None, m));
    assert!(!v.observe(VIN, "Vehicle.Speed", &json!(11.0), None, m));
    assert!(
        !v.observe(VIN, "HM.x", &json!(1), None, m),
        "no entity in mapped mode"
    );
    assert!(v.observe(
        VIN,
        "Vehicle.CurrentLocation.Latitude",
        &json!(1.0),
        None,
        m
    ));
    assert!(v.observe(
        VIN,
        "Vehicle.CurrentLocation.Longitude",
        &json!(1.0),
        None,
        m
    ));
    // A retained value never overrides one seen in this run.
    assert!(!v.recall(VIN, "Vehicle.Speed", &json!(99.0), m));
    assert!(v.recall(VIN, "Vehicle.TraveledDistance", &json!(5), m));
    let s: Value = serde_json::from_slice(&v.state_payload()).unwrap();
    assert_eq!(
        (&s["Vehicle.Speed"], &s["Vehicle.TraveledDistance"]),
        (&json!(11.0), &json!(5))
    );
}

/// A null first (a failure entry) does not fix the entity's kind: the first real value
/// does, so a number is not announced as a text sensor.
#[test]
fn a_null_first_value_does_not_decide_the_entity() {
    let mut v = Vehicle::default();
    let m = Entities::All;
    assert!(!v.observe(VIN, "HM.charging.x", &Value::Null, None, m));
    assert!(v.observe(VIN, "HM.charging.x", &json!(12.5), Some("kW"), m));
    let d = discovery(&v);
    let c = &d["cmps"][format!("{}_hm_charging_x", VIN.to_lowercase())];
    assert_eq!(c["unit_of_measurement"], "kW", "{d}");
}

#[test]
fn ids_and_topics() {
    assert_eq!(unique_id("WBA1", "Vehicle.Speed"), "wba1_vehicle_speed");
    assert_eq!(
        unique_id("WBA1", "BMW.vehicle.x-y z"),
        "wba1_bmw_vehicle_x-y_z"
    );
    let t = topics();
    assert_eq!(t.vin_of_state("vinstream/WBA1/state"), Some("WBA1"));
    assert_eq!(t.vin_of_state("vinstream/a/b/state"), None);
    assert_eq!(t.vin_of_state("other/WBA1/state"), None);
}

fn parse(toml: &str) -> Result<HomeAssistantSinkConfig, String> {
    let t: toml::Table = toml::from_str(toml).unwrap();
    crate::config::typed(t, "sinks.ha").map_err(|p| format!("{p:?}"))
}

#[test]
fn config_defaults_and_checks() {
    let c = parse("type = \"homeassistant\"\nhost = \"127.0.0.1\"").unwrap();
    assert_eq!((c.port, c.tls, c.entities), (1883, false, Entities::Mapped));
    assert_eq!(
        (c.discovery_prefix.as_str(), c.base_topic.as_str()),
        ("homeassistant", "vinstream")
    );
    assert!(super::check_config(&c).is_ok());
    assert!(parse("type = \"homeassistant\"\nhost = \"h\"\nclient_id = \"x\"").is_err());
    let c = parse(
        "type = \"homeassistant\"\nhost = \"h\"\nentities = \"all\"\nbase_topic = \"cars/#\"",
    )
    .unwrap();
    assert_eq!(c.entities, Entities::All);
    assert!(super::check_config(&c).unwrap_err().contains("base_topic"));
    // its status topic would be Home Assistant's: the sink would answer its own `online`
    let c =
        parse("type = \"homeassistant\"\nhost = \"h\"\nbase_topic = \"homeassistant\"").unwrap();
    assert!(super::check_config(&c)
        .unwrap_err()
        .contains("must differ from discovery_prefix"));
    let c = parse("type = \"homeassistant\"\nhost = \"h\"\nca_file = \"/x\"").unwrap();
    assert!(super::check_config(&c).unwrap_err().contains("tls = true"));
    let c =
        parse("type = \"homeassistant\"\nhost = \"h\"\ntls = true\ncert_file = \"/x\"").unwrap();
    assert!(super::check_config(&c).unwrap_err().contains("key_file"));
    let c = parse(
        "type = \"homeassistant\"\nhost = \"h\"\ntls = true\nca_file = \"/nonexistent/ca.pem\"",
    )
    .unwrap();
    assert!(super::check_config(&c).is_err());
}
