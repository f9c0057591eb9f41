use super::*;
use crate::record::{testing, Signal};
use serde_json::json;

const RECEIVED: &str = "2026-11-21T22:40:00.123Z";
const RECEIVED_MS: i64 = 1_795_300_800_123;

fn sig(path: &str, value: Value, ts: Option<&str>) -> Signal {
    testing::signal(path, value, None, ts, "test")
}

fn rec(vin: &str, signals: Vec<Signal>) -> Arc<Record> {
    Arc::new(testing::record_at(vin, vin, signals, RECEIVED))
}

fn payloads(t: &Telemetry) -> Vec<Value> {
    t.publishes
        .iter()
        .map(|p| {
            assert_eq!(p.topic, TELEMETRY_TOPIC);
            serde_json::from_slice(&p.payload).unwrap()
        })
        .collect()
}

#[test]
fn connect_names_the_device_and_its_profile() {
    let p = connect("WVW123", "vehicle");
    assert_eq!(p.topic, "v1/gateway/connect");
    assert_eq!(p.payload, br#"{"device":"WVW123","type":"vehicle"}"#);
}

#[test]
fn signals_group_by_vin_and_timestamp_with_received_at_as_fallback() {
    let batch = vec![
        rec(
            "V1",
            vec![
                sig("Vehicle.Speed", json!(50.5), Some("2026-11-21T10:00:00Z")),
                sig("Vehicle.TraveledDistance", json!(1200), None),
                sig(
                    "Vehicle.IsMoving",
                    json!(true),
                    Some("2026-11-21T10:00:00.000Z"),
                ),
                sig("Vehicle.Cabin.X", json!("OPEN"), Some("not a time")),
            ],
        ),
        rec("V2", vec![sig("Vehicle.Speed", json!(7), None)]),
    ];
    let t = telemetry(&batch, KeyStyle::Path, 65536);
    assert_eq!(t.publishes.len(), 1);
    assert_eq!(
        payloads(&t)[0],
        json!({
            "V1": [
                {"ts": 1_795_255_200_000i64, "values": {"Vehicle.IsMoving": true, "Vehicle.Speed": 50.5}},
                {"ts": RECEIVED_MS, "values": {"Vehicle.Cabin.X": "OPEN", "Vehicle.TraveledDistance": 1200}}
            ],
            "V2": [{"ts": RECEIVED_MS, "values": {"Vehicle.Speed": 7}}]
        })
    );
}

#[test]
fn nulls_are_left_out_and_objects_become_json_strings() {
    let batch = vec![rec(
        "V1",
        vec![
            sig("Vehicle.TraveledDistance", Value::Null, None),
            sig("HM.diagnostics.custom_obj", json!({"x": 1, "y": "z"}), None),
            sig("HM.diagnostics.list", json!([1, "a,b"]), None),
            sig("HM.diagnostics.note", json!("a \"quoted\"\nline"), None),
        ],
    )];
    let t = telemetry(&batch, KeyStyle::Path, 65536);
    assert_eq!(t.nulls, 1);
    let v = &payloads(&t)[0]["V1"][0]["values"];
    assert_eq!(v["HM.diagnostics.custom_obj"], json!(r#"{"x":1,"y":"z"}"#));
    assert_eq!(v["HM.diagnostics.list"], json!(r#"[1,"a,b"]"#));
    assert_eq!(v["HM.diagnostics.note"], json!("a \"quoted\"\nline"));
    assert!(v.get("Vehicle.TraveledDistance").is_none());
    // all-null records produce nothing at all
    let t = telemetry(
        &[rec("V1", vec![sig("Vehicle.Speed", Value::Null, None)])],
        KeyStyle::Path,
        65536,
    );
    assert!(t.publishes.is_empty());
}

#[test]
fn flat_keys_are_snake_case() {
    assert_eq!(flat("Vehicle.Speed"), "vehicle_speed");
    assert_eq!(
        flat("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"),
        "vehicle_powertrain_traction_battery_state_of_charge_current"
    );
    assert_eq!(flat("Vehicle.OBD.DTCList"), "vehicle_obd_dtc_list");
    assert_eq!(
        flat("Vehicle.Cabin.Door.Row1.DriverSide.IsOpen"),
        "vehicle_cabin_door_row1_driver_side_is_open"
    );
    assert_eq!(
        flat("HM.diagnostics.tire_pressures[front_left]"),
        "hm_diagnostics_tire_pressures_front_left"
    );
    assert_eq!(key("Vehicle.Speed", KeyStyle::Path), "Vehicle.Speed");
    let t = telemetry(
        &[rec("V", vec![sig("Vehicle.Speed", json!(1), None)])],
        KeyStyle::Flat,
        65536,
    );
    assert_eq!(payloads(&t)[0]["V"][0]["values"]["vehicle_speed"], json!(1));
}

/// Every (vin, ts, key) → value of a set of payloads.
fn flatten(payloads: &[Value]) -> BTreeMap<(String, i64, String), Value> {
    let mut all = BTreeMap::new();
    for p in payloads {
        for (vin, entries) in p.as_object().unwrap() {
            for e in entries.as_array().unwrap() {
                let ts = e["ts"].as_i64().unwrap();
                let values = e["values"].as_object().unwrap();
                assert!(!values.is_empty(), "empty entry in {p}");
                for (k, v) in values {
                    let old = all.insert((vin.clone(), ts, k.clone()), v.clone());
                    assert!(old.is_none(), "{vin} {ts} {k} sent twice");
                }
            }
        }
    }
    all
}

#[test]
fn packing_never_exceeds_the_limit_and_never_splits_or_loses_a_pair() {
    let mut batch = Vec::new();
    for v in 0..7 {
        let signals = (0..150)
            .map(|i| {
                let ts = format!("2026-11-21T10:00:{:02}Z", i % 3);
                sig(
                    &format!("Vehicle.Custom.Signal{i:03}"),
                    json!(i * 1000 + v),
                    Some(&ts),
                )
            })
            .collect();
        batch.push(rec(&format!("VIN{v:014}"), signals));
    }
    for limit in [300, 1000, 4096, 65536] {
        let t = telemetry(&batch, KeyStyle::Path, limit);
        assert!(t.oversize.is_empty());
        for p in &t.publishes {
            let len = packet_len(&p.topic, p.payload.len());
            assert!(len <= limit, "{len} > {limit}");
        }
        let all = flatten(&payloads(&t));
        assert_eq!(all.len(), 7 * 150, "limit {limit}");
        assert_eq!(
            all[&(
                "VIN00000000000003".into(),
                1_795_255_201_000,
                "Vehicle.Custom.Signal004".into()
            )],
            json!(4003)
        );
        if limit == 65536 {
            assert_eq!(t.publishes.len(), 1);
        } else {
            // full publishes: the next pair would not have fit
            assert!(t.publishes.len() > 1);
        }
    }
}

#[test]
fn a_pair_too_large_for_any_publish_is_dropped_and_reported() {
    let big = "x".repeat(2000);
    let batch = vec![rec(
        "V1",
        vec![
            sig("Vehicle.A", json!(1), None),
            sig("HM.big", json!(big), None),
            sig("Vehicle.B", json!(2), None),
        ],
    )];
    let t = telemetry(&batch, KeyStyle::Path, 1000);
    assert_eq!(t.oversize.len(), 1);
    let refused = &t.oversize[0];
    assert_eq!(refused.vin, "V1");
    assert_eq!(refused.topic, TELEMETRY_TOPIC);
    assert!(refused.reason.contains("`HM.big`"), "{}", refused.reason);
    // what would have been sent, as valid telemetry JSON
    let sent: serde_json::Value = serde_json::from_str(&refused.payload).unwrap();
    assert_eq!(sent["V1"][0]["values"]["HM.big"], json!(big));
    let all = flatten(&payloads(&t));
    assert_eq!(all.len(), 2);
}
