//! Rows for the powertrain: diagnostics, charging, engine, fuel, usage.

use super::super::words::*;
use super::super::{row, Row};
use crate::providers::high_mobility::rules::Inner;
use crate::providers::high_mobility::rules::Rule::*;

const TIRE_PRESSURE: &str = "Vehicle.Chassis.Axle.*.Wheel.*.Tire.Pressure";
const TIRE_LOW_PATH: &str = "Vehicle.Chassis.Axle.*.Wheel.*.Tire.IsPressureLow";
const TIRE_TEMPERATURE: &str = "Vehicle.Chassis.Axle.*.Wheel.*.Tire.AirTemperature";
const WHEEL_SPEED: &str = "Vehicle.Chassis.Axle.*.Wheel.*.AngularSpeed";
/// `diagnostics.brake_fluid_level`: VSS has brake fluid per wheel, but the wheels share
/// the one reservoir HM reports, so each wheel's level is the reservoir's.
const BRAKE_FLUID: &[&str] = &[
    "Vehicle.Chassis.Axle.Row1.Wheel.Left.Brake.IsFluidLevelLow",
    "Vehicle.Chassis.Axle.Row1.Wheel.Right.Brake.IsFluidLevelLow",
    "Vehicle.Chassis.Axle.Row2.Wheel.Left.Brake.IsFluidLevelLow",
    "Vehicle.Chassis.Axle.Row2.Wheel.Right.Brake.IsFluidLevelLow",
];
const BATTERY_EXTREMES: &[(&str, &str)] = &[
    (
        "highest",
        "Vehicle.Powertrain.TractionBattery.Temperature.Max",
    ),
    (
        "lowest",
        "Vehicle.Powertrain.TractionBattery.Temperature.Min",
    ),
];

