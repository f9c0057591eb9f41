//! `vinstream demo`: the zero-setup run. An embedded MQTT broker (rumqttd) on a free
//! loopback port, a simulated fleet publishing High Mobility V2, High Mobility V1 and
//! BMW CarData payloads into it, and the real providers → pipeline → stdout sink
//! consuming them. No config, credentials or network.
//!
//! The only difference from a real run: providers talk plain TCP to the loopback broker
//! (`providers::Env::demo_plaintext`), which no config file can ask for.

pub mod fleet;

use crate::config::{DedupConfig, Section};
use crate::providers::ProviderConfig;
use crate::settings::Config;
use crate::sinks::SinkConfig;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tracing::{info, warn};

pub struct Options {
    pub vehicles: usize,
    pub rate: f64,
    pub duration: Option<Duration>,
}

/// The config the demo runs, as TOML: printed by `--print-config` as a starting point.
pub fn config_toml(port: u16, admin_port: u16, state_dir: &Path) -> String {
    let state = state_dir.display();
    let token = state_dir.join("bmw-tokens.json");
    let token = token.display();
    format!(
        r#"# The configuration `vinstream demo` runs (its broker is embedded; a real setup points
# the providers at the providers' brokers, with your certificates and BMW login).
[daemon]
state_dir = "{state}"
admin_listen = "127.0.0.1:{admin_port}"    # the fleet page, /metrics, /healthz, /readyz
log_level = "info,rumqttd=off"
summary_interval = "10s"

[providers.hm]
type           = "high_mobility_v2"
host           = "127.0.0.1"            # real: mqtt-v2.high-mobility.com
port           = {port}                 # real: 8883
environment    = "live"
application_id = "{v2}"
ca_file        = "certs/hm/ca_crt.pem"
cert_file      = "certs/hm/client_crt.pem"
key_file       = "certs/hm/client_key.pem"
share_group    = ""
protocol       = "v3"                   # real: v5 (the embedded broker's MQTT 5 is partial)

[providers.hm_legacy]
type           = "high_mobility_v1"
host           = "127.0.0.1"            # real: mqtt.high-mobility.com
port           = {port}
environment    = "live"
application_id = "{v1}"
ca_file        = "certs/hm_v1/ca.pem"
cert_file      = "certs/hm_v1/cert.pem"
key_file       = "certs/hm_v1/key.pem"
client_id      = "demo-v1-certificate-id"

[providers.bmw]
type       = "bmw_cardata"
host       = "127.0.0.1"                # real: customer.streaming-cardata.bmwgroup.com
port       = {port}                     # real: 9000
client_id  = "demo-cardata-client"
gcid       = "{gcid}"
token_file = "{token}"
token_url  = "http://127.0.0.1:9/demo-never-called"

[sinks.console]
type = "stdout"
"#,
        v2 = fleet::HM_APP_V2,
        v1 = fleet::HM_APP_V1,
        gcid = fleet::GCID,
    )
}

