//! The outgoing MQTT 3.1.1 connection of the platform sinks (ThingsBoard, Cumulocity,
//! Home Assistant):
//! QoS 1 publishes whose PUBACKs are tracked per job, clean sessions, reconnect with the
//! standard backoff.
//!
//! The invariant that keeps "accepted" honest: every publish that leaves on a connection
//! belongs to the one job registered for that connection at the time (the greeting sent on
//! connect, or one chunk of a sink's batch). A job completes when each of its publishes was
//! PUBACKed on the connection it left on. A lost connection fails the job, and whatever
//! rumqttc still holds for the dead connection (its in-flight publishes, queued requests,
//! buffered events) is discarded, so nothing of a failed job leaks into the next connection:
//! the pipeline retries the whole batch, and the sink re-announces what a new connection
//! needs first.

use crate::mqtt::tls::client_config;
pub use crate::mqtt::tls::TlsFiles;
use rumqttc::{AsyncClient, MqttOptions, QoS, TlsConfiguration, Transport};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, watch};

mod driver;
mod jobs;
use driver::Driver;
use jobs::{Job, Shared, State};
pub use jobs::{OnMessage, Publish};

/// Publishes registered as one job; the request channel always has room for a whole one.
pub const CHUNK: usize = 64;

/// Bytes a QoS 1 PUBLISH of `payload_len` bytes to `topic` takes on the wire, fixed header
/// included (the figure platform payload limits are checked against).
pub fn packet_len(topic: &str, payload_len: usize) -> usize {
    let remaining = 2 + topic.len() + 2 + payload_len;
    let varint = match remaining {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    };
    1 + varint + remaining
}

/// The rustls config for `tls = true` (`ca_file` None = the system's roots), None for plain TCP.
/// The MQTT-over-TLS port, the default of every platform sink.
pub fn default_port() -> u16 {
    8883
}

/// For `#[serde(default = …)]` of settings that are on unless turned off (`tls`).
pub fn yes() -> bool {
    true
}

pub fn tls_config(
    enabled: bool,
    ca_file: &Option<PathBuf>,
    server_name: &Option<String>,
) -> Result<Option<Arc<rustls::ClientConfig>>, String> {
    tls_config_files(
        enabled,
        &TlsFiles {
            ca_file: ca_file.clone(),
            client_cert: None,
            server_name: server_name.clone(),
        },
    )
}

/// [`tls_config`] with a client certificate as well, when `files` has one.
pub fn tls_config_files(
    enabled: bool,
    files: &TlsFiles,
) -> Result<Option<Arc<rustls::ClientConfig>>, String> {
    if !enabled {
        return Ok(None);
    }
    client_config(files).map(Some)
}

/// The devices (by VIN) a platform sink announced on the current connection. A platform
/// forgets them with the connection, so a new connection (`epoch` of
/// [`MqttOut::ready_epoch`]) starts with none and each device is announced again.
#[derive(Debug, Default)]
pub struct Announced {
    epoch: u64,
    vins: HashSet<String>,
}

impl Announced {
    /// The VINs announced on connection `epoch`: none when it is a new connection.
    pub fn on(&mut self, epoch: u64) -> &mut HashSet<String> {
        if self.epoch != epoch {
            self.epoch = epoch;
            self.vins.clear();
        }
        &mut self.vins
    }
}

