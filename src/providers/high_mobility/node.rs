//! The JSON tree the High Mobility walker reads payloads into. Its own module so that the
//! walker (`normalize.rs`) and the rules it applies (`rules/`) share it without importing
//! each other.

use bumpalo::Bump;
use serde_json::{Map, Number, Value};
use std::cell::RefCell;

thread_local! {
    /// The trees' memory, reset after every message and reused by the next: a tree's
    /// lists cost a pointer bump instead of an allocation and a free each (~25 a drained
    /// message), and nothing to drop. One per thread, as normalize runs on any.
    static ARENA: RefCell<Bump> = RefCell::new(Bump::new());
}

/// An arena grown past this by a large payload is let go, not kept for the next message.
pub(super) const ARENA_KEPT: usize = 1 << 20;

/// `f` with this thread's arena, which is reset when `f` returns (or let go, when a
/// payload grew it past [`ARENA_KEPT`]). What `f` returns cannot borrow from it.
pub(super) fn in_arena<R>(f: impl for<'a> FnOnce(&'a Bump) -> R) -> R {
    ARENA.with_borrow_mut(|arena| {
        let out = f(arena);
        if arena.allocated_bytes() > ARENA_KEPT {
            *arena = Bump::new();
        } else {
            arena.reset();
        }
        out
    })
}

/// The bytes this thread's arena holds between messages.
#[cfg(test)]
pub(super) fn arena_bytes() -> usize {
    ARENA.with_borrow(Bump::allocated_bytes)
}

/// A JSON document read without copying: strings borrow from the payload, and arrays and
/// objects are slices in an arena (a [`Bump`] the caller resets after each message), so
/// a tree costs no heap allocation and no drop. Objects are key/value lists in document
/// order, keys unique: a repeated key replaces the earlier value in its place, as
/// `serde_json::Value` (with `preserve_order`) reads it. Values that go into a record are
/// converted with [`Node::to_value`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    Number(Num),
    Str(&'a str),
    Array(&'a [Node<'a>]),
    Object(Fields<'a>),
}

/// An object's members, in document order, keys unique.
pub type Fields<'a> = &'a [(&'a str, Node<'a>)];

/// A JSON number as serde_json types it: `U` for non-negative integers, `I` for negative
/// ones, `F` for the rest (always finite). `serde_json::Number` is not `Copy`, which
/// would give every node drop glue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    U(u64),
    I(i64),
    F(f64),
}

impl Num {
    pub fn as_f64(self) -> f64 {
        match self {
            Num::U(n) => n as f64,
            Num::I(n) => n as f64,
            Num::F(f) => f,
        }
    }
    /// The `serde_json::Number` this is.
    pub fn to_number(self) -> Number {
        match self {
            Num::U(n) => n.into(),
            Num::I(n) => n.into(),
            Num::F(f) => Number::from_f64(f).expect("`F` is only made from finite floats"),
        }
    }
    fn of(n: &Number) -> Num {
        match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Num::U(u),
            (None, Some(i)) => Num::I(i),
            _ => Num::F(n.as_f64().expect("a float without arbitrary precision")),
        }
    }
}

/// The member `key` of an object's fields.
pub fn field<'n, 'a>(fields: &'n [(&'a str, Node<'a>)], key: &str) -> Option<&'n Node<'a>> {
    fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

impl<'a> Node<'a> {
    /// Like `Value::get(&str)`: an object's member, `None` for anything else.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(fields) => field(fields, key),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Node::Number(n) => Some(n.as_f64()),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<Fields<'a>> {
        match self {
            Node::Object(fields) => Some(fields),
            _ => None,
        }
    }
    pub fn is_number(&self) -> bool {
        matches!(self, Node::Number(_))
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }
    /// The `serde_json::Value` this document is.
    pub fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.to_number()),
            Node::Str(s) => Value::String(s.to_string()),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(fields) => {
                let mut map = Map::with_capacity(fields.len());
                for (k, v) in fields.iter() {
                    map.insert(k.to_string(), v.to_value());
                }
                Value::Object(map)
            }
        }
    }
    /// The tree of a document serde_json has read (what the fast reader declines goes
    /// this way), its strings copied into `arena`. serde_json's map keeps a repeated
    /// key's first place with the last value, as the fast reader does.
    pub fn from_value(value: &Value, arena: &'a Bump) -> Node<'a> {
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(Num::of(n)),
            Value::String(s) => Node::Str(arena.alloc_str(s)),
            Value::Array(items) => Node::Array(
                arena.alloc_slice_fill_iter(items.iter().map(|v| Node::from_value(v, arena))),
            ),
            Value::Object(map) => Node::Object(
                arena.alloc_slice_fill_iter(
                    map.iter()
                        .map(|(k, v)| (&*arena.alloc_str(k), Node::from_value(v, arena))),
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_convert_both_ways_as_serde_json_types_them() {
        for text in [
            "0",
            "7",
            "18446744073709551615",
            "-1",
            "-9223372036854775808",
            "0.5",
            "-0.0",
            "1e300",
        ] {
            let v: Value = serde_json::from_str(text).unwrap();
            let arena = Bump::new();
            let node = Node::from_value(&v, &arena);
            assert_eq!(node.to_value(), v, "{text}");
            assert_eq!(node.to_value().to_string(), v.to_string(), "{text}");
        }
    }

    #[test]
    fn a_repeated_key_keeps_its_first_place_with_the_last_value() {
        let v: Value = serde_json::from_str(r#"{"a":1,"b":"x","a":{"c":[true,null]}}"#).unwrap();
        let arena = Bump::new();
        let node = Node::from_value(&v, &arena);
        let fields = node.as_object().unwrap();
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[0].0, "a");
        assert_eq!(
            node.get("a").unwrap().to_value(),
            serde_json::json!({"c": [true, null]})
        );
        assert_eq!(node.to_value(), v);
    }
}
