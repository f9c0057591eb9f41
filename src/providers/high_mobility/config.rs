//! `[providers.NAME]` tables of `type = "high_mobility_v2"` and `"high_mobility_v1"`
//! (SPEC.md §2), with their defaults and checks.

use crate::config::Problems;
use crate::mqtt::tuning::{MqttProtocol, SessionTuning};
use crate::providers::provider::ProviderSettings;
use crate::record::ProviderKind;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Live,
    Sandbox,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Live => "live",
            Environment::Sandbox => "sandbox",
        }
    }
}

/// `type = "high_mobility_v2"`: High Mobility's MQTT V2 (Enterprise) broker.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HighMobilityV2Config {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default = "default_hm_v2_host")]
    pub host: String,
    #[serde(default = "default_tls_port")]
    pub port: u16,
    pub environment: Environment,
    pub application_id: String,
    pub ca_file: PathBuf,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    #[serde(default)]
    pub server_name: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub share_group: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub protocol: MqttProtocol,
    #[serde(default)]
    pub session: SessionTuning,
}

impl HighMobilityV2Config {
    /// The subscription filter: a shared subscription by default, so replicas can split
    /// the stream, or the plain topic when `share_group = ""`.
    pub fn topic_filter(&self) -> String {
        if let Some(t) = &self.topic {
            return t.clone();
        }
        let plain = format!(
            "{}/level13/{}",
            self.environment.as_str(),
            self.application_id
        );
        match self.share_group.as_deref() {
            Some("") => plain,
            Some(group) => format!("$share/{group}/{plain}"),
            None => format!("$share/{}/{plain}", self.application_id),
        }
    }
}

/// `type = "high_mobility_v1"`: High Mobility's MQTT V1 (Auto API) broker, MQTT 3.1.1.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HighMobilityV1Config {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default = "default_hm_v1_host")]
    pub host: String,
    #[serde(default = "default_tls_port")]
    pub port: u16,
    pub environment: Environment,
    pub application_id: String,
    pub ca_file: PathBuf,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    #[serde(default)]
    pub server_name: Option<String>,
    /// The certificate id from the console: the broker allows one connection per id.
    pub client_id: String,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub session: SessionTuning,
}

impl HighMobilityV1Config {
    pub fn topic_filter(&self) -> String {
        self.topic.clone().unwrap_or_else(|| {
            format!(
                "{}/level13/{}/#",
                self.environment.as_str(),
                self.application_id
            )
        })
    }
}

fn default_hm_v1_host() -> String {
    "mqtt.high-mobility.com".into()
}

fn default_hm_v2_host() -> String {
    "mqtt-v2.high-mobility.com".into()
}
fn default_tls_port() -> u16 {
    8883
}

/// What both versions need: an application id, and a topic only if it names one.
fn check_ids(application_id: &str, topic: &Option<String>, p: &mut Problems) {
    if application_id.trim().is_empty() {
        p.at("application_id", "must not be empty");
    }
    if topic.as_deref() == Some("") {
        p.at("topic", "must not be empty when set");
    }
}

impl ProviderSettings for HighMobilityV2Config {
    fn kind(&self) -> ProviderKind {
        ProviderKind::HighMobilityV2
    }
    fn broker(&self) -> (&str, u16) {
        (&self.host, self.port)
    }
    fn topics(&self) -> Vec<String> {
        vec![self.topic_filter()]
    }
    fn identity(&self) -> (&str, Option<&str>, &'static str) {
        (&self.host, self.client_id.as_deref(), "client_id")
    }
    fn session(&self) -> &SessionTuning {
        &self.session
    }
    fn check(&self, p: &mut Problems) {
        check_ids(&self.application_id, &self.topic, p)
    }
}

impl ProviderSettings for HighMobilityV1Config {
    fn kind(&self) -> ProviderKind {
        ProviderKind::HighMobilityV1
    }
    fn broker(&self) -> (&str, u16) {
        (&self.host, self.port)
    }
    fn topics(&self) -> Vec<String> {
        vec![self.topic_filter()]
    }
    fn identity(&self) -> (&str, Option<&str>, &'static str) {
        (&self.host, Some(&self.client_id), "client_id")
    }
    fn session(&self) -> &SessionTuning {
        &self.session
    }
    fn check(&self, p: &mut Problems) {
        check_ids(&self.application_id, &self.topic, p)
    }
}
