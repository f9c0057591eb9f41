//! The fleet's latest state, bounded: at most `max_vehicles` VINs (the least recently
//! seen one makes room for a new one), at most [`MAX_SIGNALS`] (path, origin) pairs per
//! VIN and the last [`HISTORY`] battery levels and positions per VIN. Pure data: the
//! task that feeds it and the handlers that read it live in the parent module.

use crate::record::{ProviderKind, Record};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

/// Points kept per VIN for the battery and position plots.
pub const HISTORY: usize = 120;
/// Distinct (path, origin) pairs kept per VIN; a record's new pairs beyond it are left
/// out of the page (never out of the sinks). BMW's catalogue has a few hundred.
pub const MAX_SIGNALS: usize = 1000;

/// The battery level the plot and the table show: the displayed one when the provider
/// sends it, else the raw one.
pub const BATTERY_PATHS: [&str; 2] = [
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Displayed",
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
];
const LATITUDE: &str = "Vehicle.CurrentLocation.Latitude";
const LONGITUDE: &str = "Vehicle.CurrentLocation.Longitude";

/// The latest value of one (path, origin) of a VIN.
pub struct Latest {
    pub(super) value: Value,
    pub(super) unit: Option<Cow<'static, str>>,
    pub(super) timestamp: Option<Arc<str>>,
    pub(super) failure: Option<Value>,
    pub(super) received_at: DateTime<Utc>,
}

pub struct Vehicle {
    pub(super) provider: ProviderKind,
    pub(super) source: String,
    pub(super) last_seen: DateTime<Utc>,
    /// Its key in [`FleetState::by_age`].
    touched: u64,
    pub(super) records: u64,
    pub(super) signals: BTreeMap<(Cow<'static, str>, Arc<str>), Latest>,
    pub(super) battery: VecDeque<(DateTime<Utc>, f64)>,
    pub(super) positions: VecDeque<(DateTime<Utc>, f64, f64)>,
}

pub struct FleetState {
    max_vehicles: usize,
    vehicles: HashMap<String, Vehicle>,
    /// VINs by when they were last seen (a counter, not a clock: never ties).
    by_age: BTreeMap<u64, String>,
    clock: u64,
    evicted: u64,
}

impl FleetState {
    pub fn new(max_vehicles: usize) -> FleetState {
        FleetState {
            max_vehicles: max_vehicles.max(1),
            vehicles: HashMap::new(),
            by_age: BTreeMap::new(),
            clock: 0,
            evicted: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.vehicles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vehicles.is_empty()
    }

    /// VINs that made room for newer ones so far.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    pub fn apply(&mut self, r: &Record) {
        self.clock += 1;
        let clock = self.clock;
        if !self.vehicles.contains_key(&r.vin) && self.vehicles.len() >= self.max_vehicles {
            if let Some((_, oldest)) = self.by_age.pop_first() {
                self.vehicles.remove(&oldest);
                self.evicted += 1;
            }
        }
        let v = self
            .vehicles
            .entry(r.vin.clone())
            .or_insert_with(|| Vehicle {
                provider: r.provider,
                source: r.source.clone(),
                last_seen: r.received_at,
                touched: 0,
                records: 0,
                signals: BTreeMap::new(),
                battery: VecDeque::new(),
                positions: VecDeque::new(),
            });
        self.by_age.remove(&v.touched);
        self.by_age.insert(clock, r.vin.clone());
        v.touched = clock;
        v.provider = r.provider;
        if v.source != r.source {
            v.source.clone_from(&r.source);
        }
        v.last_seen = v.last_seen.max(r.received_at);
        v.records += 1;
        let (mut lat, mut lon, mut battery) = (None, None, None);
        for s in &r.signals {
            let key = (s.path.clone(), s.origin.clone());
            let latest = Latest {
                value: s.value.clone(),
                unit: s.unit.clone(),
                timestamp: s.timestamp.clone(),
                failure: s.failure.clone(),
                received_at: r.received_at,
            };
            if let Some(slot) = v.signals.get_mut(&key) {
                *slot = latest;
            } else if v.signals.len() < MAX_SIGNALS {
                v.signals.insert(key, latest);
            }
            match (s.path.as_ref(), s.value.as_f64()) {
                (LATITUDE, Some(x)) => lat = Some(x),
                (LONGITUDE, Some(x)) => lon = Some(x),
                (p, Some(x)) if p == BATTERY_PATHS[0] => battery = Some(x),
                (p, Some(x)) if p == BATTERY_PATHS[1] => battery = battery.or(Some(x)),
                _ => {}
            }
        }
        if let Some(level) = battery {
            push_bounded(&mut v.battery, (r.received_at, level));
        }
        if let (Some(lat), Some(lon)) = (lat, lon) {
            push_bounded(&mut v.positions, (r.received_at, lat, lon));
        }
    }

