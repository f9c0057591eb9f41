use super::*;
use crate::record::{testing, Signal};
use serde_json::json;

const RECEIVED: &str = "2026-11-21T22:40:00.123Z";
const LIMIT: usize = 16_184;

fn sig(path: &str, value: Value, unit: Option<&str>, ts: Option<&str>) -> Signal {
    testing::signal(path, value, unit, ts, "test")
}

fn rec(vin: &str, signals: Vec<Signal>) -> Arc<Record> {
    Arc::new(testing::record_at(vin, vin, signals, RECEIVED))
}

/// All rows of all publishes, checking each publish ends with a full row.
fn rows_of(out: &Output) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for p in &out.publishes {
        let text = std::str::from_utf8(&p.payload).unwrap();
        assert!(text.ends_with('\n'), "{text:?}");
        for line in split_rows(text) {
            rows.push((p.topic.clone(), line));
        }
    }
    rows
}

/// Split on newlines outside quotes.
fn split_rows(text: &str) -> Vec<String> {
    let (mut rows, mut cur, mut quoted, mut escaped) = (Vec::new(), String::new(), false, false);
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '\n' if !quoted => {
                rows.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    assert!(cur.is_empty() && !quoted, "unterminated row {cur:?}");
    rows
}

#[test]
fn escaping_quotes_only_what_needs_it() {
    assert_eq!(escape("plain"), "plain");
    assert_eq!(escape(""), "");
    assert_eq!(escape("a,b"), "\"a,b\"");
    assert_eq!(escape("say \"hi\""), "\"say \\\"hi\\\"\"");
    assert_eq!(escape("two\nlines"), "\"two\nlines\"");
    assert_eq!(escape("cr\rtab\t"), "\"cr\rtab\t\"");
    assert_eq!(escape(" lead"), "\" lead\"");
    assert_eq!(escape("trail "), "\"trail \"");
    assert_eq!(escape("in side"), "in side");
    assert_eq!(
        row(&["400", "t", "a, \"b\"\nc", "2026"]),
        "400,t,\"a, \\\"b\\\"\nc\",2026\n"
    );
}

#[test]
fn device_and_child_rows() {
    assert_eq!(
        device("vinstream", "c8y_vinstream"),
        "100,vinstream,c8y_vinstream\n"
    );
    assert_eq!(child("WVW1", "c8y_Vehicle"), "101,WVW1,WVW1,c8y_Vehicle\n");
    assert_eq!(child("a,b", "t"), "101,\"a,b\",\"a,b\",t\n");
}

#[test]
fn fragments_and_series_come_from_the_path() {
    let fs = |p| fragment_series(p);
    assert_eq!(
        fs("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"),
        (
            "Vehicle_Powertrain_TractionBattery_StateOfCharge".into(),
            "Current".into()
        )
    );
    assert_eq!(fs("Vehicle.Speed"), ("Vehicle".into(), "Speed".into()));
    assert_eq!(
        fs("HM.diagnostics.tire_pressures[front_left]"),
        ("HM_diagnostics".into(), "tire_pressures_front_left_".into())
    );
    assert_eq!(fs("odd"), ("odd".into(), "odd".into()));
}

#[test]
fn numbers_become_one_201_row_per_vin_and_time() {
    let batch = vec![rec(
        "V1",
        vec![
            sig(
                "Vehicle.Speed",
                json!(50.5),
                Some("km/h"),
                Some("2026-11-21T10:00:00Z"),
            ),
            sig("Vehicle.TraveledDistance", json!(1200), Some("m"), None),
            sig(
                "Vehicle.Powertrain.Range",
                json!(300000),
                Some("m"),
                Some("2026-11-21T10:00:00.000Z"),
            ),
            sig("Vehicle.Count", json!(3), None, None),
        ],
    )];
    let out = batch_rows(&batch, true, LIMIT, &EventMemory::new());
    assert_eq!(out.vins, vec!["V1".to_string()]);
    assert_eq!(
        rows_of(&out),
        vec![
            (
                "s/us/V1".into(),
                "201,vss_Measurement,2026-11-21T10:00:00.000Z,Vehicle,Speed,50.5,km/h,\
                 Vehicle_Powertrain,Range,300000,m"
                    .into()
            ),
            (
                "s/us/V1".into(),
                "201,vss_Measurement,2026-11-21T22:40:00.123Z,Vehicle,Count,3,,\
                 Vehicle,TraveledDistance,1200,m"
                    .into()
            ),
        ]
    );
    let out = batch_rows(&batch, false, LIMIT, &EventMemory::new());
    let rows: Vec<String> = rows_of(&out).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        rows,
        vec![
            "200,Vehicle,Speed,50.5,km/h,2026-11-21T10:00:00.000Z",
            "200,Vehicle_Powertrain,Range,300000,m,2026-11-21T10:00:00.000Z",
            "200,Vehicle,Count,3,,2026-11-21T22:40:00.123Z",
            "200,Vehicle,TraveledDistance,1200,m,2026-11-21T22:40:00.123Z",
        ]
    );
}

