//! Rows for where the vehicle is and how it moves: location, driving, ADAS, service.

use super::super::words::*;
use super::super::{row, Row};
use crate::providers::high_mobility::rules::Rule::*;
use crate::providers::high_mobility::rules::{Inner, Words};

const ACCELERATION: Words<&str> = &[
    ("longitudinal", "Vehicle.Acceleration.Longitudinal"),
    ("lateral", "Vehicle.Acceleration.Lateral"),
];

#[rustfmt::skip]
pub const ROWS: &[Row] = &[
    row("vehicle_location", "coordinates", Coordinates("Vehicle.CurrentLocation.Latitude", "Vehicle.CurrentLocation.Longitude")),
    row("vehicle_location", "altitude", Measure("Vehicle.CurrentLocation.Altitude")),
    row("vehicle_location", "heading", Measure("Vehicle.CurrentLocation.Heading")),
    row("vehicle_location", "precision", Measure("Vehicle.CurrentLocation.HorizontalAccuracy")),
    row("vehicle_location", "gps_source", Enum("Vehicle.CurrentLocation.GNSSReceiver.FixType", GPS_FIX)),
    row("navi_destination", "coordinates", Coordinates("Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Latitude", "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Longitude")),
    row("ignition", "state", Enum("Vehicle.LowVoltageSystemState", IGNITION)),
    row("ignition", "status", Enum("Vehicle.LowVoltageSystemState", IGNITION)),
    row("ignition", "accessories_status", Enum("Vehicle.LowVoltageSystemState", IGNITION)),
    row("race", "vehicle_moving", Flag("Vehicle.IsMoving", MOVING)),
    row("race", "accelerations", Keyed { key: "direction", leaves: ACCELERATION, value: "acceleration", inner: Inner::Measure }),
    row("race", "yaw_rate", Measure("Vehicle.AngularVelocity.Yaw")),
    row("race", "gas_pedal_position", Percentage("Vehicle.Chassis.Accelerator.PedalPosition")),
    row("race", "brake_pedal_position", Percentage("Vehicle.Chassis.Brake.PedalPosition")),
    row("tachograph", "vehicle_speed", Measure("Vehicle.Speed")),
    row("tachograph", "vehicle_motion", Flag("Vehicle.IsMoving", DETECTED)),
    row("parking_brake", "status", Flag("Vehicle.Chassis.ParkingBrake.IsEngaged", ACTIVE)),
    row("cruise_control", "cruise_control", Flag("Vehicle.ADAS.CruiseControl.IsActive", ACTIVE)),
    row("cruise_control", "target_speed", Measure("Vehicle.ADAS.CruiseControl.SpeedSet")),
    row("cruise_control", "adaptive_cruise_control", Flag("Vehicle.ADAS.CruiseControl.IsAdaptive", ACTIVE)),
    row("cruise_control", "acc_target_speed", Measure("Vehicle.ADAS.CruiseControl.SpeedSet")),
    // maintenance
    row("maintenance", "service_status", Flag("Vehicle.Service.IsServiceDue", SERVICE_DUE)),
    row("maintenance", "service_warning", Field("due", "Vehicle.Service.IsServiceDue", Inner::Flag(SERVICE_WARNING_DUE))),
    row("maintenance", "distance_to_next_service", Measure("Vehicle.Service.DistanceToService")),
    row("maintenance", "kilometers_to_next_service", Measure("Vehicle.Service.DistanceToService")),
    row("maintenance", "time_to_next_service", Measure("Vehicle.Service.TimeToService")),
    row("maintenance", "days_to_next_service", Measure("Vehicle.Service.TimeToService")),
];
