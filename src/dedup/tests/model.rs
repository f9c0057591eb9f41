//! The window against a model: a queue in insertion order, as the first in-memory
//! window kept it.

use super::*;
use proptest::prelude::*;

const ALPHABET: usize = 12;

#[derive(Debug, Clone)]
enum Op {
    /// Move the clock by this many seconds (may be negative), then record these ids.
    Record(i64, Vec<usize>),
    /// Reopen the file, with this capacity.
    Reopen(usize),
}

fn op(reopen: bool) -> impl Strategy<Value = Op> {
    let record = (-5i64..20, proptest::collection::vec(0..ALPHABET, 0..8))
        .prop_map(|(dt, ids)| Op::Record(dt, ids));
    let reopen_weight = if reopen { 1 } else { 0 };
    prop_oneof![
        8 => record,
        reopen_weight => (1usize..8).prop_map(Op::Reopen),
    ]
}

fn check(
    w: &DedupWindow,
    m: &Model,
    names: &[String],
    now: SystemTime,
    ttl_ms: u64,
) -> Result<(), TestCaseError> {
    let got = w.delivered(&refs(names), now).unwrap();
    let want: Vec<bool> = names
        .iter()
        .map(|id| m.delivered(id, to_ms(now), ttl_ms))
        .collect();
    prop_assert_eq!(got, want);
    prop_assert_eq!(w.len(), m.queue.len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Small capacities start and delete generations constantly; the clock jumps
    /// back and forth across the ttl. With `colliding`, every id has the same
    /// fingerprint: only the stored ids tell them apart.
    #[test]
    fn in_memory_matches_the_model(
        colliding in any::<bool>(),
        ttl_s in 1u64..30,
        capacity in 1usize..8,
        ops in proptest::collection::vec(op(false), 1..60),
    ) {
        let names = ids(ALPHABET, "id");
        let ttl_ms = ttl_s * 1000;
        let index = if colliding { Index::colliding } else { Index::new };
        let mut w = DedupWindow::in_memory_with(Duration::from_secs(ttl_s), capacity, index);
        let mut m = Model::default();
        let mut clock: i64 = 1_000;
        for op in ops {
            let Op::Record(dt, batch) = op else { continue };
            clock = (clock + dt).max(0);
            let now = t(clock as u64);
            let batch: Vec<&str> = batch.iter().map(|&i| names[i].as_str()).collect();
            w.record(&batch, now).unwrap();
            m.record(&batch, to_ms(now), ttl_ms, capacity);
            check(&w, &m, &names, now, ttl_ms)?;
            // and a little later, without a record in between
            let later = now + Duration::from_secs(ttl_s / 2 + 1);
            check(&w, &m, &names, later, ttl_ms)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// On disk with restarts, which may change the capacity. The ttl is long enough
    /// that the real clock, which a reopen evicts with, expires nothing.
    #[test]
    fn on_disk_across_reopens_matches_the_model(
        colliding in any::<bool>(),
        capacity in 1usize..8,
        ops in proptest::collection::vec(op(true), 1..40),
    ) {
        let names = ids(ALPHABET, "id");
        let ttl_ms = HOUR.as_millis() as u64;
        let dir = tempfile::tempdir().unwrap();
        let mut capacity = capacity;
        let index = if colliding { Index::colliding } else { Index::new };
        let mut w = DedupWindow::open_with(dir.path(), HOUR, capacity, index).unwrap();
        let mut m = Model::default();
        let mut clock: i64 = 0;
        for op in ops {
            match op {
                Op::Record(dt, batch) => {
                    clock = (clock + dt).max(0);
                    let batch: Vec<&str> =
                        batch.iter().map(|&i| names[i].as_str()).collect();
                    w.record(&batch, t(clock as u64)).unwrap();
                    m.record(&batch, to_ms(t(clock as u64)), ttl_ms, capacity);
                }
                Op::Reopen(c) => {
                    drop(w);
                    capacity = c;
                    w = DedupWindow::open_with(dir.path(), HOUR, capacity, index).unwrap();
                    m.trim(capacity);
                }
            }
            check(&w, &m, &names, t(clock as u64), ttl_ms)?;
        }
    }
}

/// The window as the old in-memory code kept it: a queue in insertion (= expiry)
/// order, expired ids evicted before a record, the oldest beyond capacity after each
/// admission.
#[derive(Debug, Default)]
struct Model {
    queue: std::collections::VecDeque<(String, u64)>,
    newest_ms: u64,
}

impl Model {
    fn expire(&mut self, now_ms: u64, ttl_ms: u64) {
        while self
            .queue
            .front()
            .is_some_and(|(_, at)| now_ms.saturating_sub(*at) >= ttl_ms)
        {
            self.queue.pop_front();
        }
    }

    fn trim(&mut self, capacity: usize) {
        while self.queue.len() > capacity {
            self.queue.pop_front();
        }
    }

    fn record(&mut self, ids: &[&str], now_ms: u64, ttl_ms: u64, capacity: usize) {
        if ids.is_empty() {
            return;
        }
        self.expire(now_ms, ttl_ms);
        let stamp = now_ms.max(self.newest_ms);
        for id in ids {
            if self.queue.iter().any(|(x, _)| x == id) {
                continue;
            }
            self.queue.push_back((id.to_string(), stamp));
            self.newest_ms = stamp;
            self.trim(capacity);
        }
    }

    fn delivered(&self, id: &str, now_ms: u64, ttl_ms: u64) -> bool {
        self.queue
            .iter()
            .any(|(x, at)| x == id && now_ms.saturating_sub(*at) < ttl_ms)
    }
}
