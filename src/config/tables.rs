//! The generic work on the TOML tree: `${ENV}` interpolation, typed tables that report
//! every failing key (not just serde's first), and the named tables of a [`Section`].

use super::section::Section;
use super::{files, values, Problem};
use serde::de::DeserializeOwned;

pub(super) fn interpolate(
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
        toml::Value::Table(t) => interpolate(t, key, env, problems),
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
pub fn typed<T: DeserializeOwned>(mut table: toml::Table, prefix: &str) -> Result<T, Vec<Problem>> {
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

pub(super) fn section<T: DeserializeOwned>(
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

/// The named tables of section `S` (`[sinks.NAME]`), each typed by its `type`.
pub(super) fn named<S: Section>(
    root: &toml::Table,
    problems: &mut Vec<Problem>,
) -> Vec<(String, S)> {
    let name = S::NAME;
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
        problems.extend(files::referenced(&key, t));
        let kind = match type_of(&key, t) {
            Ok(kind) => kind,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        match S::parse(&kind, &key, t.clone()) {
            Some(Ok(c)) => out.push((entry.clone(), c)),
            Some(Err(p)) => problems.extend(p),
            None => problems.push(Problem {
                key: format!("{key}.type"),
                message: format!(
                    "unknown {} type `{kind}` (expected {})",
                    name.strip_suffix('s').unwrap_or(name),
                    or_list(S::TYPES)
                ),
            }),
        }
    }
    out
}

/// `a, b or c`
fn or_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
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
