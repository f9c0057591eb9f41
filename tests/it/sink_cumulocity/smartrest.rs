//! The observer's side of the Cumulocity tests: SmartREST 2.0 rows decoded and checked
//! against the static templates of reference/sinks.md (template ids and arities, CSV
//! quoting, the publish size limit), and the queries the tests ask of them.

use super::LIMIT;
use crate::support::platform::packet_len;

/// Rows of a payload, each split into unescaped fields (quotes with `\"` inside).
fn parse(payload: &str) -> Vec<Vec<String>> {
    assert!(payload.ends_with('\n'), "unterminated row in {payload:?}");
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut was_quoted, mut chars) = (false, false, payload.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted && chars.peek() == Some(&'"') => field.push(chars.next().unwrap()),
            '"' if quoted => quoted = false,
            '"' if field.is_empty() && !was_quoted => (quoted, was_quoted) = (true, true),
            '"' => panic!("unescaped quote in {payload:?}"),
            ',' if !quoted => {
                row.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\n' if !quoted => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                was_quoted = false;
            }
            _ => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quote in {payload:?}");
    rows
}

fn is_time(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

fn is_num(s: &str) -> bool {
    s.parse::<f64>().is_ok()
}

/// Every publish checked against the templates; returns (topic, fields) per row in order.
pub(super) fn check(msgs: &[(String, Vec<u8>)]) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (topic, payload) in msgs {
        assert!(
            packet_len(topic, payload.len()) <= LIMIT,
            "{} bytes",
            payload.len()
        );
        let text = std::str::from_utf8(payload).unwrap();
        for f in parse(text) {
            let n = f.len();
            let ok = match (topic.as_str(), f[0].as_str()) {
                ("s/us", "100") => n == 3,
                ("s/us", "101") => n == 4 && f[1] == f[2] && f[3] == "c8y_Vehicle",
                (t, "201") if t.starts_with("s/us/") => {
                    n >= 7
                        && (n - 3) % 4 == 0
                        && f[1] == "vss_Measurement"
                        && is_time(&f[2])
                        && f[3..]
                            .chunks(4)
                            .all(|g| !g[0].is_empty() && !g[1].is_empty() && is_num(&g[2]))
                }
                (t, "200") if t.starts_with("s/us/") => n == 6 && is_num(&f[3]) && is_time(&f[5]),
                (t, "402") if t.starts_with("s/us/") => {
                    n == 6 && is_num(&f[1]) && is_num(&f[2]) && is_time(&f[5])
                }
                (t, "400") if t.starts_with("s/us/") => {
                    n == 4 && !f[2].is_empty() && is_time(&f[3])
                }
                _ => false,
            };
            assert!(ok, "bad row on {topic}: {f:?} in {text:?}");
            out.push((topic.clone(), f));
        }
    }
    out
}

/// Rows on `s/us/{vin}` starting with `id`.
pub(super) fn rows<'a>(
    all: &'a [(String, Vec<String>)],
    vin: &str,
    id: &str,
) -> Vec<&'a Vec<String>> {
    let topic = format!("s/us/{vin}");
    all.iter()
        .filter(|(t, f)| *t == topic && f[0] == id)
        .map(|(_, f)| f)
        .collect()
}

/// 201 series (fragment, series, value, unit, time) of a VIN.
pub(super) fn series(all: &[(String, Vec<String>)], vin: &str) -> Vec<[String; 5]> {
    let mut out = Vec::new();
    for f in rows(all, vin, "201") {
        for g in f[3..].chunks(4) {
            out.push([
                g[0].clone(),
                g[1].clone(),
                g[2].clone(),
                g[3].clone(),
                f[2].clone(),
            ]);
        }
    }
    out
}

/// Index of every `100`, and the count of `101` per VIN, checking that a VIN's data
/// always follows its `101` on the same connection (after the latest `100`).
pub(super) fn announcements(all: &[(String, Vec<String>)], vin: &str) -> (usize, usize) {
    let (mut hellos, mut children, mut child_here) = (0, 0, false);
    for (t, f) in all {
        match (t.as_str(), f[0].as_str()) {
            ("s/us", "100") => (hellos, child_here) = (hellos + 1, false),
            ("s/us", "101") if f[1] == vin => {
                assert!(hellos > 0, "101 before 100: {all:?}");
                (children, child_here) = (children + 1, true);
            }
            (t, _) if t == format!("s/us/{vin}") => assert!(child_here, "data before 101: {all:?}"),
            _ => {}
        }
    }
    (hellos, children)
}
