//! What a High Mobility record depends on (the message and the vehicles' driver side, never
//! what this process saw before), and the inputs it is read from: V1 fixtures, a payload
//! without its capability wrapper, bytes that are not UTF-8.

use super::*;

fn record_for(vin: &str, data: Value, vehicles: &providers::Vehicles) -> vinstream::record::Record {
    let payload =
        json!({"version": 2, "application_id": "a", "message_id": "m", "vin": vin, "data": data});
    providers::normalize_for(
        ProviderKind::HighMobilityV2,
        "hm",
        "",
        payload.to_string().as_bytes(),
        chrono::Utc::now(),
        vehicles,
    )
    .expect("normalizes")
}

#[test]
fn a_right_hand_drive_car_maps_left_doors_to_the_passenger_side() {
    let door = || json!({"doors": {"positions": [{"data": {"location": "front_left", "position": "open"}}]}});
    let seat = json!({"vehicle_information": {"driver_seat_location": [{"data": "right"}]}});
    // reported in the same message
    let mut both = seat.clone();
    both["doors"] = door()["doors"].clone();
    let r = record_for("RHD-VIN-1", both, &Default::default());
    assert!(r
        .signals
        .iter()
        .any(|s| s.path == "Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen"));
    // reported in an earlier message: what the caller learnt from it is the input
    let mut vehicles = providers::Vehicles::default();
    vehicles.learn(&record_for("RHD-VIN-1", seat, &vehicles));
    let got = record_for("RHD-VIN-1", door(), &vehicles);
    assert_eq!(
        got.signals[0].path,
        "Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen"
    );
    let lhd = record_for("LHD-VIN-1", door(), &vehicles);
    assert_eq!(
        lhd.signals[0].path,
        "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen"
    );
}

#[test]
fn normalize_depends_on_the_message_and_its_inputs_only() {
    // issue 19 item 7: a process-global memory made door paths depend on earlier
    // messages. The stateless entry point now gives the same record whatever came before.
    let door =
        json!({"doors": {"positions": [{"data": {"location": "front_left", "position": "open"}}]}});
    let before = signals_of("PURE-VIN-1", door.clone());
    signals_of(
        "PURE-VIN-1",
        json!({"vehicle_information": {"driver_seat_location": [{"data": "right"}]}}),
    );
    assert_eq!(signals_of("PURE-VIN-1", door), before);
    assert_eq!(
        before[0]["path"],
        "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen"
    );
}

#[test]
fn every_v1_fixture_normalizes_without_a_dead_letter() {
    let dir = format!(
        "{}/tests/fixtures/highmobility_v1",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        n += 1;
        let payload = std::fs::read(&path).unwrap();
        let doc: Value = serde_json::from_slice(&payload).unwrap();
        let r = providers::normalize(
            ProviderKind::HighMobilityV1,
            "hm",
            "",
            &payload,
            chrono::Utc::now(),
        )
        .unwrap_or_else(|m| panic!("{}: {m}", path.display()));
        assert!(!r.signals.is_empty(), "{}", path.display());
        let prefix = format!(
            "{}.{}",
            doc["capability"].as_str().unwrap(),
            doc["property"].as_str().unwrap()
        );
        assert!(
            r.signals.iter().all(|s| s.origin.starts_with(&prefix)),
            "{}: {:?}",
            path.display(),
            r.signals.iter().map(|s| &s.origin).collect::<Vec<_>>()
        );
    }
    assert!(n >= 14, "{n} fixtures");
}

#[test]
fn the_v1_fixture_without_a_capability_wrapper_is_repaired() {
    let payload = std::fs::read(format!(
        "{}/tests/fixtures/highmobility_v1/explorer_MALFORMED_maintenance_time_to_next_service.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let r = providers::normalize(
        ProviderKind::HighMobilityV1,
        "hm",
        "",
        &payload,
        chrono::Utc::now(),
    )
    .unwrap();
    assert_eq!(r.signals[0].path, "Vehicle.Service.TimeToService");
    assert_eq!(r.signals[0].value, json!(14 * 86400));
}

/// A payload that is not valid UTF-8 (inside a string, or outside one) is refused with
/// serde_json's own message and position, as when every payload was parsed as bytes; a
/// valid one with non-ASCII text keeps it.
#[test]
fn invalid_utf8_is_refused_with_serde_jsons_message_and_non_ascii_text_is_kept() {
    let normalize = |payload: &[u8]| {
        providers::normalize(
            ProviderKind::HighMobilityV2,
            "hm",
            "",
            payload,
            chrono::Utc::now(),
        )
    };
    let good = br#"{"version":2,"application_id":"a","message_id":"m","vin":"V","data":{"charging":{"status":[{"data":"charging"}]}}}"#;
    for bad in [
        good.to_vec()
            .splice(59..59, [0xff, 0xfe])
            .collect::<Vec<u8>>(), // inside "vin"
        [&good[..], b" \xc3"].concat(), // after the document
        b"{\"version\":2,\"vin\":\"\xe2\x82\"}".to_vec(), // truncated sequence
    ] {
        let expected = serde_json::from_slice::<Value>(&bad).unwrap_err();
        let err = normalize(&bad).expect_err("invalid UTF-8 accepted");
        assert_eq!(err.reason, format!("payload is not JSON: {expected}"));
    }
    let text = String::from_utf8(good.to_vec())
        .unwrap()
        .replace("\"m\"", "\"mëssage-✓\"");
    let record = normalize(text.as_bytes()).expect("valid UTF-8 refused");
    assert_eq!(record.message_id, "mëssage-✓");
}
