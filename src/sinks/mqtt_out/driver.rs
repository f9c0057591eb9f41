//! The task that owns a platform sink's rumqttc event loop. It keeps the invariant
//! described in the parent module: a publish leaves only as part of the job registered
//! for its connection, and a lost connection fails that job.

use super::jobs::{Job, OnMessage, Publish, Shared};
use crate::mqtt::backoff::Backoff;
use rumqttc::{AsyncClient, Event, EventLoop, Outgoing, Packet, QoS, SubscribeReasonCode};
use std::collections::HashSet;
use std::sync::Arc;
use tracing::{debug, info, warn};

pub(super) struct Driver {
    pub(super) sink: String,
    pub(super) client: AsyncClient,
    pub(super) shared: Arc<Shared>,
    pub(super) subscriptions: Vec<String>,
    pub(super) snapshot_subscriptions: Vec<String>,
    pub(super) greeting: Vec<Publish>,
    pub(super) on_message: OnMessage,
    /// Lives as long as the event loop: it carries every (re)connect.
    pub(super) route: crate::mqtt::sni::Route,
}

impl Driver {
    pub(super) async fn run(self, mut el: EventLoop) {
        let mut backoff = Backoff::standard();
        let mut kill = self.shared.kill.subscribe();
        let mut stop = self.shared.stop.subscribe();
        // Some(epoch) while connected: only a kill aimed at this connection interrupts a
        // poll (an interrupted poll may have half-sent a packet, so never for nothing).
        let mut live: Option<u64> = None;
        loop {
            let polled = tokio::select! {
                r = el.poll() => r.map_err(|e| self.route.explain(describe(e))),
                k = kill.wait_for(|k| matches!((k, live), (Some((e, _)), Some(l)) if *e == l)),
                    if live.is_some() =>
                {
                    Err(k.ok().and_then(|k| k.clone()).map(|(_, r)| r).unwrap_or_default())
                }
            };
            match polled {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    backoff.reset();
                    live = Some(self.on_connack());
                }
                Ok(Event::Outgoing(Outgoing::Publish(pkid))) => {
                    let mut st = self.shared.state.lock().unwrap();
                    match st.job.as_mut() {
                        Some(job) => {
                            job.outstanding.insert(pkid);
                        }
                        None => debug!(sink = %self.sink, pkid, "publish outside a job"),
                    }
                }
                Ok(Event::Incoming(Packet::PubAck(ack))) => self.on_puback(ack.pkid),
                Ok(Event::Incoming(Packet::Publish(p))) => (self.on_message)(&p.topic, &p.payload),
                Ok(Event::Incoming(Packet::SubAck(s))) => {
                    if s.return_codes
                        .iter()
                        .any(|c| matches!(c, SubscribeReasonCode::Failure))
                    {
                        warn!(sink = %self.sink, topics = ?self.subscriptions, "the broker refused the subscription");
                    } else {
                        debug!(sink = %self.sink, topics = ?self.subscriptions, "subscribed");
                    }
                }
                Ok(_) => {}
                Err(reason) => {
                    let was_connected = live.take().is_some();
                    {
                        let mut st = self.shared.state.lock().unwrap();
                        st.connected = false;
                        st.last_error = Some(reason.clone());
                        if let Some(Job {
                            reply: Some(tx), ..
                        }) = st.job.take()
                        {
                            let _ = tx.send(Err(format!("connection lost: {reason}")));
                        }
                        // Under the lock, so no sink can queue for the dead connection
                        // between this and the next CONNACK: drop all it left behind.
                        el.clean();
                        el.pending.clear();
                        el.state.events.clear();
                        self.shared.ready.send_replace(None);
                    }
                    if *stop.borrow() {
                        info!(sink = %self.sink, "disconnected");
                        return;
                    }
                    let delay = backoff.next_random();
                    if was_connected {
                        warn!(sink = %self.sink, %reason, retry_in = ?delay, "connection lost; reconnecting");
                    } else {
                        warn!(sink = %self.sink, %reason, retry_in = ?delay, "connect failed; retrying");
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = stop.wait_for(|s| *s) => return,
                    }
                }
            }
        }
    }

    fn on_connack(&self) -> u64 {
        let mut st = self.shared.state.lock().unwrap();
        st.epoch += 1;
        st.connected = true;
        st.last_error = None;
        for f in &self.snapshot_subscriptions {
            if let Err(e) = self.client.try_subscribe(f.as_str(), QoS::AtMostOnce) {
                warn!(sink = %self.sink, topic = %f, error = %e, "could not queue the subscription");
            }
        }
        for f in &self.subscriptions {
            if let Err(e) = self.client.try_subscribe(f.as_str(), QoS::AtLeastOnce) {
                warn!(sink = %self.sink, topic = %f, error = %e, "could not queue the subscription");
            }
        }
        info!(sink = %self.sink, epoch = st.epoch, "connected");
        if self.greeting.is_empty() {
            self.shared.ready.send_replace(Some(st.epoch));
            return st.epoch;
        }
        st.job = Some(Job {
            remaining: self.greeting.len(),
            outstanding: HashSet::new(),
            reply: None,
        });
        for p in &self.greeting {
            if let Err(e) = self.client.try_publish(
                p.topic.as_str(),
                QoS::AtLeastOnce,
                p.retain,
                p.payload.clone(),
            ) {
                warn!(sink = %self.sink, error = %e, "could not queue the greeting");
            }
        }
        st.epoch
    }

    fn on_puback(&self, pkid: u16) {
        let mut st = self.shared.state.lock().unwrap();
        let Some(job) = st.job.as_mut() else {
            debug!(sink = %self.sink, pkid, "PUBACK outside a job");
            return;
        };
        if !job.outstanding.remove(&pkid) {
            return;
        }
        job.remaining -= 1;
        if job.remaining > 0 {
            return;
        }
        match st.job.take().and_then(|j| j.reply) {
            Some(tx) => {
                let _ = tx.send(Ok(()));
            }
            None => {
                debug!(sink = %self.sink, epoch = st.epoch, "greeting acknowledged");
                for f in &self.snapshot_subscriptions {
                    if let Err(e) = self.client.try_unsubscribe(f.as_str()) {
                        warn!(sink = %self.sink, topic = %f, error = %e, "could not queue the unsubscription");
                    }
                }
                self.shared.ready.send_replace(Some(st.epoch));
            }
        }
    }
}

/// rumqttc's connection errors as one readable sentence.
fn describe(e: rumqttc::ConnectionError) -> String {
    use rumqttc::ConnectionError as E;
    match e {
        E::ConnectionRefused(code) => format!("the broker refused the connection: {code:?}"),
        E::Tls(t) => format!("TLS error: {t}"),
        E::NetworkTimeout => "timed out connecting to the broker".into(),
        other => other.to_string(),
    }
}
