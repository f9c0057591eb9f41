//! The record's JSON line, written by hand (see [`Record::write_json_line`]).

use super::escape::needs_escape;
use super::{with_millis, Record, Signal};
use serde_json::Value;

impl Record {
    /// Append the JSON line (newline included) to `out`, with no allocation of its own:
    /// sinks serialize a whole batch into one buffer this way.
    ///
    /// Written by hand, byte for byte what the `Serialize` derive gives (tests compare the
    /// two): serde_json runs every string through its escape table a byte at a time, and
    /// that was 17k of the 86k instructions a drain message costs, for strings — catalogue
    /// paths, units, ids — that nearly never hold anything to escape.
    pub fn write_json_line(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"id\":");
        put_str(out, &self.id);
        out.extend_from_slice(b",\"vin\":");
        put_str(out, &self.vin);
        out.extend_from_slice(b",\"provider\":");
        put_str(out, self.provider.as_str());
        out.extend_from_slice(b",\"source\":");
        put_str(out, &self.source);
        out.extend_from_slice(b",\"message_id\":");
        put_str(out, &self.message_id);
        out.extend_from_slice(b",\"received_at\":");
        with_millis(&self.received_at, |text| put_str(out, text));
        out.extend_from_slice(b",\"signals\":[");
        for (i, s) in self.signals.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            s.write_json(out);
        }
        out.extend_from_slice(b"]}\n");
    }
}

impl Signal {
    /// The derive's field order and omissions: see [`Record::write_json_line`].
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"path\":");
        put_str(out, &self.path);
        out.extend_from_slice(b",\"value\":");
        put_value(out, &self.value);
        if let Some(unit) = &self.unit {
            out.extend_from_slice(b",\"unit\":");
            put_str(out, unit);
        }
        if let Some(t) = &self.timestamp {
            out.extend_from_slice(b",\"timestamp\":");
            put_str(out, t);
        }
        out.extend_from_slice(b",\"origin\":");
        put_str(out, &self.origin);
        if let Some(f) = &self.failure {
            out.extend_from_slice(b",\"failure\":");
            put_value(out, f);
        }
        out.push(b'}');
    }
}

/// A JSON string as serde_json writes it. It escapes only `"`, `\\` and control characters
/// below U+0020, so a string without them is its bytes in quotes.
fn put_str(out: &mut Vec<u8>, s: &str) {
    if !needs_escape(s.as_bytes()) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, s).expect("a string always serializes");
    }
}

fn put_value(out: &mut Vec<u8>, v: &Value) {
    serde_json::to_writer(&mut *out, v).expect("a JSON value always serializes");
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use std::borrow::Cow;
    use std::sync::Arc;

    /// Every ASCII byte, at every position of strings of 1 to 70 bytes (so in the
    /// vectorized body of the escape scan and in its tail), is written as serde writes it.
    #[test]
    fn every_ascii_byte_anywhere_in_a_string_is_written_as_serde_writes_it() {
        for len in 1..=70 {
            for at in [0, len / 2, len - 1] {
                for byte in 0u8..0x80 {
                    let mut s = vec![b'a'; len];
                    s[at] = byte;
                    let s = String::from_utf8(s).unwrap();
                    let mut ours = Vec::new();
                    super::put_str(&mut ours, &s);
                    assert_eq!(ours, serde_json::to_vec(&s).unwrap(), "{s:?}");
                }
            }
        }
    }

    proptest::proptest! {
        /// Any text, after whatever the buffer already holds, as serde writes it.
        #[test]
        fn any_text_after_anything_is_written_as_serde_writes_it(
            before in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20),
            s in "\\PC{0,40}|[\\x00-\\x7f]{0,40}|[a-z\"\\\\]{0,24}",
        ) {
            let mut ours = before.clone();
            super::put_str(&mut ours, &s);
            let mut want = before;
            want.extend(serde_json::to_vec(&s).unwrap());
            proptest::prop_assert_eq!(ours, want);
        }
    }

    /// The hand-written line is the derive's, for strings that need escaping and strings
    /// that do not, optional keys present and absent.
    #[test]
    fn the_json_line_is_what_serde_writes() {
        let tricky = [
            "",
            "plain",
            "quote \" inside",
            "back\\slash",
            "tab\tnew\nline\u{1}\u{1f}",
            "del \u{7f} stays",
            "ünïcödé ✓ \u{200b}",
            "</script>",
        ];
        let mut n = 0;
        for a in tricky {
            for b in tricky {
                n += 1;
                let signal = |opt: bool| Signal {
                    path: Cow::Owned(format!("Vehicle.{a}")),
                    value: if opt {
                        Value::from(b)
                    } else {
                        serde_json::json!({"k": [a, 1.5]})
                    },
                    unit: opt.then(|| Cow::Owned(b.to_string())),
                    timestamp: opt.then(|| Arc::from(a)),
                    origin: Arc::from(b),
                    failure: opt.then(|| serde_json::json!({"reason": a})),
                };
                let record = Record {
                    id: format!("hm:{a}"),
                    vin: b.to_string(),
                    provider: ProviderKind::BmwCardata,
                    source: a.to_string(),
                    message_id: b.to_string(),
                    received_at: DateTime::from_timestamp_millis(1_700_000_000_123 + n).unwrap(),
                    signals: vec![signal(true), signal(false)],
                };
                let mut want = serde_json::to_vec(&record).unwrap();
                want.push(b'\n');
                assert_eq!(
                    String::from_utf8(record.to_json_line()).unwrap(),
                    String::from_utf8(want).unwrap()
                );
            }
        }
        let empty = Record {
            id: "x".into(),
            vin: "v".into(),
            provider: ProviderKind::HighMobilityV1,
            source: "s".into(),
            message_id: "m".into(),
            // a year chrono's fast path does not take: the fallback formatter
            received_at: DateTime::from_timestamp(-62_198_755_200, 0).unwrap(),
            signals: Vec::new(),
        };
        let mut want = serde_json::to_vec(&empty).unwrap();
        want.push(b'\n');
        assert_eq!(empty.to_json_line(), want);
    }
}
