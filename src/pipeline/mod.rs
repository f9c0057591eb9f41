//! The pipeline: normalize → dedup gate → fan-out to every sink → complete acks → record.
//!
//! Deliveries are taken in batches. Within a batch a repeated id joins the first copy
//! (its ack waits for that copy's delivery); across batches the dedup window answers,
//! together with the ids delivered but not yet committed ([`commit::Pending`]). Because
//! batches are delivered one after another, an id is never "in flight" in two batches at
//! once, which keeps the three dedup states of DESIGN.md simple. The acks complete once
//! every sink accepted; recording the ids happens in [`commit`], in the background.

mod commit;
mod letters;

use crate::deadletter::{DeadLetter, Letter};
use crate::dedup::{DedupReader, DedupWindow};
use crate::mqtt::{AckHandle, Delivery};
use crate::providers::{self, Malformed};
use crate::record::{ProviderKind, Record};
use crate::sinks::{Refusal, Sink};
use crate::telemetry;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, oneshot, Notify};
use tracing::{debug, error, info, warn};

use commit::{Committer, Pending, MAX_BATCH};

/// What the pipeline task receives.
pub enum Msg {
    Delivery(Delivery),
    /// Reply once everything queued before this marker is delivered and acked.
    Drain(oneshot::Sender<()>),
}

/// A config reload's sinks and providers. The old sinks are handed back for closing.
pub struct Reconfig {
    pub sinks: Vec<Arc<dyn Sink>>,
    pub kinds: HashMap<Arc<str>, ProviderKind>,
    pub done: oneshot::Sender<Vec<Arc<dyn Sink>>>,
}

/// Hands a [`Reconfig`] to the pipeline out of band, not behind the queued deliveries:
/// a batch that retries a failing sink takes the new sinks at its next retry, so the
/// reload that fixes the sink applies (issue 19 item 2) instead of waiting behind it.
#[derive(Clone, Default)]
pub struct Reconfigure {
    slot: Arc<Mutex<Option<Reconfig>>>,
    wake: Arc<Notify>,
}

impl Reconfigure {
    /// Queue `r`; a newer one replaces one not yet taken (its `done` then drops).
    pub fn send(&self, r: Reconfig) {
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
        self.wake.notify_one();
    }

    fn take(&self) -> Option<Reconfig> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

pub struct Pipeline {
    pub sinks: Vec<Arc<dyn Sink>>,
    pub dedup: DedupWindow,
    pub kinds: HashMap<Arc<str>, ProviderKind>,
    pub dead_letter: DeadLetter,
    /// What earlier messages told of the vehicles (driver side), kept in `state_dir`.
    pub vehicles: providers::Vehicles,
    /// Where config reloads arrive.
    pub reconfigure: Reconfigure,
    /// The fleet page's feed: every delivered record, handed over without waiting.
    pub fleet: crate::fleet::Feed,
}

/// Records of one batch on their way to the sinks, with every ack that waits on each.
#[derive(Default)]
struct Outgoing {
    records: Vec<Arc<Record>>,
    waiters: Vec<Vec<AckHandle>>,
    /// foldhash (randomly seeded per map), not std's SipHash: the pipeline hashes every
    /// id several times, and SipHash was ~8 % of a drain's instructions in all.
    index: HashMap<String, usize, foldhash::fast::RandomState>,
}

impl Pipeline {
    pub async fn run(self, mut rx: mpsc::UnboundedReceiver<Msg>) {
        let mut dedup = self.dedup;
        let mut pending = Pending::new(dedup.take_journal());
        let mut stage = Stage {
            reader: dedup.reader(),
            committer: Committer::spawn(dedup, &pending),
            sinks: self.sinks,
            kinds: self.kinds,
            dead_letter: self.dead_letter,
            vehicles: self.vehicles,
            reconfigure: self.reconfigure,
            fleet: self.fleet,
        };
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            let wake = stage.reconfigure.wake.clone();
            tokio::select! {
                n = rx.recv_many(&mut batch, MAX_BATCH) => if n == 0 { break },
                _ = wake.notified() => {}
            }
            stage.apply_reconfig();
            let mut drains = Vec::new();
            let mut deliveries = Vec::new();
            for m in batch.drain(..) {
                match m {
                    Msg::Delivery(d) => deliveries.push(d),
                    Msg::Drain(reply) => drains.push(reply),
                }
            }
            if !deliveries.is_empty() {
                stage.process(deliveries, &mut pending).await;
            }
            for reply in drains {
                stage.committer.flush(reply).await;
            }
        }
        stage.committer.close().await;
        // everything is committed: the journal empties
        pending.prune();
        for sink in &stage.sinks {
            if let Err(e) = sink.close().await {
                warn!(sink = sink.name(), error = %e, "sink did not close cleanly");
            }
        }
    }
}

