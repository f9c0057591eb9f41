//! Property tests of High Mobility normalization: arbitrary JSON anywhere in a valid
//! message, schema-generated messages with random entries, and arbitrary bytes.
//! `normalize` must never panic, must accept every JSON object with a VIN, and every
//! signal must trace back to a `capability.property` of the input.

mod messages;

use crate::hm_schema::{check_record, received};
use crate::support::json_gen::{config, JsonGen};
use crate::support::records::check_json_line;
use crate::support::schema_gen::{v1_message, v1_schema, v2_message, v2_schema, Mode, Rng};
use messages::{base_message, substitute, POSITIONS};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::OnceLock;
use vinstream::providers;
use vinstream::record::{ProviderKind, Record};

fn normalize(kind: ProviderKind, payload: &[u8]) -> Result<Record, providers::Malformed> {
    providers::normalize(kind, "hm", "", payload, received())
}

// ---------------------------------------------------------------------------------
// strategies

const WORDS: &[&str] = &[
    "",
    " ",
    "\u{200b}",
    "2025-08-12T16:07:48Z",
    "2021-10-06T13:59:25.648943123Z",
    "9999-12-31T23:59:59-23:59",
    "0000-01-01T00:00:00+23:59",
    "2025-02-30T25:61:61Z",
    "kilometers",
    "miles",
    "meters",
    "celsius",
    "fahrenheit",
    "kelvin",
    "radians",
    "degrees",
    "kilopascals",
    "front_left",
    "NaN",
    "Infinity",
    "-1e999",
    "日本語🚗",
    "[x]",
    "a.b",
    "right",
    "left",
    "diagnostics",
    "odometer",
];

const KEYS: &[&str] = &[
    "data",
    "timestamp",
    "failure",
    "availability",
    "unit",
    "value",
    "location",
    "latitude",
    "longitude",
    "reason",
    "description",
    "vin",
    "message_id",
    "odometer",
    "diagnostics",
    "vehicle_information",
    "driver_seat_location",
    "doors",
    "positions",
    "locks",
    "capability",
    "property",
];

/// Arbitrary High Mobility-flavoured JSON (tests/support/json_gen.rs).
const GEN: JsonGen = JsonGen {
    words: WORDS,
    keys: KEYS,
    floats: &[
        1e308,
        -1e308,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        5e-324,
        -0.0,
        1e20,
        -1e20,
        0.5,
        -273.15,
        19201.01,
    ],
    integer_extremes: true,
    depth: 4,
    size: 48,
    branch: 6,
    width: 6,
};

/// What the contract says about the (possibly mutated) message: accepted when the
/// envelope is an object with a `vin` string.
fn vin_ok(msg: &Value) -> Option<bool> {
    match msg.get("vin") {
        // A whitespace-only VIN names no vehicle: refused like a missing one.
        Some(Value::String(s)) if s.trim().is_empty() => Some(false),
        Some(Value::String(_)) => Some(true),
        _ => Some(false),
    }
}

/// MQTT topics: none, V1-shaped (`{env}/level13/{app}/{vin}/{capability}/get/{property}`)
/// with arbitrary parts, V2-shaped, or anything.
fn arb_topic() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        (GEN.string(), GEN.string(), GEN.string()).prop_map(|(vin, cap, prop)| {
            format!("live/level13/2F4D0A59-AB1D-4C7A-8E0F-00C0FFEE0001/{vin}/{cap}/get/{prop}")
        }),
        Just("sandbox/level13/2F4D0A59-AB1D-4C7A-8E0F-00C0FFEE0001".to_string()),
        "[/a-z0-9+#]{0,40}",
        GEN.string(),
    ]
}

