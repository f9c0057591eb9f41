//! The path → entity table against every VSS leaf the providers map and against Home
//! Assistant's rules for device classes and units.

use super::config::Entities;
use super::entities::{entity, ha_unit, lookup};
use super::row::Kind;
use super::table::ROWS;
use crate::providers::{bmw, high_mobility};
use crate::vss::{catalogue, Datatype};
use serde_json::json;

/// Every VSS leaf a provider writes (templates expanded over the catalogue).
fn mapped_leaves() -> Vec<&'static catalogue::VssSignal> {
    let mut targets: Vec<&'static str> = high_mobility::mapping::rows()
        .flat_map(|r| r.rule.targets())
        .collect();
    targets.extend(bmw::mapping::ROWS.iter().flat_map(|r| r.rule.targets()));
    targets.sort();
    targets.dedup();
    let mut leaves: Vec<&'static catalogue::VssSignal> = Vec::new();
    for t in targets {
        let matching: Vec<_> = catalogue::signals()
            .iter()
            .filter(|s| matches(t, s.path))
            .collect();
        assert!(!matching.is_empty(), "{t} is no VSS leaf");
        leaves.extend(matching);
    }
    leaves.sort_by_key(|s| s.path);
    leaves.dedup_by_key(|s| s.path);
    leaves
}

/// Whether a `*` template (or a plain path) matches a leaf.
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<_>, Vec<_>) = (template.split('.').collect(), path.split('.').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(a, b)| *a == "*" || a == b)
}

/// The units Home Assistant accepts for each device class the table uses (its
/// `DEVICE_CLASS_UNITS`), and whether the class is numeric.
const CLASS_UNITS: &[(&str, &[&str])] = &[
    ("battery", &["%"]),
    ("current", &["A", "mA"]),
    ("distance", &["km", "m", "cm", "mm", "mi", "yd", "ft", "in"]),
    ("duration", &["d", "h", "min", "s", "ms"]),
    ("energy_storage", &["Wh", "kWh", "MWh", "GJ", "MJ"]),
    ("power", &["W", "kW", "MW"]),
    (
        "pressure",
        &[
            "Pa", "hPa", "kPa", "bar", "cbar", "mbar", "mmHg", "inHg", "psi",
        ],
    ),
    ("speed", &["km/h", "m/s", "mph", "kn", "ft/s"]),
    ("temperature", &["°C", "°F", "K"]),
    ("voltage", &["V", "mV"]),
    ("volume_storage", &["L", "mL", "gal", "m³", "ft³", "CCF"]),
];

/// Home Assistant's binary sensor device classes the table uses.
const BINARY_CLASSES: &[&str] = &[
    "battery_charging",
    "door",
    "heat",
    "light",
    "lock",
    "moving",
    "opening",
    "plug",
    "problem",
    "running",
    "window",
];

#[test]
fn every_mapped_leaf_has_a_row_that_fits_it() {
    let leaves = mapped_leaves();
    assert!(leaves.len() > 100, "only {} mapped leaves?", leaves.len());
    for leaf in leaves {
        let (row, _) = lookup(leaf.path).unwrap_or_else(|| panic!("no row for {}", leaf.path));
        let numeric = !matches!(
            leaf.datatype,
            Datatype::Boolean | Datatype::String | Datatype::StringArray
        );
        match &row.kind {
            Kind::Sensor { unit, scale, .. } => {
                assert!(
                    numeric,
                    "{}: a number row for a {:?}",
                    leaf.path, leaf.datatype
                );
                match (leaf.unit, unit, scale) {
                    (Some("m"), Some("km"), Some(f)) => assert_eq!(*f, 0.001),
                    (Some(vss), Some(ha), None) => {
                        assert_eq!(ha_unit(vss), *ha, "{}: {vss} shown as {ha}", leaf.path)
                    }
                    (None, None, None) => {}
                    other => panic!("{}: unit {other:?} does not fit", leaf.path),
                }
            }
            Kind::Binary { .. } => assert_eq!(leaf.datatype, Datatype::Boolean, "{}", leaf.path),
            Kind::Text => assert!(!numeric, "{}: text for a number", leaf.path),
            Kind::Location(_) => assert!(leaf.path.starts_with("Vehicle.CurrentLocation.")),
        }
    }
}

