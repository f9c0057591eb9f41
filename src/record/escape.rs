//! Which bytes a JSON string cannot hold as they are: `"`, `\` and the control characters
//! below U+0020. Both directions use it: the High Mobility reader (`fast_json.rs`) to find
//! where a plain string ends, and the record's JSON line to know a string needs no escape.
//!
//! Eight bytes at a time: the strings are short (keys, catalogue paths, units, ids), and
//! a byte loop, or the compiler's vectorized loop with its byte-by-byte tail, cost more
//! than the rest of the work on them.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// A mask with the high bit of each byte of `w` (little-endian) that must be escaped set,
/// and possibly of bytes above the first such one: the lowest set bit is exact, so
/// `trailing_zeros() / 8` is the first such byte, and the mask is 0 iff there is none.
#[inline]
pub(crate) fn hits(w: u64) -> u64 {
    let quote = w ^ (ONES * u64::from(b'"'));
    let slash = w ^ (ONES * u64::from(b'\\'));
    ((quote.wrapping_sub(ONES) & !quote)
        | (slash.wrapping_sub(ONES) & !slash)
        | (w.wrapping_sub(ONES * 0x20) & !w))
        & HIGH
}

/// Whether byte `c` must be escaped.
#[inline]
pub(crate) fn escaped(c: u8) -> bool {
    c == b'"' || c == b'\\' || c < 0x20
}

/// Whether `s` holds a byte that must be escaped. Whole words, the last one overlapping
/// the one before (no copy into a padded word: that was a `memcpy` call per string).
#[inline]
pub(crate) fn needs_escape(s: &[u8]) -> bool {
    let Some(last) = s.last_chunk::<8>() else {
        return s.iter().fold(false, |hit, &c| hit | escaped(c));
    };
    let mut hit = hits(u64::from_le_bytes(*last));
    for chunk in s.chunks_exact(8) {
        hit |= hits(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
    }
    hit != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every byte value at every position of strings up to 24 bytes long.
    #[test]
    fn each_byte_anywhere_is_found_as_the_byte_loop_finds_it() {
        for len in 1..=24 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut s = vec![b'a'; len];
                    s[at] = byte;
                    assert_eq!(needs_escape(&s), escaped(byte), "{len} {at} {byte:#x}");
                    if len >= 8 && at < 8 {
                        let w = u64::from_le_bytes(s[..8].try_into().unwrap());
                        let first = (hits(w) != 0).then(|| hits(w).trailing_zeros() / 8);
                        assert_eq!(first, escaped(byte).then_some(at as u32));
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn any_text_agrees_with_the_byte_loop(s in "\\PC{0,40}|[\\x00-\\x7f]{0,40}") {
            prop_assert_eq!(needs_escape(s.as_bytes()), s.bytes().any(escaped));
        }
    }
}
