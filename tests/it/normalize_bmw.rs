//! BMW CarData payloads → records: the fixtures, table-driven cases over every mapped
//! row, one message per descriptor of BMW's catalogue, and arbitrary JSON anywhere.

mod arbitrary;
mod cases;
mod catalogue;

use crate::support::json_gen::{config, JsonGen};
use crate::support::records::{assert_record_keys, check_json_line};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use vinstream::providers::bmw::mapping::{self, Rule};
use vinstream::providers::{self, Malformed};
use vinstream::record::{ProviderKind, Record};

const VIN: &str = "WBA00000000000001";
const TOPIC: &str = "8f5a2a64-6c3f-4d1e-9a5e-2b7f1c0d9e11/WBA00000000000001";
/// The entries' timestamp in the cases and catalogue messages, and as records show it.
const TS: &str = "2025-10-18T19:09:04Z";
const TSN: &str = "2025-10-18T19:09:04.000Z";

fn received() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-21T22:40:00.123Z")
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn normalize(topic: &str, payload: &[u8]) -> Result<Record, Malformed> {
    providers::normalize(ProviderKind::BmwCardata, "bmw", topic, payload, received())
}

fn record_json(topic: &str, payload: &[u8]) -> Value {
    let record = normalize(topic, payload).expect("normalizes");
    serde_json::from_slice(&record.to_json_line()).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The signals of a message whose `data` is `data`.
fn signals_of(data: Value) -> Value {
    let payload = json!({
        "vin": VIN, "entityId": "8f5a2a64-6c3f-4d1e-9a5e-2b7f1c0d9e11", "topic": VIN,
        "timestamp": "2025-10-18T19:09:05.091Z", "data": data
    });
    record_json(TOPIC, payload.to_string().as_bytes())["signals"].clone()
}

// ---------------------------------------------------------------------------------
// fixtures

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/bmw_cardata/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `(file, MQTT topic, expected record)`; the hashes are `sha256sum` of the files.
fn fixture_cases() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "thirdparty_doc_travelledDistance.json",
            "187d32c4-6ce2-470f-9f3d-81ba54bcc4da/WBAJA91000CD48772",
            json!({
                "id": "bmw:e66096bcbd3f128b6605f5e4402f39ed7abf9fb29dd035a38fdbb96fb535020d",
                "vin": "WBAJA91000CD48772",
                "provider": "bmw_cardata",
                "source": "bmw",
                "message_id": "e66096bcbd3f128b6605f5e4402f39ed7abf9fb29dd035a38fdbb96fb535020d",
                "received_at": "2026-11-21T22:40:00.123Z",
                "signals": [
                    {"path": "Vehicle.TraveledDistance", "value": 87897000, "unit": "m",
                     "timestamp": "2025-10-18T19:09:04.000Z", "origin": "vehicle.vehicle.travelledDistance"}
                ]
            }),
        ),
        (
            "iobroker_comment_preferenceSmartCharging.json",
            "34ddc38-93220-423330-93101-fcd292373/WBY11HH",
            json!({
                "id": "bmw:0af0986cd9034ec50212244becb46102e855df85aeb5f28f26ab6364a40b2744",
                "vin": "WBY11HH",
                "provider": "bmw_cardata",
                "source": "bmw",
                "message_id": "0af0986cd9034ec50212244becb46102e855df85aeb5f28f26ab6364a40b2744",
                "received_at": "2026-11-21T22:40:00.123Z",
                "signals": [
                    {"path": "BMW.vehicle.powertrain.electric.battery.charging.preferenceSmartCharging",
                     "value": "PRICE_OPTIMIZED", "timestamp": "2025-10-01T10:12:39.000Z",
                     "origin": "vehicle.powertrain.electric.battery.charging.preferenceSmartCharging"}
                ]
            }),
        ),
        (
            "reconstructed_whi_tw_readme_rear_left_door.json",
            "0d9b8c61-0c56-4e0f-8f3c-3a8d5a4f7b21/WBAJE5C55KG123456",
            json!({
                "id": "bmw:2eb4ab33f6159dd05896876acf72703b4693dba6352cfd00ce670a632ef18f49",
                "vin": "WBAJE5C55KG123456",
                "provider": "bmw_cardata",
                "source": "bmw",
                "message_id": "2eb4ab33f6159dd05896876acf72703b4693dba6352cfd00ce670a632ef18f49",
                "received_at": "2026-11-21T22:40:00.123Z",
                "signals": [
                    {"path": "Vehicle.Cabin.Door.Row2.DriverSide.IsOpen", "value": false,
                     "timestamp": "2025-09-17T12:18:19.000Z", "origin": "vehicle.cabin.door.row2.driver.isOpen"}
                ]
            }),
        ),
    ]
}

