//! Word tables: BMW words → VSS values. Data shared by the rows, compared
//! case-insensitively; a word a row's table lacks passes through as `BMW.{descriptor}`.

use super::Words;

/// Words every boolean row accepts (case-insensitive), besides JSON booleans and 0/1.
pub const BOOLEAN_WORDS: Words<bool> = &[
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
pub const NO_DATA: &[&str] = &[
    "INVALID",
    "UNKNOWN",
    "-NA-",
    "ASN_isUnknown",
    "SIGNAL_INVALID",
];

pub const OPEN: Words<bool> = &[("OPEN", true), ("CLOSED", false)];
/// Windows: VSS `IsOpen` is "fully or partially open".
pub const WINDOW: Words<bool> = &[("OPEN", true), ("INTERMEDIATE", true), ("CLOSED", false)];
/// `vehicle.body.chargingPort.dcStatus`: a DC plug connected is a cable connected;
/// DISCONNECTED (an AC cable may be in) and INVALID pass through.
pub const DC_PLUG: Words<bool> = &[("CONNECTED", true)];
pub const PLUG: Words<bool> = &[("CONNECTED", true), ("DISCONNECTED", false)];
pub const LOCKED: Words<bool> = &[("LOCKED", true), ("UNLOCKED", false)];
pub const CABLE_LOCK: Words<bool> = &[
    ("CHARGING_CABLE_LOCKED", true),
    ("CHARGING_CABLE_NOT_LOCKED", false),
    ("CHARGING_CABLE_UNLOCKED", false),
    ("LOCKED", true),
    ("UNLOCKED", false),
];
/// No words of its own: JSON booleans, 0/1 and [`BOOLEAN_WORDS`].
pub const BOOLEAN: Words<bool> = &[];
pub const IGNITION: [&str; 3] = ["ON", "OFF", "UNDEFINED"];
pub const GPS_FIX: Words<&str> = &[
    ("NO_FIX", "NONE"),
    ("GPS_FIX_2D", "TWO_D"),
    ("GPS_FIX_3D", "THREE_D"),
    // the spellings the catalogue's description uses
    ("2D_GPS_FIX", "TWO_D"),
    ("3D_GPS_FIX", "THREE_D"),
];
/// `…charging.status`: the values its catalogue description names (its range column
/// lists unrelated `MANUAL_SELECTION…` values), plus the spellings integrations report.
pub const CHARGING_STATUS: Words<&str> = &[
    ("NOCHARGING", "IDLE"),
    ("INITIALIZATION", "WAITING"),
    ("CHARGINGACTIVE", "CHARGING"),
    ("CHARGING_ACTIVE", "CHARGING"),
    ("CHARGING", "CHARGING"),
    ("CHARGING_IN_PROGRESS", "CHARGING"),
    ("CHARGINGPAUSED", "PAUSED"),
    ("CHARGINGENDED", "COMPLETE"),
    ("CHARGINGERROR", "ERROR"),
];
/// `…charging.hvStatus` (signals.md A.4).
pub const HV_STATUS: Words<&str> = &[
    ("NOT_CHARGING", "IDLE"),
    ("WAITING_FOR_CHARGING", "WAITING"),
    ("CHARGING", "CHARGING"),
    ("FINISHED_FULLY_CHARGED", "COMPLETE"),
    ("FINISHED_NOT_FULL", "COMPLETE"),
    ("ERROR", "ERROR"),
];
/// `vehicle.cabin.door.lock.status` → IsLocked of [Row1 driver, Row1 passenger, Row2
/// driver, Row2 passenger]. SELECTIVE-LOCKED is "locked except the left front door",
/// and BMW's driver side is the left (its catalogue titles `row1.driver` "front left").
pub const LOCK_STATUS: Words<[bool; 4]> = &[
    ("SECURED", [true; 4]),
    ("LOCKED", [true; 4]),
    ("UNLOCKED", [false; 4]),
    ("SELECTIVE-LOCKED", [false, true, true, true]),
];
/// `vehicle.cabin.convertible.roofStatus` → VSS `Convertible.Status`. "Secured" is the
/// vehicle's lock, not the roof's; a hard top is mounted closed. The emergency lock and
/// the intermediate and loading positions are no VSS status and pass through.
pub const ROOF: Words<&str> = &[
    ("CLOSED", "CLOSED"),
    ("OPEN", "OPEN"),
    ("CLOSEDSECURED", "CLOSED"),
    ("OPENSECURED", "OPEN"),
    ("HARDTOPMOUNTED", "CLOSED"),
];
/// Instrument-panel and HMI distance units → VSS `HMI.DistanceUnit`.
pub const DISTANCE_UNIT: Words<&str> = &[
    ("km", "KILOMETERS"),
    ("KILOMETERS", "KILOMETERS"),
    ("mi", "MILES"),
    ("miles", "MILES"),
];
/// `…battery.preconditioning.state`, the battery conditioning activity: every `ON` state
/// (whoever started it, for charging or driving) is active, `OFF`/`REMOTE_OFF` is not.
pub const CONDITIONING: Words<bool> = &[
    ("OFF", false),
    ("REMOTE_OFF", false),
    ("ON_LEGACY", true),
    ("MANUAL_ON_CHARGE", true),
    ("AUTOMATIC_ON", true),
    ("REMOTE_ON_CHARGE", true),
    ("REMOTE_ON_DRIVE", true),
];
