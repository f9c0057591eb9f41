//! Unit conversion between provider unit names and VSS unit ids.
//!
//! Every unit is described by how it maps onto its quantity's base unit
//! (`base = value * linear + offset`), the form High Mobility's `unit_types.yml` uses.
//! Converting is then base-in, base-out, and a conversion across quantities is refused
//! instead of silently producing a wrong number. Fuel economy (km/l, mpg) is the
//! reciprocal of fuel consumption (l/100km), so those units are `base = linear / value`.

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    Length,
    Speed,
    Pressure,
    Temperature,
    Duration,
    Power,
    Energy,
    Volume,
    Angle,
    Voltage,
    Current,
    AngularVelocity,
    Acceleration,
    /// Fuel used per distance; base l/100km. Economy units (distance per fuel) are
    /// reciprocal units of this quantity.
    FuelConsumption,
}

#[derive(Debug, Clone, Copy)]
struct Unit {
    name: &'static str,
    quantity: Quantity,
    linear: f64,
    offset: f64,
    /// `base = linear / value` (distance-per-fuel units of a consumption).
    reciprocal: bool,
}

const fn u(name: &'static str, quantity: Quantity, linear: f64) -> Unit {
    Unit {
        name,
        quantity,
        linear,
        offset: 0.0,
        reciprocal: false,
    }
}

const fn per(name: &'static str, quantity: Quantity, linear: f64) -> Unit {
    Unit {
        name,
        quantity,
        linear,
        offset: 0.0,
        reciprocal: true,
    }
}

use Quantity::*;

