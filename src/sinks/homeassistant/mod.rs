//! The `homeassistant` sink: every vehicle a Home Assistant device, every signal an
//! entity, through MQTT discovery on the broker Home Assistant's MQTT integration uses
//! (SPEC.md §6).
//!
//! Per VIN one retained device discovery config (see `discovery`) and one retained state
//! message holding the latest value of every path; entities read their value from it by
//! template. `{base_topic}/status` says `online` once connected (the greeting, and again
//! after every batch) and `offline` as the last will or on shutdown. The discovery is sent again when a VIN gains
//! an entity, on every new connection (a broker without persistence forgot it), and when
//! Home Assistant announces `online` on `{discovery_prefix}/status` (it restarted).
//!
//! A batch is accepted when its state publishes (and any discovery before them) were
//! PUBACKed on one connection; broker down → not ready, the batch waits.
//!
//! On every connection the sink first reads back the retained state topics (subscribed
//! before the greeting, dropped once it is acked), and it keeps every entity it announced
//! under `state_dir/sinks/{name}/entities.jsonl` (`known`), so a restarted daemon
//! announces every entity it announced before, not only those its first records carry
//! (Home Assistant removes entities a device config leaves out), even when the read-back
//! misses.

pub mod config;
pub mod discovery;
#[cfg(test)]
mod discovery_tests;
pub mod entities;
mod known;
mod row;
mod table;
#[cfg(test)]
mod table_tests;

use super::mqtt_out::{self, MqttOut, Options, Publish, TlsFiles};
use super::sink::{Refusal, Sink, SinkError};
use crate::config::Problems;
use crate::record::Record;
use async_trait::async_trait;
use config::{Entities, HomeAssistantSinkConfig};
use discovery::{valid_vin, Topics, Vehicle};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;
use tokio::sync::{Mutex, Notify};
use tracing::{debug, info, warn};

/// Largest packet sent or accepted: a device config of a few hundred entities fits.
const MAX_PACKET: usize = 8 * 1024 * 1024;

/// Everything `build` would refuse, without connecting.
pub fn check_config(config: &HomeAssistantSinkConfig) -> Result<(), String> {
    for (key, value) in [
        ("discovery_prefix", &config.discovery_prefix),
        ("base_topic", &config.base_topic),
    ] {
        if value.is_empty() || value.contains(['+', '#']) || value.ends_with('/') {
            return Err(format!(
                "{key}: `{value}` must be a non-empty topic without wildcards or a trailing `/`"
            ));
        }
    }
    if config.base_topic == config.discovery_prefix {
        // `{base_topic}/status` would be Home Assistant's own status topic: the sink would
        // hear its own `online` as Home Assistant starting, and announce again, forever.
        return Err(format!(
            "base_topic: `{}` must differ from discovery_prefix",
            config.base_topic
        ));
    }
    if config.cert_file.is_some() != config.key_file.is_some() {
        return Err("cert_file and key_file: give both or neither".into());
    }
    if !config.tls
        && (config.ca_file.is_some() || config.cert_file.is_some() || config.server_name.is_some())
    {
        return Err("ca_file / cert_file / key_file / server_name need `tls = true`".into());
    }
    if config.password.is_some() && config.username.is_none() {
        return Err("password: needs a username".into());
    }
    tls(config).map(drop)
}

fn tls(config: &HomeAssistantSinkConfig) -> Result<Option<Arc<rustls::ClientConfig>>, String> {
    let files = TlsFiles {
        ca_file: config.ca_file.clone(),
        client_cert: config.cert_file.clone().zip(config.key_file.clone()),
        server_name: config.server_name.clone(),
    };
    mqtt_out::tls_config_files(config.tls, &files)
}

/// Report what `build` would refuse (see the registry in `sinks/mod.rs`).
pub fn check(config: &HomeAssistantSinkConfig, p: &mut Problems) {
    if let Err(m) = check_config(config) {
        p.report(m);
    }
}

pub async fn build(
    name: &str,
    config: &HomeAssistantSinkConfig,
    state_dir: &Path,
) -> Result<Arc<dyn Sink>, String> {
    check_config(config)?;
    let dir = state_dir.join("sinks").join(name);
    let (known, entries) = known::Known::open(&dir)?;
    Ok(Arc::new(start(
        name,
        config,
        Duration::from_secs(30),
        known,
        entries,
    )?))
}

