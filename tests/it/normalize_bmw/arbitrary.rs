//! Arbitrary JSON anywhere in a BMW message (property test).

use super::*;

const WORDS: &[&str] = &[
    "",
    " ",
    "\u{200b}",
    "2025-10-18T19:09:04Z",
    "2025-02-30T25:61:61Z",
    "9999-12-31T23:59:59-23:59",
    "km",
    "mi",
    "miles",
    "%",
    "percent",
    "null",
    "°C",
    "gal",
    "kW",
    "min",
    "ASN_isTrue",
    "ASN_isUnknown",
    "OPEN",
    "INVALID",
    "-NA-",
    "CHARGINGACTIVE",
    "SELECTIVE-LOCKED",
    "NaN",
    "inf",
    "-1e999",
    "1e400",
    "87897",
    "日本語🚗",
    "WBA00000000000001",
];

/// Descriptors a message is built from: every row plus unknown names.
fn descriptors() -> Vec<String> {
    let mut d: Vec<String> = mapping::ROWS
        .iter()
        .map(|r| r.descriptor.to_string())
        .collect();
    d.extend(
        [
            "vehicle.unknown.value",
            "vehicle.vehicleIdentification.basicVehicleData",
            "vehicle.\u{200b}isMoving",
            "",
        ]
        .map(str::to_string),
    );
    d
}

/// Arbitrary BMW-flavoured JSON (tests/support/json_gen.rs).
const GEN: JsonGen = JsonGen {
    words: WORDS,
    keys: &["value", "unit", "timestamp", "vin", "data"],
    floats: &[
        0.0,
        1.0,
        -1.0,
        0.5,
        100.0,
        255.5,
        1e308,
        -1e308,
        5e-324,
        4294967295.6,
        1e20,
    ],
    integer_extremes: false,
    depth: 3,
    size: 32,
    branch: 5,
    width: 5,
};

/// A plausible entry: a value from the words, numbers or booleans, a unit, a timestamp.
fn arb_entry() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            prop::sample::select(WORDS).prop_map(|w| json!(w)),
            GEN.number(),
            any::<bool>().prop_map(Value::Bool),
        ],
        prop::option::of(prop::sample::select(WORDS)),
        prop::option::of(prop::sample::select(WORDS)),
    )
        .prop_map(|(value, unit, ts)| {
            let mut e = json!({ "value": value });
            if let Some(u) = unit {
                e["unit"] = json!(u);
            }
            if let Some(t) = ts {
                e["timestamp"] = json!(t);
            }
            e
        })
}

/// Where in a message the arbitrary value goes.
#[derive(Debug, Clone, Copy)]
enum Pos {
    Vin,
    Data,
    EnvelopeField,
    Entry,
    Value,
    Unit,
    Timestamp,
    EntryExtra,
    NewDescriptor,
}

fn base_message(picks: &[(usize, Value)]) -> Value {
    let names = descriptors();
    let mut data = Map::new();
    for (i, entry) in picks {
        data.insert(names[i % names.len()].clone(), entry.clone());
    }
    json!({
        "vin": VIN, "entityId": "8f5a2a64-6c3f-4d1e-9a5e-2b7f1c0d9e11", "topic": VIN,
        "timestamp": "2025-10-18T19:09:05.091Z", "data": data
    })
}

fn substitute(msg: &mut Value, pos: Pos, n: usize, key: &str, v: Value) {
    let keys: Vec<String> = msg["data"]
        .as_object()
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default();
    let pick = (!keys.is_empty()).then(|| keys[n % keys.len()].clone());
    fn entry<'a>(msg: &'a mut Value, pick: &Option<String>) -> Option<&'a mut Value> {
        msg["data"].get_mut(pick.as_ref()?)
    }
    match pos {
        Pos::Vin => msg["vin"] = v,
        Pos::Data => msg["data"] = v,
        Pos::EnvelopeField => {
            let field = ["entityId", "topic", "timestamp", key][n % 4].to_string();
            if field != "vin" && field != "data" {
                msg[field.as_str()] = v;
            }
        }
        Pos::Entry => {
            if let Some(e) = entry(msg, &pick) {
                *e = v;
            }
        }
        Pos::Value | Pos::Unit | Pos::Timestamp | Pos::EntryExtra => {
            let field = match pos {
                Pos::Value => "value",
                Pos::Unit => "unit",
                Pos::Timestamp => "timestamp",
                _ => key,
            };
            if let Some(Value::Object(e)) = entry(msg, &pick) {
                e.insert(field.to_string(), v);
            }
        }
        Pos::NewDescriptor => {
            if let Some(d) = msg["data"].as_object_mut() {
                d.insert(key.to_string(), v);
            }
        }
    }
}

