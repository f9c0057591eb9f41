//! What the daemon has learnt about each vehicle from earlier messages, handed to
//! `normalize` as an input so normalizing stays a pure function of (message, facts).
//!
//! Today one fact: the driver's side. VSS doors and seats are driver-relative while High
//! Mobility names them absolutely, so a right-hand-drive car's `front_left` door is the
//! passenger's. HM reports the side as `vehicle_information.driver_seat_location`, often
//! in an earlier message than the doors. The pipeline owns one `Vehicles`, learns from
//! each record it delivers, and keeps it in `state_dir` so a restart does not turn
//! right-hand-drive doors around.

use crate::record::Record;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The origin of the signal that reports the driver's side.
pub const DRIVER_SEAT: &str = "vehicle_information.driver_seat_location";
const FILE: &str = "vehicles.json";

/// Per-VIN facts; the default knows nothing (every driver on the left).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Vehicles {
    /// VINs whose driver sits on the right.
    right_hand: BTreeSet<String>,
    /// Where the facts are kept, when they are kept.
    file: Option<PathBuf>,
}

impl Vehicles {
    /// The facts kept in `state_dir` (none yet, when the file is missing). A file that
    /// cannot be read is reported and replaced: doors are then driver-left until the
    /// vehicles report again, which is what a first start does too.
    pub fn load(state_dir: &Path) -> Vehicles {
        let file = state_dir.join(FILE);
        let right_hand = match std::fs::read(&file) {
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(v) => v["right_hand_drive"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default(),
                Err(e) => {
                    tracing::warn!(file = %file.display(), error = %e, "vehicle facts unreadable; starting without them");
                    BTreeSet::new()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeSet::new(),
            Err(e) => {
                tracing::warn!(file = %file.display(), error = %e, "vehicle facts unreadable; starting without them");
                BTreeSet::new()
            }
        };
        Vehicles {
            right_hand,
            file: Some(file),
        }
    }

    pub fn driver_right(&self, vin: &str) -> bool {
        self.right_hand.contains(vin)
    }

    /// Learn from a record: a driver-seat report updates the VIN's side (and the file,
    /// when it changed; it rarely does).
    pub fn learn(&mut self, record: &Record) {
        let Some(side) = record
            .signals
            .iter()
            .rev()
            .find(|s| &*s.origin == DRIVER_SEAT)
            .and_then(|s| s.value.as_str())
        else {
            return;
        };
        let changed = if side == "right" {
            self.right_hand.insert(record.vin.clone())
        } else {
            self.right_hand.remove(&record.vin)
        };
        if changed {
            self.save();
        }
    }

    fn save(&self) {
        let Some(file) = &self.file else { return };
        let body = serde_json::json!({ "right_hand_drive": self.right_hand });
        let tmp = file.with_extension("json.tmp");
        let result =
            std::fs::write(&tmp, body.to_string()).and_then(|()| std::fs::rename(&tmp, file));
        if let Err(e) = result {
            tracing::warn!(file = %file.display(), error = %e, "could not keep vehicle facts; they hold until restart");
        }
    }
}

/// The side a message itself reports (`Some(true)` for right), from its last entry.
pub fn reported_right(driver_seat: Option<&Value>) -> Option<bool> {
    let last = match driver_seat? {
        Value::Array(a) => a.iter().rev().find_map(|e| e.get("data"))?,
        other => other.get("data")?,
    };
    last.as_str().map(|s| s == "right")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::testing;

    fn seat_report(vin: &str, side: &str) -> Record {
        let seat = format!("HM.{DRIVER_SEAT}");
        let side = testing::signal(&seat, Value::from(side), None, None, DRIVER_SEAT);
        testing::record(vin, "1", vec![side])
    }

    #[test]
    fn a_report_is_learnt_kept_in_state_dir_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut v = Vehicles::load(dir.path());
        assert!(!v.driver_right("VIN1"));
        v.learn(&seat_report("VIN1", "right"));
        assert!(v.driver_right("VIN1"));
        let again = Vehicles::load(dir.path());
        assert!(again.driver_right("VIN1"), "a restart remembers");
        v.learn(&seat_report("VIN1", "left"));
        assert!(!Vehicles::load(dir.path()).driver_right("VIN1"));
    }

    #[test]
    fn an_unreadable_file_starts_empty() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), b"{not json").unwrap();
        assert!(!Vehicles::load(dir.path()).driver_right("VIN1"));
    }

    #[test]
    fn the_last_entry_of_a_report_counts() {
        let v = serde_json::json!([{"data": "right"}, {"data": "left"}]);
        assert_eq!(reported_right(Some(&v)), Some(false));
        assert_eq!(
            reported_right(Some(&serde_json::json!({"data": "right"}))),
            Some(true)
        );
        assert_eq!(reported_right(None), None);
    }
}
