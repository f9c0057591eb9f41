//! Rows for the body and cabin: doors, windows, lids, lights, wipers, seats, climate.

use super::super::words::*;
use super::super::{row, Row};
use crate::providers::high_mobility::rules::Rule::*;
use crate::providers::high_mobility::rules::{Inner, Words};

const FOG: Words<&str> = &[
    ("front", "Vehicle.Body.Lights.Fog.Front.IsOn"),
    ("rear", "Vehicle.Body.Lights.Fog.Rear.IsOn"),
];

/// `lights.front_exterior_light`: only what each state surely says of each light
/// (full beam may or may not keep the low beam on; DRL may be dimmed low beams).
const FRONT_LIGHTS: &[(&str, Words<bool>)] = &[
    (
        "Vehicle.Body.Lights.Beam.Low.IsOn",
        &[("inactive", false), ("active", true)],
    ),
    (
        "Vehicle.Body.Lights.Beam.High.IsOn",
        &[
            ("inactive", false),
            ("active", false),
            ("active_with_full_beam", true),
            ("drl", false),
        ],
    ),
    ("Vehicle.Body.Lights.Running.IsOn", &[("drl", true)]),
];

/// `honk_horn_flash_lights.flashers`: hazard lights and the two indicators.
const FLASHERS: &[(&str, Words<bool>)] = &[
    (
        "Vehicle.Body.Lights.Hazard.IsSignaling",
        &[
            ("inactive", false),
            ("emergency_flasher_active", true),
            ("left_flasher_active", false),
            ("right_flasher_active", false),
        ],
    ),
    (
        "Vehicle.Body.Lights.DirectionIndicator.Left.IsSignaling",
        &[
            ("inactive", false),
            ("left_flasher_active", true),
            ("right_flasher_active", false),
        ],
    ),
    (
        "Vehicle.Body.Lights.DirectionIndicator.Right.IsSignaling",
        &[
            ("inactive", false),
            ("right_flasher_active", true),
            ("left_flasher_active", false),
        ],
    ),
];

/// `dashboard_lights.bulb_failures`: each entry names a failed bulb. VSS beams have no
/// left/right, so a one-sided beam failure is a beam failure.
const BULBS: &[(&str, Words<bool>)] = &[
    (
        "Vehicle.Body.Lights.Beam.Low.IsDefect",
        &[
            ("low_beam", true),
            ("low_beam_left", true),
            ("low_beam_right", true),
        ],
    ),
    (
        "Vehicle.Body.Lights.Beam.High.IsDefect",
        &[
            ("high_beam", true),
            ("high_beam_left", true),
            ("high_beam_right", true),
        ],
    ),
    (
        "Vehicle.Body.Lights.DirectionIndicator.Left.IsDefect",
        &[("turn_signal_left", true)],
    ),
    (
        "Vehicle.Body.Lights.DirectionIndicator.Right.IsDefect",
        &[("turn_signal_right", true)],
    ),
    (
        "Vehicle.Body.Lights.Fog.Front.IsDefect",
        &[("fog_light_front", true)],
    ),
    (
        "Vehicle.Body.Lights.Fog.Rear.IsDefect",
        &[("fog_light_rear", true)],
    ),
    ("Vehicle.Body.Lights.Brake.IsDefect", &[("stop", true)]),
    (
        "Vehicle.Body.Lights.Running.IsDefect",
        &[("day_running", true)],
    ),
];

/// Dashboard tell-tales whose lamp states exactly one VSS fact; door, tyre and seat-belt
/// tell-tales name places absolutely and most others name faults VSS has no leaf for.
const TELLTALES: Words<&str> = &[
    ("high_beam", "Vehicle.Body.Lights.Beam.High.IsOn"),
    ("low_beam", "Vehicle.Body.Lights.Beam.Low.IsOn"),
    ("hazard_warning", "Vehicle.Body.Lights.Hazard.IsSignaling"),
    ("front_fog_light", "Vehicle.Body.Lights.Fog.Front.IsOn"),
    ("rear_fog_light", "Vehicle.Body.Lights.Fog.Rear.IsOn"),
    ("trailer_connected", "Vehicle.Trailer.IsConnected"),
    ("fuel_level", "Vehicle.Powertrain.FuelSystem.IsFuelLevelLow"),
    (
        "windscreen_washer_fluid",
        "Vehicle.Body.Windshield.Front.WasherFluid.IsLevelLow",
    ),
];

/// `doors.locks_state` "combines all specific lock states": `locked` is every door
/// locked, but `unlocked` may be one door (a driver-door-only unlock), so it names no
/// door and passes through; `doors.locks` says which doors are unlocked.
const ALL_LOCKED: Words<bool> = &[("locked", true)];
const ALL_LOCKS: &[(&str, Words<bool>)] = &[
    ("Vehicle.Cabin.Door.Row1.DriverSide.IsLocked", ALL_LOCKED),
    ("Vehicle.Cabin.Door.Row1.PassengerSide.IsLocked", ALL_LOCKED),
    ("Vehicle.Cabin.Door.Row2.DriverSide.IsLocked", ALL_LOCKED),
    ("Vehicle.Cabin.Door.Row2.PassengerSide.IsLocked", ALL_LOCKED),
];

