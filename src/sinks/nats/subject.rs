//! Subjects and message ids: the `subject` template (`{vin}`, `{source}`), the subjects a
//! created stream listens on, and the `Nats-Msg-Id` of a record.

use crate::record::Record;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Vin,
    Source,
}

/// A parsed `subject` template; every `{field}` becomes one sanitized piece of a token.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectTemplate {
    /// Tokens (split on `.`), each a sequence of parts.
    tokens: Vec<Vec<Part>>,
}

impl SubjectTemplate {
    pub fn parse(template: &str) -> Result<SubjectTemplate, String> {
        if template.is_empty() {
            return Err("subject: must not be empty".into());
        }
        let mut tokens = Vec::new();
        for token in template.split('.') {
            let parts = parse_token(token).map_err(|e| format!("subject {template:?}: {e}"))?;
            tokens.push(parts);
        }
        Ok(SubjectTemplate { tokens })
    }

    /// The subject of one record.
    pub fn render(&self, record: &Record) -> String {
        let mut out = String::with_capacity(64);
        for (i, token) in self.tokens.iter().enumerate() {
            if i > 0 {
                out.push('.');
            }
            for part in token {
                match part {
                    Part::Text(t) => out.push_str(t),
                    Part::Vin => out.push_str(&sanitize(&record.vin)),
                    Part::Source => out.push_str(&sanitize(&record.source)),
                }
            }
        }
        out
    }

    /// The subject filter a created stream listens on: every token holding a field is `*`.
    pub fn wildcard(&self) -> String {
        let tokens: Vec<String> = self
            .tokens
            .iter()
            .map(|t| {
                let mut text = String::new();
                for part in t {
                    match part {
                        Part::Text(s) => text.push_str(s),
                        Part::Vin | Part::Source => return "*".to_string(),
                    }
                }
                text
            })
            .collect();
        tokens.join(".")
    }
}

fn parse_token(token: &str) -> Result<Vec<Part>, String> {
    if token.is_empty() {
        return Err("empty token (a leading, trailing or doubled `.`)".into());
    }
    let mut parts = Vec::new();
    let mut rest = token;
    while !rest.is_empty() {
        match rest.find('{') {
            Some(0) => {
                let end = rest
                    .find('}')
                    .ok_or_else(|| format!("unclosed `{{` in {token:?}"))?;
                parts.push(match &rest[1..end] {
                    "vin" => Part::Vin,
                    "source" => Part::Source,
                    other => {
                        return Err(format!(
                            "unknown field {{{other}}} (expected {{vin}} or {{source}})"
                        ))
                    }
                });
                rest = &rest[end + 1..];
            }
            found => {
                let end = found.unwrap_or(rest.len());
                let text = &rest[..end];
                if let Some(c) = text.chars().find(|&c| !literal_char(c)) {
                    return Err(format!("{c:?} is not allowed in a subject"));
                }
                parts.push(Part::Text(text.to_string()));
                rest = &rest[end..];
            }
        }
    }
    Ok(parts)
}

/// Literal template text: printable ASCII except the separators and wildcards.
fn literal_char(c: char) -> bool {
    c.is_ascii_graphic() && !matches!(c, '.' | '*' | '>' | '{' | '}')
}

/// One value made safe as (part of) a subject token: `.`, `*`, `>`, whitespace, control
/// and non-ASCII characters become `_`; an empty value is `_`.
pub fn sanitize(value: &str) -> String {
    if value.is_empty() {
        return "_".into();
    }
    value
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '.' | '*' | '>') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The `Nats-Msg-Id` of a record: its id, or — when the id holds a character a NATS header
/// cannot carry (CR, LF, other control characters) — `sha256:{hex}` of it. Either way the
/// same record id always gives the same header, on every replica.
pub fn message_id(record_id: &str) -> String {
    if !record_id.is_empty() && !record_id.chars().any(char::is_control) {
        return record_id.to_string();
    }
    let digest = Sha256::digest(record_id.as_bytes());
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The payload of a record: its JSON line without the trailing newline.
pub fn payload(record: &Record) -> Vec<u8> {
    let mut line = record.to_json_line();
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::testing;

    fn record(vin: &str, source: &str) -> Record {
        let mut r = testing::record(vin, "1", vec![]);
        r.source = source.into();
        r
    }

    #[test]
    fn templates_render_with_sanitized_fields() {
        let t = SubjectTemplate::parse("vehicles.{source}.{vin}").unwrap();
        assert_eq!(t.render(&record("WBA123", "hm")), "vehicles.hm.WBA123");
        assert_eq!(
            t.render(&record("a.b*c>d e\tf", "h m")),
            "vehicles.h_m.a_b_c_d_e_f"
        );
        assert_eq!(t.render(&record("", "hm")), "vehicles.hm._");
        assert_eq!(t.render(&record("VÍN", "hm")), "vehicles.hm.V_N");
        let t = SubjectTemplate::parse("fleet.vin-{vin}.raw").unwrap();
        assert_eq!(t.render(&record("X1", "hm")), "fleet.vin-X1.raw");
        assert_eq!(t.wildcard(), "fleet.*.raw");
    }

    #[test]
    fn the_default_stream_subjects_put_a_wildcard_where_a_field_is() {
        let t = SubjectTemplate::parse("vehicles.{vin}").unwrap();
        assert_eq!(t.wildcard(), "vehicles.*");
        let t = SubjectTemplate::parse("{source}.telemetry.{vin}").unwrap();
        assert_eq!(t.wildcard(), "*.telemetry.*");
        let t = SubjectTemplate::parse("all.records").unwrap();
        assert_eq!(t.wildcard(), "all.records");
    }

    #[test]
    fn bad_templates_are_refused_with_the_reason() {
        for (bad, why) in [
            ("", "empty"),
            ("vehicles..{vin}", "empty token"),
            ("vehicles.{vin}.", "empty token"),
            ("vehicles.{model}", "unknown field {model}"),
            ("vehicles.{vin", "unclosed"),
            ("vehicles.*", "'*' is not allowed"),
            ("vehicles.>", "'>' is not allowed"),
            ("vehicles .{vin}", "' ' is not allowed"),
        ] {
            let e = SubjectTemplate::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

    #[test]
    fn message_ids_are_the_record_id_unless_a_header_cannot_carry_it() {
        assert_eq!(message_id("hm:4F02FF"), "hm:4F02FF");
        assert_eq!(message_id("bmw:ab cd"), "bmw:ab cd");
        let odd = message_id("hm:evil\r\nPUB x 0");
        assert!(odd.starts_with("sha256:") && odd.len() == 7 + 64, "{odd}");
        assert_eq!(odd, message_id("hm:evil\r\nPUB x 0"));
        assert_ne!(odd, message_id("hm:evil\nPUB x 0"));
        assert!(message_id("").starts_with("sha256:"));
    }

    #[test]
    fn the_payload_is_the_json_line_without_its_newline() {
        let r = record("V", "hm");
        let p = payload(&r);
        assert_eq!(p.last(), Some(&b'}'));
        let mut line = p.clone();
        line.push(b'\n');
        assert_eq!(line, r.to_json_line());
    }
}
