//! BMW CarData → VSS 6.0, checked against the catalogue: every mapping row targets a
//! standard (or documented overlay) leaf and the normalizer emits that leaf's datatype
//! and unit; values outside a leaf stay under the vendor name and are counted; and the
//! coverage over BMW's catalogue, computed here from the catalogue file.

use crate::support::records::bmw_signals;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use vinstream::providers::bmw::mapping::{self, Row, Rule};
use vinstream::vss::catalogue;
use vinstream::vss::Datatype;

/// Mapped catalogue descriptors the coverage test holds the table to. Raise it when a
/// descriptor gains a true VSS counterpart; never lower it to make room for a guess.
const COVERAGE_FLOOR: usize = 82;

/// Whether a normalized VSS signal belongs in its leaf: a standard leaf (not deprecated)
/// or a documented overlay; the leaf's JSON form for its datatype (a JSON integer for
/// integer types, a float for float types); its unit (none for a null value); inside its
/// range and allowed values.
pub fn fits_leaf(path: &str, value: &Value, unit: Option<&str>) -> Result<(), String> {
    let leaf = catalogue::signal(path).ok_or(format!("{path} is not a VSS 6.0 leaf"))?;
    if leaf.deprecated {
        return Err(format!("{path} is deprecated"));
    }
    if value.is_null() {
        return match unit {
            None => Ok(()),
            Some(u) => Err(format!("{path}: a null value with unit {u}")),
        };
    }
    let form_ok = match leaf.datatype {
        Datatype::Boolean => value.is_boolean(),
        Datatype::String => value.is_string(),
        Datatype::Float | Datatype::Double => value.is_f64(),
        d if d.is_integer() => value.is_i64() || value.is_u64(),
        Datatype::StringArray => value
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_string)),
        _ => value.is_array(),
    };
    if !form_ok {
        return Err(format!(
            "{path} is {}, got {value}",
            leaf.datatype.vss_name()
        ));
    }
    if unit != leaf.unit {
        return Err(format!(
            "{path}: unit {unit:?}, the leaf's is {:?}",
            leaf.unit
        ));
    }
    leaf.admits(value)
        .map_err(|m| format!("{path}: {value} is {}", m.as_str()))
}

/// An entry for each word of a table.
fn words<T>(table: &[(&str, T)]) -> Vec<Value> {
    table.iter().map(|(w, _)| json!({"value": w})).collect()
}

/// Values a row's rule reads, each expected to map. A partial row maps its own words
/// only ("no data" passes through: `normalize_review`).
fn samples(row: &Row) -> Vec<Value> {
    if let Rule::PartialFlag(_, t) = row.rule {
        return words(t);
    }
    let mut out = vec![json!({"value": null}), json!({"value": "INVALID"})];
    out.extend(match row.rule {
        Rule::Measure(..) | Rule::Cooling(_) => vec![
            json!({"value": 10}),
            json!({"value": "0"}),
            json!({"value": 50.5, "unit": null}),
        ],
        Rule::Flag(_, t) | Rule::FlagEach(_, t) => {
            let mut v = words(t);
            v.extend([
                json!({"value": true}),
                json!({"value": "ASN_isFalse"}),
                json!({"value": 0}),
            ]);
            v
        }
        Rule::Enum(_, t) => words(t),
        Rule::FlagEnum(..) => vec![json!({"value": true}), json!({"value": false})],
        Rule::ChargingStatus(t) => words(t),
        Rule::PartialFlag(..) => Vec::new(),
        Rule::DoorLocks => words(mapping::LOCK_STATUS),
        Rule::Keep(_) => Vec::new(),
    });
    out
}

