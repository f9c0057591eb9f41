//! The window's ids in memory, as fingerprints: which sequence numbers might hold an id.
//!
//! Why: with ids as B-tree keys every new id lands in a random leaf, so a commit wrote
//! and checksummed about one 4 KiB page per id, and the window cost half the daemon's CPU
//! in a drain (docs/performance.md). The ids are now stored by sequence number, which
//! only ever appends, and this table finds them: an id hashes to a 32-bit tag, the tag
//! to a slot; the slot keeps the tag and the low 32 bits of the id's sequence number.
//!
//! A tag match is only a candidate: the caller reads the stored id at that sequence
//! number and compares it, so the window stays exact whatever collides. New ids (the
//! common case) are answered here without touching the disk; a false candidate costs
//! one read about once in 2^31 / (ids held) lookups.
//!
//! Open addressing with linear probing in one `Vec<u64>` (8 bytes a slot, 5/3 slots per
//! id of capacity: ~13 bytes per id), never more than 3/4 full. Entries are not removed
//! one by one: when the table is full, [`Index::retain`] drops the dead ones in one pass.

use std::hash::BuildHasher;

/// Slots per id of capacity: 5/3 keeps the table at most 3/4 full with 1.25 × capacity
/// entries, live and not yet swept.
const SLOTS_PER_ID: (usize, usize) = (5, 3);

/// A `(tag, seq)` for [`Index::insert_all`], packed as a slot is (8 bytes, not 16: a full
/// window's million of them are held at once while it opens).
pub(super) struct Entry(u64);

impl Entry {
    pub(super) fn new(tag: u32, seq: u64) -> Entry {
        Entry(u64::from(tag) << 32 | (seq & 0xffff_ffff))
    }
}

pub(super) struct Index {
    /// 0: empty. Otherwise `tag << 32 | seq as u32`, `tag != 0`.
    slots: Vec<u64>,
    len: usize,
    /// Entries allowed before [`Index::is_full`].
    max_len: usize,
    keys: Keys,
}

/// How ids are hashed: a random seed per index (kept with it when it is saved, see
/// `snapshot.rs`), or, in tests, one tag for every id so that each lookup has to tell
/// candidates apart. foldhash's quality variant (its high 32 bits are the tag), not std's
/// SipHash: every id is hashed at each lookup and record, and all of them when the index
/// is rebuilt on open (~1M hashes for a full window).
enum Keys {
    Seeded(u64, foldhash::quality::FixedState),
    #[cfg(test)]
    Colliding,
}

impl Keys {
    fn seeded(seed: u64) -> Keys {
        Keys::Seeded(seed, foldhash::quality::FixedState::with_seed(seed))
    }
}

impl Index {
    /// Room for `capacity` live ids and a quarter as many dead ones.
    pub(super) fn new(capacity: u64) -> Index {
        Self::with_keys(capacity, Keys::seeded(fastrand::u64(..)))
    }

    #[cfg(test)]
    pub(super) fn colliding(capacity: u64) -> Index {
        Self::with_keys(capacity, Keys::Colliding)
    }

    fn with_keys(capacity: u64, keys: Keys) -> Index {
        let capacity = usize::try_from(capacity).unwrap_or(usize::MAX);
        let n = capacity
            .saturating_mul(SLOTS_PER_ID.0)
            .div_euclid(SLOTS_PER_ID.1)
            .max(16);
        Index {
            // zeroed pages are only resident once written to
            slots: vec![0; n],
            len: 0,
            max_len: n / 4 * 3,
            keys,
        }
    }

    /// The tag of `id`: never 0 (0 marks an empty slot).
    pub(super) fn tag(&self, id: &str) -> u32 {
        let h = match &self.keys {
            Keys::Seeded(_, k) => k.hash_one(id),
            #[cfg(test)]
            Keys::Colliding => 7 << 32,
        };
        ((h >> 32) as u32).max(1)
    }

