//! The pipeline: normalize → dedup gate → fan-out to every sink → complete acks.
//!
//! Deliveries are taken in batches. Within a batch a repeated id joins the first copy
//! (its ack waits for that copy's delivery); across batches the dedup window answers.
//! Because batches are delivered one after another, an id is never "in flight" in two
//! batches at once, which keeps the three dedup states of DESIGN.md simple.

use crate::deadletter::{DeadLetter, Letter};
use crate::dedup::DedupWindow;
use crate::mqtt::{AckHandle, Delivery};
use crate::providers::{self, Malformed};
use crate::record::{ProviderKind, Record};
use crate::sinks::Sink;
use crate::telemetry;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, info, warn};

const MAX_BATCH: usize = 512;

/// What the pipeline task receives.
pub enum Msg {
    Delivery(Delivery),
    /// Reply once everything queued before this marker is delivered and acked.
    Drain(oneshot::Sender<()>),
    /// A config reload: deliveries queued before this go to the old sinks, later ones to
    /// these. The old sinks are handed back for closing.
    Reconfigure {
        sinks: Vec<Arc<dyn Sink>>,
        kinds: HashMap<Arc<str>, ProviderKind>,
        done: oneshot::Sender<Vec<Arc<dyn Sink>>>,
    },
}

pub struct Pipeline {
    pub sinks: Vec<Arc<dyn Sink>>,
    pub dedup: DedupWindow,
    pub kinds: HashMap<Arc<str>, ProviderKind>,
    pub dead_letter: DeadLetter,
}

/// Records of one batch on their way to the sinks, with every ack that waits on each.
#[derive(Default)]
struct Outgoing {
    records: Vec<Arc<Record>>,
    waiters: Vec<Vec<AckHandle>>,
    index: HashMap<String, usize>,
}

impl Pipeline {
    pub async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Msg>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let mut drains = Vec::new();
            let mut deliveries = Vec::new();
            for m in batch.drain(..) {
                match m {
                    Msg::Delivery(d) => deliveries.push(d),
                    Msg::Drain(reply) => drains.push(reply),
                    Msg::Reconfigure { sinks, kinds, done } => {
                        self.process(std::mem::take(&mut deliveries)).await;
                        let old = std::mem::replace(&mut self.sinks, sinks);
                        self.kinds = kinds;
                        let _ = done.send(old);
                    }
                }
            }
            self.process(deliveries).await;
            for reply in drains {
                let _ = reply.send(());
            }
        }
        for sink in &self.sinks {
            if let Err(e) = sink.close().await {
                warn!(sink = sink.name(), error = %e, "sink did not close cleanly");
            }
        }
    }

    async fn process(&mut self, deliveries: Vec<Delivery>) {
        let now = SystemTime::now();
        let mut out = Outgoing::default();
        let mut letters = Vec::new();
        let mut already_delivered = Vec::new();
        let normalized: Vec<(Delivery, Result<Record, Malformed>)> = deliveries
            .into_iter()
            .map(|d| {
                let result = match self.kinds.get(&d.source) {
                    Some(&kind) => {
                        providers::normalize(kind, &d.source, &d.topic, &d.payload, d.received_at)
                    }
                    None => Err(Malformed::new("delivery from an unknown provider")),
                };
                (d, result)
            })
            .collect();
        let seen = self.seen_before(&normalized, now).await;
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
        for ack in already_delivered {
            ack.complete();
        }
        if out.records.is_empty() {
            return;
        }
        self.deliver(&out.records).await;
        let accepted = chrono::Utc::now();
        for r in &out.records {
            let waited = (accepted - r.received_at).to_std().unwrap_or_default();
            telemetry::delivered(&r.source, r.signals.len(), waited);
        }
        // Only now is an id "delivered": a crash before this line means a redelivery,
        // which the sinks see again (a duplicate), never a loss.
        let ids: Vec<&str> = out.records.iter().map(|r| r.id.as_str()).collect();
        // An fsync per batch: keep it off the async workers' hot path.
        let recorded = tokio::task::block_in_place(|| self.dedup.record(&ids, SystemTime::now()));
        if let Err(e) = recorded {
            error!(error = %e, "could not record delivered ids; a redelivery of them would repeat");
        }
        for ack in out.waiters.into_iter().flatten() {
            ack.complete();
        }
        debug!(records = out.records.len(), "batch delivered");
    }

    /// Which normalized records were delivered before, by one lookup for the batch. A
    /// dedup store that cannot answer is retried: guessing "new" would repeat records,
    /// guessing "seen" would lose them.
    async fn seen_before(
        &self,
        batch: &[(Delivery, Result<Record, Malformed>)],
        now: SystemTime,
    ) -> Vec<bool> {
        let ids: Vec<&str> = batch
            .iter()
            .map(|(_, r)| r.as_ref().map_or("", |r| r.id.as_str()))
            .collect();
        let mut delay = Duration::from_millis(100);
        loop {
            match self.dedup.delivered(&ids, now) {
                Ok(seen) => {
                    return seen
                        .into_iter()
                        .zip(batch)
                        .map(|(s, (_, r))| s && r.is_ok())
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

    async fn write_dead_letters(&self, letters: Vec<(Delivery, Malformed)>) {
        if letters.is_empty() {
            return;
        }
        let mut delay = Duration::from_millis(100);
        loop {
            let view: Vec<Letter<'_>> = letters
                .iter()
                .map(|(d, m)| Letter {
                    received_at: d.received_at,
                    source: &d.source,
                    topic: &d.topic,
                    payload: &d.payload,
                    reason: &m.reason,
                })
                .collect();
            match self.dead_letter.write(&view) {
                Ok(()) => break,
                Err(e) => {
                    error!(path = %self.dead_letter.path().display(), error = %e, retry_in = ?delay,
                        "cannot write the dead letter; holding the acks");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
        for (d, _) in letters {
            d.ack.complete();
        }
    }

    /// Hand the batch to every sink; retry the ones that fail, forever. A failing sink
    /// holds the acks back, which makes the broker stop sending: backpressure, not loss.
    async fn deliver(&self, records: &[Arc<Record>]) {
        let mut pending: Vec<&Arc<dyn Sink>> = self.sinks.iter().collect();
        let mut delay = Duration::from_millis(100);
        let mut failing = false;
        loop {
            let mut still = Vec::new();
            for sink in pending {
                match sink.accept(records).await {
                    Ok(()) => telemetry::sink_accepted(sink.name(), records.len()),
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
                return;
            }
            failing = true;
            pending = still;
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    }
}
