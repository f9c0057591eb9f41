//! The VSS leaves the providers map, as Home Assistant entities: one row per leaf (or per
//! `*` instance template), with the entity's name, platform, device class, state class
//! and unit in Home Assistant's terms. `{}` in a name stands for the instance (`Row1` +
//! `Left` → "front left"). Rows are data: adding a mapped leaf is adding a row here, and
//! `tests.rs` names every mapped leaf that has none.
//!
//! Units are converted only where Home Assistant's usual display differs from VSS's:
//! distances in metres (VSS) become kilometres (`scale` 0.001). Device classes follow
//! Home Assistant's rules: `lock` is on when *unlocked*, so `IsLocked` is inverted.

use super::row::{Kind, Row, StateClass::*};

const fn row(path: &'static str, name: &'static str, kind: Kind) -> Row {
    Row { path, name, kind }
}

/// A number: unit (HA's spelling), device class, state class.
const fn num(
    unit: &'static str,
    device_class: Option<&'static str>,
    state_class: super::row::StateClass,
) -> Kind {
    Kind::Sensor {
        unit: Some(unit),
        device_class,
        state_class: Some(state_class),
        scale: None,
    }
}

/// A distance in metres shown in kilometres.
const fn km(state_class: super::row::StateClass) -> Kind {
    Kind::Sensor {
        unit: Some("km"),
        device_class: Some("distance"),
        state_class: Some(state_class),
        scale: Some(0.001),
    }
}

/// A unitless count or level.
const COUNT: Kind = Kind::Sensor {
    unit: None,
    device_class: None,
    state_class: Some(Measurement),
    scale: None,
};

const fn flag(device_class: Option<&'static str>) -> Kind {
    Kind::Binary {
        device_class,
        inverted: false,
    }
}

/// `IsLocked`: Home Assistant's `lock` binary sensor is on when unlocked.
const LOCKED: Kind = Kind::Binary {
    device_class: Some("lock"),
    inverted: true,
};

const TEXT: Kind = Kind::Text;
const PERCENT: Kind = num("%", None, Measurement);
const TEMPERATURE: Kind = num("°C", Some("temperature"), Measurement);
const DOOR: Kind = flag(Some("door"));
const OPENING: Kind = flag(Some("opening"));
const WINDOW: Kind = flag(Some("window"));
const PLUG: Kind = flag(Some("plug"));
const PROBLEM: Kind = flag(Some("problem"));
const LIGHT: Kind = flag(Some("light"));
const HEAT: Kind = flag(Some("heat"));
const RUNNING: Kind = flag(Some("running"));
const PLAIN: Kind = flag(None);

