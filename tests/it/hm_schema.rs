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
fn is_entry_shaped(o: &serde_json::Map<String, Value>) -> bool {
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

// ---------------------------------------------------------------------------------
// the generator itself

#[test]
fn generator_resolves_refs_across_files() {
    // relative, absolute-path and full-URL refs
    let base =
        "https://highmobility.github.io/auto-api-json-schema/L13/capabilities/doors.schema.json";
    assert_eq!(
        resolve_url(base, "../misc/custom_types.schema.json"),
        "https://highmobility.github.io/auto-api-json-schema/L13/misc/custom_types.schema.json"
    );
    assert_eq!(
        resolve_url(base, "/auto-api-json-schema/L13/misc/units.schema.json"),
        "https://highmobility.github.io/auto-api-json-schema/L13/misc/units.schema.json"
    );
    assert_eq!(
        resolve_url(base, "./x.json"),
        "https://highmobility.github.io/auto-api-json-schema/L13/capabilities/x.json"
    );
    assert_eq!(
        resolve_url(
            "/json-schema/janus/0002/spec.json",
            "/json-schema/auto-api/0002/spec.json"
        ),
        "/json-schema/auto-api/0002/spec.json"
    );

    let reg = Registry::load_dir(&data_dir().join("hm-l13-schema-v1"));
    let (url, failure) = reg.resolve(base, "../misc/custom_types.schema.json#/$defs/failure");
    assert!(url.ends_with("/misc/custom_types.schema.json"));
    assert_eq!(failure["required"], json!(["reason", "description"]));
    let (_, length) = reg.resolve(
        base,
        "/auto-api-json-schema/L13/misc/units.schema.json#/$defs/length",
    );
    assert_eq!(length["required"], json!(["unit", "value"]));

    // all_capabilities: a oneOf of objects whose properties are full-URL refs to the
    // capability files, whose properties ref custom_types, which refs units
    let all_url = format!(
        "file://{}",
        data_dir()
            .join("hm-l13-schema-v1/all_capabilities.schema.json")
            .display()
    );
    let (all_base, all) = reg.resolve(&all_url, "");
    let names: BTreeSet<String> = v1_schema()
        .capabilities
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let mut seen = BTreeSet::new();
    for seed in 0..200 {
        let mut gen = schema_gen::Generator::new(&reg, seed, Mode::Varied);
        let v = gen.value(all, &all_base);
        let o = v.as_object().expect("object");
        assert_eq!(o.len(), 1, "{v}");
        let (cap, props) = o.iter().next().unwrap();
        assert!(names.contains(cap), "{cap}");
        seen.insert(cap.clone());
        let schema_props: Vec<&String> = v1_schema()
            .capability(cap)
            .unwrap()
            .properties
            .iter()
            .map(|p| &p.name)
            .collect();
        for p in props.as_object().unwrap().keys() {
            assert!(schema_props.contains(&p), "{cap}.{p}");
        }
        // and such a capability object is a valid V1 `data`
        let msg = json!({"version": 1, "message_id": format!("m{seed}"), "vin": "WVWZZZ1JZXW000001", "data": v});
        run_one(
            ProviderKind::HighMobilityV1,
            &format!("all_capabilities seed {seed}"),
            &serde_json::to_vec(&msg).unwrap(),
        );
    }
    assert!(
        seen.len() >= 30,
        "oneOf picks too few branches: {}",
        seen.len()
    );
}

#[test]
fn generator_is_deterministic_and_schema_shaped() {
    assert_eq!(
        v1_messages_with(7, Mode::Varied),
        v1_messages_with(7, Mode::Varied)
    );
    assert_ne!(
        v1_messages_with(7, Mode::Varied),
        v1_messages_with(8, Mode::Varied)
    );
    assert_eq!(v2_messages(), v2_messages());

    // spot checks of shapes the schema dictates
    let by_name = |cap: &str, prop: &str| -> Value {
        let (_, _, p) = v1_messages()
            .into_iter()
            .find(|(c, p, _)| c == cap && p == prop)
            .unwrap();
        let msg: Value = serde_json::from_slice(&p).unwrap();
        msg["data"][cap][prop].clone()
    };
    let odo = by_name("diagnostics", "odometer");
    assert_eq!(odo["data"]["unit"], json!("meters"), "{odo}");
    assert!(odo["data"]["value"].is_number());
    assert_eq!(odo["timestamp"], json!("2025-08-12T16:07:48.000Z"));
    let tires = by_name("diagnostics", "tire_pressures");
    assert_eq!(tires.as_array().map(Vec::len), Some(2), "{tires}");
    assert!(tires[0]["data"]["location"].is_string());
    assert!(tires[0]["data"]["pressure"]["value"].is_number());
    let nonce = by_name("vehicle_time", "nonce");
    assert_eq!(
        nonce["data"].as_array().map(Vec::len),
        Some(9),
        "minItems 9: {nonce}"
    );
    let vin = by_name("vehicle_time", "vin");
    assert_eq!(
        vin["data"].as_str().map(|s| s.chars().count()),
        Some(17),
        "minLength 17"
    );
    let coords = by_name("vehicle_location", "coordinates");
    assert!(coords["data"]["latitude"].is_number() && coords["data"]["longitude"].is_number());

    // varied timestamps are RFC 3339 with mixed precision and offsets
    let mut gen = v2_schema().generator(3, Mode::Varied);
    let stamps: Vec<String> = (0..200).map(|_| gen.date_time()).collect();
    for s in &stamps {
        assert!(chrono::DateTime::parse_from_rfc3339(s).is_ok(), "{s}");
    }
    assert!(stamps.iter().any(|s| s.ends_with('Z')) && stamps.iter().any(|s| !s.ends_with('Z')));
}

/// The checker used above and by the property tests does catch what it is meant to:
/// a lost entry, a foreign origin, a wrong path, a dropped failure or timestamp.
#[test]
fn the_checker_catches_violations() {
    let msg = json!({"version": 2, "message_id": "m", "vin": "V", "data": {
        "diagnostics": {
            "odometer": [{"data": {"unit": "kilometers", "value": 10}, "timestamp": "2025-09-23T18:07:36Z"}],
            "tire_pressures": [
                {"data": {"location": "front_left", "pressure": {"unit": "kilopascals", "value": 250}}},
                {"data": {"location": "rear_left", "pressure": {"unit": "kilopascals", "value": 251}}, "failure": {"reason": "unknown", "description": "x"}}
            ]
        }
    }});
    let rec = normalize(
        ProviderKind::HighMobilityV2,
        &serde_json::to_vec(&msg).unwrap(),
    )
    .unwrap();
    let cov = check_record(&msg, &rec).expect("the real record passes");
    assert_eq!(cov.entries, 3);
    let broken = |f: &dyn Fn(&mut Record)| {
        let mut r = rec.clone();
        f(&mut r);
        check_record(&msg, &r).expect_err("a broken record is caught")
    };
    // lose the odometer entry
    let e = broken(&|r| r.signals.retain(|s| &*s.origin != "diagnostics.odometer"));
    assert!(
        e.contains("diagnostics.odometer: 1 entries but 0 signals"),
        "{e}"
    );
    // an origin that names nothing in the input
    let e = broken(&|r| r.signals[0].origin = "diagnostics.speed".into());
    assert!(e.contains("names no capability.property"), "{e}");
    // a pass-through path for another property
    let e = broken(&|r| {
        for s in &mut r.signals {
            if &*s.origin == "diagnostics.odometer" {
                s.path = "HM.diagnostics.speed".into();
            }
        }
    });
    assert!(e.contains("neither VSS nor"), "{e}");
    // the failure dropped
    let e = broken(&|r| r.signals.iter_mut().for_each(|s| s.failure = None));
    assert!(e.contains("failure"), "{e}");
    // the timestamp dropped
    let e = broken(&|r| r.signals.iter_mut().for_each(|s| s.timestamp = None));
    assert!(e.contains("timestamp 2025-09-23T18:07:36Z not kept"), "{e}");
    // a location instance lost
    let e = broken(&|r| r.signals.retain(|s| !s.origin.ends_with("[rear_left]")));
    assert!(e.contains("[rear_left]"), "{e}");
}
