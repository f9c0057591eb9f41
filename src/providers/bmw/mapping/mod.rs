//! BMW CarData descriptors → VSS 6.0, as a table (signals.md A.3, A.4).
//!
//! One row per technical descriptor; adding a mapping is adding a row. Every descriptor
//! of BMW's catalogue has a row: either a rule that fills a VSS 6.0 leaf with the same
//! quantity or state of the same component (after a unit conversion or an enum
//! translation), or a [`Rule::Keep`] that says why it stays `BMW.{descriptor}` (no VSS
//! leaf; a setting or target rather than the measured state; another quantity). Being
//! strict matters more than coverage: a wrong leaf misleads every consumer that trusts
//! VSS, a kept one only makes them read the vendor name.
//!
//! A value that does not fit its row (a word the row does not know, a unit it cannot
//! convert, a number outside the leaf's range) is not forced in: the normalizer passes it
//! through as `BMW.{descriptor}` so nothing is lost. `docs/signals-bmw.md` is generated
//! from here ([`docs::markdown`]).
//!
//! BMW units arrive per message and may be absent or `null`; each measuring row names the
//! unit to assume then (the catalogue's unit, or its first unit for "km or mi" ranges).
//!
//! The rows live in [`rows`] by area, the word tables in [`words`]; [`ROWS`] is all of
//! them as one constant slice, so the table stays data the compiler checks.

pub mod docs;
mod rows;
mod table;
pub mod words;

use table::{join, total};
pub use table::{keep, row, Row, Rule, Words, DOOR_LOCKS, IS_CHARGING, STATUS};
pub use words::*;

use crate::vss::catalogue::{self, VssSignal};
use std::collections::HashMap;
use std::sync::LazyLock;

/// Every row, in docs order: the area files of [`rows`] one after another.
pub const ROWS: &[Row] = &ALL;

const PARTS: &[&[Row]] = &[
    rows::motion::ROWS,
    rows::battery::ROWS,
    rows::charging::ROWS,
    rows::body::ROWS,
    rows::cabin::ROWS,
    rows::climate::ROWS,
    rows::vehicle::ROWS,
];
const COUNT: usize = total(PARTS);
static ALL: [Row; COUNT] = join(PARTS);

/// Rows by descriptor: a message names up to a few hundred descriptors, each looked up.
static BY_DESCRIPTOR: LazyLock<HashMap<&'static str, &'static Row>> =
    LazyLock::new(|| ROWS.iter().map(|r| (r.descriptor, r)).collect());

/// The row of a descriptor (already stripped of zero-width spaces and whitespace).
pub fn lookup(descriptor: &str) -> Option<&'static Row> {
    BY_DESCRIPTOR.get(descriptor).copied()
}

/// The catalogue entry of a VSS path (the whole VSS 6.0 catalogue, instances expanded).
pub fn vss(path: &str) -> Option<&'static VssSignal> {
    catalogue::signal(path)
}

/// Rows that map to VSS (all but `Keep`).
pub fn mapped_count() -> usize {
    ROWS.iter().filter(|r| r.rule.is_mapped()).count()
}

