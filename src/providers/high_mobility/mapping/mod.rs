//! High Mobility (Auto API level 13) → VSS 6.0, as tables (signals.md A.3, A.4).
//!
//! One row per `capability.property` (`rows/`), and one entry with its reason per
//! property that stays under its vendor name (`unmapped.rs`); adding a mapping is
//! moving a property from one to the other. A value whose shape does not fit its row (a
//! string where a unit value was expected, an unknown unit or enum value, a wheel VSS
//! has no slot for, a number outside the leaf's range) is not forced: the walker passes
//! it through under `HM.` so nothing is lost. `docs/signals.md` is generated from here.

mod docs;
mod rows;
mod table;
mod unmapped;
mod words;

pub use docs::markdown;
pub use table::{Row, Unmapped};
pub use unmapped::UNMAPPED;
pub use words::{Words, CHARGING_STATUS};

use super::rules::Rule;
use std::collections::HashMap;
use std::sync::LazyLock;
use table::row;

/// Every capability carries the universal `vin` property: the vehicle's VIN.
pub const VIN: Row = row("*", "vin", Rule::Text("Vehicle.VehicleIdentification.VIN"));
/// ... and `nonce`, which is message security, not vehicle data.
pub const NONCE: Unmapped = Unmapped {
    capability: "*",
    property: "nonce",
    why: "the message's cryptographic nonce, not vehicle data",
};

/// The row groups, by domain.
const GROUPS: &[&[Row]] = &[rows::powertrain::ROWS, rows::body::ROWS, rows::motion::ROWS];

/// Every row (the universal `vin` row last).
pub fn rows() -> impl Iterator<Item = &'static Row> {
    GROUPS.iter().flat_map(|g| g.iter()).chain([&VIN])
}

/// Rows by `(capability, property)`: looked up for every property of every message, so
/// hashed with foldhash rather than std's SipHash (~2 % of a drain's instructions).
type RowIndex = HashMap<(&'static str, &'static str), &'static Row, foldhash::fast::RandomState>;
static INDEX: LazyLock<RowIndex> = LazyLock::new(|| {
    GROUPS
        .iter()
        .flat_map(|g| g.iter())
        .map(|r| ((r.capability, r.property), r))
        .collect()
});

pub fn lookup(capability: &str, property: &str) -> Option<&'static Row> {
    if property == "vin" {
        return Some(&VIN);
    }
    INDEX.get(&(capability, property)).copied()
}

/// Why a property has no row, when the table says.
pub fn unmapped(capability: &str, property: &str) -> Option<&'static Unmapped> {
    if property == "nonce" {
        return Some(&NONCE);
    }
    UNMAPPED
        .iter()
        .find(|u| u.capability == capability && u.property == property)
}

#[cfg(test)]
mod tests;
