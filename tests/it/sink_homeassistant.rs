//! The `homeassistant` sink against a real Home Assistant Core: High Mobility V2 records
//! in from the provider broker (mTLS Mosquitto), MQTT discovery and state out to a second
//! Mosquitto (TLS, passwords) that Home Assistant's MQTT integration reads, and the
//! result read back through Home Assistant's own REST API: devices, entity names, units,
//! states; a second VIN as a second device; re-discovery after Home Assistant restarts
//! with the broker's retained discovery gone; `unavailable` once the daemon stops.

use crate::support::daemon::Daemon;
use crate::support::home_assistant::{HomeAssistant, MqttLink};
use crate::support::platform::PlatformRig;
use crate::support::wait;
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

const APP: &str = "00000000-0000-0000-0000-000000000000";
const TOPIC: &str = "live/level13/00000000-0000-0000-0000-000000000000";
const PASSWORD: &str = "vinstream-ha-pw";
const T: Duration = Duration::from_secs(60);
const TS: &str = "2026-11-21T10:00:00Z";
const VIN_A: &str = "WBA0HATEST0000001";
const VIN_B: &str = "WVW0HATEST0000002";
const BAD_VIN: &str = "WBA0000/000000003";

fn entry(data: Value) -> Value {
    json!([{ "data": data, "timestamp": TS }])
}

fn measure(value: f64, unit: &str) -> Value {
    entry(json!({"value": value, "unit": unit}))
}

fn hm(id: &str, vin: &str, data: Value) -> (String, Vec<u8>) {
    let m =
        json!({"version": 2, "application_id": APP, "message_id": id, "vin": vin, "data": data});
    (TOPIC.to_string(), m.to_string().into_bytes())
}

/// A car with the signals the README promises: battery, range, odometer, doors, locks,
/// tyres, charging, location; plus a property that stays vendor (`HM.adas.status`), which
/// `entities = "mapped"` leaves out.
fn full_car(id: &str, vin: &str, battery: f64) -> (String, Vec<u8>) {
    let tyre = json!({"location": "front_left", "pressure": {"value": 2.3, "unit": "bars"}});
    let data = json!({
        "diagnostics": {"odometer": measure(19201.01, "kilometers")},
        "charging": {
            "battery_level": entry(json!(battery)),
            "estimated_range": measure(312.0, "kilometers"),
            "status": entry(json!("charging")),
            "plugged_in": entry(json!("plugged_in")),
        },
        "doors": {"locks": [
            {"data": {"location": "front_left", "lock_state": "locked"}, "timestamp": TS},
            {"data": {"location": "front_right", "lock_state": "unlocked"}, "timestamp": TS},
        ]},
        "vehicle_location": {"coordinates": entry(json!({"latitude": 48.137, "longitude": 11.575}))},
        "adas": {"status": entry(json!("on"))},
    });
    let mut data = data;
    data["diagnostics"]["tire_pressures"] = json!([{"data": tyre, "timestamp": TS}]);
    hm(id, vin, data)
}

fn number(state: &Value) -> f64 {
    let s = state["state"].as_str().unwrap_or_default();
    s.parse()
        .unwrap_or_else(|_| panic!("not a number: {state}"))
}

impl PlatformRig {
    fn ha_daemon(&self) -> Daemon {
        let sink = format!(
            "[sinks.ha]\ntype = \"homeassistant\"\nhost = \"localhost\"\nport = {port}\n\
             tls = true\nca_file = \"{ca}\"\nusername = \"vinstream\"\npassword = \"{PASSWORD}\"\n\n\
             [sinks.console]\ntype = \"stdout\"\n",
            port = self.platform.port(),
            ca = self.pki.ca.display(),
        );
        self.start_daemon(APP, "vinstream-ha-test", &sink, T)
    }

    fn home_assistant(&self) -> HomeAssistant {
        let link = MqttLink {
            port: self.platform.port(),
            ca_pem: std::fs::read_to_string(&self.pki.ca).unwrap(),
            username: "observer".into(),
            password: "observer-pw".into(),
        };
        HomeAssistant::start(self.dir.path(), &link)
    }