#[test]
fn position_needs_both_coordinates() {
    let t = Some("2025-08-12T16:07:48.000Z");
    let both = rec(
        "V1",
        vec![
            sig(ALTITUDE, json!(63.0), Some("m"), t),
            sig(LATITUDE, json!(11.572), Some("degrees"), t),
            sig(LONGITUDE, json!(8.487), Some("degrees"), t),
        ],
    );
    let out = batch_rows(&[both], true, LIMIT, &EventMemory::new());
    let rows: Vec<String> = rows_of(&out).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        rows,
        vec!["402,11.572,8.487,63.0,,2025-08-12T16:07:48.000Z"]
    );

    let lone = rec("V1", vec![sig(LATITUDE, json!(11.5), Some("degrees"), t)]);
    let nulled = rec(
        "V2",
        vec![
            sig(LATITUDE, json!(1.0), None, t),
            sig(LONGITUDE, Value::Null, None, t),
        ],
    );
    let out = batch_rows(&[lone, nulled], true, LIMIT, &EventMemory::new());
    let rows = rows_of(&out);
    assert!(rows.iter().all(|(_, r)| !r.starts_with("402")), "{rows:?}");
    assert_eq!(
        rows[0].1,
        "201,vss_Measurement,2025-08-12T16:07:48.000Z,Vehicle_CurrentLocation,Latitude,11.5,degrees"
    );
    assert_eq!(out.nulls, 1);
}

#[test]
fn events_only_on_change_per_vin_and_path_remembered_across_batches() {
    let door = "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen";
    let status = "Vehicle.Powertrain.TractionBattery.Charging.Status";
    let batch = vec![
        rec(
            "V1",
            vec![
                sig(door, json!(true), None, None),
                sig(status, json!("CHARGING"), None, None),
            ],
        ),
        rec("V1", vec![sig(door, json!(true), None, None)]),
        rec("V2", vec![sig(door, json!(true), None, None)]),
        rec(
            "V1",
            vec![
                sig(door, json!(false), None, None),
                sig(status, Value::Null, None, None),
            ],
        ),
    ];
    let out = batch_rows(&batch, true, LIMIT, &EventMemory::new());
    let rows: Vec<String> = rows_of(&out)
        .into_iter()
        .map(|(t, r)| format!("{t} {r}"))
        .collect();
    let t = "2026-11-21T22:40:00.123Z";
    assert_eq!(
        rows,
        vec![
            format!("s/us/V1 400,Vehicle_Cabin_Door_Row1_DriverSide_IsOpen,{door}: true,{t}"),
            format!("s/us/V1 400,Vehicle_Powertrain_TractionBattery_Charging_Status,{status}: CHARGING,{t}"),
            format!("s/us/V1 400,Vehicle_Cabin_Door_Row1_DriverSide_IsOpen,{door}: false,{t}"),
            format!("s/us/V2 400,Vehicle_Cabin_Door_Row1_DriverSide_IsOpen,{door}: true,{t}"),
        ]
    );
    // Applied after the ack, the memory suppresses repeats in the next batch.
    let memory: EventMemory = out.remembered.into_iter().collect();
    assert_eq!(memory[&("V1".to_string(), door.to_string())], json!(false));
    assert_eq!(
        memory[&("V1".to_string(), status.to_string())],
        json!("CHARGING")
    );
    let next = vec![
        rec(
            "V1",
            vec![
                sig(door, json!(false), None, None),
                sig(status, json!("CHARGING"), None, None),
            ],
        ),
        rec("V2", vec![sig(door, json!(false), None, None)]),
    ];
    let out = batch_rows(&next, true, LIMIT, &memory);
    let rows: Vec<String> = rows_of(&out)
        .into_iter()
        .map(|(t, r)| format!("{t} {r}"))
        .collect();
    assert_eq!(
        rows,
        vec![format!(
            "s/us/V2 400,Vehicle_Cabin_Door_Row1_DriverSide_IsOpen,{door}: false,{t}"
        )]
    );
    assert_eq!(out.vins, vec!["V2".to_string()]);
}

