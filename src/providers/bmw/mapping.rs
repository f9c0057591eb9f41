//! BMW CarData descriptors → VSS 6.0, as a table (signals.md A.3, A.4).
//!
//! One row per technical descriptor; adding a mapping is adding a row. A value that does
//! not fit its row (a word the row does not know, a unit it cannot convert, a number out
//! of the VSS datatype's range) is not forced: the normalizer passes it through as
//! `BMW.{descriptor}` so nothing is lost. `docs/signals-bmw.md` is generated from here.
//!
//! BMW units arrive per message and may be absent or `null`; each measuring row names the
//! unit to assume then (the catalogue's unit, or its first unit for "km or mi" ranges).

use crate::vss::catalogue::{self, VssSignal};

#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub descriptor: &'static str,
    pub rule: Rule,
}

/// What a row does with an entry's `value` (and `unit`).
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// A number (JSON number or numeric string) in the entry's unit, or in the given
    /// default unit when the entry has none, converted to the VSS signal's unit.
    Measure(&'static str, &'static str),
    /// A boolean: JSON booleans, 0/1 and [`BOOLEAN_WORDS`], plus the row's own words.
    Flag(&'static str, &'static [(&'static str, bool)]),
    /// An enum word renamed to the VSS value.
    Enum(&'static str, &'static [(&'static str, &'static str)]),
    /// A boolean read as a VSS enum value: `[if true, if false, if unknown]`.
    FlagEnum(&'static str, [&'static str; 3]),
    /// A charging status word → the project's common status overlay (signals.md A.4),
    /// plus `IsCharging` when the status says.
    ChargingStatus(&'static [(&'static str, &'static str)]),
    /// The vehicle-wide lock status → `IsLocked` of the four doors.
    DoorLocks,
    /// Deliberately not mapped (the reason is documented); passes through as `BMW.…`.
    Keep(&'static str),
}

const fn row(descriptor: &'static str, rule: Rule) -> Row {
    Row { descriptor, rule }
}

pub const STATUS: &str = "Vehicle.Powertrain.TractionBattery.Charging.Status";
pub const IS_CHARGING: &str = "Vehicle.Powertrain.TractionBattery.Charging.IsCharging";
/// `vehicle.cabin.door.lock.status` fans out over these, in this order.
pub const DOOR_LOCKS: [&str; 4] = [
    "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked",
    "Vehicle.Cabin.Door.Row1.PassengerSide.IsLocked",
    "Vehicle.Cabin.Door.Row2.DriverSide.IsLocked",
    "Vehicle.Cabin.Door.Row2.PassengerSide.IsLocked",
];

/// Words every boolean row accepts (case-insensitive), besides JSON booleans and 0/1.
pub const BOOLEAN_WORDS: &[(&str, bool)] = &[
    ("true", true),
    ("false", false),
    ("1", true),
    ("0", false),
    ("yes", true),
    ("no", false),
    ("on", true),
    ("off", false),
    ("ASN_isTrue", true),
    ("ASN_isFalse", false),
];

/// Words by which the vehicle says it does not know (case-insensitive). A mapped row
/// turns them into its VSS path with value `null` (enum rows with a value for "unknown",
/// such as `UNDEFINED`, use that instead); no failure is attached, as BMW sent none.
pub const NO_DATA: &[&str] = &["INVALID", "UNKNOWN", "-NA-", "ASN_isUnknown"];

// Row word tables.
pub const OPEN: &[(&str, bool)] = &[("OPEN", true), ("CLOSED", false)];
pub const WINDOW: &[(&str, bool)] = &[("OPEN", true), ("INTERMEDIATE", true), ("CLOSED", false)];
pub const PLUG: &[(&str, bool)] = &[("CONNECTED", true), ("DISCONNECTED", false)];
pub const LOCKED: &[(&str, bool)] = &[("LOCKED", true), ("UNLOCKED", false)];
pub const CABLE_LOCK: &[(&str, bool)] = &[
    ("CHARGING_CABLE_LOCKED", true),
    ("CHARGING_CABLE_NOT_LOCKED", false),
    ("CHARGING_CABLE_UNLOCKED", false),
    ("LOCKED", true),
    ("UNLOCKED", false),
];
pub const BOOLEAN: &[(&str, bool)] = &[];
pub const IGNITION: [&str; 3] = ["ON", "OFF", "UNDEFINED"];
pub const GPS_FIX: &[(&str, &str)] = &[
    ("NO_FIX", "NONE"),
    ("GPS_FIX_2D", "TWO_D"),
    ("GPS_FIX_3D", "THREE_D"),
];
/// `…charging.status`: the values its catalogue description names (its range column
/// lists unrelated `MANUAL_SELECTION…` values), plus the spellings integrations report.
pub const CHARGING_STATUS: &[(&str, &str)] = &[
    ("NOCHARGING", "IDLE"),
    ("INITIALIZATION", "WAITING"),
    ("CHARGINGACTIVE", "CHARGING"),
    ("CHARGING_ACTIVE", "CHARGING"),
    ("CHARGING", "CHARGING"),
    ("CHARGING_IN_PROGRESS", "CHARGING"),
    ("CHARGINGPAUSED", "PAUSED"),
    ("CHARGINGENDED", "COMPLETE"),
    ("CHARGINGERROR", "ERROR"),
    ("UNKNOWN", "UNKNOWN"),
    ("INVALID", "UNKNOWN"),
];
/// `…charging.hvStatus` (signals.md A.4).
pub const HV_STATUS: &[(&str, &str)] = &[
    ("NOT_CHARGING", "IDLE"),
    ("WAITING_FOR_CHARGING", "WAITING"),
    ("CHARGING", "CHARGING"),
    ("FINISHED_FULLY_CHARGED", "COMPLETE"),
    ("FINISHED_NOT_FULL", "COMPLETE"),
    ("ERROR", "ERROR"),
    ("INVALID", "UNKNOWN"),
];
/// `vehicle.cabin.door.lock.status` → IsLocked of [Row1 driver, Row1 passenger, Row2
/// driver, Row2 passenger]. SELECTIVE-LOCKED is "locked except the left front door",
/// and BMW's driver side is the left (its catalogue titles `row1.driver` "front left").
pub const LOCK_STATUS: &[(&str, [bool; 4])] = &[
    ("SECURED", [true; 4]),
    ("LOCKED", [true; 4]),
    ("UNLOCKED", [false; 4]),
    ("SELECTIVE-LOCKED", [false, true, true, true]),
];

use Rule::*;

pub const ROWS: &[Row] = &[
    // position and motion
    row("vehicle.vehicle.travelledDistance", Measure("Vehicle.TraveledDistance", "km")),
    row(
        "vehicle.cabin.infotainment.navigation.currentLocation.latitude",
        Measure("Vehicle.CurrentLocation.Latitude", "degrees"),
    ),
    row(
        "vehicle.cabin.infotainment.navigation.currentLocation.longitude",
        Measure("Vehicle.CurrentLocation.Longitude", "degrees"),
    ),
    row(
        "vehicle.cabin.infotainment.navigation.currentLocation.altitude",
        Measure("Vehicle.CurrentLocation.Altitude", "m"),
    ),
    row(
        "vehicle.cabin.infotainment.navigation.currentLocation.heading",
        Measure("Vehicle.CurrentLocation.Heading", "degrees"),
    ),
    row(
        "vehicle.cabin.infotainment.navigation.currentLocation.fixStatus",
        Enum("Vehicle.CurrentLocation.GNSSReceiver.FixType", GPS_FIX),
    ),
    row("vehicle.isMoving", Flag("Vehicle.IsMoving", BOOLEAN)),
    row("vehicle.drivetrain.engine.isActive", FlagEnum("Vehicle.LowVoltageSystemState", IGNITION)),
    row(
        "vehicle.drivetrain.engine.isIgnitionOn",
        Flag("Vehicle.Powertrain.CombustionEngine.IsRunning", BOOLEAN),
    ),
    // high-voltage battery
    row(
        "vehicle.drivetrain.batteryManagement.header",
        Measure("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current", "percent"),
    ),
    row(
        "vehicle.powertrain.electric.battery.stateOfCharge.displayed",
        Measure("Vehicle.Powertrain.TractionBattery.StateOfCharge.Displayed", "percent"),
    ),
    row(
        "vehicle.powertrain.electric.battery.stateOfHealth.displayed",
        Measure("Vehicle.Powertrain.TractionBattery.StateOfHealth", "percent"),
    ),
    row(
        "vehicle.drivetrain.batteryManagement.batterySizeMax",
        Measure("Vehicle.Powertrain.TractionBattery.GrossCapacity", "kWh"),
    ),
    row(
        "vehicle.drivetrain.batteryManagement.maxEnergy",
        Measure("Vehicle.Powertrain.TractionBattery.NetCapacity", "kWh"),
    ),
    row(
        "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange",
        Measure("Vehicle.Powertrain.TractionBattery.Range", "km"),
    ),
    // charging
    row("vehicle.drivetrain.electricEngine.charging.hvStatus", ChargingStatus(HV_STATUS)),
    row("vehicle.drivetrain.electricEngine.charging.status", ChargingStatus(CHARGING_STATUS)),
    row(
        "vehicle.body.chargingPort.status",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected",
            PLUG,
        ),
    ),
    row(
        "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected",
            BOOLEAN,
        ),
    ),
    row(
        "vehicle.powertrain.tractionBattery.charging.port.frontLeft.isPlugged",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.FrontLeft.IsChargingCableConnected",
            BOOLEAN,
        ),
    ),
    row(
        "vehicle.powertrain.tractionBattery.charging.port.frontMiddle.isPlugged",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.FrontMiddle.IsChargingCableConnected",
            BOOLEAN,
        ),
    ),
    row(
        "vehicle.powertrain.tractionBattery.charging.port.frontRight.isPlugged",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.FrontRight.IsChargingCableConnected",
            BOOLEAN,
        ),
    ),
    row(
        "vehicle.powertrain.tractionBattery.charging.port.rearLeft.isPlugged",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.RearLeft.IsChargingCableConnected",
            BOOLEAN,
        ),
    ),
    row(
        "vehicle.powertrain.tractionBattery.charging.port.rearMiddle.isPlugged",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.RearMiddle.IsChargingCableConnected",
            BOOLEAN,
        ),
    ),
    row(
        "vehicle.powertrain.tractionBattery.charging.port.rearRight.isPlugged",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.RearRight.IsChargingCableConnected",
            BOOLEAN,
        ),
    ),
    row(
        "vehicle.powertrain.tractionBattery.charging.port.anyPosition.flap.isOpen",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsFlapOpen",
            OPEN,
        ),
    ),
    row(
        "vehicle.powertrain.tractionBattery.charging.port.frontLeft.flap.isOpen",
        Flag("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.FrontLeft.IsFlapOpen", OPEN),
    ),
    row(
        "vehicle.powertrain.tractionBattery.charging.port.frontMiddle.flap.isOpen",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.FrontMiddle.IsFlapOpen",
            OPEN,
        ),
    ),
    row(
        "vehicle.powertrain.tractionBattery.charging.port.frontRight.flap.isOpen",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.FrontRight.IsFlapOpen",
            OPEN,
        ),
    ),
    row(
        "vehicle.powertrain.tractionBattery.charging.port.rearLeft.flap.isOpen",
        Flag("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.RearLeft.IsFlapOpen", OPEN),
    ),
    row(
        "vehicle.powertrain.tractionBattery.charging.port.rearMiddle.flap.isOpen",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.RearMiddle.IsFlapOpen",
            OPEN,
        ),
    ),
    row(
        "vehicle.powertrain.tractionBattery.charging.port.rearRight.flap.isOpen",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.RearRight.IsFlapOpen",
            OPEN,
        ),
    ),
    row(
        "vehicle.body.chargingPort.lockedStatus",
        Flag(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableLocked",
            CABLE_LOCK,
        ),
    ),
    row(
        "vehicle.powertrain.electric.battery.stateOfCharge.target",
        Measure("Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit", "percent"),
    ),
    row(
        "vehicle.powertrain.electric.battery.charging.power",
        Measure("Vehicle.Powertrain.TractionBattery.CurrentPower", "W"),
    ),
    row(
        "vehicle.drivetrain.electricEngine.charging.timeToFullyCharged",
        Measure("Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete", "min"),
    ),
    row(
        "vehicle.drivetrain.electricEngine.charging.timeRemaining",
        Measure("Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete", "min"),
    ),
    // fuel and range
    row("vehicle.drivetrain.lastRemainingRange", Measure("Vehicle.Powertrain.Range", "km")),
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
    // doors, windows, roof, lids (BMW's `driver` is VSS DriverSide, `passenger` PassengerSide)
    row("vehicle.cabin.door.row1.driver.isOpen", Flag("Vehicle.Cabin.Door.Row1.DriverSide.IsOpen", OPEN)),
    row(
        "vehicle.cabin.door.row1.passenger.isOpen",
        Flag("Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen", OPEN),
    ),
    row("vehicle.cabin.door.row2.driver.isOpen", Flag("Vehicle.Cabin.Door.Row2.DriverSide.IsOpen", OPEN)),
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
    row(
        "vehicle.cabin.window.row1.driver.status",
        Flag("Vehicle.Cabin.Door.Row1.DriverSide.Window.IsOpen", WINDOW),
    ),
    row(
        "vehicle.cabin.window.row1.passenger.status",
        Flag("Vehicle.Cabin.Door.Row1.PassengerSide.Window.IsOpen", WINDOW),
    ),
    row(
        "vehicle.cabin.window.row2.driver.status",
        Flag("Vehicle.Cabin.Door.Row2.DriverSide.Window.IsOpen", WINDOW),
    ),
    row(
        "vehicle.cabin.window.row2.passenger.status",
        Flag("Vehicle.Cabin.Door.Row2.PassengerSide.Window.IsOpen", WINDOW),
    ),
    row("vehicle.cabin.sunroof.relativePosition", Measure("Vehicle.Cabin.Sunroof.Position", "percent")),
    row("vehicle.body.trunk.isOpen", Flag("Vehicle.Body.Trunk.Rear.IsOpen", OPEN)),
    row("vehicle.body.trunk.door.isOpen", Flag("Vehicle.Body.Trunk.Rear.IsOpen", OPEN)),
    row("vehicle.body.trunk.isLocked", Flag("Vehicle.Body.Trunk.Rear.IsLocked", LOCKED)),
    row("vehicle.body.hood.isOpen", Flag("Vehicle.Body.Hood.IsOpen", OPEN)),
    // tyres (BMW's left/right are absolute, like VSS wheels)
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
    row(
        "vehicle.chassis.axle.row1.wheel.left.tire.temperature",
        Measure("Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.AirTemperature", "Celsius"),
    ),
    row(
        "vehicle.chassis.axle.row1.wheel.right.tire.temperature",
        Measure("Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.AirTemperature", "Celsius"),
    ),
    row(
        "vehicle.chassis.axle.row2.wheel.left.tire.temperature",
        Measure("Vehicle.Chassis.Axle.Row2.Wheel.Left.Tire.AirTemperature", "Celsius"),
    ),
    row(
        "vehicle.chassis.axle.row2.wheel.right.tire.temperature",
        Measure("Vehicle.Chassis.Axle.Row2.Wheel.Right.Tire.AirTemperature", "Celsius"),
    ),
    // service, 12 V, engine
    row("vehicle.status.serviceDistance.next", Measure("Vehicle.Service.DistanceToService", "km")),
    row(
        "vehicle.electricalSystem.battery.voltage",
        Measure("Vehicle.LowVoltageBattery.CurrentVoltage", "V"),
    ),
    row(
        "vehicle.drivetrain.internalCombustionEngine.engine.ect",
        Measure("Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature", "Celsius"),
    ),
    // named in signals.md A.3 but deliberately kept as `BMW.{descriptor}`
    row(
        "vehicle.electronicControlUnit.diagnosticTroubleCodes.raw",
        Keep("fault memory as BMW's raw JSON; its structure is not documented, so no DTCCount/DTCList is derived"),
    ),
    row(
        "vehicle.drivetrain.electricEngine.charging.level",
        Keep("BMW's predicted state of charge, not a measurement; the measured one is `batteryManagement.header`"),
    ),
    row(
        "vehicle.drivetrain.electricEngine.remainingElectricRange",
        Keep("a range forecast during charging, not the current electric range"),
    ),
    row(
        "vehicle.drivetrain.totalRemainingRange",
        Keep("a total range forecast during charging; the current one is `lastRemainingRange`"),
    ),
    row(
        "vehicle.trip.segment.end.travelledDistance",
        Keep("the odometer after the last drive, not the current one; VSS has no trip distance source here"),
    ),
    row(
        "vehicle.vehicle.avgSpeed",
        Keep("an average speed; VSS `Vehicle.Speed` is the current speed"),
    ),
    row(
        "vehicle.cabin.door.status",
        Keep("sporadic structured door summary; BMW recommends the per-door descriptors"),
    ),
    row(
        "vehicle.body.chargingPort.combinedStatus",
        Keep("values undocumented; `chargingPort.status` and `…anyPosition.isPlugged` are mapped"),
    ),
    row(
        "vehicle.status.conditionBasedServices",
        Keep("a JSON list of service items; IsServiceDue would be a guess over an undocumented structure"),
    ),
    row(
        "vehicle.status.serviceTime.inspectionDateLegal",
        Keep("the legal inspection date, not the next service"),
    ),
];