#[rustfmt::skip]
pub const ROWS: &[Row] = &[
    // Battery, charging, range
    row("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current", "Battery level", num("%", Some("battery"), Measurement)),
    row("Vehicle.Powertrain.TractionBattery.StateOfCharge.Displayed", "Displayed battery level", num("%", Some("battery"), Measurement)),
    row("Vehicle.Powertrain.TractionBattery.StateOfCharge.CurrentEnergy", "Battery energy", num("kWh", Some("energy_storage"), Measurement)),
    row("Vehicle.Powertrain.TractionBattery.StateOfHealth", "Battery health", PERCENT),
    row("Vehicle.Powertrain.TractionBattery.GrossCapacity", "Battery gross capacity", num("kWh", Some("energy_storage"), Measurement)),
    row("Vehicle.Powertrain.TractionBattery.NetCapacity", "Battery net capacity", num("kWh", Some("energy_storage"), Measurement)),
    row("Vehicle.Powertrain.TractionBattery.CurrentCurrent", "Battery current", num("A", Some("current"), Measurement)),
    row("Vehicle.Powertrain.TractionBattery.CurrentPower", "Battery power", num("W", Some("power"), Measurement)),
    row("Vehicle.Powertrain.TractionBattery.CurrentVoltage", "Battery voltage", num("V", Some("voltage"), Measurement)),
    row("Vehicle.Powertrain.TractionBattery.Temperature.Average", "Battery temperature", TEMPERATURE),
    row("Vehicle.Powertrain.TractionBattery.Temperature.Max", "Battery maximum temperature", TEMPERATURE),
    row("Vehicle.Powertrain.TractionBattery.Temperature.Min", "Battery minimum temperature", TEMPERATURE),
    row("Vehicle.Powertrain.TractionBattery.BatteryConditioning.IsActive", "Battery conditioning", RUNNING),
    row("Vehicle.Powertrain.TractionBattery.Range", "Electric range", km(Measurement)),
    row("Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit", "Charge limit", PERCENT),
    row("Vehicle.Powertrain.TractionBattery.Charging.ChargeRate", "Charge rate", num("km/h", None, Measurement)),
    row("Vehicle.Powertrain.TractionBattery.Charging.ChargeVoltage.DC", "DC charging voltage", num("V", Some("voltage"), Measurement)),
    row("Vehicle.Powertrain.TractionBattery.Charging.IsCharging", "Charging", flag(Some("battery_charging"))),
    row("Vehicle.Powertrain.TractionBattery.Charging.IsDischarging", "Discharging", PLAIN),
    row("Vehicle.Powertrain.TractionBattery.Charging.Status", "Charging status", TEXT),
    row("Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete", "Time to full charge", num("s", Some("duration"), Measurement)),
    row("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.*.IsChargingCableConnected", "{} charging cable connected", PLUG),
    row("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.*.IsChargingCableLocked", "{} charging cable lock", LOCKED),
    row("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.*.IsFlapOpen", "{} charging flap", OPENING),
    row("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.*.SupportedInletTypes", "{} charging inlet types", TEXT),
    row("Vehicle.Powertrain.Range", "Range", km(Measurement)),
    row("Vehicle.LowVoltageBattery.CurrentVoltage", "12 V battery voltage", num("V", Some("voltage"), Measurement)),
    // Fuel and engine
    row("Vehicle.Powertrain.FuelSystem.AbsoluteLevel", "Fuel", num("L", Some("volume_storage"), Measurement)),
    row("Vehicle.Powertrain.FuelSystem.RelativeLevel", "Fuel level", PERCENT),
    row("Vehicle.Powertrain.FuelSystem.Range", "Fuel range", km(Measurement)),
    row("Vehicle.Powertrain.FuelSystem.AverageConsumption", "Average fuel consumption", num("L/100km", None, Measurement)),
    row("Vehicle.Powertrain.FuelSystem.InstantConsumption", "Fuel consumption", num("L/100km", None, Measurement)),
    row("Vehicle.Powertrain.FuelSystem.DriveFuelEconomy", "Fuel economy since start", num("km/L", None, Measurement)),
    row("Vehicle.Powertrain.FuelSystem.CumulativeFuelEconomy", "Fuel economy since reset", num("km/L", None, Measurement)),
    row("Vehicle.Powertrain.FuelSystem.IsFuelLevelLow", "Fuel level low", PROBLEM),
    row("Vehicle.Powertrain.FuelSystem.IsFuelPortFlapOpen", "Fuel flap", OPENING),
    row("Vehicle.Powertrain.FuelSystem.IsEngineStopStartEnabled", "Engine stop-start", PLAIN),
    row("Vehicle.Powertrain.CombustionEngine.IsRunning", "Engine", RUNNING),
    row("Vehicle.Powertrain.CombustionEngine.Speed", "Engine speed", num("rpm", None, Measurement)),
    row("Vehicle.Powertrain.CombustionEngine.EngineHours", "Engine hours", num("h", Some("duration"), Measurement)),
    row("Vehicle.Powertrain.CombustionEngine.IdleHours", "Engine idle hours", num("h", Some("duration"), Measurement)),
    row("Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature", "Coolant temperature", TEMPERATURE),
    row("Vehicle.Powertrain.CombustionEngine.EngineCoolant.Level", "Coolant level", TEXT),
    row("Vehicle.Powertrain.CombustionEngine.EngineOil.Temperature", "Oil temperature", TEMPERATURE),
    row("Vehicle.Powertrain.CombustionEngine.EngineOil.Level", "Oil level", TEXT),
    row("Vehicle.Powertrain.CombustionEngine.DieselExhaustFluid.Level", "AdBlue level", PERCENT),
    row("Vehicle.Powertrain.CombustionEngine.DieselExhaustFluid.Range", "AdBlue range", km(Measurement)),
    row("Vehicle.Powertrain.Transmission.SelectedGear", "Selected gear", COUNT),
    row("Vehicle.Powertrain.Transmission.PerformanceMode", "Drive mode", TEXT),
    // Motion and distances
    row("Vehicle.TraveledDistance", "Odometer", km(TotalIncreasing)),
    row("Vehicle.TraveledDistanceSinceStart", "Distance since start", km(Measurement)),
    row("Vehicle.TripMeterReading", "Trip meter", km(Measurement)),
    row("Vehicle.Speed", "Speed", num("km/h", Some("speed"), Measurement)),
    row("Vehicle.IsMoving", "Moving", flag(Some("moving"))),
    row("Vehicle.Acceleration.Lateral", "Lateral acceleration", num("m/s²", None, Measurement)),
    row("Vehicle.Acceleration.Longitudinal", "Longitudinal acceleration", num("m/s²", None, Measurement)),
    row("Vehicle.AngularVelocity.Yaw", "Yaw rate", num("°/s", None, Measurement)),
    row("Vehicle.ADAS.CruiseControl.IsActive", "Cruise control", PLAIN),
    row("Vehicle.ADAS.CruiseControl.IsAdaptive", "Adaptive cruise control", PLAIN),
    row("Vehicle.ADAS.CruiseControl.SpeedSet", "Cruise control speed", num("km/h", Some("speed"), Measurement)),
    row("Vehicle.Chassis.Accelerator.PedalPosition", "Accelerator pedal", PERCENT),
    row("Vehicle.Chassis.Brake.PedalPosition", "Brake pedal", PERCENT),
    row("Vehicle.Chassis.ParkingBrake.IsEngaged", "Parking brake", PLAIN),
    row("Vehicle.Chassis.SteeringWheel.HeatingCooling", "Steering wheel heating", PERCENT),
    row("Vehicle.Chassis.Axle.*.Wheel.*.Tire.Pressure", "{} tyre pressure", num("kPa", Some("pressure"), Measurement)),
    row("Vehicle.Chassis.Axle.*.Wheel.*.Tire.AirTemperature", "{} tyre temperature", TEMPERATURE),
    row("Vehicle.Chassis.Axle.*.Wheel.*.Tire.IsPressureLow", "{} tyre pressure low", PROBLEM),
    row("Vehicle.Chassis.Axle.*.Wheel.*.AngularSpeed", "{} wheel speed", num("°/s", None, Measurement)),
    row("Vehicle.Chassis.Axle.*.Wheel.*.Brake.IsFluidLevelLow", "{} brake fluid low", PROBLEM),
    // Location: one device tracker; the value is its attribute.
    row("Vehicle.CurrentLocation.Latitude", "Location", Kind::Location("latitude")),
    row("Vehicle.CurrentLocation.Longitude", "Location", Kind::Location("longitude")),
    row("Vehicle.CurrentLocation.HorizontalAccuracy", "Location", Kind::Location("gps_accuracy")),
    row("Vehicle.CurrentLocation.Altitude", "Location", Kind::Location("altitude")),
    row("Vehicle.CurrentLocation.Heading", "Location", Kind::Location("heading")),
    row("Vehicle.CurrentLocation.GNSSReceiver.FixType", "Location", Kind::Location("fix_type")),
    row("Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Latitude", "Destination latitude", num("°", None, Measurement)),
    row("Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Longitude", "Destination longitude", num("°", None, Measurement)),
    // Body
    row("Vehicle.Cabin.Door.*.*.IsOpen", "{} door", DOOR),
    row("Vehicle.Cabin.Door.*.*.IsLocked", "{} door lock", LOCKED),
    row("Vehicle.Cabin.Door.*.*.Position", "{} door position", PERCENT),
    row("Vehicle.Cabin.Door.*.*.Window.IsOpen", "{} window", WINDOW),
    row("Vehicle.Cabin.Door.*.*.Window.Position", "{} window position", PERCENT),
    row("Vehicle.Body.Hood.IsOpen", "Hood", OPENING),
    row("Vehicle.Body.Trunk.*.IsOpen", "{} trunk", OPENING),
    row("Vehicle.Body.Trunk.*.IsLocked", "{} trunk lock", LOCKED),
    row("Vehicle.Cabin.Sunroof.Position", "Sunroof position", PERCENT),
    row("Vehicle.Cabin.Sunroof.Shade.Position", "Sunroof shade position", PERCENT),
    row("Vehicle.Cabin.Convertible.Status", "Convertible roof", TEXT),
    row("Vehicle.Body.Mirrors.*.IsHeatingOn", "{} mirror heating", HEAT),
    row("Vehicle.Body.Raindetection.Intensity", "Rain intensity", PERCENT),
    row("Vehicle.Body.Windshield.*.Wiping.Intensity", "{} wiper intensity", COUNT),
    row("Vehicle.Body.Windshield.*.Wiping.Mode", "{} wiper mode", TEXT),
    row("Vehicle.Body.Windshield.*.WasherFluid.IsLevelLow", "{} washer fluid low", PROBLEM),
    row("Vehicle.Trailer.IsConnected", "Trailer", PLUG),
    // Lights
    row("Vehicle.Body.Lights.LightSwitch", "Light switch", TEXT),
    row("Vehicle.Body.Lights.Backup.IsOn", "Reversing light", LIGHT),
    row("Vehicle.Body.Lights.Beam.*.IsOn", "{} beam", LIGHT),
    row("Vehicle.Body.Lights.Beam.*.IsDefect", "{} beam defect", PROBLEM),
    row("Vehicle.Body.Lights.Brake.IsDefect", "Brake light defect", PROBLEM),
    row("Vehicle.Body.Lights.DirectionIndicator.*.IsSignaling", "{} indicator", LIGHT),
    row("Vehicle.Body.Lights.DirectionIndicator.*.IsDefect", "{} indicator defect", PROBLEM),
    row("Vehicle.Body.Lights.Fog.*.IsOn", "{} fog light", LIGHT),
    row("Vehicle.Body.Lights.Fog.*.IsDefect", "{} fog light defect", PROBLEM),
    row("Vehicle.Body.Lights.Hazard.IsSignaling", "Hazard lights", LIGHT),
    row("Vehicle.Body.Lights.Parking.IsOn", "Parking lights", LIGHT),
    row("Vehicle.Body.Lights.Running.IsOn", "Running lights", LIGHT),
    row("Vehicle.Body.Lights.Running.IsDefect", "Running light defect", PROBLEM),
    // Cabin
    row("Vehicle.Cabin.HVAC.AmbientAirTemperature", "Cabin temperature", TEMPERATURE),
    row("Vehicle.Cabin.HVAC.IsRearDefrosterActive", "Rear window defroster", HEAT),
    row("Vehicle.Cabin.HVAC.Station.*.*.Temperature", "{} climate temperature", TEMPERATURE),
    row("Vehicle.Cabin.Seat.*.*.HeatingCooling", "{} seat heating", PERCENT),
    row("Vehicle.Cabin.Seat.*.*.IsBelted", "{} seat belt", PLAIN),
    row("Vehicle.Cabin.Seat.*.*.OccupancyStatus", "{} seat occupancy", TEXT),
    row("Vehicle.Cabin.Seat.*.*.Airbag.IsEnabled", "{} airbag", PLAIN),
    row("Vehicle.Cabin.Light.Spotlight.*.*.IsLightOn", "{} reading light", LIGHT),
    row("Vehicle.Cabin.Light.AmbientLight.*.*.Color", "{} ambient light colour", TEXT),
    row("Vehicle.Cabin.Infotainment.HMI.DistanceUnit", "Distance unit", TEXT),
    row("Vehicle.Exterior.AirTemperature", "Outside temperature", TEMPERATURE),
    // Vehicle state, service, diagnostics
    row("Vehicle.LowVoltageSystemState", "Ignition", TEXT),
    row("Vehicle.Service.DistanceToService", "Distance to service", num("km", Some("distance"), Measurement)),
    row("Vehicle.Service.TimeToService", "Time to service", num("s", Some("duration"), Measurement)),
    row("Vehicle.Service.IsServiceDue", "Service due", PROBLEM),
    row("Vehicle.Diagnostics.DTCCount", "Trouble codes", COUNT),
    row("Vehicle.Diagnostics.DTCList", "Trouble code list", TEXT),
    row("Vehicle.VehicleIdentification.VIN", "VIN", TEXT),
];
