//! Recording ids: one durable write transaction per call, which evicts what the ttl and
//! the capacity no longer allow, appends the new ids, and then publishes them to the
//! index (only after the commit, so a lookup never names an id the file may not hold).

use super::row::{self, ROW_IDS};
use super::state::{to_ms, State};
use super::tables::{gen_name, row_table, BATCHES, GENS, META};
use super::DedupWindow;
use redb::{ReadableTable, WriteTransaction};
use std::collections::HashMap;
use std::time::SystemTime;

impl DedupWindow {
    /// Record `ids` as delivered at `now`, durably (one write transaction, fsync'd)
    /// before returning. In the same transaction expired ids are evicted, then each new id
    /// is admitted, evicting the oldest beyond `capacity` — a new id is always admitted.
    /// An id already in the window is left as it is (not refreshed). On error nothing is
    /// recorded. No ids: nothing is done (no transaction).
    /// A failure closes the database; the next use opens it again ([`super::store`]).
    pub fn record(&mut self, ids: &[&str], now: SystemTime) -> Result<(), String> {
        if ids.is_empty() {
            return Ok(());
        }
        let recorded = self.record_once(ids, now);
        if recorded.is_err() {
            self.db.close();
        }
        recorded
    }

    fn record_once(&mut self, ids: &[&str], now: SystemTime) -> Result<(), String> {
        self.db
            .ensure_open(&self.shared)
            .map_err(|e| self.fail("open", e))?;
        #[cfg(test)]
        if std::mem::take(&mut self.write().fail_next_record) {
            return Err(self.fail("commit", "injected failure"));
        }
        let now_ms = to_ms(now);
        let shared = self.read();
        let mut s = shared.state.clone();
        // never older than what is already there: recorded-at never decreases with seq
        let stamp = now_ms.max(s.newest_ms);
        let txn = self
            .db
            .begin_write()
            .map_err(|e| self.fail("begin write", e))?;
        self.evict(&txn, &mut s, now_ms)?;
        let first_seq = s.next_seq;
        // the admitted ids, which take `first_seq..next_seq` in order, and their tags, for
        // the index once committed
        let mut admitted = Vec::with_capacity(ids.len());
        let mut tags = Vec::with_capacity(ids.len());
        // ids admitted by this call, which the index does not hold yet
        let mut fresh: HashMap<&str, u64, foldhash::fast::RandomState> =
            HashMap::with_capacity_and_hasher(ids.len(), Default::default());
        {
            let mut tables = s
                .gens
                .iter()
                .map(|g| txn.open_table(row_table(&gen_name(g.0))))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.fail("open generation", e))?;
            for &id in ids {
                // after `evict`, every id at or above the floor is live: nothing to refresh
                if fresh.get(id).is_some_and(|&seq| seq >= s.floor) {
                    continue;
                }
                let tag = shared.index.tag(id);
                let mut live = false;
                for (g, seq) in s.candidates(&shared.index, tag) {
                    let stored =
                        row::holds(&tables[g], seq, id).map_err(|e| self.fail("read", e))?;
                    if stored.is_some() {
                        live = true;
                        break;
                    }
                }
                if live {
                    continue;
                }
                let full = s
                    .gens
                    .last()
                    .is_none_or(|&(_, start)| s.next_seq - start >= self.gen_size);
                if full {
                    let n = s.gens.last().map_or(0, |g| g.0 + 1);
                    s.gens.push((n, s.next_seq));
                    let table = txn
                        .open_table(row_table(&gen_name(n)))
                        .map_err(|e| self.fail("open generation", e))?;
                    tables.push(table);
                }
                admitted.push(id);
                tags.push(tag);
                fresh.insert(id, s.next_seq);
                s.next_seq += 1;
                // exact capacity, id by id: a repeat later in this batch sees the eviction
                s.floor = s.floor.max(s.next_seq.saturating_sub(self.capacity));
            }
            // the admitted ids hold `first_seq..next_seq`: rows of them, none across a
            // generation's start
            let mut i = 0;
            while i < admitted.len() {
                let seq = first_seq + i as u64;
                let g = s.gen_of(seq).expect("an admitted id's generation exists");
                let gen_end = s.gens.get(g + 1).map_or(u64::MAX, |next| next.1);
                let n = (admitted.len() - i)
                    .min(ROW_IDS)
                    .min(usize::try_from(gen_end - seq).unwrap_or(usize::MAX));
                tables[g]
                    .insert(seq, (row::encode(&admitted[i..i + n]).as_slice(), stamp))
                    .map_err(|e| self.fail("write", e))?;
                i += n;
            }
        }
        drop(shared);
        if s.next_seq > first_seq {
            let mut batches = txn
                .open_table(BATCHES)
                .map_err(|e| self.fail("open batches", e))?;
            batches
                .insert(first_seq, stamp)
                .map_err(|e| self.fail("write batches", e))?;
            s.newest_ms = stamp;
        }
        self.evict(&txn, &mut s, now_ms)?;
        self.save(&txn, &s)?;
        txn.commit().map_err(|e| self.fail("commit", e))?;
        let mut shared = self.write();
        for (tag, seq) in tags.into_iter().zip(first_seq..) {
            if shared.index.is_full() {
                shared.index.retain(|low| s.live_seq(low).is_some());
            }
            shared.index.insert(tag, seq);
        }
        shared.state = s;
        Ok(())
    }

    /// Moves `floor` past expired ids and below-capacity ones, forgets the batches below
    /// it, and deletes the generations wholly below it.
    pub(super) fn evict(
        &self,
        txn: &WriteTransaction,
        s: &mut State,
        now_ms: u64,
    ) -> Result<(), String> {
        s.floor = s.floor.max(s.next_seq.saturating_sub(self.capacity));
        let mut batches = txn
            .open_table(BATCHES)
            .map_err(|e| self.fail("open batches", e))?;
        loop {
            let (start_at, end) = {
                let mut it = batches.iter().map_err(|e| self.fail("read batches", e))?;
                let Some(first) = it.next() else { break };
                let (_, at) = first.map_err(|e| self.fail("read batches", e))?;
                let end = match it.next() {
                    Some(next) => next.map_err(|e| self.fail("read batches", e))?.0.value(),
                    None => s.next_seq,
                };
                (at.value(), end)
            };
            if now_ms.saturating_sub(start_at) >= self.ttl_ms {
                s.floor = s.floor.max(end);
            } else if end > s.floor {
                break;
            }
            batches
                .pop_first()
                .map_err(|e| self.fail("write batches", e))?;
        }
        drop(batches);
        let mut gens = txn
            .open_table(GENS)
            .map_err(|e| self.fail("open gens", e))?;
        while let Some(&(n, _)) = s.gens.first() {
            let end = s.gens.get(1).map_or(s.next_seq, |g| g.1);
            if end > s.floor {
                break;
            }
            let name = gen_name(n);
            txn.delete_table(row_table(&name))
                .map_err(|e| self.fail("delete generation", e))?;
            gens.remove(n).map_err(|e| self.fail("write gens", e))?;
            s.gens.remove(0);
        }
        Ok(())
    }

    pub(super) fn save(&self, txn: &WriteTransaction, s: &State) -> Result<(), String> {
        let mut meta = txn
            .open_table(META)
            .map_err(|e| self.fail("open meta", e))?;
        for (key, value) in [("next_seq", s.next_seq), ("floor", s.floor)] {
            meta.insert(key, value)
                .map_err(|e| self.fail("write meta", e))?;
        }
        // a handful of entries; a batch may have started more than one generation
        let mut gens = txn
            .open_table(GENS)
            .map_err(|e| self.fail("open gens", e))?;
        for &(n, start) in &s.gens {
            gens.insert(n, start)
                .map_err(|e| self.fail("write gens", e))?;
        }
        Ok(())
    }
}
