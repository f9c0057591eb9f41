//! `vinstream normalize`: the daemon's own normalization, run over a file or stdin, so
//! users can see exactly what a payload becomes.

use crate::providers;
use crate::record::ProviderKind;
use chrono::Utc;
use std::io::Write;

/// Split input into payloads: a sequence of JSON documents (one per line, or pretty
/// printed); if the input is not such a sequence, every non-empty line is one payload.
pub fn split_payloads(input: &[u8]) -> Vec<&[u8]> {
    let mut docs = Vec::new();
    let mut stream =
        serde_json::Deserializer::from_slice(input).into_iter::<serde::de::IgnoredAny>();
    let mut start = 0;
    loop {
        match stream.next() {
            Some(Ok(_)) => {
                let end = stream.byte_offset();
                docs.push(trim(&input[start..end]));
                start = end;
            }
            None => return docs,
            Some(Err(_)) => break,
        }
    }
    input
        .split(|b| *b == b'\n')
        .map(trim)
        .filter(|l| !l.is_empty())
        .collect()
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

/// Normalize every payload, records to `out`, problems to `err`. Returns how many failed.
pub fn normalize_all(
    kind: ProviderKind,
    format_name: &str,
    input: &[u8],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<usize> {
    let mut failed = 0;
    // what the input's own earlier messages say of the vehicles (a driver-seat report
    // before the doors), as the daemon would have learnt it; nothing from elsewhere
    let mut vehicles = providers::Vehicles::default();
    for (i, payload) in split_payloads(input).into_iter().enumerate() {
        match providers::normalize_for(kind, format_name, "", payload, Utc::now(), &vehicles) {
            Ok(record) => {
                vehicles.learn(&record);
                out.write_all(&record.to_json_line())?;
            }
            Err(m) => {
                failed += 1;
                writeln!(err, "payload {}: {}", i + 1, m.reason)?;
            }
        }
    }
    out.flush()?;
    Ok(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_and_pretty_documents() {
        assert_eq!(split_payloads(b"{\"a\":1}\n{\"b\":2}\n").len(), 2);
        assert_eq!(
            split_payloads(b"{\n  \"a\": 1\n}\n{\n \"b\": [1,\n 2]\n}").len(),
            2
        );
        let mixed = split_payloads(b"{\"a\":1}\nnot json\n\n{\"b\":2}");
        assert_eq!(mixed, vec![&b"{\"a\":1}"[..], b"not json", b"{\"b\":2}"]);
    }
}
