//! The contract between a High Mobility message and its record, checked signal by signal:
//! shared with the property tests (`hm_proptest`).

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use vinstream::record::{ProviderKind, Record};

const ENTRY_KEYS: [&str; 4] = ["data", "timestamp", "failure", "availability"];

pub(crate) fn received() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-21T22:40:00.123Z")
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// What one record covers: per `(capability, property)` the paths its signals took.
#[derive(Debug, Default)]
pub(crate) struct Coverage {
    pub paths: BTreeMap<(String, String), BTreeSet<String>>,
    /// `(capability, property)` with at least one entry in the message.
    pub with_entries: BTreeSet<(String, String)>,
    /// Σ entries over all properties of the message.
    pub entries: usize,
    /// Signals whose origin names no property (a capability or `data` that was not an
    /// object): `(origin, path)`.
    pub degenerate: Vec<(String, String)>,
}

/// Is `o` an entry in the sense of the level 13 schema (only entry keys, at least one)?
pub(crate) fn is_entry_shaped(o: &serde_json::Map<String, Value>) -> bool {
    !o.is_empty() && o.keys().all(|k| ENTRY_KEYS.contains(&k.as_str()))
}

fn rfc3339_millis(raw: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(raw).ok().map(|t| {
        t.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    })
}

/// Check the contract between an input message and its record. `Err` describes every
/// violation found.
pub(crate) fn check_record(msg: &Value, rec: &Record) -> Result<Coverage, String> {
    let mut problems = Vec::new();
    let mut cov = Coverage::default();
    // the (capability, property) → entries of the input
    let mut pairs: BTreeMap<(String, String), Vec<&Value>> = BTreeMap::new();
    let mut bare_caps: BTreeSet<String> = BTreeSet::new();
    let data = msg.get("data");
    // V1 quirk (providers.md §1.3): `data.{property}` without the capability level is
    // read as `data.{capability}.{property}` when the envelope names both.
    let rewrapped = match (msg.get("capability"), msg.get("property"), data) {
        (Some(Value::String(c)), Some(Value::String(p)), Some(Value::Object(d)))
            if rec.provider == ProviderKind::HighMobilityV1
                && d.len() == 1
                && d.contains_key(p)
                && !d.contains_key(c) =>
        {
            Some(json!({ c.clone(): { p.clone(): d[p].clone() } }))
        }
        _ => None,
    };
    let data = rewrapped.as_ref().or(data);
    if let Some(Value::Object(caps)) = data {
        for (cap, props) in caps {
            match props {
                Value::Object(props) => {
                    for (prop, value) in props {
                        let entries: Vec<&Value> = match value {
                            Value::Array(a) => a.iter().collect(),
                            one => vec![one],
                        };
                        pairs.insert((cap.clone(), prop.clone()), entries);
                    }
                }
                _ => {
                    bare_caps.insert(cap.clone());
                }
            }
        }
    }
    let mut matched: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, s) in rec.signals.iter().enumerate() {
        // the input properties this origin can name (more than one only for odd keys,
        // e.g. properties "" and "[x]" both fit origin "cap.[x]")
        let candidates: Vec<&(String, String)> = pairs
            .keys()
            .filter(|(cap, prop)| {
                let base = format!("{cap}.{prop}");
                *s.origin == base
                    || (s.origin.starts_with(&format!("{base}[")) && s.origin.ends_with(']'))
            })
            .collect();
        if !candidates.is_empty() {
            let path_ok = s.path.starts_with("Vehicle.")
                || candidates
                    .iter()
                    .any(|(cap, prop)| s.path == format!("HM.{cap}.{prop}"));
            if !path_ok {
                problems.push(format!(
                    "signal {i} path {:?} (origin {}) is neither VSS nor HM.{{capability}}.{{property}}",
                    s.path, s.origin
                ));
            }
            for (cap, prop) in candidates {
                let key = (cap.clone(), prop.clone());
                matched.entry(key.clone()).or_default().push(i);
                cov.paths.entry(key).or_default().insert(s.path.to_string());
            }
            continue;
        }
        let degenerate = (bare_caps.contains(&*s.origin) && s.path == format!("HM.{}", s.origin))
            || (&*s.origin == "data"
                && s.path == "HM.data"
                && data.is_some_and(|d| !d.is_object()));
        if degenerate {
            cov.degenerate
                .push((s.origin.to_string(), s.path.to_string()));
        } else {
            problems.push(format!(
                "signal {i} origin {:?} (path {:?}) names no capability.property of the input",
                s.origin, s.path
            ));
        }
    }
    for ((cap, prop), entries) in &pairs {
        cov.entries += entries.len();
        if !entries.is_empty() {
            cov.with_entries.insert((cap.clone(), prop.clone()));
        }
        let sigs: Vec<_> = matched
            .get(&(cap.clone(), prop.clone()))
            .map(|ix| ix.iter().map(|&i| &rec.signals[i]).collect())
            .unwrap_or_default();
        if sigs.len() < entries.len() {
            problems.push(format!(
                "{cap}.{prop}: {} entries but {} signals",
                entries.len(),
                sigs.len()
            ));
        }
        for entry in entries {
            let Some(o) = entry.as_object().filter(|o| is_entry_shaped(o)) else {
                continue;
            };
            let loc = o
                .get("data")
                .and_then(|d| d.get("location"))
                .and_then(Value::as_str);
            let origin = match loc {
                Some(l) => format!("{cap}.{prop}[{l}]"),
                None => format!("{cap}.{prop}"),
            };
            if !sigs.iter().any(|s| *s.origin == origin) {
                problems.push(format!("{cap}.{prop}: no signal with origin {origin:?}"));
            }
            if let Some(f) = o.get("failure").filter(|f| !f.is_null()) {
                if !sigs
                    .iter()
                    .any(|s| *s.origin == origin && s.failure.as_ref() == Some(f))
                {
                    problems.push(format!("{cap}.{prop}: failure {f} lost"));
                }
            }
            if let Some(ts) = o.get("timestamp").and_then(Value::as_str) {
                if let Some(want) = rfc3339_millis(ts) {
                    if !sigs.iter().any(|s| {
                        *s.origin == origin && s.timestamp.as_deref() == Some(want.as_str())
                    }) {
                        problems.push(format!("{cap}.{prop}: timestamp {ts} not kept as {want}"));
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(cov)
    } else {
        Err(problems.join("\n"))
    }
}