/// What arrives on the subscriptions, for the next batch (or the rediscovery task).
#[derive(Default)]
struct Inbox {
    /// Retained state read back: (VIN, its JSON object).
    recalled: Vec<(String, serde_json::Map<String, Value>)>,
    /// Home Assistant said `online`: announce everything again.
    ha_online: bool,
}

struct State {
    /// The connection the announcements below were made on.
    epoch: u64,
    vehicles: HashMap<String, Vehicle>,
    /// VINs whose discovery config, as it is now, was acknowledged on `epoch`.
    announced: HashSet<String>,
    /// Every entity announced, kept across restarts.
    known: known::Known,
}

struct Inner {
    name: String,
    topics: Topics,
    mode: Entities,
    out: MqttOut,
    inbox: Arc<StdMutex<Inbox>>,
    /// Wakes the background rediscovery: a new connection, Home Assistant online.
    wake: Arc<Notify>,
    /// Also serializes publishing: one job in flight at a time.
    state: Mutex<State>,
}

pub struct HomeAssistantSink {
    inner: Arc<Inner>,
    rediscovery: tokio::task::JoinHandle<()>,
}

fn start(
    name: &str,
    config: &HomeAssistantSinkConfig,
    ack_timeout: Duration,
    known: known::Known,
    entries: Vec<known::Entry>,
) -> Result<HomeAssistantSink, String> {
    check_config(config)?;
    let topics = Topics {
        discovery_prefix: config.discovery_prefix.clone(),
        base_topic: config.base_topic.clone(),
    };
    let inbox = Arc::new(StdMutex::new(Inbox::default()));
    let wake = Arc::new(Notify::new());
    let on_message = {
        let (topics, inbox, wake) = (topics.clone(), inbox.clone(), wake.clone());
        let sink = name.to_string();
        move |topic: &str, payload: &[u8]| {
            if topic == topics.ha_status() {
                if payload == b"online" {
                    info!(sink = %sink, "Home Assistant is online; announcing every vehicle again");
                    inbox.lock().unwrap().ha_online = true;
                    wake.notify_one();
                }
            } else if let Some(vin) = topics.vin_of_state(topic) {
                match serde_json::from_slice::<Value>(payload) {
                    Ok(Value::Object(m)) => {
                        inbox.lock().unwrap().recalled.push((vin.to_string(), m))
                    }
                    _ => {
                        debug!(sink = %sink, %topic, "ignoring a retained state that is no JSON object")
                    }
                }
            }
        }
    };
    let credentials = config.username.clone().map(|u| {
        let p = config.password.as_ref().map(|p| p.expose().to_string());
        (u, p.unwrap_or_default())
    });
    let out = MqttOut::start(
        Options {
            sink: name.to_string(),
            host: config.host.clone(),
            port: config.port,
            tls: tls(config)?,
            server_name: config.server_name.clone(),
            client_id: format!("vinstream-{name}-{:08x}", fastrand::u32(..)),
            credentials,
            keep_alive: Duration::from_secs(30),
            max_packet_size: MAX_PACKET,
            snapshot_subscriptions: vec![topics.all_states()],
            subscriptions: vec![topics.ha_status()],
            greeting: vec![Publish::retained(topics.availability(), "online")],
            last_will: Some(Publish::retained(topics.availability(), "offline")),
            ack_timeout,
            ready_wait: Duration::from_secs(5),
        },
        Box::new(on_message),
    );
    let inner = Arc::new(Inner {
        name: name.to_string(),
        topics,
        mode: config.entities,
        out,
        inbox,
        wake: wake.clone(),
        state: Mutex::new(State {
            epoch: 0,
            vehicles: HashMap::new(),
            announced: HashSet::new(),
            known,
        }),
    });
    {
        let mut st = inner.state.try_lock().expect("nobody else holds it yet");
        for e in &entries {
            st.vehicles.entry(e.vin.clone()).or_default().learn(
                &e.vin,
                &e.path,
                &e.sample,
                e.unit.as_deref(),
                inner.mode,
            );
        }
    }
    let rediscovery = tokio::spawn(rediscover(Arc::downgrade(&inner), wake));
    Ok(HomeAssistantSink { inner, rediscovery })
}

