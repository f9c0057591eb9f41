use super::*;
use crate::vss::catalogue;
use std::collections::BTreeSet;

#[test]
fn every_row_targets_a_current_catalogue_leaf() {
    for r in rows() {
        let targets = r.rule.targets();
        assert!(!targets.is_empty(), "{}.{}", r.capability, r.property);
        for p in targets {
            let s = catalogue::signal(p).unwrap_or_else(|| panic!("{p} is not in VSS 6.0"));
            assert!(
                !s.deprecated,
                "{}.{} targets deprecated {p}",
                r.capability, r.property
            );
        }
    }
}

#[test]
fn every_target_unit_is_known_to_the_converter() {
    for r in rows() {
        for p in r.rule.targets() {
            if let Some(unit) = catalogue::signal(p).and_then(|s| s.unit) {
                assert!(
                    crate::vss::units::quantity_of(unit).is_some() || unit == "percent",
                    "{p}: unit {unit} unknown to the converter"
                );
            }
        }
    }
}

#[test]
fn rows_and_unmapped_are_unique_and_apart() {
    let mut seen = BTreeSet::new();
    for (c, p) in rows()
        .map(|r| (r.capability, r.property))
        .chain(UNMAPPED.iter().map(|u| (u.capability, u.property)))
    {
        assert!(seen.insert((c, p)), "{c}.{p} listed twice");
    }
    assert!(UNMAPPED.iter().all(|u| !u.why.is_empty()));
}

/// `capability → properties`, read straight from the level 13 schema files.
fn schema_properties() -> BTreeSet<(String, String)> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/hm-l13-schema-v1/capabilities"
    );
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(cap) = name.strip_suffix(".schema.json") else {
            continue;
        };
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for p in doc["properties"].as_object().unwrap().keys() {
            out.insert((cap.to_string(), p.clone()));
        }
    }
    out
}

#[test]
fn the_tables_name_every_schema_property_exactly_once() {
    let schema = schema_properties();
    assert_eq!(schema.len(), 557);
    let classified = |c: &str, p: &str| (lookup(c, p).is_some(), unmapped(c, p).is_some());
    for (c, p) in &schema {
        match classified(c, p) {
            (true, false) | (false, true) => {}
            (true, true) => panic!("{c}.{p} is both mapped and unmapped"),
            (false, false) => panic!("{c}.{p} is neither mapped nor listed as unmapped"),
        }
    }
    let named = rows()
        .filter(|r| r.capability != "*")
        .map(|r| (r.capability, r.property))
        .chain(UNMAPPED.iter().map(|u| (u.capability, u.property)));
    for (c, p) in named {
        assert!(
            schema.contains(&(c.to_string(), p.to_string())),
            "{c}.{p} is not in the schema"
        );
    }
    let (mapped, total) = docs::coverage()
        .values()
        .fold((0, 0), |(m, t), (a, b)| (m + a, t + b));
    assert_eq!(total, 557);
    let direct = schema
        .iter()
        .filter(|(c, p)| lookup(c, p).is_some())
        .count();
    assert_eq!(mapped, direct);
}

#[test]
fn docs_signals_md_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/signals.md");
    let want = markdown();
    if std::env::var_os("VINSTREAM_BLESS").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "docs/signals.md is stale: run `VINSTREAM_BLESS=1 cargo test docs_signals`"
    );
}
