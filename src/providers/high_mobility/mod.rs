//! High Mobility: MQTT V2 (Enterprise, MQTT 5 by default) over mutual TLS.

pub mod mapping;
pub mod normalize;

use crate::config::{HighMobilityV2Config, MqttProtocol};
use crate::mqtt::backoff::Backoff;
use crate::mqtt::tls::{self, TlsFiles};
use crate::mqtt::{ConnectOptions, DeliverFn, Protocol, Session};
use std::path::Path;

pub fn start_v2(
    name: &str,
    c: &HighMobilityV2Config,
    state_dir: &Path,
    out: DeliverFn,
) -> Result<Session, String> {
    let tls = tls::client_config(&TlsFiles {
        ca_file: Some(c.ca_file.clone()),
        client_cert: Some((c.cert_file.clone(), c.key_file.clone())),
        server_name: c.server_name.clone(),
    })
    .map_err(|e| format!("providers.{name}: {e}"))?;
    let client_id = match &c.client_id {
        Some(id) => id.clone(),
        None => {
            let suffix = crate::state::stable_suffix(state_dir, name)
                .map_err(|e| format!("providers.{name}: {e}"))?;
            format!("{}-{}-{suffix}", c.application_id, c.environment.as_str())
        }
    };
    let s = &c.session;
    let options = ConnectOptions {
        protocol: match c.protocol {
            MqttProtocol::V5 => Protocol::V5,
            MqttProtocol::V3 => Protocol::V311,
        },
        host: c.host.clone(),
        port: c.port,
        client_id,
        tls,
        credentials: None,
        keep_alive: s.keep_alive.0,
        session_expiry_secs: u32::try_from(s.session_expiry.0.as_secs()).unwrap_or(u32::MAX),
        receive_maximum: s.receive_maximum,
        max_packet_size: u32::try_from(s.max_packet_size.0).unwrap_or(u32::MAX),
        connect_timeout: s.connect_timeout.0,
    };
    tracing::info!(provider = %name, host = %c.host, port = c.port, client_id = %options.client_id,
        topic = %c.topic_filter(), "starting High Mobility V2 provider");
    Ok(Session::spawn(
        name.to_string(),
        options,
        vec![c.topic_filter()],
        Backoff::standard(),
        out,
    ))
}
