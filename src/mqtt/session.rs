//! The session driver: one task per provider owns the rumqttc event loop and does
//! nothing slow, so keep-alive pings and acks flow even while sinks stall.
//!
//! Rules it enforces (rust-stack.md §1.4–1.6, §6):
//! - every connection is an epoch; a publish is acked only in receive order, only after
//!   its delivery completed, and only on the connection it arrived on;
//! - after an error, publishes rumqttc had already buffered belong to the dead epoch:
//!   they are delivered (a lost session would lose them otherwise) but never acked;
//! - rumqttc redials at once, so we back off with jitter between attempts.

use super::acks::{AckSequencer, Slot};
use super::backoff::Backoff;
use super::conn::{Client, Conn, ConnectOptions, Ev, RawPublish};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, error, info, warn};

/// One received message on its way through the pipeline.
#[derive(Debug)]
pub struct Delivery {
    /// The provider's config name (the record's `source`).
    pub source: Arc<str>,
    pub topic: String,
    pub payload: Bytes,
    pub received_at: DateTime<Utc>,
    /// The broker flagged it as a redelivery (DUP).
    pub redelivered: bool,
    pub ack: AckHandle,
}

/// Completing it tells the session that every sink accepted the delivery. Dropping it
/// without completing means "never ack": the broker will redeliver.
#[derive(Debug)]
pub struct AckHandle {
    slot: Option<Slot>,
    shared: Option<Arc<Shared>>,
}

impl AckHandle {
    /// A handle that acks nothing (offline normalization, tests).
    pub fn detached() -> AckHandle {
        AckHandle {
            slot: None,
            shared: None,
        }
    }

    pub fn complete(self) {
        if let (Some(slot), Some(shared)) = (self.slot, &self.shared) {
            shared.complete(slot);
        }
    }
}

/// Where a session hands its deliveries; it must not block (the poll loop calls it).
pub type DeliverFn = Arc<dyn Fn(Delivery) + Send + Sync>;

/// Connection state for health checks and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    pub connected: bool,
    pub subscribed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Disconnect,
}

#[derive(Debug)]
struct Inner {
    acks: AckSequencer<RawPublish>,
    /// Released acks the request queue could not take yet, oldest first.
    unsent: VecDeque<RawPublish>,
    /// Shutdown began: new publishes are left unacked for the broker to redeliver.
    draining: bool,
}

pub struct Shared {
    name: Arc<str>,
    inner: Mutex<Inner>,
    client: Client,
    connected: AtomicBool,
    subscribed: AtomicBool,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("name", &self.name).finish()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn complete(&self, slot: Slot) {
        let mut inner = self.lock();
        let released = inner.acks.complete(slot);
        inner.unsent.extend(released);
        self.flush_acks(&mut inner);
    }

    /// Hand released acks to rumqttc in order; what does not fit waits for the next try.
    fn flush_acks(&self, inner: &mut Inner) {
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
}

impl Session {
    /// Connect (and keep reconnecting) in the background; deliveries go to `out`.
    pub fn spawn(
        name: String,
        options: ConnectOptions,
        subscriptions: Vec<String>,
        backoff: Backoff,
        out: DeliverFn,
    ) -> Session {
        let (client, conn) = Conn::new(&options);
        let client_id = options.client_id.clone();
        let shared = Arc::new(Shared {
            name: name.into(),
            inner: Mutex::new(Inner {
                acks: AckSequencer::new(),
                unsent: VecDeque::new(),
                draining: false,
            }),
            client,
            connected: AtomicBool::new(false),
            subscribed: AtomicBool::new(false),
        });
        let (phase, phase_rx) = watch::channel(Phase::Running);
        let driver = Driver {
            client_id,
            connected_at: None,
            quick_drops: 0,
            shared: shared.clone(),
            conn,
            subscriptions,
            backoff,
            out,
            phase: phase_rx,
        };
        let task = tokio::spawn(driver.run());
        Session {
            shared,
            phase,
            task,
        }
    }

    pub fn name(&self) -> &str {
        &self.shared.name
    }

    pub fn status(&self) -> Status {
        Status {
            connected: self.shared.connected.load(Ordering::Relaxed),
            subscribed: self.shared.subscribed.load(Ordering::Relaxed),
        }
    }

    /// Stop forwarding new publishes. Returns once no further delivery can be sent,
    /// so a marker queued behind this call follows every forwarded delivery.
    pub fn stop_taking(&self) {
        self.shared.lock().draining = true;
    }