    /// The low 32 bits of the sequence numbers stored under `tag`: candidates for the id.
    pub(super) fn candidates(&self, tag: u32) -> impl Iterator<Item = u32> + '_ {
        let n = self.slots.len();
        let home = self.home(tag);
        (0..n)
            .map(move |k| self.slots[(home + k) % n])
            .take_while(|&s| s != 0)
            .filter(move |&s| (s >> 32) as u32 == tag)
            .map(|s| s as u32)
    }

    /// Call [`Index::retain`] first when [`Index::is_full`].
    pub(super) fn insert(&mut self, tag: u32, seq: u64) {
        assert!(
            !self.is_full(),
            "the dedup index must be swept before it fills"
        );
        let slot = u64::from(tag) << 32 | (seq & 0xffff_ffff);
        let i = self.free_slot(self.home(tag));
        self.slots[i] = slot;
        self.len += 1;
    }

    /// Insert many entries at once, as [`Index::insert`] would one by one, in the
    /// order of their home slots. Why: opening a full window inserts 1,000,000 entries,
    /// and in id order each probe landed on a random slot of the 13 MiB table (a cache
    /// and TLB miss apiece: ~85 % of the open's time); in home order the probes walk the
    /// table front to back. Any order leaves every entry reachable from its home.
    pub(super) fn insert_all(&mut self, mut entries: Vec<Entry>) {
        // the home slot grows with the tag, an entry's high half
        entries.sort_unstable_by_key(|e| e.0);
        for Entry(slot) in entries {
            self.insert((slot >> 32) as u32, slot & 0xffff_ffff);
        }
    }

    /// What a saved index holds: its seed, its entry count and its slots; `None` for an
    /// index whose keys cannot be saved (tests').
    pub(super) fn parts(&self) -> Option<(u64, usize, &[u64])> {
        match self.keys {
            Keys::Seeded(seed, _) => Some((seed, self.len, &self.slots)),
            #[cfg(test)]
            Keys::Colliding => None,
        }
    }

    /// Whether a saved index of `slots` slots can be taken into this one.
    pub(super) fn can_restore(&self, slots: usize) -> bool {
        matches!(self.keys, Keys::Seeded(..)) && slots == self.slots.len()
    }

    /// Empties this index and hashes with `seed` from now on: the start of a restore, or
    /// the undoing of one that failed. Its zeroed pages are resident only once written.
    pub(super) fn reset(&mut self, seed: u64) {
        self.keys = Keys::seeded(seed);
        self.slots = vec![0; self.slots.len()];
        self.len = 0;
    }

    /// Puts a saved slot back at `at`; false if that cannot be a saved slot of this index
    /// (out of range, empty, taken, or one entry too many).
    pub(super) fn put(&mut self, at: usize, slot: u64) -> bool {
        match self.slots.get_mut(at) {
            Some(s) if *s == 0 && slot != 0 && self.len < self.max_len => {
                *s = slot;
                self.len += 1;
                true
            }
            _ => false,
        }
    }

    pub(super) fn is_full(&self) -> bool {
        self.len >= self.max_len
    }

    /// Keep only the entries whose sequence number (its low 32 bits) `keep` accepts.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(u32) -> bool) {
        // A slot that is empty now, before any removal: no probe path crosses it.
        let start = self
            .slots
            .iter()
            .position(|&s| s == 0)
            .expect("the index is never full");
        for s in &mut self.slots {
            if *s != 0 && !keep(*s as u32) {
                *s = 0;
                self.len -= 1;
            }
        }
        // A removed entry may have cut another's probe path: re-place every entry, in
        // slot order from `start`, so each lands at the first free slot from its home
        // (at or before where it was). Starting at a slot a removal emptied would be
        // wrong: an entry whose path crossed it would be placed before the entries
        // behind `start` moved up, and their moving would cut its path again.
        let n = self.slots.len();
        for k in 1..=n {
            let i = (start + k) % n;
            let s = std::mem::take(&mut self.slots[i]);
            if s != 0 {
                let j = self.free_slot(self.home((s >> 32) as u32));
                self.slots[j] = s;
            }
        }
    }

    fn home(&self, tag: u32) -> usize {
        ((u64::from(tag) * self.slots.len() as u64) >> 32) as usize
    }

    fn free_slot(&self, from: usize) -> usize {
        let n = self.slots.len();
        (0..n)
            .map(|k| (from + k) % n)
            .find(|&i| self.slots[i] == 0)
            .expect("the index is never full")
    }
}

