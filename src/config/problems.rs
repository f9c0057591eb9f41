//! What is wrong with a config, and where: every problem carries the dotted key it is at,
//! so a component reports by its own key names and the file's path is added around it.

use std::fmt;
use std::path::PathBuf;

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

/// The problems of one table (`sinks.hook`): components name their own keys (`url`) and
/// the table's key is put in front.
pub struct Problems<'a> {
    prefix: String,
    list: &'a mut Vec<Problem>,
}

impl<'a> Problems<'a> {
    pub fn new(prefix: impl Into<String>, list: &'a mut Vec<Problem>) -> Problems<'a> {
        Problems {
            prefix: prefix.into(),
            list,
        }
    }

    /// `key` is relative to the table (`session.keep_alive`); empty for the table itself.
    pub fn at(&mut self, key: &str, message: impl Into<String>) {
        let key = match (self.prefix.is_empty(), key.is_empty()) {
            (_, true) => self.prefix.clone(),
            (true, false) => key.to_string(),
            (false, false) => format!("{}.{key}", self.prefix),
        };
        self.list.push(Problem {
            key,
            message: message.into(),
        });
    }

    /// A message in the `key: what is wrong` form that `build` functions return: the key
    /// goes where it belongs, a sentence stays whole at the table's key.
    pub fn report(&mut self, message: String) {
        match message.split_once(": ") {
            Some((k, rest)) if is_key(k) => self.at(k, rest),
            _ => self.at("", message),
        }
    }

    /// The table's key, as reported (`providers.hm`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

/// `batch_max_events`, `tls.ca_file`: a config key, not a sentence.
fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}
