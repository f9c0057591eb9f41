//! Position, motion, odometer, the engine's state and the last drive's statistics.

use crate::providers::bmw::mapping::words::*;
use crate::providers::bmw::mapping::{keep, row, Row, Rule::*};

const TRIP_RATING: &str =
    "a driving-style rating (0–5 stars) of the last drive; VSS has no driving-style leaf";
const SPEED_BAND: &str = "a privacy-coarsened speed band (one bound of it), not the speed; \
    VSS `Vehicle.Speed` is the current speed";
const WEEKLY: &str = "an average distance per week (a usage statistic); VSS has none";

pub const ROWS: &[Row] = &[
    row(
        "vehicle.vehicle.travelledDistance",
        Measure("Vehicle.TraveledDistance", "km"),
    ),
    row(
        "vehicle.cabin.infotainment.navigation.currentLocation.latitude",
        Measure("Vehicle.CurrentLocation.Latitude", "degrees"),
    ),
    row(
        "vehicle.cabin.infotainment.navigation.currentLocation.longitude",
        Measure("Vehicle.CurrentLocation.Longitude", "degrees"),
    ),
    // signals.md A.5: BMW's altitude is above mean sea level, VSS's above the WGS 84
    // ellipsoid; they differ by the geoid height (about 47 m in Munich)
    keep(
        "vehicle.cabin.infotainment.navigation.currentLocation.altitude",
        "height above mean sea level; VSS `CurrentLocation.Altitude` is above the WGS 84 \
         ellipsoid, which differs by the local geoid height (tens of metres)",
    ),
    row(
        "vehicle.cabin.infotainment.navigation.currentLocation.heading",
        Measure("Vehicle.CurrentLocation.Heading", "degrees"),
    ),
    row(
        "vehicle.cabin.infotainment.navigation.currentLocation.fixStatus",
        Enum("Vehicle.CurrentLocation.GNSSReceiver.FixType", GPS_FIX),
    ),
    keep(
        "vehicle.cabin.infotainment.navigation.currentLocation.numberOfSatellites",
        "the number of satellites used; VSS describes the GNSS receiver by its fix type \
         and mounting position only",
    ),
    row("vehicle.isMoving", Flag("Vehicle.IsMoving", BOOLEAN)),
    row(
        "vehicle.drivetrain.engine.isActive",
        FlagEnum("Vehicle.LowVoltageSystemState", IGNITION),
    ),
    keep(
        "vehicle.drivetrain.engine.isIgnitionOn",
        "\"status of engine (on/off)\" for ICE, PHEV and BEV alike; VSS \
         `CombustionEngine.IsRunning` is a rotating combustion engine, which a BEV lacks and a \
         PHEV driving electrically is not (BMW's catalogue also swaps this title with \
         `engine.isActive`'s)",
    ),
    keep(
        "vehicle.vehicle.avgSpeed",
        "an average speed over a period BMW does not state; VSS `AverageSpeed` is the current \
         trip's, `Vehicle.Speed` the current speed",
    ),
    keep("vehicle.vehicle.speedRange.lowerBound", SPEED_BAND),
    keep("vehicle.vehicle.speedRange.upperBound", SPEED_BAND),
    keep("vehicle.vehicle.averageWeeklyDistanceLongTerm", WEEKLY),
    keep("vehicle.vehicle.averageWeeklyDistanceShortTerm", WEEKLY),
    // the last drive
    keep(
        "vehicle.trip.segment.accumulated.acceleration.starsAverage",
        TRIP_RATING,
    ),
    keep(
        "vehicle.trip.segment.accumulated.chassis.brake.starsAverage",
        TRIP_RATING,
    ),
    keep(
        "vehicle.trip.segment.accumulated.drivetrain.electricEngine.energyConsumptionComfort",
        "energy used in COMFORT mode during the last drive; VSS has no per-drive-mode \
         consumption",
    ),
    keep(
        "vehicle.trip.segment.accumulated.drivetrain.electricEngine.recuperationTotal",
        "energy recuperated per 100 km during the last drive; VSS \
         `AccumulatedBrakingEnergy` is a lifetime total",
    ),
    keep(
        "vehicle.trip.segment.accumulated.drivetrain.transmission.setting.fractionDriveEcoPro",
        "the share of the last drive in ECO PRO mode; VSS has no drive-mode statistics",
    ),
    keep(
        "vehicle.trip.segment.accumulated.drivetrain.transmission.setting.fractionDriveEcoProPlus",
        "the share of the last drive in ECO PRO PLUS mode; VSS has no drive-mode statistics",
    ),
    keep(
        "vehicle.trip.segment.accumulated.drivetrain.transmission.setting.fractionDriveElectric",
        "the share of the last drive's distance driven electrically; VSS has none",
    ),
    keep(
        "vehicle.trip.segment.end.drivetrain.batteryManagement.hvSoc",
        "the state of charge at the end of the last drive, not the current one \
         (`batteryManagement.header`)",
    ),
    keep(
        "vehicle.trip.segment.end.time",
        "when the last drive ended; VSS has no last-trip end time",
    ),
    keep(
        "vehicle.trip.segment.end.travelledDistance",
        "the odometer after the last drive, not the current one; VSS has no trip distance \
         source here",
    ),
];
