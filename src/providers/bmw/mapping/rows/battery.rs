//! Energy stores: the high-voltage battery, fuel, ranges, the 12 V and 48 V batteries.

use crate::providers::bmw::mapping::words::*;
use crate::providers::bmw::mapping::{keep, row, Row, Rule::*};

pub const ROWS: &[Row] = &[
    row(
        "vehicle.drivetrain.batteryManagement.header",
        Measure(
            "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
            "percent",
        ),
    ),
    row(
        "vehicle.powertrain.electric.battery.stateOfCharge.displayed",
        Measure(
            "Vehicle.Powertrain.TractionBattery.StateOfCharge.Displayed",
            "percent",
        ),
    ),
    row(
        "vehicle.powertrain.electric.battery.stateOfHealth.displayed",
        Measure(
            "Vehicle.Powertrain.TractionBattery.StateOfHealth",
            "percent",
        ),
    ),
    row(
        "vehicle.drivetrain.batteryManagement.batterySizeMax",
        Measure("Vehicle.Powertrain.TractionBattery.GrossCapacity", "kWh"),
    ),
    // "energy content" is the usable capacity of the aged battery (integrations read it so)
    row(
        "vehicle.drivetrain.batteryManagement.maxEnergy",
        Measure("Vehicle.Powertrain.TractionBattery.NetCapacity", "kWh"),
    ),
    keep(
        "vehicle.drivetrain.electricEngine.charging.level",
        "BMW's predicted state of charge, not a measurement; the measured one is \
         `batteryManagement.header`",
    ),
    keep(
        "vehicle.powertrain.electric.battery.stateOfCharge.targetMin",
        "the minimum state of charge kept for smart charging and V2X; VSS `ChargeLimit` is \
         the upper target",
    ),
    keep(
        "vehicle.powertrain.electric.battery.stateOfCharge.targetSoCForProfessionalMode",
        "the state of charge bidirectional (professional) mode guarantees by departure; VSS \
         has no such target",
    ),
    row(
        "vehicle.powertrain.electric.battery.preconditioning.state",
        Flag(
            "Vehicle.Powertrain.TractionBattery.BatteryConditioning.IsActive",
            CONDITIONING,
        ),
    ),
    keep(
        "vehicle.powertrain.electric.battery.preconditioning.automaticMode.statusFeedback",
        "the switch for automatic (navigation-based) battery conditioning, a setting; \
         whether conditioning runs is `preconditioning.state`",
    ),
    keep(
        "vehicle.powertrain.electric.battery.preconditioning.manualMode.statusFeedback",
        "the manual conditioning button: OFF does not mean no conditioning is requested \
         (automatic mode may request it), so it is not VSS `RequestedMode`; mapping \
         ON_CHARGE/ON_DRIVE alone would leave a stale RequestedMode standing after the \
         button is switched off (nothing else resets the leaf)",
    ),
    // ranges
    row(
        "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange",
        Measure("Vehicle.Powertrain.TractionBattery.Range", "km"),
    ),
    keep(
        "vehicle.drivetrain.electricEngine.remainingElectricRange",
        "a range forecast during charging, not the current electric range",
    ),
    keep(
        "vehicle.powertrain.electric.range.target",
        "the electric range expected at the charge target, not the current range",
    ),
    row(
        "vehicle.drivetrain.lastRemainingRange",
        Measure("Vehicle.Powertrain.Range", "km"),
    ),
    keep(
        "vehicle.drivetrain.totalRemainingRange",
        "a total range forecast during charging; the current one is `lastRemainingRange`",
    ),
    keep(
        "vehicle.drivetrain.avgElectricRangeConsumption",
        "average electric consumption (kWh/100 km or mi/kWh); VSS has an average fuel \
         consumption, and an electric one only for a range extender's charge-depleting mode",
    ),
    // fuel and the combustion engine
    row(
        "vehicle.cabin.infotainment.navigation.remainingRange",
        Measure("Vehicle.Powertrain.FuelSystem.Range", "km"),
    ),
    row(
        "vehicle.drivetrain.fuelSystem.remainingFuelRange",
        Measure("Vehicle.Powertrain.FuelSystem.Range", "km"),
    ),
    row(
        "vehicle.drivetrain.fuelSystem.level",
        Measure("Vehicle.Powertrain.FuelSystem.RelativeLevel", "percent"),
    ),
    row(
        "vehicle.drivetrain.fuelSystem.remainingFuel",
        Measure("Vehicle.Powertrain.FuelSystem.AbsoluteLevel", "l"),
    ),
    row(
        "vehicle.drivetrain.internalCombustionEngine.engine.ect",
        Measure(
            "Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature",
            "Celsius",
        ),
    ),
    // low-voltage batteries
    row(
        "vehicle.electricalSystem.battery.voltage",
        Measure("Vehicle.LowVoltageBattery.CurrentVoltage", "V"),
    ),
    keep(
        "vehicle.electricalSystem.battery.stateOfCharge",
        "VSS 6.0's LowVoltageBattery has voltage, current and capacity, no state of charge",
    ),
    keep(
        "vehicle.electricalSystem.battery48V.stateOfHealth.displayed",
        "a mild hybrid's 48 V battery; VSS has no 48 V battery (LowVoltageBattery is the \
         12 V one, TractionBattery the high-voltage one)",
    ),
];
