//! The table's types: a row (`Row`, written with `row` or `keep`), what it does with a value
//! (`Rule`), word tables (`Words`), and the const helpers that join the area files into one
//! table. Their own module so that the area files (`rows/`, `words.rs`) and the lookups
//! over the table (`mod.rs`) do not import each other.

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
    /// A boolean: JSON booleans, 0/1 and `words::BOOLEAN_WORDS`, plus the row's own words.
    Flag(&'static str, Words<bool>),
    /// One boolean BMW reports once for several VSS instances (both exterior mirrors'
    /// heating): the same value for each listed leaf.
    FlagEach(&'static [&'static str], Words<bool>),
    /// An enum word renamed to the VSS value.
    Enum(&'static str, Words<&'static str>),
    /// A boolean for the row's own words only (not `BOOLEAN_WORDS`): the descriptor says
    /// less than the leaf (`dcStatus` DISCONNECTED leaves an AC cable possible), so every
    /// other value, the no-data words and `null` included, passes through as
    /// `BMW.{descriptor}` rather than blanking a leaf other rows fill.
    PartialFlag(&'static str, Words<bool>),
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

/// How many rows `parts` hold together.
pub(super) const fn total(parts: &[&[Row]]) -> usize {
    let (mut n, mut p) = (0, 0);
    while p < parts.len() {
        n += parts[p].len();
        p += 1;
    }
    n
}

/// `parts` one after another, as one array (`N` is [`total`] of them): lets the area
/// files and the port rows stay separate constants and still form one constant table.
pub(super) const fn join<const N: usize>(parts: &[&[Row]]) -> [Row; N] {
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

impl Rule {
    /// Every VSS path the rule can write, for docs and coverage checks; empty for `Keep`.
    pub fn targets(self) -> Vec<&'static str> {
        match self {
            Measure(p, _)
            | Cooling(p)
            | Flag(p, _)
            | Enum(p, _)
            | FlagEnum(p, _)
            | PartialFlag(p, _) => vec![p],
            FlagEach(paths, _) => paths.to_vec(),
            ChargingStatus(_) => vec![STATUS, IS_CHARGING],
            DoorLocks => DOOR_LOCKS.to_vec(),
            Keep(_) => Vec::new(),
        }
    }

    /// The paths a value of "no data" (JSON `null`) is reported under; none for a partial
    /// row, whose `null` passes through.
    pub fn null_targets(self) -> Vec<&'static str> {
        match self {
            ChargingStatus(_) => vec![STATUS],
            PartialFlag(..) => Vec::new(),
            other => other.targets(),
        }
    }

    pub fn is_mapped(self) -> bool {
        !matches!(self, Keep(_))
    }
}
