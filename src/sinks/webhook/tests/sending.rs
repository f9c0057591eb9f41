//! The sending side: signature, body, Retry-After, backoff, which 4xx are retried, and the
//! rejected-batch file with its cap.

use super::*;

#[test]
fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
    // RFC 4231 test case 2
    assert_eq!(
        http::sign(b"Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn the_body_is_a_json_array_of_the_records() {
    let body = http::json_array(&[br#"{"a":1}"#.to_vec(), br#"{"b":2}"#.to_vec()]);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v, serde_json::json!([{"a":1},{"b":2}]));
    assert_eq!(http::json_array(&[]), b"[]");
}

#[test]
fn retry_after_takes_seconds_or_a_date_and_is_capped() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_400); // 2015-10-21 07:26:40Z
    assert_eq!(http::retry_after("1", now), Some(Duration::from_secs(1)));
    assert_eq!(
        http::retry_after(" 120 ", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        http::retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
        Some(Duration::from_secs(80))
    );
    assert_eq!(
        http::retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
        Some(Duration::ZERO)
    );
    assert_eq!(
        http::retry_after("86400", now),
        Some(Duration::from_secs(600))
    );
    assert_eq!(http::retry_after("soon", now), None);
}

#[test]
fn backoff_doubles_with_jitter_up_to_a_minute_and_resets() {
    let mut b = Backoff::default();
    let first = b.next_delay();
    assert!(first >= Duration::from_millis(250) && first <= Duration::from_millis(500));
    for _ in 0..20 {
        let d = b.next_delay();
        assert!(d <= Duration::from_secs(60), "{d:?}");
    }
    let late = b.next_delay();
    assert!(late >= Duration::from_secs(30), "{late:?}");
    b.reset();
    assert!(b.next_delay() <= Duration::from_millis(500));
}

#[test]
fn a_rejected_line_holds_the_batch_and_the_answer() {
    let line = super::super::sender::rejected_line(
        "hook",
        "abc-1-8",
        400,
        "bad \"batch\"",
        &[br#"{"id":"x"}"#.to_vec()],
    );
    assert_eq!(line.last(), Some(&b'\n'));
    let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
    assert_eq!(v["sink"], "hook");
    assert_eq!(v["batch_id"], "abc-1-8");
    assert_eq!(v["status"], 400);
    assert_eq!(v["response"], "bad \"batch\"");
    assert_eq!(v["records"], serde_json::json!([{"id":"x"}]));
    assert!(v["rejected_at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn auth_and_url_4xx_are_retried_and_only_batch_4xx_rejected() {
    for code in [401, 403, 404, 405, 407, 408, 410, 421, 425, 429] {
        assert!(http::endpoint_status(code).is_some(), "{code} is retried");
    }
    for code in [400, 409, 411, 413, 415, 422, 431, 451] {
        assert!(http::endpoint_status(code).is_none(), "{code} is rejected");
    }
}

#[test]
fn rejected_jsonl_stays_under_its_cap_and_counts_what_it_drops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rejected.jsonl");
    let older = dir.path().join("rejected.jsonl.1");
    let line = |i: usize| format!("{{\"batch\":{i:04},\"pad\":\"{}\"}}\n", "x".repeat(80));
    let max = 1000;
    let mut dropped = 0;
    for i in 0..100 {
        dropped += super::super::sender::append_rejected(&path, line(i).as_bytes(), max).unwrap();
        let total = fs::metadata(&path).map_or(0, |m| m.len())
            + fs::metadata(&older).map_or(0, |m| m.len());
        assert!(total <= max, "{total} bytes after {i} lines");
    }
    let kept: Vec<String> = [&older, &path]
        .iter()
        .flat_map(|p| {
            fs::read_to_string(p)
                .unwrap()
                .lines()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        kept.len() as u64 + dropped,
        100,
        "every batch kept or counted"
    );
    assert_eq!(
        kept.last().unwrap(),
        line(99).trim_end(),
        "the newest are kept"
    );
}
