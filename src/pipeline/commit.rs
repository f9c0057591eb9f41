//! Recording delivered ids in the dedup window off the pipeline's path.
//!
//! A commit is a redb write transaction and an fsync. Done between batches it made the
//! pipeline sequential (and at low rates every message paid one). Here a task of its own
//! commits while the pipeline goes on, and it groups the batches that arrive close
//! together into one transaction (group commit).
//!
//! Acks do not wait for the commit, but for the journal: a batch's acks complete once
//! every sink accepted it and its ids are appended to the window's journal
//! (`dedup/journal.rs`, one `write(2)`, no fsync) and kept in [`Pending`]. So an acked id
//! survives a crash of the daemon, and the next start records it before anything else.
//! Waiting for the redb commit instead cost latency (Mosquitto holds back new publishes
//! while acks are outstanding: p50 added latency 0.5 ms with acks after the commit, 0.07 ms
//! without; docs/performance.md) and, with the fsync per commit, CPU at low rates.
//!
//! While a batch waits for its commit its ids are "delivered, not yet committed": the
//! pipeline keeps them in [`Pending`], which the dedup gate consults before the window, so
//! a redelivery in between is still caught.
//!
//! At most [`UNCOMMITTED`] delivered ids are uncommitted at any time; a batch that would
//! exceed it waits, acks and all, before it is handed over (the pipeline stops taking
//! deliveries meanwhile). That bounds the journal, and what a power loss (the journal is
//! not fsync'd) can forget.

use crate::dedup::{DedupWindow, Journal};
use crate::mqtt::AckHandle;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

/// Deliveries the pipeline takes at once. Defined here, where the committer's bounds are
/// derived from it, so that this module does not import the pipeline that uses it.
pub(super) const MAX_BATCH: usize = 512;
/// A group stops growing at this many ids: it bounds what a crash can forget.
const GROUP_IDS: usize = MAX_BATCH;
/// A group smaller than [`GROUP_IDS`] waits this long for more batches: at low rates (one
/// message per batch) one fsync then serves many messages. Acks do not wait for it, so it
/// costs no latency; it only widens what a crash forgets — by at most this long, and
/// never past [`UNCOMMITTED`] ids. At 2,000 msg/s a 20 ms linger meant 50 commits a
/// second, ~2 points of a core in `pwrite` and `fdatasync` (docs/performance.md); at
/// 250 ms a group fills to [`GROUP_IDS`] first.
pub(super) const LINGER: Duration = Duration::from_millis(250);
/// A commit this slow is logged: the state_dir's disk stalled, and once [`UNCOMMITTED`]
/// ids wait the pipeline (and every ack) waits with them.
pub(super) const SLOW_COMMIT: Duration = Duration::from_millis(500);
/// Delivered ids not yet committed, at most: what a crash can repeat.
pub(super) const UNCOMMITTED: usize = 4 * MAX_BATCH;

/// What the pipeline hands to the committer.
enum Job {
    /// Ids every sink accepted.
    Batch {
        n: u64,
        ids: Vec<String>,
        /// One per id: returned when the ids are committed.
        _room: OwnedSemaphorePermit,
    },
    /// Reply once every batch sent before is committed.
    Flush(oneshot::Sender<()>),
}

/// Ids delivered but not yet committed, by the number of the batch that carries them.
/// Owned by the pipeline; the committer only publishes how far it got.
#[derive(Default)]
pub(super) struct Pending {
    /// foldhash (randomly seeded), not std's SipHash: every delivered id is inserted,
    /// looked up and pruned here.
    ids: HashMap<String, u64, foldhash::fast::RandomState>,
    /// Batches up to this number are committed (0: none; batches count from 1).
    committed: Arc<AtomicU64>,
    /// `committed` as of the last prune: every id kept has a higher batch number.
    pruned: u64,
    next: u64,
    /// Where a batch's ids go before its acks; `None` for a window in memory.
    journal: Option<Journal>,
    /// The last append failed: the next good one reports the journal working again.
    journal_failing: bool,
}

impl Pending {
    pub(super) fn new(journal: Option<Journal>) -> Pending {
        Pending {
            journal,
            ..Pending::default()
        }
    }

