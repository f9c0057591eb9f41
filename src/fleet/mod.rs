//! The live fleet page's data (SPEC.md §7): what the delivered records say of each
//! vehicle, and a stream of them for `/api/events`.
//!
//! The pipeline hands every delivered record to a [`Feed`], a broadcast channel: sending
//! never waits, and a consumer that falls more than [`FEED_CAPACITY`] records behind
//! loses the oldest ones (counted in `vinstream_fleet_events_dropped_total`). So a slow
//! or stalled page, or a busy state task, can never hold back a sink or an ack.
//! [`Fleet`] owns the bounded [`state::FleetState`] and the task that feeds it.

pub mod state;
pub mod web;

use crate::record::Record;
use crate::telemetry;
use state::FleetState;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast::{self, error::RecvError};

/// Records a consumer may be behind before it loses the oldest. Small: the ring holds
/// the last this many records alive, whether anyone still reads them or not.
pub const FEED_CAPACITY: usize = 1024;

/// The pipeline's side: delivered records go out here.
#[derive(Clone)]
pub struct Feed {
    tx: broadcast::Sender<Arc<Record>>,
}

impl Default for Feed {
    fn default() -> Feed {
        Feed {
            tx: broadcast::channel(FEED_CAPACITY).0,
        }
    }
}

impl Feed {
    /// Never waits. With no page and no state task (no `admin_listen`) it costs a load.
    pub fn publish(&self, records: &[Arc<Record>]) {
        if self.tx.receiver_count() == 0 {
            return;
        }
        for r in records {
            // Fails only when every receiver just went away: nobody to tell.
            let _ = self.tx.send(r.clone());
        }
    }

    pub fn subscribe(&self) -> Subscription {
        Subscription {
            rx: self.tx.subscribe(),
        }
    }
}

/// One consumer of the feed.
pub struct Subscription {
    rx: broadcast::Receiver<Arc<Record>>,
}

impl Subscription {
    /// The next record; the ones missed by falling behind are counted under `consumer`
    /// and skipped. `None` once the feed is gone.
    pub async fn next(&mut self, consumer: &'static str) -> Option<Arc<Record>> {
        loop {
            match self.rx.recv().await {
                Ok(r) => return Some(r),
                Err(RecvError::Lagged(n)) => telemetry::fleet_dropped(consumer, n),
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// The fleet state the page reads, fed by its own task from the [`Feed`].
#[derive(Clone)]
pub struct Fleet {
    feed: Feed,
    state: Arc<Mutex<FleetState>>,
    max_vehicles: usize,
}

impl Fleet {
    /// Start the task that keeps the state; it ends with the feed.
    pub fn start(feed: &Feed, max_vehicles: usize) -> Fleet {
        let state = Arc::new(Mutex::new(FleetState::new(max_vehicles)));
        let mut sub = feed.subscribe();
        let keep = state.clone();
        tokio::spawn(async move {
            while let Some(r) = sub.next("state").await {
                keep.lock().unwrap_or_else(|p| p.into_inner()).apply(&r);
            }
        });
        Fleet {
            feed: feed.clone(),
            state,
            max_vehicles,
        }
    }

    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    pub fn max_vehicles(&self) -> usize {
        self.max_vehicles
    }

    /// See [`FleetState::snapshot`]; the lock is held only while copying.
    pub fn snapshot(&self, vin: Option<&str>, history: bool) -> Vec<serde_json::Value> {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .snapshot(vin, history)
    }

    /// (vehicles kept, vehicles that made room for newer ones)
    pub fn counts(&self) -> (usize, u64) {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        (s.len(), s.evicted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ProviderKind;

    fn record(i: usize) -> Arc<Record> {
        Arc::new(Record {
            id: format!("hm:{i}"),
            vin: format!("VIN{}", i % 3),
            provider: ProviderKind::HighMobilityV2,
            source: "hm".into(),
            message_id: i.to_string(),
            received_at: chrono::Utc::now(),
            signals: vec![],
        })
    }

    /// A consumer that does not read loses the oldest records, counted, and the
    /// publisher never waits for it.
    #[tokio::test]
    async fn a_stalled_consumer_loses_the_oldest_records_counted() {
        let feed = Feed::default();
        let mut stalled = feed.subscribe();
        let before = telemetry::metrics().fleet_dropped_total("test-stalled");
        let records: Vec<_> = (0..FEED_CAPACITY * 3).map(record).collect();
        feed.publish(&records);
        let first = stalled.next("test-stalled").await.unwrap();
        assert_eq!(first.id, format!("hm:{}", FEED_CAPACITY * 2));
        let lost = telemetry::metrics().fleet_dropped_total("test-stalled") - before;
        assert_eq!(lost, (FEED_CAPACITY * 2) as u64);
    }

    #[tokio::test]
    async fn the_state_task_keeps_the_latest_of_each_vin() {
        let feed = Feed::default();
        let fleet = Fleet::start(&feed, 10);
        feed.publish(&(0..9).map(record).collect::<Vec<_>>());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let seen = |f: &Fleet| -> u64 {
            f.snapshot(None, false)
                .iter()
                .map(|v| v["records"].as_u64().unwrap())
                .sum()
        };
        while seen(&fleet) < 9 {
            assert!(std::time::Instant::now() < deadline, "state not fed");
            tokio::task::yield_now().await;
        }
        let all = fleet.snapshot(None, false);
        assert_eq!(all[0]["vin"], "VIN0");
        assert_eq!(all[0]["records"], 3);
    }
}
