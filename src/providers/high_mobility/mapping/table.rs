//! The row types of the mapping tables: a mapped property (`Row`, written with `row`) and
//! one left under its vendor name (`Unmapped`). Their own module so that the tables
//! (`rows/`, `unmapped.rs`) and the lookups over them (`mod.rs`) do not import each other.

use crate::providers::high_mobility::rules::Rule;

/// One mapped `capability.property` and the rule that reads it.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub capability: &'static str,
    pub property: &'static str,
    pub rule: Rule,
}

pub(super) const fn row(capability: &'static str, property: &'static str, rule: Rule) -> Row {
    Row {
        capability,
        property,
        rule,
    }
}

/// A property deliberately left under its `HM.` name, and why.
#[derive(Debug, Clone, Copy)]
pub struct Unmapped {
    pub capability: &'static str,
    pub property: &'static str,
    pub why: &'static str,
}