/// Vehicles announced per step of the background rediscovery. A step holds the state
/// lock, so the pipeline's next batch waits for one step at most, never for the fleet.
const REDISCOVER_STEP: usize = 32;

/// Announce every vehicle not announced on this connection (a new connection, Home
/// Assistant restarted, a vehicle that gained entities by read-back), a step at a time,
/// in the background: a batch publishes only its own vehicles, so thousands of vehicles
/// to announce again never hold up acks.
async fn rediscover(inner: std::sync::Weak<Inner>, wake: Arc<Notify>) {
    loop {
        wake.notified().await;
        let mut failures = 0u32;
        loop {
            let Some(inner) = inner.upgrade() else { return };
            match inner.announce_step(REDISCOVER_STEP).await {
                Ok(0) => break,
                Ok(_) => failures = 0,
                Err(e) => {
                    if failures == 0 {
                        warn!(sink = %inner.name, error = %e, "could not announce the vehicles again; retrying");
                    }
                    failures += 1;
                    drop(inner);
                    tokio::time::sleep(
                        Duration::from_secs(1).min(Duration::from_millis(100) * failures),
                    )
                    .await;
                }
            }
        }
    }
}

impl Inner {
    /// Apply `batch` to the vehicles and publish what changed: discovery configs first,
    /// then the states. Returns the records refused for good (a VIN that cannot be a
    /// topic level or an id).
    async fn publish(&self, batch: &[Arc<Record>]) -> Result<Vec<Refusal>, String> {
        let mut st = self.state.lock().await;
        let epoch = self.out.ready_epoch().await?;
        let st = &mut *st;
        let mut learned = self.sync(st, epoch);
        let mut refused = Vec::new();
        let mut vins: Vec<&str> = Vec::new();
        for r in batch {
            if !valid_vin(&r.vin) {
                refused.push(refusal(r, &self.topics));
                continue;
            }
            let v = st.vehicles.entry(r.vin.clone()).or_default();
            for s in &r.signals {
                if v.observe(&r.vin, &s.path, &s.value, s.unit.as_deref(), self.mode) {
                    st.announced.remove(&r.vin);
                    learned.push(known::Entry {
                        vin: r.vin.clone(),
                        path: s.path.to_string(),
                        sample: s.value.clone(),
                        unit: s.unit.as_deref().map(str::to_string),
                    });
                }
            }
            vins.push(&r.vin);
        }
        self.keep(&st.known, &learned).await;
        // The batch's vehicles only; the others are the background rediscovery's.
        vins.sort_unstable();
        vins.dedup();
        let mut publishes = Vec::new();
        let mut states = Vec::new();
        for vin in &vins {
            let v = &st.vehicles[*vin];
            if !st.announced.contains(*vin) && !v.components.is_empty() {
                publishes.push(self.config_publish(vin, v));
            }
            states.push(Publish::retained(self.topics.state(vin), v.state_payload()));
        }
        let announcing = publishes.len();
        publishes.extend(states);
        // `online` again with every batch: on a reload the old instance says `offline`
        // on close, possibly after this one's greeting.
        publishes.push(Publish::retained(self.topics.availability(), "online"));
        // On failure `announced` keeps what it lost: the next batch announces again.
        self.out.publish_all(epoch, &publishes).await?;
        if announcing > 0 {
            debug!(sink = %self.name, vehicles = announcing, "discovery published");
        }
        let done: Vec<String> = vins.into_iter().map(str::to_string).collect();
        st.announced.extend(done);
        Ok(refused)
    }

    /// Announce (config and state) up to `n` vehicles not yet announced on this
    /// connection; how many were announced.
    async fn announce_step(&self, n: usize) -> Result<usize, String> {
        let mut st = self.state.lock().await;
        let epoch = self.out.ready_epoch().await?;
        let st = &mut *st;
        let learned = self.sync(st, epoch);
        self.keep(&st.known, &learned).await;
        // An empty `cmps` would remove every entity of the device: only vendor signals
        // under `entities = "mapped"` so far, nothing to announce.
        let mut vins: Vec<&String> = st
            .vehicles
            .iter()
            .filter(|(vin, v)| !st.announced.contains(*vin) && !v.components.is_empty())
            .map(|(vin, _)| vin)
            .collect();
        vins.sort_unstable();
        vins.truncate(n);
        let mut publishes = Vec::with_capacity(2 * vins.len());
        for vin in &vins {
            let v = &st.vehicles[*vin];
            publishes.push(self.config_publish(vin, v));
            publishes.push(Publish::retained(self.topics.state(vin), v.state_payload()));
        }
        if publishes.is_empty() {
            return Ok(0);
        }
        self.out.publish_all(epoch, &publishes).await?;
        let done: Vec<String> = vins.into_iter().cloned().collect();
        debug!(sink = %self.name, vehicles = done.len(), "discovery published again");
        let count = done.len();
        st.announced.extend(done);
        Ok(count)
    }