/// Everything needed to open (and reopen) the connection.
pub struct Options {
    /// The sink's config name, for logs.
    pub sink: String,
    pub host: String,
    pub port: u16,
    /// None = plain TCP.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// The TLS name (SNI and certificate) when it is not `host` (see `mqtt::sni`).
    pub server_name: Option<String>,
    pub client_id: String,
    pub credentials: Option<(String, String)>,
    pub keep_alive: Duration,
    /// Largest packet we send (the formatter keeps below it) or accept.
    pub max_packet_size: usize,
    /// Subscribed (QoS 1) after every CONNACK; incoming messages go to the handler.
    pub subscriptions: Vec<String>,
    /// Subscribed (QoS 0) after every CONNACK before the greeting, and unsubscribed once
    /// the greeting is acknowledged: for reading what the broker retained (the broker
    /// sends retained messages on SUBSCRIBE, before it acknowledges the greeting), without
    /// hearing every later publish. Needs a greeting.
    pub snapshot_subscriptions: Vec<String>,
    /// Published after every CONNACK; the connection counts as ready once all are acked.
    pub greeting: Vec<Publish>,
    /// The broker publishes this when the connection ends without a DISCONNECT.
    pub last_will: Option<Publish>,
    /// How long a job may wait for its PUBACKs before the connection is dropped.
    pub ack_timeout: Duration,
    /// How long `ready_epoch` waits for a connection before giving up.
    pub ready_wait: Duration,
}

