//! `docs/signals-bmw.md`, generated from the table so the page cannot drift from the code
//! (a test compares them; `VINSTREAM_BLESS=1 cargo test docs_signals` rewrites it).
//!
//! The coverage figures are over BMW's catalogue (`tests/data/bmw-cardata-catalogue.json`),
//! which the caller passes in: the table also has rows for descriptors that catalogue
//! snapshot lacks, and those must not inflate the figure.

use super::words::{BOOLEAN_WORDS, LOCK_STATUS, NO_DATA};
use super::{group, lookup, mapped_count, vss, Row, Rule::*, IS_CHARGING, ROWS};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// Mapped and total catalogue descriptors, overall and per [`group`].
pub struct Coverage {
    pub mapped: usize,
    pub total: usize,
    pub groups: BTreeMap<String, (usize, usize)>,
}

/// How many of `catalogue`'s descriptors a mapping row sends to VSS.
pub fn coverage(catalogue: &[&str]) -> Coverage {
    let mut c = Coverage {
        mapped: 0,
        total: 0,
        groups: BTreeMap::new(),
    };
    for d in catalogue {
        let mapped = lookup(d).is_some_and(|r| r.rule.is_mapped());
        let g = c.groups.entry(group(d).to_string()).or_default();
        g.0 += usize::from(mapped);
        g.1 += 1;
        c.mapped += usize::from(mapped);
        c.total += 1;
    }
    c
}

