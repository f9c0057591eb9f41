//! A small JSON-Schema-driven value generator, enough for High Mobility's level 13
//! schemas in `tests/data/` (the "0001" per-capability files of `hm-l13-schema-v1/` and
//! the inlined "0002" Streaming Schema V2 of `hm-streaming-v2/`).
//!
//! Supported: `$ref` (same document `#/$defs/..`, absolute-path refs like
//! `/auto-api-json-schema/L13/misc/custom_types.schema.json#/$defs/failure`, relative
//! file refs like `../misc/custom_types.schema.json`, full URLs, embedded `$id`s),
//! `type` (string or list), `enum`, `const`, `properties`, `required`,
//! `minProperties`/`maxProperties`, `items` (schema or tuple), `minItems`/`maxItems`,
//! `oneOf`/`anyOf`/`allOf`, `format` `date-time`/`uuid`, `minimum`/`maximum` (and the
//! exclusive forms), `minLength`/`maxLength`. Not supported (absent from these schemas):
//! `pattern`, `patternProperties`, `if`/`then`, `not`, `uniqueItems`, `multipleOf`,
//! plain-name `$anchor` fragments; `allOf` merges its subschemas into one, whose relative
//! refs then resolve against the outer schema's base.
//!
//! Deterministic: every choice comes from a seeded xorshift64*, so a seed reproduces a
//! message exactly. [`Mode::Typical`] makes one plain, realistic value (first enum
//! variant, data + timestamp entries, one entry per instance); [`Mode::Varied`] uses the
//! seed for every choice (enum variants, optional keys, failure/availability entries,
//! entry counts, numbers from tiny to huge and negative, unicode strings, timestamp
//! precisions and offsets), always staying within the schema.

mod generator;
mod registry;

pub use generator::Generator;
pub use registry::{resolve_url, Registry};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// `tests/data`, read through `CARGO_MANIFEST_DIR` so CI's bare clone finds it.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

// ---------------------------------------------------------------------------------
// randomness

/// xorshift64* — tiny, deterministic, good enough to pick enum variants.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so 0 and neighbouring seeds are fine
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        self.next_u64() % n
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi as i128 - lo as i128 + 1) as u128;
        (lo as i128 + (self.next_u64() as u128 % span) as i128) as i64
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Uniform in `[0, 1)`.
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One realistic value: first enum variant, middle of ranges, data + timestamp.
    Typical,
    /// Every choice from the seed, within the schema.
    Varied,
}

// ---------------------------------------------------------------------------------
// High Mobility level 13: capabilities, properties, messages

/// A capability property as the schema defines it.
#[derive(Debug, Clone)]
pub struct PropertySchema {
    pub name: String,
    /// `type: array` of entries: multi-instance in V1 ("0001"); all but `nonce` and
    /// `vin` in V2 ("0002").
    pub multiple: bool,
    /// The entry schema (`{data?, timestamp?, failure?, availability?}`), `$ref`s resolved.
    pub entry: &'static Value,
    /// Base URL for the refs inside `entry`.
    pub base: String,
}

#[derive(Debug, Clone)]
pub struct CapabilitySchema {
    pub name: String,
    pub properties: Vec<PropertySchema>,
}

/// One flavour of the level 13 schema, loaded once per test binary.
pub struct Level13 {
    pub reg: &'static Registry,
    pub capabilities: Vec<CapabilitySchema>,
}

impl Level13 {
    pub fn capability(&self, name: &str) -> Option<&CapabilitySchema> {
        self.capabilities.iter().find(|c| c.name == name)
    }

    /// Σ properties over all capabilities.
    pub fn property_count(&self) -> usize {
        self.capabilities.iter().map(|c| c.properties.len()).sum()
    }

    pub fn generator(&self, seed: u64, mode: Mode) -> Generator<'static> {
        Generator::new(self.reg, seed, mode)
    }
}

