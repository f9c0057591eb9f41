//! Checks beyond the schema: values that parse but make no sense, and the files
//! a config points at (they must exist and parse, so `check` catches them before `run`).

use super::{BmwConfig, Config, Problem, ProviderConfig, SessionTuning};
use crate::mqtt::tls;
use std::path::Path;

/// `batch_max_events`, `tls.ca_file`: a config key, not a sentence.
fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

pub(super) fn semantics(c: &Config, problems: &mut Vec<Problem>) {
    let mut p = |key: &str, message: String| {
        problems.push(Problem {
            key: key.to_string(),
            message,
        })
    };
    let level = c.daemon.log_level.as_str();
    let plain_level = ["off", "error", "warn", "info", "debug", "trace"].contains(&level);
    let directives = level.contains('=') || level.contains(',');
    if !(plain_level || directives && tracing_subscriber::EnvFilter::try_new(level).is_ok()) {
        p(
            "daemon.log_level",
            format!(
                "`{}` is not a level (error, warn, info, debug, trace) or filter",
                c.daemon.log_level
            ),
        );
    }
    if let Some(addr) = &c.daemon.admin_listen {
        if addr.parse::<std::net::SocketAddr>().is_err() {
            p(
                "daemon.admin_listen",
                format!("`{addr}` is not an address like 127.0.0.1:9464"),
            );
        }
    }
    for (name, sink) in &c.sinks {
        if let Err(m) = crate::sinks::check_config(sink) {
            // A sink says `key: what is wrong`; the key then names the whole path.
            match m.split_once(": ") {
                Some((k, rest)) if is_key(k) => p(&format!("sinks.{name}.{k}"), rest.into()),
                _ => p(&format!("sinks.{name}"), m),
            }
        }
        if let crate::config::SinkConfig::File(f) = sink {
            // SPEC.md §2: rotated files are `path.1` … `path.{max_files}`, so at least one
            // is kept; 0 would make every rotation delete the records it moves.
            if f.max_files == 0 {
                p(
                    &format!("sinks.{name}.max_files"),
                    crate::sinks::file::MAX_FILES_ZERO.into(),
                );
            }
        }
    }
    if c.dedup.capacity == 0 {
        p("dedup.capacity", "must be at least 1".into());
    }
    if c.dedup.ttl.0.is_zero() {
        p("dedup.ttl", "must be longer than 0s".into());
    }
    let mut identities: Vec<(String, String, String)> = Vec::new();
    for (name, provider) in &c.providers {
        let key = |k: &str| format!("providers.{name}.{k}");
        match provider {
            ProviderConfig::HighMobilityV1(hm) => {
                hm_ids(&hm.application_id, &hm.topic, &key, &mut p)
            }
            ProviderConfig::HighMobilityV2(hm) => {
                hm_ids(&hm.application_id, &hm.topic, &key, &mut p)
            }
            ProviderConfig::Bmw(b) => bmw(b, &key, &mut p),
        }
        let (host, id, id_key) = provider.identity();
        if host.trim().is_empty() {
            p(&key("host"), "must not be empty".into());
        }
        if let Some(id) = id {
            if id.trim().is_empty() {
                p(&key(id_key), "must not be empty".into());
            } else {
                identities.push((host.to_string(), id.to_string(), format!("{name}.{id_key}")));
            }
        }
        let (_, port) = provider.broker();
        if port == 0 {
            p(&key("port"), "must be a port number from 1 to 65535".into());
        }
        session(provider.session(), &key, &mut p);
    }
    identities.sort();
    for pair in identities.windows(2) {
        if pair[0].0 == pair[1].0 && pair[0].1 == pair[1].1 {
            p(
                &format!("providers.{}", pair[1].2),
                format!(
                    "same broker and identity as providers.{}: the broker allows one connection per client id (certificate) or GCID, so the two would keep taking the session from each other",
                    pair[0].2
                ),
            );
        }
    }
}

fn hm_ids(
    application_id: &str,
    topic: &Option<String>,
    key: &dyn Fn(&str) -> String,
    p: &mut dyn FnMut(&str, String),
) {
    if application_id.trim().is_empty() {
        p(&key("application_id"), "must not be empty".into());
    }
    if topic.as_deref() == Some("") {
        p(&key("topic"), "must not be empty when set".into());
    }
}

