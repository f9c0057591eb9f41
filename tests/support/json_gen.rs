//! The proptest generators the property tests share: how many cases to run, and arbitrary
//! JSON (numbers at the edges of what JSON and f64 hold, unicode strings, nested arrays
//! and objects) seeded with words and keys that matter to the code under test.

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};
use serde_json::{json, Map, Number, Value};

/// 256 cases per property, or `PROPTEST_CASES` (`PROPTEST_CASES=5000` for a longer hunt).
pub fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256)
}

/// The proptest config with [`cases`].
pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        ..ProptestConfig::default()
    }
}

/// Arbitrary JSON for one payload format: its interesting words, keys and numbers, and the
/// shape of the trees.
#[derive(Clone, Copy)]
pub struct JsonGen {
    /// Strings the format gives meaning to (units, enum words, timestamps), and traps.
    pub words: &'static [&'static str],
    /// Object keys the format reads, picked 3 to 1 over arbitrary strings.
    pub keys: &'static [&'static str],
    /// Floats besides arbitrary ones: range edges, values the format converts.
    pub floats: &'static [f64],
    /// Also `u64::MAX` and `i64::MIN` as numbers of their own.
    pub integer_extremes: bool,
    /// `prop_recursive`'s depth, desired size and expected branch size.
    pub depth: u32,
    pub size: u32,
    pub branch: u32,
    /// Arrays and objects hold fewer than this many items.
    pub width: usize,
}

impl JsonGen {
    pub fn number(self) -> BoxedStrategy<Value> {
        let mut arms = vec![
            any::<i64>().prop_map(Value::from).boxed(),
            any::<u64>().prop_map(Value::from).boxed(),
            any::<f64>()
                .prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number))
                .boxed(),
            prop::sample::select(self.floats)
                .prop_map(|f| json!(f))
                .boxed(),
        ];
        if self.integer_extremes {
            arms.push(Just(json!(u64::MAX)).boxed());
            arms.push(Just(json!(i64::MIN)).boxed());
        }
        Union::new(arms).boxed()
    }

    pub fn string(self) -> BoxedStrategy<String> {
        prop_oneof![
            prop::sample::select(self.words).prop_map(str::to_string),
            "\\PC{0,12}",
            any::<String>(),
        ]
        .boxed()
    }

    pub fn key(self) -> BoxedStrategy<String> {
        prop_oneof![
            3 => prop::sample::select(self.keys).prop_map(str::to_string),
            1 => self.string(),
        ]
        .boxed()
    }

    /// Any JSON value: null, booleans, numbers, strings, arrays and objects nested up to
    /// `depth` levels.
    pub fn json(self) -> BoxedStrategy<Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            self.number(),
            self.string().prop_map(Value::String),
        ];
        let width = self.width;
        leaf.prop_recursive(self.depth, self.size, self.branch, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..width).prop_map(Value::Array),
                prop::collection::vec((self.key(), inner), 0..width)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
            ]
        })
        .boxed()
    }
}