fn property_schemas(
    reg: &'static Registry,
    cap_schema: &'static Value,
    base: &str,
) -> Vec<PropertySchema> {
    let gen = Generator::new(reg, 0, Mode::Typical);
    let props = cap_schema
        .get("properties")
        .and_then(Value::as_object)
        .expect("a capability schema has properties");
    props
        .iter()
        .map(|(name, sub)| {
            let (b, resolved) = gen.deref(sub, base);
            let multiple = resolved.get("type").and_then(Value::as_str) == Some("array");
            let (b, entry) = if multiple {
                gen.deref(resolved.get("items").expect("array property has items"), &b)
            } else {
                (b, resolved)
            };
            assert!(
                entry.pointer("/properties/data").is_some() || entry.get("properties").is_some(),
                "{name}: entry schema has no properties"
            );
            PropertySchema {
                name: name.clone(),
                multiple,
                entry,
                base: b,
            }
        })
        .collect()
}

/// The "0001" schema of `tests/data/hm-l13-schema-v1`: one file per capability,
/// single-instance properties an entry object, multi-instance ones an array.
pub fn v1_schema() -> &'static Level13 {
    static L: OnceLock<Level13> = OnceLock::new();
    L.get_or_init(|| {
        let dir = data_dir().join("hm-l13-schema-v1");
        let reg: &'static Registry = Box::leak(Box::new(Registry::load_dir(&dir)));
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("capabilities"))
            .expect("capabilities dir")
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".schema.json"))
            .collect();
        files.sort();
        let capabilities = files
            .iter()
            .map(|f| {
                let file_name = f.file_name().unwrap().to_string_lossy().to_string();
                let name = file_name.trim_end_matches(".schema.json").to_string();
                let (base, schema) = reg.resolve(&format!("file://{}", f.display()), "");
                assert!(
                    base.ends_with(&format!("/capabilities/{file_name}")),
                    "{file_name}: $id {base} does not name the file"
                );
                CapabilitySchema {
                    properties: property_schemas(reg, schema, &base),
                    name,
                }
            })
            .collect();
        Level13 { reg, capabilities }
    })
}

/// The "0002" Streaming Schema V2 (`tests/data/hm-streaming-v2/auto-api-0002-spec.json`):
/// one document, a property per capability, every property an array of entries (but
/// `nonce` and `vin`, single entry objects there too).
pub fn v2_schema() -> &'static Level13 {
    static L: OnceLock<Level13> = OnceLock::new();
    L.get_or_init(|| {
        let dir = data_dir().join("hm-streaming-v2");
        let reg: &'static Registry = Box::leak(Box::new(Registry::load_dir(&dir)));
        let gen = Generator::new(reg, 0, Mode::Typical);
        // enter through the envelope's `data` ref, as a V2 message does
        let envelope = format!(
            "file://{}",
            dir.join("janus-0002-envelope-spec.json").display()
        );
        let (env_base, env) = reg.resolve(&envelope, "");
        let (base, spec) = gen.deref(
            env.pointer("/properties/data").expect("envelope data"),
            &env_base,
        );
        let caps = spec
            .get("properties")
            .and_then(Value::as_object)
            .expect("0002 spec has properties");
        let capabilities = caps
            .iter()
            .map(|(name, sub)| {
                let (b, cap_schema) = gen.deref(sub, &base);
                // every property an array of entries, except `nonce` and `vin`,
                // which the 0002 schema keeps as single entry objects
                let properties = property_schemas(reg, cap_schema, &b);
                CapabilitySchema {
                    name: name.clone(),
                    properties,
                }
            })
            .collect();
        Level13 { reg, capabilities }
    })
}

/// Entries for one property: Typical one (two for V1 multi-instance ones); Varied
/// 1–3 (1–4 multi-instance), and now and then an empty array.
fn entries(gen: &mut Generator<'static>, prop: &PropertySchema, v2: bool) -> Vec<Value> {
    let count = match (gen.mode, prop.multiple && !v2) {
        (Mode::Typical, true) => 2,
        (Mode::Typical, false) => 1,
        (Mode::Varied, multi) => {
            if gen.rng.chance(3) {
                0
            } else {
                1 + gen.rng.below(if multi { 4 } else { 3 }) as usize
            }
        }
    };
    (0..count)
        .map(|_| gen.entry(prop.entry, &prop.base))
        .collect()
}

