//! Which side the driver sits on, per VIN. VSS doors are driver-relative while High
//! Mobility names them absolutely, so a right-hand-drive car's `front_left` door is the
//! passenger's. HM reports it as `vehicle_information.driver_seat_location`; we remember
//! the last report per VIN (only right-hand-drive VINs are stored) and assume left
//! until told otherwise.

use serde_json::Value;
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

fn rhd() -> &'static Mutex<HashSet<String>> {
    static RHD: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    RHD.get_or_init(|| Mutex::new(HashSet::new()))
}

/// Learn from this message's `data` (if it reports the seat) and answer for the VIN.
pub fn driver_right(vin: &str, data: Option<&serde_json::Map<String, Value>>) -> bool {
    let reported = data
        .and_then(|d| d.get("vehicle_information"))
        .and_then(|c| c.get("driver_seat_location"))
        .and_then(last_data)
        .and_then(Value::as_str);
    let mut set = rhd().lock().unwrap_or_else(|p| p.into_inner());
    match reported {
        Some("right") => {
            set.insert(vin.to_string());
            true
        }
        Some(_) => {
            set.remove(vin);
            false
        }
        None => set.contains(vin),
    }
}

fn last_data(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(a) => a.iter().rev().find_map(|e| e.get("data")),
        other => other.get("data"),
    }
}
