//! Whether a value belongs in a leaf: inside its catalogue range and datatype, one of its
//! allowed values. A value that does not is not forced in (clamped, renamed): the
//! provider keeps it under its vendor name, so nothing is lost, and it is counted.

use super::catalogue::VssSignal;
use serde_json::Value;

/// Why a value was kept out of a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misfit {
    /// A number outside the leaf's min/max or its integer datatype's range.
    OutOfRange,
    /// A string that is not one of the leaf's allowed values.
    NotAllowed,
}

impl Misfit {
    pub fn as_str(self) -> &'static str {
        match self {
            Misfit::OutOfRange => "out_of_range",
            Misfit::NotAllowed => "not_allowed",
        }
    }
}

impl VssSignal {
    /// Check a value already in the leaf's unit and JSON form. `null` (a failure) and
    /// booleans always fit; arrays are checked element by element.
    pub fn admits(&self, v: &Value) -> Result<(), Misfit> {
        match v {
            Value::Number(n) => {
                let x = n.as_f64().ok_or(Misfit::OutOfRange)?;
                let (lo, hi) = self
                    .datatype
                    .integer_range()
                    .unwrap_or((f64::MIN, f64::MAX));
                if x.is_finite() && x >= lo && x <= hi && self.in_range(x) {
                    Ok(())
                } else {
                    Err(Misfit::OutOfRange)
                }
            }
            Value::String(s) if !self.allows(s) => Err(Misfit::NotAllowed),
            Value::Array(items) => items.iter().try_for_each(|i| self.admits(i)),
            _ => Ok(()),
        }
    }

    /// [`Self::admits`], counting a refusal (`vinstream_values_outside_leaf_total`).
    pub fn admit(&self, v: &Value) -> bool {
        match self.admits(v) {
            Ok(()) => true,
            Err(m) => {
                crate::telemetry::value_outside_leaf(self.path, m.as_str());
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vss::catalogue::signal;
    use serde_json::json;

    #[test]
    fn numbers_outside_the_catalogue_range_or_datatype_do_not_fit() {
        let soc = signal("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current").unwrap();
        assert_eq!(soc.admits(&json!(0)), Ok(()));
        assert_eq!(soc.admits(&json!(100.0)), Ok(()));
        assert_eq!(soc.admits(&json!(100.5)), Err(Misfit::OutOfRange));
        assert_eq!(soc.admits(&json!(-1)), Err(Misfit::OutOfRange));
        // uint8 has no catalogue max but its datatype has one
        let count = signal("Vehicle.Diagnostics.DTCCount").unwrap();
        assert_eq!(count.admits(&json!(255)), Ok(()));
        assert_eq!(count.admits(&json!(256)), Err(Misfit::OutOfRange));
        let heading = signal("Vehicle.CurrentLocation.Heading").unwrap();
        assert_eq!(heading.admits(&json!(360.5)), Err(Misfit::OutOfRange));
    }

    #[test]
    fn strings_must_be_allowed_values_and_failures_always_fit() {
        let state = signal("Vehicle.LowVoltageSystemState").unwrap();
        assert_eq!(state.admits(&json!("ON")), Ok(()));
        assert_eq!(state.admits(&json!("on")), Err(Misfit::NotAllowed));
        assert_eq!(state.admits(&Value::Null), Ok(()));
        let vin = signal("Vehicle.VehicleIdentification.VIN").unwrap();
        assert_eq!(vin.admits(&json!("anything")), Ok(()));
        let inlets = signal(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.SupportedInletTypes",
        )
        .unwrap();
        assert_eq!(inlets.admits(&json!(["IEC_TYPE_2_AC"])), Ok(()));
        assert_eq!(
            inlets.admits(&json!(["IEC_TYPE_2_AC", "NOPE"])),
            Err(Misfit::NotAllowed)
        );
    }
}
