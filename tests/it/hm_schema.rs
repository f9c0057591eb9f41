//! Every capability and property of the High Mobility level 13 schemas, generated from
//! the schema files in `tests/data/` and run through `normalize`: none is refused, every
//! entry leaves a signal carrying its `capability.property` origin, every path is VSS or
//! `HM.{capability}.{property}`, failures and timestamps are kept.

use crate::support::schema_gen::{
    self, data_dir, resolve_url, v1_messages, v1_messages_with, v1_schema, v2_messages,
    v2_messages_with, v2_schema, Mode, Registry,
};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use vinstream::providers;
use vinstream::record::{ProviderKind, Record};

mod check;
mod generator;

use check::is_entry_shaped;
pub(crate) use check::{check_record, received, Coverage};

fn normalize(kind: ProviderKind, payload: &[u8]) -> Result<Record, providers::Malformed> {
    providers::normalize(kind, "hm", "", payload, received())
}

/// Normalize and check one generated message; panics with the payload on any violation.
fn run_one(kind: ProviderKind, label: &str, payload: &[u8]) -> Coverage {
    let text = String::from_utf8_lossy(payload);
    let rec =
        normalize(kind, payload).unwrap_or_else(|e| panic!("{label}: refused ({e}):\n{text}"));
    let msg: Value = serde_json::from_slice(payload).unwrap();
    assert_eq!(rec.vin, msg["vin"].as_str().unwrap(), "{label}");
    assert_eq!(
        rec.message_id,
        msg["message_id"].as_str().unwrap(),
        "{label}"
    );
    assert_eq!(rec.id, format!("hm:{}", rec.message_id), "{label}");
    assert_eq!(rec.provider, kind, "{label}");
    let line: Value = serde_json::from_slice(&rec.to_json_line()).expect("record is JSON");
    assert!(line["signals"].is_array(), "{label}");
    match check_record(&msg, &rec) {
        Ok(cov) => {
            assert!(cov.degenerate.is_empty(), "{label}: {:?}", cov.degenerate);
            cov
        }
        Err(problems) => panic!(
            "{label}:\n{problems}\npayload: {text}\nrecord: {}",
            String::from_utf8_lossy(&rec.to_json_line())
        ),
    }
}

/// `capability → property names`, read straight from the schema files (independent of
/// the generator) so a property the generator skipped fails the count.
fn raw_v1_properties() -> BTreeMap<String, Vec<String>> {
    let dir = data_dir().join("hm-l13-schema-v1/capabilities");
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(cap) = name.strip_suffix(".schema.json") else {
            continue;
        };
        let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let props = doc["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        out.insert(cap.to_string(), props);
    }
    out
}

fn raw_v2_properties() -> BTreeMap<String, Vec<String>> {
    let path = data_dir().join("hm-streaming-v2/auto-api-0002-spec.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    doc["properties"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(cap, s)| {
            let props = s["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            (cap.clone(), props)
        })
        .collect()
}

fn pair_set(raw: &BTreeMap<String, Vec<String>>) -> BTreeSet<(String, String)> {
    raw.iter()
        .flat_map(|(c, ps)| ps.iter().map(move |p| (c.clone(), p.clone())))
        .collect()
}

/// Which properties took VSS paths and which passed through: for failure messages.
fn mapping_report(paths: &BTreeMap<(String, String), BTreeSet<String>>) -> String {
    let mut vss = Vec::new();
    let mut passthrough = 0;
    for ((c, p), ps) in paths {
        let v: Vec<&str> = ps
            .iter()
            .filter(|x| x.starts_with("Vehicle."))
            .map(String::as_str)
            .collect();
        if v.is_empty() {
            passthrough += 1;
        } else {
            vss.push(format!("  {c}.{p} -> {}", v.join(", ")));
        }
    }
    format!(
        "{} properties mapped to VSS:\n{}\n{passthrough} properties passed through as HM.*",
        vss.len(),
        vss.join("\n")
    )
}

fn merge(into: &mut Coverage, from: Coverage) {
    for (k, v) in from.paths {
        into.paths.entry(k).or_default().extend(v);
    }
    into.with_entries.extend(from.with_entries);
    into.entries += from.entries;
}

