//! What the sink knows of each vehicle, and the messages Home Assistant reads from it:
//! the device discovery config (`{discovery_prefix}/device/{vin}/config`, one component
//! per entity) and the state (`{base_topic}/{vin}/state`, the latest value of every path
//! as one JSON object keyed by path). Pure data in, messages out: no connection here.

use super::config::Entities;
use super::entities::{entity, Entity};
use super::row::Kind;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet};

/// The topics of one sink.
#[derive(Debug, Clone)]
pub struct Topics {
    pub discovery_prefix: String,
    pub base_topic: String,
}

impl Topics {
    pub fn config(&self, vin: &str) -> String {
        format!("{}/device/{vin}/config", self.discovery_prefix)
    }
    pub fn state(&self, vin: &str) -> String {
        format!("{}/{vin}/state", self.base_topic)
    }
    /// Where vinstream says `online` / `offline`.
    pub fn availability(&self) -> String {
        format!("{}/status", self.base_topic)
    }
    /// Where Home Assistant says `online` after it (re)started.
    pub fn ha_status(&self) -> String {
        format!("{}/status", self.discovery_prefix)
    }
    /// Every state topic, to read back what the broker retained.
    pub fn all_states(&self) -> String {
        format!("{}/+/state", self.base_topic)
    }
    /// The VIN of a state topic.
    pub fn vin_of_state<'t>(&self, topic: &'t str) -> Option<&'t str> {
        let rest = topic
            .strip_prefix(self.base_topic.as_str())?
            .strip_prefix('/')?;
        let vin = rest.strip_suffix("/state")?;
        valid_vin(vin).then_some(vin)
    }
}

/// A VIN Home Assistant accepts as a discovery topic level and in ids.
pub fn valid_vin(vin: &str) -> bool {
    !vin.is_empty()
        && vin
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `{vin}_{path with dots as underscores}`, lowercase (SPEC.md §6); anything else a
/// vendor path may hold becomes `_` too.
pub fn unique_id(vin: &str, path: &str) -> String {
    format!("{vin}_{path}")
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '_' | '-' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '_',
        })
        .collect()
}

/// Every `Vehicle.CurrentLocation.*` leaf lands in this one device tracker.
const LOCATION: &str = "Vehicle.CurrentLocation";

/// One entry of the discovery's `cmps`.
#[derive(Debug, Clone, PartialEq)]
pub enum Component {
    Entity {
        path: String,
        entity: Entity,
    },
    /// Attribute name → path.
    Tracker(BTreeMap<&'static str, String>),
}

/// Everything the sink knows of one VIN.
#[derive(Debug, Default)]
pub struct Vehicle {
    /// The latest value of every path.
    pub values: Map<String, Value>,
    /// Component id (its unique id) → component.
    pub components: BTreeMap<String, Component>,
    /// Paths already given their entity (or none).
    judged: HashSet<String>,
}

impl Vehicle {
    /// Take a value; true when it adds to the discovery (a new entity or attribute).
    pub fn observe(
        &mut self,
        vin: &str,
        path: &str,
        value: &Value,
        unit: Option<&str>,
        mode: Entities,
    ) -> bool {
        self.values.insert(path.to_string(), value.clone());
        // A null (a failure entry) tells nothing of the kind: judge the path on a value.
        if self.judged.contains(path) || value.is_null() {
            return false;
        }
        self.judged.insert(path.to_string());
        let Some(e) = entity(path, value, unit, mode) else {
            return false;
        };
        if let Kind::Location(attribute) = e.kind {
            let id = unique_id(vin, LOCATION);
            let c = self
                .components
                .entry(id)
                .or_insert_with(|| Component::Tracker(BTreeMap::new()));
            if let Component::Tracker(attrs) = c {
                attrs.insert(attribute, path.to_string());
            }
            return true;
        }
        let c = Component::Entity {
            path: path.to_string(),
            entity: e,
        };
        self.components.insert(unique_id(vin, path), c);
        true
    }

    /// A value read back from the broker's retained state: kept only where this run has
    /// none (anything seen since is newer). True when it adds to the discovery.
    pub fn recall(&mut self, vin: &str, path: &str, value: &Value, mode: Entities) -> bool {
        if self.values.contains_key(path) {
            return false;
        }
        self.observe(vin, path, value, None, mode)
    }

    /// An entity announced before this run (see `known`): its component, without taking
    /// the old sample as the path's value.
    pub fn learn(
        &mut self,
        vin: &str,
        path: &str,
        sample: &Value,
        unit: Option<&str>,
        mode: Entities,
    ) {
        if self.values.contains_key(path) {
            return;
        }
        self.observe(vin, path, sample, unit, mode);
        self.values.remove(path);
    }

    pub fn state_payload(&self) -> Vec<u8> {
        serde_json::to_vec(&self.values).expect("a JSON map serializes")
    }