fn list<T>(t: &[(&str, T)], show: impl Fn(&T) -> String) -> String {
    t.iter()
        .map(|(k, v)| format!("{k}→{}", show(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn quoted(words: impl IntoIterator<Item = &'static str>) -> String {
    words
        .into_iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a row reads its value: (rule, default unit, values), for the mapped table.
fn describe(r: &Row) -> (&'static str, &'static str, String) {
    match r.rule {
        Measure(_, unit) => ("number, converted", unit, String::new()),
        Cooling(_) => (
            "cooling level, negated",
            "percent",
            "0…100 % cooling → 0…−100".into(),
        ),
        Flag(_, []) => ("boolean", "", String::new()),
        Flag(_, t) => ("boolean", "", list(t, bool::to_string)),
        FlagEach(_, t) => ("boolean, to each instance", "", list(t, bool::to_string)),
        Enum(_, t) => ("enum", "", list(t, |v| v.to_string())),
        PartialFlag(_, t) => (
            "boolean, these words only (others kept)",
            "",
            list(t, bool::to_string),
        ),
        FlagEnum(_, [on, off, unknown]) => (
            "boolean as enum",
            "",
            format!("true→{on}, false→{off}, unknown→{unknown}"),
        ),
        ChargingStatus(t) => ("charging status overlay", "", list(t, |v| v.to_string())),
        DoorLocks => ("vehicle-wide lock, per door", "", String::new()),
        Keep(_) => ("kept", "", String::new()),
    }
}

/// The page. `catalogue` is every descriptor of BMW's catalogue.
pub fn markdown(catalogue: &[&str]) -> String {
    let in_catalogue: BTreeSet<&str> = catalogue.iter().copied().collect();
    let cov = coverage(catalogue);
    let leaves = |catalogue_only: bool| {
        ROWS.iter()
            .filter(|r| !catalogue_only || in_catalogue.contains(r.descriptor))
            .flat_map(|r| r.rule.targets())
            .collect::<BTreeSet<&str>>()
            .len()
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "# BMW CarData → VSS 6.0 mapping\n\n\
         Generated from `src/providers/bmw/mapping/` (do not edit by hand; \
         `VINSTREAM_BLESS=1 cargo test docs_signals` rewrites it).\n\n\
         **{mapped} of {total}** descriptors of BMW's catalogue map to VSS 6.0 ({leaves} \
         distinct leaves); the other {kept} are kept as `BMW.{{descriptor}}`, each with the \
         reason below. The table has {rows} rows: {extra} name descriptors that the \
         catalogue snapshot in `tests/data/` lacks but integrations report ({extra_mapped} \
         of them mapped: {all_mapped} mapped rows in all, filling {all_leaves} leaves).\n\n\
         A descriptor maps only where it means the same quantity or state of the same \
         component as a VSS leaf, after a unit conversion or an enum translation. Settings, \
         targets, forecasts, statistics of the last drive and BMW-only states stay under \
         the vendor name.\n\n",
        mapped = cov.mapped,
        total = cov.total,
        leaves = leaves(true),
        all_leaves = leaves(false),
        kept = cov.total - cov.mapped,
        rows = ROWS.len(),
        extra = ROWS
            .iter()
            .filter(|r| !in_catalogue.contains(r.descriptor))
            .count(),
        extra_mapped = ROWS
            .iter()
            .filter(|r| r.rule.is_mapped() && !in_catalogue.contains(r.descriptor))
            .count(),
        all_mapped = mapped_count(),
    );
    out.push_str(
        "## Coverage by descriptor group\n\n| group | mapped | descriptors |\n|---|---|---|\n",
    );
    for (g, (m, t)) in &cov.groups {
        let _ = writeln!(out, "| `{g}` | {m} | {t} |");
    }
    let _ = write!(
        out,
        "| **all** | **{}** | **{}** |\n\n",
        cov.mapped, cov.total
    );
    let _ = write!(
        out,
        "## How values are read\n\n\
         Each entry of a message's `data` becomes its own signal(s), with the entry's \
         `timestamp` and the descriptor as `origin`. Descriptor names are compared after \
         removing zero-width spaces (U+200B, as in BMW's catalogue exports) and surrounding \
         whitespace.\n\n\
         - **Numbers** may arrive as JSON numbers or as strings (`\"87897\"`, `\"9.498705\"`).\n\
         - **Units** are read case-insensitively: `%`/`percent`, `km`/`kilometers`, `mi`/`miles`, \
         `m`, `ft`, `L`/`l`/`liters`, `gal` (US gallons), `°C`/`celsius`, `°F`, `kPa`, `bar`, `psi`, \
         `V`, `W`, `kW`, `kWh`, `A`, `min`, `h`, `s`, `degrees`. An absent, `null`, empty or \
         `\"null\"` unit means the row's default unit (the catalogue's, or its first one for \
         \"km or mi\" ranges). BMW has been seen to label miles as km; such a value cannot be \
         detected and is converted as labelled.\n\
         - **Booleans**: JSON `true`/`false`, `0`/`1`, and the words {bool_words} \
         (case-insensitive), plus each row's own words below.\n\
         - **No data**: the words {no_data} (case-insensitive) and JSON `null` give the row's VSS \
         path with value `null` and no `failure` (BMW sends the word, not a failure). \
         `ASN_isUnknown` is one of them: the vehicle says it does not know, which is not a value \
         to drop but not a boolean either. The exception is `engine.isActive`, which reports \
         `UNDEFINED`, a value VSS has for it.\n\
         - **Inside the leaf or not at all**: a mapped value outside its leaf's range, its \
         integer datatype or its allowed values (a state of charge of 104 %, a negative \
         odometer) is not forced in: the entry passes through as `BMW.{{descriptor}}` with \
         value and unit as sent, and is counted in `vinstream_values_outside_leaf_total{{path, \
         reason}}`.\n\
         - **Anything else** — a word a row does not know, a unit it cannot convert, an entry \
         that is not `{{value, unit?, timestamp?}}` — passes through as `BMW.{{descriptor}}` \
         with the value and unit as sent, as do all descriptors without a mapping (objects \
         too).\n\
         - **Charging status** (`Vehicle.Powertrain.TractionBattery.Charging.Status`) is the \
         project's overlay of signals.md A.4. `IsCharging` accompanies every status (true only \
         for `CHARGING`); a status the vehicle does not know (`INVALID`, `UNKNOWN`) is a null \
         status without `IsCharging`, as the overlay has no `UNKNOWN` value. `IsDischarging` is never derived: neither BMW \
         status has a discharging value, and bidirectional BMWs exist, so \"not charging\" does \
         not imply \"not discharging\".\n\
         - **Seat heating and cooling**: BMW sends each as a 0–100 % level; VSS has one signed \
         `HeatingCooling` per seat. Heating fills 0…100, cooling 0…−100. Each entry is read \
         alone, so a 0 says that function is off; a seat heating and ventilating at once has \
         no single VSS value. Third-row seats have no VSS 6.0 instance.\n\
         - **Sides**: BMW's `driver`/`passenger` are VSS `DriverSide`/`PassengerSide`; BMW's \
         driver side is the left (its catalogue titles `row1.driver` \"front left door\"). \
         Wheels' left and right are absolute, as in VSS.\n\
         - Semantics to know: BMW altitude is above mean sea level (VSS: WGS-84 ellipsoid); \
         `lastRemainingRange` is electric + fuel on PHEVs and about 0 on BEVs; \
         `maxEnergy` (\"energy content\") is read as the usable capacity of the aged battery; \
         `connectorStatus` also covers inductive charging, where no cable is involved.\n\n",
        bool_words = quoted(BOOLEAN_WORDS.iter().map(|(k, _)| *k)),
        no_data = quoted(NO_DATA.iter().copied()),
    );
    out.push_str(
        "## Mapped descriptors\n\n\
         | BMW descriptor | rule | VSS path | type | unit | default unit | values |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for r in ROWS.iter().filter(|r| r.rule.is_mapped()) {
        let (rule, default, values) = describe(r);
        for (i, target) in r.rule.targets().into_iter().enumerate() {
            let values = match r.rule {
                ChargingStatus(_) if target == IS_CHARGING => {
                    "true for CHARGING, false for any other status (absent when the status is null)"
                        .to_string()
                }
                DoorLocks => list(LOCK_STATUS, |v| v[i].to_string()),
                _ => values.clone(),
            };
            let s = vss(target);
            let _ = writeln!(
                out,
                "| `{}`{} | {} | `{}` | {} | {} | {} | {} |",
                r.descriptor,
                if in_catalogue.contains(r.descriptor) {
                    ""
                } else {
                    " ¹"
                },
                rule,
                target,
                s.map_or("?", |s| s.datatype.vss_name()),
                s.and_then(|s| s.unit).unwrap_or("–"),
                if default.is_empty() { "–" } else { default },
                values
            );
        }
    }
    out.push_str(
        "\n¹ not in the catalogue snapshot; named by signals.md A.3 or seen from integrations.\n\n\
         ## VSS leaves and the descriptors that fill them\n\n\
         | VSS path | BMW descriptors |\n|---|---|\n",
    );
    let mut by_leaf: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in ROWS {
        for t in r.rule.targets() {
            by_leaf.entry(t).or_default().push(r.descriptor);
        }
    }
    for (leaf, ds) in by_leaf {
        let _ = writeln!(out, "| `{leaf}` | {} |", quoted(ds));
    }
    out.push_str(
        "\n## Kept as `BMW.{descriptor}`, and why\n\n\
         | BMW descriptor | why |\n|---|---|\n",
    );
    let mut kept: Vec<&Row> = ROWS.iter().filter(|r| !r.rule.is_mapped()).collect();
    kept.sort_by_key(|r| r.descriptor);
    for r in kept {
        if let Keep(why) = r.rule {
            let mark = if in_catalogue.contains(r.descriptor) {
                ""
            } else {
                " ¹"
            };
            let _ = writeln!(out, "| `{}`{mark} | {why} |", r.descriptor);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The descriptors of the catalogue snapshot the tests use.
    fn catalogue() -> Vec<String> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/bmw-cardata-catalogue.json"
        );
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).expect("catalogue")).unwrap();
        doc["items"]
            .as_object()
            .expect("items")
            .keys()
            .map(|k| crate::providers::bmw::normalize::strip_zero_width(k))
            .collect()
    }

    #[test]
    fn docs_signals_bmw_md_is_current() {
        let names = catalogue();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/signals-bmw.md");
        let want = markdown(&names);
        if std::env::var_os("VINSTREAM_BLESS").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "docs/signals-bmw.md is stale: run `VINSTREAM_BLESS=1 cargo test docs_signals`"
        );
    }

    #[test]
    fn every_catalogue_descriptor_has_a_row() {
        for d in catalogue() {
            assert!(
                lookup(&d).is_some(),
                "{d} has no row (map it or say why it is kept)"
            );
        }
    }
}
