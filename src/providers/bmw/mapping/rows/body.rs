//! Doors, windows, roof, lids, lights and tyres.
//!
//! BMW's `driver`/`passenger` are VSS `DriverSide`/`PassengerSide` (its catalogue titles
//! `row1.driver` "front left door": BMW's driver side is the left). Its wheels' left and
//! right are absolute, like VSS wheels.

use crate::providers::bmw::mapping::words::*;
use crate::providers::bmw::mapping::{keep, row, Row, Rule::*};

const SPLIT_TAILGATE: &str = "one door of a split tailgate; VSS has one rear trunk, and this \
    door being closed does not mean the trunk is";
const PRESSURE_TARGET: &str = "the target (placard) pressure, not the measured one; VSS 6.0 \
    has no target tyre pressure";

pub const ROWS: &[Row] = &[
    row(
        "vehicle.cabin.door.row1.driver.isOpen",
        Flag("Vehicle.Cabin.Door.Row1.DriverSide.IsOpen", OPEN),
    ),
    row(
        "vehicle.cabin.door.row1.passenger.isOpen",
        Flag("Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen", OPEN),
    ),
    row(
        "vehicle.cabin.door.row2.driver.isOpen",
        Flag("Vehicle.Cabin.Door.Row2.DriverSide.IsOpen", OPEN),
    ),
    row(
        "vehicle.cabin.door.row2.passenger.isOpen",
        Flag("Vehicle.Cabin.Door.Row2.PassengerSide.IsOpen", OPEN),
    ),
    row(
        "vehicle.cabin.door.row1.driver.position",
        Measure("Vehicle.Cabin.Door.Row1.DriverSide.Position", "percent"),
    ),
    row(
        "vehicle.cabin.door.row1.passenger.position",
        Measure("Vehicle.Cabin.Door.Row1.PassengerSide.Position", "percent"),
    ),
    row(
        "vehicle.cabin.door.row2.driver.position",
        Measure("Vehicle.Cabin.Door.Row2.DriverSide.Position", "percent"),
    ),
    row(
        "vehicle.cabin.door.row2.passenger.position",
        Measure("Vehicle.Cabin.Door.Row2.PassengerSide.Position", "percent"),
    ),
    row("vehicle.cabin.door.lock.status", DoorLocks),
    keep(
        "vehicle.cabin.door.status",
        "sporadic structured door summary; BMW recommends the per-door descriptors",
    ),
    row(
        "vehicle.cabin.window.row1.driver.status",
        Flag("Vehicle.Cabin.Door.Row1.DriverSide.Window.IsOpen", WINDOW),
    ),
    row(
        "vehicle.cabin.window.row1.passenger.status",
        Flag(
            "Vehicle.Cabin.Door.Row1.PassengerSide.Window.IsOpen",
            WINDOW,
        ),
    ),
    row(
        "vehicle.cabin.window.row2.driver.status",
        Flag("Vehicle.Cabin.Door.Row2.DriverSide.Window.IsOpen", WINDOW),
    ),
    row(
        "vehicle.cabin.window.row2.passenger.status",
        Flag(
            "Vehicle.Cabin.Door.Row2.PassengerSide.Window.IsOpen",
            WINDOW,
        ),
    ),
    // roof
    row(
        "vehicle.cabin.sunroof.relativePosition",
        Measure("Vehicle.Cabin.Sunroof.Position", "percent"),
    ),
    row(
        "vehicle.cabin.sunroof.shade.position",
        Measure("Vehicle.Cabin.Sunroof.Shade.Position", "percent"),
    ),
    keep(
        "vehicle.cabin.sunroof.status",
        "open, half-open or closed; VSS has the sunroof's position (from `relativePosition`) \
         but no open state",
    ),
    keep(
        "vehicle.cabin.sunroof.tiltStatus",
        "tilted, half-tilted or closed; VSS has no tilt state (a fully tilted sunroof is \
         `Position` −100)",
    ),
    keep(
        "vehicle.cabin.sunroof.overallStatus",
        "a combined open/tilt word; VSS has no sunroof open state",
    ),
    row(
        "vehicle.cabin.convertible.roofStatus",
        Enum("Vehicle.Cabin.Convertible.Status", ROOF),
    ),
    keep(
        "vehicle.cabin.convertible.roofRetractableStatus",
        "MINI's folding-roof state; its values are undocumented (empty range)",
    ),
    // lids
    row(
        "vehicle.body.trunk.isOpen",
        Flag("Vehicle.Body.Trunk.Rear.IsOpen", OPEN),
    ),
    row(
        "vehicle.body.trunk.door.isOpen",
        Flag("Vehicle.Body.Trunk.Rear.IsOpen", OPEN),
    ),
    row(
        "vehicle.body.trunk.isLocked",
        Flag("Vehicle.Body.Trunk.Rear.IsLocked", LOCKED),
    ),
    keep("vehicle.body.trunk.left.door.isOpen", SPLIT_TAILGATE),
    keep("vehicle.body.trunk.right.door.isOpen", SPLIT_TAILGATE),
    keep("vehicle.body.trunk.lower.door.isOpen", SPLIT_TAILGATE),
    keep("vehicle.body.trunk.upper.door.isOpen", SPLIT_TAILGATE),
    keep(
        "vehicle.body.trunk.window.isOpen",
        "the separately opening rear window (unlocked or closed); VSS has no rear-window \
         open state",
    ),
    row(
        "vehicle.body.hood.isOpen",
        Flag("Vehicle.Body.Hood.IsOpen", OPEN),
    ),
    keep(
        "vehicle.body.lights.isRunningOn",
        "\"whether the vehicle light was on\": which lights is not documented; VSS \
         `Lights.Running` is the daytime running lights, `Beam.Low` the dipped beam",
    ),
    // tyres
    row(
        "vehicle.chassis.axle.row1.wheel.left.tire.pressure",
        Measure("Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure", "kPa"),
    ),
    row(
        "vehicle.chassis.axle.row1.wheel.right.tire.pressure",
        Measure("Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.Pressure", "kPa"),
    ),
    row(
        "vehicle.chassis.axle.row2.wheel.left.tire.pressure",
        Measure("Vehicle.Chassis.Axle.Row2.Wheel.Left.Tire.Pressure", "kPa"),
    ),
    row(
        "vehicle.chassis.axle.row2.wheel.right.tire.pressure",
        Measure("Vehicle.Chassis.Axle.Row2.Wheel.Right.Tire.Pressure", "kPa"),
    ),
    // the tyre pressure sensor measures the air inside (`Tire.Temperature` is deprecated)
    row(
        "vehicle.chassis.axle.row1.wheel.left.tire.temperature",
        Measure(
            "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.AirTemperature",
            "Celsius",
        ),
    ),
    row(
        "vehicle.chassis.axle.row1.wheel.right.tire.temperature",
        Measure(
            "Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.AirTemperature",
            "Celsius",
        ),
    ),
    row(
        "vehicle.chassis.axle.row2.wheel.left.tire.temperature",
        Measure(
            "Vehicle.Chassis.Axle.Row2.Wheel.Left.Tire.AirTemperature",
            "Celsius",
        ),
    ),
    row(
        "vehicle.chassis.axle.row2.wheel.right.tire.temperature",
        Measure(
            "Vehicle.Chassis.Axle.Row2.Wheel.Right.Tire.AirTemperature",
            "Celsius",
        ),
    ),
    keep(
        "vehicle.chassis.axle.row1.wheel.left.tire.pressureTarget",
        PRESSURE_TARGET,
    ),
    keep(
        "vehicle.chassis.axle.row1.wheel.right.tire.pressureTarget",
        PRESSURE_TARGET,
    ),
    keep(
        "vehicle.chassis.axle.row2.wheel.left.tire.pressureTarget",
        PRESSURE_TARGET,
    ),
    keep(
        "vehicle.chassis.axle.row2.wheel.right.tire.pressureTarget",
        PRESSURE_TARGET,
    ),
];
