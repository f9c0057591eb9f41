//! Leaf values: numbers within their bounds, strings and text, RFC 3339 times, UUIDs, VINs,
//! message ids, and level 13 property entries.

use super::Generator;
use crate::support::schema_gen::Mode;
use serde_json::{json, Map, Value};

impl Generator<'_> {
    pub(super) fn number(&mut self, obj: &Map<String, Value>, integer: bool) -> Value {
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

    pub(super) fn string(&mut self, obj: &Map<String, Value>) -> Value {
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
