//! Valid High Mobility messages from the schemas, and the places in them where the
//! property tests put an arbitrary value (envelope fields, capabilities, properties,
//! entries, values, units, timestamps, …).

use super::*;

/// Where in a message the arbitrary value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pos {
    EnvVersion,
    EnvApplicationId,
    EnvMessageId,
    EnvVin,
    EnvData,
    EnvExtra,
    EnvCapability,
    EnvProperty,
    EnvTimestamp,
    Unwrapped,
    CapabilityValue,
    NewCapability,
    PropertyValue,
    NewProperty,
    Entry,
    EntryData,
    DataUnit,
    DataValue,
    DataLocation,
    DataLatitude,
    Timestamp,
    Failure,
    Availability,
}

pub(super) const POSITIONS: &[Pos] = &[
    Pos::EnvVersion,
    Pos::EnvApplicationId,
    Pos::EnvMessageId,
    Pos::EnvVin,
    Pos::EnvData,
    Pos::EnvExtra,
    Pos::EnvCapability,
    Pos::EnvProperty,
    Pos::EnvTimestamp,
    Pos::Unwrapped,
    Pos::CapabilityValue,
    Pos::NewCapability,
    Pos::PropertyValue,
    Pos::NewProperty,
    Pos::Entry,
    Pos::EntryData,
    Pos::DataUnit,
    Pos::DataValue,
    Pos::DataLocation,
    Pos::DataLatitude,
    Pos::Timestamp,
    Pos::Failure,
    Pos::Availability,
];

/// Capabilities with VSS mappings, so mapped rules meet arbitrary values often.
pub(super) const MAPPED: &[&str] = &["diagnostics", "vehicle_location", "charging", "climate"];

/// A valid message from `seed`: V2 with 1–3 capabilities (one of them mapped half the
/// time), or V1 for one property.
pub(super) fn base_message(seed: u64, v1: bool) -> Value {
    let mut rng = Rng::new(seed);
    if v1 {
        let schema = v1_schema();
        let cap = if rng.chance(50) {
            let name: &str = rng.pick::<&str>(MAPPED);
            schema.capability(name).unwrap()
        } else {
            rng.pick(&schema.capabilities)
        };
        let prop = rng.pick(&cap.properties);
        return v1_message(cap, prop, rng.next_u64(), Mode::Varied);
    }
    let schema = v2_schema();
    let mut caps = Vec::new();
    if rng.chance(50) {
        let name: &str = rng.pick::<&str>(MAPPED);
        caps.push(schema.capability(name).unwrap());
    }
    for _ in 0..1 + rng.below(2) {
        let c = rng.pick(&schema.capabilities);
        if !caps.iter().any(|x| x.name == c.name) {
            caps.push(c);
        }
    }
    v2_message(&caps, rng.next_u64(), Mode::Varied)
}

