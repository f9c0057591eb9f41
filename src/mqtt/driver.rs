//! The session driver: one task per provider owns the rumqttc event loop and does
//! nothing slow, so keep-alive pings and acks flow even while sinks stall.
//!
//! Rules it enforces (rust-stack.md §1.4–1.6, §6):
//! - every connection is an epoch; a publish is acked only in receive order, only after
//!   its delivery completed, and only on the connection it arrived on;
//! - after an error, publishes rumqttc had already buffered belong to the dead epoch:
//!   they are delivered (a lost session would lose them otherwise) but never acked;
//! - rumqttc redials at once, so we back off with jitter between attempts;
//! - while the pipeline holds half of `max_in_flight`, it stops reading (see
//!   `wait_for_room`), so a broker that floods us is held back by TCP, not by our memory.

use super::backoff::Backoff;
use super::conn::{Conn, Ev, RawPublish};
use super::shared::{AckHandle, DeliverFn, Delivery, Phase, SessionSpec, Shared};
use chrono::Utc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{debug, error, info, warn};

/// Sessions that end this soon after they began count as "taken over".
const QUICK_DROP: Duration = Duration::from_secs(10);
/// This many in a row and we say so, instead of looking like a flaky network.
const QUICK_DROPS_REPORTED: u32 = 3;

pub(super) struct Driver {
    client_id: String,
    refusal_hint: &'static str,
    /// A clean disconnect we asked for (new credentials, shed deliveries); reconnect at once.
    rotating: bool,
    /// Most payload bytes the pipeline may hold; beyond it publishes are shed (see `forward`).
    max_in_flight: usize,
    /// The longest we stop reading: pings must go out within the keep-alive.
    max_pause: Duration,
    /// A pause ran out: read (and shed) until the pipeline is down to a quarter.
    reading_through: bool,
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
    pub(super) fn new(
        spec: SessionSpec,
        shared: Arc<Shared>,
        conn: Conn,
        out: DeliverFn,
        phase: watch::Receiver<Phase>,
    ) -> Driver {
        let max_in_flight = spec.options.max_in_flight.max(1);
        shared
            .recover_below
            .store(max_in_flight / 4, Ordering::Relaxed);
        Driver {
            client_id: spec.options.client_id.clone(),
            refusal_hint: spec.refusal_hint,
            rotating: false,
            max_in_flight,
            max_pause: spec.options.keep_alive / 2,
            reading_through: false,
            connected_at: None,
            quick_drops: 0,
            shared,
            conn,
            subscriptions: spec.subscriptions,
            backoff: spec.backoff,
            out,
            phase,
        }
    }

    pub(super) async fn run(mut self) {
        let name = self.shared.name.clone();
        loop {
            self.take_new_credentials();
            self.wait_for_room().await;
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
                        "the broker refused the subscription: {}", self.refusal_hint);
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
                Err(reason)
                    if self.rotating
                        || self.shared.reconnect_asked.swap(false, Ordering::AcqRel) =>
                {
                    self.on_rotated(&reason)
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
            self.shared.maybe_recover();
            let mut inner = self.shared.lock();
            if !inner.unsent.is_empty() {
                self.shared.flush_acks(&mut inner);
            }
        }
        self.shared.connected.store(false, Ordering::Relaxed);
        self.shared.subscribed.store(false, Ordering::Relaxed);
        info!(provider = %name, "disconnected");
    }

    /// Stop reading while the pipeline holds half of `max_in_flight`, until it is down to
    /// a quarter. The broker then waits on TCP flow control instead of us buffering what it
    /// sends beyond our receive maximum (Mosquitto 2.0 sends a resumed session's whole
    /// queue at once). A pause lasts at most `max_pause`: a PINGRESP queued behind unread
    /// publishes would otherwise go unread past the next ping, and rumqttc would drop the
    /// connection. A stall that outlasts it is a stalled sink, not a burst: from then on
    /// we read, and what arrives past `max_in_flight` is shed (see `forward`) until the
    /// pipeline is down to a quarter again.
    async fn wait_for_room(&mut self) {
        let in_flight = || self.shared.in_flight.load(Ordering::Acquire);
        let low = self.shared.recover_below.load(Ordering::Relaxed);
        if self.reading_through {
            self.reading_through = in_flight() > low;
            return;
        }
        if in_flight() < self.max_in_flight / 2 {
            return;
        }
        let until = tokio::time::Instant::now() + self.max_pause;
        debug!(provider = %self.shared.name, in_flight = in_flight(), "pipeline full; not reading");
        while in_flight() > low && *self.phase.borrow() != Phase::Disconnect {
            let room = self.shared.room.notified();
            tokio::select! {
                _ = room => {}
                _ = tokio::time::sleep_until(until) => {
                    self.reading_through = true;
                    break;
                }
                changed = self.phase.changed() => if changed.is_err() { break },
            }
        }
    }