/// A V1 message for one property: `{version:1, message_id, vin, capability, property,
/// timestamp, data:{cap:{prop: entry-or-array}}}`.
pub fn v1_message(cap: &CapabilitySchema, prop: &PropertySchema, seed: u64, mode: Mode) -> Value {
    let mut gen = v1_schema().generator(seed, mode);
    let value = if prop.multiple {
        let mut es = entries(&mut gen, prop, false);
        if es.is_empty() && mode == Mode::Varied && gen.rng.chance(50) {
            es.push(gen.entry(prop.entry, &prop.base));
        }
        Value::Array(es)
    } else {
        gen.entry(prop.entry, &prop.base)
    };
    let message_id = gen.message_id();
    let vin = gen.vin();
    let timestamp = gen.date_time();
    json!({
        "version": 1,
        "message_id": message_id,
        "vin": vin,
        "capability": cap.name,
        "property": prop.name,
        "timestamp": timestamp,
        "data": { cap.name.clone(): { prop.name.clone(): value } },
    })
}

/// A V2 message with every property of the given capabilities:
/// `{version:2, application_id, message_id, vin, data:{cap:{prop:[entry,..]}}}`
/// (`[entry,..]` or one entry, as the schema says).
pub fn v2_message(caps: &[&CapabilitySchema], seed: u64, mode: Mode) -> Value {
    let mut gen = v2_schema().generator(seed, mode);
    let mut data = Map::new();
    for cap in caps {
        let mut props = Map::new();
        for prop in &cap.properties {
            let value = if prop.multiple {
                Value::Array(entries(&mut gen, prop, true))
            } else {
                gen.entry(prop.entry, &prop.base)
            };
            props.insert(prop.name.clone(), value);
        }
        data.insert(cap.name.clone(), Value::Object(props));
    }
    let application_id = gen.uuid();
    let message_id = gen.message_id();
    let vin = gen.vin();
    json!({
        "version": 2,
        "application_id": application_id,
        "message_id": message_id,
        "vin": vin,
        "data": data,
    })
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("serializes")
}

/// One typical V1 message per capability/property of `hm-l13-schema-v1/capabilities`.
pub fn v1_messages() -> Vec<(String, String, Vec<u8>)> {
    v1_messages_with(0, Mode::Typical)
}

/// One V1 message per capability/property; `seed` drives a Varied run.
pub fn v1_messages_with(seed: u64, mode: Mode) -> Vec<(String, String, Vec<u8>)> {
    let schema = v1_schema();
    let mut out = Vec::with_capacity(schema.property_count());
    let mut n = 0u64;
    for cap in &schema.capabilities {
        for prop in &cap.properties {
            let msg = v1_message(
                cap,
                prop,
                seed.wrapping_mul(1_000_003).wrapping_add(n),
                mode,
            );
            out.push((cap.name.clone(), prop.name.clone(), bytes(&msg)));
            n += 1;
        }
    }
    out
}

/// One typical V2 message per capability of `auto-api-0002-spec.json`, holding every
/// property of that capability.
pub fn v2_messages() -> Vec<(String, Vec<String>, Vec<u8>)> {
    v2_messages_with(0, Mode::Typical)
}

pub fn v2_messages_with(seed: u64, mode: Mode) -> Vec<(String, Vec<String>, Vec<u8>)> {
    let schema = v2_schema();
    schema
        .capabilities
        .iter()
        .enumerate()
        .map(|(i, cap)| {
            let msg = v2_message(
                &[cap],
                seed.wrapping_mul(1_000_003).wrapping_add(i as u64),
                mode,
            );
            let props = cap.properties.iter().map(|p| p.name.clone()).collect();
            (cap.name.clone(), props, bytes(&msg))
        })
        .collect()
}
