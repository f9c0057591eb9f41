//! The whole COVESA VSS 6.0 catalogue, read from `data/vss-6.0.csv` (exported with
//! vss-tools, instances expanded, unmodified), plus the project's overlays.
//!
//! A mapping row only names a path; datatype, unit, range and allowed values come from
//! here, so there is one source of truth for "odometer is uint32 metres in 6.0" and no
//! hand-kept copy that can drift from the standard.

use super::csv::fields;
use super::Datatype;
use std::collections::HashMap;
use std::string::String as Text;
use std::sync::LazyLock;

/// The catalogue as shipped in the binary.
const CSV: &str = include_str!("data/vss-6.0.csv");

/// Instance names VSS expands (`Row1`, `DriverSide`, `Left`, …): `*` in a template path
/// stands for one of them (see [`instance_path`]).
const INSTANCES: &[&str] = &[
    "Row1",
    "Row2",
    "Row3",
    "Row4",
    "DriverSide",
    "PassengerSide",
    "Middle",
    "Left",
    "Right",
    "FrontLeft",
    "FrontMiddle",
    "FrontRight",
    "RearLeft",
    "RearMiddle",
    "RearRight",
    "AnyPosition",
];

/// A VSS leaf: its path, datatype, unit id (`None` for booleans, strings, enums), range
/// and allowed values, as the catalogue states them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VssSignal {
    pub path: &'static str,
    pub datatype: Datatype,
    pub unit: Option<&'static str>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Empty when any value of the datatype is allowed.
    pub allowed: &'static [&'static str],
    pub deprecated: bool,
    /// Whether this leaf is one of the project's [`OVERLAYS`], not standard VSS.
    pub overlay: bool,
}

impl VssSignal {
    /// Whether a number lies within the leaf's catalogue range (bounds included).
    pub fn in_range(&self, v: f64) -> bool {
        self.min.is_none_or(|lo| v >= lo) && self.max.is_none_or(|hi| v <= hi)
    }

    /// Whether a string is one of the leaf's allowed values (any, when none are listed).
    pub fn allows(&self, v: &str) -> bool {
        self.allowed.is_empty() || self.allowed.contains(&v)
    }
}

/// A path VSS 6.0 lacks that the project emits, and why it must exist.
#[derive(Debug, Clone, Copy)]
pub struct Overlay {
    pub signal: VssSignal,
    pub why: &'static str,
}

/// Overlay paths, each with its reason (SPEC.md §3, signals.md A.4). Keep this short:
/// a value with no VSS leaf stays under its vendor name instead.
pub const OVERLAYS: &[Overlay] = &[Overlay {
    signal: VssSignal {
        path: "Vehicle.Powertrain.TractionBattery.Charging.Status",
        datatype: Datatype::String,
        unit: None,
        min: None,
        max: None,
        allowed: &[
            "NOT_CONNECTED",
            "IDLE",
            "WAITING",
            "CHARGING",
            "PAUSED",
            "COMPLETE",
            "DISCHARGING",
            "ERROR",
        ],
        deprecated: false,
        overlay: true,
    },
    // signals.md A.4's UNKNOWN is written as `null` (with the failure, when the
    // provider sent one), as every other leaf says "the vehicle does not know"
    why: "VSS 6.0 has no charging-state enum, only IsCharging / IsDischarging booleans; \
          both providers report a richer state (plugged, waiting, paused, complete, error) \
          that fleet charging logic needs",
}];

