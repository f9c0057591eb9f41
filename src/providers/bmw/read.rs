//! Reading BMW values leniently: zero-width characters in names, words for booleans and
//! "no data", numbers as numbers or strings, BMW's many unit spellings.
//!
//! Kept apart from the envelope and the rules so each reading is tested on its own.

use super::mapping::{BOOLEAN_WORDS, NO_DATA};
use crate::vss::Datatype;
use serde_json::Value;

pub(super) fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

pub(super) fn remove_zero_width(s: &str) -> String {
    s.chars().filter(|&c| !is_zero_width(c)).collect()
}

/// A case-insensitive word lookup.
pub(super) fn lookup<T: Copy>(table: &[(&str, T)], word: &str) -> Option<T> {
    table
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(word))
        .map(|(_, v)| *v)
}

pub(super) fn is_no_data(word: &str) -> bool {
    NO_DATA.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// A boolean, leniently: `Some(None)` when the vehicle says it does not know, `None`
/// when the value is no boolean at all.
pub(super) fn flag(value: &Value, words: &[(&str, bool)]) -> Option<Option<bool>> {
    match value {
        Value::Null => Some(None),
        Value::Bool(b) => Some(Some(*b)),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(Some(true)),
            Some(0.0) => Some(Some(false)),
            _ => None,
        },
        Value::String(s) => {
            let s = s.trim();
            if let Some(b) = lookup(words, s).or_else(|| lookup(BOOLEAN_WORDS, s)) {
                Some(Some(b))
            } else if is_no_data(s) {
                Some(None)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// A finite number from a JSON number or a numeric string.
pub(super) fn number(value: &Value) -> Option<f64> {
    let n = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// A BMW unit spelling as a unit name `vss::units` knows (or `percent`); `Some(None)`
/// when the message names no unit at all, `None` when the spelling is unknown.
pub(super) fn unit_name(raw: Option<&str>) -> Option<Option<&'static str>> {
    let Some(raw) = raw else {
        return Some(None);
    };
    let raw = remove_zero_width(raw);
    let u = raw.trim().to_lowercase();
    Some(Some(match u.as_str() {
        "" | "null" | "none" => return Some(None),
        "%" | "percent" | "pct" => "percent",
        "m" | "meter" | "meters" | "metre" | "metres" => "m",
        "km" | "kilometer" | "kilometers" | "kilometre" | "kilometres" => "km",
        "mi" | "mile" | "miles" => "mi",
        "ft" | "foot" | "feet" => "feet",
        "l" | "liter" | "liters" | "litre" | "litres" => "l",
        "gal" | "gallon" | "gallons" => "gallons",
        "°c" | "℃" | "c" | "degc" | "celsius" => "Celsius",
        "°f" | "℉" | "f" | "degf" | "fahrenheit" => "fahrenheit",
        "k" | "kelvin" => "kelvin",
        "kpa" | "kilopascal" | "kilopascals" => "kPa",
        "pa" => "Pa",
        "bar" | "bars" => "bars",
        "psi" => "pounds_force_per_square_inch",
        "v" | "volt" | "volts" => "V",
        "a" | "amp" | "amps" | "ampere" | "amperes" => "A",
        "w" | "watt" | "watts" => "W",
        "kw" | "kilowatt" | "kilowatts" => "kW",
        "wh" => "Wh",
        "kwh" => "kWh",
        "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "min" | "mins" | "minute" | "minutes" => "min",
        "h" | "hr" | "hrs" | "hour" | "hours" => "h",
        "°" | "deg" | "degree" | "degrees" => "degrees",
        "km/h" | "kmh" | "kph" => "km/h",
        "mph" => "miles_per_hour",
        _ => return None,
    }))
}

/// Whether a number has a form in the datatype: finite, and within an integer's range.
pub(super) fn fits(datatype: Datatype, v: f64) -> bool {
    let v = if datatype.is_integer() { v.round() } else { v };
    let (lo, hi) = datatype.integer_range().unwrap_or((f64::MIN, f64::MAX));
    v.is_finite() && v >= lo && v <= hi
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::bmw::mapping;
    use crate::vss::units;
    use serde_json::json;

    #[test]
    fn zero_width_characters_are_removed() {
        assert_eq!(remove_zero_width(" a\u{200b}b\u{feff} "), " ab ");
        assert!(is_zero_width('\u{2060}'));
        assert!(!is_zero_width(' '));
    }

    #[test]
    fn numbers_are_read_from_numbers_and_numeric_strings() {
        assert_eq!(number(&json!(87897)), Some(87897.0));
        assert_eq!(number(&json!(" 9.498705 ")), Some(9.498705));
        assert_eq!(number(&json!("1e3")), Some(1000.0));
        assert_eq!(number(&json!("NaN")), None);
        assert_eq!(number(&json!("inf")), None);
        assert_eq!(number(&json!("12 km")), None);
        assert_eq!(number(&json!(true)), None);
    }

    #[test]
    fn booleans_are_read_leniently() {
        let t = Some(Some(true));
        let f = Some(Some(false));
        assert_eq!(flag(&json!(true), &[]), t);
        assert_eq!(flag(&json!(1), &[]), t);
        assert_eq!(flag(&json!(0.0), &[]), f);
        assert_eq!(flag(&json!(2), &[]), None);
        assert_eq!(flag(&json!("False"), &[]), f);
        assert_eq!(flag(&json!("asn_istrue"), &[]), t);
        assert_eq!(flag(&json!("ASN_isUnknown"), &[]), Some(None));
        assert_eq!(flag(&json!("open"), mapping::OPEN), t);
        assert_eq!(flag(&json!("OPEN"), &[]), None);
        assert_eq!(flag(&json!("invalid"), mapping::OPEN), Some(None));
        assert_eq!(flag(&json!("ajar"), mapping::OPEN), None);
        assert_eq!(flag(&json!({"a": 1}), &[]), None);
        assert_eq!(flag(&json!("REMOTE_ON_DRIVE"), mapping::CONDITIONING), t);
        assert_eq!(flag(&json!("remote_off"), mapping::CONDITIONING), f);
    }

    #[test]
    fn units_are_aliased_to_converter_names() {
        assert_eq!(unit_name(None), Some(None));
        assert_eq!(unit_name(Some(" ")), Some(None));
        assert_eq!(unit_name(Some("null")), Some(None));
        assert_eq!(unit_name(Some("%")), Some(Some("percent")));
        assert_eq!(unit_name(Some("Miles")), Some(Some("mi")));
        assert_eq!(unit_name(Some("°C")), Some(Some("Celsius")));
        assert_eq!(unit_name(Some("gal")), Some(Some("gallons")));
        assert_eq!(unit_name(Some("stars")), None);
        for alias in [
            "m", "km", "mi", "ft", "l", "gal", "°c", "°f", "k", "kpa", "pa", "bar", "psi", "v",
            "a", "w", "kw", "wh", "kwh", "s", "min", "h", "deg", "km/h", "mph",
        ] {
            let name = unit_name(Some(alias)).unwrap().unwrap();
            assert!(units::quantity_of(name).is_some(), "{alias} → {name}");
        }
    }

    #[test]
    fn integers_must_fit_their_datatype() {
        assert!(fits(Datatype::UInt8, 255.4));
        assert!(!fits(Datatype::UInt8, 255.6));
        assert!(!fits(Datatype::UInt32, -1.0));
        assert!(fits(Datatype::Int8, -100.0));
        assert!(!fits(Datatype::Float, f64::INFINITY));
        assert!(fits(Datatype::Double, -1e300));
    }
}