/// `lights.ambient_light_colour`: HM reports one colour, so every zone VSS 6.0 has
/// (rows 1 and 2, each side) gets it.
const AMBIENT_COLOURS: &[&str] = &[
    "Vehicle.Cabin.Light.AmbientLight.Row1.DriverSide.Color",
    "Vehicle.Cabin.Light.AmbientLight.Row1.PassengerSide.Color",
    "Vehicle.Cabin.Light.AmbientLight.Row2.DriverSide.Color",
    "Vehicle.Cabin.Light.AmbientLight.Row2.PassengerSide.Color",
];

/// `climate.rear_temperature_setting`: one rear zone, so both Row2 stations hold its set
/// point (Row3/Row4 stations exist in VSS but one rear value does not imply them).
const REAR_STATIONS: &[&str] = &[
    "Vehicle.Cabin.HVAC.Station.Row2.Driver.Temperature",
    "Vehicle.Cabin.HVAC.Station.Row2.Passenger.Temperature",
];

#[rustfmt::skip]
pub const ROWS: &[Row] = &[
    row("doors", "positions", Door("Vehicle.Cabin.Door.*.*.IsOpen", "position", Inner::Flag(OPEN))),
    row("doors", "locks", Door("Vehicle.Cabin.Door.*.*.IsLocked", "lock_state", Inner::Flag(LOCKED))),
    row("doors", "locks_state", Flags(ALL_LOCKS)),
    row("windows", "positions", Door("Vehicle.Cabin.Door.*.*.Window.IsOpen", "position", Inner::Flag(OPEN3))),
    row("windows", "open_percentages", Door("Vehicle.Cabin.Door.*.*.Window.Position", "open_percentage", Inner::Percentage)),
    row("trunk", "position", Flag("Vehicle.Body.Trunk.Rear.IsOpen", OPEN)),
    row("trunk", "lock", Flag("Vehicle.Body.Trunk.Rear.IsLocked", LOCKED)),
    row("hood", "position", Flag("Vehicle.Body.Hood.IsOpen", OPEN3)),
    row("rooftop_control", "position", Percentage("Vehicle.Cabin.Sunroof.Position")),
    row("rooftop_control", "convertible_roof_state", Enum("Vehicle.Cabin.Convertible.Status", CONVERTIBLE)),
    // lights
    row("lights", "front_exterior_light", Flags(FRONT_LIGHTS)),
    row("lights", "reverse_light", Flag("Vehicle.Body.Lights.Backup.IsOn", ACTIVE)),
    row("lights", "fog_lights", Keyed { key: "location", leaves: FOG, value: "state", inner: Inner::Flag(ACTIVE) }),
    row("lights", "reading_lamps", Door("Vehicle.Cabin.Light.Spotlight.*.*.IsLightOn", "state", Inner::Flag(ACTIVE))),
    row("lights", "parking_light_status", Flag("Vehicle.Body.Lights.Parking.IsOn", PARKING_LIGHT)),
    row("lights", "switch_position", Enum("Vehicle.Body.Lights.LightSwitch", LIGHT_SWITCH)),
    row("lights", "ambient_light_colour", Each(AMBIENT_COLOURS, Inner::Colour)),
    row("honk_horn_flash_lights", "flashers", Flags(FLASHERS)),
    row("dashboard_lights", "bulb_failures", Flags(BULBS)),
    row("dashboard_lights", "dashboard_lights", Keyed { key: "name", leaves: TELLTALES, value: "state", inner: Inner::Flag(ON) }),
    // wipers and rain
    row("windscreen", "wipers_status", Enum("Vehicle.Body.Windshield.Front.Wiping.Mode", WIPER_MODE)),
    row("windscreen", "wipers_intensity", Code("Vehicle.Body.Windshield.Front.Wiping.Intensity", WIPER_INTENSITY)),
    row("weather_conditions", "rain_intensity", Percentage("Vehicle.Body.Raindetection.Intensity")),
    // seats and climate
    row("seats", "persons_detected", Seat("Vehicle.Cabin.Seat.*.*.OccupancyStatus", "detected", Inner::Enum(OCCUPANCY))),
    row("seats", "seatbelts_state", Seat("Vehicle.Cabin.Seat.*.*.IsBelted", "fastened_state", Inner::Flag(FASTENED))),
    row("climate", "outside_temperature", Measure("Vehicle.Exterior.AirTemperature")),
    row("climate", "inside_temperature", Measure("Vehicle.Cabin.HVAC.AmbientAirTemperature")),
    row("climate", "driver_temperature_setting", Measure("Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature")),
    row("climate", "passenger_temperature_setting", Measure("Vehicle.Cabin.HVAC.Station.Row1.Passenger.Temperature")),
    row("climate", "rear_temperature_setting", Each(REAR_STATIONS, Inner::Measure)),
];
