//! A reader for the JSON that High Mobility actually sends, in one pass over the bytes.
//!
//! Parsing the payload into a [`Node`] through serde_json's `deserialize_any` was the
//! largest cost of a drained message (~19k of ~70k instructions, callgrind; issue 21):
//! serde's visitor protocol dispatches every token through generic code. This reader
//! builds the same tree directly, for the documents it is sure about, and answers `None`
//! for anything else — a string with an escape or a control character, an integer that
//! does not fit 64 bits, `-0`, a number out of range, deep nesting, objects with many
//! members, any syntax error. The caller then parses with serde_json, which decides: so
//! errors, and every case where the two could differ, are serde_json's by construction.
//!
//! Where it answers, the tree is exactly serde_json's (tests compare them on the
//! fixtures, on schema-shaped documents and on random mutations of both): the same
//! whitespace, `u64` for non-negative and `i64` for negative integers, floats correctly
//! rounded (Rust's `f64` parser and serde_json's `float_roundtrip` both round correctly,
//! so they agree), and a repeated key replacing the earlier value in its place.

use super::node::{Node, Num};
use crate::record::escape;
use bumpalo::collections::Vec as ArenaVec;
use bumpalo::Bump;

/// Nesting beyond this goes to serde_json, whose own limit (128) then applies.
const MAX_DEPTH: u32 = 100;
/// Objects past this many members go to serde_json.
const MAX_MEMBERS: usize = 64;

/// The document `text` is, if it is one this reader handles; `None` otherwise (parse it
/// with serde_json then). Arrays and objects go into `arena`.
pub fn read<'a>(text: &'a str, arena: &'a Bump) -> Option<Node<'a>> {
    let mut r = Reader {
        text,
        b: text.as_bytes(),
        at: 0,
        depth: 0,
        arena,
        member_stack: ArenaVec::with_capacity_in(64, arena),
        item_stack: ArenaVec::with_capacity_in(32, arena),
    };
    r.ws();
    let node = r.value()?;
    r.ws();
    (r.at == r.b.len()).then_some(node)
}

/// The reader's state. The members and items of the objects and arrays being read sit on
/// two stacks, one above the other as they nest; when one closes, its run is copied into
/// a slice of its exact size and popped, so no list grows by doubling (nodes are `Copy`:
/// the copy is one `memcpy`).
struct Reader<'a> {
    text: &'a str,
    b: &'a [u8],
    at: usize,
    depth: u32,
    arena: &'a Bump,
    member_stack: ArenaVec<'a, (&'a str, Node<'a>)>,
    item_stack: ArenaVec<'a, Node<'a>>,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    /// JSON's four whitespace bytes, as serde_json skips them.
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Option<Node<'a>> {
        match self.peek()? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => self.string().map(Node::Str),
            b't' => self.literal(b"true", Node::Bool(true)),
            b'f' => self.literal(b"false", Node::Bool(false)),
            b'n' => self.literal(b"null", Node::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8], node: Node<'a>) -> Option<Node<'a>> {
        let end = self.at + word.len();
        (self.b.get(self.at..end)? == word).then(|| {
            self.at = end;
            node
        })
    }

    /// A string without escapes or control characters, borrowed; `None` for any other.
    /// Inline: as a call, saving and restoring registers and loading the scan's
    /// constants cost as much as scanning a short key.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        let start = self.at + 1;
        let end = stop(self.b, start)?;
        if self.b[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        // `start` and `end` sit next to ASCII quotes: both are char boundaries.
        Some(&self.text[start..end])
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn object(&mut self) -> Option<Node<'a>> {
        let base = self.member_stack.len();
        // a bit per key's length and ends: only a key whose bit is already set can repeat
        // one before it, so only then is the object searched (that search, for every
        // key, was ~900 instructions a drained message)
        let mut seen = 0u64;
        self.members(b'}', |r| {
            if r.peek()? != b'"' {
                return None;
            }
            let key = r.string()?;
            r.ws();
            if r.peek()? != b':' {
                return None;
            }
            r.at += 1;
            r.ws();
            let value = r.value()?;
            // a repeated key replaces the earlier value in its place, as serde_json's
            // ordered map does
            let bit = key_bit(key);
            let own = &mut r.member_stack[base..];
            let earlier = if seen & bit != 0 {
                own.iter().position(|(k, _)| *k == key)
            } else {
                None
            };
            seen |= bit;
            match earlier {
                Some(i) => own[i].1 = value,
                None if own.len() < MAX_MEMBERS => r.member_stack.push((key, value)),
                None => return None,
            }
            Some(())
        })?;
        let fields = self.arena.alloc_slice_copy(&self.member_stack[base..]);
        self.member_stack.truncate(base);
        Some(Node::Object(fields))
    }

    fn array(&mut self) -> Option<Node<'a>> {
        let base = self.item_stack.len();
        self.members(b']', |r| {
            let item = r.value()?;
            r.item_stack.push(item);
            Some(())
        })?;
        let items = self.arena.alloc_slice_copy(&self.item_stack[base..]);
        self.item_stack.truncate(base);
        Some(Node::Array(items))
    }

    /// The members of the object or array that opens here, each read by `member`, up to
    /// `close`: the opening, the commas, the nesting depth and the closing for both.
    fn members(
        &mut self,
        close: u8,
        mut member: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.enter()?;
        self.at += 1;
        self.ws();
        if self.peek()? != close {
            loop {
                member(self)?;
                self.ws();
                match self.peek()? {
                    b',' => {
                        self.at += 1;
                        self.ws();
                    }
                    c if c == close => break,
                    _ => return None,
                }
            }
        }
        self.at += 1;
        self.depth -= 1;
        Some(())
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, as serde_json types it. The
    /// digits are gathered as they are scanned; a float whose digits and exponent are
    /// small enough is their exact quotient or product (`Digits::exact_float`), any
    /// other goes through Rust's parser (which cost ~150 instructions a float).
    fn number(&mut self) -> Option<Node<'a>> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let mut digits = Digits::default();
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(&mut digits),
            _ => return None,
        }
        let int_digits = digits.count;
        let mut float = false;
        if self.peek() == Some(b'.') {
            float = true;
            self.at += 1;
            let from = digits.count;
            self.digits(&mut digits);
            if digits.count == from {
                return None;
            }
        }
        let fraction = digits.count - int_digits;
        // the written exponent; `None` when it is too long to be read exactly here
        let mut exponent = Some(0i64);
        if let Some(b'e' | b'E') = self.peek() {
            float = true;
            self.at += 1;
            let negative = self.peek() == Some(b'-');
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            let mut e = Digits::default();
            self.digits(&mut e);
            if e.count == 0 {
                return None;
            }
            let e = i64::try_from(e.value).ok().filter(|_| e.count <= 18);
            exponent = e.map(|e| if negative { -e } else { e });
        }
        if float {
            let exact = exponent.and_then(|e| digits.exact_float(e - i64::from(fraction)));
            let f = match exact {
                Some(f) if negative => -f,
                Some(f) => f,
                None => self.text[start..self.at].parse().ok()?,
            };
            // out of range is serde_json's error to give
            return f.is_finite().then_some(Node::Number(Num::F(f)));
        }
        // past u64, serde_json turns integers into floats: its case
        let n = if int_digits <= 19 {
            digits.value
        } else {
            let int = &self.b[start + usize::from(negative)..self.at];
            int.iter().try_fold(0u64, |n, &d| {
                n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            })?
        };
        match (negative, i64::try_from(n)) {
            (false, _) => Some(Node::Number(Num::U(n))),
            // serde_json reads `-0` as the float -0.0; and below i64's range as floats
            (true, Ok(n)) if n > 0 => Some(Node::Number(Num::I(-n))),
            (true, _) => None,
        }
    }

    /// The decimal digits from here on, added to `to`.
    fn digits(&mut self, to: &mut Digits) {
        while let Some(d @ b'0'..=b'9') = self.peek() {
            to.push(d);
            self.at += 1;
        }
    }
}

