//! The generator: a value valid against a schema, following refs, combining `allOf`/`oneOf`,
//! and picking types, keys and sizes from the seed (leaf values: `generator/leaves.rs`).

mod leaves;

use super::registry::{resolve_url, strip_fragment, Registry};
use super::{Mode, Rng};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

const MAX_DEPTH: usize = 40;

pub struct Generator<'r> {
    pub reg: &'r Registry,
    pub rng: Rng,
    pub mode: Mode,
}

impl<'r> Generator<'r> {
    pub fn new(reg: &'r Registry, seed: u64, mode: Mode) -> Generator<'r> {
        Generator {
            reg,
            rng: Rng::new(seed),
            mode,
        }
    }

    fn varied(&self) -> bool {
        self.mode == Mode::Varied
    }

    /// Follow `$ref`s (and `$id` base changes) until a schema without `$ref`.
    pub fn deref<'s>(&self, schema: &'s Value, base: &str) -> (String, &'s Value)
    where
        'r: 's,
    {
        let mut base = base.to_string();
        let mut schema = schema;
        for _ in 0..MAX_DEPTH {
            if let Some(id) = schema.get("$id").and_then(Value::as_str) {
                base = strip_fragment(&resolve_url(&base, id)).to_string();
            }
            match schema.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let reg: &'r Registry = self.reg;
                    let (b, s) = reg.resolve(&base, r);
                    base = b;
                    schema = s;
                }
                None => return (base, schema),
            }
        }
        panic!("$ref chain deeper than {MAX_DEPTH} from {base}")
    }

    /// A value valid against `schema` (whose base URL is `base`).
    pub fn value(&mut self, schema: &Value, base: &str) -> Value {
        self.gen(schema, base, 0)
    }

    fn gen(&mut self, schema: &Value, base: &str, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        let (base, schema) = self.deref(schema, base);
        let obj = match schema {
            Value::Object(o) => o,
            Value::Bool(false) => panic!("asked to generate a value for schema `false`"),
            _ => return self.scalar(), // `true` or {}
        };
        if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
            let mut merged = without(obj, "allOf");
            for sub in all {
                let (_, s) = self.deref(sub, &base);
                if let Value::Object(s) = s {
                    merge_schema(&mut merged, s);
                }
            }
            return self.gen(&Value::Object(merged), &base, depth + 1);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = obj.get(key).and_then(Value::as_array) {
                if branches.is_empty() {
                    continue;
                }
                let i = if self.varied() {
                    self.rng.below(branches.len() as u64) as usize
                } else {
                    0
                };
                // the branch's own base: a branch reached through a `$ref` keeps
                // resolving its refs against its own document
                let (branch_base, branch) = self.deref(&branches[i], &base);
                let mut merged = without(obj, key);
                if let Value::Object(b) = branch {
                    merge_schema(&mut merged, b);
                }
                return self.gen(&Value::Object(merged), &branch_base, depth + 1);
            }
        }
        if let Some(c) = obj.get("const") {
            return c.clone();
        }
        if let Some(variants) = obj.get("enum").and_then(Value::as_array) {
            if !variants.is_empty() {
                return if self.varied() {
                    self.rng.pick(variants).clone()
                } else {
                    variants[0].clone()
                };
            }
        }
        match self.pick_type(obj).as_str() {
            "object" => self.object(obj, &base, depth),
            "array" => self.array(obj, &base, depth),
            "string" => self.string(obj),
            "integer" => self.number(obj, true),
            "number" => self.number(obj, false),
            "boolean" => Value::Bool(!self.varied() || self.rng.chance(50)),
            "null" => Value::Null,
            other => panic!("unknown JSON Schema type {other:?}"),
        }
    }

    fn pick_type(&mut self, obj: &Map<String, Value>) -> String {
        match obj.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(Value::Array(ts)) if !ts.is_empty() => {
                let names: Vec<&str> = ts.iter().filter_map(Value::as_str).collect();
                if self.varied() {
                    self.rng.pick(&names).to_string()
                } else {
                    names
                        .iter()
                        .find(|t| **t != "null")
                        .unwrap_or(&names[0])
                        .to_string()
                }
            }
            _ => {
                let has = |k: &str| obj.contains_key(k);
                if has("properties") || has("required") || has("minProperties") {
                    "object".into()
                } else if has("items") || has("minItems") {
                    "array".into()
                } else if has("minimum") || has("maximum") {
                    "number".into()
                } else {
                    "string".into()
                }
            }
        }
    }

    fn scalar(&mut self) -> Value {
        if !self.varied() {
            return json!("value");
        }
        match self.rng.below(4) {
            0 => Value::Null,
            1 => Value::Bool(self.rng.chance(50)),
            2 => json!(self.rng.range(-1000, 1000)),
            _ => Value::String(self.text(1, 8)),
        }
    }

    fn object(&mut self, obj: &Map<String, Value>, base: &str, depth: usize) -> Value {
        static EMPTY: OnceLock<Map<String, Value>> = OnceLock::new();
        let props = obj
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new));
        let required: Vec<&str> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let min = obj
            .get("minProperties")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let max = obj
            .get("maxProperties")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |m| m as usize);
        let mut chosen: Vec<&str> = Vec::new();
        for name in props.keys() {
            let include =
                required.contains(&name.as_str()) || !self.varied() || self.rng.chance(50);
            if include {
                chosen.push(name);
            }
        }
        // fill up to minProperties with the optional keys left out
        for name in props.keys() {
            if chosen.len() >= min {
                break;
            }
            if !chosen.contains(&name.as_str()) {
                chosen.push(name);
            }
        }
        // drop optional keys above maxProperties
        while chosen.len() > max {
            match chosen.iter().rposition(|k| !required.contains(k)) {
                Some(i) => {
                    chosen.remove(i);
                }
                None => break,
            }
        }
        let mut out = Map::new();
        for name in props.keys() {
            if chosen.contains(&name.as_str()) {
                let v = self.gen(&props[name], base, depth + 1);
                out.insert(name.clone(), v);
            }
        }
        // required keys without a property schema, and minProperties beyond `properties`
        let extra_schema = match obj.get("additionalProperties") {
            Some(Value::Bool(false)) => None,
            Some(s @ Value::Object(_)) => Some(s),
            _ => Some(&Value::Bool(true)),
        };
        for name in &required {
            if !out.contains_key(*name) {
                let v = match extra_schema {
                    Some(s) => self.gen(s, base, depth + 1),
                    None => Value::Null,
                };
                out.insert(name.to_string(), v);
            }
        }
        if let Some(s) = extra_schema {
            let mut n = 0;
            while out.len() < min {
                let v = self.gen(s, base, depth + 1);
                out.insert(format!("extra_{n}"), v);
                n += 1;
            }
        }
        Value::Object(out)
    }

    fn array(&mut self, obj: &Map<String, Value>, base: &str, depth: usize) -> Value {
        let min = obj.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = obj
            .get("maxItems")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |m| m as usize);
        let count = if self.varied() {
            min + self.rng.below(4) as usize
        } else {
            min.max(1)
        }
        .min(max);
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            let item_schema: &Value = match obj.get("items").or_else(|| obj.get("prefixItems")) {
                Some(Value::Array(tuple)) => match tuple.get(i) {
                    Some(s) => s,
                    None => obj.get("additionalItems").unwrap_or(&Value::Bool(true)),
                },
                Some(s) => s,
                None => &Value::Bool(true),
            };
            out.push(self.gen(item_schema, base, depth + 1));
        }
        Value::Array(out)
    }
}