pub(super) fn esc(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// JSON pointers of the entries (`/data/cap/prop[/i]`) of a message.
pub(super) fn entry_pointers(msg: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let Some(caps) = msg.get("data").and_then(Value::as_object) else {
        return out;
    };
    for (cap, props) in caps {
        let Some(props) = props.as_object() else {
            continue;
        };
        for (prop, value) in props {
            let p = format!("/data/{}/{}", esc(cap), esc(prop));
            match value {
                Value::Array(a) => out.extend((0..a.len()).map(|i| format!("{p}/{i}"))),
                _ => out.push(p),
            }
        }
    }
    out
}

pub(super) fn pick<T: Clone>(items: &[T], n: u64) -> Option<T> {
    (!items.is_empty()).then(|| items[(n % items.len() as u64) as usize].clone())
}

/// Set `msg[pointer]`, creating the last key when its parent is an object.
pub(super) fn set(msg: &mut Value, pointer: &str, v: Value) {
    if let Some(slot) = msg.pointer_mut(pointer) {
        *slot = v;
        return;
    }
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let key = key.replace("~1", "/").replace("~0", "~");
    if let Some(Value::Object(o)) = msg.pointer_mut(parent) {
        o.insert(key, v);
    }
}

/// Insert a whole property (`data.cap.prop = [entry]`) when the message has no spot
/// of the wanted kind.
pub(super) fn add_property(msg: &mut Value, cap: &str, prop: &str, entry: Value) -> String {
    let data = msg
        .as_object_mut()
        .unwrap()
        .entry("data")
        .or_insert_with(|| json!({}));
    if !data.is_object() {
        *data = json!({});
    }
    let caps = data.as_object_mut().unwrap();
    let c = caps.entry(cap).or_insert_with(|| json!({}));
    if !c.is_object() {
        *c = json!({});
    }
    c.as_object_mut()
        .unwrap()
        .insert(prop.to_string(), json!([entry]));
    format!("/data/{cap}/{prop}/0")
}

/// Put `v` at a spot of kind `pos` (the `n`-th candidate) of `msg`.
pub(super) fn substitute(msg: &mut Value, pos: Pos, n: u64, key: &str, v: Value) {
    let entries = entry_pointers(msg);
    let with = |sub: &str, msg: &Value| -> Vec<String> {
        entries
            .iter()
            .map(|e| format!("{e}{sub}"))
            .filter(|p| msg.pointer(p).is_some())
            .collect()
    };
    match pos {
        Pos::EnvVersion => set(msg, "/version", v),
        Pos::EnvApplicationId => set(msg, "/application_id", v),
        Pos::EnvMessageId => set(msg, "/message_id", v),
        Pos::EnvVin => set(msg, "/vin", v),
        Pos::EnvData => set(msg, "/data", v),
        Pos::EnvExtra => {
            if !["vin", "data"].contains(&key) {
                set(msg, &format!("/{}", esc(key)), v)
            }
        }
        Pos::CapabilityValue => {
            let caps: Vec<String> = msg["data"]
                .as_object()
                .map(|o| o.keys().map(|k| format!("/data/{}", esc(k))).collect())
                .unwrap_or_default();
            if let Some(p) = pick(&caps, n) {
                set(msg, &p, v)
            }
        }
        // the V1-only envelope fields (on V2 they are unknown keys to tolerate)
        Pos::EnvCapability => set(msg, "/capability", v),
        Pos::EnvProperty => set(msg, "/property", v),
        Pos::EnvTimestamp => set(msg, "/timestamp", v),
        // the V1 demo-data quirk: `data.{property}` without the capability level, with
        // `v` as the property value
        Pos::Unwrapped => {
            let prop = msg["property"].as_str().unwrap_or("odometer").to_string();
            msg["data"] = json!({ prop: v });
        }
        Pos::NewCapability => set(msg, &format!("/data/{}", esc(key)), v),
        Pos::PropertyValue | Pos::NewProperty => {
            let mut props = Vec::new();
            if let Some(caps) = msg["data"].as_object() {
                for (c, ps) in caps {
                    if let Some(ps) = ps.as_object() {
                        if pos == Pos::NewProperty {
                            props.push(format!("/data/{}/{}", esc(c), esc(key)));
                        } else {
                            props.extend(ps.keys().map(|p| format!("/data/{}/{}", esc(c), esc(p))));
                        }
                    }
                }
            }
            if let Some(p) = pick(&props, n) {
                set(msg, &p, v)
            }
        }
        Pos::Entry => {
            if let Some(p) = pick(&entries, n) {
                set(msg, &p, v)
            }
        }
        Pos::EntryData => match pick(&entries, n) {
            Some(p) if msg.pointer(&p).is_some_and(Value::is_object) => {
                set(msg, &format!("{p}/data"), v)
            }
            _ => {
                add_property(msg, "diagnostics", "odometer", json!({ "data": v }));
            }
        },
        Pos::DataUnit => match pick(&with("/data/unit", msg), n) {
            Some(p) => set(msg, &p, v),
            None => {
                add_property(
                    msg,
                    "diagnostics",
                    "odometer",
                    json!({"data": {"unit": v, "value": 12.5}}),
                );
            }
        },
        Pos::DataValue => match pick(&with("/data/value", msg), n) {
            Some(p) => set(msg, &p, v),
            None => {
                add_property(
                    msg,
                    "climate",
                    "outside_temperature",
                    json!({"data": {"unit": "celsius", "value": v}}),
                );
            }
        },
        Pos::DataLocation => match pick(&with("/data/location", msg), n) {
            Some(p) => set(msg, &p, v),
            None => {
                add_property(
                    msg,
                    "diagnostics",
                    "tire_pressures",
                    json!({"data": {"location": v, "pressure": {"unit": "kilopascals", "value": 250}}}),
                );
            }
        },
        Pos::DataLatitude => match pick(&with("/data/latitude", msg), n) {
            Some(p) => set(msg, &p, v),
            None => {
                add_property(
                    msg,
                    "vehicle_location",
                    "coordinates",
                    json!({"data": {"latitude": v, "longitude": 8.487}}),
                );
            }
        },
        Pos::Timestamp | Pos::Failure | Pos::Availability => {
            let field = match pos {
                Pos::Timestamp => "timestamp",
                Pos::Failure => "failure",
                _ => "availability",
            };
            match pick(&entries, n) {
                Some(p) if msg.pointer(&p).is_some_and(Value::is_object) => {
                    set(msg, &format!("{p}/{field}"), v)
                }
                _ => {
                    add_property(
                        msg,
                        "charging",
                        "battery_level",
                        json!({ "data": 0.64, field: v }),
                    );
                }
            }
        }
    }
}