    /// Every vehicle (or the one VIN), by VIN.
    pub fn vehicles<'a>(&'a self, vin: Option<&str>) -> Vec<(&'a str, &'a Vehicle)> {
        let mut list: Vec<(&str, &Vehicle)> = match vin {
            Some(vin) => self
                .vehicles
                .get_key_value(vin)
                .map(|(k, v)| (k.as_str(), v))
                .into_iter()
                .collect(),
            None => self.vehicles.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        };
        list.sort_unstable_by_key(|(vin, _)| *vin);
        list
    }
}

fn push_bounded<T>(q: &mut VecDeque<T>, item: T) {
    if q.len() == HISTORY {
        q.pop_front();
    }
    q.push_back(item);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{format_millis, Signal};
    use serde_json::json;

    fn record(vin: &str, secs: i64, signals: &[(&'static str, Value, &str)]) -> Record {
        Record {
            id: format!("hm:{vin}-{secs}"),
            vin: vin.into(),
            provider: ProviderKind::HighMobilityV2,
            source: "hm".into(),
            message_id: format!("{vin}-{secs}"),
            received_at: DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap(),
            signals: signals
                .iter()
                .map(|(path, value, origin)| Signal {
                    path: Cow::Borrowed(path),
                    value: value.clone(),
                    unit: Some(Cow::Borrowed("percent")),
                    timestamp: None,
                    origin: Arc::from(*origin),
                    failure: None,
                })
                .collect(),
        }
    }

    #[test]
    fn the_latest_value_of_each_path_and_origin_wins() {
        let mut f = FleetState::new(10);
        f.apply(&record(
            "A",
            1,
            &[(BATTERY_PATHS[0], json!(80), "charging.battery_level")],
        ));
        f.apply(&record(
            "A",
            2,
            &[(BATTERY_PATHS[0], json!(79), "charging.battery_level")],
        ));
        f.apply(&record(
            "A",
            3,
            &[
                ("HM.x.y", json!("a"), "x.y[front]"),
                ("HM.x.y", json!("b"), "x.y[rear]"),
            ],
        ));
        let v = &f.snapshot(Some("A"), true, None)[0];
        let s = v["signals"].as_array().unwrap();
        assert_eq!(s.len(), 3, "{v}");
        assert_eq!(s[2]["path"], BATTERY_PATHS[0]);
        assert_eq!(s[2]["value"], 79);
        assert_eq!(s[2]["unit"], "percent");
        assert_eq!(
            v["last_seen"],
            format_millis(&DateTime::from_timestamp(1_800_000_003, 0).unwrap())
        );
        assert_eq!(v["records"], 3);
        assert_eq!(v["history"]["battery"].as_array().unwrap().len(), 2);
        assert!(f.snapshot(Some("A"), false, None)[0]
            .get("history")
            .is_none());
        let only = f.snapshot(None, false, Some(&["HM.x.y".to_string()]));
        assert_eq!(only[0]["signals"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn at_most_max_vehicles_the_least_recently_seen_makes_room() {
        let mut f = FleetState::new(3);
        for (i, vin) in ["A", "B", "C", "A", "D"].iter().enumerate() {
            f.apply(&record(vin, i as i64, &[]));
        }
        let vins: Vec<Value> = f
            .snapshot(None, false, None)
            .iter()
            .map(|v| v["vin"].clone())
            .collect();
        assert_eq!(vins, vec![json!("A"), json!("C"), json!("D")]);
        assert_eq!((f.len(), f.evicted()), (3, 1));
    }

    #[test]
    fn history_and_signals_are_bounded() {
        let mut f = FleetState::new(1);
        for i in 0..(HISTORY as i64 + 30) {
            f.apply(&record(
                "A",
                i,
                &[
                    (LATITUDE, json!(48.0 + i as f64 / 1000.0), "loc"),
                    (LONGITUDE, json!(11.5), "loc"),
                    (BATTERY_PATHS[1], json!(50), "soc"),
                ],
            ));
        }
        let v = &f.snapshot(None, true, None)[0];
        let positions = v["history"]["positions"].as_array().unwrap();
        assert_eq!(positions.len(), HISTORY);
        assert_eq!(
            positions.last().unwrap()[1],
            json!(48.0 + (HISTORY as f64 + 29.0) / 1000.0)
        );
        let many: Vec<(&'static str, Value, &str)> = (0..MAX_SIGNALS + 5)
            .map(|i| {
                (
                    "HM.many.values",
                    json!(i),
                    &*Box::leak(format!("many[{i}]").into_boxed_str()),
                )
            })
            .collect();
        f.apply(&record("A", 1000, &many));
        assert_eq!(
            f.snapshot(None, false, None)[0]["signals"]
                .as_array()
                .unwrap()
                .len(),
            MAX_SIGNALS
        );
    }
}