/// Decimal digits as read: their value, exact while `count` ≤ 19 (it wraps beyond).
#[derive(Default)]
struct Digits {
    value: u64,
    count: u32,
}

impl Digits {
    fn push(&mut self, d: u8) {
        self.value = self
            .value
            .wrapping_mul(10)
            .wrapping_add(u64::from(d - b'0'));
        self.count = self.count.saturating_add(1);
    }

    /// `value × 10^exponent` when both factors are exact in an `f64` (the value at most
    /// 2^53, the power at most 10^22): then one multiplication or division rounds
    /// correctly, as Rust's and serde_json's parsers do (Clinger's fast path, which
    /// Rust's parser also takes first). `None` for any other, for the full parser.
    fn exact_float(&self, exponent: i64) -> Option<f64> {
        if self.count > 19 || self.value > 1 << 53 || !(-22..=22).contains(&exponent) {
            return None;
        }
        let power = POWERS_OF_TEN[exponent.unsigned_abs() as usize];
        let value = self.value as f64;
        Some(if exponent < 0 {
            value / power
        } else {
            value * power
        })
    }
}

/// 10^0 to 10^22, each exact in an `f64`.
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// One of 64 bits for `key`, from its length and its first and last bytes: equal keys get
/// the same bit.
fn key_bit(key: &str) -> u64 {
    let b = key.as_bytes();
    let (first, last) = (b.first().copied(), b.last().copied());
    let h = b
        .len()
        .wrapping_mul(7)
        .wrapping_add(usize::from(first.unwrap_or(0)))
        .wrapping_add(usize::from(last.unwrap_or(0)).wrapping_mul(3));
    1 << (h % 64)
}

/// Where in `b`, from `from` on, the first byte is that ends a plain string: a quote, a
/// backslash or a control character. Eight bytes at a time, inline: most strings are
/// keys of a few bytes, and a byte loop (or a call to memchr) cost as much as all of
/// serde_json's parse.
#[inline(always)]
fn stop(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let hit = escape::hits(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|&c| escape::escaped(c))
        .map(|at| i + at)
}

#[cfg(test)]
mod tests;