    /// The device discovery config of this VIN.
    pub fn discovery_payload(&self, vin: &str, topics: &Topics) -> Vec<u8> {
        let state = topics.state(vin);
        let cmps: Map<String, Value> = self
            .components
            .iter()
            .map(|(id, c)| (id.clone(), component(id, c, &state)))
            .collect();
        let mut dev = json!({"identifiers": [format!("vinstream_{vin}")], "name": vin});
        if let Some(m) = manufacturer(vin) {
            dev["manufacturer"] = json!(m);
        }
        dev["serial_number"] = json!(vin);
        let payload = json!({
            "dev": dev,
            "o": {"name": "vinstream", "sw_version": env!("CARGO_PKG_VERSION")},
            "avty": [{"topic": topics.availability()}],
            "qos": 1,
            "cmps": cmps,
        });
        serde_json::to_vec(&payload).expect("JSON serializes")
    }
}

/// `"path"` as a Jinja string literal (JSON's quoting is valid Jinja).
fn lit(path: &str) -> String {
    serde_json::to_string(path).expect("a string serializes")
}

fn component(id: &str, c: &Component, state_topic: &str) -> Value {
    match c {
        Component::Tracker(attrs) => {
            let mut fields: Vec<String> = attrs
                .iter()
                .filter(|(a, _)| **a != "gps_accuracy")
                .map(|(a, p)| format!("{}: value_json.get({})", lit(a), lit(p)))
                .collect();
            // Home Assistant adds the accuracy to zone radii: never leave it null.
            let accuracy = attrs.get("gps_accuracy").map_or("0".to_string(), |p| {
                format!("(value_json.get({}) or 0)", lit(p))
            });
            fields.push(format!("\"gps_accuracy\": {accuracy}"));
            json!({
                "p": "device_tracker",
                "name": "Location",
                "unique_id": id,
                "json_attributes_topic": state_topic,
                "json_attributes_template": format!("{{{{ {{{}}} | tojson }}}}", fields.join(", ")),
                "source_type": "gps",
            })
        }
        Component::Entity { path, entity } => entity_component(id, path, entity, state_topic),
    }
}

fn entity_component(id: &str, path: &str, e: &Entity, state_topic: &str) -> Value {
    let get = format!("{{% set v = value_json.get({}) %}}", lit(path));
    let mut c = Map::new();
    let mut put = |k: &str, v: Value| {
        c.insert(k.to_string(), v);
    };
    match &e.kind {
        Kind::Sensor {
            unit,
            device_class,
            state_class,
            scale,
        } => {
            put("p", json!("sensor"));
            let template = match scale {
                Some(f) => format!("{get}{{{{ (v * {f}) | round(3) if v is number else v }}}}"),
                None => format!("{get}{{{{ v }}}}"),
            };
            put("value_template", json!(template));
            if let Some(u) = unit.map(str::to_string).or_else(|| e.vendor_unit.clone()) {
                put("unit_of_measurement", json!(u));
            }
            if let Some(d) = device_class {
                put("device_class", json!(d));
            }
            if let Some(s) = state_class {
                put("state_class", json!(s.as_str()));
            }
        }
        Kind::Binary {
            device_class,
            inverted,
        } => {
            put("p", json!("binary_sensor"));
            let (yes, no) = if *inverted {
                ("false", "true")
            } else {
                ("true", "false")
            };
            let template =
                format!("{get}{{{{ 'None' if v is none else ('{yes}' if v else '{no}') }}}}");
            put("value_template", json!(template));
            put("payload_on", json!("true"));
            put("payload_off", json!("false"));
            if let Some(d) = device_class {
                put("device_class", json!(d));
            }
        }
        Kind::Text | Kind::Location(_) => {
            put("p", json!("sensor"));
            // Home Assistant refuses states over 255 characters.
            let template = format!(
                "{get}{{{{ 'None' if v is none else (v if v is string else v | tojson)[:255] }}}}"
            );
            put("value_template", json!(template));
        }
    }
    put("name", json!(e.name));
    put("unique_id", json!(id));
    put("state_topic", json!(state_topic));
    if !e.enabled_by_default {
        put("enabled_by_default", json!(false));
    }
    Value::Object(c)
}

/// The maker, from the VIN's world manufacturer identifier, for the common ones.
fn manufacturer(vin: &str) -> Option<&'static str> {
    const WMI: &[(&str, &str)] = &[
        ("WBA", "BMW"),
        ("WBS", "BMW M"),
        ("WBY", "BMW"),
        ("WBX", "BMW"),
        ("WMW", "MINI"),
        ("WDD", "Mercedes-Benz"),
        ("WDC", "Mercedes-Benz"),
        ("W1K", "Mercedes-Benz"),
        ("W1N", "Mercedes-Benz"),
        ("WVW", "Volkswagen"),
        ("WVG", "Volkswagen"),
        ("WV1", "Volkswagen"),
        ("WV2", "Volkswagen"),
        ("WAU", "Audi"),
        ("WUA", "Audi"),
        ("WP0", "Porsche"),
        ("WP1", "Porsche"),
        ("TMB", "Škoda"),
        ("VSS", "SEAT"),
        ("W0L", "Opel"),
        ("VF1", "Renault"),
        ("VF3", "Peugeot"),
        ("VF7", "Citroën"),
        ("ZFA", "Fiat"),
        ("YV1", "Volvo"),
        ("SAL", "Land Rover"),
        ("SAJ", "Jaguar"),
        ("5YJ", "Tesla"),
        ("7SA", "Tesla"),
        ("LRW", "Tesla"),
        ("XP7", "Tesla"),
        ("KMH", "Hyundai"),
        ("KNA", "Kia"),
        ("JTD", "Toyota"),
        ("1FA", "Ford"),
    ];
    let wmi = vin.get(..3)?;
    WMI.iter().find(|(w, _)| *w == wmi).map(|(_, m)| *m)
}