/// Provider spellings and VSS ids side by side; the VSS ids are the short ones.
const UNITS: &[Unit] = &[
    // length, base metre
    u("m", Length, 1.0),
    u("meters", Length, 1.0),
    u("km", Length, 1000.0),
    u("kilometers", Length, 1000.0),
    u("millimeters", Length, 0.001),
    u("centimeters", Length, 0.01),
    u("decimeters", Length, 0.1),
    u("megameters", Length, 1_000_000.0),
    u("inches", Length, 0.0254),
    u("feet", Length, 0.3048),
    u("yards", Length, 0.9144),
    u("miles", Length, 1609.344),
    u("mi", Length, 1609.344),
    u("scandinavian_miles", Length, 10_000.0),
    u("nautical_miles", Length, 1852.0),
    // speed, base m/s
    u("m/s", Speed, 1.0),
    u("meters_per_second", Speed, 1.0),
    u("km/h", Speed, 1.0 / 3.6),
    u("kilometers_per_hour", Speed, 1.0 / 3.6),
    u("miles_per_hour", Speed, 0.44704),
    u("knots", Speed, 1852.0 / 3600.0),
    // pressure, base pascal
    u("Pa", Pressure, 1.0),
    u("pascals", Pressure, 1.0),
    u("kPa", Pressure, 1000.0),
    u("kilopascals", Pressure, 1000.0),
    u("bars", Pressure, 100_000.0),
    u("millibars", Pressure, 100.0),
    u("pounds_force_per_square_inch", Pressure, 6_894.757_293_168),
    u("inches_of_mercury", Pressure, 3_386.389),
    u("millimeters_of_mercury", Pressure, 133.322_387_415),
    // temperature, base kelvin
    Unit {
        name: "Celsius",
        quantity: Temperature,
        linear: 1.0,
        offset: 273.15,
        reciprocal: false,
    },
    Unit {
        name: "celsius",
        quantity: Temperature,
        linear: 1.0,
        offset: 273.15,
        reciprocal: false,
    },
    u("kelvin", Temperature, 1.0),
    Unit {
        name: "fahrenheit",
        quantity: Temperature,
        linear: 5.0 / 9.0,
        offset: 273.15 - 32.0 * 5.0 / 9.0,
        reciprocal: false,
    },
    // duration, base second
    u("s", Duration, 1.0),
    u("seconds", Duration, 1.0),
    u("milliseconds", Duration, 0.001),
    u("min", Duration, 60.0),
    u("minutes", Duration, 60.0),
    u("h", Duration, 3600.0),
    u("hours", Duration, 3600.0),
    u("days", Duration, 86_400.0),
    u("weeks", Duration, 604_800.0),
    u("months", Duration, 2_629_800.0),
    // power, base watt
    u("W", Power, 1.0),
    u("watts", Power, 1.0),
    u("milliwatts", Power, 0.001),
    u("kW", Power, 1000.0),
    u("kilowatts", Power, 1000.0),
    u("megawatts", Power, 1_000_000.0),
    u("horsepower", Power, 745.699_872),
    // energy, base joule
    u("J", Energy, 1.0),
    u("joules", Energy, 1.0),
    u("kilojoules", Energy, 1000.0),
    u("Wh", Energy, 3600.0),
    u("watt_hours", Energy, 3600.0),
    u("kWh", Energy, 3_600_000.0),
    u("kilowatt_hours", Energy, 3_600_000.0),
    // volume, base litre
    u("l", Volume, 1.0),
    u("liters", Volume, 1.0),
    u("milliliters", Volume, 0.001),
    u("centiliters", Volume, 0.01),
    u("deciliters", Volume, 0.1),
    u("cubic_millimeters", Volume, 0.000_001),
    u("cubic_centimeters", Volume, 0.001),
    u("cubic_decimeters", Volume, 1.0),
    u("cubic_meters", Volume, 1000.0),
    u("cubic_inches", Volume, 0.016_387_064),
    u("cubic_feet", Volume, 28.316_846_592),
    u("fluid_ounces", Volume, 0.029_573_529_562_5),
    u("gallons", Volume, 3.785_411_784),
    u("imperial_fluid_ounces", Volume, 0.028_413_062_5),
    u("imperial_gallons", Volume, 4.546_09),
    // angle, base degree
    u("degrees", Angle, 1.0),
    u("radians", Angle, 180.0 / std::f64::consts::PI),
    u("revolutions", Angle, 360.0),
    // electric potential, base volt
    u("V", Voltage, 1.0),
    u("volts", Voltage, 1.0),
    u("millivolts", Voltage, 0.001),
    u("kilovolts", Voltage, 1000.0),
    // electric current, base ampere
    u("A", Current, 1.0),
    u("amperes", Current, 1.0),
    u("milliamperes", Current, 0.001),
    u("kiloamperes", Current, 1000.0),
    // angular velocity, base degree per second
    u("degrees/s", AngularVelocity, 1.0),
    u("degrees_per_second", AngularVelocity, 1.0),
    u("rpm", AngularVelocity, 6.0),
    u("revolutions_per_minute", AngularVelocity, 6.0),
    u("rad/s", AngularVelocity, 180.0 / std::f64::consts::PI),
    u(
        "radians_per_second",
        AngularVelocity,
        180.0 / std::f64::consts::PI,
    ),
    // acceleration, base m/s²
    u("m/s^2", Acceleration, 1.0),
    u("meters_per_second_squared", Acceleration, 1.0),
    u("gravity", Acceleration, 9.806_65),
    // fuel consumption, base l/100km; economy units are its reciprocal
    u("l/100km", FuelConsumption, 1.0),
    u("liters_per_100_kilometers", FuelConsumption, 1.0),
    per("km/l", FuelConsumption, 100.0),
    per("kilometers_per_liter", FuelConsumption, 100.0),
    // 100 km / (mi/gal) expressed in l: 100 × 3.785411784 / 1.609344
    per("miles_per_gallon", FuelConsumption, 235.214_583_333_333_3),
    per(
        "miles_per_imperial_gallon",
        FuelConsumption,
        282.480_936_331_822_1,
    ),
];

