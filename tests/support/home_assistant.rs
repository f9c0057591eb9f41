//! A real Home Assistant Core as a child process, for the `homeassistant` sink's tests.
//!
//! It runs from the virtualenv `.ci/run` installs (PyPI `homeassistant`, pinned, on the
//! pyenv Python 3.13): `$VINSTREAM_HA_VENV`, else `~/.cache/vinstream-ha-venv`. A missing
//! venv fails the test with that hint; it is never skipped.
//!
//! The config dir is written before the start, so no onboarding step is needed:
//! `configuration.yaml` (http on a free loopback port, api, a fixed home location),
//! `.storage/core.config_entries` holding the MQTT integration's config entry (broker,
//! TLS CA as PEM, account), `.storage/onboarding` (done) and `.storage/auth` with an owner
//! and a long-lived access token, whose JWT we sign ourselves (HS256 with the token's
//! `jwt_key`, issuer = the token's id), so the REST API (`/api/states`,
//! `/api/template`) answers us.
#![allow(dead_code)]

use super::mosquitto::free_port;
use super::wait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The variable naming the venv; `.ci/run` installs into the same place.
pub const VENV_ENV: &str = "VINSTREAM_HA_VENV";
/// Startup installs nothing (`--skip-pip`) and loads few integrations: seconds, not minutes.
pub const START_TIMEOUT: Duration = Duration::from_secs(90);
const TOKEN_ID: &str = "vinstreamtesttoken";
const USER_ID: &str = "vinstreamtestowner";

pub fn venv() -> PathBuf {
    match std::env::var_os(VENV_ENV) {
        Some(v) => PathBuf::from(v),
        None => {
            let home = std::env::var_os("HOME").expect("HOME is set");
            Path::new(&home).join(".cache/vinstream-ha-venv")
        }
    }
}

/// How Home Assistant's MQTT integration reaches the test broker (TLS, password).
pub struct MqttLink {
    pub port: u16,
    pub ca_pem: String,
    pub username: String,
    pub password: String,
}

pub struct HomeAssistant {
    config_dir: PathBuf,
    log_path: PathBuf,
    port: u16,
    token: String,
    child: Option<Child>,
    http: reqwest::Client,
}

impl HomeAssistant {
    /// Write a config dir under `parent` and start Home Assistant on it.
    pub fn start(parent: &Path, mqtt: &MqttLink) -> HomeAssistant {
        let python = venv().join("bin/python");
        assert!(
            python.exists(),
            "no Home Assistant venv at {} (set {VENV_ENV}, or run .ci/run, which installs it)",
            venv().display()
        );
        let config_dir = parent.join("ha-config");
        fs::create_dir_all(config_dir.join(".storage")).unwrap();
        let port = free_port();
        let token = write_config(&config_dir, port, mqtt);
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut ha = HomeAssistant {
            log_path: parent.join("home-assistant.log"),
            config_dir,
            port,
            token,
            child: None,
            http: reqwest::Client::new(),
        };
        ha.spawn();
        ha
    }