    /// Send DISCONNECT after the acks already queued, wait for the broker to close.
    pub async fn disconnect(self, timeout: Duration) {
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

/// Sessions that end this soon after they began count as "taken over".
const QUICK_DROP: Duration = Duration::from_secs(10);
/// This many in a row and we say so, instead of looking like a flaky network.
const QUICK_DROPS_REPORTED: u32 = 3;

struct Driver {
    client_id: String,
    connected_at: Option<std::time::Instant>,
    /// Consecutive sessions that ended within `QUICK_DROP` of starting.
    quick_drops: u32,
    shared: Arc<Shared>,
    conn: Conn,
    subscriptions: Vec<String>,
    backoff: Backoff,
    out: DeliverFn,
    phase: watch::Receiver<Phase>,
}

impl Driver {
    async fn run(mut self) {
        let name = self.shared.name.clone();
        loop {
            let event = self.conn.poll().await;
            let stopping = *self.phase.borrow() == Phase::Disconnect;
            match event {
                Ok(Ev::ConnAck { session_present }) => self.on_connected(session_present),
                Ok(Ev::SubAck { refused }) if refused.is_empty() => {
                    self.shared.subscribed.store(true, Ordering::Relaxed);
                    info!(provider = %name, topics = ?self.subscriptions, "subscribed");
                }
                Ok(Ev::SubAck { refused }) => {
                    self.shared.subscribed.store(false, Ordering::Relaxed);
                    error!(provider = %name, topics = ?self.subscriptions, reason = ?refused,
                        "the broker refused the subscription: check the topic and that this client may read it");
                }
                Ok(Ev::Publish(p)) => self.forward(p, true),
                Ok(Ev::Disconnect { reason }) if reason == "SessionTakenOver" => {
                    error!(provider = %name, client_id = %self.client_id,
                        "the broker handed our session to another client with the same client id; \
                         give every replica its own client id (and certificate where the provider requires it)");
                }
                Ok(Ev::Disconnect { reason }) => {
                    warn!(provider = %name, %reason, "the broker closed the session");
                }
                Ok(Ev::Other) => {}
                Err(reason) if stopping => {
                    debug!(provider = %name, %reason, "session closed");
                    break;
                }
                Err(reason) => {
                    if self.on_error(&reason).await.is_break() {
                        break;
                    }
                }
            }
            if stopping && !self.shared.connected.load(Ordering::Relaxed) {
                break;
            }
            let mut inner = self.shared.lock();
            if !inner.unsent.is_empty() {
                self.shared.flush_acks(&mut inner);
            }
        }
        self.shared.connected.store(false, Ordering::Relaxed);
        self.shared.subscribed.store(false, Ordering::Relaxed);
        info!(provider = %name, "disconnected");
    }

    fn on_connected(&mut self, session_present: bool) {
        let epoch = {
            let mut inner = self.shared.lock();
            inner.unsent.clear();
            inner.acks.new_epoch()
        };
        self.backoff.reset();
        self.connected_at = Some(std::time::Instant::now());
        self.shared.connected.store(true, Ordering::Relaxed);
        info!(provider = %self.shared.name, epoch, session_present, "connected");
        // Subscribe on every connect: a broker that lost our session lost the
        // subscription too, and re-subscribing an existing one is harmless.
        for topic in &self.subscriptions {
            if !self.shared.client.try_subscribe(topic) {
                error!(provider = %self.shared.name, %topic, "could not queue the subscription");
            }
        }
    }

    /// Pass a publish to the pipeline. `ackable = false` for publishes of a dead epoch.
    fn forward(&mut self, p: RawPublish, ackable: bool) {
        let mut inner = self.shared.lock();
        if inner.draining {
            return; // not acked: the broker redelivers it to our next session
        }
        let slot = (ackable && p.needs_ack()).then(|| inner.acks.receive(Some(p.clone())));
        let delivery = Delivery {
            source: self.shared.name.clone(),
            topic: p.topic(),
            payload: p.payload(),
            received_at: Utc::now(),
            redelivered: p.dup(),
            ack: AckHandle {
                slot,
                shared: Some(self.shared.clone()),
            },
        };
        (self.out)(delivery);
    }

    async fn on_error(&mut self, reason: &str) -> std::ops::ControlFlow<()> {
        let was_connected = self.shared.connected.swap(false, Ordering::Relaxed);
        self.shared.subscribed.store(false, Ordering::Relaxed);
        {
            // Close the epoch first, then drop whatever ack slipped into the queue
            // meanwhile: from here on, no ack of the dead connection can be written.
            let mut inner = self.shared.lock();
            inner.acks.new_epoch();
            inner.unsent.clear();
        }
        self.conn.clean();
        for stale in self.conn.drain_stale() {
            self.forward(stale, false);
        }
        if was_connected {
            let quick = self.connected_at.is_some_and(|t| t.elapsed() < QUICK_DROP);
            self.quick_drops = if quick { self.quick_drops + 1 } else { 0 };
            if self.quick_drops == QUICK_DROPS_REPORTED {
                error!(provider = %self.shared.name, client_id = %self.client_id, drops = self.quick_drops,
                    "the broker keeps closing our session right after it opens: another client is \
                     probably connected with the same client id and each connection takes the session \
                     from the other; give every process its own client id (and certificate where required)");
            }
        }
        let delay = self.backoff.next_random();
        let hint = hint_for(reason);
        if was_connected {
            warn!(provider = %self.shared.name, %reason, retry_in = ?delay, "connection lost; reconnecting{hint}");
        } else {
            warn!(provider = %self.shared.name, %reason, retry_in = ?delay, "connect failed; retrying{hint}");
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => std::ops::ControlFlow::Continue(()),
            _ = self.phase.wait_for(|p| *p == Phase::Disconnect) => std::ops::ControlFlow::Break(()),
        }
    }
}

/// A pointer to the likely fix for errors users hit most.
fn hint_for(reason: &str) -> &'static str {
    let r = reason.to_ascii_lowercase();
    if r.contains("tls") || r.contains("certificate") || r.contains("alert") {
        " (TLS: check ca_file, cert_file and key_file, and that the certificate is valid for this broker)"
    } else if r.contains("notauthorized") || r.contains("badusernamepassword") {
        " (the broker rejected our credentials)"
    } else {
        ""
    }
}