#[rustfmt::skip]
pub const ROWS: &[Row] = &[
    // diagnostics
    row("diagnostics", "odometer", Measure("Vehicle.TraveledDistance")),
    row("diagnostics", "mileage", Measure("Vehicle.TraveledDistance")),
    row("diagnostics", "mileage_meters", Measure("Vehicle.TraveledDistance")),
    row("diagnostics", "distance_since_start", Measure("Vehicle.TraveledDistanceSinceStart")),
    row("diagnostics", "distance_since_reset", Measure("Vehicle.TripMeterReading")),
    row("diagnostics", "speed", Measure("Vehicle.Speed")),
    row("diagnostics", "wheel_based_speed", Measure("Vehicle.Speed")),
    row("diagnostics", "battery_level", Percentage("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current")),
    row("diagnostics", "estimated_mixed_powertrain_range", Measure("Vehicle.Powertrain.Range")),
    row("diagnostics", "fuel_level", Percentage("Vehicle.Powertrain.FuelSystem.RelativeLevel")),
    row("diagnostics", "fuel_volume", Measure("Vehicle.Powertrain.FuelSystem.AbsoluteLevel")),
    row("diagnostics", "estimated_range", Measure("Vehicle.Powertrain.FuelSystem.Range")),
    row("diagnostics", "tire_pressures", Wheel(TIRE_PRESSURE, "pressure", Inner::Measure)),
    row("diagnostics", "tire_pressure_statuses", Wheel(TIRE_LOW_PATH, "status", Inner::Flag(TIRE_LOW))),
    row("diagnostics", "tire_temperatures", Wheel(TIRE_TEMPERATURE, "temperature", Inner::Measure)),
    row("diagnostics", "wheel_rpms", Wheel(WHEEL_SPEED, "rpm", Inner::Measure)),
    row("diagnostics", "battery_voltage", Measure("Vehicle.LowVoltageBattery.CurrentVoltage")),
    row("diagnostics", "washer_fluid_level", Flag("Vehicle.Body.Windshield.Front.WasherFluid.IsLevelLow", FLUID_LOW)),
    row("diagnostics", "brake_fluid_level", Each(BRAKE_FLUID, Inner::Flag(FLUID_LOW))),
    // the one DTC source: trouble_codes may hold stored codes, and two lists on one leaf
    // would overwrite each other
    row("diagnostics", "confirmed_trouble_codes", TroubleCodes),
    row("diagnostics", "engine_coolant_temperature", Measure("Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature")),
    row("diagnostics", "engine_coolant_fluid_level", Enum("Vehicle.Powertrain.CombustionEngine.EngineCoolant.Level", COOLANT_LEVEL)),
    row("diagnostics", "engine_oil_temperature", Measure("Vehicle.Powertrain.CombustionEngine.EngineOil.Temperature")),
    row("diagnostics", "engine_oil_fluid_level", Enum("Vehicle.Powertrain.CombustionEngine.EngineOil.Level", OIL_LEVEL)),
    row("diagnostics", "engine_rpm", Measure("Vehicle.Powertrain.CombustionEngine.Speed")),
    row("diagnostics", "engine_total_operating_hours", Measure("Vehicle.Powertrain.CombustionEngine.EngineHours")),
    row("diagnostics", "engine_total_operating_time", Measure("Vehicle.Powertrain.CombustionEngine.EngineHours")),
    row("diagnostics", "engine_total_idle_operating_time", Measure("Vehicle.Powertrain.CombustionEngine.IdleHours")),
    row("diagnostics", "adblue_level", Percentage("Vehicle.Powertrain.CombustionEngine.DieselExhaustFluid.Level")),
    row("diagnostics", "diesel_exhaust_fluid_range", Measure("Vehicle.Powertrain.CombustionEngine.DieselExhaustFluid.Range")),
    row("diagnostics", "passenger_airbag_status", Flag("Vehicle.Cabin.Seat.Row1.PassengerSide.Airbag.IsEnabled", ACTIVE)),
    // charging
    row("charging", "battery_level", Percentage("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current")),
    row("charging", "estimated_range", Measure("Vehicle.Powertrain.TractionBattery.Range")),
    row("charging", "status", ChargingStatus),
    row("charging", "plugged_in", Flag("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected", PLUGGED)),
    row("charging", "charge_port_state", Flag("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsFlapOpen", OPEN)),
    row("charging", "plug_lock_status", Flag("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableLocked", LOCKED)),
    row("charging", "charge_limit", Percentage("Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit")),
    row("charging", "charging_rate_distance", RatePerHour("Vehicle.Powertrain.TractionBattery.Charging.ChargeRate")),
    row("charging", "charging_rate", Measure("Vehicle.Powertrain.TractionBattery.CurrentPower")),
    row("charging", "charging_rate_kw", Measure("Vehicle.Powertrain.TractionBattery.CurrentPower")),
    row("charging", "charger_power", Measure("Vehicle.Powertrain.TractionBattery.CurrentPower")),
    row("charging", "time_to_complete_charge", Measure("Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete")),
    row("charging", "state_of_health", Percentage("Vehicle.Powertrain.TractionBattery.StateOfHealth")),
    row("charging", "battery_capacity", Measure("Vehicle.Powertrain.TractionBattery.NetCapacity")),
    row("charging", "battery_energy", Measure("Vehicle.Powertrain.TractionBattery.StateOfCharge.CurrentEnergy")),
    row("charging", "battery_voltage", Measure("Vehicle.Powertrain.TractionBattery.CurrentVoltage")),
    row("charging", "battery_current", Measure("Vehicle.Powertrain.TractionBattery.CurrentCurrent")),
    row("charging", "battery_temperature", Measure("Vehicle.Powertrain.TractionBattery.Temperature.Average")),
    row("charging", "battery_temperature_extremes", Keyed { key: "extreme", leaves: BATTERY_EXTREMES, value: "temperature", inner: Inner::Measure }),
    row("charging", "battery_tempretature_extremes", Keyed { key: "extreme", leaves: BATTERY_EXTREMES, value: "temperature", inner: Inner::Measure }),
    row("charging", "charger_voltage_dc", Measure("Vehicle.Powertrain.TractionBattery.Charging.ChargeVoltage.DC")),
    row("charging_session", "displayed_state_of_charge", Percentage("Vehicle.Powertrain.TractionBattery.StateOfCharge.Displayed")),
    row("charging_session", "odometer", Measure("Vehicle.TraveledDistance")),
    // engine and fuel
    row("engine", "status", Flag("Vehicle.Powertrain.CombustionEngine.IsRunning", ON)),
    row("engine", "start_stop_enabled", Flag("Vehicle.Powertrain.FuelSystem.IsEngineStopStartEnabled", ENABLED)),
    row("fueling", "gas_flap_position", Flag("Vehicle.Powertrain.FuelSystem.IsFuelPortFlapOpen", OPEN)),
    row("usage", "average_fuel_consumption", Measure("Vehicle.Powertrain.FuelSystem.AverageConsumption")),
    row("usage", "current_fuel_consumption", Measure("Vehicle.Powertrain.FuelSystem.InstantConsumption")),
    // economy (km/l) is the reciprocal of HM's consumption (l/100km): units.rs converts
    row("usage", "fuel_consumption_rate_since_start", Measure("Vehicle.Powertrain.FuelSystem.DriveFuelEconomy")),
    row("usage", "fuel_consumption_rate_since_reset", Measure("Vehicle.Powertrain.FuelSystem.CumulativeFuelEconomy")),
    row("chassis_settings", "driving_mode", Enum("Vehicle.Powertrain.Transmission.PerformanceMode", PERFORMANCE_MODE)),
    row("race", "gear_mode", Code("Vehicle.Powertrain.Transmission.SelectedGear", GEAR_SELECTOR)),
];
