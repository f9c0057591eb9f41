//! Word tables: High Mobility enum words → VSS values. Data, shared by the rows.

/// A word table: provider enum word → VSS value.
pub type Words<T> = &'static [(&'static str, T)];

pub const OPEN: Words<bool> = &[("open", true), ("closed", false)];
pub const OPEN3: Words<bool> = &[("open", true), ("intermediate", true), ("closed", false)];
pub const LOCKED: Words<bool> = &[("locked", true), ("unlocked", false)];
pub const ON: Words<bool> = &[("on", true), ("off", false)];
pub const ACTIVE: Words<bool> = &[("active", true), ("inactive", false)];
pub const ENABLED: Words<bool> = &[("enabled", true), ("disabled", false)];
pub const MOVING: Words<bool> = &[("moving", true), ("not_moving", false)];
pub const DETECTED: Words<bool> = &[("detected", true), ("not_detected", false)];
pub const FASTENED: Words<bool> = &[("fastened", true), ("not_fastened", false)];
pub const SERVICE_DUE: Words<bool> = &[("ok", false), ("warning", true), ("critical", true)];
/// `maintenance.service_warning.due`: VSS IsServiceDue is "service needed now or in the
/// near future", so "almost" is due (as `service_status` "warning" is).
pub const SERVICE_WARNING_DUE: Words<bool> = &[
    ("no_service_required", false),
    ("almost", true),
    ("due", true),
    ("overdue", true),
];
pub const FLUID_LOW: Words<bool> = &[
    ("low", true),
    ("very_low", true),
    ("filled", false),
    ("normal", false),
    ("high", false),
    ("very_high", false),
];
/// VSS engine oil levels. `filled` says nothing of how full, so it passes through.
pub const OIL_LEVEL: Words<&str> = &[
    ("very_low", "CRITICALLY_LOW"),
    ("low", "LOW"),
    ("normal", "NORMAL"),
    ("high", "HIGH"),
    ("very_high", "CRITICALLY_HIGH"),
];
/// VSS coolant levels stop at NORMAL: high levels and `filled` pass through.
pub const COOLANT_LEVEL: Words<&str> = &[
    ("very_low", "CRITICALLY_LOW"),
    ("low", "LOW"),
    ("normal", "NORMAL"),
];
pub const PLUGGED: Words<bool> = &[
    ("disconnected", false),
    ("plugged_in", true),
    ("plugged_in_both_sides", true),
];
pub const TIRE_LOW: Words<bool> = &[
    ("normal", false),
    ("low", true),
    ("alert", true),
    ("soft", true),
    ("deflation", true),
];
pub const IGNITION: Words<&str> = &[
    ("lock", "LOCK"),
    ("off", "OFF"),
    ("accessory", "ACC"),
    ("on", "ON"),
    ("start", "START"),
];
/// Only `none` has a sure VSS meaning; "real" and "dead_reckoning" say nothing of 2D/3D.
pub const GPS_FIX: Words<&str> = &[("none", "NONE")];
pub const OCCUPANCY: Words<&str> = &[("detected", "OCCUPIED"), ("not_detected", "EMPTY")];
/// VSS gearbox modes; HM's sport_plus, eco_plus and comfort have none.
pub const PERFORMANCE_MODE: Words<&str> = &[
    ("regular", "NORMAL"),
    ("eco", "ECONOMY"),
    ("sport", "SPORT"),
];
/// Selector position as VSS `SelectedGear` codes (0 neutral, -1 reverse, 126 park,
/// 127 drive); manual, low gear and sport name no single gear.
pub const GEAR_SELECTOR: Words<i64> = &[
    ("park", 126),
    ("reverse", -1),
    ("neutral", 0),
    ("drive", 127),
];
/// `hard_top_mounted` is a roof mounted closed, as BMW's HARDTOPMOUNTED; the emergency
/// lock and the intermediate and loading positions are no VSS status and pass through.
pub const CONVERTIBLE: Words<&str> = &[
    ("closed", "CLOSED"),
    ("closed_secured", "CLOSED"),
    ("open", "OPEN"),
    ("open_secured", "OPEN"),
    ("hard_top_mounted", "CLOSED"),
];
/// Wiper mode: only these HM states name a VSS mode.
pub const WIPER_MODE: Words<&str> = &[("inactive", "OFF"), ("automatic", "RAIN_SENSOR")];
/// VSS wiping intensity: 0 inactive, 1 lowest, higher is more.
pub const WIPER_INTENSITY: Words<i64> = &[
    ("level_0", 0),
    ("level_1", 1),
    ("level_2", 2),
    ("level_3", 3),
];
/// The rotary light switch; HM's one-sided parking lights have no VSS position.
pub const LIGHT_SWITCH: Words<&str> = &[
    ("automatic", "AUTO"),
    ("dipped_headlights", "BEAM"),
    ("sidelights", "POSITION"),
];
pub const PARKING_LIGHT: Words<bool> = &[
    ("off", false),
    ("left", true),
    ("right", true),
    ("both", true),
];
/// The project's common charging status (signals.md A.4).
pub const CHARGING_STATUS: Words<&str> = &[
    ("cable_unplugged", "NOT_CONNECTED"),
    ("flap_open", "NOT_CONNECTED"),
    ("not_charging", "IDLE"),
    ("conditioning", "IDLE"),
    ("initialising", "WAITING"),
    ("ready_for_charging", "WAITING"),
    ("charging", "CHARGING"),
    ("slow_charging", "CHARGING"),
    ("fast_charging", "CHARGING"),
    ("charging_paused", "PAUSED"),
    ("charging_complete", "COMPLETE"),
    ("discharging", "DISCHARGING"),
    ("charging_error", "ERROR"),
    ("foreign_object_detected", "ERROR"),
];