pub(super) fn without(obj: &Map<String, Value>, key: &str) -> Map<String, Value> {
    obj.iter()
        .filter(|(k, _)| k.as_str() != key)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Merge `other` into `into` for allOf/oneOf: properties and required unite, the
/// tighter numeric/size bound wins, anything else is taken when absent.
pub(super) fn merge_schema(into: &mut Map<String, Value>, other: &Map<String, Value>) {
    for (k, v) in other {
        match (k.as_str(), into.get_mut(k)) {
            ("properties", Some(Value::Object(mine))) => {
                if let Value::Object(theirs) = v {
                    for (pk, pv) in theirs {
                        mine.entry(pk.clone()).or_insert_with(|| pv.clone());
                    }
                }
            }
            ("required", Some(Value::Array(mine))) => {
                if let Value::Array(theirs) = v {
                    for r in theirs {
                        if !mine.contains(r) {
                            mine.push(r.clone());
                        }
                    }
                }
            }
            ("minimum" | "minItems" | "minLength" | "minProperties", Some(mine)) => {
                if v.as_f64() > mine.as_f64() {
                    *mine = v.clone();
                }
            }
            ("maximum" | "maxItems" | "maxLength" | "maxProperties", Some(mine)) => {
                if v.as_f64() < mine.as_f64() {
                    *mine = v.clone();
                }
            }
            ("$id" | "$schema" | "description" | "$defs", _) => {}
            (_, Some(_)) => {}
            (_, None) => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}
