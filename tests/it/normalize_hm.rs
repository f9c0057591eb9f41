//! High Mobility payloads → records, over the fixtures and hand-made cases.

use crate::support::records::assert_record_keys;
use serde_json::{json, Value};
use vinstream::providers;
use vinstream::record::ProviderKind;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn normalize_v2(payload: &[u8]) -> Value {
    let received = chrono::DateTime::parse_from_rfc3339("2026-11-21T22:40:00.123Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let record = providers::normalize(ProviderKind::HighMobilityV2, "hm", "", payload, received)
        .expect("normalizes");
    serde_json::from_slice(&record.to_json_line()).unwrap()
}

#[test]
fn docs_sample_becomes_the_spec_record() {
    let got = normalize_v2(&fixture("highmobility_v2/docs_mqtt_v2_example.json"));
    let id = "4F02FFB01650060FA8888E5C3ED46FF2A0E4A49EACF1A92E264CD0C137971B28";
    let expected = json!({
        "id": format!("hm:{id}"), "vin": "EXV10000000", "provider": "high_mobility_v2",
        "source": "hm", "message_id": id, "received_at": "2026-11-21T22:40:00.123Z",
        "signals": [
            {"path":"Vehicle.TraveledDistance","value":19201010,"unit":"m","origin":"diagnostics.odometer"},
            {"path":"Vehicle.CurrentLocation.Altitude","value":63.0,"unit":"m","timestamp":"2025-08-12T16:07:48.000Z","origin":"vehicle_location.altitude"},
            {"path":"Vehicle.CurrentLocation.Latitude","value":11.572,"unit":"degrees","timestamp":"2025-08-12T16:07:48.000Z","origin":"vehicle_location.coordinates"},
            {"path":"Vehicle.CurrentLocation.Longitude","value":8.487,"unit":"degrees","timestamp":"2025-08-12T16:07:48.000Z","origin":"vehicle_location.coordinates"}
        ]
    });
    assert_eq!(got, expected);
    // key order is part of the contract
    assert_record_keys(&got);
    // integer VSS types are JSON integers
    assert!(got["signals"][0]["value"].is_u64());
}

#[test]
fn every_v2_fixture_normalizes_and_keeps_every_value() {
    let dir = format!(
        "{}/tests/fixtures/highmobility_v2",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        seen += 1;
        let payload = std::fs::read(&path).unwrap();
        let doc: Value = serde_json::from_slice(&payload).unwrap();
        let got = normalize_v2(&payload);
        let mut entries = 0;
        for (cap, props) in doc["data"].as_object().unwrap() {
            for (prop, list) in props.as_object().unwrap() {
                for e in list.as_array().unwrap() {
                    entries += 1;
                    let origin_prefix = format!("{cap}.{prop}");
                    assert!(
                        got["signals"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|s| s["origin"].as_str().unwrap().starts_with(&origin_prefix)),
                        "{}: {origin_prefix} missing",
                        path.display()
                    );
                    let _ = e;
                }
            }
        }
        assert!(got["signals"].as_array().unwrap().len() >= entries);
    }
    assert!(seen >= 5);
}

fn signals(v: Value) -> Vec<Value> {
    let payload = json!({"version":2,"application_id":"a","message_id":"m","vin":"V","data":v});
    normalize_v2(payload.to_string().as_bytes())["signals"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn units_convert_to_vss_units() {
    let s = signals(json!({
        "diagnostics": {
            "odometer": [{"data": {"unit": "miles", "value": 100}}],
            "speed": [{"data": {"unit": "miles_per_hour", "value": 50}}]
        },
        "vehicle_location": {"heading": [{"data": {"unit": "radians", "value": std::f64::consts::PI}}]},
        "charging": {
            "battery_level": [{"data": 0.64, "timestamp": "2026-01-01T00:00:00Z"}],
            "estimated_range": [{"data": {"unit": "kilometers", "value": 312.5}}]
        },
        "climate": {"outside_temperature": [{"data": {"unit": "fahrenheit", "value": 50}}]}
    }));
    let by_path = |p: &str| {
        s.iter()
            .find(|x| x["path"] == p)
            .unwrap_or_else(|| panic!("{p}"))
    };
    assert_eq!(by_path("Vehicle.TraveledDistance")["value"], json!(160934));
    assert_eq!(by_path("Vehicle.Speed")["value"], json!(80.4672));
    assert_eq!(
        by_path("Vehicle.CurrentLocation.Heading")["value"],
        json!(180.0)
    );
    let soc = by_path("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current");
    assert_eq!(soc["value"], json!(64.0));
    assert_eq!(soc["unit"], "percent");
    assert_eq!(soc["timestamp"], "2026-01-01T00:00:00.000Z");
    assert_eq!(
        by_path("Vehicle.Powertrain.TractionBattery.Range")["value"],
        json!(312500)
    );
    assert_eq!(
        by_path("Vehicle.Exterior.AirTemperature")["value"],
        json!(10.0)
    );
    assert_eq!(
        by_path("Vehicle.Exterior.AirTemperature")["unit"],
        "Celsius"
    );
}

#[test]
fn unmapped_and_odd_values_pass_through_unchanged() {
    let s = signals(json!({
        "doors": {"inside_locks": [{"data": {"location": "front_left", "lock_state": "locked"}}]},
        "diagnostics": {
            "odometer": [{"data": "a lot"}],
            "tire_pressures": [{"data": {"location": "front_left", "pressure": {"unit": "bars", "value": 2.4}}}]
        },
        "brand_new_capability": {"gadget": {"data": {"unit": "widgets", "value": 3}}}
    }));
    assert_eq!(s[0]["path"], "HM.doors.inside_locks");
    assert_eq!(
        s[0]["value"],
        json!({"location": "front_left", "lock_state": "locked"})
    );
    assert_eq!(s[0]["origin"], "doors.inside_locks[front_left]");
    assert!(s[0].get("unit").is_none());
    assert_eq!(s[1]["path"], "HM.diagnostics.odometer");
    assert_eq!(s[1]["value"], "a lot");
    assert_eq!(s[2]["origin"], "diagnostics.tire_pressures[front_left]");
    assert_eq!(s[3]["path"], "HM.brand_new_capability.gadget");
    assert_eq!(s[3]["value"], json!(3));
    assert_eq!(s[3]["unit"], "widgets");
}

#[test]
fn failures_become_null_signals_with_the_failure() {
    let failure = json!({"reason": "rate_limit", "description": "try later"});
    let s = signals(json!({
        "diagnostics": {"odometer": [{"failure": failure, "timestamp": "2026-01-01T00:00:00.5Z"}]},
        "vehicle_location": {"coordinates": [{"failure": failure}]},
        "seats": {"persons_detected": [{"failure": failure}]}
    }));
    assert_eq!(s.len(), 4);
    assert_eq!(s[0]["path"], "Vehicle.TraveledDistance");
    assert_eq!(s[0]["value"], Value::Null);
    assert_eq!(s[0]["failure"], failure);
    assert_eq!(s[0]["timestamp"], "2026-01-01T00:00:00.500Z");
    assert_eq!(s[1]["path"], "Vehicle.CurrentLocation.Latitude");
    assert_eq!(s[2]["path"], "Vehicle.CurrentLocation.Longitude");
    assert_eq!(s[3]["path"], "HM.seats.persons_detected");
    assert_eq!(s[3]["failure"], failure);
}

#[test]
fn malformed_payloads_are_refused_with_a_reason() {
    let now = chrono::Utc::now();
    let bad = |p: &[u8]| {
        providers::normalize(ProviderKind::HighMobilityV2, "hm", "", p, now)
            .unwrap_err()
            .reason
    };
    assert!(bad(b"not json").contains("not JSON"));
    assert!(bad(b"[1,2]").contains("not a JSON object"));
    assert!(bad(br#"{"message_id":"x","data":{}}"#).contains("no `vin`"));
    assert!(bad(br#"{"vin":"","data":{}}"#).contains("vin"));
}

#[test]
fn a_missing_message_id_falls_back_to_the_payload_hash() {
    let p = br#"{"vin":"V","data":{}}"#;
    let r = providers::normalize(
        ProviderKind::HighMobilityV2,
        "hm",
        "",
        p,
        chrono::Utc::now(),
    )
    .unwrap();
    assert_eq!(r.message_id.len(), 64);
    assert_eq!(r.id, format!("hm:{}", r.message_id));
}