fn bmw(b: &BmwConfig, key: &dyn Fn(&str) -> String, p: &mut dyn FnMut(&str, String)) {
    if b.client_id.trim().is_empty() {
        p(&key("client_id"), "must not be empty".into());
    }
    for (field, url) in [
        ("token_url", &b.token_url),
        ("device_code_url", &b.device_code_url),
    ] {
        if let Err(m) = secure_url(url) {
            p(&key(field), m);
        }
    }
    for (i, vin) in b.vins.iter().enumerate() {
        if vin.trim().is_empty() || vin.contains(['/', '+', '#']) {
            p(&key(&format!("vins[{i}]")), format!("`{vin}` is not a VIN"));
        }
    }
    if b.refresh_before.0 >= std::time::Duration::from_secs(3000) {
        p(
            &key("refresh_before"),
            "must be well below the id token's one-hour lifetime (e.g. \"10m\")".into(),
        );
    }
}

/// Tokens only travel over HTTPS, or plain HTTP to this machine (tests, local proxies).
///
/// The URL is parsed, not prefix-matched: `http://localhost.evil.example`,
/// `http://127.0.0.1.nip.io` or `http://localhost@evil.example` name other machines.
/// Plain http is allowed only when the host is a loopback IP address or exactly
/// `localhost` (no subdomains, no trailing dot).
pub fn secure_url(url: &str) -> Result<(), String> {
    use reqwest::Url;
    let parsed = Url::parse(url.trim()).map_err(|e| format!("`{url}` is not a valid URL ({e})"))?;
    // The parser has already normalised the host: lowercase, IPv4 in dotted form
    // (`0x7f.1` becomes `127.0.0.1`), IPv6 in brackets.
    let host = parsed.host_str().unwrap_or("");
    let ip = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .parse::<std::net::IpAddr>();
    let loopback = match ip {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host == "localhost",
    };
    match parsed.scheme() {
        "https" if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "`{url}` must be an https:// URL, or http:// to localhost or a loopback address (tokens are sent to it)"
        )),
    }
}

fn session(s: &SessionTuning, key: &dyn Fn(&str) -> String, p: &mut dyn FnMut(&str, String)) {
    let secs = s.keep_alive.0.as_secs();
    if !(5..=65535).contains(&secs) {
        p(
            &key("session.keep_alive"),
            "must be between 5s and 65535s".into(),
        );
    }
    if s.session_expiry.0.as_secs() > u64::from(u32::MAX) || s.session_expiry.0.is_zero() {
        p(
            &key("session.session_expiry"),
            "must be between 1s and 136 years".into(),
        );
    }
    if s.receive_maximum == 0 {
        p(&key("session.receive_maximum"), "must be at least 1".into());
    }
    if s.max_packet_size.0 < 1024 || s.max_packet_size.0 > 268_435_455 {
        p(
            &key("session.max_packet_size"),
            "must be between 1KiB and 256MiB (the MQTT limit)".into(),
        );
    }
}

/// The files a provider table points at exist and parse. Works on the raw table so a
/// bad certificate is reported even when another key of the same table is wrong.
pub(super) fn referenced_files(key: &str, table: &toml::Table) -> Vec<Problem> {
    type Loader = fn(&Path) -> Result<(), String>;
    const FILES: &[(&str, Loader)] = &[
        ("ca_file", |p| tls::load_certs(p).map(drop)),
        ("cert_file", |p| tls::load_certs(p).map(drop)),
        ("key_file", |p| tls::load_key(p).map(drop)),
    ];
    let mut problems = Vec::new();
    if let Some(toml::Value::String(path)) = table.get("token_file") {
        match crate::providers::bmw::tokens::TokenSet::load(Path::new(path)) {
            Ok(t) => {
                if let Some(toml::Value::String(gcid)) = table.get("gcid") {
                    if *gcid != t.gcid {
                        problems.push(Problem {
                            key: format!("{key}.gcid"),
                            message: format!(
                                "the token file {path} belongs to GCID {}; log in again or fix gcid",
                                t.gcid
                            ),
                        });
                    }
                }
            }
            Err(message) => problems.push(Problem {
                key: format!("{key}.token_file"),
                message,
            }),
        }
    }
    for (field, load) in FILES {
        if let Some(toml::Value::String(path)) = table.get(*field) {
            if let Err(message) = load(Path::new(path)) {
                problems.push(Problem {
                    key: format!("{key}.{field}"),
                    message,
                });
            }
        }
    }
    problems
}