/// Parse the demo config section by section, without the file checks a real config
/// gets (the demo has no certificates: its broker is plain TCP on loopback).
fn demo_config(text: &str) -> Result<Config, String> {
    let root: toml::Table = text.parse().map_err(|e| format!("demo config: {e}"))?;
    let daemon = root["daemon"]
        .clone()
        .try_into()
        .map_err(|e| format!("demo daemon: {e}"))?;
    fn entries<S: Section>(root: &toml::Table) -> Result<Vec<(String, S)>, String> {
        let mut out = Vec::new();
        for (name, table) in root[S::NAME].as_table().expect("a table of entries") {
            let key = format!("{}.{name}", S::NAME);
            let table = table.as_table().cloned().unwrap_or_default();
            let kind = table
                .get("type")
                .and_then(toml::Value::as_str)
                .unwrap_or("");
            match S::parse(kind, &key, table.clone()) {
                Some(Ok(c)) => out.push((name.clone(), c)),
                Some(Err(problems)) => return Err(format!("{key}: {problems:?}")),
                None => return Err(format!("{key}: unknown type `{kind}`")),
            }
        }
        Ok(out)
    }
    Ok(Config {
        daemon,
        dedup: DedupConfig::default(),
        providers: entries::<ProviderConfig>(&root)?,
        sinks: entries::<SinkConfig>(&root)?,
    })
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("no free loopback port: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

fn start_broker(port: u16) -> Result<(), String> {
    let text = format!(
        r#"
id = 0
[router]
id = 0
max_connections = 100
max_outgoing_packet_count = 200
max_segment_size = 104857600
max_segment_count = 10
[v4.1]
name = "demo"
listen = "127.0.0.1:{port}"
next_connection_delay_ms = 1
[v4.1.connections]
connection_timeout_ms = 60000
max_payload_size = 1048576
max_inflight_count = 100
dynamic_filters = true
"#
    );
    let cfg: rumqttd::Config =
        toml::from_str(&text).map_err(|e| format!("embedded broker config: {e}"))?;
    let mut broker = rumqttd::Broker::new(cfg);
    std::thread::Builder::new()
        .name("demo-broker".into())
        .spawn(move || {
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "the embedded broker stopped");
            }
        })
        .map_err(|e| e.to_string())?;
    for _ in 0..250 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!(
        "the embedded broker did not start on 127.0.0.1:{port}"
    ))
}

fn state_dir() -> PathBuf {
    std::env::temp_dir().join(format!("vinstream-demo-{}", std::process::id()))
}

/// Print the demo's config.
pub fn print_config() -> String {
    config_toml(1883, 9464, &PathBuf::from("/var/lib/vinstream"))
}

pub async fn run(opts: Options) -> Result<(), String> {
    // First thing, on stderr (stdout carries records only): where to look.
    let admin_port = free_port()?;
    eprintln!("vinstream demo: fleet page on http://127.0.0.1:{admin_port}/");
    let port = free_port()?;
    start_broker(port)?;
    let dir = state_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    write_token_file(&dir.join("bmw-tokens.json"))?;
    let config = demo_config(&config_toml(port, admin_port, &dir))?;
    info!(broker = %format!("127.0.0.1:{port}"), vehicles = opts.vehicles, rate = opts.rate,
        "demo: embedded broker and simulated fleet started; records follow on stdout");
    let publisher = tokio::spawn(publish_fleet(port, opts.vehicles, opts.rate));
    let stop = async move {
        match opts.duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    let result = crate::daemon::run_with(config, None, true, stop).await;
    publisher.abort();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn write_token_file(path: &Path) -> Result<(), String> {
    let tokens = crate::providers::bmw::tokens::TokenSet {
        gcid: fleet::GCID.into(),
        access_token: "demo-access".into(),
        id_token: fleet::demo_id_token(),
        refresh_token: "demo-refresh".into(),
        token_type: "Bearer".into(),
        scope: crate::providers::bmw::oauth::SCOPE.into(),
        expires_at: None,
        refresh_expires_at: None,
    };
    tokens.save(path)
}

async fn publish_fleet(port: u16, vehicles: usize, rate: f64) {
    let mut opts = rumqttc::MqttOptions::new("vinstream-demo-fleet", "127.0.0.1", port);
    opts.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut eventloop) = rumqttc::AsyncClient::new(opts, 100);
    tokio::spawn(async move {
        loop {
            if eventloop.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    });
    let mut fleet = fleet::Fleet::new(vehicles.max(1), 42);
    let period = Duration::from_secs_f64(1.0 / rate.clamp(0.01, 10_000.0));
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        let p = fleet.next(chrono::Utc::now());
        if let Err(e) = client
            .publish(p.topic, rumqttc::QoS::AtLeastOnce, false, p.payload)
            .await
        {
            warn!(error = %e, "demo fleet could not publish");
        }
    }
}