fn check_mutated(kind: ProviderKind, topic: &str, msg: &Value) -> Result<(), TestCaseError> {
    let payload = serde_json::to_vec(msg).unwrap();
    // compare against the message as normalize reads it: serde_json's default float
    // parsing may land one ULP off an f64's shortest repr (see `float_values_round_trip`)
    let msg: &Value = &serde_json::from_slice(&payload).unwrap();
    let got = providers::normalize(kind, "hm", topic, &payload, received());
    match (vin_ok(msg), &got) {
        (Some(true), Err(e)) => {
            return Err(TestCaseError::fail(format!("refused ({e}): {msg}")));
        }
        (Some(false), Ok(_)) => {
            return Err(TestCaseError::fail(format!(
                "accepted without a vin: {msg}"
            )));
        }
        _ => {}
    }
    if let Ok(rec) = got {
        check_json_line(&rec)?;
        if let Err(problems) = check_record(msg, &rec) {
            return Err(TestCaseError::fail(format!(
                "{problems}\ninput: {msg}\nrecord: {}",
                String::from_utf8_lossy(&rec.to_json_line())
            )));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// (a) arbitrary JSON at any position of a valid V2 (and V1) message: no panic; a
    /// message with a VIN is accepted; every origin is an input `capability.property`,
    /// every path VSS or `HM.capability.property`, every entry leaves a signal.
    #[test]
    fn arbitrary_json_anywhere_in_a_v2_message(
        seed in any::<u64>(),
        pos in prop::sample::select(POSITIONS),
        n in any::<u64>(),
        key in GEN.key(),
        v in GEN.json(),
        topic in arb_topic(),
    ) {
        let mut msg = base_message(seed, false);
        substitute(&mut msg, pos, n, &key, v);
        check_mutated(ProviderKind::HighMobilityV2, &topic, &msg)?;
    }

    #[test]
    fn arbitrary_json_anywhere_in_a_v1_message(
        seed in any::<u64>(),
        pos in prop::sample::select(POSITIONS),
        n in any::<u64>(),
        key in GEN.key(),
        v in GEN.json(),
        topic in arb_topic(),
    ) {
        let mut msg = base_message(seed, true);
        substitute(&mut msg, pos, n, &key, v);
        check_mutated(ProviderKind::HighMobilityV1, &topic, &msg)?;
    }

    /// (b) schema-generated messages with random entries (0–4 per property, failures,
    /// availability, missing data) keep every leaf: signals ≥ entries, per property
    /// and in total.
    #[test]
    fn generated_messages_keep_every_entry(seed in any::<u64>(), v1 in any::<bool>()) {
        let msg = base_message(seed, v1);
        let kind = if v1 { ProviderKind::HighMobilityV1 } else { ProviderKind::HighMobilityV2 };
        let payload = serde_json::to_vec(&msg).unwrap();
        let msg: Value = serde_json::from_slice(&payload).unwrap();
        let rec = normalize(kind, &payload)
            .map_err(|e| TestCaseError::fail(format!("refused ({e}): {msg}")))?;
        let cov = check_record(&msg, &rec)
            .map_err(|p| TestCaseError::fail(format!("{p}\ninput: {msg}")))?;
        prop_assert!(cov.degenerate.is_empty());
        prop_assert!(rec.signals.len() >= cov.entries, "{} signals < {} entries", rec.signals.len(), cov.entries);
    }

    /// (c) arbitrary bytes, and valid HM V1, HM V2 and BMW messages with bytes flipped, inserted, deleted or
    /// cut off: no panic for any provider kind; anything accepted has a VIN and
    /// serializes.
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512),
            (0..valid_payloads().len(), prop::collection::vec((any::<usize>(), 0u8..4, any::<u8>()), 1..8))
                .prop_map(|(i, ops)| mutate(&valid_payloads()[i], &ops)),
        ],
    ) {
        for kind in [ProviderKind::HighMobilityV2, ProviderKind::HighMobilityV1, ProviderKind::BmwCardata] {
            if let Ok(rec) = normalize(kind, &bytes) {
                prop_assert!(!rec.vin.is_empty());
                let _ = rec.to_json_line();
            }
        }
    }
}

fn valid_payloads() -> &'static Vec<Vec<u8>> {
    static P: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    P.get_or_init(|| {
        let v2 = v2_schema();
        let v1 = v1_schema();
        let mut out = Vec::new();
        for cap in ["vehicle_location", "doors", "ignition"] {
            let m = v2_message(&[v2.capability(cap).unwrap()], 1, Mode::Typical);
            out.push(serde_json::to_vec(&m).unwrap());
        }
        let cap = v1.capability("diagnostics").unwrap();
        for prop in ["odometer", "tire_pressures"] {
            let p = cap.properties.iter().find(|p| p.name == prop).unwrap();
            out.push(serde_json::to_vec(&v1_message(cap, p, 1, Mode::Typical)).unwrap());
        }
        // BMW CarData payloads as integrations report them.
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bmw_cardata");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                out.push(std::fs::read(&path).unwrap());
            }
        }
        assert!(out.len() >= 8, "the BMW fixtures are there");
        out
    })
}

fn mutate(base: &[u8], ops: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut b = base.to_vec();
    for &(at, op, byte) in ops {
        if b.is_empty() {
            b.push(byte);
            continue;
        }
        let i = at % b.len();
        match op {
            0 => b[i] = byte,
            1 => b.insert(i, byte),
            2 => {
                b.remove(i);
            }
            _ => b.truncate(i),
        }
    }
    b
}

/// A whitespace-only VIN names no vehicle: it goes to the dead letter like a missing one.
#[test]
fn blank_vin_is_refused() {
    for vin in [" ", "\u{a0}", "\t"] {
        let msg = json!({"version": 2, "message_id": "m", "vin": vin, "data": {}});
        let got = normalize(
            ProviderKind::HighMobilityV2,
            &serde_json::to_vec(&msg).unwrap(),
        );
        assert!(got.is_err(), "vin {vin:?}: {got:?}");
    }
}

/// A pass-through value keeps "its value as sent" (SPEC §3). serde_json without its
/// `float_roundtrip` feature parses some 17-digit / extreme-exponent decimals one ULP
/// off, so the record prints a different number than the payload carried.
#[test]
fn float_values_round_trip() {
    for raw in [
        "-1.3188213442120732e-266",
        "0.30000000000000004",
        "1.7976931348623157e308",
    ] {
        let payload = format!(
            r#"{{"version":2,"message_id":"m","vin":"V","data":{{"usage":{{"x":[{{"data":{raw}}}]}}}}}}"#
        );
        let rec = normalize(ProviderKind::HighMobilityV2, payload.as_bytes()).unwrap();
        let want: f64 = raw.parse().unwrap();
        assert_eq!(rec.signals[0].value, json!(want), "{raw}");
    }
}