struct Catalogue {
    leaves: Vec<VssSignal>,
    /// Looked up for every signal of every message: foldhash, not std's SipHash (which was
    /// ~2 % of a drain's instructions here; the keys are the catalogue's own paths).
    by_path: HashMap<&'static str, usize, foldhash::fast::RandomState>,
    /// `*`-templates (`Vehicle.Cabin.Door.*.*.IsOpen`) → the first leaf they match.
    by_template: HashMap<Text, usize, foldhash::fast::RandomState>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(load);

fn load() -> Catalogue {
    let mut leaves: Vec<VssSignal> = CSV
        .lines()
        .skip(1)
        .filter_map(|line| match leaf(line) {
            Ok(leaf) => leaf,
            Err(why) => panic!("data/vss-6.0.csv: {why} in line {line:?}"),
        })
        .collect();
    leaves.extend(OVERLAYS.iter().map(|o| o.signal));
    let mut by_path = HashMap::with_capacity_and_hasher(leaves.len(), Default::default());
    let mut by_template = HashMap::default();
    for (i, s) in leaves.iter().enumerate() {
        by_path.entry(s.path).or_insert(i);
        for t in templates(s.path) {
            by_template.entry(t).or_insert(i);
        }
    }
    Catalogue {
        leaves,
        by_path,
        by_template,
    }
}

/// One CSV line as a leaf; `Ok(None)` for branches.
fn leaf(line: &'static str) -> Result<Option<VssSignal>, Text> {
    let f = fields(line);
    let get = |i: usize| f.get(i).copied().unwrap_or("");
    // Signal, Type, DataType, Deprecated, Unit, Min, Max, Desc, Comment, Allowed, Default
    if !matches!(get(1), "sensor" | "actuator" | "attribute") {
        return Ok(None);
    }
    let datatype =
        Datatype::from_vss(get(2)).ok_or_else(|| format!("unknown datatype {:?}", get(2)))?;
    let number = |s: &str| -> Result<Option<f64>, Text> {
        (!s.is_empty())
            .then(|| s.parse().map_err(|_| format!("bad bound {s:?}")))
            .transpose()
    };
    Ok(Some(VssSignal {
        path: get(0),
        datatype,
        unit: Some(get(4)).filter(|u| !u.is_empty()),
        min: number(get(5))?,
        max: number(get(6))?,
        allowed: allowed_values(get(9)),
        deprecated: !get(3).is_empty(),
        overlay: false,
    }))
}

/// `['A', 'B']` as `["A", "B"]`, leaked once: the catalogue lives as long as the process.
fn allowed_values(list: &'static str) -> &'static [&'static str] {
    let inner = list.trim().trim_start_matches('[').trim_end_matches(']');
    if inner.trim().is_empty() {
        return &[];
    }
    let values: Vec<&'static str> = inner
        .split(',')
        .map(|v| v.trim().trim_matches('\''))
        .collect();
    Box::leak(values.into_boxed_slice())
}

/// Every template of a path: each combination of its instance segments replaced by `*`.
fn templates(path: &str) -> Vec<Text> {
    let parts: Vec<&str> = path.split('.').collect();
    let slots: Vec<usize> = (0..parts.len())
        .filter(|&i| i > 0 && INSTANCES.contains(&parts[i]))
        .collect();
    (1u32..1 << slots.len())
        .map(|mask| {
            let mut p = parts.clone();
            for (bit, &i) in slots.iter().enumerate() {
                if mask & (1 << bit) != 0 {
                    p[i] = "*";
                }
            }
            p.join(".")
        })
        .collect()
}

/// Every leaf of VSS 6.0, then the overlays.
pub fn signals() -> &'static [VssSignal] {
    &CATALOGUE.leaves
}

/// Fill a template's `*` instance slots in order: `("…Axle.*.Wheel.*.Tire", ["Row1", "Left"])`.
pub fn instance_path(template: &str, instances: &[&str]) -> Text {
    let mut out = Text::with_capacity(template.len() + 16);
    let mut it = instances.iter();
    for (i, part) in template.split('*').enumerate() {
        if i > 0 {
            out.push_str(it.next().copied().unwrap_or("*"));
        }
        out.push_str(part);
    }
    out
}

/// Look up a leaf, an overlay, or a `*` template of instance leaves (all of which share
/// datatype and unit); `None` for anything VSS 6.0 does not have.
pub fn signal(path: &str) -> Option<&'static VssSignal> {
    let c = &*CATALOGUE;
    let i = match c.by_path.get(path) {
        Some(&i) => i,
        None if path.contains('*') => *c.by_template.get(path)?,
        None => return None,
    };
    c.leaves.get(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_catalogue_loads() {
        let standard = signals().iter().filter(|s| !s.overlay).count();
        assert_eq!(
            standard, 1267,
            "VSS 6.0 has 1,267 leaves with instances expanded"
        );
        let odo = signal("Vehicle.TraveledDistance").unwrap();
        assert_eq!((odo.datatype, odo.unit), (Datatype::UInt32, Some("m")));
        let sunroof = signal("Vehicle.Cabin.Sunroof.Position").unwrap();
        assert_eq!((sunroof.min, sunroof.max), (Some(-100.0), Some(100.0)));
        assert!(sunroof.in_range(-100.0) && !sunroof.in_range(100.5));
        let lv = signal("Vehicle.LowVoltageSystemState").unwrap();
        assert_eq!(
            lv.allowed,
            ["UNDEFINED", "LOCK", "OFF", "ACC", "ON", "START"]
        );
        assert!(lv.allows("ACC") && !lv.allows("acc"));
        assert_eq!(
            signal("Vehicle.Diagnostics.DTCList").unwrap().datatype,
            Datatype::StringArray
        );
        assert!(signal("Vehicle.NoSuchThing").is_none());
    }

    #[test]
    fn templates_find_instance_leaves() {
        let t = signal("Vehicle.Chassis.Axle.*.Wheel.*.Tire.Pressure").unwrap();
        assert_eq!((t.datatype, t.unit), (Datatype::UInt16, Some("kPa")));
        assert!(signal("Vehicle.Cabin.Door.*.*.Window.Position").is_some());
        assert!(signal("Vehicle.Chassis.Axle.*.Wheel.*.NoSuchThing").is_none());
        // A template never matches a path that is not instance-expanded there.
        assert!(signal("Vehicle.*").is_none());
    }

    /// Instances of one template agree on datatype and unit, so a template lookup is
    /// as good as the concrete leaf's.
    #[test]
    fn instances_of_a_template_agree() {
        let mut seen: HashMap<Text, (Datatype, Option<&str>)> = HashMap::new();
        for s in signals() {
            for t in templates(s.path) {
                let e = *seen.entry(t.clone()).or_insert((s.datatype, s.unit));
                assert_eq!(e, (s.datatype, s.unit), "{t} disagrees at {}", s.path);
            }
        }
    }

    #[test]
    fn overlays_are_not_in_vss() {
        for o in OVERLAYS {
            assert!(
                !CSV.lines()
                    .any(|l| l.starts_with(&format!("{},", o.signal.path))),
                "{} is standard VSS now: drop the overlay",
                o.signal.path
            );
            assert!(o.signal.overlay && !o.why.is_empty());
        }
    }

    #[test]
    fn instance_paths_fill_in_order() {
        assert_eq!(
            instance_path(
                "Vehicle.Chassis.Axle.*.Wheel.*.Tire.Pressure",
                &["Row1", "Left"]
            ),
            "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure"
        );
        assert_eq!(instance_path("Vehicle.Speed", &[]), "Vehicle.Speed");
    }

    #[test]
    fn paths_are_unique() {
        let c = &*CATALOGUE;
        assert_eq!(c.by_path.len(), c.leaves.len());
    }
}
