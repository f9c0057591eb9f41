//! The `thingsboard` sink: the ThingsBoard MQTT gateway API (reference/sinks.md Part B).
//!
//! One MQTT 3.1.1 connection (clean session, TLS unless `tls = false`) authenticated by
//! the gateway device's access token. ThingsBoard reads the token from the username and
//! ignores the password; we send the token as the password too, so that a broker or proxy
//! that insists on a password (Mosquitto in tests, a bridge in front of ThingsBoard) can
//! check it. Every VIN is a ThingsBoard device: `v1/gateway/connect` once per VIN per
//! connection (a new connection announces again), then telemetry on
//! `v1/gateway/telemetry` (see `format`). A batch is accepted only when every publish of
//! it, announcements included, was PUBACKed on one connection.

pub mod format;
#[cfg(test)]
mod tests;

pub mod config;
use super::mqtt_out::{self, Announced, MqttOut, Options};
use super::sink::{Refusal, Sink, SinkError};
use crate::config::Problems;
use crate::record::Record;
use async_trait::async_trait;
use config::{KeyStyle, ThingsboardSinkConfig};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tracing::debug;

/// Smallest `max_payload_bytes` that leaves room for a useful entry.
const MIN_PAYLOAD: u64 = 256;

pub async fn build(
    name: &str,
    config: &ThingsboardSinkConfig,
    state_dir: &Path,
) -> Result<Arc<dyn Sink>, String> {
    let _ = state_dir; // nothing durable: the platform broker holds what was acked
    let sink = start(name, config, Duration::from_secs(30))?;
    Ok(Arc::new(sink))
}

/// Everything `build` would refuse, without connecting: `check` runs this, so a config
/// it passes does not fail at `run`.
pub fn check_config(config: &ThingsboardSinkConfig) -> Result<(), String> {
    let max_packet = config.max_payload_bytes.0;
    if max_packet < MIN_PAYLOAD {
        return Err(format!(
            "max_payload_bytes: must be at least {MIN_PAYLOAD} bytes, not {max_packet}"
        ));
    }
    if config.access_token.is_empty() {
        return Err("access_token: is empty".into());
    }
    mqtt_out::tls_config(config.tls, &config.ca_file, &config.server_name).map(drop)
}

/// Report what `build` would refuse (see the registry in `sinks/mod.rs`).
pub fn check(config: &ThingsboardSinkConfig, p: &mut Problems) {
    if let Err(m) = check_config(config) {
        p.report(m);
    }
}

/// The sink, connecting in the background; `ack_timeout` bounds the wait for PUBACKs.
fn start(
    name: &str,
    config: &ThingsboardSinkConfig,
    ack_timeout: Duration,
) -> Result<ThingsboardSink, String> {
    check_config(config)?;
    let max_packet = usize::try_from(config.max_payload_bytes.0).unwrap_or(usize::MAX);
    let tls = mqtt_out::tls_config(config.tls, &config.ca_file, &config.server_name)?;
    let client_id = config
        .client_id
        .clone()
        .unwrap_or_else(|| format!("vinstream-{name}-{:08x}", fastrand::u32(..)));
    let token = config.access_token.expose().to_string();
    let out = MqttOut::start(
        Options {
            sink: name.to_string(),
            host: config.host.clone(),
            port: config.port,
            tls,
            server_name: config.server_name.clone(),
            client_id,
            credentials: Some((token.clone(), token)),
            keep_alive: Duration::from_secs(30),
            max_packet_size: max_packet,
            subscriptions: Vec::new(),
            last_will: None,
            snapshot_subscriptions: Vec::new(),
            greeting: Vec::new(),
            ack_timeout,
            ready_wait: Duration::from_secs(5),
        },
        Box::new(|_, _| {}),
    );
    Ok(ThingsboardSink {
        name: name.to_string(),
        device_type: config.device_type.clone(),
        key_style: config.key_style,
        max_packet,
        out,
        announced: Mutex::new(Announced::default()),
    })
}

pub struct ThingsboardSink {
    name: String,
    device_type: String,
    key_style: KeyStyle,
    max_packet: usize,
    out: MqttOut,
    /// The VINs connected on the current connection. Also serializes `accept`: one batch
    /// in flight at a time.
    announced: Mutex<Announced>,
}

#[async_trait]
impl Sink for ThingsboardSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn accept(&self, batch: &[Arc<Record>]) -> Result<(), SinkError> {
        self.accept_refusing(batch).await.map(drop)
    }

    /// Values too large for one publish are refused (retrying could never make them fit);
    /// the rest of the batch goes through.
    async fn accept_refusing(&self, batch: &[Arc<Record>]) -> Result<Vec<Refusal>, SinkError> {
        let mut announced = self.announced.lock().await;
        let epoch = self.out.ready_epoch().await.map_err(SinkError::Other)?;
        let connected = announced.on(epoch);
        let mut new = Vec::new();
        for r in batch {
            if !connected.contains(&r.vin) && !new.contains(&r.vin) {
                new.push(r.vin.clone());
            }
        }
        let mut publishes: Vec<_> = new
            .iter()
            .map(|vin| format::connect(vin, &self.device_type))
            .collect();
        let t = format::telemetry(batch, self.key_style, self.max_packet);
        if t.nulls > 0 {
            debug!(sink = %self.name, signals = t.nulls, "null (failure) values left out");
        }
        publishes.extend(t.publishes);
        self.out
            .publish_all(epoch, &publishes)
            .await
            .map_err(SinkError::Other)?;
        connected.extend(new);
        Ok(t.oversize)
    }

    async fn close(&self) -> Result<(), SinkError> {
        self.out.close().await;
        Ok(())
    }

    fn problem(&self) -> Option<String> {
        self.out.problem()
    }
}
