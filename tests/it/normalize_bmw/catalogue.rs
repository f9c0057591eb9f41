//! One message per descriptor of BMW's catalogue, with a value of the kind and range the
//! catalogue names: every one normalizes, into VSS or under its vendor name.

use super::*;

fn catalogue() -> Value {
    let path = format!(
        "{}/tests/data/bmw-cardata-catalogue.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// The numbers in a catalogue range ("0 km to 500000 km", "-90,0000 to + 90,0000",
/// "0-1000 kPa"): a `-` is a sign only where no digit precedes it; `,` between digits is
/// a decimal comma.
fn numbers_in(range: &str) -> Vec<f64> {
    let chars: Vec<char> = range.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let sign = chars[i] == '-'
            && chars.get(i + 1).is_some_and(char::is_ascii_digit)
            && (i == 0 || !chars[i - 1].is_ascii_alphanumeric());
        if chars[i].is_ascii_digit() || sign {
            let start = i;
            i += 1;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || ((chars[i] == '.' || chars[i] == ',')
                        && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                i += 1;
            }
            let text: String = chars[start..i]
                .iter()
                .map(|&c| if c == ',' { '.' } else { c })
                .collect();
            if let Ok(n) = text.parse() {
                out.push(n);
            }
        } else {
            i += 1;
        }
    }
    out
}

/// A value of the descriptor's catalogue type inside its catalogue range.
fn sample_value(item: &Value) -> Value {
    let datatype = item["datatype"].as_str().unwrap_or("");
    let range = item["range"].as_str().unwrap_or("");
    let first_word = range
        .split([',', ';', '\n'])
        .map(str::trim)
        .find(|w| !w.is_empty());
    match datatype {
        "boolean" => match first_word {
            Some(w) if w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("false") => {
                json!(true)
            }
            Some(w) => json!(w),
            None => json!(true),
        },
        "string" => json!(first_word.unwrap_or("x")),
        "uint8" | "uint16" | "uint32" | "int8" | "int16" | "int32" | "float" | "double" => {
            let v = match numbers_in(range)[..] {
                [a, b, ..] => (a + b) / 2.0,
                [a] => a,
                [] => 1.0,
            };
            if datatype.starts_with("float") || datatype == "double" {
                json!(v)
            } else {
                json!(v.round() as i64)
            }
        }
        // no or an empty datatype (fault memory, 12 V state of charge): an object
        _ => json!({"raw": range}),
    }
}

fn catalogue_message(descriptor: &str, item: &Value) -> (Value, Value) {
    let value = sample_value(item);
    let mut entry = json!({"timestamp": TS, "value": value});
    if let Some(unit) = item["unit"].as_str().filter(|u| !u.is_empty()) {
        entry["unit"] = json!(unit);
    }
    let msg = json!({
        "vin": VIN, "entityId": "8f5a2a64-6c3f-4d1e-9a5e-2b7f1c0d9e11", "topic": VIN,
        "timestamp": "2025-10-18T19:09:05.091Z", "data": { descriptor: entry }
    });
    (msg, value)
}

/// Catalogue descriptors whose catalogue-derived sample legitimately does not map.
const SAMPLE_PASSES_THROUGH: &[(&str, &str)] = &[
    (
        "vehicle.drivetrain.electricEngine.charging.status",
        "its range column lists MANUAL_SELECTION…, not the statuses its description names",
    ),
    (
        "vehicle.body.chargingPort.dcStatus",
        "a partial row: its first range word, DISCONNECTED, leaves an AC cable possible",
    ),
];

#[test]
fn every_catalogue_descriptor_normalizes() {
    let cat = catalogue();
    let items = cat["items"].as_object().unwrap();
    assert_eq!(
        items.len() as u64,
        cat["metadata"]["total_items"].as_u64().unwrap()
    );
    let mut messages = 0;
    let mut mapped = 0;
    for (descriptor, item) in items {
        let (msg, value) = catalogue_message(descriptor, item);
        let payload = msg.to_string();
        let rec = normalize(TOPIC, payload.as_bytes())
            .unwrap_or_else(|e| panic!("{descriptor}: refused: {e}"));
        messages += 1;
        assert!(!rec.signals.is_empty(), "{descriptor}: no signal");
        for s in &rec.signals {
            assert_eq!(&*s.origin, &**descriptor);
            assert_eq!(s.timestamp.as_deref(), Some(TSN), "{descriptor}");
        }
        let row = mapping::lookup(descriptor).filter(|r| !matches!(r.rule, Rule::Keep(_)));
        let expect_mapped =
            row.is_some() && !SAMPLE_PASSES_THROUGH.iter().any(|(d, _)| d == descriptor);
        if expect_mapped {
            mapped += 1;
            let row = row.unwrap();
            let targets = row.rule.targets();
            let want = match row.rule {
                Rule::ChargingStatus(_) => 1..=2,
                _ => targets.len()..=targets.len(),
            };
            assert!(
                want.contains(&rec.signals.len()),
                "{descriptor}: {} signals for {value}",
                rec.signals.len()
            );
            for s in &rec.signals {
                assert!(
                    targets.contains(&&*s.path),
                    "{descriptor}: {value} became {} {:?}, not one of {targets:?}",
                    s.path,
                    s.value
                );
                // the leaf's datatype (JSON form), unit, range and allowed values
                crate::bmw_vss::fits_leaf(&s.path, &s.value, s.unit.as_deref())
                    .unwrap_or_else(|e| panic!("{descriptor}: {value}: {e}"));
            }
        } else {
            assert_eq!(rec.signals.len(), 1, "{descriptor}");
            let s = &rec.signals[0];
            assert_eq!(s.path, format!("BMW.{descriptor}"));
            assert_eq!(s.value, value, "{descriptor}: value as sent");
            assert_eq!(
                s.unit.as_deref(),
                item["unit"].as_str().filter(|u| !u.is_empty()),
                "{descriptor}: unit as sent"
            );
        }
        // the same with zero-width spaces after every dot (as in catalogue exports)
        let zw_descriptor = descriptor.replace('.', ".\u{200b}");
        let (zw_msg, _) = catalogue_message(&zw_descriptor, item);
        let zw = normalize(TOPIC, zw_msg.to_string().as_bytes()).unwrap();
        let paths = |r: &Record| r.signals.iter().map(|s| s.path.clone()).collect::<Vec<_>>();
        assert_eq!(paths(&zw), paths(&rec), "{descriptor} with U+200B");
        assert!(zw.signals.iter().all(|s| *s.origin == **descriptor));
    }
    assert_eq!(messages, items.len());
    assert_eq!(messages, 244);
    // every row whose descriptor is in this catalogue maps its sample, and the rows
    // missing from this 2025-09 cache are the ones signals.md names from other sources
    let in_catalogue = mapping::ROWS
        .iter()
        .filter(|r| !matches!(r.rule, Rule::Keep(_)) && items.contains_key(r.descriptor))
        .count();
    assert_eq!(mapped + SAMPLE_PASSES_THROUGH.len(), in_catalogue);
    let missing: BTreeSet<&str> = mapping::ROWS
        .iter()
        .filter(|r| !matches!(r.rule, Rule::Keep(_)) && !items.contains_key(r.descriptor))
        .map(|r| r.descriptor)
        .collect();
    assert_eq!(
        missing,
        BTreeSet::from([
            "vehicle.body.chargingPort.lockedStatus",
            "vehicle.cabin.door.lock.status",
            "vehicle.drivetrain.fuelSystem.remainingFuelRange",
            "vehicle.powertrain.electric.battery.stateOfCharge.displayed",
            "vehicle.powertrain.electric.battery.stateOfHealth.displayed",
        ])
    );
}

#[test]
fn catalogue_ranges_yield_the_numbers_they_name() {
    assert_eq!(
        numbers_in("0 km to 500000 km\nor\n0 mi to 310686 mi")[..2],
        [0.0, 500000.0]
    );
    assert_eq!(numbers_in("-90,0000 to + 90,0000"), [-90.0, 90.0]);
    assert_eq!(numbers_in("0-1000 kPa or -NA-"), [0.0, 1000.0]);
    assert_eq!(numbers_in("-100% to 100%"), [-100.0, 100.0]);
    assert_eq!(numbers_in("0 – 65500 Min, INVALID"), [0.0, 65500.0]);
}