#[test]
fn every_row_targets_a_leaf_and_emits_its_datatype_and_unit() {
    let mut checked = 0;
    for row in mapping::ROWS.iter().filter(|r| r.rule.is_mapped()) {
        let targets = row.rule.targets();
        assert!(!targets.is_empty(), "{}", row.descriptor);
        for t in &targets {
            let leaf = catalogue::signal(t).unwrap_or_else(|| panic!("{t} is no leaf"));
            assert!(!leaf.deprecated, "{t} is deprecated");
            assert!(
                !leaf.overlay || *t == mapping::STATUS,
                "{t}: only the documented charging-status overlay"
            );
        }
        for entry in samples(row) {
            let got = bmw_signals(row.descriptor, entry.clone());
            assert!(!got.is_empty());
            for s in &got {
                assert!(
                    targets.contains(&&*s.path),
                    "{}: {entry} went to {} (value {})",
                    row.descriptor,
                    s.path,
                    s.value
                );
                fits_leaf(&s.path, &s.value, s.unit.as_deref())
                    .unwrap_or_else(|e| panic!("{}: {entry}: {e}", row.descriptor));
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn values_outside_their_leaf_pass_through_and_are_counted() {
    let soc = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current";
    let before = vinstream::telemetry::outside_leaf_total(soc);
    let got = bmw_signals(
        "vehicle.drivetrain.batteryManagement.header",
        json!({"value": 104, "unit": "percent"}),
    );
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].path,
        "BMW.vehicle.drivetrain.batteryManagement.header"
    );
    assert_eq!(got[0].value, json!(104));
    assert_eq!(got[0].unit.as_deref(), Some("percent"));
    assert!(vinstream::telemetry::outside_leaf_total(soc) > before);

    // an integer leaf: a negative odometer fits no uint32 and is counted too
    let odo = "Vehicle.TraveledDistance";
    let before = vinstream::telemetry::outside_leaf_total(odo);
    let got = bmw_signals(
        "vehicle.vehicle.travelledDistance",
        json!({"value": -1, "unit": "km"}),
    );
    assert_eq!(got[0].path, "BMW.vehicle.vehicle.travelledDistance");
    assert_eq!(got[0].value, json!(-1));
    assert!(vinstream::telemetry::outside_leaf_total(odo) > before);

    // one of several leaves out of range keeps the whole entry out: cooling of 101 %
    let seat = "Vehicle.Cabin.Seat.Row1.PassengerSide.HeatingCooling";
    let before = vinstream::telemetry::outside_leaf_total(seat);
    let got = bmw_signals(
        "vehicle.cabin.seat.row1.passengerSide.cooling",
        json!({"value": 101}),
    );
    assert_eq!(
        got[0].path,
        "BMW.vehicle.cabin.seat.row1.passengerSide.cooling"
    );
    assert!(vinstream::telemetry::outside_leaf_total(seat) > before);

    // the edge of the range still fits
    let got = bmw_signals(
        "vehicle.drivetrain.batteryManagement.header",
        json!({"value": 100}),
    );
    assert_eq!(got[0].path, soc);
}

/// The catalogue's descriptors (zero-width spaces stripped, as the normalizer does).
fn catalogue_descriptors() -> Vec<String> {
    let path = format!(
        "{}/tests/data/bmw-cardata-catalogue.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    doc["items"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| vinstream::providers::bmw::normalize::strip_zero_width(k))
        .collect()
}

/// `N of 244 descriptors map to VSS`, from the catalogue file and the table; run with
/// `cargo test --test it bmw_coverage -- --nocapture` to see the figure.
#[test]
fn bmw_coverage_over_the_catalogue() {
    let names = catalogue_descriptors();
    assert_eq!(names.len(), 244);
    let mut mapped = 0;
    let mut leaves = std::collections::BTreeSet::new();
    let mut groups: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for d in &names {
        let row = mapping::lookup(d)
            .unwrap_or_else(|| panic!("{d}: no row; map it or keep it with a reason"));
        let g = groups.entry(mapping::group(d)).or_default();
        g.1 += 1;
        if row.rule.is_mapped() {
            mapped += 1;
            g.0 += 1;
            leaves.extend(row.rule.targets());
        }
    }
    println!(
        "{mapped} of {} BMW CarData descriptors map to VSS 6.0 ({} distinct leaves)",
        names.len(),
        leaves.len()
    );
    for (g, (m, t)) in &groups {
        println!("  {g}: {m}/{t}");
    }
    // the docs say the same
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let cov = mapping::docs::coverage(&names);
    assert_eq!((cov.mapped, cov.total), (mapped, 244));
    assert!(
        mapped >= COVERAGE_FLOOR,
        "{mapped} of 244 mapped, fewer than the {COVERAGE_FLOOR} reached before"
    );
}
