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

use serde_json::{json, Map, Value};
use std::collections::HashMap;
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
// schema documents and `$ref` resolution

/// Schema documents by URL, plus every embedded `$id`.
pub struct Registry {
    docs: HashMap<String, Value>,
    /// embedded `$id` URL → (document URL, JSON pointer)
    embedded: HashMap<String, (String, String)>,
}

impl Registry {
    /// Every `*.json` below `dir`, keyed by its `file://` URL and by its (resolved) `$id`.
    pub fn load_dir(dir: &Path) -> Registry {
        let mut files = Vec::new();
        collect_json_files(dir, &mut files);
        files.sort();
        let mut reg = Registry {
            docs: HashMap::new(),
            embedded: HashMap::new(),
        };
        for file in files {
            let text = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let doc: Value = serde_json::from_slice(&text)
                .unwrap_or_else(|e| panic!("{}: not JSON: {e}", file.display()));
            let file_url = format!("file://{}", file.display());
            let key = match doc.get("$id").and_then(Value::as_str) {
                Some(id) => strip_fragment(&resolve_url(&file_url, id)).to_string(),
                None => file_url.clone(),
            };
            let mut ids = Vec::new();
            collect_embedded_ids(&doc, &key, "", &mut ids);
            for (url, pointer) in ids {
                reg.embedded.insert(url, (key.clone(), pointer));
            }
            if key != file_url {
                reg.embedded.insert(file_url, (key.clone(), String::new()));
            }
            reg.docs.insert(key, doc);
        }
        reg
    }

    /// The document (or embedded schema) at `url` (no fragment).
    pub fn get(&self, url: &str) -> Option<&Value> {
        if let Some(d) = self.docs.get(url) {
            return Some(d);
        }
        let (doc, pointer) = self.embedded.get(url)?;
        self.docs.get(doc)?.pointer(pointer)
    }

    /// Resolve `reference` seen in a schema whose base URL is `base`: the new base and
    /// the target schema. Panics with the reference when it does not resolve.
    pub fn resolve<'a>(&'a self, base: &str, reference: &str) -> (String, &'a Value) {
        let (path, fragment) = match reference.split_once('#') {
            Some((p, f)) => (p, f),
            None => (reference, ""),
        };
        let doc_url = if path.is_empty() {
            strip_fragment(base).to_string()
        } else {
            resolve_url(base, path)
        };
        let (doc_url, doc) = match self.get(&doc_url) {
            Some(d) => (doc_url, d),
            None => self.by_path_suffix(&doc_url).unwrap_or_else(|| {
                panic!("$ref {reference:?} (from {base}): no document {doc_url}")
            }),
        };
        let target = if fragment.is_empty() {
            doc
        } else if fragment.starts_with('/') {
            doc.pointer(&percent_decode(fragment)).unwrap_or_else(|| {
                panic!("$ref {reference:?} (from {base}): no {fragment} in {doc_url}")
            })
        } else {
            panic!("$ref {reference:?}: plain-name fragments are not supported")
        };
        (doc_url, target)
    }

    /// A document whose URL ends with the same last two path segments: a fallback for
    /// refs written against a hosting path we did not reproduce.
    fn by_path_suffix(&self, url: &str) -> Option<(String, &Value)> {
        let segs: Vec<&str> = url.rsplit('/').take(2).collect();
        if segs.len() < 2 {
            return None;
        }
        let suffix = format!("/{}/{}", segs[1], segs[0]);
        let mut hits = self.docs.iter().filter(|(k, _)| k.ends_with(&suffix));
        let hit = hits.next()?;
        if hits.next().is_some() {
            return None;
        }
        Some((hit.0.clone(), hit.1))
    }
}

