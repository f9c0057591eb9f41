//! Loading the TOML config: syntax, `${ENV}`, schema, then checks that need the
//! file system (certificates that exist and parse). Every problem is collected and
//! reported with the file and the dotted key, so one `vinstream check` run shows all.

mod schema;
mod secret;
mod sinks;
mod validate;
pub mod values;

pub use schema::*;
pub use secret::Secret;
pub use validate::secure_url;

use serde::de::DeserializeOwned;
use std::fmt;
use std::path::{Path, PathBuf};

/// One thing wrong with the config, at a dotted key such as `providers.hm.cert_file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

/// Everything wrong with one config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            if p.key.is_empty() {
                write!(f, "{}: {}", self.file.display(), p.message)?;
            } else {
                write!(f, "{}: {}: {}", self.file.display(), p.key, p.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Read, parse and validate a config file, including the files it references.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.to_path_buf(),
        problems: vec![Problem {
            key: String::new(),
            message: format!("cannot read the config file: {e}"),
        }],
    })?;
    let env = |name: &str| std::env::var(name).ok();
    parse(&text, &env).map_err(|problems| ConfigError {
        file: path.to_path_buf(),
        problems,
    })
}

/// Parse and validate config text; referenced files (certificates, keys) are read.
pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, Vec<Problem>> {
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
    interpolate_all(&mut root, "", env, &mut problems);

    for key in root.keys() {
        if !matches!(key.as_str(), "daemon" | "dedup" | "providers" | "sinks") {
            problems.push(Problem {
                key: key.clone(),
                message: "unknown section (expected daemon, dedup, providers or sinks)".into(),
            });
        }
    }
    let daemon = section::<DaemonConfig>(&root, "daemon", &mut problems).unwrap_or_default();
    let dedup = section::<DedupConfig>(&root, "dedup", &mut problems).unwrap_or_default();
    let providers = named_tables(&root, "providers", &mut problems, provider);
    for section in ["providers", "sinks"] {
        if let Some(toml::Value::Table(tables)) = root.get(section) {
            for (name, t) in tables {
                if let toml::Value::Table(t) = t {
                    problems.extend(validate::referenced_files(&format!("{section}.{name}"), t));
                }
            }
        }
    }
    let sinks = named_tables(&root, "sinks", &mut problems, sink);

    if providers.is_empty() && !problems.iter().any(|p| p.key.starts_with("providers")) {
        problems.push(Problem {
            key: "providers".into(),
            message: "no provider configured: add a [providers.NAME] table".into(),
        });
    }
    if sinks.is_empty() && !problems.iter().any(|p| p.key.starts_with("sinks")) {
        problems.push(Problem {
            key: "sinks".into(),
            message: "no sink configured: add a [sinks.NAME] table, e.g. type = \"stdout\"".into(),
        });
    }
    let config = Config {
        daemon,
        dedup,
        providers,
        sinks,
    };
    validate::semantics(&config, &mut problems);
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems)
    }
}

fn interpolate_all(
    value: &mut toml::Table,
    prefix: &str,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) {
    for (k, v) in value.iter_mut() {
        let key = join(prefix, k);
        interpolate_value(v, &key, env, problems);
    }
}

fn interpolate_value(
    v: &mut toml::Value,
    key: &str,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) {
    match v {
        toml::Value::String(s) => match values::interpolate(s, env) {
            Ok(new) => *s = new,
            Err(message) => problems.push(Problem {
                key: key.to_string(),
                message,
            }),
        },
        toml::Value::Table(t) => interpolate_all(t, key, env, problems),
        toml::Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate_value(item, &format!("{key}[{i}]"), env, problems);
            }
        }
        _ => {}
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Deserialize a table, reporting every failing key below `prefix`, not just the first:
/// serde stops at the first error, so each failing key is reported, removed, and the
/// rest tried again. A required key we removed then shows up as "missing"; that is
/// the same problem, reported once.
fn typed<T: DeserializeOwned>(mut table: toml::Table, prefix: &str) -> Result<T, Vec<Problem>> {
    let mut problems: Vec<Problem> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    for _ in 0..64 {
        let err = match serde_path_to_error::deserialize(toml::Value::Table(table.clone())) {
            Ok(v) if problems.is_empty() => return Ok(v),
            Ok(_) => return Err(problems),
            Err(e) => e,
        };
        let inner = err.path().to_string();
        let message = err.into_inner().message().trim_end().to_string();
        let path: Vec<String> = if inner == "." || inner.is_empty() {
            Vec::new()
        } else {
            inner.split('.').map(str::to_string).collect()
        };
        let missing_removed = message.starts_with("missing field")
            && removed
                .iter()
                .any(|r| message.contains(&format!("`{}`", r.rsplit('.').next().unwrap_or(r))));
        if !missing_removed {
            problems.push(Problem {
                key: if path.is_empty() {
                    prefix.to_string()
                } else {
                    join(prefix, &path.join("."))
                },
                message,
            });
        }
        if path.is_empty() || !remove_path(&mut table, &path) {
            break;
        }
        removed.push(path.join("."));
    }
    Err(problems)
}

