//! A provider session as the rest of the daemon sees it: deliveries with ack handles,
//! status, credential rotation and a clean disconnect. The loop that owns the rumqttc
//! event loop lives in `driver.rs`; the state both sides touch lives here.

use super::acks::{AckSequencer, Slot};
use super::backoff::Backoff;
use super::conn::{AckRef, Client, Conn, ConnectOptions};
use super::driver::Driver;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tracing::{debug, warn};

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

/// Connection state for health checks and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    pub connected: bool,
    pub subscribed: bool,
}

impl Status {
    pub fn ready(&self) -> bool {
        self.connected && self.subscribed
    }
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

/// A running provider session.
pub struct Session {
    shared: Arc<Shared>,
    phase: watch::Sender<Phase>,
    task: JoinHandle<()>,
    /// Tasks that serve this session (token refresh) and end with it.
    companions: Vec<JoinHandle<()>>,
}

/// A read-only view of a session, for health checks and metrics.
#[derive(Clone)]
pub struct SessionWatch {
    shared: Arc<Shared>,
}

impl SessionWatch {
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    pub fn status(&self) -> Status {
        Status {
            connected: self.shared.connected.load(Ordering::Relaxed),
            subscribed: self.shared.subscribed.load(Ordering::Relaxed),
        }
    }

    /// Why the session cannot work, when something else than the connection says so.
    pub fn problem(&self) -> Option<String> {
        self.shared
            .problem
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// What a credential owner (the BMW token refresher) may do to a running session.
#[derive(Clone)]
pub struct CredentialsHandle {
    shared: Arc<Shared>,
}

impl CredentialsHandle {
    /// Use new credentials (a refreshed token): a live connection is closed cleanly and
    /// reopened with them, the persistent session resuming; takes effect within one
    /// keep-alive interval.
    pub fn rotate(&self, user: String, password: String) {
        self.shared.lock().new_credentials = Some((user, password));
    }

    /// Resolves when the broker refuses our credentials (bad user name/password, not
    /// authorized), so a token can be renewed at once instead of at its expiry.
    pub async fn auth_failed(&self) {
        self.shared.auth_failed.notified().await
    }

    /// Report a problem that keeps the session from working (shown by /readyz), or clear it.
    pub fn set_problem(&self, problem: Option<String>) {
        *self
            .shared
            .problem
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = problem;
    }
}

impl Session {
    /// Connect (and keep reconnecting) in the background; deliveries go to `out`.
    pub fn spawn(spec: SessionSpec, out: DeliverFn) -> Session {
        let (client, conn) = Conn::new(&spec.options);
        let shared = Arc::new(Shared {
            name: spec.name.as_str().into(),
            inner: Mutex::new(Inner {
                acks: AckSequencer::new(),
                unsent: VecDeque::new(),
                draining: false,
                new_credentials: None,
            }),
            client,
            connected: AtomicBool::new(false),
            subscribed: AtomicBool::new(false),
            auth_failed: Notify::new(),
            problem: Mutex::new(None),
            in_flight: AtomicUsize::new(0),
            shed_pending: AtomicBool::new(false),
            recover_below: AtomicUsize::new(0),
            room: Notify::new(),
            reconnect_asked: AtomicBool::new(false),
        });
        let (phase, phase_rx) = watch::channel(Phase::Running);
        let driver = Driver::new(spec, shared.clone(), conn, out, phase_rx);
        let task = tokio::spawn(driver.run());
        Session {
            shared,
            phase,
            task,
            companions: Vec::new(),
        }
    }

    /// Name, status and problem, for health checks (the one place that reads them).
    pub fn watch(&self) -> SessionWatch {
        SessionWatch {
            shared: self.shared.clone(),
        }
    }

    pub fn credentials(&self) -> CredentialsHandle {
        CredentialsHandle {
            shared: self.shared.clone(),
        }
    }

    /// Run `task` alongside the session; it is stopped when the session disconnects.
    pub fn attach(&mut self, task: JoinHandle<()>) {
        self.companions.push(task);
    }

    /// Stop forwarding new publishes. Returns once no further delivery can be sent,
    /// so a marker queued behind this call follows every forwarded delivery.
    pub fn stop_taking(&self) {
        self.shared.lock().draining = true;
    }

    /// Send DISCONNECT after the acks already queued, wait for the broker to close.
    pub async fn disconnect(self, timeout: Duration) {
        for companion in &self.companions {
            companion.abort();
        }
        let _ = self.phase.send(Phase::Disconnect);
        {
            let mut inner = self.shared.lock();
            self.shared.flush_acks(&mut inner);
        }
        self.shared.client.try_disconnect();
        let name = self.shared.name.clone();
        let mut task = self.task;
        if tokio::time::timeout(timeout, &mut task).await.is_err() {
            warn!(provider = %name, "broker did not close the session in time; dropping the connection");
            task.abort();
        }
    }
}