#[test]
fn every_fixture_normalizes_to_its_expected_record() {
    let cases = fixture_cases();
    let dir = format!("{}/tests/fixtures/bmw_cardata", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    let mut named: Vec<String> = cases.iter().map(|(f, ..)| f.to_string()).collect();
    named.sort();
    assert_eq!(files, named, "every fixture needs an expected record here");
    for (file, topic, expected) in cases {
        let payload = fixture(file);
        let got = record_json(topic, &payload);
        assert_eq!(got, expected, "{file}");
        assert_eq!(got["message_id"], sha256_hex(&payload), "{file}");
        assert_record_keys(&got);
    }
}

// ---------------------------------------------------------------------------------
// envelope

#[test]
fn id_is_the_sha256_of_the_bytes_stable_and_distinct() {
    let a = br#"{"vin":"WBA00000000000001","data":{"vehicle.isMoving":{"value":true}}}"#;
    let b = br#"{"vin":"WBA00000000000001","data":{"vehicle.isMoving":{"value":true}} }"#;
    let ra = normalize(TOPIC, a).unwrap();
    let ra2 = normalize(TOPIC, a).unwrap();
    let rb = normalize(TOPIC, b).unwrap();
    assert_eq!(ra.message_id, sha256_hex(a));
    assert_eq!(ra.id, format!("bmw:{}", ra.message_id));
    assert_eq!(ra.message_id.len(), 64);
    assert!(ra
        .message_id
        .chars()
        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
    assert_eq!(ra.id, ra2.id);
    assert_ne!(ra.id, rb.id, "one byte more is another message");
    assert_eq!(ra.signals, rb.signals);
    assert_eq!(ra.provider, ProviderKind::BmwCardata);
    assert_eq!(ra.source, "bmw");
}

#[test]
fn malformed_payloads_are_refused_with_a_reason() {
    let bad = |p: &[u8]| normalize(TOPIC, p).unwrap_err().reason;
    assert!(bad(b"not json").contains("not JSON"));
    assert!(bad(b"").contains("not JSON"));
    assert!(bad(b"[1,2]").contains("not a JSON object"));
    assert!(bad(b"\"WBA\"").contains("not a JSON object"));
    assert!(bad(br#"{"data":{}}"#).contains("no `vin`"));
    assert!(bad(br#"{"vin":"","data":{}}"#).contains("vin"));
    assert!(bad(br#"{"vin":" \t","data":{}}"#).contains("vin"));
    assert!(bad(br#"{"vin":12345,"data":{}}"#).contains("vin"));
    assert!(bad(br#"{"vin":null}"#).contains("vin"));
}

#[test]
fn the_envelope_is_lenient_about_everything_but_the_vin() {
    for (payload, n) in [
        (json!({"vin": VIN}), 0),
        (json!({"vin": VIN, "data": null}), 0),
        (json!({"vin": VIN, "data": {}}), 0),
        (json!({"vin": VIN, "data": [1, 2]}), 1),
        (
            json!({"vin": VIN, "data": "x", "entityId": 5, "timestamp": {}}),
            1,
        ),
    ] {
        let r = normalize(TOPIC, payload.to_string().as_bytes()).expect("accepted");
        assert_eq!(r.signals.len(), n, "{payload}");
        if n == 1 {
            assert_eq!(r.signals[0].path, "BMW.data");
            assert_eq!(&*r.signals[0].origin, "data");
            assert_eq!(r.signals[0].value, payload["data"]);
        }
    }
}

#[test]
fn a_topic_naming_another_vin_does_not_change_the_record() {
    let payload = json!({"vin": VIN, "data": {"vehicle.isMoving": {"value": true}}}).to_string();
    let here = normalize(TOPIC, payload.as_bytes()).unwrap();
    for topic in [
        "gcid/WBAOTHERVIN000000",
        "",
        "no-slash",
        "gcid/",
        "a/b/c/WBA",
    ] {
        let r = normalize(topic, payload.as_bytes()).unwrap();
        assert_eq!(r.vin, VIN, "{topic}");
        assert_eq!(r, here, "{topic}");
    }
}

#[test]
fn strip_zero_width_is_exported_for_configured_names() {
    use vinstream::providers::bmw::normalize::strip_zero_width;
    assert_eq!(
        strip_zero_width("\u{200b} vehicle.\u{200b}body.\u{200b}hood.isOpen \u{200b}"),
        "vehicle.body.hood.isOpen"
    );
    assert_eq!(strip_zero_width("vehicle.isMoving"), "vehicle.isMoving");
}
