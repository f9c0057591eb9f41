//! The types of the path → entity table: what a row says a path becomes in Home
//! Assistant. Apart from the table (`table.rs`, data) and the lookup (`entities.rs`), so
//! that both depend on them and not on each other.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateClass {
    Measurement,
    TotalIncreasing,
}

impl StateClass {
    pub fn as_str(self) -> &'static str {
        match self {
            StateClass::Measurement => "measurement",
            StateClass::TotalIncreasing => "total_increasing",
        }
    }
}

/// The Home Assistant side of a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A number.
    Sensor {
        /// In Home Assistant's spelling (`°C`, `km`, `%`).
        unit: Option<&'static str>,
        device_class: Option<&'static str>,
        state_class: Option<StateClass>,
        /// Factor from the VSS unit to `unit` (metres → kilometres: 0.001).
        scale: Option<f64>,
    },
    /// A boolean; `inverted` for device classes whose "on" is the path's `false`
    /// (`lock`: on = unlocked).
    Binary {
        device_class: Option<&'static str>,
        inverted: bool,
    },
    /// A string, an enum, a list: a sensor without unit.
    Text,
    /// One attribute (`latitude`, `gps_accuracy`, …) of the vehicle's device tracker.
    Location(&'static str),
}

/// One row of the table: a VSS path, or a template whose `*` stand for instances.
#[derive(Debug, Clone)]
pub struct Row {
    pub path: &'static str,
    /// `{}` is replaced by the instance words ("front left").
    pub name: &'static str,
    pub kind: Kind,
}