fn check(topic: &str, msg: &Value) -> Result<(), TestCaseError> {
    let payload = serde_json::to_vec(msg).unwrap();
    let got = normalize(topic, &payload);
    let vin_ok = matches!(msg.get("vin"), Some(Value::String(s)) if !s.trim().is_empty());
    let rec = match (vin_ok, got) {
        (true, Ok(rec)) => rec,
        (false, Err(_)) => return Ok(()),
        (true, Err(e)) => return Err(TestCaseError::fail(format!("refused ({e}): {msg}"))),
        (false, Ok(_)) => return Err(TestCaseError::fail(format!("accepted: {msg}"))),
    };
    prop_assert_eq!(&rec.message_id, &sha256_hex(&payload));
    check_json_line(&rec)?;
    match &msg["data"] {
        Value::Object(data) => {
            let origins: BTreeSet<String> =
                data.keys().map(|k| k.replace('\u{200b}', "")).collect();
            prop_assert!(rec.signals.len() >= data.len());
            for s in &rec.signals {
                prop_assert!(
                    origins.contains(&*s.origin),
                    "origin {:?}: {}",
                    s.origin,
                    msg
                );
                prop_assert!(
                    s.path.starts_with("Vehicle.") || s.path.starts_with("BMW."),
                    "path {}",
                    s.path
                );
                if s.path.starts_with("Vehicle.") {
                    prop_assert!(!s.path.contains('*'));
                    prop_assert!(s.value.is_null() || !s.value.is_object());
                    // a real leaf, in its datatype, unit, range and allowed values
                    if let Err(e) = crate::bmw_vss::fits_leaf(&s.path, &s.value, s.unit.as_deref())
                    {
                        return Err(TestCaseError::fail(format!("{e}: {msg}")));
                    }
                }
            }
            for k in data.keys() {
                let o = k.replace('\u{200b}', "");
                prop_assert!(rec.signals.iter().any(|s| *s.origin == o), "{k} lost");
            }
        }
        Value::Null => prop_assert!(rec.signals.is_empty()),
        other if msg.get("data").is_some() => {
            prop_assert_eq!(rec.signals.len(), 1);
            prop_assert_eq!(&rec.signals[0].value, other);
        }
        _ => prop_assert!(rec.signals.is_empty()),
    }
    Ok(())
}

fn arb_topic() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(TOPIC.to_string()),
        GEN.string()
            .prop_map(|vin| format!("8f5a2a64-6c3f-4d1e-9a5e-2b7f1c0d9e11/{vin}")),
        GEN.string(),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary JSON at any position of a BMW message: no panic; a message with a VIN
    /// is accepted, its id is the payload hash, every data entry leaves a signal whose
    /// origin is that entry's descriptor, and every path is VSS or `BMW.`.
    #[test]
    fn arbitrary_json_anywhere_in_a_bmw_message(
        picks in prop::collection::vec((any::<usize>(), arb_entry()), 0..6),
        pos in prop::sample::select(vec![
            Pos::Vin, Pos::Data, Pos::EnvelopeField, Pos::Entry, Pos::Value, Pos::Unit,
            Pos::Timestamp, Pos::EntryExtra, Pos::NewDescriptor,
        ]),
        n in any::<usize>(),
        key in GEN.string(),
        v in GEN.json(),
        topic in arb_topic(),
    ) {
        let mut msg = base_message(&picks);
        substitute(&mut msg, pos, n, &key, v);
        check(&topic, &msg)?;
    }
}
