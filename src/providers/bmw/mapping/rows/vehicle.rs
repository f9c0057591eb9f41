//! Service, diagnostics, the telematics channel, the alarm and vehicle-wide settings.

use crate::providers::bmw::mapping::{keep, row, Row, Rule::*};

const TELESERVICE: &str = "when the vehicle last called BMW's teleservice; VSS has none";
const ALARM: &str = "the anti-theft alarm; VSS 6.0 has no alarm branch";

pub const ROWS: &[Row] = &[
    row(
        "vehicle.status.serviceDistance.next",
        Measure("Vehicle.Service.DistanceToService", "km"),
    ),
    keep(
        "vehicle.status.serviceDistance.yellow",
        "the distance at which the first service notice appears (a fixed threshold), not \
         the distance to service",
    ),
    keep(
        "vehicle.status.serviceTime.yellow",
        "how many weeks ahead the service notice appears (a fixed threshold), not the time \
         to service",
    ),
    keep(
        "vehicle.status.serviceTime.hUandAuServiceYellow",
        "how many months ahead the legal inspection notice appears (a fixed threshold)",
    ),
    keep(
        "vehicle.status.serviceTime.inspectionDateLegal",
        "the legal inspection date, not the next service",
    ),
    keep(
        "vehicle.status.conditionBasedServices",
        "a JSON list of service items; IsServiceDue would be a guess over an undocumented \
         structure",
    ),
    keep(
        "vehicle.status.conditionBasedServicesCount",
        "the maximum number of service notices transmitted; VSS has none",
    ),
    keep(
        "vehicle.electronicControlUnit.diagnosticTroubleCodes.raw",
        "fault memory as BMW's raw JSON; its structure is not documented, so no \
         DTCCount/DTCList is derived",
    ),
    keep(
        "vehicle.channel.ngtp.timeVehicle",
        "the clock shown in the vehicle (hh:mm); VSS has no vehicle clock",
    ),
    keep(
        "vehicle.channel.teleservice.lastAutomaticServiceCallTime",
        TELESERVICE,
    ),
    keep(
        "vehicle.channel.teleservice.lastTeleserviceReportTime",
        TELESERVICE,
    ),
    keep(
        "vehicle.channel.teleservice.status",
        "whether teleservices are available; VSS has none",
    ),
    keep(
        "vehicle.vehicle.antiTheftAlarmSystem.alarm.activationTime",
        ALARM,
    ),
    keep(
        "vehicle.vehicle.antiTheftAlarmSystem.alarm.armStatus",
        ALARM,
    ),
    keep(
        "vehicle.vehicle.antiTheftAlarmSystem.alarm.isOn",
        "the alarm sounding; VSS 6.0 has no alarm branch, and `Body.Horn.IsActive` is the \
         horn, which an alarm siren need not be",
    ),
    keep(
        "vehicle.vehicle.deepSleepModeActive",
        "BMW's deep-sleep mode; VSS `PowerOptimizeLevel` is a 0–10 level of another meaning",
    ),
    keep(
        "vehicle.vehicle.timeSetting",
        "the clock's time-zone setting (summer, winter, UTC, manual); VSS has none",
    ),
    keep(
        "vehicle.vehicle.avgAuxPower",
        "the auxiliary consumers' power; VSS has none (`TractionBattery.CurrentPower` is the \
         whole battery's flow)",
    ),
];
