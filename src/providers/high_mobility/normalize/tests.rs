//! The arena the payload's tree lives in: reused, reset, and let go when a payload grew it.

use super::normalize;
use crate::providers::high_mobility::node::{arena_bytes, ARENA_KEPT};
use crate::providers::vehicles::Vehicles;
use crate::record::{ProviderKind, Record};
use chrono::{TimeZone, Utc};

fn run(payload: &str) -> Record {
    let at = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
    normalize(
        ProviderKind::HighMobilityV2,
        "hm",
        "t",
        payload.as_bytes(),
        at,
        &Vehicles::default(),
    )
    .unwrap()
}

const PAYLOAD: &str = r#"{"version":2,"message_id":"M1","vin":"VIN1","data":{"diagnostics":{"odometer":[{"data":{"unit":"kilometers","value":54321.3},"timestamp":"2026-11-21T10:00:00.123Z"}]},"charging":{"battery_level":[{"data":0.57,"timestamp":"2026-11-21T10:00:00.123Z"}],"status":[{"data":"charging","timestamp":"2026-11-21T10:00:00Z"}]}}}"#;

#[test]
fn a_message_after_another_reads_the_same_from_the_reset_arena() {
    let first = run(PAYLOAD);
    assert_eq!(first.signals.len(), 5, "{first:?}");
    for _ in 0..3 {
        assert_eq!(run(PAYLOAD), first);
    }
    // kept for the next message, and no bigger than one message needs
    let kept = arena_bytes();
    assert!(kept > 0 && kept <= 64 * 1024, "{kept}");
}

#[test]
fn an_escaped_payload_goes_through_serde_json_into_the_arena_alike() {
    // `\u0031` and `\/` make the fast reader decline; serde_json's tree is copied in
    let escaped = PAYLOAD
        .replace(r#""vin":"VIN1""#, r#""vin":"VIN\u0031""#)
        .replace("2026-11-21T10:00:00Z", r"2026-11-21T10:00:00Z\/");
    let plain = PAYLOAD.replace("2026-11-21T10:00:00Z", "2026-11-21T10:00:00Z/");
    assert_eq!(run(&escaped), run(&plain));
    assert_eq!(run(&escaped).vin, "VIN1");
}

#[test]
fn an_arena_grown_by_a_large_payload_is_let_go() {
    let entries: Vec<String> = (0..40_000)
        .map(|i| format!(r#"{{"data":{{"id":"C{i}"}},"timestamp":"2026-11-21T10:00:00Z"}}"#))
        .collect();
    let large = format!(
        r#"{{"version":2,"message_id":"M2","vin":"VIN1","data":{{"diagnostics":{{"nothing_mapped_here":[{}]}}}}}}"#,
        entries.join(",")
    );
    let record = run(&large);
    assert_eq!(record.signals.len(), 40_000);
    let after = arena_bytes();
    assert!(after <= ARENA_KEPT, "{after}");
    // and the next message still reads
    assert_eq!(run(PAYLOAD).signals.len(), 5);
}
