//! The provider types a config can name: one line each in `providers!` below, whose
//! config types and checks live in each provider's folder (`{provider}/config.rs`,
//! implementing [`ProviderSettings`]). `config/` turns `[providers.NAME]` tables into
//! these through [`Section`] without knowing any of them.

use super::bmw::config::BmwConfig;
use super::high_mobility::config::{HighMobilityV1Config, HighMobilityV2Config};
pub use super::provider::ProviderSettings;
use crate::config::{Problem, Problems, Section};
use crate::mqtt::tuning::{self, SessionTuning};
use crate::record::ProviderKind;

/// The registry: `Variant(config type) = "type"`, one line per provider type.
macro_rules! providers {
    ($($variant:ident($config:ty) = $kind:literal,)+) => {
        /// One `[providers.NAME]` table, by its `type`.
        #[derive(Debug, Clone, PartialEq)]
        pub enum ProviderConfig {
            $($variant($config),)+
        }

        impl ProviderConfig {
            /// The `type` it was written with.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(ProviderConfig::$variant(_) => $kind,)+
                }
            }

            /// Its settings, whatever the type.
            pub fn settings(&self) -> &dyn ProviderSettings {
                match self {
                    $(ProviderConfig::$variant(c) => c,)+
                }
            }
        }

        impl Section for ProviderConfig {
            const NAME: &'static str = "providers";
            const TYPES: &'static [&'static str] = &[$($kind),+];

            fn parse(kind: &str, key: &str, t: toml::Table) -> Option<Result<Self, Vec<Problem>>> {
                match kind {
                    $($kind => Some(<$config>::parse(key, t).map(ProviderConfig::$variant)),)+
                    _ => None,
                }
            }

            fn check(entries: &[(String, Self)], problems: &mut Vec<Problem>) {
                check_all(entries, problems)
            }
        }
    };
}

providers! {
    HighMobilityV1(HighMobilityV1Config) = "high_mobility_v1",
    HighMobilityV2(HighMobilityV2Config) = "high_mobility_v2",
    Bmw(BmwConfig) = "bmw_cardata",
}

impl ProviderConfig {
    pub fn broker(&self) -> (&str, u16) {
        self.settings().broker()
    }

    pub fn topics(&self) -> Vec<String> {
        self.settings().topics()
    }

    pub fn identity(&self) -> (&str, Option<&str>, &'static str) {
        self.settings().identity()
    }

    pub fn session(&self) -> &SessionTuning {
        self.settings().session()
    }

    /// The record's `provider` for this type.
    pub fn record_kind(&self) -> ProviderKind {
        self.settings().kind()
    }
}

/// Each provider's own checks, what every provider needs (a host, a port, an identity,
/// a workable session), and no two providers sharing one broker identity.
fn check_all(entries: &[(String, ProviderConfig)], problems: &mut Vec<Problem>) {
    let mut identities: Vec<(String, String, String)> = Vec::new();
    for (name, provider) in entries {
        let mut p = Problems::new(format!("providers.{name}"), problems);
        provider.settings().check(&mut p);
        let (host, id, id_key) = provider.identity();
        if host.trim().is_empty() {
            p.at("host", "must not be empty");
        }
        if let Some(id) = id {
            if id.trim().is_empty() {
                p.at(id_key, "must not be empty");
            } else {
                identities.push((host.to_string(), id.to_string(), format!("{name}.{id_key}")));
            }
        }
        if provider.broker().1 == 0 {
            p.at("port", "must be a port number from 1 to 65535");
        }
        let mut p = Problems::new(format!("providers.{name}.session"), problems);
        tuning::check(provider.session(), &mut p);
    }
    identities.sort();
    for pair in identities.windows(2) {
        if pair[0].0 == pair[1].0 && pair[0].1 == pair[1].1 {
            problems.push(Problem {
                key: format!("providers.{}", pair[1].2),
                message: format!(
                    "same broker and identity as providers.{}: the broker allows one connection per client id (certificate) or GCID, so the two would keep taking the session from each other",
                    pair[0].2
                ),
            });
        }
    }
}
