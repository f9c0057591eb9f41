//! The certificate and key files a table points at (`ca_file`, `cert_file`, `key_file`,
//! in any provider or sink) exist and parse. Checked on the raw table, so a bad
//! certificate is reported even when another key of the same table is wrong.

use super::Problem;
use crate::mqtt::tls;
use std::path::Path;

/// Problems with the files the table at `key` names.
pub(super) fn referenced(key: &str, table: &toml::Table) -> Vec<Problem> {
    type Loader = fn(&Path) -> Result<(), String>;
    const FILES: &[(&str, Loader)] = &[
        ("ca_file", |p| tls::load_certs(p).map(drop)),
        ("cert_file", |p| tls::load_certs(p).map(drop)),
        ("key_file", |p| tls::load_key(p).map(drop)),
    ];
    let mut problems = Vec::new();
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
