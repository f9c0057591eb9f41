//! `vinstream demo`: the README's first command must work with nothing set up.

use crate::support::daemon::run_cli;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_vinstream"))
}

#[test]
fn the_demo_prints_valid_records_of_all_three_providers() {
    let out = run_cli(
        bin(),
        &[
            "demo",
            "--duration",
            "4s",
            "--rate",
            "30",
            "--vehicles",
            "6",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let mut per_provider: HashMap<String, usize> = HashMap::new();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        let r: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a record: {line}: {e}"));
        *per_provider
            .entry(r["provider"].as_str().unwrap().to_string())
            .or_default() += 1;
        assert!(r["signals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["path"].as_str().unwrap().starts_with("Vehicle.")));
    }
    for p in ["high_mobility_v2", "high_mobility_v1", "bmw_cardata"] {
        assert!(
            per_provider.get(p).copied().unwrap_or(0) > 0,
            "no {p} records: {per_provider:?}\n{stderr}"
        );
    }
    assert!(
        stderr.contains("ready: every provider connected"),
        "{stderr}"
    );
    assert!(!stderr.contains("ERROR"), "{stderr}");
}

#[test]
fn print_config_is_a_complete_config_to_start_from() {
    let out = run_cli(bin(), &["demo", "--print-config"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let doc: toml::Table = text.parse().expect("valid TOML");
    let providers = doc["providers"].as_table().unwrap();
    let types: Vec<&str> = providers
        .values()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.len(), 3, "{types:?}");
    assert!(doc["sinks"]["console"]["type"].as_str() == Some("stdout"));
}
