//! The live fleet page's data (SPEC.md §7): what the delivered records say of each
//! vehicle, and a stream of them for `/api/events`.
//!
//! The pipeline hands every delivered record to a [`Feed`], a broadcast channel: sending
//! never waits, and a consumer that falls more than [`FEED_CAPACITY`] records behind
//! loses the oldest ones (counted in `vinstream_fleet_events_dropped_total`). So a slow
//! or stalled page, or a busy state task, can never hold back a sink or an ack.
//! [`Fleet`] owns the bounded [`state::FleetState`], on a thread of its own.

mod json;
pub mod state;
pub mod web;

use crate::record::Record;
use crate::telemetry;
use state::FleetState;
use std::sync::{Arc, OnceLock};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::{mpsc, oneshot};

/// Records a consumer may be behind before it loses the oldest. Small: the ring holds
/// the last this many records alive, whether anyone still reads them or not.
pub const FEED_CAPACITY: usize = 1024;

/// A delivered record on its way to the page, with its JSON line made once for every
/// event stream that sends it.
pub struct Delivered {
    record: Arc<Record>,
    json: OnceLock<String>,
}

impl Delivered {
    /// The record as the stdout sink prints it, without the newline.
    pub fn json(&self) -> &str {
        self.json.get_or_init(|| {
            let mut line = self.record.to_json_line();
            line.pop();
            String::from_utf8(line).unwrap_or_default()
        })
    }
}

impl std::ops::Deref for Delivered {
    type Target = Record;
    fn deref(&self) -> &Record {
        &self.record
    }
}

/// The pipeline's side: delivered records go out here.
#[derive(Clone)]
pub struct Feed {
    tx: broadcast::Sender<Arc<Delivered>>,
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
            let _ = self.tx.send(Arc::new(Delivered {
                record: r.clone(),
                json: OnceLock::new(),
            }));
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
    rx: broadcast::Receiver<Arc<Delivered>>,
}

impl Subscription {
    /// The next record; the ones missed by falling behind are counted under `consumer`
    /// and skipped. `None` once the feed is gone.
    pub async fn next(&mut self, consumer: &'static str) -> Option<Arc<Delivered>> {
        loop {
            match self.rx.recv().await {
                Ok(r) => return Some(r),
                Err(RecvError::Lagged(n)) => telemetry::fleet_dropped(consumer, n),
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// A question to the fleet thread; the answer is ready-made JSON.
enum Query {
    /// Every vehicle (or one VIN) with its latest signals (or those of some paths):
    /// the `/api/vehicles` body.
    List(
        Option<String>,
        Option<Vec<String>>,
        oneshot::Sender<Vec<u8>>,
    ),
    /// One vehicle with its history, if known.
    One(String, oneshot::Sender<Option<Vec<u8>>>),
    /// (vehicles kept, vehicles that made room for newer ones)
    Counts(oneshot::Sender<(usize, u64)>),
}

/// The fleet state the page reads. It lives on a thread of its own, which applies the
/// records from the [`Feed`] and answers the page's questions: copying 10,000 vehicles
/// for `/api/vehicles` takes a while, and neither the daemon's worker (driver, pipeline)
/// nor its small blocking pool (dedup commits, file writes) must wait for it. While it
/// answers, records wait in the feed, and past [`FEED_CAPACITY`] are dropped, counted.
#[derive(Clone)]
pub struct Fleet {
    feed: Feed,
    queries: mpsc::Sender<Query>,
    max_vehicles: usize,
}

impl Fleet {
    /// Start the fleet thread; it ends when the feed or every `Fleet` handle is gone.
    pub fn start(feed: &Feed, max_vehicles: usize) -> Fleet {
        let (queries, mut asked) = mpsc::channel::<Query>(64);
        let mut sub = feed.subscribe();
        let spawned = std::thread::Builder::new()
            .name("fleet".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread().build() {
                    Ok(rt) => rt,
                    Err(e) => return tracing::error!(error = %e, "the fleet page has no state"),
                };
                let mut state = FleetState::new(max_vehicles);
                rt.block_on(async move {
                    loop {
                        tokio::select! {
                            r = sub.next("state") => match r {
                                Some(r) => state.apply(&r),
                                None => break,
                            },
                            q = asked.recv() => match q {
                                Some(q) => answer(&state, max_vehicles, q),
                                None => break,
                            },
                        }
                    }
                });
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the fleet page's thread");
        }
        Fleet {
            feed: feed.clone(),
            queries,
            max_vehicles,
        }
    }

    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    pub fn max_vehicles(&self) -> usize {
        self.max_vehicles
    }

    async fn ask<T: Default>(&self, q: impl FnOnce(oneshot::Sender<T>) -> Query) -> T {
        let (reply, answer) = oneshot::channel();
        if self.queries.send(q(reply)).await.is_err() {
            return T::default();
        }
        answer.await.unwrap_or_default()
    }

    /// The `/api/vehicles` body: `count`, `max_vehicles`, `evicted`, `vehicles`.
    pub async fn list(&self, vin: Option<String>, paths: Option<Vec<String>>) -> Vec<u8> {
        self.ask(|reply| Query::List(vin, paths, reply)).await
    }

    /// One vehicle with the plots' history, as JSON.
    pub async fn one(&self, vin: String) -> Option<Vec<u8>> {
        self.ask(|reply| Query::One(vin, reply)).await
    }

    /// (vehicles kept, vehicles that made room for newer ones)
    pub async fn counts(&self) -> (usize, u64) {
        self.ask(Query::Counts).await
    }
}

fn answer(state: &FleetState, max_vehicles: usize, q: Query) {
    match q {
        Query::List(vin, paths, reply) => {
            let body = json::List {
                count: state.len(),
                max_vehicles,
                evicted: state.evicted(),
                vehicles: json::Vehicles {
                    list: state.vehicles(vin.as_deref()),
                    history: false,
                    paths: paths.as_deref(),
                },
            };
            let _ = reply.send(serde_json::to_vec(&body).unwrap_or_default());
        }
        Query::One(vin, reply) => {
            let body = state.vehicles(Some(&vin)).pop().map(|(vin, v)| {
                let one = json::One {
                    vin,
                    v,
                    history: true,
                    paths: None,
                };
                serde_json::to_vec(&one).unwrap_or_default()
            });
            let _ = reply.send(body);
        }
        Query::Counts(reply) => {
            let _ = reply.send((state.len(), state.evicted()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ProviderKind;
    use serde_json::{json, Value};

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
    async fn the_fleet_thread_keeps_the_latest_of_each_vin_and_answers() {
        let feed = Feed::default();
        let fleet = Fleet::start(&feed, 10);
        feed.publish(&(0..9).map(record).collect::<Vec<_>>());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let list = loop {
            let list: Value = serde_json::from_slice(&fleet.list(None, None).await).unwrap();
            let seen: u64 = list["vehicles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["records"].as_u64().unwrap())
                .sum();
            if seen == 9 {
                break list;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "state not fed: {list}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        };
        assert_eq!(
            (list["count"].clone(), list["max_vehicles"].clone()),
            (json!(3), json!(10))
        );
        assert_eq!(list["vehicles"][0]["vin"], "VIN0");
        assert_eq!(list["vehicles"][0]["records"], 3);
        let one: Value = serde_json::from_slice(&fleet.one("VIN1".into()).await.unwrap()).unwrap();
        assert!(one["history"]["battery"].is_array(), "{one}");
        assert!(fleet.one("NOPE".into()).await.is_none());
        assert_eq!(fleet.counts().await, (3, 0));
    }
}