#[test]
fn every_v1_capability_property_normalizes_with_its_origin() {
    let raw = raw_v1_properties();
    let expected = pair_set(&raw);
    let total: usize = raw.values().map(Vec::len).sum();
    assert!(
        raw.len() >= 40,
        "only {} capabilities in the schema",
        raw.len()
    );
    assert!(total >= 500, "only {total} properties in the schema");
    assert_eq!(v1_schema().capabilities.len(), raw.len());
    assert_eq!(v1_schema().property_count(), total);

    let messages = v1_messages();
    assert_eq!(messages.len(), total, "one message per property");
    let mut cov = Coverage::default();
    let mut multi = 0;
    for (cap, prop, payload) in &messages {
        let msg: Value = serde_json::from_slice(payload).unwrap();
        assert_eq!(msg["capability"], json!(cap));
        assert_eq!(msg["property"], json!(prop));
        if msg["data"][cap][prop].is_array() {
            multi += 1;
        }
        merge(
            &mut cov,
            run_one(
                ProviderKind::HighMobilityV1,
                &format!("v1 {cap}.{prop}"),
                payload,
            ),
        );
    }
    let covered: BTreeSet<_> = cov.paths.keys().cloned().collect();
    let report = mapping_report(&cov.paths);
    assert_eq!(
        covered,
        expected,
        "V1 coverage differs from the schema ({} of {total})\n{report}",
        covered.len()
    );
    assert_eq!(covered.len(), total, "{report}");
    // multi-instance properties exist (tire_pressures, locks, …) and were sent as arrays
    assert!(
        multi >= 20,
        "only {multi} multi-instance properties\n{report}"
    );
}

#[test]
fn every_v2_capability_with_all_its_properties_normalizes() {
    let raw = raw_v2_properties();
    let expected = pair_set(&raw);
    let total: usize = raw.values().map(Vec::len).sum();
    assert!(
        raw.len() >= 40,
        "only {} capabilities in the schema",
        raw.len()
    );
    assert!(total >= 500, "only {total} properties in the schema");
    assert_eq!(v2_schema().capabilities.len(), raw.len());
    assert_eq!(v2_schema().property_count(), total);

    let messages = v2_messages();
    assert_eq!(messages.len(), raw.len(), "one message per capability");
    let mut cov = Coverage::default();
    for (cap, props, payload) in &messages {
        assert_eq!(props, &raw[cap], "{cap}: properties in schema order");
        let c = run_one(ProviderKind::HighMobilityV2, &format!("v2 {cap}"), payload);
        assert_eq!(c.with_entries.len(), props.len(), "{cap}");
        merge(&mut cov, c);
    }
    let covered: BTreeSet<_> = cov.paths.keys().cloned().collect();
    let report = mapping_report(&cov.paths);
    assert_eq!(
        covered,
        expected,
        "V2 coverage differs from the schema ({} of {total})\n{report}",
        covered.len()
    );
    assert_eq!(cov.entries, total, "typical: one entry per property");
}

/// Varied values (every enum variant eventually, failures, availability, missing data,
/// odd timestamps, several entries) over a few seeds, V1 and V2.
#[test]
fn varied_schema_values_keep_every_entry() {
    let mut cov = Coverage::default();
    let mut failures = 0;
    for seed in 1..=3u64 {
        for (cap, prop, payload) in v1_messages_with(seed, Mode::Varied) {
            let msg: Value = serde_json::from_slice(&payload).unwrap();
            failures += payload_failures(&msg);
            let label = format!("v1 seed {seed} {cap}.{prop}");
            merge(
                &mut cov,
                run_one(ProviderKind::HighMobilityV1, &label, &payload),
            );
        }
        for (cap, _, payload) in v2_messages_with(seed, Mode::Varied) {
            let msg: Value = serde_json::from_slice(&payload).unwrap();
            failures += payload_failures(&msg);
            let label = format!("v2 seed {seed} {cap}");
            merge(
                &mut cov,
                run_one(ProviderKind::HighMobilityV2, &label, &payload),
            );
        }
    }
    // the varied generator really varies
    assert!(failures > 100, "only {failures} failure entries generated");
    assert!(cov.entries > 3 * 2 * 557, "{} entries", cov.entries);
}

fn payload_failures(msg: &Value) -> usize {
    match msg {
        Value::Object(o) => {
            usize::from(is_entry_shaped(o) && o.contains_key("failure"))
                + o.values().map(payload_failures).sum::<usize>()
        }
        Value::Array(a) => a.iter().map(payload_failures).sum(),
        _ => 0,
    }
}

/// The mapped properties get real VSS values from typical schema data (not only
/// pass-through): a guard that the generator's shapes are the ones normalize maps.
#[test]
fn typical_values_reach_the_vss_mapping() {
    let mut cov = Coverage::default();
    for (cap, _, payload) in v2_messages() {
        merge(
            &mut cov,
            run_one(ProviderKind::HighMobilityV2, &cap, &payload),
        );
    }
    let report = mapping_report(&cov.paths);
    let vss = |c: &str, p: &str| {
        cov.paths[&(c.to_string(), p.to_string())]
            .iter()
            .any(|x| x.starts_with("Vehicle."))
    };
    for (c, p) in [
        ("diagnostics", "odometer"),
        ("vehicle_location", "coordinates"),
        ("charging", "battery_level"),
        ("climate", "outside_temperature"),
    ] {
        assert!(vss(c, p), "{c}.{p} did not map to VSS\n{report}");
    }
}