fn remove_path(table: &mut toml::Table, path: &[String]) -> bool {
    match path {
        [] => false,
        [last] => table.remove(last).is_some(),
        [first, rest @ ..] => match table.get_mut(first) {
            Some(toml::Value::Table(t)) => remove_path(t, rest),
            _ => table.remove(first).is_some(),
        },
    }
}

fn section<T: DeserializeOwned>(
    root: &toml::Table,
    name: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let table = match root.get(name)? {
        toml::Value::Table(t) => t.clone(),
        _ => {
            problems.push(Problem {
                key: name.into(),
                message: format!("must be a table, like [{name}]"),
            });
            return None;
        }
    };
    typed(table, name).map_err(|p| problems.extend(p)).ok()
}

fn named_tables<T>(
    root: &toml::Table,
    name: &str,
    problems: &mut Vec<Problem>,
    build: fn(&str, toml::Table) -> Result<T, Vec<Problem>>,
) -> Vec<(String, T)> {
    let Some(value) = root.get(name) else {
        return Vec::new();
    };
    let Some(table) = value.as_table() else {
        problems.push(Problem {
            key: name.into(),
            message: format!("must be a table of named tables, like [{name}.NAME]"),
        });
        return Vec::new();
    };
    let mut out = Vec::new();
    for (entry, v) in table {
        let key = format!("{name}.{entry}");
        if !valid_name(entry) {
            problems.push(Problem {
                key: key.clone(),
                message: "names may use only letters, digits, `_` and `-`".into(),
            });
            continue;
        }
        let Some(t) = v.as_table() else {
            problems.push(Problem {
                key,
                message: "must be a table".into(),
            });
            continue;
        };
        match build(&key, t.clone()) {
            Ok(c) => out.push((entry.clone(), c)),
            Err(p) => problems.extend(p),
        }
    }
    out
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn type_of(key: &str, t: &toml::Table) -> Result<String, Problem> {
    match t.get("type") {
        Some(toml::Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(Problem {
            key: format!("{key}.type"),
            message: "must be a string".into(),
        }),
        None => Err(Problem {
            key: format!("{key}.type"),
            message: "missing: every entry needs a `type`".into(),
        }),
    }
}

fn provider(key: &str, t: toml::Table) -> Result<ProviderConfig, Vec<Problem>> {
    match type_of(key, &t).map_err(|p| vec![p])?.as_str() {
        "high_mobility_v2" => typed(t, key).map(ProviderConfig::HighMobilityV2),
        "high_mobility_v1" => typed(t, key).map(ProviderConfig::HighMobilityV1),
        "bmw_cardata" => typed::<BmwConfig>(t, key).map(|mut c| {
            // Values copied from BMW's portal pages carry zero-width spaces.
            use crate::providers::bmw::normalize::strip_zero_width;
            c.gcid = strip_zero_width(&c.gcid);
            c.vins = c.vins.iter().map(|v| strip_zero_width(v)).collect();
            ProviderConfig::Bmw(c)
        }),
        other => Err(vec![Problem {
            key: format!("{key}.type"),
            message: format!(
                "unknown provider type `{other}` (expected high_mobility_v1, high_mobility_v2 or bmw_cardata)"
            ),
        }]),
    }
}

fn sink(key: &str, t: toml::Table) -> Result<SinkConfig, Vec<Problem>> {
    match type_of(key, &t).map_err(|p| vec![p])?.as_str() {
        "stdout" => typed(t, key).map(SinkConfig::Stdout),
        "file" => typed(t, key).map(SinkConfig::File),
        "webhook" => typed(t, key).map(SinkConfig::Webhook),
        "thingsboard" => typed(t, key).map(SinkConfig::Thingsboard),
        "cumulocity" => typed(t, key).map(SinkConfig::Cumulocity),
        "nats" => typed(t, key).map(SinkConfig::Nats),
        other => Err(vec![Problem {
            key: format!("{key}.type"),
            message: format!(
                "unknown sink type `{other}` (expected stdout, file, webhook, thingsboard, cumulocity or nats)"
            ),
        }]),
    }
}

#[cfg(test)]
mod tests;
