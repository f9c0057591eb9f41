//! The fleet state as JSON, written straight from the state: building a `serde_json::Value`
//! of 10,000 vehicles first would cost several times the state's own memory per request.

use super::state::{FleetState, Latest, Vehicle};
use crate::record::format_millis;
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::sync::Arc;

/// The `/api/vehicles` body.
pub struct List<'a> {
    pub count: usize,
    pub max_vehicles: usize,
    pub evicted: u64,
    pub vehicles: Vehicles<'a>,
}

impl Serialize for List<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("count", &self.count)?;
        m.serialize_entry("max_vehicles", &self.max_vehicles)?;
        m.serialize_entry("evicted", &self.evicted)?;
        m.serialize_entry("vehicles", &self.vehicles)?;
        m.end()
    }
}

/// Vehicles, each with its signals (those of `paths` when given) and, when `history`, the
/// plots' points.
pub struct Vehicles<'a> {
    pub list: Vec<(&'a str, &'a Vehicle)>,
    pub history: bool,
    pub paths: Option<&'a [String]>,
}

impl Serialize for Vehicles<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.list.iter().map(|(vin, v)| One {
            vin,
            v,
            history: self.history,
            paths: self.paths,
        }))
    }
}

/// One vehicle.
pub struct One<'a> {
    pub vin: &'a str,
    pub v: &'a Vehicle,
    pub history: bool,
    pub paths: Option<&'a [String]>,
}

impl Serialize for One<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.v;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("vin", self.vin)?;
        m.serialize_entry("provider", v.provider.as_str())?;
        m.serialize_entry("source", &v.source)?;
        m.serialize_entry("last_seen", &format_millis(&v.last_seen))?;
        m.serialize_entry("records", &v.records)?;
        m.serialize_entry("signals", &Signals(v, self.paths))?;
        if self.history {
            m.serialize_entry("history", &History(v))?;
        }
        m.end()
    }
}

struct Signals<'a>(&'a Vehicle, Option<&'a [String]>);

impl Serialize for Signals<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let paths = self.1;
        s.collect_seq(
            self.0
                .signals
                .iter()
                .filter(|((path, _), _)| paths.is_none_or(|p| p.iter().any(|q| q == path)))
                .map(|((path, origin), latest)| Signal(path, origin, latest)),
        )
    }
}

/// Keys in the record's order (SPEC.md §3), then when it arrived.
struct Signal<'a>(&'a str, &'a Arc<str>, &'a Latest);

impl Serialize for Signal<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Signal(path, origin, l) = self;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("path", path)?;
        m.serialize_entry("value", &l.value)?;
        if let Some(unit) = &l.unit {
            m.serialize_entry("unit", unit)?;
        }
        if let Some(t) = &l.timestamp {
            m.serialize_entry("timestamp", t)?;
        }
        m.serialize_entry("origin", origin)?;
        if let Some(f) = &l.failure {
            m.serialize_entry("failure", f)?;
        }
        m.serialize_entry("received_at", &format_millis(&l.received_at))?;
        m.end()
    }
}

struct History<'a>(&'a Vehicle);

impl Serialize for History<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        let battery: Vec<(String, f64)> = v
            .battery
            .iter()
            .map(|(t, x)| (format_millis(t), *x))
            .collect();
        let positions: Vec<(String, f64, f64)> = v
            .positions
            .iter()
            .map(|(t, la, lo)| (format_millis(t), *la, *lo))
            .collect();
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("battery", &battery)?;
        m.serialize_entry("positions", &positions)?;
        m.end()
    }
}

impl FleetState {
    /// [`Self::vehicles`] as a JSON array, written as it goes (no copy of the state in
    /// between): with their latest signals (only those of `paths` when given), and with
    /// the plots' history when `history`.
    pub fn to_json(&self, vin: Option<&str>, history: bool, paths: Option<&[String]>) -> Vec<u8> {
        let view = Vehicles {
            list: self.vehicles(vin),
            history,
            paths,
        };
        serde_json::to_vec(&view).unwrap_or_default()
    }

    /// [`Self::to_json`], parsed: for tests.
    pub fn snapshot(
        &self,
        vin: Option<&str>,
        history: bool,
        paths: Option<&[String]>,
    ) -> Vec<serde_json::Value> {
        serde_json::from_slice(&self.to_json(vin, history, paths)).unwrap_or_default()
    }
}