#[test]
fn device_classes_take_the_units_home_assistant_allows() {
    for row in ROWS {
        match &row.kind {
            Kind::Sensor {
                unit,
                device_class: Some(class),
                ..
            } => {
                let allowed = CLASS_UNITS
                    .iter()
                    .find(|(c, _)| c == class)
                    .unwrap_or_else(|| panic!("{}: unknown device class {class}", row.path));
                let unit = unit.expect("a device class needs a unit");
                assert!(allowed.1.contains(&unit), "{}: {class} in {unit}", row.path);
            }
            Kind::Binary {
                device_class: Some(class),
                inverted,
            } => {
                assert!(BINARY_CLASSES.contains(class), "{}: {class}", row.path);
                // Only the lock class means "on = false" for our leaves.
                assert_eq!(*inverted, *class == "lock", "{}", row.path);
            }
            _ => {}
        }
    }
}

#[test]
fn every_row_names_a_vss_leaf() {
    for row in ROWS {
        assert!(
            catalogue::signals()
                .iter()
                .any(|s| matches(row.path, s.path)),
            "{} matches no VSS leaf",
            row.path
        );
    }
}

#[test]
fn names_read_like_home_assistant_entities() {
    let name = |p: &str| entity(p, &json!(1), None, Entities::Mapped).unwrap().name;
    assert_eq!(
        name("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"),
        "Battery level"
    );
    assert_eq!(name("Vehicle.Powertrain.Range"), "Range");
    assert_eq!(name("Vehicle.TraveledDistance"), "Odometer");
    assert_eq!(
        name("Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure"),
        "Front left tyre pressure"
    );
    assert_eq!(
        name("Vehicle.Cabin.Door.Row2.PassengerSide.IsLocked"),
        "Rear passenger-side door lock"
    );
    assert_eq!(
        name("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected"),
        "Charging cable connected"
    );
    assert_eq!(name("Vehicle.Body.Lights.Beam.High.IsOn"), "High beam");
    // A leaf the table lacks still gets a readable name and the catalogue's unit.
    let e = entity(
        "Vehicle.Body.Hood.Position",
        &json!(1),
        None,
        Entities::Mapped,
    );
    let e = e.unwrap();
    assert_eq!(e.name, "Body hood position");
    assert!(
        matches!(
            e.kind,
            Kind::Sensor {
                unit: Some("%"),
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn vendor_signals_only_with_all_and_disabled() {
    let v = json!(3.5);
    assert_eq!(
        entity("HM.usage.x", &v, Some("kWh"), Entities::Mapped),
        None
    );
    let e = entity("HM.usage.x", &v, Some("kWh"), Entities::All).unwrap();
    assert!(!e.enabled_by_default);
    assert_eq!(e.vendor_unit.as_deref(), Some("kWh"));
    assert!(
        entity("Vehicle.Speed", &v, None, Entities::All)
            .unwrap()
            .enabled_by_default
    );
}

/// SPEC.md §6: the odometer is `total_increasing`, every other number `measurement`.
#[test]
fn only_the_odometer_is_total_increasing() {
    use super::row::StateClass;
    for row in ROWS {
        if let Kind::Sensor {
            state_class: Some(c),
            ..
        } = &row.kind
        {
            let odometer = row.path == "Vehicle.TraveledDistance";
            let expected = if odometer {
                StateClass::TotalIncreasing
            } else {
                StateClass::Measurement
            };
            assert_eq!(*c, expected, "{}", row.path);
        }
    }
}
