//! VSS knowledge: paths, datatypes, units and conversions. Nothing here knows a
//! provider's envelope; providers hand over numbers and unit names.

pub mod admit;
pub mod catalogue;
mod csv;
pub mod units;

use serde_json::Value;

/// VSS datatypes. Integer types become JSON integers (SPEC.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datatype {
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Int8,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    Boolean,
    String,
    StringArray,
    FloatArray,
    UInt8Array,
}

/// VSS's own names, as the catalogue writes them.
const NAMES: &[(&str, Datatype)] = &[
    ("uint8", Datatype::UInt8),
    ("uint16", Datatype::UInt16),
    ("uint32", Datatype::UInt32),
    ("uint64", Datatype::UInt64),
    ("int8", Datatype::Int8),
    ("int16", Datatype::Int16),
    ("int32", Datatype::Int32),
    ("int64", Datatype::Int64),
    ("float", Datatype::Float),
    ("double", Datatype::Double),
    ("boolean", Datatype::Boolean),
    ("string", Datatype::String),
    ("string[]", Datatype::StringArray),
    ("float[]", Datatype::FloatArray),
    ("uint8[]", Datatype::UInt8Array),
];

impl Datatype {
    /// The datatype of a VSS name (`uint8`, `string[]`); `None` for one we do not model.
    pub fn from_vss(name: &str) -> Option<Datatype> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, d)| *d)
    }

    /// The VSS name, as in the catalogue and the docs tables.
    pub fn vss_name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, d)| *d == self)
            .map_or("?", |(n, _)| n)
    }

    /// The range of an integer datatype; `None` for the others.
    pub fn integer_range(self) -> Option<(f64, f64)> {
        Some(match self {
            Datatype::UInt8 => (0.0, u8::MAX as f64),
            Datatype::UInt16 => (0.0, u16::MAX as f64),
            Datatype::UInt32 => (0.0, u32::MAX as f64),
            Datatype::UInt64 => (0.0, u64::MAX as f64),
            Datatype::Int8 => (i8::MIN as f64, i8::MAX as f64),
            Datatype::Int16 => (i16::MIN as f64, i16::MAX as f64),
            Datatype::Int32 => (i32::MIN as f64, i32::MAX as f64),
            Datatype::Int64 => (i64::MIN as f64, i64::MAX as f64),
            _ => return None,
        })
    }

    pub fn is_integer(self) -> bool {
        self.integer_range().is_some()
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
///
/// A number whose shortest round-trip form has at most 12 significant digits (most
/// sensor values) is returned as is: rounding it to 12 digits gives that same form back.
/// Only the others are rounded, without allocating.
fn strip_float_noise(v: f64) -> f64 {
    use std::fmt::Write;
    if has_short_decimal(v) {
        return v;
    }
    let mut buf = StackText::default();
    if write!(buf, "{v:e}").is_ok() && significant_digits(buf.as_str()) <= 12 {
        return v;
    }
    buf.clear();
    if write!(buf, "{v:.11e}").is_err() {
        return format!("{v:.11e}").parse().unwrap_or(v);
    }
    buf.as_str().parse().unwrap_or(v)
}

/// Whether `v` is exactly the double nearest to `m / 10^k` for an integer `|m| < 10^12`
/// and `k <= 8`: then that decimal round-trips, so `v`'s shortest form has at most 12
/// significant digits and needs no rounding. (IEEE division and decimal parsing both round
/// correctly, so `m / 10^k == v` is that test.) A few multiplications instead of
/// formatting the number: sensor values (odometers, coordinates, percentages) nearly
/// always have a handful of decimals, and the formatting was ~5 % of a drain's
/// instructions.
fn has_short_decimal(v: f64) -> bool {
    const POW10: [f64; 9] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];
    POW10.iter().any(|&p| {
        let m = (v * p).round();
        m.abs() < 1e12 && m / p == v
    })
}

/// Digits of the mantissa of `{:e}` output (`-1.2345e-7` has 5).
fn significant_digits(exp_form: &str) -> usize {
    exp_form
        .split('e')
        .next()
        .map_or(usize::MAX, |m| m.bytes().filter(u8::is_ascii_digit).count())
}

/// A small text buffer on the stack for formatting one number.
struct StackText {
    buf: [u8; 64],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        StackText {
            buf: [0; 64],
            len: 0,
        }
    }
}

impl StackText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
    fn clear(&mut self) {
        self.len = 0;
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
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

    /// The fast path and the general rounding agree on every kind of value.
    #[test]
    fn noise_stripping_matches_rounding_to_12_digits() {
        let slow = |v: f64| -> f64 { format!("{v:.11e}").parse().unwrap_or(v) };
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut samples = vec![
            0.0,
            -0.0,
            1.0,
            0.1,
            0.64 * 100.0,
            19_201.01 * 1000.0,
            11.572,
            -0.000123,
            1e-300,
            1.7976931348623157e308,
            5e-324,
            123_456_789_012.0,
            1_234_567_890_123.0,
            0.1 + 0.2,
            48.523067,
            f64::MIN_POSITIVE,
        ];
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            if v.is_finite() {
                samples.push(v);
            }
            samples.push((x % 1_000_000) as f64 / 1000.0 * 1.609_344);
            samples.push((x % 100_000) as f64 / 100.0);
            // coordinates, odometers: up to 8 decimals, around the 12-digit edge too
            let k = (x >> 60) as i32 % 9;
            samples.push((x % 1_000_000_000_000) as f64 / 10f64.powi(k));
            samples.push(-((x % 10_000_000_000_000) as f64) / 10f64.powi(k));
            samples.push((x % 200_000_000) as f64 / 1e6 - 100.0);
        }
        for v in samples {
            assert_eq!(strip_float_noise(v).to_bits(), slow(v).to_bits(), "{v:e}");
        }
    }
}
