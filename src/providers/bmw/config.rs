//! `[providers.NAME]` tables of `type = "bmw_cardata"` (SPEC.md §2), with their defaults
//! and checks.

use crate::config::values::Duration;
use crate::config::{Problem, Problems};
use crate::mqtt::tuning::SessionTuning;
use crate::providers::provider::ProviderSettings;
use crate::record::ProviderKind;
use serde::Deserialize;
use std::path::PathBuf;

/// `type = "bmw_cardata"`: BMW CarData streaming (MQTT 3.1.1, id token as password).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BmwConfig {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default = "default_bmw_host")]
    pub host: String,
    #[serde(default = "default_bmw_port")]
    pub port: u16,
    /// The CarData client id (OAuth), from the BMW portal.
    pub client_id: String,
    /// The MQTT username; also the client id, as BMW allows one connection per GCID.
    pub gcid: String,
    pub token_file: PathBuf,
    /// `[]` subscribes `{gcid}/+`; otherwise one `{gcid}/{vin}` each.
    #[serde(default)]
    pub vins: Vec<String>,
    #[serde(default = "default_token_url")]
    pub token_url: String,
    #[serde(default = "default_device_code_url")]
    pub device_code_url: String,
    /// Refresh this long before the id token expires.
    #[serde(default = "default_refresh_before")]
    pub refresh_before: Duration,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub server_name: Option<String>,
    #[serde(default)]
    pub session: SessionTuning,
}

impl BmwConfig {
    pub fn topic_filters(&self) -> Vec<String> {
        if self.vins.is_empty() {
            vec![format!("{}/+", self.gcid)]
        } else {
            self.vins
                .iter()
                .map(|v| format!("{}/{v}", self.gcid))
                .collect()
        }
    }
}

fn default_bmw_host() -> String {
    "customer.streaming-cardata.bmwgroup.com".into()
}
fn default_bmw_port() -> u16 {
    9000
}
fn default_token_url() -> String {
    super::oauth::DEFAULT_TOKEN_URL.into()
}
fn default_device_code_url() -> String {
    super::oauth::DEFAULT_DEVICE_CODE_URL.into()
}
fn default_refresh_before() -> Duration {
    Duration(std::time::Duration::from_secs(600))
}

/// Values that parse but cannot work, and the token file `bmw-login` wrote.
fn check(b: &BmwConfig, p: &mut Problems) {
    if b.client_id.trim().is_empty() {
        p.at("client_id", "must not be empty");
    }
    for (field, url) in [
        ("token_url", &b.token_url),
        ("device_code_url", &b.device_code_url),
    ] {
        if let Err(m) = super::oauth::secure_url(url) {
            p.at(field, m);
        }
    }
    for (i, vin) in b.vins.iter().enumerate() {
        if vin.trim().is_empty() || vin.contains(['/', '+', '#']) {
            p.at(&format!("vins[{i}]"), format!("`{vin}` is not a VIN"));
        }
    }
    if b.refresh_before.0 >= std::time::Duration::from_secs(3000) {
        p.at(
            "refresh_before",
            "must be well below the id token's one-hour lifetime (e.g. \"10m\")",
        );
    }
    match super::tokens::TokenSet::load(&b.token_file) {
        Ok(t) if t.gcid != b.gcid => p.at(
            "gcid",
            format!(
                "the token file {} belongs to GCID {}; log in again or fix gcid",
                b.token_file.display(),
                t.gcid
            ),
        ),
        Ok(_) => {}
        Err(message) => p.at("token_file", message),
    }
}

/// The table as written, with the zero-width spaces that values copied from BMW's
/// portal pages carry taken out of the GCID and VINs.
fn parse(key: &str, table: toml::Table) -> Result<BmwConfig, Vec<Problem>> {
    use super::normalize::strip_zero_width;
    crate::config::typed::<BmwConfig>(table, key).map(|mut c| {
        c.gcid = strip_zero_width(&c.gcid);
        c.vins = c.vins.iter().map(|v| strip_zero_width(v)).collect();
        c
    })
}

impl ProviderSettings for BmwConfig {
    fn parse(key: &str, table: toml::Table) -> Result<Self, Vec<Problem>> {
        parse(key, table)
    }
    fn kind(&self) -> ProviderKind {
        ProviderKind::BmwCardata
    }
    fn broker(&self) -> (&str, u16) {
        (&self.host, self.port)
    }
    fn topics(&self) -> Vec<String> {
        self.topic_filters()
    }
    fn identity(&self) -> (&str, Option<&str>, &'static str) {
        (&self.host, Some(&self.gcid), "gcid")
    }
    fn session(&self) -> &SessionTuning {
        &self.session
    }
    fn check(&self, p: &mut Problems) {
        check(self, p)
    }
}
