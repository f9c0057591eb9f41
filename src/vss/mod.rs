//! VSS knowledge: paths, datatypes, units and conversions. Nothing here knows a
//! provider's envelope; providers hand over numbers and unit names.

pub mod catalogue;
pub mod units;

use serde_json::Value;

/// VSS datatypes we emit. Integer types become JSON integers (SPEC.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datatype {
    UInt8,
    UInt16,
    UInt32,
    Int8,
    Int16,
    Int32,
    Float,
    Double,
    Boolean,
    String,
    StringArray,
}

impl Datatype {
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            Datatype::UInt8
                | Datatype::UInt16
                | Datatype::UInt32
                | Datatype::Int8
                | Datatype::Int16
                | Datatype::Int32
        )
    }
}

/// Render a number in the datatype's JSON form: integers rounded to the nearest whole
/// unit, floats kept as floats. Non-finite numbers have no JSON form and become `null`.
pub fn number_value(datatype: Datatype, v: f64) -> Value {
    if !v.is_finite() {
        return Value::Null;
    }
    if datatype.is_integer() {
        Value::from(v.round() as i64)
    } else {
        serde_json::Number::from_f64(strip_float_noise(v))
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// Conversions leave binary noise (`0.64 * 100 = 64.00000000000001`); 12 significant
/// digits is far beyond any sensor's precision and prints what a person expects.
fn strip_float_noise(v: f64) -> f64 {
    format!("{v:.11e}").parse().unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_and_floats_stay_floats() {
        assert_eq!(
            number_value(Datatype::UInt32, 19_201_010.000_000_004),
            Value::from(19_201_010)
        );
        assert_eq!(number_value(Datatype::Double, 63.0).to_string(), "63.0");
        assert_eq!(number_value(Datatype::Float, f64::NAN), Value::Null);
        assert_eq!(
            number_value(Datatype::Float, 0.64 * 100.0).to_string(),
            "64.0"
        );
        assert_eq!(number_value(Datatype::Double, 11.572).to_string(), "11.572");
        assert_eq!(
            number_value(Datatype::Double, -0.000123).to_string(),
            "-0.000123"
        );
    }

    #[test]
    fn catalogue_units_are_known_to_the_converter() {
        for s in catalogue::SIGNALS {
            if let Some(unit) = s.unit {
                assert!(
                    unit == "percent" || units::quantity_of(unit).is_some(),
                    "{} has unit {unit} the converter does not know",
                    s.path
                );
            }
        }
    }
}