    /// Forget the committed batches. Call before a window lookup: an id not kept here is
    /// then either committed (and a read transaction begun after this call sees it) or
    /// was never delivered.
    pub(super) fn prune(&mut self) {
        // Once per commit, not per lookup: a long linger keeps hundreds of ids here.
        let committed = self.committed.load(Ordering::Acquire);
        if committed > self.pruned {
            self.ids.retain(|_, n| *n > committed);
            self.pruned = committed;
            if let Some(journal) = &mut self.journal {
                if let Err(e) = journal.committed(committed) {
                    crate::telemetry::journal_failed(&e);
                }
            }
        }
    }

    /// Writes batch `n`'s ids to the journal. A failure is reported, not retried: every
    /// sink has the batch, so holding its acks could only stop the flow; the commit still
    /// records the ids, and only a crash before it can repeat them.
    fn journal(&mut self, n: u64, ids: &[String]) {
        let Some(journal) = &mut self.journal else {
            return;
        };
        match journal.append(n, ids) {
            Ok(()) if std::mem::take(&mut self.journal_failing) => {
                crate::telemetry::journal_written();
            }
            Ok(()) => {}
            Err(e) => {
                self.journal_failing = true;
                crate::telemetry::journal_failed(&e);
            }
        }
    }

    pub(super) fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }
}

/// The pipeline's end of the committer.
pub(super) struct Committer {
    tx: mpsc::UnboundedSender<Job>,
    /// Room for uncommitted ids (see [`UNCOMMITTED`]).
    room: Arc<Semaphore>,
    task: JoinHandle<()>,
}

impl Committer {
    pub(super) fn spawn(window: DedupWindow, pending: &Pending) -> Committer {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(window, rx, pending.committed.clone()));
        Committer {
            tx,
            room: Arc::new(Semaphore::new(UNCOMMITTED)),
            task,
        }
    }

    /// Hand over a delivered batch: its ids go to the journal and count as delivered from
    /// now on, and its acks complete.
    pub(super) async fn commit(
        &self,
        pending: &mut Pending,
        ids: Vec<String>,
        acks: Vec<AckHandle>,
    ) {
        let wanted = u32::try_from(ids.len().min(UNCOMMITTED)).expect("UNCOMMITTED fits u32");
        let _room = self
            .room
            .clone()
            .acquire_many_owned(wanted)
            .await
            .expect("the semaphore is never closed");
        pending.next += 1;
        let n = pending.next;
        pending.journal(n, &ids);
        for id in &ids {
            pending.ids.insert(id.clone(), n);
        }
        // The committer ends only after the pipeline drops this sender.
        let _ = self.tx.send(Job::Batch { n, ids, _room });
        for ack in acks {
            ack.complete();
        }
    }

    /// Resolves `reply` once everything committed before this call is done.
    pub(super) async fn flush(&self, reply: oneshot::Sender<()>) {
        let _ = self.tx.send(Job::Flush(reply));
    }

    /// Commit what is left and end.
    pub(super) async fn close(self) {
        drop(self.tx);
        if let Err(e) = self.task.await {
            if e.is_panic() {
                std::panic::resume_unwind(e.into_panic());
            }
        }
    }
}

