//! Charging: status, plug, ports and flaps, limits, profiles and why sessions ended.

use crate::providers::bmw::mapping::words::*;
use crate::providers::bmw::mapping::{join, keep, row, total, Row, Rule::*};

const FLAP_AUTO: &str = "a customer setting (open the flap near a charger, close it after \
    unplugging); VSS has the flap's state, not this setting";
const END_REASON: &str = "why a charging process ended; VSS has no charging end reason";
const OVERRIDE: &str = "why the selected charging mode was overridden; VSS has none";
const PROFILE: &str = "a charging-profile setting; VSS `Charging.Timer` holds one timer, \
    not BMW's charging profile";
const BIDI: &str = "a bidirectional-charging profile setting; VSS has none";
const DISPLAY: &str = "what the instrument cluster shows; VSS has no display settings";
const AC_LIMIT_BOUND: &str = "an end of the selectable AC current limit; VSS \
    `MaximumChargingCurrent.Phase1..3` is what the system accepts per phase at the inlet";

/// One charging port's rows; `pos` is BMW's camel-case position, `vss` the VSS instance.
macro_rules! port {
    ($pos:literal, $vss:literal) => {
        [
            row(
                concat!(
                    "vehicle.powertrain.tractionBattery.charging.port.",
                    $pos,
                    ".isPlugged"
                ),
                Flag(
                    concat!(
                        "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.",
                        $vss,
                        ".IsChargingCableConnected"
                    ),
                    BOOLEAN,
                ),
            ),
            row(
                concat!(
                    "vehicle.powertrain.tractionBattery.charging.port.",
                    $pos,
                    ".flap.isOpen"
                ),
                Flag(
                    concat!(
                        "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.",
                        $vss,
                        ".IsFlapOpen"
                    ),
                    OPEN,
                ),
            ),
            keep(
                concat!(
                    "vehicle.powertrain.tractionBattery.charging.port.",
                    $pos,
                    ".flap.isAutomaticOpenAndCloseActive"
                ),
                FLAP_AUTO,
            ),
        ]
    };
}

const PARTS: &[&[Row]] = &[
    &port!("anyPosition", "AnyPosition"),
    &port!("frontLeft", "FrontLeft"),
    &port!("frontMiddle", "FrontMiddle"),
    &port!("frontRight", "FrontRight"),
    &port!("rearLeft", "RearLeft"),
    &port!("rearMiddle", "RearMiddle"),
    &port!("rearRight", "RearRight"),
    OTHER,
];

/// The port rows, then the others.
pub const ROWS: &[Row] = &join::<{ total(PARTS) }>(PARTS);