/// The row of a descriptor (already stripped of zero-width spaces and whitespace).
pub fn lookup(descriptor: &str) -> Option<&'static Row> {
    ROWS.iter().find(|r| r.descriptor == descriptor)
}

/// The catalogue entry of a VSS path (the whole VSS 6.0 catalogue, instances expanded).
pub fn vss(path: &str) -> Option<&'static VssSignal> {
    catalogue::signal(path)
}

impl Rule {
    /// Every VSS path the rule can write, for docs and coverage checks; empty for `Keep`.
    pub fn targets(self) -> Vec<&'static str> {
        match self {
            Measure(p, _) | Flag(p, _) | Enum(p, _) | FlagEnum(p, _) => vec![p],
            ChargingStatus(_) => vec![STATUS, IS_CHARGING],
            DoorLocks => DOOR_LOCKS.to_vec(),
            Keep(_) => Vec::new(),
        }
    }

    /// The paths a value of "no data" (JSON `null`) is reported under.
    pub fn null_targets(self) -> Vec<&'static str> {
        match self {
            ChargingStatus(_) => vec![STATUS],
            other => other.targets(),
        }
    }
}

/// Rows that map to VSS (all but `Keep`).
pub fn mapped_count() -> usize {
    ROWS.iter().filter(|r| !matches!(r.rule, Keep(_))).count()
}