/// The sequence number whose low 32 bits are `low`, the newest one below `next_seq`.
/// Exact for the live window (fewer than 2^32 ids); an older entry maps to a wrong
/// number, whose stored id then does not match.
pub(super) fn full_seq(low: u32, next_seq: u64) -> u64 {
    let back = u64::from((next_seq as u32).wrapping_sub(low));
    let back = if back == 0 { 1 << 32 } else { back };
    next_seq.wrapping_sub(back)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs(ix: &Index, id: &str) -> Vec<u32> {
        ix.candidates(ix.tag(id)).collect()
    }

    #[test]
    fn finds_what_was_inserted_and_not_what_was_not() {
        let mut ix = Index::new(1_000);
        for i in 0..1_000u64 {
            ix.insert(ix.tag(&format!("id{i}")), i);
        }
        for i in 0..1_000u64 {
            assert!(seqs(&ix, &format!("id{i}")).contains(&(i as u32)));
        }
        let false_candidates: usize = (0..10_000)
            .map(|i| seqs(&ix, &format!("other{i}")).len())
            .sum();
        assert_eq!(false_candidates, 0);
    }

    #[test]
    fn retain_keeps_every_survivor_findable() {
        // colliding tags: one long cluster, the worst case for re-placing
        let mut ix = Index::colliding(100);
        let tag = ix.tag("x");
        for seq in 0..100 {
            ix.insert(tag, seq);
        }
        ix.retain(|s| s % 3 == 0);
        let mut left: Vec<u32> = ix.candidates(tag).collect();
        left.sort_unstable();
        assert_eq!(left, (0..100).filter(|s| s % 3 == 0).collect::<Vec<_>>());
        assert_eq!(ix.len, 34);
        // and spread tags, with clusters wrapping past the end of the table: each index
        // has keys of its own, so this tries many layouts
        for _ in 0..50 {
            let mut ix = Index::new(1_000);
            let tags: Vec<u32> = (0..1_200).map(|i| ix.tag(&format!("id{i}"))).collect();
            for (seq, &t) in tags.iter().enumerate() {
                ix.insert(t, seq as u64);
            }
            ix.retain(|s| s >= 600);
            for (seq, &t) in tags.iter().enumerate() {
                let found = ix.candidates(t).any(|s| s == seq as u32);
                assert_eq!(found, seq >= 600, "seq {seq}");
            }
        }
    }

    #[test]
    fn insert_all_finds_what_insert_finds_and_the_same_count() {
        // spread tags (clusters wrapping past the end, many layouts), every seventh entry
        // in one colliding cluster, entries given in seq order (as a window's log holds
        // them), and seqs past 2^32 (only the low half is kept)
        for round in 0..50u64 {
            let mut one = Index::new(1_000);
            let mut all = Index::new(1_000);
            let spread: Vec<u32> = (0..1_000)
                .map(|i| all.tag(&format!("id{round}.{i}")))
                .collect();
            let tag = |i: usize| {
                if i.is_multiple_of(7) {
                    spread[0]
                } else {
                    spread[i]
                }
            };
            let seq = |i: usize| i as u64 + (round << 32);
            let mut entries = Vec::new();
            for i in 0..spread.len() {
                one.insert(tag(i), seq(i));
                entries.push(Entry::new(tag(i), seq(i)));
            }
            all.insert_all(entries);
            assert_eq!(all.len, one.len);
            for i in 0..spread.len() {
                let mut a: Vec<u32> = all.candidates(tag(i)).collect();
                let mut b: Vec<u32> = one.candidates(tag(i)).collect();
                assert!(a.contains(&(i as u32)), "entry {i}");
                a.sort_unstable();
                b.sort_unstable();
                assert_eq!(a, b, "entry {i}");
            }
        }
    }

    /// A tag whose home slot is `home` in `ix`.
    fn tag_at(ix: &Index, home: usize) -> u32 {
        let n = ix.slots.len() as u64;
        let tag = ((home as u64) << 32).div_ceil(n) as u32;
        assert_eq!(ix.home(tag), home);
        tag
    }

    #[test]
    fn retain_keeps_paths_that_cross_the_first_emptied_slot() {
        // Slots n-3 .. 2 hold w (dead), a, b, x (dead) — all homed at n-3 — then f
        // (home n-1) and e (home n-2). Once w and x are gone, slot 0 is the lowest empty
        // slot, and the paths of f and e cross it: re-placing from there put e at 1 and
        // then moved f from 0 to n-1, which left e unreachable.
        let mut ix = Index::new(30);
        let n = ix.slots.len();
        let (h3, h2, h1) = (tag_at(&ix, n - 3), tag_at(&ix, n - 2), tag_at(&ix, n - 1));
        for seq in [100, 1, 2, 101] {
            ix.insert(h3, seq); // w, a, b, x
        }
        ix.insert(h1, 3); // f
        ix.insert(h2, 4); // e
        assert_eq!(ix.slots[2] as u32, 4, "e sits at slot 2");
        ix.retain(|s| s < 100);
        let mut left: Vec<u32> = ix.candidates(h3).collect();
        left.sort_unstable();
        assert_eq!(left, [1, 2]);
        assert_eq!(ix.candidates(h1).collect::<Vec<_>>(), [3]);
        assert_eq!(ix.candidates(h2).collect::<Vec<_>>(), [4]);
    }

    #[test]
    fn fills_at_three_quarters() {
        let mut ix = Index::new(30);
        let mut seq = 0;
        while !ix.is_full() {
            ix.insert(ix.tag(&seq.to_string()), seq);
            seq += 1;
        }
        assert_eq!(seq, 36); // 50 slots, 3/4 of 48
        ix.retain(|s| s >= 30);
        assert!(!ix.is_full());
    }

    #[test]
    fn full_seq_restores_the_high_bits() {
        assert_eq!(full_seq(5, 10), 5);
        assert_eq!(full_seq(9, 10), 9);
        let next = (3u64 << 32) + 10;
        assert_eq!(full_seq(5, next), (3 << 32) + 5);
        assert_eq!(full_seq(u32::MAX, next), (3 << 32) - 1);
        // 2^32 back is the oldest it can name
        assert_eq!(full_seq(10, next), 2 << 32 | 10);
    }
}
