//! What every normalization test checks of a record, whatever the provider: the JSON line's
//! key order (part of the output contract, SPEC §3), and that the hand-written line is
//! exactly what the `Serialize` derive writes.

use proptest::test_runner::TestCaseError;
use serde_json::{json, Value};
use vinstream::providers;
use vinstream::record::{ProviderKind, Record, Signal};

/// The keys of a record's JSON line, in their order.
pub const RECORD_KEYS: [&str; 7] = [
    "id",
    "vin",
    "provider",
    "source",
    "message_id",
    "received_at",
    "signals",
];

/// Asserts the keys of a record's JSON line are [`RECORD_KEYS`], in order.
pub fn assert_record_keys(line: &Value) {
    let keys: Vec<&String> = line.as_object().unwrap().keys().collect();
    assert_eq!(keys, RECORD_KEYS);
}

/// For property tests: the record's line is JSON with a `signals` array, and the same bytes
/// as the `Serialize` derive plus a newline.
pub fn check_json_line(rec: &Record) -> Result<(), TestCaseError> {
    let line: Value = serde_json::from_slice(&rec.to_json_line())
        .map_err(|e| TestCaseError::fail(format!("record not JSON: {e}")))?;
    proptest::prop_assert!(line["signals"].is_array());
    let mut derived = serde_json::to_vec(rec).unwrap();
    derived.push(b'\n');
    proptest::prop_assert_eq!(
        String::from_utf8(rec.to_json_line()).unwrap(),
        String::from_utf8(derived).unwrap()
    );
    Ok(())
}

/// The signals of one BMW CarData message holding `entry` (`{"value": …}`, perhaps with a
/// timestamp) under `descriptor`, for a fixed VIN.
pub fn bmw_signals(descriptor: &str, entry: Value) -> Vec<Signal> {
    let msg = json!({"vin": "WBA00000000000001", "data": { descriptor: entry }});
    providers::normalize(
        ProviderKind::BmwCardata,
        "bmw",
        "gcid/WBA00000000000001",
        msg.to_string().as_bytes(),
        chrono::Utc::now(),
    )
    .expect("normalizes")
    .signals
}