/// The running pipeline: what [`Pipeline`] configures, with the dedup window split into
/// the lookup side (here) and the recording side (the committer's task).
struct Stage {
    sinks: Vec<Arc<dyn Sink>>,
    reader: DedupReader,
    committer: Committer,
    kinds: HashMap<Arc<str>, ProviderKind>,
    dead_letter: DeadLetter,
    vehicles: providers::Vehicles,
    reconfigure: Reconfigure,
    fleet: crate::fleet::Feed,
}

impl Stage {
    /// Take a queued reload, if any: new sinks and providers from now on.
    fn apply_reconfig(&mut self) -> bool {
        let Some(r) = self.reconfigure.take() else {
            return false;
        };
        let old = std::mem::replace(&mut self.sinks, r.sinks);
        self.kinds = r.kinds;
        let _ = r.done.send(old);
        true
    }

    async fn process(&mut self, deliveries: Vec<Delivery>, pending: &mut Pending) {
        let now = SystemTime::now();
        let mut out = Outgoing {
            index: HashMap::with_capacity_and_hasher(deliveries.len(), Default::default()),
            ..Outgoing::default()
        };
        let mut letters = Vec::new();
        let mut already_delivered = Vec::new();
        // In receive order: a driver-seat report applies to the doors of later messages.
        let normalized: Vec<(Delivery, Result<Record, Malformed>)> = deliveries
            .into_iter()
            .map(|d| {
                let result = match self.kinds.get(&d.source) {
                    Some(&kind) => providers::normalize_for(
                        kind,
                        &d.source,
                        &d.topic,
                        &d.payload,
                        d.received_at,
                        &self.vehicles,
                    ),
                    None => Err(Malformed::new("delivery from an unknown provider")),
                };
                if let Ok(record) = &result {
                    self.vehicles.learn(record);
                }
                (d, result)
            })
            .collect();
        let seen = self.seen_before(&normalized, pending, now).await;
        for ((d, result), seen) in normalized.into_iter().zip(seen) {
            match result {
                Ok(record) if seen => {
                    telemetry::duplicate(&d.source, &record.id);
                    already_delivered.push(d.ack);
                }
                Ok(record) => match out.index.get(&record.id) {
                    Some(&i) => {
                        telemetry::duplicate(&d.source, &record.id);
                        out.waiters[i].push(d.ack);
                    }
                    None => {
                        out.index.insert(record.id.clone(), out.records.len());
                        out.records.push(Arc::new(record));
                        out.waiters.push(vec![d.ack]);
                    }
                },
                Err(m) => {
                    telemetry::malformed(&d.source, &d.topic, &m.reason);
                    letters.push((d, m));
                }
            }
        }
        self.write_dead_letters(letters).await;
        // Every sink has these records (a pending id counts as delivered): acking a
        // repeat now cannot lose anything.
        for ack in already_delivered {
            ack.complete();
        }
        if out.records.is_empty() {
            return;
        }
        let refused = self.deliver(&out.records).await;
        // Every sink accepted: the page may show them. A broadcast send never waits.
        self.fleet.publish(&out.records);
        let accepted = chrono::Utc::now();
        telemetry::delivered(out.records.iter().map(|r| {
            let waited = (accepted - r.received_at).to_std().unwrap_or_default();
            (r.source.as_str(), r.signals.len(), waited)
        }));
        debug!(records = out.records.len(), "batch delivered");
        // What a sink refused for good is acked once it is in the dead letter.
        for (sink, refusals) in refused {
            match letters::refused_lines(&sink, &refusals) {
                Ok(lines) => letters::write(&self.dead_letter, lines).await,
                Err(e) => error!(sink = %sink, error = %e, "cannot encode refused parts"),
            }
        }
        // Only now is an id "delivered" (and its message acked, once its id is in the
        // journal: a repeat from the provider after a crash is still caught).
        let ids = out.records.iter().map(|r| r.id.clone()).collect();
        let acks = out.waiters.into_iter().flatten().collect();
        self.committer.commit(pending, ids, acks).await;
    }

