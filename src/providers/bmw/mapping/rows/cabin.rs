//! Seats, steering wheel and infotainment.
//!
//! BMW sends a seat's heating and its cooling (ventilation) as two 0–100 % levels; VSS
//! has one signed `HeatingCooling` per seat (−100 = maximum cooling, 100 = maximum
//! heating). Heating fills the positive side, cooling the negative one; each entry is
//! read alone, so a 0 says that function is off.

use crate::providers::bmw::mapping::words::*;
use crate::providers::bmw::mapping::{keep, row, Row, Rule::*};

const ROW3: &str = "a third-row seat; VSS 6.0's standard seat instances stop at Row2";
const POI: &str = "the navigation system's points-of-interest slots; VSS has none";

pub const ROWS: &[Row] = &[
    row(
        "vehicle.cabin.seat.row1.driverSide.heating",
        Measure(
            "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling",
            "percent",
        ),
    ),
    row(
        "vehicle.cabin.seat.row1.driverSide.cooling",
        Cooling("Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling"),
    ),
    row(
        "vehicle.cabin.seat.row1.passengerSide.heating",
        Measure(
            "Vehicle.Cabin.Seat.Row1.PassengerSide.HeatingCooling",
            "percent",
        ),
    ),
    row(
        "vehicle.cabin.seat.row1.passengerSide.cooling",
        Cooling("Vehicle.Cabin.Seat.Row1.PassengerSide.HeatingCooling"),
    ),
    row(
        "vehicle.cabin.seat.row2.driverSide.heating",
        Measure(
            "Vehicle.Cabin.Seat.Row2.DriverSide.HeatingCooling",
            "percent",
        ),
    ),
    row(
        "vehicle.cabin.seat.row2.driverSide.cooling",
        Cooling("Vehicle.Cabin.Seat.Row2.DriverSide.HeatingCooling"),
    ),
    row(
        "vehicle.cabin.seat.row2.passengerSide.heating",
        Measure(
            "Vehicle.Cabin.Seat.Row2.PassengerSide.HeatingCooling",
            "percent",
        ),
    ),
    row(
        "vehicle.cabin.seat.row2.passengerSide.cooling",
        Cooling("Vehicle.Cabin.Seat.Row2.PassengerSide.HeatingCooling"),
    ),
    keep("vehicle.cabin.seat.row3.driverSide.heating", ROW3),
    keep("vehicle.cabin.seat.row3.driverSide.cooling", ROW3),
    keep("vehicle.cabin.seat.row3.passengerSide.heating", ROW3),
    keep("vehicle.cabin.seat.row3.passengerSide.cooling", ROW3),
    // a steering wheel only heats: BMW's 0–100 % is the positive side
    row(
        "vehicle.cabin.steeringWheel.heating",
        Measure("Vehicle.Chassis.SteeringWheel.HeatingCooling", "percent"),
    ),
    // infotainment
    row(
        "vehicle.cabin.infotainment.displayUnit.distance",
        Enum("Vehicle.Cabin.Infotainment.HMI.DistanceUnit", DISTANCE_UNIT),
    ),
    row(
        "vehicle.cabin.infotainment.hmi.distanceUnit",
        Enum("Vehicle.Cabin.Infotainment.HMI.DistanceUnit", DISTANCE_UNIT),
    ),
    keep(
        "vehicle.cabin.infotainment.isMobilePhoneConnected",
        "whether a phone is linked; VSS has no phone-connection state (SmartphoneProjection \
         is screen projection, Connectivity the car's own link)",
    ),
    keep(
        "vehicle.cabin.infotainment.navigation.destinationSet.arrivalTime",
        "the arrival time at the destination (hh:mm); VSS's DestinationSet has only its \
         coordinates",
    ),
    keep(
        "vehicle.cabin.infotainment.navigation.destinationSet.distance",
        "the distance to the destination; VSS's DestinationSet has only its coordinates",
    ),
    keep(
        "vehicle.cabin.infotainment.navigation.pointsOfInterests.available",
        POI,
    ),
    keep(
        "vehicle.cabin.infotainment.navigation.pointsOfInterests.max",
        POI,
    ),
];
