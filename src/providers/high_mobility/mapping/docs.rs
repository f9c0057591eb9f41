//! `docs/signals.md`, generated from the tables: a coverage summary per capability, the
//! mapping rows, and the properties left under their vendor name with why.

use super::{rows, Row, NONCE, UNMAPPED, VIN};
use crate::providers::high_mobility::rules::{Inner, Rule, Words};
use std::collections::BTreeMap;
use std::fmt::Write;

fn words<T: std::fmt::Display>(t: Words<T>) -> String {
    t.iter()
        .map(|(k, v)| format!("{k}→{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn inner(field: &str, inner: Inner) -> String {
    match inner {
        Inner::Measure => format!("`{field}` converted"),
        Inner::Percentage => format!("`{field}` ×100"),
        Inner::Flag(t) => format!("`{field}`: {}", words(t)),
        Inner::Enum(t) => format!("`{field}`: {}", words(t)),
        Inner::Colour => format!("`{field}` as `#RRGGBB`"),
    }
}

/// What `Each` writes: the entry's whole value read as `inner`.
fn each(inner: Inner) -> String {
    match inner {
        Inner::Measure => "converted".into(),
        Inner::Percentage => "×100".into(),
        Inner::Flag(t) => words(t),
        Inner::Enum(t) => words(t),
        Inner::Colour => "red, green, blue as `#RRGGBB`".into(),
    }
}

/// The rule's name and, for one target leaf, the values it writes there.
fn describe(rule: Rule, target: &str) -> (&'static str, String) {
    use Rule::*;
    match rule {
        Measure(_) => ("unit value, converted", String::new()),
        Percentage(_) => ("fraction ×100", String::new()),
        Text(_) => ("string as sent", String::new()),
        Coordinates(..) => ("latitude / longitude", String::new()),
        Enum(_, t) => ("enum", words(t)),
        Code(_, t) => ("enum as code", words(t)),
        Each(_, i) => ("one value, to each instance", each(i)),
        Flag(_, t) => ("enum as boolean", words(t)),
        Flags(leaves) => (
            "enum as booleans",
            leaves
                .iter()
                .find(|(p, _)| *p == target)
                .map_or(String::new(), |(_, t)| words(t)),
        ),
        Field(field, _, i) => ("field of the value", inner(field, i)),
        Keyed {
            key,
            leaves,
            value,
            inner: i,
        } => {
            let keys: Vec<&str> = leaves
                .iter()
                .filter(|(_, p)| *p == target)
                .map(|(k, _)| *k)
                .collect();
            (
                "per key",
                format!("`{key}` = {}; {}", keys.join(" | "), inner(value, i)),
            )
        }
        ChargingStatus => (
            "charging status overlay",
            words(super::words::CHARGING_STATUS),
        ),
        RatePerHour(_) => ("distance / time, km per hour", String::new()),
        Wheel(_, field, i) => ("per wheel", inner(field, i)),
        Door(_, field, i) => ("per door", inner(field, i)),
        Seat(_, field, i) => ("per seat", inner(field, i)),
        TroubleCodes => (
            "trouble codes (each also passes through)",
            "ids, when all are OBD-II (`P0300`)".into(),
        ),
    }
}

fn row_lines(out: &mut String, r: &Row) {
    for target in r.rule.targets() {
        let (rule, values) = describe(r.rule, target);
        let s = crate::vss::catalogue::signal(target);
        let _ = writeln!(
            out,
            "| `{}.{}` | {} | `{}` | {} | {} | {} |",
            r.capability,
            r.property,
            rule,
            target,
            s.map_or("?", |s| s.datatype.vss_name()),
            s.and_then(|s| s.unit).unwrap_or("–"),
            values
        );
    }
}

/// Per capability: (mapped, total), the universal `vin` / `nonce` counted in each.
pub fn coverage() -> BTreeMap<&'static str, (usize, usize)> {
    let mut by: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
    for r in rows().filter(|r| r.capability != VIN.capability) {
        let e = by.entry(r.capability).or_default();
        e.0 += 1;
        e.1 += 1;
    }
    for u in UNMAPPED {
        by.entry(u.capability).or_default().1 += 1;
    }
    for e in by.values_mut() {
        *e = (e.0 + 1, e.1 + 2);
    }
    by
}

/// The mapping as Markdown: `docs/signals.md` is this, and a test keeps it so.
pub fn markdown() -> String {
    let cov = coverage();
    let (mapped, total) = cov.values().fold((0, 0), |(m, t), (a, b)| (m + a, t + b));
    let mut out = format!(
        "# High Mobility → VSS 6.0 mapping\n\n\
         Generated from `src/providers/high_mobility/mapping/` (do not edit by hand; \
         `VINSTREAM_BLESS=1 cargo test docs_signals` rewrites it).\n\n\
         **{mapped} of {total}** properties of the level 13 schemas (V1 and V2 carry the same \
         ones) map to VSS 6.0 leaves; the others pass through as `HM.{{capability}}.{{property}}` \
         with the value as sent, for the reason listed below. A mapped value whose shape, unit \
         or enum word does not fit its row, or that lies outside its leaf's range or allowed \
         values, passes through the same way (and counts in \
         `vinstream_values_outside_leaf_total`). `*` in a path is an instance: wheels \
         `Row1|Row2` × `Left|Right` (absolute); doors, reading lamps and seats `Row1|Row2` × \
         `DriverSide|PassengerSide` (driver-relative; left is the driver's side unless \
         `vehicle_information.driver_seat_location` reported `right` for the VIN), seats also \
         `Row2.Middle` (`rear_center`).\n\n\
         ## Coverage\n\n| capability | mapped | of |\n|---|---|---|\n"
    );
    for (cap, (m, t)) in &cov {
        let _ = writeln!(out, "| `{cap}` | {m} | {t} |");
    }
    let _ = writeln!(out, "| **all** | **{mapped}** | **{total}** |");
    out.push_str(
        "\n## Mapped\n\n| High Mobility | rule | VSS path | type | unit | values |\n\
         |---|---|---|---|---|---|\n",
    );
    for r in rows() {
        row_lines(&mut out, r);
    }
    out.push_str("\n## Not mapped\n\n| High Mobility | why |\n|---|---|\n");
    for u in UNMAPPED.iter().chain([&NONCE]) {
        let _ = writeln!(out, "| `{}.{}` | {} |", u.capability, u.property, u.why);
    }
    out
}
