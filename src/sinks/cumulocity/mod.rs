//! The `cumulocity` sink: MQTT SmartREST 2.0 static templates (reference/sinks.md Part C).
//!
//! One MQTT 3.1.1 connection with a clean session (the platform requires it), client id
//! `d:{device_id}`, username `{tenant}/{username}`. Every connection first creates the
//! daemon's device (`100` on `s/us`, acknowledged before any data), then each VIN's child
//! device (`101` on `s/us`) once per connection before its data on `s/us/{VIN}` (see
//! `format`). `s/e` is subscribed and every platform error is logged against the sink.
//! A batch is accepted only when all its publishes were PUBACKed on one connection; the
//! event memory (last value per VIN and path) is updated only then.

pub mod format;

pub mod config;
use super::mqtt_out::{self, Announced, MqttOut, Options, Publish};
use super::sink::{Refusal, Sink, SinkError};
use crate::config::Problems;
use crate::record::Record;
use async_trait::async_trait;
use config::CumulocitySinkConfig;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tracing::{debug, warn};

/// The platform's limit for a whole MQTT packet, header included.
pub const MAX_PACKET: usize = 16_184;

/// Everything `build` would refuse, without connecting: `check` runs this, so a config
/// it passes does not fail at `run`.
pub fn check_config(config: &CumulocitySinkConfig) -> Result<(), String> {
    if config.device_id.is_empty() || config.device_id.contains(':') {
        return Err(format!(
            "device_id: `{}` must be non-empty and must not contain `:` (the client id is d:{{device_id}})",
            config.device_id
        ));
    }
    mqtt_out::tls_config(config.tls, &config.ca_file, &config.server_name).map(drop)
}

/// Report what `build` would refuse (see the registry in `sinks/mod.rs`).
pub fn check(config: &CumulocitySinkConfig, p: &mut Problems) {
    if let Err(m) = check_config(config) {
        p.report(m);
    }
}

pub async fn build(
    name: &str,
    config: &CumulocitySinkConfig,
    state_dir: &Path,
) -> Result<Arc<dyn Sink>, String> {
    let _ = state_dir; // nothing durable: the platform holds what was acked
    check_config(config)?;
    let tls = mqtt_out::tls_config(config.tls, &config.ca_file, &config.server_name)?;
    let sink = name.to_string();
    let on_error = move |topic: &str, payload: &[u8]| {
        let text = String::from_utf8_lossy(payload);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            warn!(sink = %sink, %topic, error = %line, "the platform reported an error");
        }
    };
    let out = MqttOut::start(
        Options {
            sink: name.to_string(),
            host: config.host.clone(),
            port: config.port,
            tls,
            server_name: config.server_name.clone(),
            client_id: format!("d:{}", config.device_id),
            credentials: Some((
                format!("{}/{}", config.tenant, config.username),
                config.password.expose().to_string(),
            )),
            keep_alive: Duration::from_secs(30),
            max_packet_size: MAX_PACKET,
            subscriptions: vec![format::ERRORS.to_string()],
            last_will: None,
            snapshot_subscriptions: Vec::new(),
            greeting: vec![Publish::new(
                format::UP,
                format::device(&config.device_name, &config.device_type),
            )],
            ack_timeout: Duration::from_secs(30),
            ready_wait: Duration::from_secs(5),
        },
        Box::new(on_error),
    );
    Ok(Arc::new(CumulocitySink {
        name: name.to_string(),
        child_type: config.child_type.clone(),
        use_201: config.use_201,
        out,
        state: Mutex::new(State::default()),
    }))
}

#[derive(Default)]
struct State {
    /// The child devices created on the current connection.
    children: Announced,
    events: format::EventMemory,
}

pub struct CumulocitySink {
    name: String,
    child_type: String,
    use_201: bool,
    out: MqttOut,
    /// Also serializes `accept`: one batch in flight at a time.
    state: Mutex<State>,
}

#[async_trait]
impl Sink for CumulocitySink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn accept(&self, batch: &[Arc<Record>]) -> Result<(), SinkError> {
        self.accept_refusing(batch).await.map(drop)
    }

    /// Records whose VIN cannot be a topic level and rows too large for one publish are
    /// refused (retrying could never send them); the rest of the batch goes through.
    async fn accept_refusing(&self, batch: &[Arc<Record>]) -> Result<Vec<Refusal>, SinkError> {
        let mut guard = self.state.lock().await;
        let st = &mut *guard;
        let epoch = self.out.ready_epoch().await.map_err(SinkError::Other)?;
        let created = st.children.on(epoch);
        let out = format::batch_rows(batch, self.use_201, MAX_PACKET, &st.events);
        if out.nulls > 0 {
            debug!(sink = %self.name, signals = out.nulls, "null (failure) values left out");
        }
        let new: Vec<&String> = out.vins.iter().filter(|v| !created.contains(*v)).collect();
        let children: Vec<String> = new
            .iter()
            .map(|v| format::child(v, &self.child_type))
            .collect();
        let (mut publishes, _) = format::pack(format::UP, &children, MAX_PACKET);
        publishes.extend(out.publishes);
        self.out
            .publish_all(epoch, &publishes)
            .await
            .map_err(SinkError::Other)?;
        let new: Vec<String> = new.into_iter().cloned().collect();
        created.extend(new);
        st.events.extend(out.remembered);
        let mut refused = out.oversize;
        refused.extend(
            batch
                .iter()
                .filter(|r| out.bad_vins.contains(&r.vin))
                .map(|r| Refusal {
                    vin: r.vin.clone(),
                    topic: format::UP.to_string(),
                    payload: String::from_utf8_lossy(&r.to_json_line())
                        .trim_end()
                        .to_string(),
                    reason: "the VIN cannot name a child device (empty, or holds `/`, `+` or `#`)"
                        .into(),
                }),
        );
        Ok(refused)
    }

    async fn close(&self) -> Result<(), SinkError> {
        self.out.close().await;
        Ok(())
    }

    fn problem(&self) -> Option<String> {
        self.out.problem()
    }
}