/// The mapping as a Markdown page: `docs/signals-bmw.md` is this, and a test keeps it so.
pub fn markdown() -> String {
    use std::fmt::Write;
    let words = |t: &[(&str, bool)]| {
        t.iter()
            .map(|(k, v)| format!("{k}→{v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let renames = |t: &[(&str, &str)]| {
        t.iter()
            .map(|(k, v)| format!("{k}→{v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "# BMW CarData → VSS 6.0 mapping\n\n\
         Generated from `src/providers/bmw/mapping.rs` (do not edit by hand; \
         `VINSTREAM_BLESS=1 cargo test docs_signals` rewrites it). {mapped} descriptors map to VSS; \
         {kept} more are named below and kept as sent.\n\n\
         Each entry of a message's `data` becomes its own signal(s), with the entry's `timestamp` \
         and the descriptor as `origin`. Descriptor names are compared after removing zero-width \
         spaces (U+200B, as in BMW's catalogue exports) and surrounding whitespace.\n\n\
         ## How values are read\n\n\
         - **Numbers** may arrive as JSON numbers or as strings (`\"87897\"`, `\"9.498705\"`).\n\
         - **Units** are read case-insensitively: `%`/`percent`, `km`/`kilometers`, `mi`/`miles`, \
         `m`, `ft`, `L`/`l`/`liters`, `gal` (US gallons), `°C`/`celsius`, `°F`, `kPa`, `bar`, `psi`, \
         `V`, `W`, `kW`, `kWh`, `A`, `min`, `h`, `s`, `degrees`. An absent, `null`, empty or \
         `\"null\"` unit means the row's default unit (the catalogue's, or its first one for \
         \"km or mi\" ranges). BMW has been seen to label miles as km; such a value cannot be \
         detected and is converted as labelled.\n\
         - **Booleans**: JSON `true`/`false`, `0`/`1`, and the words {bool_words} \
         (case-insensitive), plus each row's own words below.\n\
         - **No data**: the words {no_data} (case-insensitive) and JSON `null` give the row's VSS \
         path with value `null` and no `failure` (BMW sends the word, not a failure). \
         `ASN_isUnknown` is one of them: the vehicle says it does not know, which is not a value \
         to drop but not a boolean either. Exceptions: `engine.isActive` reports `UNDEFINED`, \
         a value VSS has for it, and the charging status rows report the status `UNKNOWN`.\n\
         - **Anything else** — a word a row does not know, a unit it cannot convert, a number \
         outside the VSS datatype (e.g. a negative `uint`), an entry that is not \
         `{{value, unit?, timestamp?}}` — passes through as `BMW.{{descriptor}}` with the value \
         and unit as sent, as do all descriptors not listed here (objects too).\n\
         - **Charging status** (`Vehicle.Powertrain.TractionBattery.Charging.Status`) is the \
         project's overlay of signals.md A.4. `IsCharging` accompanies every status but \
         `UNKNOWN` (true only for `CHARGING`). `IsDischarging` is never derived: neither BMW \
         status has a discharging value, and bidirectional BMWs exist, so \"not charging\" does \
         not imply \"not discharging\".\n\
         - Semantics to know: BMW altitude is above mean sea level (VSS: WGS-84 ellipsoid); \
         `timeToFullyCharged` is the time until full (or until the navigation destination), \
         while VSS `TimeToComplete` is until `ChargeLimit`; `lastRemainingRange` is \
         electric + fuel on PHEVs and about 0 on BEVs.\n\n\
         ## Mapped descriptors\n\n\
         | BMW descriptor | rule | VSS path | type | unit | default unit | values |\n\
         |---|---|---|---|---|---|---|\n",
        mapped = mapped_count(),
        kept = ROWS.len() - mapped_count(),
        bool_words = BOOLEAN_WORDS
            .iter()
            .map(|(k, _)| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", "),
        no_data = NO_DATA
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    for r in ROWS {
        let (rule, default, values) = match r.rule {
            Measure(_, unit) => ("number, converted", unit.to_string(), String::new()),
            Flag(_, []) => ("boolean", String::new(), String::new()),
            Flag(_, t) => ("boolean", String::new(), words(t)),
            Enum(_, t) => ("enum", String::new(), renames(t)),
            FlagEnum(_, [on, off, unknown]) => (
                "boolean as enum",
                String::new(),
                format!("true→{on}, false→{off}, unknown→{unknown}"),
            ),
            ChargingStatus(t) => ("charging status overlay", String::new(), renames(t)),
            DoorLocks => ("vehicle-wide lock, per door", String::new(), String::new()),
            Keep(_) => continue,
        };
        for (i, target) in r.rule.targets().into_iter().enumerate() {
            let values = match r.rule {
                ChargingStatus(_) if target == IS_CHARGING => {
                    "true for CHARGING, false for any other status but UNKNOWN (then absent)"
                        .to_string()
                }
                DoorLocks => LOCK_STATUS
                    .iter()
                    .map(|(k, v)| format!("{k}→{}", v[i]))
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => values.clone(),
            };
            let s = vss(target);
            let _ = writeln!(
                out,
                "| `{}` | {} | `{}` | {} | {} | {} | {} |",
                r.descriptor,
                rule,
                target,
                s.map_or("?".into(), |s| s.datatype.vss_name().to_string()),
                s.and_then(|s| s.unit).unwrap_or("–"),
                if default.is_empty() { "–" } else { &default },
                values
            );
        }
    }
    out.push_str(
        "\nSELECTIVE-LOCKED is \"locked except the left front door\"; BMW's driver side is the \
         left (its catalogue titles `row1.driver` \"front left door\").\n\n\
         ## Named in signals.md but kept as `BMW.{descriptor}`\n\n\
         | BMW descriptor | why |\n|---|---|\n",
    );
    for r in ROWS {
        if let Keep(why) = r.rule {
            let _ = writeln!(out, "| `{}` | {} |", r.descriptor, why);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_targets_a_catalogued_path() {
        for r in ROWS {
            for p in r.rule.targets() {
                assert!(
                    vss(p).is_some(),
                    "{p} ({}) is not in the catalogue",
                    r.descriptor
                );
                assert!(!p.contains('*'), "{p}: rows name concrete paths");
            }
            if let Measure(p, unit) = r.rule {
                let to = vss(p)
                    .and_then(|s| s.unit)
                    .expect("a measured signal has a unit");
                assert!(
                    unit == to || crate::vss::units::convert(1.0, unit, to).is_some(),
                    "{}: default unit {unit} does not convert to {to}",
                    r.descriptor
                );
            }
        }
    }

    #[test]
    fn rows_are_unique_and_clean() {
        for (i, a) in ROWS.iter().enumerate() {
            assert!(
                ROWS[i + 1..].iter().all(|b| a.descriptor != b.descriptor),
                "duplicate row {}",
                a.descriptor
            );
            assert_eq!(a.descriptor.trim(), a.descriptor);
            assert!(!a.descriptor.contains('\u{200b}'));
        }
    }

    #[test]
    fn instance_paths_are_catalogue_leaves() {
        assert_eq!(
            vss("Vehicle.Cabin.Door.Row2.PassengerSide.Window.IsOpen").map(|s| s.path),
            Some("Vehicle.Cabin.Door.Row2.PassengerSide.Window.IsOpen")
        );
        assert!(vss("Vehicle.Cabin.Door.Row2.IsOpen").is_none());
    }

    #[test]
    fn docs_signals_bmw_md_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/signals-bmw.md");
        let want = markdown();
        if std::env::var_os("VINSTREAM_BLESS").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "docs/signals-bmw.md is stale: run `VINSTREAM_BLESS=1 cargo test docs_signals`"
        );
    }
}