#[test]
fn event_texts_are_escaped_and_objects_are_json() {
    let batch = vec![rec(
        "V1",
        vec![
            sig("HM.diagnostics.note", json!("a,b \"c\"\nd"), None, None),
            sig("HM.diagnostics.obj", json!({"x": 1, "y": "z"}), None, None),
        ],
    )];
    let out = batch_rows(&batch, true, LIMIT, &EventMemory::new());
    let text = std::str::from_utf8(&out.publishes[0].payload).unwrap();
    assert_eq!(
        text,
        "400,HM_diagnostics_note,\"HM.diagnostics.note: a,b \\\"c\\\"\nd\",2026-11-21T22:40:00.123Z\n\
         400,HM_diagnostics_obj,\"HM.diagnostics.obj: {\\\"x\\\":1,\\\"y\\\":\\\"z\\\"}\",2026-11-21T22:40:00.123Z\n"
    );
    let long = rec("V1", vec![sig("HM.x", json!("é".repeat(3000)), None, None)]);
    let out = batch_rows(&[long], true, LIMIT, &EventMemory::new());
    let rows = rows_of(&out);
    assert!(rows[0].1.len() < MAX_TEXT + 100 && rows[0].1.contains("..."));
}

#[test]
fn unusable_vins_are_skipped() {
    for vin in ["", "a/b", "a+b", "a#"] {
        assert!(!usable_vin(vin), "{vin}");
    }
    let out = batch_rows(
        &[rec("a/b", vec![sig("Vehicle.Speed", json!(1), None, None)])],
        true,
        LIMIT,
        &EventMemory::new(),
    );
    assert!(out.publishes.is_empty());
    assert_eq!(out.bad_vins, vec!["a/b".to_string()]);
}

#[test]
fn packing_stays_within_the_limit_and_never_splits_a_row() {
    let signals: Vec<Signal> = (0..700)
        .map(|i| {
            let ts = format!("2026-11-21T10:00:{:02}Z", i % 4);
            sig(
                &format!("HM.diagnostics.custom_property_{i:04}"),
                json!(i),
                Some("km"),
                Some(&ts),
            )
        })
        .collect();
    let events: Vec<Signal> = (0..300)
        .map(|i| {
            sig(
                &format!("HM.state.s{i}"),
                json!(format!("v,\"{i}\"\n")),
                None,
                None,
            )
        })
        .collect();
    let batch = vec![rec("VIN1", signals), rec("VIN1", events)];
    for (limit, use_201) in [(LIMIT, true), (LIMIT, false), (1000, true), (300, true)] {
        let out = batch_rows(&batch, use_201, limit, &EventMemory::new());
        assert!(out.oversize.is_empty());
        assert!(out.publishes.len() > 1);
        for p in &out.publishes {
            assert!(packet_len(&p.topic, p.payload.len()) <= limit);
        }
        let rows = rows_of(&out);
        let series: usize = rows
            .iter()
            .map(|(_, r)| match &r[..4] {
                "201," => (r.split(',').count() - 3) / 4,
                "200," => 1,
                _ => 0,
            })
            .sum();
        assert_eq!(series, 700, "limit {limit}");
        assert_eq!(
            rows.iter().filter(|(_, r)| r.starts_with("400,")).count(),
            300
        );
        for (_, r) in &rows {
            if r.starts_with("201,") {
                assert_eq!((r.split(',').count() - 3) % 4, 0, "{r}");
            }
        }
    }
}

#[test]
fn a_row_too_large_for_any_publish_is_returned_not_packed() {
    let rows = vec!["1\n".to_string(), "x".repeat(500) + "\n", "2\n".to_string()];
    let (pubs, dropped) = pack("s/us/V", &rows, 100);
    assert_eq!(dropped, vec!["x".repeat(500) + "\n"]);
    assert_eq!(pubs.len(), 1);
    assert_eq!(pubs[0].payload, b"1\n2\n");
}