async fn run(window: DedupWindow, mut rx: mpsc::UnboundedReceiver<Job>, committed: Arc<AtomicU64>) {
    let mut window = Some(window);
    while let Some(first) = rx.recv().await {
        let group = gather(first, &mut rx).await;
        let mut ids = Vec::new();
        let mut flushes = Vec::new();
        let mut rooms = Vec::new();
        let mut last = None;
        for job in group {
            match job {
                Job::Batch {
                    n,
                    ids: i,
                    _room: room,
                } => {
                    ids.extend(i);
                    rooms.push(room);
                    last = Some(n);
                }
                Job::Flush(reply) => flushes.push(reply),
            }
        }
        if !ids.is_empty() {
            let mut w = window
                .take()
                .expect("the window is back after every commit");
            let started = std::time::Instant::now();
            let n_ids = ids.len();
            let (w, recorded, ids) = tokio::task::spawn_blocking(move || {
                let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                let recorded = w.record(&refs, SystemTime::now());
                (w, recorded, ids)
            })
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
            // freed on the worker that allocated them, not on the blocking thread
            drop(ids);
            window = Some(w);
            let took = started.elapsed();
            if took >= SLOW_COMMIT {
                crate::telemetry::slow_commit(n_ids, took);
            }
            match recorded {
                Ok(_) => crate::telemetry::recorded(),
                Err(e) => crate::telemetry::record_failed(&e),
            }
        }
        if let Some(n) = last {
            committed.store(n, Ordering::Release);
        }
        drop(rooms);
        for reply in flushes {
            let _ = reply.send(());
        }
    }
    // Everything is committed: save the index, so the next start need not rebuild it.
    if let Some(w) = window {
        let saved = tokio::task::spawn_blocking(move || w.save_index()).await;
        if let Ok(Err(e)) = saved {
            tracing::warn!(error = %e, "the next start rebuilds the dedup index");
        }
    }
}

/// `first` and whatever follows it closely: everything already queued, and while the
/// group is small, what arrives within [`LINGER`]. A flush ends the group at once.
async fn gather(first: Job, rx: &mut mpsc::UnboundedReceiver<Job>) -> Vec<Job> {
    // One timer per group: a timeout per batch registered and cancelled a timer for
    // every message at low rates.
    let linger = tokio::time::sleep(LINGER);
    tokio::pin!(linger);
    let mut ids = 0;
    let mut group = Vec::new();
    let mut next = Some(first);
    while let Some(job) = next.take() {
        let flush = matches!(job, Job::Flush(_));
        if let Job::Batch { ids: i, .. } = &job {
            ids += i.len();
        }
        group.push(job);
        if flush || ids >= GROUP_IDS {
            break;
        }
        next = tokio::select! {
            biased;
            job = rx.recv() => job,
            () = &mut linger => None,
        };
    }
    group
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A journal that cannot be written (a full disk) neither holds the batch back nor
    /// goes unnoticed: the failure shows in the state `/readyz` reports until a write
    /// succeeds again, and the batch's ids still count as delivered until committed.
    #[tokio::test]
    async fn a_failing_journal_is_reported_and_the_batch_still_goes_through() {
        let dir = tempfile::tempdir().unwrap();
        let mut window = DedupWindow::open(dir.path(), Duration::from_secs(3600), 100).unwrap();
        let mut journal = window
            .take_journal()
            .expect("a window on disk has a journal");
        journal.fail_writes();
        let mut pending = Pending::new(Some(journal));
        let committer = Committer::spawn(window, &pending);
        let failing = || {
            crate::telemetry::state_problems()
                .iter()
                .any(|(part, _)| *part == "dedup_journal")
        };
        committer
            .commit(&mut pending, vec!["a".to_owned()], Vec::new())
            .await;
        assert!(pending.journal_failing && failing());
        assert!(pending.contains("a"), "delivered until committed");
        // the disk has room again
        pending.journal.as_mut().unwrap().restore_writes();
        committer
            .commit(&mut pending, vec!["b".to_owned()], Vec::new())
            .await;
        assert!(!pending.journal_failing && !failing());
        committer.close().await;
    }

    #[test]
    fn prune_forgets_exactly_the_committed_batches() {
        let mut p = Pending::default();
        for (n, id) in ["a", "b", "c"].into_iter().enumerate() {
            p.ids.insert(id.to_owned(), n as u64 + 1);
        }
        p.next = 3;
        p.prune();
        assert!(["a", "b", "c"].iter().all(|id| p.contains(id)));
        p.committed.store(2, Ordering::Release);
        p.prune();
        assert!(!p.contains("a") && !p.contains("b") && p.contains("c"));
        // nothing committed since: a later batch stays
        p.ids.insert("d".to_owned(), 4);
        p.prune();
        assert!(p.contains("c") && p.contains("d"));
        p.committed.store(4, Ordering::Release);
        p.prune();
        assert!(p.ids.is_empty());
    }
}
