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
pub mod words;

pub use words::*;

use crate::vss::catalogue::{self, VssSignal};
use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub descriptor: &'static str,
    pub rule: Rule,
}

/// A word table: BMW word (compared case-insensitively) → value.
pub type Words<T> = &'static [(&'static str, T)];

/// What a row does with an entry's `value` (and `unit`).
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// A number (JSON number or numeric string) in the entry's unit, or in the given
    /// default unit when the entry has none, converted to the VSS signal's unit.
    Measure(&'static str, &'static str),
    /// A 0–100 % cooling level (BMW: "0 = off, +100 = max cold") written as the negative
    /// side of a VSS `HeatingCooling` leaf (−100 = maximum cooling, 0 = off).
    Cooling(&'static str),
    /// A boolean: JSON booleans, 0/1 and [`BOOLEAN_WORDS`], plus the row's own words.
    Flag(&'static str, Words<bool>),
    /// One boolean BMW reports once for several VSS instances (both exterior mirrors'
    /// heating): the same value for each listed leaf.
    FlagEach(&'static [&'static str], Words<bool>),
    /// An enum word renamed to the VSS value.
    Enum(&'static str, Words<&'static str>),
    /// A boolean read as a VSS enum value: `[if true, if false, if unknown]`.
    FlagEnum(&'static str, [&'static str; 3]),
    /// A charging status word → the project's common status overlay (signals.md A.4),
    /// plus `IsCharging` when the status says.
    ChargingStatus(Words<&'static str>),
    /// The vehicle-wide lock status → `IsLocked` of the four doors.
    DoorLocks,
    /// Deliberately not mapped (the reason is documented); passes through as `BMW.…`.
    Keep(&'static str),
}

use Rule::*;

pub const fn row(descriptor: &'static str, rule: Rule) -> Row {
    Row { descriptor, rule }
}

/// A row kept as `BMW.{descriptor}`, with the reason the docs give.
pub const fn keep(descriptor: &'static str, why: &'static str) -> Row {
    row(descriptor, Keep(why))
}

pub const STATUS: &str = "Vehicle.Powertrain.TractionBattery.Charging.Status";
pub const IS_CHARGING: &str = "Vehicle.Powertrain.TractionBattery.Charging.IsCharging";
/// `vehicle.cabin.door.lock.status` fans out over these, in this order.
pub const DOOR_LOCKS: [&str; 4] = [
    "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked",
    "Vehicle.Cabin.Door.Row1.PassengerSide.IsLocked",
    "Vehicle.Cabin.Door.Row2.DriverSide.IsLocked",
    "Vehicle.Cabin.Door.Row2.PassengerSide.IsLocked",
];

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

/// How many rows `parts` hold together.
const fn total(parts: &[&[Row]]) -> usize {
    let (mut n, mut p) = (0, 0);
    while p < parts.len() {
        n += parts[p].len();
        p += 1;
    }
    n
}

/// `parts` one after another, as one array (`N` is [`total`] of them): lets the area
/// files and the port rows stay separate constants and still form one constant table.
const fn join<const N: usize>(parts: &[&[Row]]) -> [Row; N] {
    let mut out = [keep("", ""); N];
    let (mut i, mut p) = (0, 0);
    while p < parts.len() {
        let mut j = 0;
        while j < parts[p].len() {
            out[i] = parts[p][j];
            i += 1;
            j += 1;
        }
        p += 1;
    }
    assert!(i == N, "N must be the total of the parts");
    out
}

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

impl Rule {
    /// Every VSS path the rule can write, for docs and coverage checks; empty for `Keep`.
    pub fn targets(self) -> Vec<&'static str> {
        match self {
            Measure(p, _) | Cooling(p) | Flag(p, _) | Enum(p, _) | FlagEnum(p, _) => vec![p],
            FlagEach(paths, _) => paths.to_vec(),
            ChargingStatus(_) => vec![STATUS, IS_CHARGING],
            DoorLocks => DOOR_LOCKS.to_vec(),
            Keep(_) => Vec::new(),
        }
    }

    /// The paths a value of "no data" (JSON `null`) is reported under.
    pub fn null_targets(self) -> Vec<&'static str> {
        match self {
            ChargingStatus(_) => vec![STATUS],
            other => other.targets(),
        }
    }

    pub fn is_mapped(self) -> bool {
        !matches!(self, Keep(_))
    }
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