    /// Which normalized records were delivered before, by one lookup for the batch: the
    /// ids still waiting for their commit first, then the window. A dedup store that
    /// cannot answer is retried: guessing "new" would repeat records, guessing "seen"
    /// would lose them.
    async fn seen_before(
        &self,
        batch: &[(Delivery, Result<Record, Malformed>)],
        pending: &mut Pending,
        now: SystemTime,
    ) -> Vec<bool> {
        // Before the window's read transaction begins: see `Pending::prune`.
        pending.prune();
        let ids: Arc<Vec<String>> = Arc::new(
            batch
                .iter()
                .map(|(_, r)| r.as_ref().map_or(String::new(), |r| r.id.clone()))
                .collect(),
        );
        let mut delay = Duration::from_millis(100);
        loop {
            // Off the async workers: a lookup may read the store from disk.
            let (reader, ids) = (self.reader.clone(), ids.clone());
            let looked_up = tokio::task::spawn_blocking(move || {
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                reader.delivered(&ids, now)
            })
            .await
            .unwrap_or_else(|e| Err(format!("lookup task failed: {e}")));
            match looked_up {
                Ok(seen) => {
                    return seen
                        .into_iter()
                        .zip(batch)
                        .map(|(s, (_, r))| match r {
                            Ok(r) => s || pending.contains(&r.id),
                            Err(_) => false,
                        })
                        .collect()
                }
                Err(e) => {
                    error!(error = %e, retry_in = ?delay, "dedup store lookup failed");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    async fn write_dead_letters(&self, malformed: Vec<(Delivery, Malformed)>) {
        if malformed.is_empty() {
            return;
        }
        let view: Vec<Letter<'_>> = malformed
            .iter()
            .map(|(d, m)| Letter {
                received_at: d.received_at,
                source: &d.source,
                topic: &d.topic,
                payload: &d.payload,
                reason: &m.reason,
                sink: None,
            })
            .collect();
        match DeadLetter::encode(&view) {
            Ok(lines) => letters::write(&self.dead_letter, lines).await,
            // Only serde_json failing on plain strings: nothing a retry would change.
            Err(e) => error!(error = %e, "cannot encode dead letters"),
        }
        for (d, _) in malformed {
            d.ack.complete();
        }
    }

    /// Hand the batch to every sink; retry the ones that fail, forever. A failing sink
    /// holds the acks back, which makes the broker stop sending: backpressure, not loss.
    /// A reload while retrying replaces the sinks: the batch then goes to every new sink
    /// that has not taken it yet (a sink the reload kept and that accepted is done).
    /// Returns what each sink refused for good, by sink name.
    async fn deliver(&mut self, records: &[Arc<Record>]) -> Vec<(String, Vec<Refusal>)> {
        let mut pending: Vec<Arc<dyn Sink>> = self.sinks.clone();
        let mut accepted: Vec<Arc<dyn Sink>> = Vec::new();
        let mut refused = Vec::new();
        let mut delay = Duration::from_millis(100);
        let mut failing = false;
        loop {
            let mut still = Vec::new();
            for sink in pending {
                match sink.accept_refusing(records).await {
                    Ok(refusals) => {
                        telemetry::sink_accepted(sink.name(), records.len());
                        if !refusals.is_empty() {
                            refused.push((sink.name().to_string(), refusals));
                        }
                        accepted.push(sink);
                    }
                    Err(e) => {
                        telemetry::sink_failed(sink.name(), &e.to_string(), delay);
                        still.push(sink);
                    }
                }
            }
            if still.is_empty() {
                if failing {
                    info!("sinks recovered");
                }
                return refused;
            }
            failing = true;
            pending = still;
            let wake = self.reconfigure.wake.clone();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = wake.notified() => {}
            }
            if self.apply_reconfig() {
                info!(
                    "configuration reloaded while a sink was failing: retrying with the new sinks"
                );
                // A new instance on the store of an old one that accepted (a webhook
                // spool) sends those records already: giving them to it again would
                // send them twice under different batch ids.
                pending = self
                    .sinks
                    .iter()
                    .filter(|s| {
                        !accepted.iter().any(|a| {
                            Arc::ptr_eq(a, s) || a.store().is_some_and(|p| s.store() == Some(p))
                        })
                    })
                    .cloned()
                    .collect();
                delay = Duration::from_millis(100);
                continue;
            }
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    }
}

#[cfg(test)]
mod tests;
