//! The origins (`capability.property[location]`) earlier messages made, shared with the
//! next message that names them.

use std::cell::RefCell;
use std::sync::Arc;

/// `parts` joined, as the `Arc` an earlier message on this thread made when it is still
/// cached: on a hit nothing is joined or allocated.
pub fn origin(parts: &[&str]) -> Arc<str> {
    ORIGINS.with_borrow_mut(|origins| origins.get(parts))
}

thread_local! {
    /// The origins earlier messages made, so the next message shares them: a fleet's
    /// messages name the same few dozen `capability.property[location]`s over and over,
    /// and building each as a new `Arc` (and freeing it with its record) cost ~1.5k
    /// instructions a drained message.
    static ORIGINS: RefCell<Interned> = RefCell::new(Interned::default());
}

/// A direct-mapped cache of strings: a slot per hash, a newer string displacing an older
/// one that hashed alike. Bounded (`SLOTS` strings of up to `LONGEST` bytes), and a miss costs what building the
/// string always did. The hash is over the parts, so the same text split differently
/// may take another slot: a miss, never a wrong answer (slots are compared by text).
struct Interned {
    slots: Vec<Option<Arc<str>>>,
    hasher: foldhash::fast::FixedState,
}

const SLOTS: usize = 512;
/// Longer strings (a location a payload made up) are built and not kept.
const LONGEST: usize = 128;

impl Default for Interned {
    fn default() -> Self {
        Interned {
            slots: vec![None; SLOTS],
            hasher: foldhash::fast::FixedState::default(),
        }
    }
}

impl Interned {
    fn get(&mut self, parts: &[&str]) -> Arc<str> {
        use std::hash::{BuildHasher, Hasher};
        if parts.iter().map(|p| p.len()).sum::<usize>() > LONGEST {
            return Arc::from(parts.concat());
        }
        let mut h = self.hasher.build_hasher();
        for p in parts {
            h.write(p.as_bytes());
        }
        let slot = &mut self.slots[h.finish() as usize % SLOTS];
        match slot {
            Some(s) if is_joined(s, parts) => s.clone(),
            _ => slot.insert(Arc::from(parts.concat())).clone(),
        }
    }
}

/// Whether `text` is `parts` joined.
fn is_joined(text: &str, parts: &[&str]) -> bool {
    let mut rest = text;
    for p in parts {
        match rest.strip_prefix(p) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_made_again_is_the_one_made_before() {
        let a = origin(&["charging", ".", "battery_level"]);
        let b = origin(&[&String::from("charging"), ".", "battery_level"]);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(
            &*origin(&["diagnostics", ".", "tire_pressures", "[", "front_left", "]"]),
            "diagnostics.tire_pressures[front_left]"
        );
    }

    #[test]
    fn strings_that_share_a_slot_displace_each_other_and_stay_right() {
        let mut cache = Interned::default();
        let texts: Vec<String> = (0..SLOTS * 4).map(|i| format!("cap.prop[{i}]")).collect();
        for _ in 0..2 {
            for t in &texts {
                let (cap, prop) = t.split_at(4);
                assert_eq!(&*cache.get(&[cap, prop]), t.as_str());
                assert_eq!(&*cache.get(&[t]), t.as_str());
            }
        }
        // no more strings than slots, each one of those made
        let held: Vec<&Arc<str>> = cache.slots.iter().flatten().collect();
        assert!(held.len() > SLOTS / 2, "{}", held.len());
        assert!(held.iter().all(|s| texts.iter().any(|t| **t == ***s)));
        assert_eq!(cache.slots.len(), SLOTS);
    }

    #[test]
    fn only_the_whole_joined_text_matches() {
        assert!(is_joined("a.b[c]", &["a", ".", "b", "[", "c", "]"]));
        assert!(is_joined("a.b", &["a.", "b"]));
        assert!(!is_joined("a.bc", &["a", ".", "b"]));
        assert!(!is_joined("a.b", &["a", ".", "bc"]));
        assert!(!is_joined("a.b", &["a", ":", "b"]));
        assert!(is_joined("", &[]));
    }

    #[test]
    fn long_strings_are_built_but_not_kept() {
        let mut cache = Interned::default();
        let long = "x".repeat(LONGEST + 1);
        let a = cache.get(&["cap", ".", &long]);
        assert_eq!(&*a, format!("cap.{long}"));
        assert!(cache.slots.iter().all(Option::is_none));
        let short = cache.get(&["cap", ".", "prop"]);
        assert!(Arc::ptr_eq(&short, &cache.get(&["cap", ".", "prop"])));
    }
}
