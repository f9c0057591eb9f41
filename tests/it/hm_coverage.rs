//! Coverage of the High Mobility → VSS mapping over the official level 13 schemas,
//! measured as a new user would: schema-generated V1 and V2 messages (typical values
//! and varied ones) through `normalize`, counting the properties whose values reach a
//! VSS leaf. Every VSS signal is checked against the catalogue on the way: a real leaf
//! (or a documented overlay), the leaf's unit, its datatype's JSON form, inside its range
//! and allowed values. The no-loss contract is `hm_schema::check_record`'s.
//!
//! `cargo test --test it hm_coverage -- --nocapture` prints the figures.

use crate::hm_schema::{check_record, received};
use crate::support::schema_gen::{v1_messages_with, v2_messages_with, Mode};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use vinstream::providers::{self, high_mobility::mapping};
use vinstream::record::{ProviderKind, Record, Signal};
use vinstream::vss::{catalogue, Datatype};

type Paths = BTreeMap<(String, String), BTreeSet<String>>;

/// Does the signal's JSON value have its leaf's datatype?
fn json_fits(datatype: Datatype, v: &Value) -> bool {
    match (datatype, v) {
        (_, Value::Null) => true,
        (Datatype::Boolean, Value::Bool(_)) => true,
        (Datatype::String, Value::String(_)) => true,
        (Datatype::StringArray, Value::Array(a)) => a.iter().all(Value::is_string),
        (Datatype::Float | Datatype::Double, Value::Number(_)) => true,
        (d, Value::Number(n)) if d.is_integer() => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

/// Problems with a VSS signal, against the catalogue.
fn leaf_problems(s: &Signal) -> Option<String> {
    let Some(leaf) = catalogue::signal(&s.path) else {
        return Some(format!("{} is not a VSS 6.0 leaf or overlay", s.path));
    };
    if leaf.deprecated {
        return Some(format!("{} is deprecated in VSS 6.0", s.path));
    }
    // a failure (null) carries no unit; a value carries its leaf's
    if !s.value.is_null() && s.unit.as_deref() != leaf.unit {
        return Some(format!(
            "{}: unit {:?}, leaf says {:?}",
            s.path, s.unit, leaf.unit
        ));
    }
    if !json_fits(leaf.datatype, &s.value) {
        return Some(format!(
            "{}: {} is not a {}",
            s.path,
            s.value,
            leaf.datatype.vss_name()
        ));
    }
    if s.value.is_null() && s.failure.is_none() {
        return Some(format!("{}: null without a failure", s.path));
    }
    leaf.admits(&s.value)
        .err()
        .map(|m| format!("{}: {} is {}", s.path, s.value, m.as_str()))
}

fn run(kind: ProviderKind, label: &str, payload: &[u8], paths: &mut Paths) {
    let rec: Record = providers::normalize(kind, "hm", "", payload, received())
        .unwrap_or_else(|e| panic!("{label}: refused: {e}"));
    let msg: Value = serde_json::from_slice(payload).unwrap();
    let cov = check_record(&msg, &rec).unwrap_or_else(|e| panic!("{label}:\n{e}"));
    for s in rec
        .signals
        .iter()
        .filter(|s| s.path.starts_with("Vehicle."))
    {
        if let Some(p) = leaf_problems(s) {
            panic!("{label} ({}): {p}", s.origin);
        }
    }
    for (k, v) in cov.paths {
        paths.entry(k).or_default().extend(v);
    }
}

fn mapped(paths: &Paths) -> BTreeSet<(String, String)> {
    paths
        .iter()
        .filter(|(_, ps)| ps.iter().any(|p| p.starts_with("Vehicle.")))
        .map(|(k, _)| k.clone())
        .collect()
}

const SEEDS: std::ops::RangeInclusive<u64> = 1..=12;

/// Rows whose VSS values need a form the schema does not state, so generated values
/// cannot reach them: the schema types a trouble code's id as any string, and only
/// OBD-II ids (`P0300`) fill DTCList (`normalize_review` checks that they do).
const NEEDS_REAL_VALUES: &[(&str, &str)] = &[("diagnostics", "confirmed_trouble_codes")];

fn measure_v1() -> Paths {
    let mut paths = Paths::new();
    for (seed, mode) in std::iter::once((0, Mode::Typical)).chain(SEEDS.map(|s| (s, Mode::Varied)))
    {
        for (cap, prop, payload) in v1_messages_with(seed, mode) {
            let label = format!("v1 {mode:?} {seed} {cap}.{prop}");
            run(ProviderKind::HighMobilityV1, &label, &payload, &mut paths);
        }
    }
    paths
}

fn measure_v2() -> Paths {
    let mut paths = Paths::new();
    for (seed, mode) in std::iter::once((0, Mode::Typical)).chain(SEEDS.map(|s| (s, Mode::Varied)))
    {
        for (cap, _, payload) in v2_messages_with(seed, mode) {
            let label = format!("v2 {mode:?} {seed} {cap}");
            run(ProviderKind::HighMobilityV2, &label, &payload, &mut paths);
        }
    }
    paths
}

/// The figure the issue tracks: properties (of 557) whose schema values reach VSS.
#[test]
fn coverage_over_the_official_schemas() {
    let v1 = mapped(&measure_v1());
    let v2 = mapped(&measure_v2());
    println!(
        "HM → VSS coverage: V1 {} of 557, V2 {} of 557",
        v1.len(),
        v2.len()
    );
    // V1 and V2 carry the same properties and share the table
    assert_eq!(v1, v2, "V1 and V2 differ");
    // nothing maps without a row, and the table's own count is what a user measures
    let rows: BTreeSet<(String, String)> = v1
        .iter()
        .filter(|(c, p)| mapping::lookup(c, p).is_some())
        .cloned()
        .collect();
    assert_eq!(rows, v1, "properties reached VSS without a row");
    let unreached: Vec<String> = mapping::rows()
        .filter(|r| r.capability != "*")
        .filter(|r| !NEEDS_REAL_VALUES.contains(&(r.capability, r.property)))
        .filter(|r| !v1.contains(&(r.capability.to_string(), r.property.to_string())))
        .map(|r| format!("{}.{}", r.capability, r.property))
        .collect();
    assert!(
        unreached.is_empty(),
        "rows no schema value reached: {unreached:?}"
    );
    assert!(v1.len() >= 164, "only {} of 557", v1.len());
}