fn collect_json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn collect_embedded_ids(v: &Value, base: &str, pointer: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) => {
            let mut base = base.to_string();
            if !pointer.is_empty() {
                if let Some(id) = o.get("$id").and_then(Value::as_str) {
                    base = strip_fragment(&resolve_url(&base, id)).to_string();
                    out.push((base.clone(), pointer.to_string()));
                }
            }
            for (k, child) in o {
                // `enum`/`const` values are data, not schemas
                if k == "enum" || k == "const" {
                    continue;
                }
                let esc = k.replace('~', "~0").replace('/', "~1");
                collect_embedded_ids(child, &base, &format!("{pointer}/{esc}"), out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                collect_embedded_ids(child, base, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn strip_fragment(url: &str) -> &str {
    url.split_once('#').map_or(url, |(u, _)| u)
}

/// RFC 3986 reference resolution, for the shapes schemas use: full URLs, absolute paths
/// (`/a/b.json`), relative paths (`../misc/x.json`, `x.json`, `./x.json`).
pub fn resolve_url(base: &str, reference: &str) -> String {
    if reference.contains("://") {
        return normalize_path_url(reference);
    }
    let base = strip_fragment(base);
    let (origin, base_path) = split_origin(base);
    if reference.is_empty() {
        return base.to_string();
    }
    if let Some(rest) = reference.strip_prefix("//") {
        let scheme = origin.split_once("://").map_or("https", |(s, _)| s);
        return normalize_path_url(&format!("{scheme}://{rest}"));
    }
    let path = if reference.starts_with('/') {
        reference.to_string()
    } else {
        let dir = base_path.rsplit_once('/').map_or("", |(d, _)| d);
        format!("{dir}/{reference}")
    };
    format!("{origin}{}", normalize_path(&path))
}

/// `scheme://authority` and the path of a URL (`""` origin for a bare path).
fn split_origin(url: &str) -> (&str, &str) {
    match url.find("://") {
        Some(i) => {
            let after = i + 3;
            match url[after..].find('/') {
                Some(j) => url.split_at(after + j),
                None => (url, ""),
            }
        }
        None => ("", url),
    }
}

fn normalize_path_url(url: &str) -> String {
    let (origin, path) = split_origin(url);
    format!("{origin}{}", normalize_path(path))
}

fn normalize_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------
// the generator

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

    fn number(&mut self, obj: &Map<String, Value>, integer: bool) -> Value {
        let f = |k: &str| obj.get(k).and_then(Value::as_f64);
        let mut lo = f("minimum");
        let mut hi = f("maximum");
        // draft-07 numeric exclusive bounds; draft-04 booleans are ignored (unused here)
        if let Some(x) = f("exclusiveMinimum") {
            lo = Some(lo.map_or(x, |l: f64| l.max(x)) + if integer { 1.0 } else { 1e-9 });
        }
        if let Some(x) = f("exclusiveMaximum") {
            hi = Some(hi.map_or(x, |h: f64| h.min(x)) - if integer { 1.0 } else { 1e-9 });
        }
        let v: f64 = match (self.mode, lo, hi) {
            (Mode::Typical, Some(l), Some(h)) => (l + h) / 2.0,
            (Mode::Typical, Some(l), None) => l + 1.0,
            (Mode::Typical, None, Some(h)) => h - 1.0,
            (Mode::Typical, None, None) => {
                if integer {
                    7.0
                } else {
                    0.5
                }
            }
            (Mode::Varied, Some(l), Some(h)) => l + (h - l) * self.rng.unit_f64(),
            (Mode::Varied, l, h) => {
                let raw = match self.rng.below(6) {
                    0 => 0.0,
                    1 => self.rng.range(-100, 100) as f64,
                    2 => self.rng.unit_f64(),
                    3 => (self.rng.unit_f64() - 0.5) * 2e4,
                    4 => (self.rng.unit_f64() - 0.3) * 1e12,
                    _ => self.rng.range(0, 1_000_000) as f64 / 1000.0,
                };
                let raw = l.map_or(raw, |l| if raw < l { l + raw.abs() } else { raw });
                h.map_or(raw, |h| if raw > h { h - raw.abs().min(1e6) } else { raw })
            }
        };
        if integer {
            let mut i = v.round();
            if let Some(l) = lo.filter(|l| i < *l) {
                i = l.ceil();
            }
            if let Some(h) = hi.filter(|h| i > *h) {
                i = h.floor();
            }
            json!(i as i64)
        } else {
            serde_json::Number::from_f64(v).map_or(json!(0.0), Value::Number)
        }
    }

    fn string(&mut self, obj: &Map<String, Value>) -> Value {
        match obj.get("format").and_then(Value::as_str) {
            Some("date-time") => return Value::String(self.date_time()),
            Some("uuid") => return Value::String(self.uuid()),
            Some("date") => return Value::String(self.date_time()[..10].to_string()),
            _ => {}
        }
        let min = obj.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = obj
            .get("maxLength")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |m| m as usize);
        if !self.varied() {
            let word = "sample";
            let len = min.max(word.len().min(max)).min(max);
            return Value::String(word.chars().cycle().take(len).collect());
        }
        let hi = max.min(min.max(1) + 16);
        let lo = min.min(hi);
        Value::String(self.text(lo, hi))
    }

    /// A string of `lo..=hi` characters, mostly ASCII with some multi-byte ones.
    pub fn text(&mut self, lo: usize, hi: usize) -> String {
        const CHARS: &[char] = &[
            'a', 'b', 'c', 'x', 'y', 'z', 'A', 'Q', '0', '7', ' ', '_', '-', '.', '/', '"', '\\',
            'é', 'ü', 'ß', '日', '本', '🚗', '\u{200b}', '[', ']',
        ];
        let len = self.rng.range(lo as i64, hi as i64) as usize;
        (0..len).map(|_| *self.rng.pick(CHARS)).collect()
    }

    /// RFC 3339. Typical: `2025-08-12T16:07:48.000Z`; varied: 2015–2030, seconds /
    /// millis / micros, `Z` or a numeric offset.
    pub fn date_time(&mut self) -> String {
        if !self.varied() {
            return "2025-08-12T16:07:48.000Z".into();
        }
        let secs = self.rng.range(1_420_070_400, 1_893_456_000);
        let nanos = self.rng.below(1_000_000_000) as u32;
        let t = chrono::DateTime::from_timestamp(secs, nanos).expect("in range");
        let frac = match self.rng.below(3) {
            0 => String::new(),
            1 => format!(".{:03}", nanos / 1_000_000),
            _ => format!(".{:06}", nanos / 1_000),
        };
        let offset = match self.rng.below(3) {
            0 | 1 => "Z".to_string(),
            _ => {
                let minutes = self.rng.range(-12 * 60, 14 * 60) as i32;
                let sign = if minutes < 0 { '-' } else { '+' };
                format!("{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60)
            }
        };
        // render the same instant in the chosen offset
        let off_secs = if offset == "Z" {
            0
        } else {
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            sign * (offset[1..3].parse::<i32>().unwrap() * 3600
                + offset[4..6].parse::<i32>().unwrap() * 60)
        };
        let local = t.naive_utc() + chrono::Duration::seconds(off_secs as i64);
        format!("{}{frac}{offset}", local.format("%Y-%m-%dT%H:%M:%S"))
    }

    pub fn uuid(&mut self) -> String {
        let a = self.rng.next_u64();
        let b = self.rng.next_u64();
        let h = format!("{a:016x}{b:016x}");
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }

    /// A VIN-shaped id: 17 characters of the VIN alphabet (no I, O, Q).
    pub fn vin(&mut self) -> String {
        const VIN: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
        (0..17).map(|_| *self.rng.pick(VIN) as char).collect()
    }

    pub fn message_id(&mut self) -> String {
        (0..4)
            .map(|_| format!("{:016X}", self.rng.next_u64()))
            .collect()
    }

    /// One level 13 property entry (`{data?, timestamp?, failure?, availability?}`,
    /// `minProperties: 1`). Typical: data and timestamp. Varied: data 85 %, timestamp
    /// 60 %, failure 15 %, availability 15 %, never empty.
    pub fn entry(&mut self, entry_schema: &Value, base: &str) -> Value {
        let (base, schema) = self.deref(entry_schema, base);
        let props = match schema.get("properties").and_then(Value::as_object) {
            Some(p) => p,
            None => return self.value(schema, &base),
        };
        let mut out = Map::new();
        for (name, sub) in props {
            let p = match (self.mode, name.as_str()) {
                (Mode::Typical, "data" | "timestamp") => 100,
                (Mode::Typical, "failure" | "availability") => 0,
                (Mode::Typical, _) => 100,
                (Mode::Varied, "data") => 85,
                (Mode::Varied, "timestamp") => 60,
                (Mode::Varied, "failure" | "availability") => 15,
                (Mode::Varied, _) => 50,
            };
            if self.rng.chance(p) {
                let v = self.gen(sub, &base, 1);
                out.insert(name.clone(), v);
            }
        }
        if out.is_empty() {
            let name = if props.contains_key("data") {
                "data"
            } else {
                props
                    .keys()
                    .next()
                    .expect("entry schema has properties")
                    .as_str()
            };
            let v = self.gen(&props[name], &base, 1);
            out.insert(name.to_string(), v);
        }
        Value::Object(out)
    }
}

fn without(obj: &Map<String, Value>, key: &str) -> Map<String, Value> {
    obj.iter()
        .filter(|(k, _)| k.as_str() != key)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Merge `other` into `into` for allOf/oneOf: properties and required unite, the
/// tighter numeric/size bound wins, anything else is taken when absent.
fn merge_schema(into: &mut Map<String, Value>, other: &Map<String, Value>) {
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
