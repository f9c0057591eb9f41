//! The dedup window: ids of records every sink accepted, remembered for `ttl`, at most
//! `capacity` of them, oldest evicted first. Exact by design: a probabilistic filter
//! could refuse a new id (loss) or forget a recent one (duplicate).
//!
//! In memory for now; ids enter only after delivery, so a crash can cause a duplicate
//! but never a loss.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct DedupWindow {
    ttl: Duration,
    capacity: usize,
    seen: HashMap<Arc<str>, Instant>,
    /// Insertion order, which is also expiry order (every id gets the same ttl).
    order: VecDeque<(Arc<str>, Instant)>,
}

impl DedupWindow {
    pub fn new(ttl: Duration, capacity: usize) -> DedupWindow {
        assert!(capacity > 0, "dedup capacity must be at least 1");
        DedupWindow {
            ttl,
            capacity,
            seen: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Was `id` delivered within the window?
    pub fn contains(&mut self, id: &str, now: Instant) -> bool {
        self.expire(now);
        self.seen.contains_key(id)
    }

    /// Remember `id` as delivered at `now`.
    pub fn insert(&mut self, id: &str, now: Instant) {
        self.expire(now);
        if self.seen.contains_key(id) {
            return;
        }
        while self.seen.len() >= self.capacity {
            self.evict_oldest();
        }
        let key: Arc<str> = Arc::from(id);
        self.seen.insert(key.clone(), now);
        self.order.push_back((key, now));
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    fn expire(&mut self, now: Instant) {
        while let Some((_, at)) = self.order.front() {
            if now.saturating_duration_since(*at) < self.ttl {
                break;
            }
            self.evict_oldest();
        }
    }

    fn evict_oldest(&mut self) {
        if let Some((id, _)) = self.order.pop_front() {
            self.seen.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_within_ttl_and_forgets_after() {
        let t0 = Instant::now();
        let mut w = DedupWindow::new(Duration::from_secs(10), 100);
        w.insert("a", t0);
        assert!(w.contains("a", t0 + Duration::from_secs(9)));
        assert!(!w.contains("a", t0 + Duration::from_secs(10)));
        assert!(w.is_empty());
    }

    #[test]
    fn evicts_oldest_first_at_capacity_and_always_admits_new_ids() {
        let t0 = Instant::now();
        let mut w = DedupWindow::new(Duration::from_secs(3600), 3);
        for id in ["a", "b", "c", "d"] {
            w.insert(id, t0);
        }
        assert_eq!(w.len(), 3);
        assert!(!w.contains("a", t0));
        for id in ["b", "c", "d"] {
            assert!(w.contains(id, t0), "{id}");
        }
    }

    #[test]
    fn reinserting_does_not_duplicate() {
        let t0 = Instant::now();
        let mut w = DedupWindow::new(Duration::from_secs(60), 2);
        w.insert("a", t0);
        w.insert("a", t0);
        w.insert("b", t0);
        assert!(w.contains("a", t0) && w.contains("b", t0));
    }
}