    /// New credentials: when connected, close cleanly (DISCONNECT after the queued acks,
    /// then read until the broker closes, so nothing it sent is left unread) and switch
    /// when the connection is down; when not connected, switch now.
    fn take_new_credentials(&mut self) {
        if self.rotating {
            return;
        }
        let Some((user, pass)) = self.shared.lock().new_credentials.take() else {
            return;
        };
        self.conn.set_credentials(&user, &pass);
        if self.shared.connected.load(Ordering::Relaxed) && self.shared.client.try_disconnect() {
            info!(provider = %self.shared.name, "reconnecting with renewed credentials");
            self.rotating = true;
        }
    }

    fn on_rotated(&mut self, reason: &str) {
        debug!(provider = %self.shared.name, %reason, "closed for the credential switch");
        self.rotating = false;
        self.end_epoch();
        self.backoff.reset();
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
    ///
    /// A broker that ignores our receive maximum (Mosquitto 2.0.11 does, after batched
    /// acks) could fill memory while a sink stalls. Beyond `max_in_flight` bytes a publish is
    /// *shed*: not forwarded and never acked — its slot stays open, so no later publish
    /// of this connection is acked either, and the ack order holds. Once the pipeline
    /// has room, a clean reconnect makes the broker redeliver everything unacked
    /// (dedup drops what was already delivered). Polling never stops, so keep-alive does not.
    fn forward(&mut self, p: RawPublish, ackable: bool) {
        let mut inner = self.shared.lock();
        if inner.draining {
            return; // not acked: the broker redelivers it to our next session
        }
        let bytes = p.payload_len();
        let in_flight = self.shared.in_flight.load(Ordering::Acquire);
        // An empty pipeline takes any message, so one larger than the budget still passes.
        if ackable && in_flight > 0 && in_flight + bytes > self.max_in_flight {
            if p.needs_ack() {
                inner.acks.receive(None);
            }
            if !self.shared.shed_pending.swap(true, Ordering::AcqRel) {
                warn!(provider = %self.shared.name, in_flight_bytes = self.max_in_flight,
                    "the sinks are behind and the broker keeps sending beyond our receive maximum; \
                     leaving further messages unacknowledged until the sinks catch up (they will be redelivered)");
            }
            return;
        }
        self.shared.in_flight.fetch_add(bytes, Ordering::AcqRel);
        let slot = (ackable && p.needs_ack()).then(|| inner.acks.receive(Some(p.ack_ref())));
        let delivery = Delivery {
            source: self.shared.name.clone(),
            topic: p.topic(),
            payload: p.payload(),
            received_at: Utc::now(),
            ack: AckHandle {
                slot,
                shared: Some(self.shared.clone()),
                bytes,
                #[cfg(test)]
                completed: None,
            },
        };
        (self.out)(delivery);
    }

    /// The connection is gone: close its epoch first, then drop whatever ack slipped into
    /// the queue meanwhile, so no ack of the dead connection can be written on a new one.
    fn end_epoch(&mut self) {
        // A new connection brings the broker's redeliveries: nothing shed stays missing.
        self.shared.shed_pending.store(false, Ordering::Release);
        self.shared.connected.store(false, Ordering::Relaxed);
        self.shared.subscribed.store(false, Ordering::Relaxed);
        {
            let mut inner = self.shared.lock();
            inner.acks.new_epoch();
            inner.unsent.clear();
        }
        self.conn.clean();
        for stale in self.conn.drain_stale() {
            self.forward(stale, false);
        }
    }

    async fn on_error(&mut self, reason: &str) -> std::ops::ControlFlow<()> {
        let was_connected = self.shared.connected.load(Ordering::Relaxed);
        self.end_epoch();
        let r = reason.to_ascii_lowercase();
        if r.contains("notauthorized") || r.contains("badusernamepassword") {
            self.shared.auth_failed.notify_one();
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