    fn spawn(&mut self) {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap();
        let child = Command::new(venv().join("bin/python"))
            .args(["-m", "homeassistant", "--skip-pip", "-c"])
            .arg(&self.config_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start Home Assistant");
        self.child = Some(child);
    }

    /// Wait until the API answers and the MQTT integration is loaded.
    pub async fn wait_ready(&self) {
        let what = format!(
            "Home Assistant's API with MQTT loaded; log:\n{}",
            self.log()
        );
        wait::until_async(&what, START_TIMEOUT, || async {
            let config = self.get("/api/config").await?;
            let components = config["components"].as_array()?;
            components.iter().any(|c| c == "mqtt").then_some(())
        })
        .await;
    }

    async fn get(&self, path: &str) -> Option<Value> {
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        let r = self
            .http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.json().await.ok()
    }

    /// Every entity state (`/api/states`); empty while the API does not answer.
    pub async fn states(&self) -> Vec<Value> {
        match self.get("/api/states").await {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        }
    }

    /// The state object whose `friendly_name` is `name`.
    pub async fn state_named(&self, name: &str) -> Option<Value> {
        self.states()
            .await
            .into_iter()
            .find(|s| s["attributes"]["friendly_name"] == name)
    }

    /// Render a template on the server (`/api/template`): device and entity registry
    /// questions the REST API has no endpoint for.
    pub async fn template(&self, template: &str) -> Option<String> {
        let url = format!("http://127.0.0.1:{}/api/template", self.port);
        let r = self
            .http
            .post(url)
            .bearer_auth(&self.token)
            .json(&json!({ "template": template }))
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.text().await.ok()
    }

    /// Graceful stop (SIGTERM), waiting for the exit.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let exited = wait::try_until(Duration::from_secs(60), || child.try_wait().ok().flatten());
        if exited.is_none() {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "Home Assistant did not stop within 60 s; log:\n{}",
                self.log()
            );
        }
    }

    /// Start again on the same config dir (entity and device registries kept).
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "start_again: still running");
        self.spawn();
    }

    pub fn log(&self) -> String {
        let text = fs::read_to_string(&self.log_path).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(80).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for HomeAssistant {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Write the config dir; returns the access token.
fn write_config(dir: &Path, http_port: u16, mqtt: &MqttLink) -> String {
    let yaml = format!(
        "homeassistant:\n  name: vinstream test\n  latitude: 52.52\n  longitude: 13.40\n  \
         elevation: 0\n  unit_system: metric\n  time_zone: UTC\n  country: DE\n  currency: EUR\n\
         http:\n  server_host: 127.0.0.1\n  server_port: {http_port}\napi:\n\
         logger:\n  default: warning\n  logs:\n    homeassistant.components.mqtt.discovery: info\n"
    );
    fs::write(dir.join("configuration.yaml"), yaml).unwrap();
    let now = "2026-01-01T00:00:00+00:00";
    let entry = json!({
        "entry_id": "01jvinstreamtestmqttentry0", "version": 1, "minor_version": 2,
        "domain": "mqtt", "title": "test broker", "source": "user", "unique_id": null,
        "data": {
            "broker": "localhost", "port": mqtt.port, "username": mqtt.username,
            "password": mqtt.password, "certificate": mqtt.ca_pem, "protocol": "3.1.1",
        },
        "options": {"discovery": true, "discovery_prefix": "homeassistant"},
        "pref_disable_new_entities": false, "pref_disable_polling": false,
        "disabled_by": null, "created_at": now, "modified_at": now,
        "discovery_keys": {}, "subentries": [],
    });
    store(
        dir,
        "core.config_entries",
        (1, 5),
        json!({ "entries": [entry] }),
    );
    store(
        dir,
        "onboarding",
        (4, 1),
        json!({"done": ["user", "core_config", "analytics", "integration"]}),
    );
    let jwt_key = hex(64);
    let auth = json!({
        "users": [{"id": USER_ID, "group_ids": ["system-admin"], "is_owner": true,
                   "is_active": true, "name": "vinstream test", "system_generated": false,
                   "local_only": false}],
        "groups": [{"id": "system-admin", "name": "Administrators"},
                   {"id": "system-users", "name": "Users"},
                   {"id": "system-read-only", "name": "Read Only"}],
        "credentials": [],
        "refresh_tokens": [{"id": TOKEN_ID, "user_id": USER_ID, "client_id": null,
                            "client_name": "vinstream test", "client_icon": null,
                            "token_type": "long_lived_access_token", "created_at": now,
                            "access_token_expiration": 315_360_000.0, "token": hex(64),
                            "jwt_key": jwt_key, "last_used_at": null, "last_used_ip": null,
                            "expire_at": null, "credential_id": null}],
    });
    store(dir, "auth", (1, 1), auth);
    jwt(&jwt_key)
}

/// A `.storage` file in the format (version, minor version) this Home Assistant writes.
fn store(dir: &Path, key: &str, (version, minor): (u32, u32), data: Value) {
    let doc = json!({"version": version, "minor_version": minor, "key": key, "data": data});
    fs::write(dir.join(".storage").join(key), doc.to_string()).unwrap();
}

fn hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", fastrand::u8(..)))
        .collect()
}

/// An HS256 access token as Home Assistant issues them for a refresh token.
fn jwt(key: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "typ": "JWT"}).to_string());
    let claims = json!({"iss": TOKEN_ID, "iat": now - 60, "exp": now + 86_400});
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(format!("{header}.{body}").as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{header}.{body}.{sig}")
}