const OTHER: &[Row] = &[
    row("vehicle.drivetrain.electricEngine.charging.hvStatus", ChargingStatus(HV_STATUS)),
    row("vehicle.drivetrain.electricEngine.charging.status", ChargingStatus(CHARGING_STATUS)),
    row(
        "vehicle.drivetrain.electricEngine.charging.timeRemaining",
        Measure("Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete", "min"),
    ),
    keep(
        "vehicle.drivetrain.electricEngine.charging.timeToFullyCharged",
        "the time until the battery is full, or until the navigation destination when one is \
         set; VSS `TimeToComplete` is the time to `ChargeLimit` (filled by `timeRemaining`)",
    ),
    row(
        "vehicle.powertrain.electric.battery.charging.power",
        Measure("Vehicle.Powertrain.TractionBattery.CurrentPower", "W"),
    ),
    row(
        "vehicle.powertrain.electric.battery.stateOfCharge.target",
        Measure("Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit", "percent"),
    ),
    // the plug
    row(
        "vehicle.body.chargingPort.status",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected",
            PLUG,
        ),
    ),
    row(
        "vehicle.body.chargingPort.statusClearText",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected",
            PLUG,
        ),
    ),
    row(
        "vehicle.drivetrain.electricEngine.charging.connectorStatus",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected",
            PLUG,
        ),
    ),
    row(
        "vehicle.body.chargingPort.dcStatus",
        PartialFlag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected",
            DC_PLUG,
        ),
    ),
    row(
        "vehicle.body.chargingPort.lockedStatus",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableLocked",
            CABLE_LOCK,
        ),
    ),
    keep(
        "vehicle.body.chargingPort.combinedStatus",
        "values undocumented; `chargingPort.status` and `…anyPosition.isPlugged` are mapped",
    ),
    keep(
        "vehicle.body.chargingPort.isHospitalityActive",
        "a setting: whether the plug unlocks once charging completes, not whether it is \
         locked now",
    ),
    keep(
        "vehicle.body.chargingPort.plugEventId",
        "a counter of plug-in events; VSS has no charging-session id",
    ),
    keep(
        "vehicle.body.flap.isLocked",
        "whether the charging flap is locked; VSS has the flap's open state and the cable \
         lock, no flap lock",
    ),
    keep(
        "vehicle.body.flap.isPermanentlyUnlocked",
        "a setting: the flap unlocked independently of central locking",
    ),
    keep(
        "vehicle.drivetrain.electricEngine.charging.connectionType",
        "conductive or inductive charging; VSS has no coupling type",
    ),
    keep(
        "vehicle.drivetrain.electricEngine.charging.method",
        "AC/DC and the plug type in use (AC_TYPE2PLUG, …); VSS `SupportedInletTypes` lists \
         the inlets a port has, not the one in use",
    ),
    keep(
        "vehicle.drivetrain.electricEngine.charging.phaseNumber",
        "how many AC phases charging uses; VSS has per-phase values but no phase count",
    ),
    // current and voltage
    keep(
        "vehicle.drivetrain.electricEngine.charging.acAmpere",
        "the maximum current of the most recent AC charging (the higher of the vehicle's and \
         the station's), not a present or per-phase current",
    ),
    keep(
        "vehicle.drivetrain.electricEngine.charging.acVoltage",
        "the voltage of the most recent AC charging, still sent after it ended and not per \
         phase; VSS `ChargeVoltage.Phase1..3` is the present voltage of each phase",
    ),
    keep(
        "vehicle.powertrain.electric.battery.charging.acLimit.isActive",
        "whether an AC charging-current limit is set; VSS has no current-limit setting",
    ),
    keep("vehicle.powertrain.electric.battery.charging.acLimit.max", AC_LIMIT_BOUND),
    keep("vehicle.powertrain.electric.battery.charging.acLimit.min", AC_LIMIT_BOUND),
    keep(
        "vehicle.powertrain.electric.battery.charging.acLimit.selected",
        "the AC charging-current limit the customer set; VSS has no current-limit setting",
    ),
    keep(
        "vehicle.drivetrain.electricEngine.charging.acRestriction.factor",
        "which AC current restriction applies (maximum, reduced, minimum); VSS has none",
    ),
    keep(
        "vehicle.drivetrain.electricEngine.charging.acRestriction.isChosen",
        "whether an AC current restriction is chosen; VSS has none",
    ),
    keep(
        "vehicle.powertrain.electric.battery.charging.acousticLimit",
        "whether charging is limited for noise; VSS has none",
    ),
    // energy
    keep(
        "vehicle.drivetrain.electricEngine.charging.consumptionOverLifeTime.overall.gridEnergy",
        "lifetime energy drawn from the grid by cable, at the charger; VSS \
         `AccumulatedChargedEnergy` is the energy delivered into the battery, after losses",
    ),
    keep(
        "vehicle.drivetrain.electricEngine.charging.smeEnergyDeltaFullyCharged",
        "the energy still needed to fill the battery; VSS has none",
    ),
    // how and why BMW charges
    keep(
        "vehicle.drivetrain.electricEngine.charging.authentication.status",
        "the Plug & Charge authorisation result; VSS has none",
    ),
    keep(
        "vehicle.drivetrain.electricEngine.charging.chargingMode",
        "BMW's charging control mode (prognosis-based, step-based, PLC); VSS has none",
    ),
    keep("vehicle.drivetrain.electricEngine.charging.hvpmFinishReason", END_REASON),
    keep("vehicle.drivetrain.electricEngine.charging.lastChargingReason", END_REASON),
    keep("vehicle.drivetrain.electricEngine.charging.reasonChargingEnd", END_REASON),
    keep(
        "vehicle.drivetrain.electricEngine.charging.lastChargingResult",
        "the result of the last charging process; VSS has none",
    ),
    keep("vehicle.drivetrain.electricEngine.charging.isImmediateChargingSystemReason", OVERRIDE),
    keep("vehicle.drivetrain.electricEngine.charging.modeDeviation", OVERRIDE),
    keep(
        "vehicle.drivetrain.electricEngine.charging.isSingleImmediateCharging",
        "a one-off \"charge now\" setting; VSS has none",
    ),
    keep(
        "vehicle.drivetrain.electricEngine.charging.routeOptimizedChargingStatus",
        "the phase of route-optimised charging; VSS has none",
    ),
    keep(
        "vehicle.drivetrain.electricEngine.charging.windowSelection",
        "whether a charging time window is chosen (a setting); VSS has none",
    ),
    keep(
        "vehicle.powertrain.electric.battery.charging.preferenceSmartCharging",
        "the smart-charging preference (price, renewable, CO₂); VSS has none",
    ),
    // the charging profile
    keep(
        "vehicle.drivetrain.electricEngine.charging.profile.climatizationActive",
        "a charging-profile setting (precondition the cabin for the next departure), not the \
         current climate state",
    ),
    keep(
        "vehicle.drivetrain.electricEngine.charging.profile.isRcpConfigComplete",
        "whether the remote charging profile is fully configured; VSS has none",
    ),
    keep("vehicle.drivetrain.electricEngine.charging.profile.mode", PROFILE),
    keep("vehicle.drivetrain.electricEngine.charging.profile.preference", PROFILE),
    keep("vehicle.drivetrain.electricEngine.charging.profile.timerType", PROFILE),
    keep(
        "vehicle.drivetrain.electricEngine.charging.profile.settings.biDirectionalCharging.departureTimeRelevant",
        BIDI,
    ),
    keep(
        "vehicle.drivetrain.electricEngine.charging.profile.settings.biDirectionalCharging.dischargeAllowed",
        BIDI,
    ),
    keep("vehicle.powertrain.electric.chargingDuration.displayControl", DISPLAY),
    keep("vehicle.powertrain.electric.departureTime.displayControl", DISPLAY),
    keep("vehicle.powertrain.electric.range.displayControl", DISPLAY),
];
