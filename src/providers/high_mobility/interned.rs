//! The origins (`capability.property[location]`) earlier messages made, shared with the
//! next message that names them.

use std::cell::RefCell;
use std::sync::Arc;

/// `text` as an `Arc`, the one an earlier message on this thread made when it is still
/// cached.
pub fn origin(text: &str) -> Arc<str> {
    ORIGINS.with_borrow_mut(|origins| origins.get(text))
}

thread_local! {
    /// The origins earlier messages made, so the next message shares them: a fleet's
    /// messages name the same few dozen `capability.property[location]`s over and over,
    /// and building each as a new `Arc` (and freeing it with its record) cost ~1.5k
    /// instructions a drained message.
    static ORIGINS: RefCell<Interned> = RefCell::new(Interned::default());
}

/// A direct-mapped cache of strings: a slot per hash, a newer string displacing an older
/// one that hashed alike. Bounded (`SLOTS` strings of up to 128 bytes), and a miss costs
/// what building the string always did.
struct Interned {
    slots: Vec<Option<Arc<str>>>,
    hasher: foldhash::fast::FixedState,
}

const SLOTS: usize = 512;

impl Default for Interned {
    fn default() -> Self {
        Interned {
            slots: vec![None; SLOTS],
            hasher: foldhash::fast::FixedState::default(),
        }
    }
}

impl Interned {
    fn get(&mut self, text: &str) -> Arc<str> {
        use std::hash::BuildHasher;
        let slot = &mut self.slots[self.hasher.hash_one(text) as usize % SLOTS];
        match slot {
            Some(s) if **s == *text => s.clone(),
            _ => slot.insert(Arc::from(text)).clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_made_again_is_the_one_made_before() {
        let a = origin("charging.battery_level");
        let b = origin(&String::from("charging.battery_level"));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(
            &*origin("diagnostics.tire_pressures[front_left]"),
            "diagnostics.tire_pressures[front_left]"
        );
    }

    #[test]
    fn strings_that_share_a_slot_displace_each_other_and_stay_right() {
        let mut cache = Interned::default();
        let texts: Vec<String> = (0..SLOTS * 4).map(|i| format!("cap.prop[{i}]")).collect();
        for _ in 0..2 {
            for t in &texts {
                assert_eq!(&*cache.get(t), t.as_str());
            }
        }
        // no more strings than slots, each one of those made
        let held: Vec<&Arc<str>> = cache.slots.iter().flatten().collect();
        assert!(held.len() > SLOTS / 2, "{}", held.len());
        assert!(held.iter().all(|s| texts.iter().any(|t| **t == ***s)));
        assert_eq!(cache.slots.len(), SLOTS);
    }
}
