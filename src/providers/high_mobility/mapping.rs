//! High Mobility (Auto API level 13) → VSS 6.0 mapping, as a table.
//!
//! One row per `capability.property`; adding a mapping is adding a row. A value whose
//! shape does not fit its row (a string where a unit value was expected, an unknown
//! unit) is not forced: the caller passes it through under `HM.` so nothing is lost.

use crate::vss::{self, catalogue};
use serde_json::Value;

/// How an entry's `data` becomes VSS values.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// `{"unit": .., "value": ..}` converted to the unit of the VSS signal.
    Measure(&'static str),
    /// A bare 0.0–1.0 fraction, emitted as VSS `percent` (×100).
    Percentage(&'static str),
    /// `{"latitude": .., "longitude": ..}`, split into the two VSS signals.
    Coordinates,
}

#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub capability: &'static str,
    pub property: &'static str,
    pub rule: Rule,
}

const fn row(capability: &'static str, property: &'static str, rule: Rule) -> Row {
    Row {
        capability,
        property,
        rule,
    }
}

use Rule::*;

pub const ROWS: &[Row] = &[
    row(
        "diagnostics",
        "odometer",
        Measure("Vehicle.TraveledDistance"),
    ),
    // deprecated aliases of odometer, still sent by older OEM pipelines
    row(
        "diagnostics",
        "mileage",
        Measure("Vehicle.TraveledDistance"),
    ),
    row(
        "diagnostics",
        "mileage_meters",
        Measure("Vehicle.TraveledDistance"),
    ),
    row("diagnostics", "speed", Measure("Vehicle.Speed")),
    row(
        "diagnostics",
        "battery_voltage",
        Measure("Vehicle.LowVoltageBattery.CurrentVoltage"),
    ),
    row("vehicle_location", "coordinates", Coordinates),
    row(
        "vehicle_location",
        "altitude",
        Measure("Vehicle.CurrentLocation.Altitude"),
    ),
    row(
        "vehicle_location",
        "heading",
        Measure("Vehicle.CurrentLocation.Heading"),
    ),
    row(
        "charging",
        "battery_level",
        Percentage("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"),
    ),
    row(
        "charging",
        "estimated_range",
        Measure("Vehicle.Powertrain.TractionBattery.Range"),
    ),
    row(
        "climate",
        "outside_temperature",
        Measure("Vehicle.Exterior.AirTemperature"),
    ),
];

pub fn lookup(capability: &str, property: &str) -> Option<&'static Row> {
    ROWS.iter()
        .find(|r| r.capability == capability && r.property == property)
}

/// A VSS value produced by a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    pub path: &'static str,
    pub value: Value,
    pub unit: Option<&'static str>,
}

impl Rule {
    /// The VSS paths this rule writes, for entries that carry a failure instead of data.
    pub fn paths(self) -> &'static [&'static str] {
        match self {
            Measure(p) | Percentage(p) => match catalogue::signal(p) {
                Some(s) => std::slice::from_ref(&s.path),
                None => &[],
            },
            Coordinates => &[
                "Vehicle.CurrentLocation.Latitude",
                "Vehicle.CurrentLocation.Longitude",
            ],
        }
    }

    /// Apply the rule; `None` when `data` does not have the shape the rule expects.
    pub fn apply(self, data: &Value) -> Option<Vec<Mapped>> {
        match self {
            Measure(path) => {
                let sig = catalogue::signal(path)?;
                let unit = data.get("unit")?.as_str()?;
                let value = data.get("value")?.as_f64()?;
                let target = sig.unit?;
                let converted = vss::units::convert(value, unit, target)?;
                Some(vec![Mapped {
                    path: sig.path,
                    value: vss::number_value(sig.datatype, converted),
                    unit: Some(target),
                }])
            }
            Percentage(path) => {
                let sig = catalogue::signal(path)?;
                let fraction = data.as_f64()?;
                Some(vec![Mapped {
                    path: sig.path,
                    value: vss::number_value(sig.datatype, fraction * 100.0),
                    unit: Some("percent"),
                }])
            }
            Coordinates => {
                let lat = data.get("latitude")?.as_f64()?;
                let lon = data.get("longitude")?.as_f64()?;
                let [lat_path, lon_path] = [
                    "Vehicle.CurrentLocation.Latitude",
                    "Vehicle.CurrentLocation.Longitude",
                ];
                let dt = catalogue::signal(lat_path)?.datatype;
                Some(vec![
                    Mapped {
                        path: lat_path,
                        value: vss::number_value(dt, lat),
                        unit: Some("degrees"),
                    },
                    Mapped {
                        path: lon_path,
                        value: vss::number_value(dt, lon),
                        unit: Some("degrees"),
                    },
                ])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_row_targets_a_catalogued_path() {
        for r in ROWS {
            let paths = r.rule.paths();
            assert!(!paths.is_empty(), "{}.{}", r.capability, r.property);
            for p in paths {
                assert!(catalogue::signal(p).is_some(), "{p} not in the catalogue");
            }
        }
    }

    #[test]
    fn rows_are_unique() {
        for (i, a) in ROWS.iter().enumerate() {
            for b in &ROWS[i + 1..] {
                assert!(
                    (a.capability, a.property) != (b.capability, b.property),
                    "duplicate row {}.{}",
                    a.capability,
                    a.property
                );
            }
        }
    }

    #[test]
    fn measure_converts_to_the_vss_unit_and_type() {
        let m = Measure("Vehicle.TraveledDistance")
            .apply(&json!({"unit": "miles", "value": 10}))
            .unwrap();
        assert_eq!(m[0].value, json!(16093));
        assert_eq!(m[0].unit, Some("m"));
        let h = Measure("Vehicle.CurrentLocation.Heading")
            .apply(&json!({"unit": "radians", "value": std::f64::consts::FRAC_PI_2}))
            .unwrap();
        assert!((h[0].value.as_f64().unwrap() - 90.0).abs() < 1e-9);
    }

    #[test]
    fn shapes_that_do_not_fit_are_refused() {
        let r = Measure("Vehicle.TraveledDistance");
        assert!(r.apply(&json!("100 km")).is_none());
        assert!(r.apply(&json!({"unit": "parsecs", "value": 1})).is_none());
        assert!(r.apply(&json!({"unit": "kelvin", "value": 1})).is_none());
        assert!(Coordinates.apply(&json!({"latitude": 1})).is_none());
        assert!(
            Percentage("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current")
                .apply(&json!("64%"))
                .is_none()
        );
    }

    #[test]
    fn percentages_scale_to_percent() {
        let m = Percentage("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current")
            .apply(&json!(0.64))
            .unwrap();
        assert_eq!(m[0].value, json!(64.0));
        assert_eq!(m[0].unit, Some("percent"));
    }
}