/// The descriptor group coverage is summarised by: the first three name segments under
/// the big areas (`vehicle.cabin.seat`, `vehicle.powertrain.electric`, …), two elsewhere
/// (`vehicle.body`, `vehicle.chassis`), never the whole name.
pub fn group(descriptor: &str) -> &str {
    let parts: Vec<&str> = descriptor.split('.').collect();
    let big = matches!(
        parts.get(1),
        Some(&"cabin") | Some(&"drivetrain") | Some(&"powertrain")
    );
    let depth = (if big { 3 } else { 2 })
        .min(parts.len().saturating_sub(1))
        .max(1);
    let end: usize = parts[..depth].iter().map(|p| p.len()).sum::<usize>() + depth - 1;
    &descriptor[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use Rule::*;

    #[test]
    fn every_row_targets_a_standard_or_overlay_leaf() {
        for r in ROWS {
            for p in r.rule.targets() {
                let s = vss(p).unwrap_or_else(|| panic!("{p} ({}) is not a leaf", r.descriptor));
                assert!(!s.deprecated, "{p} ({}) is deprecated", r.descriptor);
                assert!(!p.contains('*'), "{p}: rows name concrete paths");
            }
            let measured = match r.rule {
                Measure(p, unit) => Some((p, unit)),
                Cooling(p) => Some((p, "percent")),
                _ => None,
            };
            if let Some((p, unit)) = measured {
                let to = vss(p)
                    .and_then(|s| s.unit)
                    .expect("a measured leaf has a unit");
                assert!(
                    unit == to || crate::vss::units::convert(1.0, unit, to).is_some(),
                    "{}: default unit {unit} does not convert to {to}",
                    r.descriptor
                );
            }
        }
    }

    #[test]
    fn word_tables_only_produce_allowed_values() {
        for r in ROWS {
            let (path, values): (&str, Vec<&str>) = match r.rule {
                Enum(p, t) => (p, t.iter().map(|(_, v)| *v).collect()),
                FlagEnum(p, v) => (p, v.to_vec()),
                ChargingStatus(t) => (STATUS, t.iter().map(|(_, v)| *v).collect()),
                _ => continue,
            };
            let s = vss(path).unwrap();
            for v in values {
                assert!(
                    s.allows(v),
                    "{}: {v} is not allowed in {path}",
                    r.descriptor
                );
            }
        }
    }

    #[test]
    fn rows_are_unique_and_clean() {
        assert_eq!(ROWS.len(), COUNT);
        for (i, a) in ROWS.iter().enumerate() {
            assert!(
                ROWS[i + 1..].iter().all(|b| a.descriptor != b.descriptor),
                "duplicate row {}",
                a.descriptor
            );
            assert!(!a.descriptor.is_empty());
            assert_eq!(a.descriptor.trim(), a.descriptor);
            assert!(!a.descriptor.contains('\u{200b}'));
            if let Keep(why) = a.rule {
                assert!(why.len() > 10, "{}: say why it is kept", a.descriptor);
            }
        }
        for r in ROWS {
            assert!(std::ptr::eq(
                lookup(r.descriptor).unwrap(),
                lookup(r.descriptor).unwrap()
            ));
            assert_eq!(lookup(r.descriptor).unwrap().descriptor, r.descriptor);
        }
    }

    #[test]
    fn instance_paths_are_catalogue_leaves() {
        assert_eq!(
            vss("Vehicle.Cabin.Door.Row2.PassengerSide.Window.IsOpen").map(|s| s.path),
            Some("Vehicle.Cabin.Door.Row2.PassengerSide.Window.IsOpen")
        );
        assert!(vss("Vehicle.Cabin.Door.Row2.IsOpen").is_none());
        // VSS 6.0's standard seat instances stop at the second row
        assert!(vss("Vehicle.Cabin.Seat.Row2.PassengerSide.HeatingCooling").is_some());
        assert!(vss("Vehicle.Cabin.Seat.Row3.PassengerSide.HeatingCooling").is_none());
    }

    #[test]
    fn groups_are_areas_not_names() {
        assert_eq!(
            group("vehicle.cabin.seat.row1.driverSide.heating"),
            "vehicle.cabin.seat"
        );
        assert_eq!(group("vehicle.body.trunk.isOpen"), "vehicle.body");
        assert_eq!(
            group("vehicle.drivetrain.lastRemainingRange"),
            "vehicle.drivetrain"
        );
        assert_eq!(group("vehicle.isMoving"), "vehicle");
        assert_eq!(
            group("vehicle.powertrain.electric.range.target"),
            "vehicle.powertrain.electric"
        );
        assert_eq!(group("vehicle.vehicle.avgSpeed"), "vehicle.vehicle");
    }
}
