//! Loading the TOML config: syntax, `${ENV}`, the daemon's own tables, and the named
//! tables `[providers.NAME]` and `[sinks.NAME]`. Those are turned into typed configs by
//! a [`Section`] the caller names (the provider registry's `ProviderConfig`, the sink registry's `SinkConfig`):
//! this module knows no provider and no sink, each component owns its config type, its
//! defaults and its checks. Every problem is collected and reported with the file and
//! the dotted key, so one `vinstream check` run shows all.

mod daemon;
mod files;
mod problems;
mod secret;
mod section;
mod tables;
pub mod values;

pub use daemon::{DaemonConfig, DedupConfig, LogFormat};
pub use problems::{ConfigError, Problem, Problems};
pub use secret::Secret;
pub use section::Section;
pub use tables::typed;

use std::path::Path;

/// The whole, validated configuration, with the providers and sinks of `P` and `S`.
#[derive(Debug, Clone, PartialEq)]
pub struct Config<P, S> {
    pub daemon: DaemonConfig,
    pub dedup: DedupConfig,
    pub providers: Vec<(String, P)>,
    pub sinks: Vec<(String, S)>,
}

/// Read, parse and validate a config file, including the files it references.
pub fn load<P: Section, S: Section>(path: &Path) -> Result<Config<P, S>, ConfigError> {
    let error = |problems| ConfigError {
        file: path.to_path_buf(),
        problems,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        error(vec![Problem {
            key: String::new(),
            message: format!("cannot read the config file: {e}"),
        }])
    })?;
    let env = |name: &str| std::env::var(name).ok();
    parse(&text, &env).map_err(error)
}

/// Parse and validate config text; referenced files (certificates, keys) are read.
pub fn parse<P: Section, S: Section>(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config<P, S>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut root: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            return Err(vec![Problem {
                key: String::new(),
                message: format!("not valid TOML: {}", e.to_string().trim_end()),
            }])
        }
    };
    tables::interpolate(&mut root, "", env, &mut problems);
    let known = ["daemon", "dedup", P::NAME, S::NAME];
    for key in root.keys() {
        if !known.contains(&key.as_str()) {
            problems.push(Problem {
                key: key.clone(),
                message: format!("unknown section (expected {})", known.join(", ")),
            });
        }
    }
    let daemon =
        tables::section::<DaemonConfig>(&root, "daemon", &mut problems).unwrap_or_default();
    let dedup = tables::section::<DedupConfig>(&root, "dedup", &mut problems).unwrap_or_default();
    let providers = tables::named::<P>(&root, &mut problems);
    let sinks = tables::named::<S>(&root, &mut problems);
    for (section, example) in [
        (P::NAME, "add a [providers.NAME] table"),
        (S::NAME, "add a [sinks.NAME] table, e.g. type = \"stdout\""),
    ] {
        let empty = if section == P::NAME {
            providers.is_empty()
        } else {
            sinks.is_empty()
        };
        if empty && !problems.iter().any(|p| p.key.starts_with(section)) {
            problems.push(Problem {
                key: section.into(),
                message: format!("no {} configured: {example}", singular(section)),
            });
        }
    }
    daemon::check(&daemon, &dedup, &mut Problems::new("", &mut problems));
    P::check(&providers, &mut problems);
    S::check(&sinks, &mut problems);
    if problems.is_empty() {
        Ok(Config {
            daemon,
            dedup,
            providers,
            sinks,
        })
    } else {
        Err(problems)
    }
}

fn singular(section: &str) -> &str {
    section.strip_suffix('s').unwrap_or(section)
}