    /// The retained message on `topic` of the platform broker, as JSON.
    fn retained_json(&self, topic: &str) -> Value {
        let out = Command::new("mosquitto_sub")
            .args(["-h", "localhost", "-p", &self.platform.port().to_string()])
            .arg("--cafile")
            .arg(&self.pki.ca)
            .args(["-u", "observer", "-P", "observer-pw"])
            .args(["--retained-only", "-C", "1", "-W", "10", "-t", topic])
            .output()
            .expect("run mosquitto_sub");
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "retained {topic} ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    /// Remove a retained message from the platform broker (empty retained publish).
    fn clear_retained(&self, topic: &str) {
        let out = Command::new("mosquitto_pub")
            .args(["-h", "localhost", "-p", &self.platform.port().to_string()])
            .arg("--cafile")
            .arg(&self.pki.ca)
            .args([
                "-u",
                "observer",
                "-P",
                "observer-pw",
                "-q",
                "1",
                "-r",
                "-n",
                "-t",
                topic,
            ])
            .output()
            .expect("run mosquitto_pub");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Wait for the entity named `name` to satisfy `ok`, and return its state.
async fn wait_entity(ha: &HomeAssistant, name: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let what = format!("Home Assistant entity {name:?}");
    wait::until_async(&what, T, || async {
        ha.state_named(name).await.filter(|s| ok(s))
    })
    .await
}

fn live(s: &Value) -> bool {
    s["state"] != "unavailable" && s["state"] != "unknown" && s["attributes"]["restored"].is_null()
}

/// `{{ … }}` about the device of the entity named `name`, as JSON.
async fn device_of(ha: &HomeAssistant, name: &str) -> Value {
    let s = ha.state_named(name).await.expect("the entity exists");
    let id = s["entity_id"].as_str().unwrap();
    let t = format!(
        "{{% set d = device_id('{id}') %}}{{{{ {{'id': d, 'name': device_attr(d, 'name'), \
         'manufacturer': device_attr(d, 'manufacturer'), \
         'identifiers': device_attr(d, 'identifiers') | list, \
         'entities': device_entities(d) | length, 'entity_list': device_entities(d)}} | tojson }}}}"
    );
    let text = ha.template(&t).await.expect("template renders");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vehicles_become_home_assistant_devices_with_live_entities() {
    let mut rig = PlatformRig::new("vinstream", PASSWORD);
    let mut ha = rig.home_assistant();
    ha.wait_ready().await;
    let mut daemon = rig.ha_daemon();
    let provider = rig.provider().await;
    provider.publish_all([full_car("m1", VIN_A, 0.64)]).await;
    let records = daemon.wait_records_async(1, T).await;
    let paths: Vec<&str> = records[0]["signals"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["path"].as_str())
        .collect();
    assert!(paths.contains(&"HM.adas.status"), "{paths:?}");

    // Every entity, its unit, device class and state, read back from Home Assistant.
    let name = |n: &str| format!("{VIN_A} {n}");
    let battery = wait_entity(&ha, &name("Battery level"), live).await;
    assert_eq!(number(&battery), 64.0);
    assert_eq!(battery["attributes"]["unit_of_measurement"], "%");
    assert_eq!(battery["attributes"]["device_class"], "battery");
    assert_eq!(battery["attributes"]["state_class"], "measurement");
    let odo = wait_entity(&ha, &name("Odometer"), live).await;
    assert_eq!(number(&odo), 19201.01, "metres shown in km: {odo}");
    assert_eq!(odo["attributes"]["unit_of_measurement"], "km");
    assert_eq!(odo["attributes"]["state_class"], "total_increasing");
    let range = wait_entity(&ha, &name("Electric range"), live).await;
    assert_eq!(
        (number(&range), &range["attributes"]["unit_of_measurement"]),
        (312.0, &json!("km"))
    );
    let tyre = wait_entity(&ha, &name("Front left tyre pressure"), live).await;
    assert_eq!(number(&tyre), 230.0);
    assert_eq!(tyre["attributes"]["unit_of_measurement"], "kPa");
    assert_eq!(tyre["attributes"]["device_class"], "pressure");
    // HA's lock class: on = unlocked.
    let driver_lock = wait_entity(&ha, &name("Front driver-side door lock"), live).await;
    assert_eq!(driver_lock["state"], "off", "locked: {driver_lock}");
    assert_eq!(driver_lock["attributes"]["device_class"], "lock");
    let passenger_lock = wait_entity(&ha, &name("Front passenger-side door lock"), live).await;
    assert_eq!(passenger_lock["state"], "on", "unlocked: {passenger_lock}");
    let charging = wait_entity(&ha, &name("Charging"), live).await;
    assert_eq!(
        (&charging["state"], &charging["attributes"]["device_class"]),
        (&json!("on"), &json!("battery_charging"))
    );
    let plug = wait_entity(&ha, &name("Charging cable connected"), live).await;
    assert_eq!(
        (&plug["state"], &plug["attributes"]["device_class"]),
        (&json!("on"), &json!("plug"))
    );
    let status = wait_entity(&ha, &name("Charging status"), live).await;
    assert_eq!(status["state"], "CHARGING");
    let location = wait_entity(&ha, &name("Location"), live).await;
    assert!(location["entity_id"]
        .as_str()
        .unwrap()
        .starts_with("device_tracker."));
    assert_eq!(location["attributes"]["latitude"], 48.137);
    assert_eq!(location["attributes"]["longitude"], 11.575);
    assert_eq!(location["attributes"]["gps_accuracy"], 0);
    assert_eq!(
        location["state"], "not_home",
        "Munich is not the configured home (Berlin)"
    );

    let car_a = device_of(&ha, &name("Odometer")).await;
    assert_eq!(car_a["name"], VIN_A);
    assert_eq!(car_a["manufacturer"], "BMW");
    assert_eq!(
        car_a["identifiers"],
        json!([["mqtt", format!("vinstream_{VIN_A}")]])
    );
    let entities_a = car_a["entities"].as_u64().unwrap();
    let slug = VIN_A.to_lowercase();
    let mut expected: Vec<String> = [
        "binary_sensor.{}_charging",
        "binary_sensor.{}_charging_cable_connected",
        "binary_sensor.{}_discharging",
        "binary_sensor.{}_front_driver_side_door_lock",
        "binary_sensor.{}_front_passenger_side_door_lock",
        "device_tracker.{}_location",
        "sensor.{}_battery_level",
        "sensor.{}_charging_status",
        "sensor.{}_electric_range",
        "sensor.{}_front_left_tyre_pressure",
        "sensor.{}_odometer",
    ]
    .iter()
    .map(|e| e.replace("{}", &slug))
    .collect();
    expected.sort();
    let mut got: Vec<String> = serde_json::from_value(car_a["entity_list"].clone()).unwrap();
    got.sort();
    assert_eq!(
        got, expected,
        "one entity per VSS path, the location as one tracker, no vendor path"
    );

    // A new value arrives live; a second VIN is a second device.
    provider
        .publish_all([
            full_car("m2", VIN_A, 0.65),
            hm(
                "m3",
                VIN_B,
                json!({"diagnostics": {"odometer": measure(5.5, "kilometers")}}),
            ),
            hm(
                "m-bad",
                BAD_VIN,
                json!({"diagnostics": {"odometer": measure(1.0, "kilometers")}}),
            ),
        ])
        .await;
    wait_entity(&ha, &name("Battery level"), |s| {
        live(s) && number(s) == 65.0
    })
    .await;
    let odo_b = wait_entity(&ha, &format!("{VIN_B} Odometer"), live).await;
    assert_eq!(number(&odo_b), 5.5);
    let car_b = device_of(&ha, &format!("{VIN_B} Odometer")).await;
    assert_ne!(car_b["id"], car_a["id"]);
    assert_eq!(car_b["name"], VIN_B);
    assert_eq!(car_b["manufacturer"], "Volkswagen");
    assert_eq!(
        device_of(&ha, &name("Odometer")).await["entities"],
        entities_a
    );
    // A VIN that cannot be a topic level goes to the dead letter, nothing is sent for it.
    let letters = wait::until_async_sync("the bad VIN's dead letter", T, || {
        let l = rig.dead_letters();
        (!l.is_empty()).then_some(l)
    })
    .await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0]["sink"], "ha");
    assert!(
        letters[0]["reason"].as_str().unwrap().contains(BAD_VIN),
        "{letters:?}"
    );

    // Home Assistant restarts, and the broker no longer holds the discovery: HA's
    // `online` makes the daemon announce both vehicles again.
    ha.stop();
    for vin in [VIN_A, VIN_B] {
        rig.clear_retained(&format!("homeassistant/device/{vin}/config"));
    }
    ha.start_again();
    ha.wait_ready().await;
    daemon
        .wait_stderr_async("Home Assistant is online", T)
        .await;
    let battery = wait_entity(&ha, &name("Battery level"), live).await;
    assert_eq!(number(&battery), 65.0);
    wait_entity(&ha, &format!("{VIN_B} Odometer"), live).await;
    let location = wait_entity(&ha, &name("Location"), live).await;
    assert_eq!(location["attributes"]["latitude"], 48.137);
    assert_eq!(
        device_of(&ha, &name("Odometer")).await["entities"],
        entities_a
    );

    // The broker goes away: the batch waits (nothing lost) and arrives once it is back.
    rig.platform.stop();
    provider.publish_all([full_car("m4", VIN_A, 0.70)]).await;
    daemon.wait_stderr_async("retrying", T).await;
    rig.platform.start_again();
    wait_entity(&ha, &name("Battery level"), |s| {
        live(s) && number(s) == 70.0
    })
    .await;

    // A reload replaces the sink (here: vendor entities on, disabled by default): the
    // old instance's `offline` does not outlive the new one's first batch.
    let config = std::fs::read_to_string(daemon.config_path()).unwrap();
    daemon.write_config(&config.replace("[sinks.ha]\n", "[sinks.ha]\nentities = \"all\"\n"));
    daemon.sighup();
    daemon.wait_stderr_async("configuration reloaded", T).await;
    provider.publish_all([full_car("m5", VIN_A, 0.71)]).await;
    wait_entity(&ha, &name("Battery level"), |s| {
        live(s) && number(s) == 71.0
    })
    .await;
    let vendor = format!("sensor.{}_hm_adas_status", VIN_A.to_lowercase());
    let registered = "{{ integration_entities('test broker') | tojson }}";
    wait::until_async("the vendor entity in the entity registry", T, || async {
        let all = ha.template(registered).await?;
        all.contains(&vendor).then_some(())
    })
    .await;
    assert!(
        !ha.states()
            .await
            .iter()
            .any(|s| s["entity_id"] == vendor.as_str()),
        "{vendor} is disabled by default, so it has no state"
    );
    assert_eq!(
        device_of(&ha, &name("Odometer")).await["entities"],
        entities_a
    );

    // A restarted daemon reads its retained state back: a record with one path neither
    // shrinks the device nor blanks the other entities. Its file of announced entities is
    // gone here (a daemon from before the file, or a lost state_dir): the read-back
    // fills it again, which the next step depends on.
    daemon.stop(T);
    let known = rig.dir.path().join("state/sinks/ha/entities.jsonl");
    std::fs::remove_file(&known).expect("the sink keeps its announced entities");
    daemon.restart();
    daemon.wait_stderr_async("subscribed", T).await;
    let odometer_only = json!({"diagnostics": {"odometer": measure(19300.0, "kilometers")}});
    provider.publish_all([hm("m6", VIN_A, odometer_only)]).await;
    wait_entity(&ha, &name("Odometer"), |s| live(s) && number(s) == 19300.0).await;
    let battery = wait_entity(&ha, &name("Battery level"), live).await;
    assert_eq!(number(&battery), 71.0);
    assert_eq!(
        device_of(&ha, &name("Odometer")).await["entities"],
        entities_a
    );

    // The read-back can miss (QoS 0, or a broker that lost its retained messages): the
    // entities announced before are kept in state_dir, so a record with one path still
    // does not shrink the device (Home Assistant would delete the entities left out).
    let config_topic = format!("homeassistant/device/{VIN_A}/config");
    let cmps = |config: &Value| -> Vec<String> {
        let mut ids: Vec<String> = config["cmps"]
            .as_object()
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default();
        ids.sort();
        ids
    };
    let before = rig.retained_json(&config_topic);
    daemon.stop(T);
    rig.clear_retained(&format!("vinstream/{VIN_A}/state"));
    daemon.restart();
    daemon.wait_stderr_async("subscribed", T).await;
    let odometer_only = json!({"diagnostics": {"odometer": measure(19400.0, "kilometers")}});
    provider.publish_all([hm("m7", VIN_A, odometer_only)]).await;
    // Once the record is out, the sink's device config for it was acknowledged.
    wait::until_async("record m7 delivered", T, || async {
        daemon
            .records()
            .iter()
            .any(|r| r["message_id"] == "m7")
            .then_some(())
    })
    .await;
    let after = rig.retained_json(&config_topic);
    assert!(cmps(&before).len() >= entities_a as usize, "{before}");
    assert_eq!(
        cmps(&after),
        cmps(&before),
        "the device config after a missed read-back"
    );
    wait_entity(&ha, &name("Odometer"), |s| live(s) && number(s) == 19400.0).await;
    assert_eq!(
        device_of(&ha, &name("Odometer")).await["entities"],
        entities_a
    );

    // The daemon goes away: its `offline` makes every entity unavailable.
    daemon.stop(T);
    wait_entity(&ha, &name("Battery level"), |s| s["state"] == "unavailable").await;
    wait_entity(&ha, &format!("{VIN_B} Odometer"), |s| {
        s["state"] == "unavailable"
    })
    .await;
}
