//! What every provider folder builds on, as `sinks/sink.rs` is for sinks: the trait its
//! config type implements, where it runs, how its connection options are made, and the
//! error of a payload it cannot read. A
//! provider imports this, never the registry (`config.rs`) or `providers/mod.rs`, so no
//! arrow runs back from a provider to what names it.

use crate::config::{Problem, Problems};
use crate::mqtt::tls::{self, TlsFiles};
use crate::mqtt::tuning::SessionTuning;
use crate::mqtt::{ConnectOptions, Protocol};
use crate::record::ProviderKind;
use sha2::{Digest, Sha256};
use std::path::Path;

/// What the daemon asks of every provider's config type.
pub trait ProviderSettings {
    /// The table as written, typed; a provider may clean values up here.
    fn parse(key: &str, table: toml::Table) -> Result<Self, Vec<Problem>>
    where
        Self: Sized + serde::de::DeserializeOwned,
    {
        crate::config::typed(table, key)
    }
    /// The record's `provider`.
    fn kind(&self) -> ProviderKind;
    /// Host and port of the broker.
    fn broker(&self) -> (&str, u16);
    /// The subscription filters.
    fn topics(&self) -> Vec<String>;
    /// Broker, account identity and its key: the broker allows one live connection per
    /// pair (per certificate for High Mobility, per GCID for BMW).
    fn identity(&self) -> (&str, Option<&str>, &'static str);
    /// The session tuning table, shared by every provider type.
    fn session(&self) -> &SessionTuning;
    /// Values that parse but cannot work, by key relative to the table.
    fn check(&self, p: &mut Problems);
}

/// A payload we cannot turn into a record; it goes to the dead letter, with this reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub reason: String,
}

impl Malformed {
    pub fn new(reason: impl Into<String>) -> Malformed {
        Malformed {
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Where providers run.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    pub state_dir: &'a Path,
    /// Plain TCP instead of TLS: only `vinstream demo` sets it, for its embedded
    /// loopback broker. No config key reaches it.
    pub demo_plaintext: bool,
}

/// The message id of a payload that carries none (High Mobility without `message_id`, every
/// BMW message): the hex SHA-256 of its bytes, so a redelivered copy gets the same id.
pub fn hex_sha256(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A provider's broker connection as its config describes it.
pub struct Connection {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub client_id: String,
    /// The CA, the client certificate (mutual TLS) and the name to verify.
    pub tls: TlsFiles,
    pub credentials: Option<(String, String)>,
}

/// The session's options for `c`, tuned by the provider's `session` table: TLS always,
/// but for `vinstream demo`'s loopback broker (`env.demo_plaintext`).
pub fn connect_options(
    name: &str,
    env: &Env<'_>,
    c: Connection,
    s: &SessionTuning,
) -> Result<ConnectOptions, String> {
    let tls = if env.demo_plaintext {
        None
    } else {
        Some(tls::client_config(&c.tls).map_err(|e| format!("providers.{name}: {e}"))?)
    };
    Ok(ConnectOptions {
        protocol: c.protocol,
        host: c.host,
        port: c.port,
        client_id: c.client_id,
        server_name: c.tls.server_name,
        tls,
        credentials: c.credentials,
        keep_alive: s.keep_alive.0,
        session_expiry_secs: u32::try_from(s.session_expiry.0.as_secs()).unwrap_or(u32::MAX),
        receive_maximum: s.receive_maximum,
        max_packet_size: u32::try_from(s.max_packet_size.0).unwrap_or(u32::MAX),
        connect_timeout: s.connect_timeout.0,
        max_in_flight: usize::try_from(s.max_in_flight.0).unwrap_or(usize::MAX),
    })
}
