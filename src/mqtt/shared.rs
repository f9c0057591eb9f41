//! What a session and its driver both touch: the deliveries with their ack handles, the
//! spec a session is started with, and the state shared between the session's handles and
//! the driver task. Its own module so that `session.rs` (which starts the driver) and
//! `driver.rs` (which uses this state) do not import each other.

use super::acks::{AckSequencer, Slot};
use super::backoff::Backoff;
use super::conn::{AckRef, Client, ConnectOptions};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;
use tracing::debug;

/// One received message on its way through the pipeline.
#[derive(Debug)]
pub struct Delivery {
    /// The provider's config name (the record's `source`).
    pub source: Arc<str>,
    pub topic: String,
    pub payload: Bytes,
    pub received_at: DateTime<Utc>,
    pub ack: AckHandle,
}

/// Completing it tells the session that every sink accepted the delivery. Dropping it
/// without completing means "never ack": the broker will redeliver.
#[derive(Debug)]
pub struct AckHandle {
    pub(super) slot: Option<Slot>,
    /// Set for deliveries counted in `Shared::in_flight`; uncounted when the handle ends.
    pub(super) shared: Option<Arc<Shared>>,
    /// Payload bytes this delivery holds in the pipeline.
    pub(super) bytes: usize,
    /// Set on completion, for tests that watch when an ack is released.
    #[cfg(test)]
    pub(super) completed: Option<Arc<AtomicBool>>,
}

impl AckHandle {
    /// A handle that acks nothing (offline normalization, tests).
    pub fn detached() -> AckHandle {
        AckHandle {
            slot: None,
            shared: None,
            bytes: 0,
            #[cfg(test)]
            completed: None,
        }
    }

    /// A detached handle, and a flag its completion sets.
    #[cfg(test)]
    pub(crate) fn observed() -> (AckHandle, Arc<AtomicBool>) {
        let flag = Arc::new(AtomicBool::new(false));
        let mut h = AckHandle::detached();
        h.completed = Some(flag.clone());
        (h, flag)
    }

    pub fn complete(mut self) {
        #[cfg(test)]
        if let Some(flag) = &self.completed {
            flag.store(true, Ordering::Release);
        }
        if let (Some(slot), Some(shared)) = (self.slot.take(), &self.shared) {
            shared.complete(slot);
        }
    }
}

impl Drop for AckHandle {
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            let left = shared.in_flight.fetch_sub(self.bytes, Ordering::AcqRel) - self.bytes;
            if left <= shared.recover_below.load(Ordering::Relaxed) {
                // a driver that stopped reading may go on (a permit if none waits yet)
                shared.room.notify_one();
            }
            shared.maybe_recover();
        }
    }
}

/// Where a session hands its deliveries; it must not block (the poll loop calls it).
pub type DeliverFn = Arc<dyn Fn(Delivery) + Send + Sync>;

/// What a session is asked to do; `refusal_hint` explains a refused subscription in
/// the provider's terms.
pub struct SessionSpec {
    pub name: String,
    pub options: ConnectOptions,
    pub subscriptions: Vec<String>,
    pub backoff: Backoff,
    pub refusal_hint: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Running,
    Disconnect,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub(super) acks: AckSequencer<AckRef>,
    /// Released acks the request queue could not take yet, oldest first.
    pub(super) unsent: VecDeque<AckRef>,
    /// Shutdown began: new publishes are left unacked for the broker to redeliver.
    pub(super) draining: bool,
    /// New username/password to use from the next connection on (token refresh).
    pub(super) new_credentials: Option<(String, String)>,
}

pub struct Shared {
    pub(super) name: Arc<str>,
    pub(super) inner: Mutex<Inner>,
    pub(super) client: Client,
    pub(super) connected: AtomicBool,
    pub(super) subscribed: AtomicBool,
    /// The broker refused our credentials: whoever owns them should renew them now.
    pub(super) auth_failed: Notify,
    pub(super) problem: Mutex<Option<String>>,
    /// Payload bytes handed to the pipeline and not yet completed or dropped, all epochs.
    pub(super) in_flight: AtomicUsize,
    /// Publishes of this connection were shed (see the driver's `forward`); they come back
    /// with a reconnect once `in_flight` is below `recover_below`.
    pub(super) shed_pending: AtomicBool,
    pub(super) recover_below: AtomicUsize,
    /// Signalled when `in_flight` falls to `recover_below`: the driver reads again.
    pub(super) room: Notify,
    /// A DISCONNECT we asked for to recover shed publishes: reconnect at once.
    pub(super) reconnect_asked: AtomicBool,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("name", &self.name).finish()
    }
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn complete(&self, slot: Slot) {
        let mut inner = self.lock();
        let released = inner.acks.complete(slot);
        inner.unsent.extend(released);
        self.flush_acks(&mut inner);
    }

    /// Shed publishes come back with a clean reconnect, as soon as the pipeline has room:
    /// checked at every completion, so the recovery does not wait for broker traffic.
    pub(super) fn maybe_recover(&self) {
        if !self.shed_pending.load(Ordering::Acquire)
            || self.in_flight.load(Ordering::Acquire) > self.recover_below.load(Ordering::Relaxed)
            || !self.connected.load(Ordering::Acquire)
        {
            return;
        }
        if self.shed_pending.swap(false, Ordering::AcqRel) {
            if self.client.try_disconnect() {
                self.reconnect_asked.store(true, Ordering::Release);
                tracing::info!(provider = %self.name,
                    "the sinks caught up; reconnecting so the broker redelivers the messages left unacknowledged");
            } else {
                // The request queue is full: try again at the next completion or poll.
                self.shed_pending.store(true, Ordering::Release);
            }
        }
    }

    /// Hand released acks to rumqttc in order; what does not fit waits for the next try.
    pub(super) fn flush_acks(&self, inner: &mut Inner) {
        while let Some(p) = inner.unsent.front() {
            if !self.client.try_ack(p) {
                debug!(provider = %self.name, waiting = inner.unsent.len(), "ack queue full, retrying");
                break;
            }
            inner.unsent.pop_front();
        }
    }
}