/// The request side: cheap to share, used by the sink.
pub struct MqttOut {
    endpoint: String,
    client: AsyncClient,
    shared: Arc<Shared>,
    ack_timeout: Duration,
    ready_wait: Duration,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl MqttOut {
    /// Start connecting in the background; never fails (errors show up in `problem`).
    pub fn start(o: Options, on_message: OnMessage) -> MqttOut {
        let route = crate::mqtt::sni::Route::new(
            &o.host,
            o.port,
            o.tls.is_some(),
            o.server_name.as_deref(),
            Duration::from_secs(10),
        );
        let mut m = MqttOptions::new(&o.client_id, &route.broker_addr, o.port);
        if let Some(relay) = &route.relay {
            m.set_proxy(relay.proxy());
        }
        if let Some(tls) = &o.tls {
            m.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
                tls.clone(),
            )));
        }
        let cap = CHUNK
            + 2 * o.snapshot_subscriptions.len()
            + o.subscriptions.len()
            + o.greeting.len()
            + 8;
        m.set_keep_alive(o.keep_alive)
            .set_clean_session(true)
            .set_max_packet_size(o.max_packet_size, o.max_packet_size + 1024)
            .set_request_channel_capacity(cap);
        if let Some((user, pass)) = &o.credentials {
            m.set_credentials(user, pass);
        }
        if let Some(w) = &o.last_will {
            m.set_last_will(rumqttc::LastWill::new(
                &w.topic,
                w.payload.clone(),
                QoS::AtLeastOnce,
                w.retain,
            ));
        }
        let (client, mut el) = AsyncClient::new(m, cap);
        el.network_options.set_connection_timeout(10);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            ready: watch::channel(None).0,
            kill: watch::channel(None).0,
            stop: watch::channel(false).0,
        });
        let driver = Driver {
            sink: o.sink,
            client: client.clone(),
            shared: shared.clone(),
            subscriptions: o.subscriptions,
            snapshot_subscriptions: o.snapshot_subscriptions,
            greeting: o.greeting,
            on_message,
            route,
        };
        let task = tokio::spawn(driver.run(el));
        MqttOut {
            endpoint: format!("{}:{}", o.host, o.port),
            client,
            shared,
            ack_timeout: o.ack_timeout,
            ready_wait: o.ready_wait,
            task: Mutex::new(Some(task)),
        }
    }

    /// Why the connection cannot take jobs now, if so.
    pub fn problem(&self) -> Option<String> {
        if self.shared.ready.borrow().is_some() {
            return None;
        }
        let st = self.shared.state.lock().unwrap();
        Some(match (&st.last_error, st.connected) {
            (_, true) => format!("connected to {}, not ready yet", self.endpoint),
            (Some(e), false) => format!("not connected to {}: {e}", self.endpoint),
            (None, false) => format!("not connected to {} yet", self.endpoint),
        })
    }

    /// The current connection once it is ready, waiting up to `ready_wait` for one.
    pub async fn ready_epoch(&self) -> Result<u64, String> {
        let mut rx = self.shared.ready.subscribe();
        let waited = tokio::time::timeout(self.ready_wait, rx.wait_for(Option::is_some)).await;
        match waited {
            Ok(Ok(epoch)) => Ok(epoch.expect("waited for Some")),
            _ => Err(self.problem().unwrap_or_else(|| "not connected".into())),
        }
    }

    /// Publish everything on connection `epoch`, in order, and return once every publish
    /// was acknowledged on it. Any failure means "not (all) delivered": send it all again.
    pub async fn publish_all(&self, epoch: u64, publishes: &[Publish]) -> Result<(), String> {
        for chunk in publishes.chunks(CHUNK) {
            let rx = self.register(epoch, chunk)?;
            match tokio::time::timeout(self.ack_timeout, rx).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => return Err(e),
                Ok(Err(_)) => return Err("the connection task ended".into()),
                Err(_) => {
                    let reason = format!("no PUBACK within {:?}", self.ack_timeout);
                    self.drop_connection(epoch, &reason);
                    return Err(format!("{reason}; reconnecting"));
                }
            }
        }
        Ok(())
    }

    fn register(
        &self,
        epoch: u64,
        chunk: &[Publish],
    ) -> Result<oneshot::Receiver<Result<(), String>>, String> {
        let mut st = self.shared.state.lock().unwrap();
        if *self.shared.ready.borrow() != Some(epoch) {
            return Err(format!("the connection to {} was lost", self.endpoint));
        }
        if st.job.is_some() {
            return Err("another batch is still in flight".into());
        }
        let (tx, rx) = oneshot::channel();
        st.job = Some(Job {
            remaining: chunk.len(),
            outstanding: HashSet::new(),
            reply: Some(tx),
        });
        for p in chunk {
            if let Err(e) = self.client.try_publish(
                p.topic.as_str(),
                QoS::AtLeastOnce,
                p.retain,
                p.payload.clone(),
            ) {
                // Part of the chunk may be queued: only a fresh connection is clean again.
                let reason = format!("could not queue a publish to {}: {e}", p.topic);
                self.condemn(&mut st, epoch, &reason);
                return Err(reason);
            }
        }
        Ok(rx)
    }

    fn drop_connection(&self, epoch: u64, reason: &str) {
        let mut st = self.shared.state.lock().unwrap();
        self.condemn(&mut st, epoch, reason);
    }

    /// Give up on connection `epoch`: no job may start on it any more (publishes of the
    /// abandoned one may still be in rumqttc's queues), and the driver drops it.
    fn condemn(&self, st: &mut State, epoch: u64, reason: &str) {
        if st.epoch != epoch {
            return; // that connection is gone already
        }
        st.job = None;
        self.shared.ready.send_if_modified(|r| {
            let hit = *r == Some(epoch);
            if hit {
                *r = None;
            }
            hit
        });
        let kill = Some((epoch, reason.to_string()));
        self.shared.kill.send_replace(kill);
    }

    /// Disconnect cleanly (bounded wait) and stop reconnecting.
    pub async fn close(&self) {
        self.shared.stop.send_replace(true);
        let _ = self.client.try_disconnect();
        let task = self.task.lock().unwrap().take();
        if let Some(mut task) = task {
            if tokio::time::timeout(Duration::from_secs(3), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for MqttOut {
    fn drop(&mut self) {
        if let Some(task) = self.task.lock().unwrap().take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::packet_len;

    #[test]
    fn packet_len_counts_fixed_header_topic_and_packet_id() {
        // 1 type byte + 1 length byte + 2 + "s/us" + 2 + 3
        assert_eq!(packet_len("s/us", 3), 1 + 1 + 2 + 4 + 2 + 3);
        // remaining length 128 needs a 2-byte varint
        assert_eq!(packet_len("t", 123), 1 + 2 + 128);
        assert_eq!(packet_len("t", 122), 1 + 1 + 127);
    }
}