/// Every signal with a unit converts once a message: a scan of the table's names cost
/// ~190 instructions a lookup (callgrind, issue 21); a hash lookup a third of that.
static BY_NAME: LazyLock<HashMap<&'static str, &'static Unit, foldhash::fast::RandomState>> =
    LazyLock::new(|| {
        let mut by_name = HashMap::with_capacity_and_hasher(UNITS.len(), Default::default());
        for u in UNITS {
            by_name.entry(u.name).or_insert(u);
        }
        by_name
    });

fn find(name: &str) -> Option<&'static Unit> {
    BY_NAME.get(name).copied()
}

/// The quantity a unit name measures, if we know the name.
pub fn quantity_of(name: &str) -> Option<Quantity> {
    find(name).map(|u| u.quantity)
}

/// Convert `value` from unit `from` to unit `to`; `None` when either unit is unknown
/// or they measure different quantities.
pub fn convert(value: f64, from: &str, to: &str) -> Option<f64> {
    let (f, t) = (find(from)?, find(to)?);
    if f.quantity != t.quantity {
        return None;
    }
    if f.name == t.name {
        return Some(value);
    }
    let base = if f.reciprocal {
        f.linear / value
    } else {
        value * f.linear + f.offset
    };
    let out = if t.reciprocal {
        t.linear / base
    } else {
        (base - t.offset) / t.linear
    };
    // a reciprocal of zero (0 km/l) has no consumption
    out.is_finite().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6 * b.abs().max(1.0)
    }

    #[test]
    fn converts_within_a_quantity() {
        assert!(close(
            convert(19201.01, "kilometers", "m").unwrap(),
            19_201_010.0
        ));
        assert!(close(convert(1.0, "miles", "m").unwrap(), 1609.344));
        assert!(close(convert(2.5, "bars", "kPa").unwrap(), 250.0));
        assert!(close(
            convert(32.0, "pounds_force_per_square_inch", "kPa").unwrap(),
            220.632_233_4
        ));
        assert!(close(
            convert(212.0, "fahrenheit", "Celsius").unwrap(),
            100.0
        ));
        assert!(close(convert(273.15, "kelvin", "Celsius").unwrap(), 0.0));
        assert!(close(
            convert(std::f64::consts::PI, "radians", "degrees").unwrap(),
            180.0
        ));
        assert!(close(convert(90.0, "minutes", "s").unwrap(), 5400.0));
        assert!(close(
            convert(100.0, "miles_per_hour", "km/h").unwrap(),
            160.9344
        ));
        assert!(close(convert(75.0, "kilowatt_hours", "kWh").unwrap(), 75.0));
        assert!(close(
            convert(3000.0, "revolutions_per_minute", "rpm").unwrap(),
            3000.0
        ));
        assert!(close(convert(60.0, "rpm", "degrees/s").unwrap(), 360.0));
        assert!(close(convert(1.0, "gravity", "m/s^2").unwrap(), 9.80665));
    }

    #[test]
    fn fuel_economy_is_the_reciprocal_of_consumption() {
        assert!(close(
            convert(20.0, "kilometers_per_liter", "l/100km").unwrap(),
            5.0
        ));
        assert!(close(convert(5.0, "l/100km", "km/l").unwrap(), 20.0));
        // 30 US mpg ≈ 7.84 l/100km; 30 imperial mpg ≈ 9.42 l/100km
        assert!(close(
            convert(30.0, "miles_per_gallon", "l/100km").unwrap(),
            7.840_486
        ));
        assert!(close(
            convert(30.0, "miles_per_imperial_gallon", "l/100km").unwrap(),
            9.416_031
        ));
        assert!(close(
            convert(6.5, "liters_per_100_kilometers", "l/100km").unwrap(),
            6.5
        ));
        assert_eq!(convert(0.0, "kilometers_per_liter", "l/100km"), None);
    }

    #[test]
    fn refuses_unknown_units_and_mixed_quantities() {
        assert_eq!(convert(1.0, "furlongs", "m"), None);
        assert_eq!(convert(1.0, "kilometers", "kPa"), None);
        assert_eq!(quantity_of("knots"), Some(Quantity::Speed));
    }
}
