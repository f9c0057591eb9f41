//! Cabin climate: preconditioning (its settings and its state), climate timers, defrost
//! and mirror heating.

use crate::providers::bmw::mapping::words::*;
use crate::providers::bmw::mapping::{join, keep, row, total, Row, Rule::*};

const SETTING: &str = "a setting for the next climate preconditioning (what it will switch \
    on), not the current state; VSS has no preconditioning settings";
const TIMER: &str = "a climate timer setting; VSS has no climate timers";
const STATIONARY: &str = "the stationary air conditioning's preconditioning; VSS has no \
    preconditioning state";

/// The preconditioning settings of one set (`defaultSettings`, `directStartSettings`).
macro_rules! settings {
    ($set:literal) => {
        [
            keep(
                concat!(
                    "vehicle.cabin.hvac.preconditioning.configuration.",
                    $set,
                    ".seat.row1.driverSide.cooling"
                ),
                SETTING,
            ),
            keep(
                concat!(
                    "vehicle.cabin.hvac.preconditioning.configuration.",
                    $set,
                    ".seat.row1.driverSide.heating"
                ),
                SETTING,
            ),
            keep(
                concat!(
                    "vehicle.cabin.hvac.preconditioning.configuration.",
                    $set,
                    ".seat.row1.passengerSide.cooling"
                ),
                SETTING,
            ),
            keep(
                concat!(
                    "vehicle.cabin.hvac.preconditioning.configuration.",
                    $set,
                    ".seat.row1.passengerSide.heating"
                ),
                SETTING,
            ),
            keep(
                concat!(
                    "vehicle.cabin.hvac.preconditioning.configuration.",
                    $set,
                    ".seat.row2.driverSide.cooling"
                ),
                SETTING,
            ),
            keep(
                concat!(
                    "vehicle.cabin.hvac.preconditioning.configuration.",
                    $set,
                    ".seat.row2.driverSide.heating"
                ),
                SETTING,
            ),
            keep(
                concat!(
                    "vehicle.cabin.hvac.preconditioning.configuration.",
                    $set,
                    ".seat.row2.passengerSide.cooling"
                ),
                SETTING,
            ),
            keep(
                concat!(
                    "vehicle.cabin.hvac.preconditioning.configuration.",
                    $set,
                    ".seat.row2.passengerSide.heating"
                ),
                SETTING,
            ),
            keep(
                concat!(
                    "vehicle.cabin.hvac.preconditioning.configuration.",
                    $set,
                    ".seat.row3.driverSide.cooling"
                ),
                SETTING,
            ),
            keep(
                concat!(
                    "vehicle.cabin.hvac.preconditioning.configuration.",
                    $set,
                    ".seat.row3.driverSide.heating"
                ),
                SETTING,
            ),
            keep(
                concat!(
                    "vehicle.cabin.hvac.preconditioning.configuration.",
                    $set,
                    ".seat.row3.passengerSide.cooling"
                ),
                SETTING,
            ),
            keep(
                concat!(
                    "vehicle.cabin.hvac.preconditioning.configuration.",
                    $set,
                    ".seat.row3.passengerSide.heating"
                ),
                SETTING,
            ),
            keep(
                concat!(
                    "vehicle.cabin.hvac.preconditioning.configuration.",
                    $set,
                    ".steeringWheel.heating"
                ),
                SETTING,
            ),
            keep(
                concat!(
                    "vehicle.cabin.hvac.preconditioning.configuration.",
                    $set,
                    ".targetTemperature"
                ),
                SETTING,
            ),
        ]
    };
}

/// One climate timer's three settings.
macro_rules! timer {
    ($timer:literal) => {
        [
            keep(
                concat!("vehicle.cabin.climate.timers.", $timer, ".action"),
                TIMER,
            ),
            keep(
                concat!("vehicle.cabin.climate.timers.", $timer, ".hour"),
                TIMER,
            ),
            keep(
                concat!("vehicle.cabin.climate.timers.", $timer, ".minute"),
                TIMER,
            ),
        ]
    };
}

const PARTS: &[&[Row]] = &[
    STATE,
    &settings!("defaultSettings"),
    &settings!("directStartSettings"),
    &timer!("overwriteTimer"),
    &timer!("weekdaysTimer1"),
    &timer!("weekdaysTimer2"),
];

/// The climate state, then the settings.
pub const ROWS: &[Row] = &join::<{ total(PARTS) }>(PARTS);

const STATE: &[Row] = &[
    row(
        "vehicle.cabin.hvac.preconditioning.status.rearDefrostActive",
        Flag("Vehicle.Cabin.HVAC.IsRearDefrosterActive", BOOLEAN),
    ),
    // BMW heats both exterior mirrors together; VSS has a heater flag per mirror
    row(
        "vehicle.cabin.hvac.preconditioning.status.isExteriorMirrorHeatingActive",
        FlagEach(
            &[
                "Vehicle.Body.Mirrors.DriverSide.IsHeatingOn",
                "Vehicle.Body.Mirrors.PassengerSide.IsHeatingOn",
            ],
            BOOLEAN,
        ),
    ),
    keep(
        "vehicle.cabin.hvac.preconditioning.status.comfortState",
        "what preconditioning is doing (heating, cooling, ventilating, defrosting); VSS has \
         no preconditioning state",
    ),
    keep(
        "vehicle.cabin.hvac.preconditioning.status.progress",
        "how far the running preconditioning is; VSS has none",
    ),
    keep(
        "vehicle.cabin.hvac.preconditioning.status.remainingRunningTime",
        "the remaining time of the running preconditioning; VSS has none",
    ),
    keep(
        "vehicle.cabin.hvac.statusAirPurification",
        "the air purification's state (unfiltered, purifying, purified); VSS has none",
    ),
    keep("vehicle.vehicle.preConditioning.activity", STATIONARY),
    keep("vehicle.vehicle.preConditioning.error", STATIONARY),
    keep("vehicle.vehicle.preConditioning.remainingTime", STATIONARY),
    keep(
        "vehicle.vehicle.preConditioning.isRemoteEngineRunning",
        "whether the engine ran for preconditioning: false does not mean the engine is off \
         (it may be driving), so it is not `CombustionEngine.IsRunning`",
    ),
    keep(
        "vehicle.vehicle.preConditioning.isRemoteEngineStartAllowed",
        "a customer permission (use the engine for preconditioning); VSS has none",
    ),
];