    fn config_publish(&self, vin: &str, v: &Vehicle) -> Publish {
        Publish::retained(
            self.topics.config(vin),
            v.discovery_payload(vin, &self.topics),
        )
    }

    /// Keep `entries` (entities new to the device configs) across restarts. A failure
    /// costs only that protection, never a record.
    async fn keep(&self, known: &known::Known, entries: &[known::Entry]) {
        if let Err(e) = known.append(entries).await {
            warn!(sink = %self.name, error = %e, "could not keep the new entities; a restart may announce fewer until their values arrive again");
        }
    }

    /// Take in what arrived (read-back state, Home Assistant online) and a new
    /// connection; wake the rediscovery when vehicles now need announcing again. Returns
    /// the entities the read-back added, to keep (a file lost or older than them).
    fn sync(&self, st: &mut State, epoch: u64) -> Vec<known::Entry> {
        let mut again = false;
        let mut learned = Vec::new();
        if st.epoch != epoch {
            st.epoch = epoch;
            st.announced.clear();
            again = true;
        }
        let (recalled, ha_online) = {
            let mut inbox = self.inbox.lock().unwrap();
            (
                std::mem::take(&mut inbox.recalled),
                std::mem::take(&mut inbox.ha_online),
            )
        };
        for (vin, values) in recalled {
            let v = st.vehicles.entry(vin.clone()).or_default();
            for (path, value) in &values {
                if v.recall(&vin, path, value, self.mode) {
                    st.announced.remove(&vin);
                    again = true;
                    learned.push(known::Entry {
                        vin: vin.clone(),
                        path: path.clone(),
                        sample: value.clone(),
                        unit: None,
                    });
                }
            }
        }
        if ha_online {
            st.announced.clear();
            again = true;
        }
        if again {
            self.wake.notify_one();
        }
        learned
    }
}

fn refusal(r: &Record, topics: &Topics) -> Refusal {
    Refusal {
        vin: r.vin.clone(),
        topic: topics.state(&r.vin),
        payload: String::from_utf8_lossy(&r.to_json_line())
            .trim_end()
            .to_string(),
        reason: format!(
            "the VIN `{}` cannot name a Home Assistant device (only letters, digits, `_` and `-`)",
            r.vin
        ),
    }
}

#[async_trait]
impl Sink for HomeAssistantSink {
    fn name(&self) -> &str {
        &self.inner.name
    }

    async fn accept(&self, batch: &[Arc<Record>]) -> Result<(), SinkError> {
        self.accept_refusing(batch).await.map(drop)
    }

    async fn accept_refusing(&self, batch: &[Arc<Record>]) -> Result<Vec<Refusal>, SinkError> {
        self.inner.publish(batch).await.map_err(SinkError::Other)
    }

    /// Say `offline` (a clean disconnect sends no last will), then disconnect.
    async fn close(&self) -> Result<(), SinkError> {
        self.rediscovery.abort();
        let offline = [Publish::retained(
            self.inner.topics.availability(),
            "offline",
        )];
        {
            let _st = self.inner.state.lock().await;
            if let Ok(epoch) = self.inner.out.ready_epoch().await {
                if let Err(e) = self.inner.out.publish_all(epoch, &offline).await {
                    warn!(sink = %self.inner.name, error = %e, "could not say offline");
                }
            }
        }
        self.inner.out.close().await;
        Ok(())
    }

    fn problem(&self) -> Option<String> {
        self.inner.out.problem()
    }
}

impl Drop for HomeAssistantSink {
    fn drop(&mut self) {
        self.rediscovery.abort();
    }
}
