//! High Mobility: MQTT V2 (Enterprise, MQTT 5 by default) and MQTT V1 (Auto API broker,
//! MQTT 3.1.1), both over mutual TLS and carrying the same level 13 values.

pub mod config;
mod fast_json;
mod interned;
pub mod mapping;
mod node;
pub mod normalize;
pub mod rules;

use crate::mqtt::backoff::Backoff;
use crate::mqtt::tls::TlsFiles;
use crate::mqtt::tuning::{MqttProtocol, SessionTuning};
use crate::mqtt::{ConnectOptions, DeliverFn, Protocol, Session, SessionSpec};
use crate::providers::provider::{self, Connection, Env};
use config::{HighMobilityV1Config, HighMobilityV2Config};
use std::path::{Path, PathBuf};

/// The parts of a High Mobility provider config a session needs.
struct Endpoint<'a> {
    host: &'a str,
    port: u16,
    ca_file: &'a Path,
    cert_file: &'a Path,
    key_file: &'a Path,
    server_name: Option<&'a String>,
    session: &'a SessionTuning,
}

fn connect_options(
    name: &str,
    e: Endpoint<'_>,
    env: &Env<'_>,
    protocol: Protocol,
    client_id: String,
) -> Result<ConnectOptions, String> {
    let connection = Connection {
        protocol,
        host: e.host.to_string(),
        port: e.port,
        client_id,
        tls: TlsFiles {
            ca_file: Some(PathBuf::from(e.ca_file)),
            client_cert: Some((PathBuf::from(e.cert_file), PathBuf::from(e.key_file))),
            server_name: e.server_name.cloned(),
        },
        credentials: None,
    };
    provider::connect_options(name, env, connection, e.session)
}

const REFUSAL_HINT: &str = "check `topic` / `share_group` and that this application's \
    certificate may read it (High Mobility console → Streaming)";

fn spec(name: &str, options: ConnectOptions, topic: String) -> SessionSpec {
    SessionSpec {
        name: name.to_string(),
        options,
        subscriptions: vec![topic],
        backoff: Backoff::standard(),
        refusal_hint: REFUSAL_HINT,
    }
}

pub fn start_v2(
    name: &str,
    c: &HighMobilityV2Config,
    env: &Env<'_>,
    out: DeliverFn,
) -> Result<Session, String> {
    let state_dir = env.state_dir;
    let client_id = match &c.client_id {
        Some(id) => id.clone(),
        None => {
            let suffix = crate::state::stable_suffix(state_dir, name)
                .map_err(|e| format!("providers.{name}: {e}"))?;
            format!("{}-{}-{suffix}", c.application_id, c.environment.as_str())
        }
    };
    let protocol = match c.protocol {
        MqttProtocol::V5 => Protocol::V5,
        MqttProtocol::V3 => Protocol::V311,
    };
    let endpoint = Endpoint {
        host: &c.host,
        port: c.port,
        ca_file: &c.ca_file,
        cert_file: &c.cert_file,
        key_file: &c.key_file,
        server_name: c.server_name.as_ref(),
        session: &c.session,
    };
    let options = connect_options(name, endpoint, env, protocol, client_id)?;
    tracing::info!(provider = %name, host = %c.host, port = c.port, client_id = %options.client_id,
        topic = %c.topic_filter(), "starting High Mobility V2 provider");
    Ok(Session::spawn(spec(name, options, c.topic_filter()), out))
}

pub fn start_v1(
    name: &str,
    c: &HighMobilityV1Config,
    env: &Env<'_>,
    out: DeliverFn,
) -> Result<Session, String> {
    let endpoint = Endpoint {
        host: &c.host,
        port: c.port,
        ca_file: &c.ca_file,
        cert_file: &c.cert_file,
        key_file: &c.key_file,
        server_name: c.server_name.as_ref(),
        session: &c.session,
    };
    let options = connect_options(name, endpoint, env, Protocol::V311, c.client_id.clone())?;
    tracing::info!(provider = %name, host = %c.host, port = c.port, client_id = %options.client_id,
        topic = %c.topic_filter(), "starting High Mobility V1 provider");
    Ok(Session::spawn(spec(name, options, c.topic_filter()), out))
}
